package documents

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"plenary/internal/audit"
	"plenary/internal/people"
	"plenary/internal/store"
	"plenary/internal/validate"
)

// Liaison statements (PUB1): what an outside organization sends to one of
// the organization's groups. The secretariat enters a statement as it
// arrives (pending), then posts it, when it becomes a public record kept
// forever, or marks it dead (never published). Attachments are kept in
// the database, checked for size and type.

// Liaison states.
const (
	LiaisonPending = "pending"
	LiaisonPosted  = "posted"
	LiaisonDead    = "dead"
)

// LiaisonPurposes are what a statement asks of its recipients.
var LiaisonPurposes = []Choice{
	{"information", "For information"},
	{"action", "For action"},
	{"comment", "For comment"},
	{"response", "In response to an earlier statement"},
}

// Limits of a statement.
const (
	MaxAttachment  = 2 << 20 // bytes of one attachment
	MaxAttachments = 5
	// MaxLiaisonUpload is the largest request body that enters one.
	MaxLiaisonUpload  = MaxAttachments*MaxAttachment + 128<<10
	maxLiaisonBody    = 20000
	maxLiaisonTitle   = 300
	maxLiaisonOrg     = 200
	maxAttachmentName = 100
)

// Attachment is one file of a statement.
type Attachment struct {
	ID          int64
	Filename    string
	ContentType string
	Size        int64
	Data        []byte
}

// LiaisonForm is what the secretariat types and uploads.
type LiaisonForm struct {
	From         string
	To           string
	Title        string
	Purpose      string
	Deadline     string // YYYY-MM-DD or ""
	Body         string
	ContactName  string
	ContactEmail string
	Attachments  []Attachment // Filename and Data
}

// Liaison is a stored statement.
type Liaison struct {
	ID           int64
	From         string
	To           string
	Title        string
	Purpose      string
	Deadline     string
	Body         string
	ContactName  string
	ContactEmail string
	EnteredBy    int64
	State        string
	CreatedAt    time.Time
	DecidedAt    time.Time
	Attachments  []Attachment // without Data
}

// PurposeLabel says the purpose in words.
func (l Liaison) PurposeLabel() string { return choiceLabel(LiaisonPurposes, l.Purpose) }

var safeFilename = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// attachmentType checks a file by its name and its first bytes, and
// returns the type it is served with: a PDF (starting %PDF-) or plain
// UTF-8 text, nothing else.
func attachmentType(name string, b []byte) (string, string) {
	switch strings.ToLower(path.Ext(name)) {
	case ".pdf":
		if !bytes.HasPrefix(b, []byte("%PDF-")) {
			return "", "is named .pdf but is not a PDF file"
		}
		return "application/pdf", ""
	case ".txt":
		if !utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0 {
			return "", "is named .txt but is not UTF-8 text"
		}
		return "text/plain; charset=utf-8", ""
	}
	return "", "is neither a PDF (.pdf) nor a text file (.txt); only those are taken"
}

