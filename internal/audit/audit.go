// Package audit keeps a tamper-evident log of every access to restricted
// data: a staff member viewing a participant's record, a security look-up
// in the raw access logs, a removal decision (S3, C3). Each entry's hash is
// an HMAC, under a key the database does not hold, of its sequence number,
// the previous entry's hash and the entry itself, so editing, inserting or
// deleting a row breaks the chain and Verify says where. A chain cannot show
// on its own that its newest entries were cut off; signed checkpoints of
// its head, kept outside the database (checkpoint.go), can.
package audit

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"plenary/internal/roles"
	"plenary/internal/store"
)

// Entry is one audited action.
type Entry struct {
	ID      int64
	Seq     int64 // position in the chain: 1, 2, 3, … with no gap
	At      time.Time
	Actor   int64  // the person who acted; 0 for the command line or the system
	Label   string // how the actor was named: a staff member's name, "participant 42", "cli", "system"
	Role    string // the actor's staff roles when the entry was written, comma-separated
	Action  string // what was done, e.g. "people.view", "logs.lookup"
	Subject string // what it was done to, e.g. "person:42"
	Detail  string // the rest: a stated reason, a query, a count
	Hash    string
}

// Log writes and verifies the chain.
type Log struct {
	DB  *store.DB
	Key []byte // from secrets.Keys.Derive("audit")
	Now func() time.Time
	// Checkpoints, when set, is where signed checkpoints of the head are
	// written and where Verify reads them back.
	Checkpoints *Checkpoints
}

// chainLock serializes appends across instances sharing one PostgreSQL;
// on SQLite the immediate transaction already does.
const chainLock = "audit"

// genesis is the previous hash of the first entry.
const genesis = "genesis"

// Record appends e to the chain. When q is a transaction, the entry commits
// or rolls back with the caller's own work; otherwise it gets its own.
func (l *Log) Record(ctx context.Context, q store.Querier, e Entry) error {
	if e.Action == "" {
		return errors.New("audit: an entry needs an action")
	}
	if tx, ok := q.(*store.Tx); ok {
		return l.append(ctx, tx, e)
	}
	return l.DB.Tx(ctx, func(tx *store.Tx) error { return l.append(ctx, tx, e) })
}

func (l *Log) now() time.Time {
	if l.Now != nil {
		return l.Now().UTC()
	}
	return time.Now().UTC()
}

// head is the newest entry: its number and hash, and the value the next
// entry links to.
type head struct {
	seq        int64
	hash       string
	chainValue string
}

func readHead(ctx context.Context, q store.Querier) (head, error) {
	var h head
	var action, prev string
	err := q.QueryRow(ctx, "SELECT seq, action, prev_hash, hash FROM audit_log ORDER BY seq DESC LIMIT 1").Scan(&h.seq, &action, &prev, &h.hash)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		h.chainValue = genesis
		return h, nil
	case err != nil:
		return h, fmt.Errorf("audit: reading the chain head: %w", err)
	}
	h.chainValue = chainValue(action, prev, h.hash)
	return h, nil
}

func (l *Log) append(ctx context.Context, tx *store.Tx, e Entry) error {
	if err := tx.Lock(ctx, chainLock); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	h, err := readHead(ctx, tx)
	if err != nil {
		return err
	}
	e.Seq = h.seq + 1
	// Time is kept to the microsecond: both engines store that exactly, so
	// the hash recomputed from a read-back row matches.
	e.At = l.now().Truncate(time.Microsecond)
	if e.Label == "" {
		e.Label = "system"
	}
	if e.Actor != 0 && e.Role == "" {
		// The role is read here, in the entry's own transaction, rather
		// than taken from the caller: it is what the account held at that
		// moment, whatever name the actor gave themselves.
		if e.Role, err = staffRoles(ctx, tx, e.Actor); err != nil {
			return err
		}
	}
	if e.Actor != 0 && e.Role == "" {
		// A participant acting on their own data is named by number only,
		// whatever label the caller passed: the log is staff
		// accountability, and it promises to hold no participant's name or
		// address (rights.go).
		e.Label = ParticipantLabel(e.Actor)
	}
	e.Hash = l.hash(h.chainValue, e)
	var actor any
	if e.Actor != 0 {
		actor = e.Actor
	}
	if _, err := tx.Exec(ctx, "INSERT INTO audit_log (seq, at, actor_id, actor, actor_role, action, subject, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		e.Seq, e.At, actor, e.Label, e.Role, e.Action, e.Subject, e.Detail, h.chainValue, e.Hash); err != nil {
		return fmt.Errorf("audit: writing entry: %w", err)
	}
	return nil
}

