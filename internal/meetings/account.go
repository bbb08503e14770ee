package meetings

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"plenary/internal/audit"
	"plenary/internal/mail"
	"plenary/internal/payments"
	"plenary/internal/people"
	"plenary/internal/store"
)

// The registrant's side of a registration: their list on /account, the
// receipts, cancelling and asking for a refund.
//
// The rule for cancelling (documented on the registration's page and in
// the README): a registrant may cancel until the meeting's first day
// begins in the meeting's time zone. Cancelling frees the place at once.
// An unpaid or free registration is simply cancelled. A paid one is
// cancelled and becomes a refund request for finance, who refund it
// through the processor from /admin/refunds: the site never moves money on
// a registrant's click alone, because whether and how much to refund is
// the organization's decision (fees, deadlines). A registrant who wants to
// keep their place but asks for their money back files the same request
// without cancelling; finance's refund then cancels the registration.

// Errors of the registrant's requests.
var (
	ErrStarted         = errors.New("The meeting has begun, so this registration can no longer be changed here. Please write to the secretariat through the contact page.")
	ErrCancelled       = errors.New("This registration is already cancelled.")
	ErrNotPaid         = errors.New("Only a paid registration can be refunded; this one has nothing paid.")
	ErrRefundRequested = errors.New("A refund is already asked for this registration; finance will answer it.")
)

// MaxRefundReason bounds the reason typed with a refund request.
const MaxRefundReason = 2000

// Own is a registration as its registrant sees it on their account page.
type Own struct {
	Registration
	CancelledAt       *time.Time
	RefundRequestedAt *time.Time
	RefundReason      string
}

// Cancellable reports whether the registrant may still cancel it (the
// meeting's start is checked again when they do).
func (r Registration) Cancellable() bool { return r.Status != Cancelled }

// Refundable reports whether the registrant may ask for a refund.
func (r Registration) Refundable() bool { return r.Status == Paid }

// HasReceipt reports whether the registration has a payment to give a
// receipt for: paid, or paid and then refunded.
func (r Registration) HasReceipt() bool {
	for _, p := range r.Payments {
		if p.Status == payments.Paid || p.Status == payments.Refunded {
			return true
		}
	}
	return false
}

