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
//
// A refund the processor did not make is never hidden from finance. When
// the processor could not be asked, the payment stays RefundRequested
// with the error and the time the reconcile job asks again, backing off
// (refundRetry). When the processor refused (payments.RefusedError:
// nothing was refunded, and asking again would be refused again), the
// intent is withdrawn: the payment is Paid again, its key dropped, with
// the processor's reason kept; the job does not ask again, and the
// request stays on finance's list with the reason until finance refund
// it once the reason is dealt with. Either way the failure is recorded
// and audited, and the caller gets a RefundFailure that says what was
// and was not done.

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

// RefundFailure is a refund that did not go through, with what was done
// and what will be; its Error is written for finance.
type RefundFailure struct {
	Processor string
	// Reason is the processor's answer, or why it could not be asked.
	Reason string
	// Refused: the processor said no. Nothing was refunded; the payment
	// is paid again and stays on the refund requests until finance act.
	Refused bool
	// Made: the processor made the refund and recording it here failed;
	// the payment stays asked for and the next attempt records it.
	Made bool
	// RetryAt is when the reconcile job asks again (zero: it does not,
	// or the failure could not be recorded and it asks at its next run).
	RetryAt time.Time
	// Unrecorded: recording the failure failed too, so the payment stays
	// a refund asked for, and the job asks again at its next run.
	Unrecorded bool
	err        error
}

func (f *RefundFailure) Error() string {
	switch {
	case f.Refused && f.Unrecorded:
		return fmt.Sprintf("The card processor (%s) refused the refund: %s. Nothing was refunded. Recording this here failed, so the payment shows as a refund "+
			"asked for until the payments job asks again at its next run, within a few minutes.", f.Processor, f.Reason)
	case f.Refused:
		return fmt.Sprintf("The card processor (%s) refused the refund: %s. Nothing was refunded, and the payment is still paid; "+
			"the request stays on the list of refund requests with this reason until you refund it again.", f.Processor, f.Reason)
	case f.Made:
		return fmt.Sprintf("The card processor (%s) made the refund, but recording it here failed. The payment stays marked as a refund asked for, "+
			"and the payments job records it at its next run, within a few minutes; nothing more will be refunded.", f.Processor)
	case !f.RetryAt.IsZero() && !f.Unrecorded:
		return fmt.Sprintf("The card processor (%s) could not be asked for the refund (%s). The refund is recorded as asked for, and nothing was refunded "+
			"as far as this site knows. The payments job asks again at %s with the same key, so the money goes back once; "+
			"until then it stays on the list of refund requests.", f.Processor, f.Reason, f.RetryAt.UTC().Format("2 January 2006 15:04 UTC"))
	}
	return fmt.Sprintf("The card processor (%s) could not be asked for the refund (%s). The refund is recorded as asked for, and the payments job "+
		"asks again at its next run, with the same key, so the money goes back once.", f.Processor, f.Reason)
}

func (f *RefundFailure) Unwrap() error { return f.err }

// refundRetry is how long the reconcile job waits before asking again
// for a refund the processor could not be asked for, after attempts
// tries: a minute, doubling, at most an hour.
func refundRetry(attempts int) time.Duration {
	d := time.Minute
	for i := 1; i < attempts && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// maxReason bounds the processor's answer kept with a payment.
const maxReason = 500

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
		// updated_at stays the time of the payment until the refund is
		// made: a refund refused leaves the receipt's date as it was.
		// A new request counts its own attempts; the last one's answer
		// stays shown until this one has its own.
		if _, err := tx.Exec(ctx, "UPDATE payments SET status = ?, refund_key = ?, refund_attempts = 0 WHERE id = ? AND status = ?",
			payments.RefundRequested, key, id, payments.Paid); err != nil {
			return fmt.Errorf("recording a refund request: %w", err)
		}
		return log.Record(ctx, tx, audit.Entry{Actor: by.actor, Label: by.label, Action: "payments.request_refund",
			Subject: fmt.Sprintf("payment:%d", id), Detail: fmt.Sprintf("registration %d: %s", regID, by.reason)})
	})
	if err != nil {
		return false, err
	}
	if err := proc.Refund(ctx, checkout, key); err != nil {
		return false, c.refundFailed(ctx, id, regID, key, by, err, now)
	}
	done := false
	err = db.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.Lock(ctx, fmt.Sprintf("payment:%d", id)); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE payments SET status = ?, refund_error = '', refund_retry_at = NULL, updated_at = ?
			WHERE id = ? AND status = ? AND refund_key = ?`, payments.Refunded, now, id, payments.RefundRequested, key)
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
	if err != nil {
		return false, &RefundFailure{Processor: proc.Name(), Made: true, err: err}
	}
	return done, nil
}

// refundFailed records that the processor did not make the refund of
// payment id asked for with key (step 2 failed with err), with an audit
// entry, and returns the RefundFailure to show. It records even when the
// request that asked was given up meanwhile: finance must see it.
func (c Checkouts) refundFailed(ctx context.Context, id, regID int64, key string, by refundBy, err error, now time.Time) error {
	f := &RefundFailure{Processor: c.Proc.Name(), Reason: err.Error(), err: err}
	var no *payments.RefusedError
	if errors.As(err, &no) {
		f.Refused, f.Reason = true, no.Reason
	}
	if r := []rune(f.Reason); len(r) > maxReason {
		f.Reason = string(r[:maxReason]) + "…"
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	var retry time.Time
	rerr := c.DB.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.Lock(ctx, fmt.Sprintf("payment:%d", id)); err != nil {
			return err
		}
		var attempts int
		if err := tx.QueryRow(ctx, "SELECT refund_attempts FROM payments WHERE id = ?", id).Scan(&attempts); err != nil {
			return fmt.Errorf("reading payment %d: %w", id, err)
		}
		attempts++
		var res sql.Result
		var err error
		action := "payments.refund_failed"
		if f.Refused {
			action = "payments.refund_refused"
			res, err = tx.Exec(ctx, `UPDATE payments SET status = ?, refund_key = '', refund_error = ?, refund_failed_at = ?, refund_retry_at = NULL,
				refund_attempts = ? WHERE id = ? AND status = ? AND refund_key = ?`, payments.Paid, f.Reason, now, attempts, id, payments.RefundRequested, key)
		} else {
			retry = now.Add(refundRetry(attempts))
			res, err = tx.Exec(ctx, `UPDATE payments SET refund_error = ?, refund_failed_at = ?, refund_retry_at = ?, refund_attempts = ?
				WHERE id = ? AND status = ? AND refund_key = ?`, f.Reason, now, retry, attempts, id, payments.RefundRequested, key)
		}
		if err != nil {
			return fmt.Errorf("recording a failed refund: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			retry = time.Time{}
			return nil // finished meanwhile by another attempt with the key
		}
		return c.Audit.Record(ctx, tx, audit.Entry{Actor: by.actor, Label: by.label, Action: action,
			Subject: fmt.Sprintf("payment:%d", id), Detail: fmt.Sprintf("registration %d: %s", regID, f.Reason)})
	})
	if rerr != nil {
		// Unrecorded, the payment stays asked for with its key, and the
		// job asks again at its next run (a refusal included).
		f.Unrecorded, retry = true, time.Time{}
		f.err = errors.Join(err, rerr)
	}
	f.RetryAt = retry
	return f
}
