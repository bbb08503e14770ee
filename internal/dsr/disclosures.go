package dsr

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"plenary/internal/audit"
	"plenary/internal/store"
)

// Disclosure is an entry of the register of disclosures required by law
// (U4): who asked, under which law, what was disclosed about whom and
// when, and whether and when the person was told.
type Disclosure struct {
	ID          int64
	Person      int64  // the account it was about; 0 for someone without one
	Name        string // that account's name, in the staff register
	Subject     string // who it was about, when they have no account
	Requester   string
	LegalBasis  string
	Disclosed   string
	DisclosedAt time.Time
	ToldAt      *time.Time
	Untold      string // why the person was not told (yet)
	RecordedAt  time.Time
}

// DisclosureForm is what staff type to record a disclosure.
type DisclosureForm struct {
	Who         string // account number or confirmed address; empty with Subject
	Subject     string // a description of the person, when they have no account
	Requester   string
	LegalBasis  string
	Disclosed   string
	DisclosedOn string // YYYY-MM-DD
	ToldOn      string // YYYY-MM-DD, or empty
	Untold      string
}

// CheckDisclosure returns every problem of f, keyed by field, and the
// dates it names.
func CheckDisclosure(f DisclosureForm, now time.Time) (problems map[string]string, disclosed time.Time, told *time.Time) {
	problems = map[string]string{}
	need := func(field, v, msg string) {
		v = strings.TrimSpace(v)
		switch {
		case v == "":
			problems[field] = msg
		case utf8.RuneCountInString(v) > maxNote:
			problems[field] = "Keep it under 2,000 characters."
		}
	}
	need("requester", f.Requester, "Say who required the disclosure (the authority and its reference).")
	need("legal_basis", f.LegalBasis, "Say under which law or order the disclosure was required.")
	need("disclosed", f.Disclosed, "Say what was disclosed.")
	if strings.TrimSpace(f.Who) == "" && strings.TrimSpace(f.Subject) == "" {
		problems["who"] = "Name the participant (account number or confirmed address) or describe the person the disclosure was about."
	}
	if utf8.RuneCountInString(f.Subject) > maxNote || utf8.RuneCountInString(f.Untold) > maxNote {
		problems["subject"] = "Keep it under 2,000 characters."
	}
	day := func(field, v string) (time.Time, bool) {
		t, err := time.Parse("2006-01-02", strings.TrimSpace(v))
		if err != nil {
			problems[field] = "Give the date as YYYY-MM-DD."
			return time.Time{}, false
		}
		if t.After(now) {
			problems[field] = "The date is in the future."
			return time.Time{}, false
		}
		return t, true
	}
	disclosed, _ = day("disclosed_on", f.DisclosedOn)
	if strings.TrimSpace(f.ToldOn) != "" {
		if t, ok := day("told_on", f.ToldOn); ok {
			if t.Before(disclosed) {
				problems["told_on"] = "The person cannot have been told before the disclosure."
			} else {
				told = &t
			}
		}
	} else if strings.TrimSpace(f.Untold) == "" {
		problems["untold"] = "Give the date the person was told, or say why they were not (for example: a court order forbids it until a date)."
	}
	return problems, disclosed, told
}

// ErrDisclosureForm: the form has problems; nothing was stored.
var ErrDisclosureForm = errors.New("The entry has problems; nothing was stored.")

// RecordDisclosure stores an entry of the register with its audit entry,
// in one transaction. Problems come back keyed by field, with nothing
// stored.
func RecordDisclosure(ctx context.Context, db *store.DB, log *audit.Log, staff Actor, f DisclosureForm, now time.Time) (int64, map[string]string, error) {
	if log == nil {
		return 0, nil, ErrNoAudit
	}
	problems, disclosed, told := CheckDisclosure(f, now)
	if len(problems) > 0 {
		return 0, problems, ErrDisclosureForm
	}
	var id int64
	err := db.Tx(ctx, func(tx *store.Tx) error {
		var person sql.NullInt64
		if strings.TrimSpace(f.Who) != "" {
			p, err := FindPerson(ctx, tx, f.Who)
			if errors.Is(err, ErrNoSuchAddress) {
				problems["who"] = "No participant has that account number or confirmed address; describe the person instead."
				return ErrDisclosureForm
			}
			if errors.Is(err, ErrUnprovenAddress) {
				problems["who"] = "That address was entered by staff and its mailbox never proven: give the account number instead."
				return ErrDisclosureForm
			}
			if err != nil {
				return err
			}
			person = sql.NullInt64{Int64: p, Valid: true}
		}
		var toldAt any
		if told != nil {
			toldAt = told.UTC()
		}
		var err error
		id, err = store.Insert(ctx, tx, `INSERT INTO disclosures (person_id, subject, requester, legal_basis, disclosed, disclosed_at, told_at, untold, recorded_by, recorded_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, person, strings.TrimSpace(f.Subject), strings.TrimSpace(f.Requester), strings.TrimSpace(f.LegalBasis),
			strings.TrimSpace(f.Disclosed), disclosed.UTC(), toldAt, strings.TrimSpace(f.Untold), staff.ID, now.UTC())
		if err != nil {
			return fmt.Errorf("storing a disclosure: %w", err)
		}
		// The entry names the register's row, not the person: the person's
		// copy of their data includes audit entries about them, and must
		// not reveal a disclosure they may not be told of yet.
		detail := "about no account"
		if person.Valid {
			detail = fmt.Sprintf("about account %d", person.Int64)
		}
		return log.Record(ctx, tx, audit.Entry{Actor: staff.ID, Label: staff.Label, Action: "dsr.disclosure.record",
			Subject: fmt.Sprintf("disclosure:%d", id), Detail: detail})
	})
	if errors.Is(err, ErrDisclosureForm) {
		return 0, problems, err
	}
	return id, nil, err
}

// Disclosures lists the register, newest first. Reading it is staff
// access to personal data, so it is audited.
func Disclosures(ctx context.Context, db *store.DB, log *audit.Log, staff Actor) ([]Disclosure, error) {
	if log == nil {
		return nil, ErrNoAudit
	}
	var out []Disclosure
	err := db.Tx(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT d.id, COALESCE(d.person_id, 0), COALESCE(p.name, ''), d.subject, d.requester, d.legal_basis, d.disclosed,
			d.disclosed_at, d.told_at, d.untold, d.recorded_at
			FROM disclosures d LEFT JOIN people p ON p.id = d.person_id ORDER BY d.disclosed_at DESC, d.id DESC LIMIT 500`)
		if err != nil {
			return fmt.Errorf("listing disclosures: %w", err)
		}
		if out, err = store.Collect(rows, scanDisclosure); err != nil {
			return err
		}
		return log.Record(ctx, tx, audit.Entry{Actor: staff.ID, Label: staff.Label, Action: "dsr.disclosure.list",
			Detail: fmt.Sprintf("%d entries", len(out))})
	})
	return out, err
}