// ForAccount returns the registrations shown on a person's account page,
// newest first: those made while signed in as person, and those made
// without an account from one of proven, the addresses whose mailbox the
// person proved by a link mailed to it. An address only typed or entered
// by staff must not open someone else's registrations.
func ForAccount(ctx context.Context, q store.Querier, person int64, proven []string) ([]Own, error) {
	cond := "r.person_id = ?"
	args := []any{person}
	if len(proven) > 0 {
		marks := make([]string, len(proven))
		for i, a := range proven {
			marks[i] = "?"
			args = append(args, strings.ToLower(a))
		}
		cond = "(" + cond + " OR (r.person_id IS NULL AND LOWER(r.email) IN (" + strings.Join(marks, ", ") + ")))"
	}
	rows, err := q.Query(ctx, "SELECT "+regColumns+", r.cancelled_at, r.refund_requested_at, r.refund_reason"+regFrom+" WHERE "+cond+
		" ORDER BY r.created_at DESC, r.id DESC LIMIT 500", args...)
	if err != nil {
		return nil, fmt.Errorf("listing a person's registrations: %w", err)
	}
	var out []Own
	for rows.Next() {
		o, err := scanOwn(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing a person's registrations: %w", err)
	}
	for i := range out {
		if out[i].Payments, err = paymentsOf(ctx, q, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Receipt is what a printed receipt shows: one payment of a registration.
type Receipt struct {
	Number       string // "R-<payment id>"
	Registration Registration
	Payment      Payment
	PaidAt       time.Time
	Refunded     bool
	RefundedAt   time.Time
}

// Receipts returns the receipts of the registration at token, one per
// payment that went through (a refunded one says so). No audit entry: the
// link is the registrant's own.
func Receipts(ctx context.Context, q store.Querier, token string) ([]Receipt, error) {
	r, err := ByToken(ctx, q, token)
	if err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `SELECT id, status, updated_at FROM payments WHERE registration_id = ? AND status IN (?, ?) ORDER BY id`,
		r.ID, payments.Paid, payments.Refunded)
	if err != nil {
		return nil, fmt.Errorf("reading a registration's receipts: %w", err)
	}
	defer rows.Close()
	var out []Receipt
	for rows.Next() {
		var id int64
		var status string
		var at time.Time
		if err := rows.Scan(&id, &status, &at); err != nil {
			return nil, fmt.Errorf("reading a registration's receipts: %w", err)
		}
		rc := Receipt{Number: fmt.Sprintf("R-%06d", id), Registration: r, Refunded: status == payments.Refunded}
		for _, p := range r.Payments {
			if p.ID == id {
				rc.Payment = p
			}
		}
		// A paid payment's last change is its payment; a refunded one's is
		// its refund, and the checkout's start stands for when it was paid.
		rc.PaidAt = at
		if rc.Refunded {
			rc.PaidAt, rc.RefundedAt = rc.Payment.CreatedAt, at
		}
		out = append(out, rc)
	}
	return out, rows.Err()
}

// Registrant is who acts on a registration through its link: the
// signed-in person (0 without an account).
type Registrant struct {
	PersonID int64
}

// started reports whether the meeting's first day has begun at now in
// its own time zone.
func started(m Meeting, now time.Time) bool {
	loc, err := time.LoadLocation(m.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	first, err := time.ParseInLocation(DateLayout, m.StartsOn, loc)
	if err != nil {
		return true
	}
	return !now.Before(first)
}

// lockedForRegistrant reads the registration at token under its lock and
// refuses when the meeting has begun or the registration is cancelled.
func lockedForRegistrant(ctx context.Context, tx *store.Tx, token string, now time.Time) (Registration, error) {
	if token == "" {
		return Registration{}, ErrNotFound
	}
	if err := tx.Lock(ctx, "registration:"+token); err != nil {
		return Registration{}, err
	}
	r, err := byToken(ctx, tx, token)
	if err != nil {
		return r, err
	}
	m, err := Get(ctx, tx, r.MeetingID)
	if err != nil {
		return r, err
	}
	switch {
	case r.Status == Cancelled:
		return r, ErrCancelled
	case started(m, now):
		return r, ErrStarted
	}
	return r, nil
}

// Cancel cancels the registration at token for its registrant, by the
// rule above: the place is freed; a paid registration becomes a refund
// request for finance. It writes its audit entry in the same transaction
// and returns whether a refund request was filed.
func Cancel(ctx context.Context, db *store.DB, log *audit.Log, who Registrant, token string, now time.Time) (bool, error) {
	if log == nil {
		return false, ErrNoAudit
	}
	now = now.UTC()
	var refund bool
	err := db.Tx(ctx, func(tx *store.Tx) error {
		r, err := lockedForRegistrant(ctx, tx, token, now)
		if err != nil {
			return err
		}
		refund = r.Status == Paid
		if refund {
			_, err = tx.Exec(ctx, `UPDATE registrations SET status = ?, cancelled_at = ?,
				refund_requested_at = COALESCE(refund_requested_at, ?),
				refund_reason = CASE WHEN refund_reason = '' THEN ? ELSE refund_reason END WHERE id = ?`,
				Cancelled, now, now, "cancelled by the registrant", r.ID)
		} else {
			_, err = tx.Exec(ctx, "UPDATE registrations SET status = ?, cancelled_at = ? WHERE id = ?", Cancelled, now, r.ID)
		}
		if err != nil {
			return fmt.Errorf("cancelling a registration: %w", err)
		}
		detail := fmt.Sprintf("meeting %d, was %s", r.MeetingID, r.Status)
		if refund {
			detail += "; refund requested"
		}
		return log.Record(ctx, tx, audit.Entry{Actor: who.PersonID, Label: "registrant", Action: "meetings.cancel",
			Subject: fmt.Sprintf("registration:%d", r.ID), Detail: detail})
	})
	return refund, err
}

// CleanReason checks the reason typed with a refund request (optional).
func CleanReason(s string) (string, error) {
	return people.CleanText("reason", "The reason", s, MaxRefundReason, false, true)
}

// RequestRefund files a refund request for the paid registration at token
// without cancelling it; finance decides it. Audited in the same
// transaction.
func RequestRefund(ctx context.Context, db *store.DB, log *audit.Log, who Registrant, token, reason string, now time.Time) error {
	if log == nil {
		return ErrNoAudit
	}
	reason, err := CleanReason(reason)
	if err != nil {
		return err
	}
	if reason == "" {
		reason = "asked by the registrant"
	}
	now = now.UTC()
	return db.Tx(ctx, func(tx *store.Tx) error {
		r, err := lockedForRegistrant(ctx, tx, token, now)
		if err != nil {
			return err
		}
		if r.Status != Paid {
			return ErrNotPaid
		}
		res, err := tx.Exec(ctx, "UPDATE registrations SET refund_requested_at = ?, refund_reason = ? WHERE id = ? AND refund_requested_at IS NULL", now, reason, r.ID)
		if err != nil {
			return fmt.Errorf("recording a refund request: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return ErrRefundRequested
		}
		return log.Record(ctx, tx, audit.Entry{Actor: who.PersonID, Label: "registrant", Action: "meetings.refund_request",
			Subject: fmt.Sprintf("registration:%d", r.ID), Detail: fmt.Sprintf("meeting %d", r.MeetingID)})
	})
}

// RefundRequest is a refund asked for and not given yet, for finance.
type RefundRequest struct {
	RegistrationID int64
	MeetingName    string
	Registrant     string
	Status         string // the registration's: paid, cancelled, or expired (a payment after its place was released)
	PaymentID      int64
	PaymentStatus  string // paid, or refund_requested while the processor has not confirmed it
	Amount         int64
	Currency       string
	Processor      string
	RequestedAt    time.Time
	PaidAt         time.Time // when the payment arrived (its last change while paid)
	Reason         string
	// LastError is the processor's answer to the last refund that did not
	// go through, at FailedAt; RetryAt is when the payments job asks
	// again, nil when it does not (the processor refused).
	LastError string
	FailedAt  *time.Time
	RetryAt   *time.Time
}

// Price is the amount in words.
func (r RefundRequest) Price() string { return Money(r.Amount, r.Currency) }

// Asked reports whether the refund was asked of the processor and not
// yet confirmed: pressing the button again finishes it with its key.
func (r RefundRequest) Asked() bool { return r.PaymentStatus == payments.RefundRequested }

// RefundRequests lists the refund requests whose payment is not yet
// refunded, oldest first, for finance: those asked for by registrants,
// any paid payment of a cancelled registration (a checkout paid after its
// registration was cancelled) or of one whose place was released (the
// payments job refunds it; listed in case the processor refuses), and
// every refund asked of the processor and not confirmed, with the
// processor's last answer. Refunding the payment takes it off.
func RefundRequests(ctx context.Context, q store.Querier) ([]RefundRequest, error) {
	rows, err := q.Query(ctx, refundSelect+`
		WHERE (p.status = ? AND (r.refund_requested_at IS NOT NULL OR r.status IN (?, ?))) OR p.status = ?
		ORDER BY r.id LIMIT 500`, payments.Paid, Cancelled, Expired, payments.RefundRequested)
	if err != nil {
		return nil, fmt.Errorf("listing refund requests: %w", err)
	}
	defer rows.Close()
	var out []RefundRequest
	for rows.Next() {
		x, err := scanRefund(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing refund requests: %w", err)
	}
	slices.SortStableFunc(out, func(a, b RefundRequest) int { return a.RequestedAt.Compare(b.RequestedAt) })
	return out, nil
}

// RefundOf reads payment id as finance's confirmation of its refund shows
// it, whether or not a refund was asked for: then Reason is empty and
// RequestedAt the time it was paid.
func RefundOf(ctx context.Context, q store.Querier, id int64) (RefundRequest, error) {
	rows, err := q.Query(ctx, refundSelect+" WHERE p.id = ?", id)
	if err != nil {
		return RefundRequest{}, fmt.Errorf("reading payment %d: %w", id, err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return RefundRequest{}, fmt.Errorf("reading payment %d: %w", id, err)
		}
		return RefundRequest{}, ErrNotFound
	}
	return scanRefund(rows)
}

const refundSelect = `SELECT r.id, m.name, r.name, r.status, p.id, p.status, p.amount, p.currency, p.processor,
		r.refund_requested_at, r.cancelled_at, p.updated_at, r.refund_reason, p.refund_error, p.refund_failed_at, p.refund_retry_at
	FROM registrations r JOIN meetings m ON m.id = r.meeting_id JOIN payments p ON p.registration_id = r.id`

func scanRefund(rows interface{ Scan(...any) error }) (RefundRequest, error) {
	var x RefundRequest
	var requested, cancelled, failed, retry sql.NullTime
	var paid time.Time
	if err := rows.Scan(&x.RegistrationID, &x.MeetingName, &x.Registrant, &x.Status, &x.PaymentID, &x.PaymentStatus, &x.Amount, &x.Currency, &x.Processor,
		&requested, &cancelled, &paid, &x.Reason, &x.LastError, &failed, &retry); err != nil {
		return x, fmt.Errorf("reading a refund request: %w", err)
	}
	switch {
	case requested.Valid:
		x.RequestedAt = requested.Time
	case cancelled.Valid && cancelled.Time.After(paid):
		x.RequestedAt = cancelled.Time
	default:
		x.RequestedAt = paid
	}
	x.PaidAt = paid
	x.FailedAt, x.RetryAt = store.TimeOrNil(failed), store.TimeOrNil(retry)
	return x, nil
}

// Refundable reports whether finance may refund the payment now: it is
// paid, or its refund was asked of the processor and is to be finished.
func (r RefundRequest) Refundable() bool {
	return r.PaymentStatus == payments.Paid || r.PaymentStatus == payments.RefundRequested
}

// StatusLabel says the registration's status in words.
func (r RefundRequest) StatusLabel() string { return RegistrationStatusLabel(r.Status) }

// PaymentStatusLabel says the payment's status in words.
func (r RefundRequest) PaymentStatusLabel() string { return PaymentStatusLabel(r.PaymentStatus) }

// CancelNotice is the mail that confirms a cancellation to the address
// the registration was made with, so that a cancellation made through a
// forwarded link does not go unnoticed. It names no detail beyond the
// name and meeting.
func CancelNotice(r Registration, refund bool, baseURL, org string) mail.Message {
	body := fmt.Sprintf("Dear %s,\n\nyour registration for %s is cancelled, and its place is free for someone else.\n\n", r.Name, r.MeetingName)
	if refund {
		body += "As it was paid, a refund request went to our finance staff; they decide it and refund to your card through the card processor.\n\n"
	}
	body += fmt.Sprintf("Your registration's page stays at\n%s/registrations/%s\n\nIf you did not cancel it, please write to us through the contact page.\n", strings.TrimSuffix(baseURL, "/"), r.Token)
	return mail.Message{To: r.Email, Subject: fmt.Sprintf("Your registration for %s is cancelled (%s)", r.MeetingName, org), Body: body}
}
