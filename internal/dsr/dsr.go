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
	"plenary/internal/secrets"
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
// Values sealed with a site key (a card's last four digits) are opened
// with keys: the copy is the person's, and its one audit entry covers the
// decryption too. format says what was produced ("html" or "json"), for
// the log.
func MakeExport(ctx context.Context, db *store.DB, log *audit.Log, inv *inventory.Inventory, keys *secrets.Keys, actor Actor, person int64, format string, now time.Time) (Export, error) {
	if log == nil {
		return Export{}, ErrNoAudit
	}
	var e Export
	err := db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		e, err = exportIn(ctx, tx, log, inv, keys, actor, person, "format "+format, now)
		return err
	})
	return e, err
}

// exportIn reads the copy of person's data inside tx and records it in
// the audit log with detail, for the person's own copy and staff's alike.
func exportIn(ctx context.Context, tx *store.Tx, log *audit.Log, inv *inventory.Inventory, keys *secrets.Keys, actor Actor, person int64, detail string, now time.Time) (Export, error) {
	s, err := LoadSubject(ctx, tx, person)
	if err != nil {
		return Export{}, err
	}
	tables, err := collect(ctx, tx, inv, keys, s)
	if err != nil {
		return Export{}, err
	}
	e := Export{Person: person, Generated: now.UTC(), Addresses: s.Addresses, Tables: tables, AccessLogs: AccessLogStatement}
	return e, log.Record(ctx, tx, audit.Entry{Actor: actor.ID, Label: actor.Label, Action: "dsr.export",
		Subject: fmt.Sprintf("person:%d", person), Detail: detail})
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
	// Verified says how staff checked the identity of a person who
	// wrote in; empty for a request made from the account page.
	Verified  string
	Decisions []CategoryDecision
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
				r.requested_at, r.decided_at, r.reason, r.verified
			FROM removal_requests r
			LEFT JOIN people p ON p.id = r.person_id AND r.status <> ?
			LEFT JOIN person_emails e ON e.person_id = p.id AND e.is_primary
			ORDER BY CASE WHEN r.status = ? THEN 0 ELSE 1 END, r.id DESC LIMIT 200`, Approved, Pending)
		if err != nil {
			return fmt.Errorf("listing removal requests: %w", err)
		}
		if out, err = store.Collect(rows, func(rows *sql.Rows) (RemovalRequest, error) {
			var r RemovalRequest
			var decided sql.NullTime
			err := rows.Scan(&r.ID, &r.Person, &r.Name, &r.Address, &r.Note, &r.Status, &r.RequestedAt, &decided, &r.Reason, &r.Verified)
			r.DecidedAt = store.TimeOrNil(decided)
			return r, err
		}); err != nil {
			return err
		}
		ids := make([]string, len(out))
		for i, r := range out {
			ids[i] = fmt.Sprint(r.ID)
		}
		if err := loadDecisions(ctx, tx, out); err != nil {
			return err
		}
		return log.Record(ctx, tx, audit.Entry{Actor: staff.ID, Label: staff.Label, Action: "dsr.removal.list",
			Detail: "requests " + strings.Join(ids, ",")})
	})
	return out, err
}

// PurgeChild removes, at staff's initiative, everything about a person
// found to be a child under 13 (CH2): every table's removal action runs
// at once, as for an approved removal, without waiting for a request. The
// audit entry names the account by number and carries the reason and the
// counts, nothing the purge removed. Every category is removed in one
// transaction, public postings and drafts included; tables kept for
// accountability (the audit log, the disclosure register) stay.
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
		if o, err = remove(ctx, tx, inv, s, All()); err != nil {
			return err
		}
		return log.Record(ctx, tx, audit.Entry{Actor: staff.ID, Label: staff.Label, Action: "dsr.child.purge",
			Subject: fmt.Sprintf("person:%d", person), Detail: "reason: " + reason + "; " + o.Summary()})
	})
	return o, err
}

// loadDecisions fills in the category decisions of decided requests.
func loadDecisions(ctx context.Context, q store.Querier, reqs []RemovalRequest) error {
	at := map[int64]int{}
	for i, r := range reqs {
		if r.Status != Pending {
			at[r.ID] = i
		}
	}
	if len(at) == 0 {
		return nil
	}
	rows, err := q.Query(ctx, `SELECT request_id, category, approved, reason FROM removal_decisions ORDER BY request_id DESC LIMIT 2000`)
	if err != nil {
		return fmt.Errorf("reading removal decisions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var c CategoryDecision
		if err := rows.Scan(&id, &c.Category, &c.Approve, &c.Reason); err != nil {
			return err
		}
		if i, ok := at[id]; ok {
			reqs[i].Decisions = append(reqs[i].Decisions, c)
		}
	}
	return rows.Err()
}

// PendingCount is how many removal requests wait for a decision: a count
// for the staff's home page, with nothing personal in it.
func PendingCount(ctx context.Context, q store.Querier) (int, error) {
	var n int
	if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM removal_requests WHERE status = ?`, Pending).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting pending removal requests: %w", err)
	}
	return n, nil
}
