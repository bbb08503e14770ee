package meetings

import (
	"context"
	"errors"
	"fmt"
	"time"

	"plenary/internal/payments"
	"plenary/internal/store"
)

// A registrant's own page may ask the processor how their payment
// stands, but a GET changes nothing (issue 10): AtProcessor only
// reads, and the outcome is applied by the webhook, by the reconcile job,
// or by CheckPayment, behind the page's button (a POST).

// AtProcessor reports how the processor says the registration's live
// checkouts stand while it is not recorded as paid here: payments.Paid
// (its webhook is late), payments.Settling (the payment was taken and is
// being confirmed), or "" (nothing paid or being paid). It looks only,
// and records nothing.
func (c Checkouts) AtProcessor(ctx context.Context, r Registration) string {
	if c.Proc == nil || !r.Due() {
		return ""
	}
	state := ""
	for _, p := range r.Payments {
		if !live(p.Status) || p.Processor != c.Proc.Name() {
			continue
		}
		o, err := c.Proc.LookUp(ctx, p.CheckoutID)
		switch {
		case err != nil:
		case o.Status == payments.Paid:
			return payments.Paid
		case o.Status == payments.Settling:
			state = payments.Settling
		}
	}
	return state
}

// CheckPayment asks the processor about the live checkouts of the
// registration at token and applies a paid outcome it reports, as the
// webhook would have (Apply: once, audited, never moving a payment back).
// It is the registrant's "check payment" button; it expires nothing. A
// processor that cannot be asked now leaves the registration as it is.
func (c Checkouts) CheckPayment(ctx context.Context, token string, now time.Time) error {
	if c.Proc == nil {
		return ErrNoProcessor
	}
	r, err := ByToken(ctx, c.DB, token)
	if err != nil {
		return err
	}
	if !r.Due() {
		return nil
	}
	var errs []error
	for _, p := range r.Payments {
		if !live(p.Status) || p.Processor != c.Proc.Name() {
			continue
		}
		o, err := c.Proc.LookUp(ctx, p.CheckoutID)
		if err != nil || o.Status != payments.Paid {
			continue
		}
		if err := c.Apply(ctx, payments.Event{Outcome: o}, now); err != nil {
			errs = append(errs, fmt.Errorf("applying payment %d's outcome: %w", p.ID, err))
		}
	}
	return errors.Join(errs...)
}

// PaidAt lists the payments recorded as paid through processor, or with
// their refund asked for and not confirmed: what a processor that forgets
// its checkouts when it stops (the built-in test processor) is given back
// when it starts, so that they can still be refunded.
func PaidAt(ctx context.Context, q store.Querier, processor string) ([]payments.Outcome, error) {
	rows, err := q.Query(ctx, `SELECT checkout_id, amount, currency, transaction_id FROM payments WHERE processor = ? AND status IN (?, ?) ORDER BY id`,
		processor, payments.Paid, payments.RefundRequested)
	if err != nil {
		return nil, fmt.Errorf("listing paid payments: %w", err)
	}
	defer rows.Close()
	var out []payments.Outcome
	for rows.Next() {
		o := payments.Outcome{Status: payments.Paid}
		if err := rows.Scan(&o.CheckoutID, &o.Amount, &o.Currency, &o.TransactionID); err != nil {
			return nil, fmt.Errorf("listing paid payments: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}
