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
	"plenary/internal/inventory"
	"plenary/internal/mail"
	"plenary/internal/store"
)

// AccessLogStatement is what an export says about the access logs (C2).
const AccessLogStatement = "The site's access logs record requests (time, page, a shortened IP address and browser details) without any account, session or cookie, so they cannot be searched by person and are not part of this copy. They are deleted when their retention period ends."

// Refusals, with messages fit for the person.
var (
	ErrNoAudit    = errors.New("The audit log is not available, so requests about personal data cannot be handled now. Nothing was changed.")
	ErrNotFound   = errors.New("There is no such removal request, or it has been decided already.")
	ErrOwnRequest = errors.New("You cannot decide your own removal request; another member of staff must. Nothing was changed.")
	ErrNoReason   = errors.New("Say why you decide this way; the reason is sent to the person.")
	ErrNoteLong   = errors.New("The note is too long: keep it under 2,000 characters.")
	ErrNoPerson   = errors.New("There is no such participant.")
)

// Actor is who acts: the person themselves or a member of staff. Label is
// how the audit log names them; a participant acting on their own data is
// recorded by number, not by name, so that the log keeps no more about
// them than it must.
type Actor struct {
	ID    int64
	Label string
}

// Export is a copy of everything plenary holds about a person (R2).
type Export struct {
	Person     int64     `json:"person"`
	Generated  time.Time `json:"generated_at"`
	Addresses  []string  `json:"confirmed_addresses"`
	Tables     []Table   `json:"tables"`
	AccessLogs string    `json:"access_logs"`
}

// MakeExport reads everything about person, walking the inventory, and
// records the export in the audit log in the same transaction (S3).
// format says what was produced ("html" or "json"), for the log.
func MakeExport(ctx context.Context, db *store.DB, log *audit.Log, inv *inventory.Inventory, actor Actor, person int64, format string, now time.Time) (Export, error) {
	if log == nil {
		return Export{}, ErrNoAudit
	}
	var e Export
	err := db.Tx(ctx, func(tx *store.Tx) error {
		s, err := LoadSubject(ctx, tx, person)
		if err != nil {
			return err
		}
		tables, err := collect(ctx, tx, inv, s)
		if err != nil {
			return err
		}
		e = Export{Person: person, Generated: now.UTC(), Addresses: s.Addresses, Tables: tables, AccessLogs: AccessLogStatement}
		return log.Record(ctx, tx, audit.Entry{Actor: actor.ID, Label: actor.Label, Action: "dsr.export",
			Subject: fmt.Sprintf("person:%d", person), Detail: "format " + format})
	})
	return e, err
}

// Request states of a removal request.
const (
	Pending  = "pending"
	Approved = "approved"
	Declined = "declined"
)

// RemovalRequest is a request for removal as staff see it.
type RemovalRequest struct {
	ID          int64
	Person      int64
	Name        string // the person's name while the account exists
	Address     string // their primary address while the account exists
	Note        string
	Status      string
	RequestedAt time.Time
	DecidedAt   *time.Time
	Reason      string
}

const maxNote = 2000

// CleanNote checks the optional note of a removal request.
func CleanNote(note string) (string, error) {
	note = strings.TrimSpace(note)
	if utf8.RuneCountInString(note) > maxNote {
		return "", ErrNoteLong
	}
	return note, nil
}

// RequestRemoval records a person's request to remove their data, with the
// audit entry, in one transaction. A second request while one is pending
// returns the pending one.
func RequestRemoval(ctx context.Context, db *store.DB, log *audit.Log, person int64, note string, now time.Time) (int64, error) {
	if log == nil {
		return 0, ErrNoAudit
	}
	note, err := CleanNote(note)
	if err != nil {
		return 0, err
	}
	var id int64
	err = db.Tx(ctx, func(tx *store.Tx) error {
		err := tx.QueryRow(ctx, `SELECT id FROM removal_requests WHERE person_id = ? AND status = ?`, person, Pending).Scan(&id)
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("looking for a pending removal request: %w", err)
		}
		id, err = store.Insert(ctx, tx, `INSERT INTO removal_requests (person_id, note, status, requested_at) VALUES (?, ?, ?, ?)`,
			person, note, Pending, now.UTC())
		if err != nil {
			return fmt.Errorf("storing a removal request: %w", err)
		}
		return log.Record(ctx, tx, audit.Entry{Actor: person, Label: "the person", Action: "dsr.removal.request",
			Subject: fmt.Sprintf("removal:%d", id)})
	})
	return id, err
}

