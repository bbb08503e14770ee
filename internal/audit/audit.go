// Package audit keeps a tamper-evident log of every access to restricted
// data: a staff member viewing a participant's record, a security look-up
// in the raw access logs, a removal decision (S3, C3). Each entry's hash is
// an HMAC, under a key the database does not hold, of the previous entry's
// hash and the entry itself, so editing, inserting or deleting a row breaks
// the chain and Verify says where.
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
	"time"

	"plenary/internal/store"
)

// Entry is one audited action.
type Entry struct {
	ID      int64
	At      time.Time
	Actor   int64  // the person who acted; 0 for the command line or the system
	Label   string // how the actor is named in the log: a name, "cli", "system"
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
}

// chainLock serializes appends across instances sharing one PostgreSQL;
// on SQLite the immediate transaction already does.
const chainLock = 0x6175646974 // "audit"

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

func (l *Log) append(ctx context.Context, tx *store.Tx, e Entry) error {
	if tx.Dialect() == store.Postgres {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(?)", int64(chainLock)); err != nil {
			return fmt.Errorf("audit: locking the chain: %w", err)
		}
	}
	prev := genesis
	var headAction, headPrev, headHash string
	err := tx.QueryRow(ctx, "SELECT action, prev_hash, hash FROM audit_log ORDER BY id DESC LIMIT 1").Scan(&headAction, &headPrev, &headHash)
	switch {
	case isNoRows(err):
	case err != nil:
		return fmt.Errorf("audit: reading the chain head: %w", err)
	default:
		prev = chainValue(headAction, headPrev, headHash)
	}
	// Time is kept to the microsecond: both engines store that exactly, so
	// the hash recomputed from a read-back row matches.
	e.At = l.now().Truncate(time.Microsecond)
	if e.Label == "" {
		e.Label = "system"
	}
	e.Hash = l.hash(prev, e)
	var actor any
	if e.Actor != 0 {
		actor = e.Actor
	}
	if _, err := tx.Exec(ctx, "INSERT INTO audit_log (at, actor_id, actor, action, subject, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		e.At, actor, e.Label, e.Action, e.Subject, e.Detail, prev, e.Hash); err != nil {
		return fmt.Errorf("audit: writing entry: %w", err)
	}
	return nil
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// hash computes an entry's link in the chain. Fields are length-prefixed,
// so no choice of text can make two different entries hash alike.
func (l *Log) hash(prev string, e Entry) string {
	m := hmac.New(sha256.New, l.Key)
	for _, f := range []string{prev, e.At.UTC().Format(time.RFC3339Nano), strconv.FormatInt(e.Actor, 10), e.Label, e.Action, e.Subject, e.Detail} {
		m.Write([]byte(strconv.Itoa(len(f))))
		m.Write([]byte{':'})
		m.Write([]byte(f))
	}
	return hex.EncodeToString(m.Sum(nil))
}

// checkpointAction marks the entry Prune leaves in place of what it removed.
const checkpointAction = "audit.checkpoint"

// chainValue is what the next entry links to. A checkpoint is transparent:
// its own hash authenticates its text, but the chain passes through it to
// the last removed entry, which the first kept entry already links to.
func chainValue(action, prev, hash string) string {
	if action == checkpointAction {
		return prev
	}
	return hash
}

// Report is the outcome of Verify.
type Report struct {
	Entries int
	// BadID is the first entry whose hash or link does not check out; 0
	// when the whole chain is intact.
	BadID   int64
	Problem string
}

// OK reports whether the chain is intact.
func (r Report) OK() bool { return r.BadID == 0 && r.Problem == "" }

