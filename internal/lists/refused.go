package lists

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"plenary/internal/mail"
	"plenary/internal/store"
)

// refused records that the mail server refused, for good, the copy of
// posting postID to r (reply code, 0 for a message no server would take):
// a delivery record with the server's answer in refused, so the copy is
// not tried again and the job goes on with the next subscriber, and a
// bounce of the subscription, which counts toward disabling it as a
// bounce that came back by mail does (bounceTx). One transaction.
func (d *Distributor) refused(ctx context.Context, l List, postID int64, r recipient, code int, sendErr error) error {
	if d.Audit == nil {
		return ErrNoAudit
	}
	status := "invalid"
	if code != 0 {
		status = strconv.Itoa(code)
	}
	why := strings.ToValidUTF8(sendErr.Error(), "?")
	if errors.Is(sendErr, mail.ErrInvalid) {
		why = mail.ErrInvalid.Error()
	}
	if len(why) > 300 {
		why = why[:300]
	}
	now := time.Now().UTC()
	err := d.DB.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, "INSERT INTO list_deliveries (post_id, subscription_id, sent_at, refused) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
			postID, r.id, now, why)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err // recorded already (another instance): no second bounce
		}
		var disabled bool
		if err := tx.QueryRow(ctx, "SELECT disabled_at IS NOT NULL FROM list_subscriptions WHERE id = ?", r.id).Scan(&disabled); err != nil {
			return err
		}
		return bounceTx(ctx, tx, d.Audit, l.Name, r.id, status, disabled, now)
	})
	if err != nil {
		return fmt.Errorf("recording the refusal of posting %d to subscription %d: %w", postID, r.id, err)
	}
	return nil
}
