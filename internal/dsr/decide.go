package dsr

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"plenary/internal/audit"
	"plenary/internal/inventory"
	"plenary/internal/jobs"
	"plenary/internal/mail"
	"plenary/internal/store"
)

// ErrUndecided: a decision must cover every category.
var ErrUndecided = errors.New("Decide every kind of data: approve or decline each, with a reason (or give one reason for all). Nothing was changed.")

// Request states besides Pending, Approved and Declined.
const Partly = "partly approved"

// CategoryDecision is staff's decision on one removal category.
type CategoryDecision struct {
	Category string
	Approve  bool
	Reason   string
}

// Decision is the outcome of deciding a request.
type Decision struct {
	Request    int64
	Categories []CategoryDecision
	Outcome    Outcome
}

// Approved reports whether any category was approved.
func (d Decision) Approved() bool {
	for _, c := range d.Categories {
		if c.Approve {
			return true
		}
	}
	return false
}

// MailKind is the job that mails a decision to the requester.
const MailKind = "dsr.decision"

// cleanDecisions checks that every category is decided once, with a
// reason; a missing one takes the general reason.
func cleanDecisions(in []CategoryDecision, general string) ([]CategoryDecision, error) {
	general = strings.TrimSpace(general)
	byCat := map[string]CategoryDecision{}
	for _, c := range in {
		if _, dup := byCat[c.Category]; dup {
			return nil, ErrUndecided
		}
		byCat[c.Category] = c
	}
	var out []CategoryDecision
	for _, cat := range inventory.RemovalCategories() {
		c, ok := byCat[cat.Name]
		if !ok {
			return nil, ErrUndecided
		}
		delete(byCat, cat.Name)
		c.Reason = strings.TrimSpace(c.Reason)
		if c.Reason == "" {
			c.Reason = general
		}
		if c.Reason == "" {
			return nil, ErrNoReason
		}
		if utf8.RuneCountInString(c.Reason) > maxNote {
			return nil, ErrNoteLong
		}
		out = append(out, c)
	}
	if len(byCat) > 0 {
		return nil, ErrUndecided
	}
	return out, nil
}

// Decide records staff's decision on every category of a pending removal
// request, then carries out each approved category in a transaction of
// its own, with its audit entry: the other categories first, the account
// last, because removing it deletes the addresses that find the rest.
// When the account goes, the categories kept are detached from it
// (postings and drafts stay under a pseudonym), and the person's sessions
// and remember-me tokens are among the rows deleted. The decision is
// mailed to the requester by a job (MailKind) enqueued with the last
// step; the address is kept only until then. The records keep the
// decisions, reasons and counts, not the data removed.
func Decide(ctx context.Context, db *store.DB, log *audit.Log, inv *inventory.Inventory, staff Actor, id int64, decisions []CategoryDecision, general string, now time.Time) (Decision, error) {
	if log == nil {
		return Decision{}, ErrNoAudit
	}
	cats, err := cleanDecisions(decisions, general)
	if err != nil {
		return Decision{}, err
	}
	d := Decision{Request: id, Categories: cats, Outcome: newOutcome()}
	var steps []string
	approved, declined := 0, 0
	for _, c := range cats {
		if !c.Approve {
			declined++
			continue
		}
		approved++
		if c.Category != inventory.CategoryAccount {
			steps = append(steps, c.Category)
		}
	}
	for _, c := range cats {
		if c.Approve && c.Category == inventory.CategoryAccount {
			steps = append(steps, c.Category)
		}
	}
	status := Partly
	switch {
	case declined == 0:
		status = Approved
	case approved == 0:
		status = Declined
	}
	var subject Subject
	err = db.Tx(ctx, func(tx *store.Tx) error {
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
		// The address to answer to, read before any removal deletes it.
		var to string
		err = tx.QueryRow(ctx, `SELECT address FROM person_emails WHERE person_id = ? AND is_primary`, person).Scan(&to)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("reading the requester's address: %w", err)
		}
		if subject, err = LoadSubject(ctx, tx, person); err != nil {
			return err
		}
		var summary []string
		for _, c := range cats {
			if _, err := tx.Exec(ctx, `INSERT INTO removal_decisions (request_id, category, approved, reason) VALUES (?, ?, ?, ?)`,
				id, c.Category, c.Approve, c.Reason); err != nil {
				return fmt.Errorf("recording the decision on %s: %w", c.Category, err)
			}
			verb := "declined"
			if c.Approve {
				verb = "approved"
			}
			summary = append(summary, c.Category+" "+verb+" ("+c.Reason+")")
		}
		if _, err := tx.Exec(ctx, `UPDATE removal_requests SET status = ?, decided_at = ?, decided_by = ?, reason = ?, reply_to = ? WHERE id = ?`,
			status, now.UTC(), staff.ID, strings.TrimSpace(general), to, id); err != nil {
			return fmt.Errorf("recording the decision: %w", err)
		}
		// The job that mails the decision first finishes any approved
		// category not carried out yet, so a removal cut short (a crash,
		// a lost connection) is completed by the queue's retries.
		if err := enqueueMail(ctx, tx, id, now); err != nil {
			return err
		}
		return log.Record(ctx, tx, audit.Entry{Actor: staff.ID, Label: staff.Label, Action: "dsr.removal.decide",
			Subject: fmt.Sprintf("removal:%d", id), Detail: strings.Join(summary, "; ")})
	})
	if err != nil {
		return Decision{}, err
	}
	for _, cat := range steps {
		o, err := carryOut(ctx, db, log, inv, staff, id, subject, cat, now)
		if err != nil {
			return d, fmt.Errorf("removing the %s data of request %d: %w", cat, id, err)
		}
		for _, m := range []struct{ to, from map[string]int64 }{{d.Outcome.Deleted, o.Deleted}, {d.Outcome.Pseudonymous, o.Pseudonymous}, {d.Outcome.Kept, o.Kept}, {d.Outcome.Rebuilt, o.Rebuilt}} {
			for t, n := range m.from {
				m.to[t] += n
			}
		}
	}
	return d, nil
}

