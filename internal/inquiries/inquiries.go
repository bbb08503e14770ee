// Package inquiries keeps what people send through the contact form and
// the thread of answers that follows (U5, R1). Anyone may write, without an
// account; the sender's contact details are seen only by the staff who
// answer inquiries, every view of them is audited, and they are used only
// to answer: staff reply by mail from an address that brings the sender's
// own reply back to the inquiry. Closed inquiries are deleted when their
// retention ends. The package knows nothing of HTTP.
package inquiries

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"

	"plenary/internal/audit"
	"plenary/internal/mail"
	"plenary/internal/people"
	"plenary/internal/policy"
	"plenary/internal/store"
)

// Category is a kind of inquiry, chosen by the sender.
type Category struct {
	Key   string
	Label string
	// AdminOnly inquiries are read by administrators alone; they go to
	// the privacy contact.
	AdminOnly bool
}

// Privacy is the category of privacy questions and requests (R1).
const Privacy = "privacy"

// Categories lists the kinds of inquiry, in the form's order.
var Categories = []Category{
	{Key: "general", Label: "General question"},
	{Key: "participation", Label: "Taking part in the work"},
	{Key: "meetings", Label: "Meetings and registration"},
	{Key: "documents", Label: "Documents and submissions"},
	{Key: Privacy, Label: "Privacy question or request", AdminOnly: true},
}

// CategoryOf returns the category with key, or false.
func CategoryOf(key string) (Category, bool) {
	for _, c := range Categories {
		if c.Key == key {
			return c, true
		}
	}
	return Category{}, false
}

// PurposeInquiry is the consent ledger's purpose for a submission.
const PurposeInquiry = "answering an inquiry sent through the contact form"

// Limits on what the form takes.
const (
	MaxName    = people.MaxName
	MaxMessage = 10000
	// MaxReply bounds a staff answer and a sender's reply by mail.
	MaxReply = 20000
)

// Mailbox is the local part of the reply addresses: inquiry+TOKEN@domain.
const Mailbox = "inquiry"

// Errors with messages fit for the person.
var (
	ErrNotFound = errors.New("There is no such inquiry, or it is not yours to read.")
	ErrNoAudit  = errors.New("The audit log is not available, so inquiries cannot be shown.")
)

// Form is what the contact form sends.
type Form struct {
	Name, Email, Category, Message string
	Consent                        bool
}

// Problems maps a form field to what is wrong with it; empty when the
// form is good.
type Problems map[string]string

// FieldProblem is one field's problem.
type FieldProblem struct{ Field, Message string }

// InOrder lists the problems in the form's order, for the summary at the
// top of the page.
func (p Problems) InOrder() []FieldProblem {
	var out []FieldProblem
	for _, f := range []string{"name", "email", "category", "message", "consent"} {
		if m, ok := p[f]; ok {
			out = append(out, FieldProblem{f, m})
		}
	}
	return out
}

// Clean checks every field of f at once and returns the cleaned form and
// every problem, so the page can show them all and keep what was typed.
func (f Form) Clean() (Form, Problems) {
	p := Problems{}
	var err error
	if f.Name, err = people.CleanName(f.Name); err != nil {
		p["name"] = err.Error()
	}
	if f.Email, err = people.CleanEmail(f.Email); err != nil {
		p["email"] = err.Error()
	}
	if _, ok := CategoryOf(f.Category); !ok {
		p["category"] = "Please choose what your inquiry is about."
	}
	if f.Message, err = people.CleanText("message", "The message", f.Message, MaxMessage, true, true); err != nil {
		p["message"] = err.Error()
	}
	if !f.Consent {
		p["consent"] = "Please agree that what you send is kept as described, so that we can answer."
	}
	return f, p
}

// Inquiry is one inquiry with its thread.
type Inquiry struct {
	ID         int64
	Name       string
	Email      string
	Category   string
	Message    string
	ReplyToken string
	ClosedAt   *time.Time
	ClosedBy   int64
	CreatedAt  time.Time
	UpdatedAt  time.Time
	Thread     []Message
}

// Open reports whether the inquiry still waits for staff.
func (in Inquiry) Open() bool { return in.ClosedAt == nil }

// CategoryLabel is the category in words.
func (in Inquiry) CategoryLabel() string {
	c, ok := CategoryOf(in.Category)
	if !ok {
		return in.Category
	}
	return c.Label
}

// Directions of a thread message.
const (
	FromStaff  = "staff"
	FromSender = "sender"
)