// PendingFor returns the person's pending request, if any.
func PendingFor(ctx context.Context, q store.Querier, person int64) (id int64, ok bool, err error) {
	err = q.QueryRow(ctx, `SELECT id FROM removal_requests WHERE person_id = ? AND status = ?`, person, Pending).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("looking for a pending removal request: %w", err)
	}
	return id, true, nil
}

// Queue lists removal requests for staff: the pending ones with the
// person's name and primary address, then the decided ones with their
// decision only. Listing them is staff access to personal data, so it is
// audited.
func Queue(ctx context.Context, db *store.DB, log *audit.Log, staff Actor) ([]RemovalRequest, error) {
	if log == nil {
		return nil, ErrNoAudit
	}
	var out []RemovalRequest
	err := db.Tx(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT r.id, r.person_id, COALESCE(p.name, ''), COALESCE(e.address, ''), r.note, r.status,
				r.requested_at, r.decided_at, r.reason
			FROM removal_requests r
			LEFT JOIN people p ON p.id = r.person_id AND r.status <> ?
			LEFT JOIN person_emails e ON e.person_id = p.id AND e.is_primary
			ORDER BY CASE WHEN r.status = ? THEN 0 ELSE 1 END, r.id DESC LIMIT 200`, Approved, Pending)
		if err != nil {
			return fmt.Errorf("listing removal requests: %w", err)
		}
		var ids []string
		for rows.Next() {
			var r RemovalRequest
			var decided sql.NullTime
			if err := rows.Scan(&r.ID, &r.Person, &r.Name, &r.Address, &r.Note, &r.Status, &r.RequestedAt, &decided, &r.Reason); err != nil {
				rows.Close()
				return err
			}
			if decided.Valid {
				t := decided.Time
				r.DecidedAt = &t
			}
			out = append(out, r)
			ids = append(ids, fmt.Sprint(r.ID))
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		return log.Record(ctx, tx, audit.Entry{Actor: staff.ID, Label: staff.Label, Action: "dsr.removal.list",
			Detail: "requests " + strings.Join(ids, ",")})
	})
	return out, err
}

// Decision is the outcome of deciding a request, with what the requester
// must be told.
type Decision struct {
	Request  int64
	Approved bool
	Reason   string
	To       string // the requester's address, read before any removal
	Name     string
	Outcome  Outcome
}

// Decide approves or declines a pending removal request, with a reason.
// An approved removal runs every table's declared removal action for the
// person in the same transaction as the decision and its audit entry; the
// person's sessions and remember-me tokens are among the rows deleted, so
// they are signed out everywhere. The decision record keeps the status,
// the reason and counts, not the person's data.
func Decide(ctx context.Context, db *store.DB, log *audit.Log, inv *inventory.Inventory, staff Actor, id int64, approve bool, reason string, now time.Time) (Decision, error) {
	if log == nil {
		return Decision{}, ErrNoAudit
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return Decision{}, ErrNoReason
	}
	if utf8.RuneCountInString(reason) > maxNote {
		return Decision{}, ErrNoteLong
	}
	d := Decision{Request: id, Approved: approve, Reason: reason}
	err := db.Tx(ctx, func(tx *store.Tx) error {
		var person int64
		err := tx.QueryRow(ctx, `SELECT person_id FROM removal_requests WHERE id = ? AND status = ?`, id, Pending).Scan(&person)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("reading a removal request: %w", err)
		}
		if person == staff.ID {
			return ErrOwnRequest
		}
		// The address to answer to, read before the removal deletes it.
		err = tx.QueryRow(ctx, `SELECT p.name, e.address FROM people p JOIN person_emails e ON e.person_id = p.id AND e.is_primary
			WHERE p.id = ?`, person).Scan(&d.Name, &d.To)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("reading the requester's address: %w", err)
		}
		status := Declined
		if approve {
			status = Approved
		}
		if _, err := tx.Exec(ctx, `UPDATE removal_requests SET status = ?, decided_at = ?, decided_by = ?, reason = ? WHERE id = ?`,
			status, now.UTC(), staff.ID, reason, id); err != nil {
			return fmt.Errorf("recording the decision: %w", err)
		}
		detail := "reason: " + reason
		if approve {
			s, err := LoadSubject(ctx, tx, person)
			if err != nil {
				return err
			}
			if d.Outcome, err = remove(ctx, tx, inv, s); err != nil {
				return err
			}
			detail += "; " + d.Outcome.Summary()
		}
		return log.Record(ctx, tx, audit.Entry{Actor: staff.ID, Label: staff.Label, Action: "dsr.removal." + status,
			Subject: fmt.Sprintf("removal:%d", id), Detail: detail})
	})
	return d, err
}

// DecisionMail is the message that tells the requester the decision.
func DecisionMail(d Decision, org string) mail.Message {
	var b strings.Builder
	fmt.Fprintf(&b, "Hello %s,\n\n", d.Name)
	if d.Approved {
		fmt.Fprintf(&b, "your request to remove your data from the site of %s has been approved and carried out. Your account, your addresses and everything tied to them are deleted, and you are signed out everywhere.\n\n", org)
		b.WriteString("Some records stay, as the privacy statement says: the consent ledger keeps its entries with a number that no longer leads to you, the audit log of staff access keeps its entries for its retention period, and the record of this decision stays without your note.\n\n")
	} else {
		fmt.Fprintf(&b, "your request to remove your data from the site of %s has been declined. Your account stays as it was.\n\n", org)
	}
	fmt.Fprintf(&b, "The reason given: %s\n\nThis is the last message we send to this address about the request.\n", d.Reason)
	subject := "Your removal request was declined"
	if d.Approved {
		subject = "Your data has been removed"
	}
	return mail.Message{To: d.To, Subject: subject, Body: b.String()}
}

// PurgeChild removes, at staff's initiative, everything about a person
// found to be a child under 13 (CH2): every table's removal action runs
// at once, as for an approved removal, without waiting for a request. The
// audit entry names the account by number and carries the reason and the
// counts, nothing the purge removed. Tables kept for accountability (the
// audit log) stay; a public-record table added later must declare a
// removal action that deletes, so that a child's postings go too.
func PurgeChild(ctx context.Context, db *store.DB, log *audit.Log, inv *inventory.Inventory, staff Actor, person int64, reason string) (Outcome, error) {
	if log == nil {
		return Outcome{}, ErrNoAudit
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return Outcome{}, ErrNoReason
	}
	if utf8.RuneCountInString(reason) > maxNote {
		return Outcome{}, ErrNoteLong
	}
	if person == staff.ID {
		return Outcome{}, ErrOwnRequest
	}
	var o Outcome
	err := db.Tx(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM people WHERE id = ?`, person).Scan(&n); err != nil {
			return fmt.Errorf("looking up the person to purge: %w", err)
		}
		if n == 0 {
			return ErrNoPerson
		}
		s, err := LoadSubject(ctx, tx, person)
		if err != nil {
			return err
		}
		if o, err = remove(ctx, tx, inv, s); err != nil {
			return err
		}
		return log.Record(ctx, tx, audit.Entry{Actor: staff.ID, Label: staff.Label, Action: "dsr.child.purge",
			Subject: fmt.Sprintf("person:%d", person), Detail: "reason: " + reason + "; " + o.Summary()})
	})
	return o, err
}