// carryOut runs one approved category's removal in one transaction with
// its audit entry (counts only). It first claims the category by marking
// it done; a category another worker has done or is doing is left alone
// (on PostgreSQL the claim waits for the other transaction and then finds
// the category done).
func carryOut(ctx context.Context, db *store.DB, log *audit.Log, inv *inventory.Inventory, staff Actor, id int64, s Subject, cat string, now time.Time) (Outcome, error) {
	var o Outcome
	err := db.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE removal_decisions SET done_at = ? WHERE request_id = ? AND category = ? AND approved AND done_at IS NULL`, now.UTC(), id, cat)
		if err != nil {
			return fmt.Errorf("claiming the removal of %s: %w", cat, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		if o, err = remove(ctx, tx, inv, s, Plan{cat: true}); err != nil {
			return err
		}
		return log.Record(ctx, tx, audit.Entry{Actor: staff.ID, Label: staff.Label, Action: "dsr.removal.carry-out",
			Subject: fmt.Sprintf("removal:%d", id), Detail: cat + ": " + o.Summary()})
	})
	return o, err
}

// Resume carries out every approved category of a decided request that is
// not done yet, the account last; it does nothing when all are done.
func Resume(ctx context.Context, db *store.DB, log *audit.Log, inv *inventory.Inventory, id int64, now time.Time) error {
	rows, err := db.Query(ctx, `SELECT category FROM removal_decisions WHERE request_id = ? AND approved AND done_at IS NULL`, id)
	if err != nil {
		return fmt.Errorf("reading the unfinished removals of request %d: %w", id, err)
	}
	var todo []string
	account := false
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			rows.Close()
			return err
		}
		if c == inventory.CategoryAccount {
			account = true
		} else {
			todo = append(todo, c)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if account {
		todo = append(todo, inventory.CategoryAccount)
	}
	if len(todo) == 0 {
		return nil
	}
	if log == nil {
		return ErrNoAudit
	}
	var person, by int64
	if err := db.QueryRow(ctx, `SELECT person_id, COALESCE(decided_by, 0) FROM removal_requests WHERE id = ?`, id).Scan(&person, &by); err != nil {
		return fmt.Errorf("reading removal request %d: %w", id, err)
	}
	s, err := LoadSubject(ctx, db, person)
	if err != nil {
		return err
	}
	staff := Actor{ID: by, Label: "the removal queue, finishing a decision"}
	for _, cat := range todo {
		if _, err := carryOut(ctx, db, log, inv, staff, id, s, cat, now); err != nil {
			return fmt.Errorf("finishing the removal of %s for request %d: %w", cat, id, err)
		}
	}
	return nil
}

func enqueueMail(ctx context.Context, tx *store.Tx, id int64, now time.Time) error {
	key := strconv.FormatInt(id, 10)
	if _, _, err := jobs.Enqueue(ctx, tx, jobs.New{Kind: MailKind, Key: key, Payload: key}, now); err != nil {
		return fmt.Errorf("queueing the decision mail: %w", err)
	}
	return nil
}

// Mailer sends decisions to requesters: the handler of MailKind jobs. It
// finishes the approved removals first (Resume), so it needs the audit
// log and the inventory too.
type Mailer struct {
	DB    *store.DB
	Audit *audit.Log
	Inv   *inventory.Inventory
	Mail  mail.Sender
	Org   string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Handle finishes the approved removals of the request named by the job's
// payload, mails the decision and then empties the stored address, so that the record keeps no way to
// reach the person. A request whose address is empty was mailed already
// (or had none to mail to).
func (m *Mailer) Handle(ctx context.Context, j jobs.Job) error {
	id, err := strconv.ParseInt(j.Payload, 10, 64)
	if err != nil {
		return fmt.Errorf("dsr mail job: payload %q: %w", j.Payload, err)
	}
	now := time.Now()
	if m.Now != nil {
		now = m.Now()
	}
	if err := Resume(ctx, m.DB, m.Audit, m.Inv, id, now); err != nil {
		return err
	}
	var to string
	if err := m.DB.QueryRow(ctx, `SELECT reply_to FROM removal_requests WHERE id = ?`, id).Scan(&to); err != nil {
		return fmt.Errorf("reading removal request %d: %w", id, err)
	}
	if to == "" {
		return nil
	}
	rows, err := m.DB.Query(ctx, `SELECT category, approved, reason FROM removal_decisions WHERE request_id = ?`, id)
	if err != nil {
		return fmt.Errorf("reading the decisions of request %d: %w", id, err)
	}
	got := map[string]CategoryDecision{}
	for rows.Next() {
		var c CategoryDecision
		if err := rows.Scan(&c.Category, &c.Approve, &c.Reason); err != nil {
			rows.Close()
			return err
		}
		got[c.Category] = c
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var d Decision
	d.Request = id
	for _, c := range inventory.RemovalCategories() {
		if x, ok := got[c.Name]; ok {
			d.Categories = append(d.Categories, x)
		}
	}
	msg := DecisionMail(d, to, m.Org)
	if err := m.Mail.Send(ctx, msg); err != nil {
		return fmt.Errorf("mailing the decision on request %d: %w", id, err)
	}
	if _, err := m.DB.Exec(ctx, `UPDATE removal_requests SET reply_to = '' WHERE id = ?`, id); err != nil {
		return fmt.Errorf("emptying the reply address of request %d: %w", id, err)
	}
	return nil
}

// DecisionMail is the message that tells the requester the decision, kind
// of data by kind of data, with each reason.
func DecisionMail(d Decision, to, org string) mail.Message {
	labels := map[string]string{}
	for _, c := range inventory.RemovalCategories() {
		labels[c.Name] = c.Label
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Hello,\n\nstaff of %s have decided your request to remove your data from the site, for each kind of data:\n\n", org)
	account := false
	for _, c := range d.Categories {
		verb := "Declined: it stays."
		if c.Approve {
			verb = "Approved: removed."
			account = account || c.Category == inventory.CategoryAccount
		}
		fmt.Fprintf(&b, "- %s\n  %s Reason: %s\n", labels[c.Category], verb, c.Reason)
	}
	if account {
		b.WriteString("\nYour account and your addresses are deleted and you are signed out everywhere. What was declined stays without your name: postings and drafts under \"A former participant\". The consent ledger keeps its entries with a number that no longer leads to you, the audit log of staff access keeps its entries for its retention period, and the record of this decision stays without your note.\n")
	}
	b.WriteString("\nThis is the last message we send to this address about the request.\n")
	subject := "Your removal request was declined"
	if d.Approved() {
		subject = "Your removal request was decided"
	}
	return mail.Message{To: to, Subject: subject, Body: b.String()}
}