// ParticipantLabel is how an entry names an actor who holds no staff role.
func ParticipantLabel(person int64) string {
	return "participant " + strconv.FormatInt(person, 10)
}

// staffRoles lists the staff roles person holds, comma-separated.
func staffRoles(ctx context.Context, tx *store.Tx, person int64) (string, error) {
	rows, err := tx.Query(ctx, "SELECT role FROM person_roles WHERE person_id = ? ORDER BY role", person)
	if err != nil {
		return "", fmt.Errorf("audit: reading the actor's roles: %w", err)
	}
	defer rows.Close()
	var held []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return "", fmt.Errorf("audit: reading the actor's roles: %w", err)
		}
		if roles.Role(r).Staff() {
			held = append(held, r)
		}
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("audit: reading the actor's roles: %w", err)
	}
	return strings.Join(held, ","), nil
}

// hash computes an entry's link in the chain. Fields are length-prefixed,
// so no choice of text can make two different entries hash alike; the
// sequence number is covered, so renumbering is seen too.
func (l *Log) hash(prev string, e Entry) string {
	return mac(l.Key, "plenary-audit-v2", strconv.FormatInt(e.Seq, 10), prev, e.At.UTC().Format(time.RFC3339Nano),
		strconv.FormatInt(e.Actor, 10), e.Label, e.Role, e.Action, e.Subject, e.Detail)
}

// legacyHash is how entries were hashed before they carried a sequence
// number and role. Verify accepts it only for entries that precede every
// entry in the current form.
func (l *Log) legacyHash(prev string, e Entry) string {
	return mac(l.Key, prev, e.At.UTC().Format(time.RFC3339Nano), strconv.FormatInt(e.Actor, 10), e.Label, e.Action, e.Subject, e.Detail)
}

func mac(key []byte, fields ...string) string {
	m := hmac.New(sha256.New, key)
	for _, f := range fields {
		m.Write([]byte(strconv.Itoa(len(f))))
		m.Write([]byte{':'})
		m.Write([]byte(f))
	}
	return hex.EncodeToString(m.Sum(nil))
}

// pruneMarker is the action of the entry Prune leaves in place of what it
// removed. (The name predates the signed checkpoints of the head.)
const pruneMarker = "audit.checkpoint"

// chainValue is what the next entry links to. A prune marker is
// transparent: its own hash authenticates its text, but the chain passes
// through it to the last removed entry, which the first kept entry already
// links to.
func chainValue(action, prev, hash string) string {
	if action == pruneMarker {
		return prev
	}
	return hash
}

// Report is the outcome of Verify.
type Report struct {
	Entries int
	// Head is the newest entry's sequence number and hash; zero for an
	// empty log.
	Head Checkpoint
	// Checkpoints is how many signed checkpoints the chain was compared
	// with.
	Checkpoints int
	// BadID is the first entry whose hash or link does not check out; 0
	// when the problem is not one entry's (a truncated end, a checkpoint
	// file that fails its signature).
	BadID   int64
	Problem string
}

// OK reports whether the chain is intact.
func (r Report) OK() bool { return r.BadID == 0 && r.Problem == "" }

func (r *Report) fail(id int64, format string, args ...any) {
	r.BadID, r.Problem = id, fmt.Sprintf(format, args...)
}

