package lists

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"plenary/internal/audit"
	"plenary/internal/policy"
	"plenary/internal/store"
)

// SweepDeliveries deletes delivery records (which posting went to which
// subscription, and what a refusing server said) older than days (U3,
// retention key list_delivery). A distribution is over long before: a
// record only keeps a resumed one from sending a copy twice.
func SweepDeliveries(ctx context.Context, q store.Querier, now time.Time, days int) (int64, error) {
	n, err := store.DeleteOlder(ctx, q, "DELETE FROM list_deliveries WHERE sent_at < ?", now, days)
	if err != nil {
		return 0, fmt.Errorf("sweeping delivery records: %w", err)
	}
	return n, nil
}

// SweepDisabled deletes the subscriptions that were disabled after
// bounces (RecordBounce) more than days ago and not taken up again (U3,
// retention key list_disabled); their delivery and bounce records go with
// them (ON DELETE CASCADE). Each one's consent on record is closed by a
// withdrawal entry on the bounce channel, under the statement version and
// transfer text of the consent it ends, and each gets an audit entry, so
// the ledger never shows a consent whose subscription has silently gone.
func SweepDisabled(ctx context.Context, tx *store.Tx, aud *audit.Log, now time.Time, days int) (int64, error) {
	if days < 0 {
		return 0, nil
	}
	if aud == nil {
		return 0, ErrNoAudit
	}
	now = now.UTC()
	rows, err := tx.Query(ctx, "SELECT "+subColumns+` FROM list_subscriptions s JOIN lists l ON l.id = s.list_id
		WHERE s.disabled_at IS NOT NULL AND s.disabled_at < ? ORDER BY s.id`, now.AddDate(0, 0, -days))
	if err != nil {
		return 0, fmt.Errorf("finding disabled subscriptions: %w", err)
	}
	var subs []Subscription
	for rows.Next() {
		sub, err := scanSub(rows)
		if err != nil {
			rows.Close()
			return 0, err
		}
		subs = append(subs, sub)
	}
	if err := rows.Close(); err != nil {
		return 0, err
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("finding disabled subscriptions: %w", err)
	}
	for _, sub := range subs {
		if err := endDisabled(ctx, tx, aud, sub, now); err != nil {
			return 0, err
		}
	}
	return int64(len(subs)), nil
}

func endDisabled(ctx context.Context, tx *store.Tx, aud *audit.Log, sub Subscription, now time.Time) error {
	c := policy.Consent{Purpose: PurposeSubscription(sub.List), Granted: false, Channel: policy.ChannelBounce, At: now}
	var find *sql.Row
	if sub.PersonID != 0 {
		c.PersonID = sub.PersonID
		find = tx.QueryRow(ctx, `SELECT policy_version_id, transfer_statement FROM consent_ledger
			WHERE person_id = ? AND purpose = ? AND granted = ? ORDER BY id DESC LIMIT 1`, sub.PersonID, c.Purpose, true)
	} else {
		c.SubscriptionID, c.Email = sub.ID, sub.Email
		find = tx.QueryRow(ctx, `SELECT policy_version_id, transfer_statement FROM consent_ledger
			WHERE subscription_id = ? AND granted = ? ORDER BY id DESC LIMIT 1`, sub.ID, true)
	}
	err := find.Scan(&c.VersionID, &c.Transfer)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		// No consent on record (a subscription made before the ledger
		// knew subscriptions): nothing to close.
	case err != nil:
		return fmt.Errorf("reading the consent of subscription %d: %w", sub.ID, err)
	default:
		if err := policy.Record(ctx, tx, c); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(ctx, "DELETE FROM list_subscriptions WHERE id = ?", sub.ID); err != nil {
		return fmt.Errorf("deleting disabled subscription %d: %w", sub.ID, err)
	}
	return aud.Record(ctx, tx, audit.Entry{Label: "retention", Action: "lists.remove-disabled",
		Subject: fmt.Sprintf("subscription:%d", sub.ID), Detail: fmt.Sprintf("list %s, disabled since %s", sub.List, sub.DisabledAt.Format(time.DateOnly))})
}