// Message is one message of an inquiry's thread.
type Message struct {
	ID        int64
	Direction string
	StaffID   int64
	StaffName string // empty when the staff account is gone
	Body      string
	CreatedAt time.Time
}

// Staff is who acts on inquiries.
type Staff struct {
	ID    int64
	Name  string
	Admin bool // sees privacy questions
}

// canSee reports whether staff may read inquiries of category.
func (s Staff) canSee(category string) bool {
	c, ok := CategoryOf(category)
	return s.Admin || (ok && !c.AdminOnly)
}

// ReplyAddress is the address staff answer from; a reply to it comes
// back to the inquiry through the inbound listener.
func (in Inquiry) ReplyAddress(domain string) string {
	return Mailbox + "+" + in.ReplyToken + "@" + domain
}

func newToken() (string, error) {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("making a reply address: %w", err)
	}
	// Lower-case base32: mail systems may fold the case of a local part.
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)), nil
}

// Submission is a cleaned form with what the sender was shown.
type Submission struct {
	Form      Form
	VersionID int64  // the privacy statement version current when it was sent
	Transfer  string // the transfer statement the form showed (C6)
}

// Submit stores an inquiry sent through the contact form, with its
// consent-ledger entry (C5, C6) and an audit entry, in one transaction.
// The form must have been cleaned with Form.Clean.
func Submit(ctx context.Context, db *store.DB, log *audit.Log, sub Submission, now time.Time) (Inquiry, error) {
	if log == nil {
		return Inquiry{}, ErrNoAudit
	}
	var in Inquiry
	err := db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		if in, err = Insert(ctx, tx, sub, now); err != nil {
			return err
		}
		return log.Record(ctx, tx, audit.Entry{Label: "contact form", Action: "inquiries.submit",
			Subject: fmt.Sprintf("inquiry:%d", in.ID), Detail: "category " + in.Category})
	})
	return in, err
}

