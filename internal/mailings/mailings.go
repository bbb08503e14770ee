package mailings

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"plenary/internal/jobs"
	"plenary/internal/mail"
	"plenary/internal/people"
	"plenary/internal/store"
)

// Mailing states.
const (
	Draft    = "draft"
	Sending  = "sending"
	Finished = "finished"
)

// JobKind is the job that sends a mailing.
const JobKind = "mailing.send"

// Mailing is one announcement.
type Mailing struct {
	ID         int64
	Subject    string
	Body       string
	CreatedBy  int64
	CreatedAt  time.Time
	State      string
	SentAt     *time.Time
	FinishedAt *time.Time
}

// Progress counts a mailing's recipients by state.
type Progress struct {
	Total, Pending, Sending, Sent, Failed int
}

// Done is how many copies have an outcome.
func (p Progress) Done() int { return p.Sent + p.Failed }

// Failure is one recipient who did not get the message, and why.
type Failure struct {
	PersonID int64
	Name     string
	Address  string
	Reason   string
}

const mailingColumns = "id, subject, body, created_by, created_at, state, sent_at, finished_at"

func scanMailing(row interface{ Scan(...any) error }) (Mailing, error) {
	var m Mailing
	var by sql.NullInt64
	err := row.Scan(&m.ID, &m.Subject, &m.Body, &by, &m.CreatedAt, &m.State, &m.SentAt, &m.FinishedAt)
	m.CreatedBy = by.Int64
	return m, err
}

// ErrNoMailing means there is no such mailing.
var ErrNoMailing = errors.New("There is no such mailing.")

// GetMailing returns one mailing.
func GetMailing(ctx context.Context, q store.Querier, id int64) (Mailing, error) {
	m, err := scanMailing(q.QueryRow(ctx, "SELECT "+mailingColumns+" FROM mailings WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return m, ErrNoMailing
	}
	if err != nil {
		return m, fmt.Errorf("reading mailing %d: %w", id, err)
	}
	return m, nil
}

// List returns the newest mailings first.
func List(ctx context.Context, q store.Querier, limit int) ([]Mailing, error) {
	rows, err := q.Query(ctx, "SELECT "+mailingColumns+" FROM mailings ORDER BY id DESC LIMIT ?", limit)
	if err != nil {
		return nil, fmt.Errorf("listing mailings: %w", err)
	}
	defer rows.Close()
	var out []Mailing
	for rows.Next() {
		m, err := scanMailing(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Limits of an announcement.
const (
	MaxSubject = 200
	MaxBody    = 50000
)

// Input is what the secretariat writes.
type Input struct {
	Subject, Body string
}

// Check returns every problem of an announcement at once.
func (in Input) Check() []string {
	var problems []string
	if _, err := people.CleanText("subject", "The subject", in.Subject, MaxSubject, true, false); err != nil {
		problems = append(problems, err.Error())
	}
	if _, err := people.CleanText("body", "The text", in.Body, MaxBody, true, true); err != nil {
		problems = append(problems, err.Error())
	}
	return problems
}

// CreateDraft stores an announcement to preview, test and send.
func CreateDraft(ctx context.Context, env Env, staff Actor, in Input, now time.Time) (int64, error) {
	if p := in.Check(); len(p) > 0 {
		return 0, &FormError{Problems: p}
	}
	subject := strings.TrimSpace(in.Subject)
	body := strings.TrimRight(strings.ReplaceAll(in.Body, "\r\n", "\n"), " \n")
	var id int64
	err := env.DB.Tx(ctx, func(tx *store.Tx) error {
		var err error
		id, err = store.Insert(ctx, tx, "INSERT INTO mailings (subject, body, created_by, created_at, state) VALUES (?, ?, ?, ?, ?)",
			subject, body, staff.ID, now.UTC(), Draft)
		if err != nil {
			return fmt.Errorf("storing the draft: %w", err)
		}
		return env.audit(ctx, tx, staff, "mailings.draft", "mailing:"+strconv.FormatInt(id, 10), subject)
	})
	return id, err
}

// ErrSent means a mailing that has gone out was to be corrected or
// deleted: what was sent is a record of what the organization said.
var ErrSent = errors.New("This mailing has been sent: what was sent cannot be corrected or deleted. Write a new one instead.")

// UpdateDraft corrects a draft's subject and text before it is sent.
func UpdateDraft(ctx context.Context, env Env, staff Actor, id int64, in Input, now time.Time) error {
	if p := in.Check(); len(p) > 0 {
		return &FormError{Problems: p}
	}
	subject := strings.TrimSpace(in.Subject)
	body := strings.TrimRight(strings.ReplaceAll(in.Body, "\r\n", "\n"), " \n")
	return env.DB.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, "UPDATE mailings SET subject = ?, body = ? WHERE id = ? AND state = ?", subject, body, id, Draft)
		if err != nil {
			return fmt.Errorf("correcting the draft: %w", err)
		}
		if err := draftChanged(ctx, tx, res, id); err != nil {
			return err
		}
		return env.audit(ctx, tx, staff, "mailings.edit", "mailing:"+strconv.FormatInt(id, 10), subject)
	})
}

// DeleteDraft deletes a draft that was never sent.
func DeleteDraft(ctx context.Context, env Env, staff Actor, id int64, now time.Time) error {
	return env.DB.Tx(ctx, func(tx *store.Tx) error {
		m, err := GetMailing(ctx, tx, id)
		if err != nil {
			return err
		}
		res, err := tx.Exec(ctx, "DELETE FROM mailings WHERE id = ? AND state = ?", id, Draft)
		if err != nil {
			return fmt.Errorf("deleting the draft: %w", err)
		}
		if err := draftChanged(ctx, tx, res, id); err != nil {
			return err
		}
		return env.audit(ctx, tx, staff, "mailings.delete", "mailing:"+strconv.FormatInt(id, 10), m.Subject)
	})
}

// draftChanged turns a statement that changed no draft into the reason:
// no such mailing, or one sent already.
func draftChanged(ctx context.Context, tx *store.Tx, res sql.Result, id int64) error {
	n, err := res.RowsAffected()
	if err != nil || n == 1 {
		return err
	}
	if _, err := GetMailing(ctx, tx, id); err != nil {
		return err
	}
	return ErrSent
}

// Confirmed counts the participants an announcement sent now would reach.
func Confirmed(ctx context.Context, q store.Querier) (int, error) {
	var n int
	err := q.QueryRow(ctx, "SELECT COUNT(*) FROM mailing_subscriptions WHERE state = ?", StateConfirmed).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("counting subscribers: %w", err)
	}
	return n, nil
}

