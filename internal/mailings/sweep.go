package mailings

import (
	"context"
	"fmt"
	"time"

	"plenary/internal/store"
)

// RetentionKey is the inventory's key for recipient records
// (--retention mailing=DAYS).
const RetentionKey = "mailing"

// SweepRecipients deletes the recipient records of mailings that finished
// more than days ago: the addresses they went to, each copy's outcome and
// the hash of its unsubscribe link (whose link then stops working; the
// account page and a reply still unsubscribe). days < 0 keeps them.
func SweepRecipients(ctx context.Context, q store.Querier, now time.Time, days int) (removed int64, err error) {
	if days < 0 {
		return 0, nil
	}
	cutoff := now.UTC().Add(-time.Duration(days) * 24 * time.Hour)
	res, err := q.Exec(ctx, `DELETE FROM mailing_recipients WHERE mailing_id IN
		(SELECT id FROM mailings WHERE state = ? AND finished_at < ?)`, Finished, cutoff)
	if err != nil {
		return 0, fmt.Errorf("sweeping mailing recipients: %w", err)
	}
	return res.RowsAffected()
}