func checkLiaison(f LiaisonForm) (LiaisonForm, *validate.Errors) {
	var e validate.Errors
	text := func(field, label string, s *string, max int, required, multiline bool) {
		v, err := people.CleanText(field, label, *s, max, required, multiline)
		if e.Check(field, err) {
			*s = v
		}
	}
	text("from", "The sending organization", &f.From, maxLiaisonOrg, true, false)
	text("to", "The receiving group", &f.To, maxLiaisonOrg, true, false)
	text("title", "The title", &f.Title, maxLiaisonTitle, true, false)
	text("body", "The statement", &f.Body, maxLiaisonBody, true, true)
	text("contact_name", "The contact's name", &f.ContactName, people.MaxName, true, false)
	if addr, err := people.CleanEmail(f.ContactEmail); err != nil {
		e.Add("contact_email", "The contact's e-mail address: "+err.Error())
	} else {
		f.ContactEmail = addr
	}
	if choiceLabel(LiaisonPurposes, f.Purpose) == f.Purpose {
		e.Add("purpose", "Choose the statement's purpose.")
	}
	if d := strings.TrimSpace(f.Deadline); d != "" {
		if _, err := time.Parse("2006-01-02", d); err != nil {
			e.Add("deadline", "The deadline is not a date in the form 2027-03-31.")
		}
		f.Deadline = d
	} else if f.Purpose == "action" || f.Purpose == "comment" {
		e.Add("deadline", "A statement for action or comment needs a deadline.")
	}
	if len(f.Attachments) > MaxAttachments {
		e.Add("attachments", fmt.Sprintf("At most %d attachments are taken; %d were sent.", MaxAttachments, len(f.Attachments)))
	}
	for i, a := range f.Attachments {
		name := path.Base(strings.ReplaceAll(a.Filename, `\`, "/"))
		label := fmt.Sprintf("Attachment %q", clip(name, 60))
		switch {
		case !utf8.ValidString(name) || !safeFilename.MatchString(name) || len(name) > maxAttachmentName:
			e.Add("attachments", fmt.Sprintf("%s: a file name may hold only letters, digits, dots, hyphens and underscores, at most %d characters; rename it and send it again.", label, maxAttachmentName))
		case len(a.Data) == 0:
			e.Add("attachments", label+" is empty.")
		case len(a.Data) > MaxAttachment:
			e.Add("attachments", fmt.Sprintf("%s is %d bytes; at most %d are taken.", label, len(a.Data), MaxAttachment))
		default:
			ct, problem := attachmentType(name, a.Data)
			if problem != "" {
				e.Add("attachments", label+" "+problem+".")
			}
			f.Attachments[i].Filename, f.Attachments[i].ContentType, f.Attachments[i].Size = name, ct, int64(len(a.Data))
		}
	}
	if e.Err() != nil {
		return f, &e
	}
	return f, nil
}

// EnterLiaison checks a statement and, when it has no problem, stores it
// pending with its attachments and an audit entry, in one transaction. A
// *validate.Errors carries every problem; nothing is stored then.
func EnterLiaison(ctx context.Context, db *store.DB, log *audit.Log, who Submitter, f LiaisonForm, now time.Time) (Liaison, error) {
	if log == nil {
		return Liaison{}, ErrNoAudit
	}
	var l Liaison
	err := db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		if l, err = enterLiaison(ctx, tx, who.ID, f, LiaisonPending, now); err != nil {
			return err
		}
		return log.Record(ctx, tx, audit.Entry{Actor: who.ID, Label: who.Name, Action: "liaison.enter",
			Subject: fmt.Sprintf("liaison:%d", l.ID), Detail: fmt.Sprintf("from %s, %d attachments", l.From, len(l.Attachments))})
	})
	return l, err
}

// PostLiaisonDemo stores a statement already posted, without an audit
// entry: for the demo content only.
func PostLiaisonDemo(ctx context.Context, q store.Querier, by int64, f LiaisonForm, now time.Time) (Liaison, error) {
	return enterLiaison(ctx, q, by, f, LiaisonPosted, now)
}

func enterLiaison(ctx context.Context, q store.Querier, by int64, f LiaisonForm, state string, now time.Time) (Liaison, error) {
	now = now.UTC()
	f, probs := checkLiaison(f)
	if probs != nil {
		return Liaison{}, probs
	}
	var who, decided any
	if by != 0 {
		who = by
	}
	if state != LiaisonPending {
		decided = now
	}
	id, err := store.Insert(ctx, q, `INSERT INTO liaison_statements (from_org, to_group, title, purpose, deadline, body, contact_name, contact_email, entered_by, state, created_at, decided_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		f.From, f.To, f.Title, f.Purpose, f.Deadline, f.Body, f.ContactName, f.ContactEmail, who, state, now, decided)
	if err != nil {
		return Liaison{}, fmt.Errorf("storing a liaison statement: %w", err)
	}
	for _, a := range f.Attachments {
		if _, err := q.Exec(ctx, "INSERT INTO liaison_attachments (statement_id, filename, content_type, size, data) VALUES (?, ?, ?, ?, ?)",
			id, a.Filename, a.ContentType, a.Size, a.Data); err != nil {
			return Liaison{}, fmt.Errorf("storing a liaison statement's attachment: %w", err)
		}
	}
	return GetLiaison(ctx, q, id)
}

// Liaison decisions.
const (
	LiaisonActPost = "post"
	LiaisonActDead = "dead"
)

// ErrLiaisonState is a decision the statement's state does not allow.
var ErrLiaisonState = errors.New("That cannot be done to this statement in its present state; reload the page.")

// DecideLiaison posts a pending statement or marks it dead, with the
// audit entry, in one transaction.
func DecideLiaison(ctx context.Context, db *store.DB, log *audit.Log, staff Submitter, id int64, action string, now time.Time) (Liaison, error) {
	if log == nil {
		return Liaison{}, ErrNoAudit
	}
	to := map[string]string{LiaisonActPost: LiaisonPosted, LiaisonActDead: LiaisonDead}[action]
	if to == "" {
		return Liaison{}, ErrLiaisonState
	}
	var l Liaison
	err := db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := GetLiaison(ctx, tx, id); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, "UPDATE liaison_statements SET state = ?, decided_at = ? WHERE id = ? AND state = ?", to, now.UTC(), id, LiaisonPending)
		if err != nil {
			return fmt.Errorf("deciding a liaison statement: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrLiaisonState
		}
		if err := log.Record(ctx, tx, audit.Entry{Actor: staff.ID, Label: staff.Name, Action: "liaison." + action,
			Subject: fmt.Sprintf("liaison:%d", id)}); err != nil {
			return err
		}
		l, err = GetLiaison(ctx, tx, id)
		return err
	})
	return l, err
}

// ErrLiaisonNotFound is a statement or attachment that does not exist.
var ErrLiaisonNotFound = errors.New("There is no such liaison statement or attachment.")

const liaisonColumns = "id, from_org, to_group, title, purpose, deadline, body, contact_name, contact_email, entered_by, state, created_at, decided_at"

func scanLiaison(row interface{ Scan(...any) error }) (Liaison, error) {
	var l Liaison
	var by sql.NullInt64
	var decided sql.NullTime
	err := row.Scan(&l.ID, &l.From, &l.To, &l.Title, &l.Purpose, &l.Deadline, &l.Body, &l.ContactName, &l.ContactEmail, &by, &l.State, &l.CreatedAt, &decided)
	if errors.Is(err, sql.ErrNoRows) {
		return l, ErrLiaisonNotFound
	}
	if err != nil {
		return l, fmt.Errorf("reading a liaison statement: %w", err)
	}
	l.EnteredBy, l.DecidedAt = by.Int64, decided.Time
	return l, nil
}

// GetLiaison returns a statement in any state with its attachments'
// names and sizes.
func GetLiaison(ctx context.Context, q store.Querier, id int64) (Liaison, error) {
	l, err := scanLiaison(q.QueryRow(ctx, "SELECT "+liaisonColumns+" FROM liaison_statements WHERE id = ?", id))
	if err != nil {
		return l, err
	}
	l.Attachments, err = liaisonAttachments(ctx, q, id)
	return l, err
}

func liaisonAttachments(ctx context.Context, q store.Querier, id int64) ([]Attachment, error) {
	rows, err := q.Query(ctx, "SELECT id, filename, content_type, size FROM liaison_attachments WHERE statement_id = ? ORDER BY id", id)
	if err != nil {
		return nil, fmt.Errorf("listing a statement's attachments: %w", err)
	}
	defer rows.Close()
	var out []Attachment
	for rows.Next() {
		var a Attachment
		if err := rows.Scan(&a.ID, &a.Filename, &a.ContentType, &a.Size); err != nil {
			return nil, fmt.Errorf("listing a statement's attachments: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// LiaisonAttachment returns one attachment of a posted statement.
func LiaisonAttachment(ctx context.Context, q store.Querier, statement, id int64) (Attachment, error) {
	var a Attachment
	err := q.QueryRow(ctx, `SELECT a.id, a.filename, a.content_type, a.size, a.data FROM liaison_attachments a
		JOIN liaison_statements s ON s.id = a.statement_id WHERE a.id = ? AND s.id = ? AND s.state = ?`, id, statement, LiaisonPosted).
		Scan(&a.ID, &a.Filename, &a.ContentType, &a.Size, &a.Data)
	if errors.Is(err, sql.ErrNoRows) {
		return a, ErrLiaisonNotFound
	}
	if err != nil {
		return a, fmt.Errorf("reading an attachment: %w", err)
	}
	return a, nil
}

func listLiaisons(ctx context.Context, q store.Querier, where string, args ...any) ([]Liaison, error) {
	rows, err := q.Query(ctx, "SELECT "+liaisonColumns+" FROM liaison_statements WHERE "+where, args...)
	if err != nil {
		return nil, fmt.Errorf("listing liaison statements: %w", err)
	}
	defer rows.Close()
	var out []Liaison
	for rows.Next() {
		l, err := scanLiaison(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// PostedLiaisons lists the posted statements, newest first, at most limit.
func PostedLiaisons(ctx context.Context, q store.Querier, limit int) ([]Liaison, error) {
	return listLiaisons(ctx, q, "state = ? ORDER BY decided_at DESC, id DESC LIMIT ?", LiaisonPosted, limit)
}

// PendingLiaisons lists the statements waiting for a decision, oldest
// first, each with its attachments' names and sizes.
func PendingLiaisons(ctx context.Context, q store.Querier) ([]Liaison, error) {
	list, err := listLiaisons(ctx, q, "state = ? ORDER BY created_at, id", LiaisonPending)
	for i := range list {
		if err != nil {
			break
		}
		list[i].Attachments, err = liaisonAttachments(ctx, q, list[i].ID)
	}
	return list, err
}
