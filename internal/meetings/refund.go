package meetings

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"plenary/internal/audit"
	"plenary/internal/payments"
	"plenary/internal/store"
)

// Refunds are idempotent (issue 10). A refund is made in three steps, so
// no transaction waits on the processor and a failure between them is
// finished by asking again: (1) a short transaction records the intent,
// the payment RefundRequested with a new idempotency key; (2) the
// processor is asked with that key, outside any transaction; (3) a short
// transaction records the refund. A payment left RefundRequested (the
// processor could not be reached, or the refund was made and recording
// it failed) is asked for again with the same key, by finance's button or
// by the reconcile job, and the processor answers the refund already made
// as success: the money goes back once.

// refundBy names who asks for a refund and why, for the audit log.
type refundBy struct {
	actor  int64
	label  string
	reason string
	// strayOnly limits a new refund to a payment whose registration's
	// place was released (the reconcile job's refund of a payment that
	// arrived without a place); a refund already asked for is finished
	// whoever asked for it.
	strayOnly bool
}

// refundPayment gives payment id back through c's processor in the three
// steps above. It returns whether this call recorded the refund; a
// payment already refunded meanwhile is no error when it was asked for
// before. The step that records the refund also stores the registrant's
// notice of it (RefundNotice), so they are told once, when it is made.
func (c Checkouts) refundPayment(ctx context.Context, id int64, by refundBy, now time.Time) (bool, error) {
	db, log, proc := c.DB, c.Audit, c.Proc
	if log == nil {
		return false, ErrNoAudit
	}
	now = now.UTC()
	var checkout, key string
	var regID int64
	reason := by.reason
	err := db.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.Lock(ctx, fmt.Sprintf("payment:%d", id)); err != nil {
			return err
		}
		var processor, status, regStatus string
		err := tx.QueryRow(ctx, `SELECT p.processor, p.checkout_id, p.status, p.refund_key, p.registration_id, r.status
			FROM payments p JOIN registrations r ON r.id = p.registration_id WHERE p.id = ?`, id).
			Scan(&processor, &checkout, &status, &key, &regID, &regStatus)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("finding a payment: %w", err)
		}
		if proc == nil || processor != proc.Name() {
			return ErrNotRefundable
		}
		switch {
		case status == payments.RefundRequested && key != "":
			// Asked for before: ask again with its key.
			reason = "a refund asked for before, asked again with its key"
			return nil
		case status != payments.Paid, by.strayOnly && regStatus != Expired:
			return ErrNotRefundable
		}
		if key, err = newToken(); err != nil {
			return err
		}
		key = "plenary-refund-" + key
		if _, err := tx.Exec(ctx, "UPDATE payments SET status = ?, refund_key = ?, updated_at = ? WHERE id = ? AND status = ?",
			payments.RefundRequested, key, now, id, payments.Paid); err != nil {
			return fmt.Errorf("recording a refund request: %w", err)
		}
		return log.Record(ctx, tx, audit.Entry{Actor: by.actor, Label: by.label, Action: "payments.request_refund",
			Subject: fmt.Sprintf("payment:%d", id), Detail: fmt.Sprintf("registration %d: %s", regID, by.reason)})
	})
	if err != nil {
		return false, err
	}
	if err := proc.Refund(ctx, checkout, key); err != nil {
		return false, fmt.Errorf("refunding payment %d at %s (asked for; it is asked again with the same key): %w", id, proc.Name(), err)
	}
	done := false
	err = db.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.Lock(ctx, fmt.Sprintf("payment:%d", id)); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, "UPDATE payments SET status = ?, updated_at = ? WHERE id = ? AND status = ? AND refund_key = ?",
			payments.Refunded, now, id, payments.RefundRequested, key)
		if err != nil {
			return fmt.Errorf("recording a refund: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return nil // recorded by another attempt with the same key
		}
		// A registration whose place was released keeps that status; any
		// other refunded registration is cancelled, its place free again.
		if _, err := tx.Exec(ctx, "UPDATE registrations SET status = ? WHERE id = ? AND status <> ?", Cancelled, regID, Expired); err != nil {
			return fmt.Errorf("cancelling a refunded registration: %w", err)
		}
		done = true
		if err := log.Record(ctx, tx, audit.Entry{Actor: by.actor, Label: by.label, Action: "payments.refund",
			Subject: fmt.Sprintf("payment:%d", id), Detail: fmt.Sprintf("registration %d: %s", regID, reason)}); err != nil {
			return err
		}
		r, err := regByID(ctx, tx, regID)
		if err != nil {
			return err
		}
		var amount int64
		var currency string
		if err := tx.QueryRow(ctx, "SELECT amount, currency FROM payments WHERE id = ?", id).Scan(&amount, &currency); err != nil {
			return fmt.Errorf("reading a refunded payment: %w", err)
		}
		return c.notify(ctx, tx, c.RefundNotice(r, amount, currency, now, r.Status == Expired), "a refund notice")
	})
	return done, err
}
