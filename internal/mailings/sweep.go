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
// account page still unsubscribes, and a reply is answered with a link to
// it). days < 0 keeps them.
func SweepRecipients(ctx context.Context, q store.Querier, now time.Time, days int) (removed int64, err error) {
	removed, err = store.DeleteOlder(ctx, q, `DELETE FROM mailing_recipients WHERE mailing_id IN
		(SELECT id FROM mailings WHERE state = ? AND finished_at < ?)`, now, days, Finished)
	if err != nil {
		return 0, fmt.Errorf("sweeping mailing recipients: %w", err)
	}
	return removed, nil
}

// SweepConfirmations clears the hashes of confirmation links that expired
// unused; the request stays pending until the person asks again or stops
// it. Run it with the other periodic sweeps.
func SweepConfirmations(ctx context.Context, q store.Querier, now time.Time) (cleared int64, err error) {
	res, err := q.Exec(ctx, "UPDATE mailing_subscriptions SET confirm_token_hash = NULL, confirm_expires_at = NULL WHERE confirm_expires_at <= ?", now.UTC())
	if err != nil {
		return 0, fmt.Errorf("sweeping expired mailing confirmations: %w", err)
	}
	return res.RowsAffected()
}
