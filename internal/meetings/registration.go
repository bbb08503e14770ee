package meetings

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"plenary/internal/audit"
	"plenary/internal/inventory"
	"plenary/internal/mail"
	"plenary/internal/payments"
	"plenary/internal/people"
	"plenary/internal/policy"
	"plenary/internal/secrets"
	"plenary/internal/store"
	"plenary/internal/validate"
)

// PurposeRegistration is the consent ledger's purpose for a registration.
const PurposeRegistration = "registering for a meeting and paying for it"

// Registration statuses: a paid ticket is unpaid until its payment
// arrives; a free one is confirmed at once.
const (
	Unpaid    = "unpaid"
	Paid      = "paid"
	Confirmed = "confirmed"
	Cancelled = "cancelled"
)

// RegForm is what the registration form sends.
type RegForm struct {
	Name, Email, PostalAddress, Affiliation, Ticket string
	AgeOK, Consent, ListMe                          bool
}

// ErrTooYoung refuses a registrant who did not say they are 13 or older
// (CH1); nothing they typed is kept.
var ErrTooYoung = errors.New("Registration is open only to people aged 13 or older, so nothing you typed has been kept.")

// Clean checks every field at once. An unticked age box is ErrTooYoung
// alone: the rest is not looked at, and the page keeps nothing.
func (f RegForm) Clean(m Meeting) (RegForm, Ticket, error) {
	if !f.AgeOK {
		return RegForm{}, Ticket{}, ErrTooYoung
	}
	var p validate.Errors
	var err error
	f.Name, err = people.CleanName(f.Name)
	p.Check("name", err)
	f.Email, err = people.CleanEmail(f.Email)
	p.Check("email", err)
	f.PostalAddress, err = people.CleanText("postal_address", "The postal address", f.PostalAddress, people.MaxAddress, false, true)
	p.Check("postal_address", err)
	f.Affiliation, err = people.CleanText("affiliation", "The affiliation", f.Affiliation, people.MaxAffil, false, false)
	p.Check("affiliation", err)
	id, _ := strconv.ParseInt(f.Ticket, 10, 64)
	t, ok := m.Ticket(id)
	if !ok {
		p.Add("ticket", "Please choose a ticket.")
	}
	if !f.Consent {
		p.Add("consent", "Please agree that your registration is kept and processed as described, so that you can attend.")
	}
	return f, t, p.Err()
}

// Registration is one registration with what its page shows.
type Registration struct {
	ID            int64
	MeetingID     int64
	MeetingName   string
	Ticket        Ticket
	PersonID      int64
	Name, Email   string
	PostalAddress string
	Affiliation   string
	ListMe        bool
	Status        string
	Token         string
	CreatedAt     time.Time
	Payments      []Payment
}

// StatusLabel says the registration's status in words.
func (r Registration) StatusLabel() string { return RegistrationStatusLabel(r.Status) }

// RegistrationStatusLabel says a registration status in words; an
// unknown one is returned as it is.
func RegistrationStatusLabel(status string) string {
	switch status {
	case Unpaid:
		return "waiting for payment"
	case Paid:
		return "paid"
	case Confirmed:
		return "confirmed"
	case Cancelled:
		return "cancelled"
	case Expired:
		return "place released, not paid in time"
	}
	return status
}

// Due reports whether the registration waits for its payment.
func (r Registration) Due() bool { return r.Status == Unpaid }

// Sign-up is what Register needs besides the cleaned form.
type SignUp struct {
	Form      RegForm
	Ticket    Ticket
	MeetingID int64
	PersonID  int64  // 0 without an account
	VersionID int64  // the privacy statement version shown
	Transfer  string // the transfer statement shown (C6)
}