// Verify walks the whole chain in order and recomputes every hash.
// progress, when not nil, is called every 10,000 entries.
func (l *Log) Verify(ctx context.Context, progress func(done int)) (Report, error) {
	rows, err := l.DB.Query(ctx, "SELECT id, at, actor_id, actor, action, subject, detail, prev_hash, hash FROM audit_log ORDER BY id")
	if err != nil {
		return Report{}, fmt.Errorf("audit: reading the chain: %w", err)
	}
	defer rows.Close()
	var r Report
	prev := ""
	for rows.Next() {
		var e Entry
		var actor *int64
		var storedPrev string
		if err := rows.Scan(&e.ID, &e.At, &actor, &e.Label, &e.Action, &e.Subject, &e.Detail, &storedPrev, &e.Hash); err != nil {
			return r, fmt.Errorf("audit: reading entry: %w", err)
		}
		if actor != nil {
			e.Actor = *actor
		}
		r.Entries++
		// The oldest remaining entry anchors the chain: it links to the
		// genesis, or to a checkpoint written when older entries expired.
		if prev != "" && storedPrev != prev {
			r.BadID, r.Problem = e.ID, fmt.Sprintf("entry %d does not link to entry before it: an entry was removed or inserted", e.ID)
			return r, nil
		}
		if r.Entries == 1 && storedPrev != genesis && e.Action != checkpointAction {
			// A pruned chain starts with the checkpoint entry; anything
			// else means its head was cut off.
			r.BadID, r.Problem = e.ID, fmt.Sprintf("the chain starts at entry %d, which is neither the first entry nor a retention checkpoint: earlier entries were removed", e.ID)
			return r, nil
		}
		if want := l.hash(storedPrev, e); !hmac.Equal([]byte(want), []byte(e.Hash)) {
			r.BadID, r.Problem = e.ID, fmt.Sprintf("entry %d was altered: its content no longer matches its hash", e.ID)
			return r, nil
		}
		prev = chainValue(e.Action, storedPrev, e.Hash)
		if progress != nil && r.Entries%10000 == 0 {
			progress(r.Entries)
		}
	}
	return r, rows.Err()
}

// Prune removes entries older than before (a retention rule) and leaves a
// checkpoint entry at the head of the remaining chain that says how many
// were removed and links to the last removed hash, so Verify still checks
// everything that remains.
func (l *Log) Prune(ctx context.Context, before time.Time) (int, error) {
	var removed int
	err := l.DB.Tx(ctx, func(tx *store.Tx) error {
		if tx.Dialect() == store.Postgres {
			if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(?)", int64(chainLock)); err != nil {
				return err
			}
		}
		var lastID int64
		var lastHash string
		err := tx.QueryRow(ctx, "SELECT id, hash FROM audit_log WHERE at < ? ORDER BY id DESC LIMIT 1", before.UTC()).Scan(&lastID, &lastHash)
		if isNoRows(err) {
			return nil
		}
		if err != nil {
			return err
		}
		res, err := tx.Exec(ctx, "DELETE FROM audit_log WHERE id <= ?", lastID)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		removed = int(n)
		// The checkpoint must come first in id order, so it takes the id
		// of the last removed entry.
		e := Entry{Label: "system", Action: checkpointAction, Subject: "audit_log",
			Detail: fmt.Sprintf("%d entries older than %s removed under the retention rule", n, before.UTC().Format(time.DateOnly))}
		e.At = l.now().Truncate(time.Microsecond)
		e.Hash = l.hash(lastHash, e)
		_, err = tx.Exec(ctx, "INSERT INTO audit_log (id, at, actor_id, actor, action, subject, detail, prev_hash, hash) VALUES (?, ?, NULL, ?, ?, ?, ?, ?, ?)",
			lastID, e.At, e.Label, e.Action, e.Subject, e.Detail, lastHash, e.Hash)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("audit: pruning: %w", err)
	}
	return removed, nil
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
	q := "SELECT id, at, actor_id, actor, action, subject, detail, hash FROM audit_log WHERE 1=1"
	var args []any
	if f.Action != "" {
		q += " AND action LIKE ?"
		args = append(args, f.Action+"%")
	}
	if f.Subject != "" {
		q += " AND subject = ?"
		args = append(args, f.Subject)
	}
	q += " ORDER BY id DESC LIMIT " + strconv.Itoa(f.Limit)
	rows, err := l.DB.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("audit: listing: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var actor *int64
		if err := rows.Scan(&e.ID, &e.At, &actor, &e.Label, &e.Action, &e.Subject, &e.Detail, &e.Hash); err != nil {
			return nil, err
		}
		if actor != nil {
			e.Actor = *actor
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