// Insert stores an inquiry and its consent entry on q, without an audit
// entry: Submit's part that the demo content uses too.
func Insert(ctx context.Context, q store.Querier, sub Submission, now time.Time) (Inquiry, error) {
	if _, p := sub.Form.Clean(); len(p) > 0 {
		return Inquiry{}, fmt.Errorf("inquiries: storing a form with problems: %v", p)
	}
	token, err := newToken()
	if err != nil {
		return Inquiry{}, err
	}
	now = now.UTC()
	f := sub.Form
	id, err := store.Insert(ctx, q, `INSERT INTO inquiries (name, email, category, message, reply_token, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, f.Name, f.Email, f.Category, f.Message, token, now, now)
	if err != nil {
		return Inquiry{}, fmt.Errorf("storing an inquiry: %w", err)
	}
	if err := policy.Record(ctx, q, policy.Consent{
		InquiryID: id, Purpose: PurposeInquiry, Granted: true, VersionID: sub.VersionID,
		Channel: policy.ChannelWeb, Transfer: sub.Transfer, At: now,
	}); err != nil {
		return Inquiry{}, err
	}
	return get(ctx, q, id)
}

const inquiryColumns = "id, name, email, category, message, reply_token, closed_at, closed_by, created_at, updated_at"

func scanInquiry(row interface{ Scan(...any) error }) (Inquiry, error) {
	var in Inquiry
	var closed sql.NullTime
	var by sql.NullInt64
	err := row.Scan(&in.ID, &in.Name, &in.Email, &in.Category, &in.Message, &in.ReplyToken, &closed, &by, &in.CreatedAt, &in.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return in, ErrNotFound
	}
	if err != nil {
		return in, fmt.Errorf("reading an inquiry: %w", err)
	}
	if closed.Valid {
		t := closed.Time
		in.ClosedAt = &t
	}
	in.ClosedBy = by.Int64
	return in, nil
}

func get(ctx context.Context, q store.Querier, id int64) (Inquiry, error) {
	return scanInquiry(q.QueryRow(ctx, "SELECT "+inquiryColumns+" FROM inquiries WHERE id = ?", id))
}

func thread(ctx context.Context, q store.Querier, id int64) ([]Message, error) {
	rows, err := q.Query(ctx, `SELECT m.id, m.direction, m.staff_id, p.name, m.body, m.created_at
		FROM inquiry_messages m LEFT JOIN people p ON p.id = m.staff_id
		WHERE m.inquiry_id = ? ORDER BY m.id`, id)
	if err != nil {
		return nil, fmt.Errorf("reading an inquiry's thread: %w", err)
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		var m Message
		var staff sql.NullInt64
		var name sql.NullString
		if err := rows.Scan(&m.ID, &m.Direction, &staff, &name, &m.Body, &m.CreatedAt); err != nil {
			return nil, fmt.Errorf("reading an inquiry's thread: %w", err)
		}
		m.StaffID, m.StaffName = staff.Int64, name.String
		out = append(out, m)
	}
	return out, rows.Err()
}

// SentFrom returns the inquiries sent from any of addrs, with their
// threads, newest first: what a participant sees on their account page
// about inquiries sent from addresses they proved are theirs (R2). No
// audit entry: it is the person's own data, not staff access.
func SentFrom(ctx context.Context, q store.Querier, addrs []string) ([]Inquiry, error) {
	if len(addrs) == 0 {
		return nil, nil
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(addrs)), ", ")
	args := make([]any, len(addrs))
	for i, a := range addrs {
		args[i] = strings.ToLower(a)
	}
	rows, err := q.Query(ctx, "SELECT "+inquiryColumns+" FROM inquiries WHERE LOWER(email) IN ("+marks+") ORDER BY created_at DESC, id DESC", args...)
	if err != nil {
		return nil, fmt.Errorf("listing a person's inquiries: %w", err)
	}
	var out []Inquiry
	for rows.Next() {
		in, err := scanInquiry(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, in)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Thread, err = thread(ctx, q, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Summary is an inquiry as the inbox lists it.
type Summary struct {
	ID        int64
	Name      string
	Category  string
	CreatedAt time.Time
	UpdatedAt time.Time
	Closed    bool
	Replies   int
}

// CategoryLabel is the category in words.
func (s Summary) CategoryLabel() string { return Inquiry{Category: s.Category}.CategoryLabel() }

// List returns the inquiries staff may read, open ones or closed ones,
// newest news first, and writes the listing (which shows senders' names)
// to the audit log in the same transaction.
func List(ctx context.Context, db *store.DB, log *audit.Log, staff Staff, closed bool) ([]Summary, error) {
	if log == nil {
		return nil, ErrNoAudit
	}
	var out []Summary
	err := db.Tx(ctx, func(tx *store.Tx) error {
		out = nil
		cond := "i.closed_at IS NULL"
		if closed {
			cond = "i.closed_at IS NOT NULL"
		}
		args := []any{}
		if !staff.Admin {
			cond += " AND i.category <> ?"
			args = append(args, Privacy)
		}
		rows, err := tx.Query(ctx, `SELECT i.id, i.name, i.category, i.created_at, i.updated_at, i.closed_at IS NOT NULL,
			(SELECT COUNT(*) FROM inquiry_messages m WHERE m.inquiry_id = i.id)
			FROM inquiries i WHERE `+cond+` ORDER BY i.updated_at DESC, i.id DESC LIMIT 500`, args...)
		if err != nil {
			return fmt.Errorf("listing inquiries: %w", err)
		}
		defer rows.Close()
		ids := []string{}
		for rows.Next() {
			var s Summary
			if err := rows.Scan(&s.ID, &s.Name, &s.Category, &s.CreatedAt, &s.UpdatedAt, &s.Closed, &s.Replies); err != nil {
				return fmt.Errorf("listing inquiries: %w", err)
			}
			out = append(out, s)
			ids = append(ids, fmt.Sprint(s.ID))
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		// The audit says whose names were shown, not the names.
		return log.Record(ctx, tx, audit.Entry{Actor: staff.ID, Label: staff.Name, Action: "inquiries.list",
			Detail: fmt.Sprintf("%d inquiries: %s", len(out), strings.Join(ids, ","))})
	})
	return out, err
}

// View returns one inquiry with its thread for staff who may read it,
// and writes the view of the sender's contact details to the audit log in
// the same transaction (U5). An inquiry staff may not read is reported
// as not found, like one that does not exist.
func View(ctx context.Context, db *store.DB, log *audit.Log, staff Staff, id int64) (Inquiry, error) {
	if log == nil {
		return Inquiry{}, ErrNoAudit
	}
	var in Inquiry
	err := db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		if in, err = visible(ctx, tx, staff, id); err != nil {
			return err
		}
		if in.Thread, err = thread(ctx, tx, id); err != nil {
			return err
		}
		return log.Record(ctx, tx, audit.Entry{Actor: staff.ID, Label: staff.Name, Action: "inquiries.view",
			Subject: fmt.Sprintf("inquiry:%d", id)})
	})
	return in, err
}

func visible(ctx context.Context, q store.Querier, staff Staff, id int64) (Inquiry, error) {
	in, err := get(ctx, q, id)
	if err != nil {
		return in, err
	}
	if !staff.canSee(in.Category) {
		return Inquiry{}, ErrNotFound
	}
	return in, nil
}

// CleanReply checks the text of a staff answer.
func CleanReply(body string) (string, error) {
	return people.CleanText("body", "The answer", body, MaxReply, true, true)
}

// Outgoing says how a staff answer is sent.
type Outgoing struct {
	Sender mail.Sender
	Domain string // the mail domain of the reply address
	Org    string // the organization's name, for the subject
}

// Reply sends a staff answer to the sender by mail, from the inquiry's
// reply address, and keeps it in the thread with an audit entry. The mail
// goes first: when it cannot be sent nothing is recorded and the error
// says so. Answering a closed inquiry opens it again.
func Reply(ctx context.Context, db *store.DB, log *audit.Log, out Outgoing, staff Staff, id int64, body string, now time.Time) error {
	if log == nil {
		return ErrNoAudit
	}
	body, err := CleanReply(body)
	if err != nil {
		return err
	}
	in, err := visible(ctx, db, staff, id)
	if err != nil {
		return err
	}
	msg := mail.Message{
		To:      in.Email,
		From:    in.ReplyAddress(out.Domain),
		Subject: fmt.Sprintf("Re: your inquiry to %s (%s)", out.Org, in.CategoryLabel()),
		Body: body + "\n\n-- \n" + fmt.Sprintf("This answers the inquiry you sent to %s on %s. "+
			"To write back, reply to this message: your reply is kept with your inquiry.\n",
			out.Org, in.CreatedAt.UTC().Format("2 January 2006")),
	}
	if err := out.Sender.Send(ctx, msg); err != nil {
		return fmt.Errorf("%w: %w", ErrNotSent, err)
	}
	now = now.UTC()
	return db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, "INSERT INTO inquiry_messages (inquiry_id, direction, staff_id, body, created_at) VALUES (?, ?, ?, ?, ?)",
			id, FromStaff, staff.ID, body, now); err != nil {
			return fmt.Errorf("keeping an answer: %w", err)
		}
		if _, err := tx.Exec(ctx, "UPDATE inquiries SET updated_at = ?, closed_at = NULL, closed_by = NULL WHERE id = ?", now, id); err != nil {
			return fmt.Errorf("keeping an answer: %w", err)
		}
		return log.Record(ctx, tx, audit.Entry{Actor: staff.ID, Label: staff.Name, Action: "inquiries.reply",
			Subject: fmt.Sprintf("inquiry:%d", id)})
	})
}

// ErrNotSent marks an answer the mail server did not take.
var ErrNotSent = errors.New("The answer could not be sent, so it was not kept; please try again later.")

// Close marks an inquiry as handled; its retention starts now.
func Close(ctx context.Context, db *store.DB, log *audit.Log, staff Staff, id int64, now time.Time) error {
	if log == nil {
		return ErrNoAudit
	}
	now = now.UTC()
	return db.Tx(ctx, func(tx *store.Tx) error {
		in, err := visible(ctx, tx, staff, id)
		if err != nil {
			return err
		}
		if !in.Open() {
			return nil
		}
		if _, err := tx.Exec(ctx, "UPDATE inquiries SET closed_at = ?, closed_by = ?, updated_at = ? WHERE id = ?", now, staff.ID, now, id); err != nil {
			return fmt.Errorf("closing an inquiry: %w", err)
		}
		return log.Record(ctx, tx, audit.Entry{Actor: staff.ID, Label: staff.Name, Action: "inquiries.close",
			Subject: fmt.Sprintf("inquiry:%d", id)})
	})
}

// tokenOf returns the token of a reply address's local part.
func tokenOf(local string) (string, bool) {
	tok, ok := strings.CutPrefix(strings.ToLower(local), Mailbox+"+")
	return tok, ok && tok != ""
}

// ReceiveReply keeps a sender's reply by mail with its inquiry, opening
// it again if it was closed. Only the address the inquiry came from may
// add to its thread: a reply from any other is refused, and so is one to
// an inquiry that no longer exists.
func ReceiveReply(ctx context.Context, db *store.DB, log *audit.Log, m mail.Inbound, now time.Time) error {
	if log == nil {
		return ErrNoAudit
	}
	tok, ok := tokenOf(m.Local)
	if !ok {
		return mail.Refuse("There is no such address here")
	}
	text := strings.TrimSpace(m.Text)
	if text == "" {
		return mail.Refuse("The reply is empty; nothing was kept")
	}
	if n := len([]rune(text)); n > MaxReply {
		return mail.Refuse(fmt.Sprintf("The reply is too long (%d characters, at most %d); nothing was kept", n, MaxReply))
	}
	now = now.UTC()
	return db.Tx(ctx, func(tx *store.Tx) error {
		in, err := scanInquiry(tx.QueryRow(ctx, "SELECT "+inquiryColumns+" FROM inquiries WHERE reply_token = ?", tok))
		if errors.Is(err, ErrNotFound) {
			return mail.Refuse("This inquiry no longer exists; please use the contact form to write again")
		}
		if err != nil {
			return err
		}
		if !strings.EqualFold(m.From, in.Email) {
			return mail.Refuse("Replies to this inquiry are taken only from the address that sent it")
		}
		if _, err := tx.Exec(ctx, "INSERT INTO inquiry_messages (inquiry_id, direction, body, created_at) VALUES (?, ?, ?, ?)",
			in.ID, FromSender, text, now); err != nil {
			return fmt.Errorf("keeping a reply: %w", err)
		}
		if _, err := tx.Exec(ctx, "UPDATE inquiries SET updated_at = ?, closed_at = NULL, closed_by = NULL WHERE id = ?", now, in.ID); err != nil {
			return fmt.Errorf("keeping a reply: %w", err)
		}
		return log.Record(ctx, tx, audit.Entry{Label: "mail", Action: "inquiries.reply-received",
			Subject: fmt.Sprintf("inquiry:%d", in.ID)})
	})
}

// MailHandler takes replies to inquiries from the inbound listener; it
// owns the mailbox "inquiry" (register it with Router.Handle(Mailbox, …)).
type MailHandler struct {
	DB    *store.DB
	Audit *audit.Log
	Now   func() time.Time
}

// Accepts reports whether local is the reply address of an inquiry that
// exists.
func (h *MailHandler) Accepts(ctx context.Context, local string) bool {
	tok, ok := tokenOf(local)
	if !ok {
		return false
	}
	var n int
	if err := h.DB.QueryRow(ctx, "SELECT COUNT(*) FROM inquiries WHERE reply_token = ?", tok).Scan(&n); err != nil {
		return false
	}
	return n > 0
}

// Receive keeps the reply with its inquiry.
func (h *MailHandler) Receive(ctx context.Context, m mail.Inbound) error {
	now := time.Now()
	if h.Now != nil {
		now = h.Now()
	}
	return ReceiveReply(ctx, h.DB, h.Audit, m, now)
}

// SweepInquiries deletes inquiries closed more than days ago, with their
// threads, and returns how many inquiries it removed (U3). days < 0 keeps
// them forever. Their consent entries stay: they name only the inquiry's
// number, which then leads nowhere.
func SweepInquiries(ctx context.Context, q store.Querier, now time.Time, days int) (int64, error) {
	if days < 0 {
		return 0, nil
	}
	cutoff := now.UTC().AddDate(0, 0, -days)
	if _, err := q.Exec(ctx, "DELETE FROM inquiry_messages WHERE inquiry_id IN (SELECT id FROM inquiries WHERE closed_at IS NOT NULL AND closed_at < ?)", cutoff); err != nil {
		return 0, fmt.Errorf("sweeping inquiry threads: %w", err)
	}
	res, err := q.Exec(ctx, "DELETE FROM inquiries WHERE closed_at IS NOT NULL AND closed_at < ?", cutoff)
	if err != nil {
		return 0, fmt.Errorf("sweeping inquiries: %w", err)
	}
	return res.RowsAffected()
}

// PrivacyNotice is the message that tells the privacy contact a privacy
// question arrived. It carries no personal data, only where to read it.
func PrivacyNotice(in Inquiry, contact, baseURL, org string) mail.Message {
	return mail.Message{To: contact, Subject: fmt.Sprintf("A privacy question arrived at %s (inquiry %d)", org, in.ID),
		Body: fmt.Sprintf("A privacy question or request was sent through the contact form of %s.\n\n"+
			"Administrators read it at %s/admin/inquiries/%d\n", org, strings.TrimSuffix(baseURL, "/"), in.ID)}
}