func scanDisclosure(rows *sql.Rows) (Disclosure, error) {
	var d Disclosure
	var told sql.NullTime
	err := rows.Scan(&d.ID, &d.Person, &d.Name, &d.Subject, &d.Requester, &d.LegalBasis, &d.Disclosed, &d.DisclosedAt, &told, &d.Untold, &d.RecordedAt)
	d.ToldAt = store.TimeOrNil(told)
	return d, err
}

// ToldDisclosures lists the disclosures about a person that they have
// been told of, newest first, for their account page: the same entries
// their own copy of their data holds (a disclosure they may not be told
// of yet is in neither).
func ToldDisclosures(ctx context.Context, q store.Querier, person int64) ([]Disclosure, error) {
	rows, err := q.Query(ctx, `SELECT d.id, COALESCE(d.person_id, 0), '', d.subject, d.requester, d.legal_basis, d.disclosed,
		d.disclosed_at, d.told_at, d.untold, d.recorded_at
		FROM disclosures d WHERE d.person_id = ? AND d.told_at IS NOT NULL ORDER BY d.disclosed_at DESC, d.id DESC`, person)
	if err != nil {
		return nil, fmt.Errorf("reading the disclosures a person was told of: %w", err)
	}
	return store.Collect(rows, scanDisclosure)
}

// SweepDisclosures deletes the register's entries disclosed more than
// days ago (retention key "disclosure"); days < 0 keeps them.
func SweepDisclosures(ctx context.Context, tx *store.Tx, now time.Time, days int) (int64, error) {
	n, err := store.DeleteOlder(ctx, tx, `DELETE FROM disclosures WHERE disclosed_at < ?`, now, days)
	if err != nil {
		return 0, fmt.Errorf("sweeping disclosures: %w", err)
	}
	return n, nil
}

// ErrNoDisclosure: no such entry, or the person was told already.
var ErrNoDisclosure = errors.New("There is no such entry of the register, or the person was told already.")

// MarkTold records, with its audit entry and in one transaction, that the
// person a disclosure was about has now been told of it (once a court
// order that forbade it ends, say). From then on the entry is part of the
// person's copy of their data. A problem with the date comes back as a
// message; nothing is changed.
func MarkTold(ctx context.Context, db *store.DB, log *audit.Log, staff Actor, id int64, toldOn string, now time.Time) (problem string, err error) {
	if log == nil {
		return "", ErrNoAudit
	}
	told, perr := time.Parse("2006-01-02", strings.TrimSpace(toldOn))
	switch {
	case perr != nil:
		return "Give the date the person was told as YYYY-MM-DD.", nil
	case told.After(now):
		return "The date is in the future.", nil
	}
	err = db.Tx(ctx, func(tx *store.Tx) error {
		var disclosed time.Time
		err := tx.QueryRow(ctx, `SELECT disclosed_at FROM disclosures WHERE id = ? AND told_at IS NULL`, id).Scan(&disclosed)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNoDisclosure
		}
		if err != nil {
			return fmt.Errorf("reading a disclosure: %w", err)
		}
		if told.Before(disclosed.UTC().Truncate(24 * time.Hour)) {
			problem = "The person cannot have been told before the disclosure."
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE disclosures SET told_at = ? WHERE id = ?`, told.UTC(), id); err != nil {
			return fmt.Errorf("recording that the person was told: %w", err)
		}
		return log.Record(ctx, tx, audit.Entry{Actor: staff.ID, Label: staff.Label, Action: "dsr.disclosure.told",
			Subject: fmt.Sprintf("disclosure:%d", id), Detail: "told on " + told.Format("2006-01-02")})
	})
	return problem, err
}