// ErrNotDraft means a mailing was sent already.
var ErrNotDraft = errors.New("This mailing has already been sent; it cannot be sent again.")

// Send fixes a draft's recipients — every participant whose subscription
// is confirmed at this moment, at their primary address — and enqueues the
// job that sends to them. Someone who subscribes later does not get it;
// someone who opts out before their copy goes still does not, since the
// job checks again. It returns how many recipients were fixed.
func Send(ctx context.Context, env Env, staff Actor, mailingID int64, now time.Time) (int, error) {
	now = now.UTC()
	var n int64
	err := env.DB.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, "UPDATE mailings SET state = ?, sent_by = ?, sent_at = ? WHERE id = ? AND state = ?",
			Sending, staff.ID, now, mailingID, Draft)
		if err != nil {
			return fmt.Errorf("marking the mailing as sent: %w", err)
		}
		if c, err := res.RowsAffected(); err != nil || c != 1 {
			if _, gerr := GetMailing(ctx, tx, mailingID); gerr != nil {
				return gerr
			}
			return ErrNotDraft
		}
		// One statement, whatever the number of recipients: nothing
		// passes through this process's memory. A confirmed subscriber
		// without a usable primary address is listed at once as failed,
		// so the report names them.
		res, err = tx.Exec(ctx, `INSERT INTO mailing_recipients (mailing_id, person_id, address, state, reason)
			SELECT ?, s.person_id, COALESCE(e.address, ''),
				CASE WHEN e.address IS NULL THEN ? ELSE ? END,
				CASE WHEN e.address IS NULL THEN ? ELSE '' END
			FROM mailing_subscriptions s
			LEFT JOIN person_emails e ON e.person_id = s.person_id AND e.is_primary = ? AND e.active = ? AND e.verified_at IS NOT NULL
			WHERE s.state = ?`,
			mailingID, StateFailed, StatePendingSend, "no confirmed primary e-mail address", true, true, StateConfirmed)
		if err != nil {
			return fmt.Errorf("fixing the recipients: %w", err)
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		id := strconv.FormatInt(mailingID, 10)
		if _, _, err := jobs.Enqueue(ctx, tx, jobs.New{Kind: JobKind, Key: "mailing:" + id, Payload: id, MaxAttempts: 100}, now); err != nil {
			return err
		}
		return env.audit(ctx, tx, staff, "mailings.send", "mailing:"+id, fmt.Sprintf("%d recipients", n))
	})
	return int(n), err
}

// Recipient states.
const (
	StatePendingSend = "pending"
	StateSending     = "sending"
	StateSent        = "sent"
	StateFailed      = "failed"
)