// Verify walks the whole chain in order, recomputes every hash, checks
// that sequence numbers follow one another, and compares the chain with
// every signed checkpoint it can read: the entry a checkpoint names must
// still be there with the same hash, unless retention has since removed
// it. progress, when not nil, is called every 10,000 entries.
func (l *Log) Verify(ctx context.Context, progress func(done int)) (Report, error) {
	var r Report
	var cps []Checkpoint
	if l.Checkpoints != nil {
		var err error
		cps, err = l.Checkpoints.Read()
		var bad *BadCheckpointError
		if errors.As(err, &bad) {
			r.fail(0, "%s", bad.Error())
			return r, nil
		}
		if err != nil {
			return r, err
		}
	}
	r.Checkpoints = len(cps)
	want := map[int64][]Checkpoint{}
	var latest Checkpoint
	for _, cp := range cps {
		want[cp.Seq] = append(want[cp.Seq], cp)
		if cp.Seq > latest.Seq {
			latest = cp
		}
	}

	rows, err := l.DB.Query(ctx, "SELECT id, seq, at, actor_id, actor, actor_role, action, subject, detail, prev_hash, hash FROM audit_log ORDER BY seq, id")
	if err != nil {
		return r, fmt.Errorf("audit: reading the chain: %w", err)
	}
	defer rows.Close()
	prev := ""
	var prevSeq, prunedThrough int64
	current := false // an entry in the current form was seen; legacy ones may no longer follow
	for rows.Next() {
		var e Entry
		var actor *int64
		var storedPrev string
		if err := rows.Scan(&e.ID, &e.Seq, &e.At, &actor, &e.Label, &e.Role, &e.Action, &e.Subject, &e.Detail, &storedPrev, &e.Hash); err != nil {
			return r, fmt.Errorf("audit: reading entry: %w", err)
		}
		if actor != nil {
			e.Actor = *actor
		}
		r.Entries++
		first := r.Entries == 1
		// The oldest remaining entry anchors the chain: it links to the
		// genesis, or it is the marker written when older entries expired.
		if !first && storedPrev != prev {
			r.fail(e.ID, "entry %d does not link to entry before it: an entry was removed or inserted", e.ID)
			return r, nil
		}
		switch {
		case first && e.Action == pruneMarker:
			// Entries up to and including this number were removed by
			// the retention rule; checkpoints of them cannot be checked.
			prunedThrough = e.Seq
		case first && storedPrev != genesis:
			r.fail(e.ID, "the chain starts at entry %d, which is neither the first entry nor a retention marker: earlier entries were removed", e.ID)
			return r, nil
		case first && e.Seq != 1:
			r.fail(e.ID, "the chain starts at number %d instead of 1: earlier entries were removed", e.Seq)
			return r, nil
		case !first && e.Seq != prevSeq+1:
			r.fail(e.ID, "the numbers jump from %d to %d at entry %d: entries were removed", prevSeq, e.Seq, e.ID)
			return r, nil
		}
		switch {
		case hmac.Equal([]byte(l.hash(storedPrev, e)), []byte(e.Hash)):
			current = true
		case !current && hmac.Equal([]byte(l.legacyHash(storedPrev, e)), []byte(e.Hash)):
		default:
			r.fail(e.ID, "entry %d was altered: its content no longer matches its hash", e.ID)
			return r, nil
		}
		if e.Seq > prunedThrough {
			for _, cp := range want[e.Seq] {
				if cp.Hash != e.Hash {
					r.fail(e.ID, "entry %d (number %d) is not the entry the checkpoint of %s by %s recorded: the log was rewritten", e.ID, e.Seq, cp.At.Format(time.RFC3339), cp.Instance)
					return r, nil
				}
			}
		}
		prev, prevSeq = chainValue(e.Action, storedPrev, e.Hash), e.Seq
		r.Head = Checkpoint{Seq: e.Seq, Hash: e.Hash}
		if progress != nil && r.Entries%10000 == 0 {
			progress(r.Entries)
		}
	}
	if err := rows.Err(); err != nil {
		return r, fmt.Errorf("audit: reading the chain: %w", err)
	}
	if latest.Seq > r.Head.Seq {
		r.fail(0, "the log ends at number %d, but the checkpoint of %s by %s recorded number %d: the newest entries were removed",
			r.Head.Seq, latest.At.Format(time.RFC3339), latest.Instance, latest.Seq)
	}
	return r, nil
}