// Register stores a registration with its consent entry and audit entry
// in one transaction. The meeting's capacity is checked inside it, under
// the meeting's lock on PostgreSQL (SQLite's single writer serializes it
// anyway), so the last ticket is sold once however many ask at once.
func Register(ctx context.Context, db *store.DB, log *audit.Log, s SignUp, now time.Time) (Registration, error) {
	if log == nil {
		return Registration{}, ErrNoAudit
	}
	token, err := newToken()
	if err != nil {
		return Registration{}, err
	}
	now = now.UTC()
	var reg Registration
	err = db.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.Lock(ctx, fmt.Sprintf("meeting:%d", s.MeetingID)); err != nil {
			return err
		}
		m, err := Get(ctx, tx, s.MeetingID)
		if err != nil {
			return err
		}
		if !m.OpenAt(now) {
			return ErrClosed
		}
		if m.Taken >= m.Capacity {
			return ErrFull
		}
		t, ok := m.Ticket(s.Ticket.ID)
		if !ok {
			return ErrNotFound
		}
		status := Unpaid
		if t.Fee == 0 {
			status = Confirmed
		}
		var person any
		if s.PersonID != 0 {
			person = s.PersonID
		}
		f := s.Form
		id, err := store.Insert(ctx, tx, `INSERT INTO registrations (meeting_id, ticket_id, person_id, name, email, postal_address, affiliation, list_me, status, token, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, m.ID, t.ID, person, f.Name, f.Email, f.PostalAddress, f.Affiliation, f.ListMe, status, token, now)
		if err != nil {
			return fmt.Errorf("storing a registration: %w", err)
		}
		c := policy.Consent{PersonID: s.PersonID, Purpose: PurposeRegistration, Granted: true, VersionID: s.VersionID,
			Channel: policy.ChannelWeb, Transfer: s.Transfer, At: now}
		if s.PersonID == 0 {
			c.RegistrationID = id
		}
		if err := policy.Record(ctx, tx, c); err != nil {
			return err
		}
		if err := log.Record(ctx, tx, audit.Entry{Actor: s.PersonID, Label: "registration form", Action: "meetings.register",
			Subject: fmt.Sprintf("registration:%d", id), Detail: fmt.Sprintf("meeting %d, ticket %d", m.ID, t.ID)}); err != nil {
			return err
		}
		reg, err = byToken(ctx, tx, token)
		return err
	})
	return reg, err
}

const regColumns = `r.id, r.meeting_id, m.name, t.id, t.name, t.fee, t.currency, COALESCE(r.person_id, 0), r.name, r.email, r.postal_address, r.affiliation, r.list_me, r.status, r.token, r.created_at`

func scanReg(row interface{ Scan(...any) error }) (Registration, error) {
	var r Registration
	err := row.Scan(&r.ID, &r.MeetingID, &r.MeetingName, &r.Ticket.ID, &r.Ticket.Name, &r.Ticket.Fee, &r.Ticket.Currency, &r.PersonID,
		&r.Name, &r.Email, &r.PostalAddress, &r.Affiliation, &r.ListMe, &r.Status, &r.Token, &r.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrNotFound
	}
	if err != nil {
		return r, fmt.Errorf("reading a registration: %w", err)
	}
	return r, nil
}

const regFrom = ` FROM registrations r JOIN meetings m ON m.id = r.meeting_id JOIN meeting_tickets t ON t.id = r.ticket_id`

func byToken(ctx context.Context, q store.Querier, token string) (Registration, error) {
	r, err := scanReg(q.QueryRow(ctx, "SELECT "+regColumns+regFrom+" WHERE r.token = ?", token))
	if err != nil {
		return r, err
	}
	r.Payments, err = paymentsOf(ctx, q, r.ID)
	return r, err
}

// ByToken returns the registration whose page is at token, for its
// registrant. No audit entry: the link is the registrant's own.
func ByToken(ctx context.Context, q store.Querier, token string) (Registration, error) {
	if token == "" {
		return Registration{}, ErrNotFound
	}
	return byToken(ctx, q, token)
}

// OfPerson returns the registrations made while signed in as person,
// newest first, with their payments, for their own account page.
func OfPerson(ctx context.Context, q store.Querier, person int64) ([]Registration, error) {
	rows, err := q.Query(ctx, "SELECT "+regColumns+regFrom+" WHERE r.person_id = ? ORDER BY r.created_at DESC, r.id DESC", person)
	if err != nil {
		return nil, fmt.Errorf("listing a person's registrations: %w", err)
	}
	var out []Registration
	for rows.Next() {
		r, err := scanReg(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Payments, err = paymentsOf(ctx, q, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Payment is a payment as its registrant sees it: no card detail.
type Payment struct {
	ID            int64
	Processor     string
	CheckoutID    string
	CheckoutURL   string
	Amount        int64
	Currency      string
	Status        string
	TransactionID string
	CreatedAt     time.Time
}

// Price is the amount in words.
func (p Payment) Price() string { return Money(p.Amount, p.Currency) }

// paymentLabels says each payment status in words, in the order a
// payment goes through them.
var paymentLabels = []struct{ status, label string }{
	{payments.Starting, "being opened at the processor"},
	{payments.Open, "open, not paid"},
	{payments.Declined, "card declined, open for another"},
	{payments.Expired, "closed unpaid"},
	{payments.Paid, "paid"},
	{payments.RefundRequested, "refund asked of the processor, not confirmed"},
	{payments.Refunded, "refunded"},
}

// PaymentStatuses lists the statuses a payment can have, in the order a
// payment goes through them.
func PaymentStatuses() []string {
	out := make([]string, len(paymentLabels))
	for i, l := range paymentLabels {
		out[i] = l.status
	}
	return out
}

// PaymentStatusLabel says a payment status in words; an unknown one is
// returned as it is.
func PaymentStatusLabel(status string) string {
	for _, l := range paymentLabels {
		if l.status == status {
			return l.label
		}
	}
	return status
}

// StatusLabel says the payment's status in words.
func (p Payment) StatusLabel() string { return PaymentStatusLabel(p.Status) }

func paymentsOf(ctx context.Context, q store.Querier, reg int64) ([]Payment, error) {
	rows, err := q.Query(ctx, `SELECT id, processor, checkout_id, checkout_url, amount, currency, status, transaction_id, created_at
		FROM payments WHERE registration_id = ? ORDER BY id`, reg)
	if err != nil {
		return nil, fmt.Errorf("reading payments: %w", err)
	}
	defer rows.Close()
	var out []Payment
	for rows.Next() {
		var p Payment
		if err := rows.Scan(&p.ID, &p.Processor, &p.CheckoutID, &p.CheckoutURL, &p.Amount, &p.Currency, &p.Status, &p.TransactionID, &p.CreatedAt); err != nil {
			return nil, fmt.Errorf("reading payments: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// sealContext binds a sealed payment field to its row.
func sealContext(field string, id int64) string { return inventory.SealContext("payments", field, id) }

// FinanceRecord is a payment as finance sees it, card details opened.
type FinanceRecord struct {
	Payment
	UpdatedAt      time.Time
	RegistrationID int64
	MeetingName    string
	Registrant     string
	AuthCode       string
	Last4          string
}

// FinanceFilter narrows finance's list of payments; the zero value is
// every payment, newest first, first page.
type FinanceFilter struct {
	Meeting int64  // 0: every meeting
	Status  string // "": every status; else one of PaymentStatuses
	Page    int    // from 1
}

// FinancePageSize is how many payments a page of finance's list shows.
const FinancePageSize = 50

// FinancePage is one page of finance's list of payments.
type FinancePage struct {
	Records []FinanceRecord
	Filter  FinanceFilter
	More    bool // a next page follows
}

// FinanceList returns a page of payments, newest first, narrowed by f,
// with their sealed details opened, for staff with the finance role, and
// writes the view to the audit log in the same transaction (P2).
func FinanceList(ctx context.Context, db *store.DB, log *audit.Log, sealer *secrets.Sealer, staff Staff, f FinanceFilter) (FinancePage, error) {
	if log == nil {
		return FinancePage{}, ErrNoAudit
	}
	if f.Page < 1 {
		f.Page = 1
	}
	if !slices.Contains(PaymentStatuses(), f.Status) {
		f.Status = "" // none, or not a status: every one
	}
	out := FinancePage{Filter: f}
	where, args := []string{"1 = 1"}, []any{}
	if f.Meeting != 0 {
		where, args = append(where, "r.meeting_id = ?"), append(args, f.Meeting)
	}
	if f.Status != "" {
		where, args = append(where, "p.status = ?"), append(args, f.Status)
	}
	args = append(args, FinancePageSize+1, (f.Page-1)*FinancePageSize)
	err := db.Tx(ctx, func(tx *store.Tx) error {
		out.Records, out.More = nil, false
		rows, err := tx.Query(ctx, `SELECT p.id, p.processor, p.checkout_id, p.checkout_url, p.amount, p.currency, p.status, p.transaction_id, p.created_at, p.updated_at,
			p.auth_code, p.last4, r.id, m.name, r.name
			FROM payments p JOIN registrations r ON r.id = p.registration_id JOIN meetings m ON m.id = r.meeting_id
			WHERE `+strings.Join(where, " AND ")+` ORDER BY p.id DESC LIMIT ? OFFSET ?`, args...)
		if err != nil {
			return fmt.Errorf("listing payments: %w", err)
		}
		defer rows.Close()
		var ids []string
		for rows.Next() {
			var f FinanceRecord
			var auth, last4 []byte
			if err := rows.Scan(&f.ID, &f.Processor, &f.CheckoutID, &f.CheckoutURL, &f.Amount, &f.Currency, &f.Status, &f.TransactionID, &f.CreatedAt, &f.UpdatedAt,
				&auth, &last4, &f.RegistrationID, &f.MeetingName, &f.Registrant); err != nil {
				return fmt.Errorf("listing payments: %w", err)
			}
			if len(out.Records) == FinancePageSize {
				out.More = true
				break
			}
			if sealer != nil && len(auth) > 0 {
				b, err := sealer.Open(auth, sealContext("auth_code", f.ID))
				if err != nil {
					return fmt.Errorf("opening payment %d: %w", f.ID, err)
				}
				f.AuthCode = string(b)
			}
			if sealer != nil && len(last4) > 0 {
				b, err := sealer.Open(last4, sealContext("last4", f.ID))
				if err != nil {
					return fmt.Errorf("opening payment %d: %w", f.ID, err)
				}
				f.Last4 = string(b)
			}
			out.Records = append(out.Records, f)
			ids = append(ids, strconv.FormatInt(f.ID, 10))
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		return log.Record(ctx, tx, audit.Entry{Actor: staff.ID, Label: staff.Name, Action: "payments.view",
			Detail: fmt.Sprintf("%d payments: %s", len(out.Records), strings.Join(ids, ","))})
	})
	return out, err
}

// Shred removes the non-public details of registrations for meetings
// that ended more than days ago (U3): the postal address, e-mail
// address and the reason typed with a refund request always, the affiliation unless the registrant asked to be on
// the public list. Name, ticket, status and payment record stay for the
// books. days < 0 keeps them forever. It returns how many registrations
// it shredded.
func Shred(ctx context.Context, q store.Querier, now time.Time, days int) (int64, error) {
	if days < 0 {
		return 0, nil
	}
	cutoff := now.UTC().AddDate(0, 0, -days).Format(DateLayout)
	res, err := q.Exec(ctx, `UPDATE registrations SET postal_address = '', email = '', refund_reason = '',
		affiliation = CASE WHEN list_me THEN affiliation ELSE '' END, shredded_at = ?
		WHERE shredded_at IS NULL AND meeting_id IN (SELECT id FROM meetings WHERE ends_on < ?)`, now.UTC(), cutoff)
	if err != nil {
		return 0, fmt.Errorf("shredding registrations: %w", err)
	}
	return res.RowsAffected()
}

// Confirmation is the mail that confirms a registration; it carries the
// link to the registrant's own page and no detail beyond the name.
func Confirmation(r Registration, baseURL, org string) mail.Message {
	body := fmt.Sprintf("Dear %s,\n\nyou are registered for %s with the ticket %s (%s).\n\n", r.Name, r.MeetingName, r.Ticket.Name, r.Ticket.Price())
	if r.Due() {
		body += "Your registration is complete once it is paid; we write to you when the payment arrives. "
	}
	body += fmt.Sprintf("Your registration, its payment and its receipt are at\n%s/registrations/%s\n\nKeep this link to yourself: it opens your registration.\n", strings.TrimSuffix(baseURL, "/"), r.Token)
	return mail.Message{To: r.Email, Subject: fmt.Sprintf("Your registration for %s (%s)", r.MeetingName, org), Body: body}
}

// ErrNotRefundable refuses a refund of a payment that is not paid.
var ErrNotRefundable = errors.New("Only a paid payment can be refunded.")

// Refund gives a paid payment back through c's processor, marks it
// refunded and the registration cancelled (its place is free again), with
// audit entries and the registrant's notice, without holding a
// transaction while the processor answers; a payment whose refund was
// asked for and not recorded is asked for again with the same idempotency
// key (refund.go). Finance staff only (the route).
func (c Checkouts) Refund(ctx context.Context, staff Staff, paymentID int64, now time.Time) error {
	_, err := c.refundPayment(ctx, paymentID, refundBy{actor: staff.ID, label: staff.Name, reason: "refunded by finance"}, now)
	return err
}