// ProgressOf counts a mailing's recipients by state.
func ProgressOf(ctx context.Context, q store.Querier, mailingID int64) (Progress, error) {
	var p Progress
	rows, err := q.Query(ctx, "SELECT state, COUNT(*) FROM mailing_recipients WHERE mailing_id = ? GROUP BY state", mailingID)
	if err != nil {
		return p, fmt.Errorf("counting recipients: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var state string
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			return p, err
		}
		p.Total += n
		switch state {
		case StatePendingSend:
			p.Pending = n
		case StateSending:
			p.Sending = n
		case StateSent:
			p.Sent = n
		case StateFailed:
			p.Failed = n
		}
	}
	return p, rows.Err()
}

// Failures lists who did not get a mailing and why, at most limit of them.
func Failures(ctx context.Context, q store.Querier, mailingID int64, limit int) ([]Failure, error) {
	rows, err := q.Query(ctx, `SELECT r.person_id, p.name, r.address, r.reason FROM mailing_recipients r JOIN people p ON p.id = r.person_id
		WHERE r.mailing_id = ? AND r.state = ? ORDER BY r.id LIMIT ?`, mailingID, StateFailed, limit)
	if err != nil {
		return nil, fmt.Errorf("listing failed recipients: %w", err)
	}
	defer rows.Close()
	var out []Failure
	for rows.Next() {
		var f Failure
		if err := rows.Scan(&f.PersonID, &f.Name, &f.Address, &f.Reason); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// FailureReport lists who did not get a mailing and why, for the staff
// page. The list names participants, so reading it is audited, in the
// same transaction that reads it.
func FailureReport(ctx context.Context, env Env, a Actor, mailingID int64, limit int) ([]Failure, error) {
	var out []Failure
	err := env.DB.Tx(ctx, func(tx *store.Tx) error {
		var err error
		if out, err = Failures(ctx, tx, mailingID, limit); err != nil {
			return err
		}
		return env.audit(ctx, tx, a, "mailings.report", fmt.Sprintf("mailing:%d", mailingID), fmt.Sprintf("%d not sent listed", len(out)))
	})
	return out, err
}

// Site is what a message says about where it comes from.
type Site struct {
	Org     string
	BaseURL string // without a trailing slash
	// ReplyTo is the announcement address: replies land there, and a
	// reply saying "unsubscribe" (the mailto in List-Unsubscribe) has the
	// unsubscribe link mailed to the subscriber.
	ReplyTo string
}

// Compose builds one recipient's copy: the text, a visible unsubscribe
// link, and the RFC 8058 headers a mail client uses for one-click
// unsubscribe (an https link and a mailto, and List-Unsubscribe-Post).
func Compose(site Site, m Mailing, to, token, messageID string) mail.Message {
	link := site.BaseURL + "/unsubscribe/" + token
	mailto := "mailto:" + site.ReplyTo + "?subject=" + url.PathEscape("unsubscribe")
	body := m.Body + "\n\n-- \n" +
		"You receive this because you asked " + site.Org + " for its announcements.\n" +
		"Unsubscribe with one click: " + link + "\n" +
		"or reply to this message with the word \"unsubscribe\" to have that link mailed to you.\n"
	return mail.Message{
		To: to, Subject: m.Subject, Body: body, MessageID: messageID,
		Headers: []mail.Header{
			{Name: "List-Unsubscribe", Value: "<" + link + ">, <" + mailto + ">"},
			{Name: "List-Unsubscribe-Post", Value: "List-Unsubscribe=One-Click"},
			{Name: "Reply-To", Value: site.ReplyTo},
			{Name: "Precedence", Value: "bulk"},
		},
	}
}

// Preview is a copy as recipients will see it, with a placeholder link.
func Preview(site Site, m Mailing) mail.Message {
	return Compose(site, m, "participant@example.org", "EXAMPLE-LINK", "")
}

// SendTest mails a draft to the staff member writing it, marked as a
// test; its unsubscribe link is a placeholder that does nothing.
func SendTest(ctx context.Context, env Env, sender mail.Sender, site Site, staff Actor, mailingID int64) (string, error) {
	m, err := GetMailing(ctx, env.DB, mailingID)
	if err != nil {
		return "", err
	}
	e, err := people.Primary(ctx, env.DB, staff.ID)
	if err != nil || !e.Verified() {
		return "", ErrNoAddress
	}
	m.Subject = "[Test] " + m.Subject
	msg := Compose(site, m, e.Address, "test-message-not-a-real-link", "")
	if err := sender.Send(ctx, msg); err != nil {
		return "", fmt.Errorf("sending the test: %w", err)
	}
	return e.Address, env.audit(ctx, env.DB, staff, "mailings.test", "mailing:"+strconv.FormatInt(mailingID, 10), "to "+e.Address)
}