// Prune removes, inside tx, entries older than before (a retention rule)
// and leaves a marker at the head of the remaining chain that says how
// many were removed, takes the number of the last one and links to its
// hash, so Verify still checks everything that remains. It returns how
// many entries it removed, not counting an earlier marker it replaced.
func (l *Log) Prune(ctx context.Context, tx *store.Tx, before time.Time) (int64, error) {
	if err := tx.Lock(ctx, chainLock); err != nil {
		return 0, fmt.Errorf("audit: %w", err)
	}
	var last struct {
		id, seq            int64
		action, prev, hash string
	}
	err := tx.QueryRow(ctx, "SELECT id, seq, action, prev_hash, hash FROM audit_log WHERE at < ? ORDER BY seq DESC LIMIT 1", before.UTC()).
		Scan(&last.id, &last.seq, &last.action, &last.prev, &last.hash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("audit: pruning: %w", err)
	}
	if last.action == pruneMarker {
		// The marker a previous prune left is the only expired entry (it
		// always comes first): there is nothing to remove, and replacing
		// it would only churn the head of the chain.
		return 0, nil
	}
	var n int64
	if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM audit_log WHERE seq <= ? AND action <> ?", last.seq, pruneMarker).Scan(&n); err != nil {
		return 0, fmt.Errorf("audit: pruning: %w", err)
	}
	if _, err := tx.Exec(ctx, "DELETE FROM audit_log WHERE seq <= ?", last.seq); err != nil {
		return 0, fmt.Errorf("audit: pruning: %w", err)
	}
	// The marker must come first in the chain, so it takes the id and
	// number of the last removed entry; the first kept entry links to that
	// entry's chain value, which the marker passes on.
	link := chainValue(last.action, last.prev, last.hash)
	e := Entry{Seq: last.seq, Label: "system", Action: pruneMarker, Subject: "audit_log",
		Detail: fmt.Sprintf("%d entries older than %s removed under the retention rule", n, before.UTC().Format(time.DateOnly))}
	e.At = l.now().Truncate(time.Microsecond)
	e.Hash = l.hash(link, e)
	if _, err := tx.Exec(ctx, "INSERT INTO audit_log (id, seq, at, actor_id, actor, actor_role, action, subject, detail, prev_hash, hash) VALUES (?, ?, ?, NULL, ?, '', ?, ?, ?, ?, ?)",
		last.id, e.Seq, e.At, e.Label, e.Action, e.Subject, e.Detail, link, e.Hash); err != nil {
		return 0, fmt.Errorf("audit: writing the retention marker: %w", err)
	}
	return n, nil
}

// Filter narrows List.
type Filter struct {
	Action  string // prefix, e.g. "logs."
	Subject string
	Limit   int
}

// List returns entries, newest first.
func (l *Log) List(ctx context.Context, f Filter) ([]Entry, error) {
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 200
	}
	q := "SELECT id, seq, at, actor_id, actor, actor_role, action, subject, detail, hash FROM audit_log WHERE 1=1"
	var args []any
	if f.Action != "" {
		q += " AND action LIKE ?"
		args = append(args, f.Action+"%")
	}
	if f.Subject != "" {
		q += " AND subject = ?"
		args = append(args, f.Subject)
	}
	q += " ORDER BY seq DESC LIMIT " + strconv.Itoa(f.Limit)
	rows, err := l.DB.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("audit: listing: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var actor *int64
		if err := rows.Scan(&e.ID, &e.Seq, &e.At, &actor, &e.Label, &e.Role, &e.Action, &e.Subject, &e.Detail, &e.Hash); err != nil {
			return nil, fmt.Errorf("audit: listing: %w", err)
		}
		if actor != nil {
			e.Actor = *actor
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
