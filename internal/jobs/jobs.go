// Package jobs is plenary's one queue of background work: list
// distribution, participant mailings and periodic sweeps. The queue lives
// in the database, so every instance serving the site shares it: a job is
// claimed by one instance under a lease (FOR UPDATE SKIP LOCKED on
// PostgreSQL; SQLite has a single writer), renewed while the work runs, and
// taken up by another instance when its holder dies and the lease runs out.
//
// Work that must happen once per recipient keeps its own record of what was
// done (a mailing's sent list, say) and checks it: the queue guarantees
// that one instance at a time holds a job, and that an interrupted job is
// resumed, not that a crash never repeats the step it was in.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"plenary/internal/store"
)

// Job is a claimed unit of work.
type Job struct {
	ID       int64
	Kind     string
	Key      string // empty unless the job was enqueued with one
	Payload  string
	Attempts int // including the one under way
	RunAt    time.Time
}

// New describes a job to enqueue.
type New struct {
	Kind string
	// Key, when set, keeps at most one unfinished job of this kind and
	// key: enqueuing a second is a no-op. Every instance can then enqueue
	// the same periodic job or the same mailing at start.
	Key string
	// Payload names what the job applies to: ids, never personal data
	// (the inventory declares the column as not personal).
	Payload string
	// RunAt is when the job becomes due; the zero time means now.
	RunAt time.Time
	// MaxAttempts is how often a failing job is tried before it is marked
	// failed; zero means DefaultMaxAttempts.
	MaxAttempts int
}

// DefaultMaxAttempts is how often a job is tried unless it says otherwise.
const DefaultMaxAttempts = 5

// MaxPayload bounds a payload: it holds ids, not documents.
const MaxPayload = 4096

// ErrLeaseLost means another worker holds the job now: this worker's lease
// ran out (it stalled longer than the lease) and the job was claimed again.
// Whatever this worker was doing for the job must stop.
var ErrLeaseLost = errors.New("jobs: the lease on this job was lost to another worker")

// Enqueue adds a job within q, so a use case can enqueue its follow-up work
// in the transaction that makes it necessary. It reports whether a job was
// added: false when an unfinished job of the same kind and key exists.
func Enqueue(ctx context.Context, q store.Querier, n New, now time.Time) (id int64, added bool, err error) {
	switch {
	case n.Kind == "" || len(n.Kind) > 100:
		return 0, false, errors.New("jobs: a job needs a kind of at most 100 bytes")
	case len(n.Payload) > MaxPayload:
		return 0, false, fmt.Errorf("jobs: payload of %s is %d bytes, over %d", n.Kind, len(n.Payload), MaxPayload)
	case !utf8.ValidString(n.Payload) || strings.ContainsRune(n.Payload, 0) || !utf8.ValidString(n.Key):
		return 0, false, fmt.Errorf("jobs: payload or key of %s is not clean text", n.Kind)
	}
	if n.RunAt.IsZero() {
		n.RunAt = now
	}
	if n.MaxAttempts <= 0 {
		n.MaxAttempts = DefaultMaxAttempts
	}
	var key any
	if n.Key != "" {
		key = n.Key
	}
	// ON CONFLICT DO NOTHING leaves a PostgreSQL transaction usable, where a
	// unique violation would abort it; RETURNING then yields no row.
	err = q.QueryRow(ctx, `INSERT INTO jobs (kind, unique_key, payload, run_at, max_attempts, created_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`,
		n.Kind, key, n.Payload, n.RunAt.UTC(), n.MaxAttempts, now.UTC()).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("enqueuing a %s job: %w", n.Kind, err)
	}
	return id, true, nil
}

// Queue claims and settles jobs for one worker.
type Queue struct {
	DB *store.DB
	// Worker names the holder of a claim: the instance and its process, so
	// an operator reading the table can tell who is doing what.
	Worker string
	// Lease is how long a claim lasts without renewal; default 5 minutes.
	// The runner renews it at a third of that while a handler runs.
	Lease time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
}

func (qu *Queue) now() time.Time {
	if qu.Now != nil {
		return qu.Now().UTC()
	}
	return time.Now().UTC()
}

func (qu *Queue) lease() time.Duration {
	if qu.Lease > 0 {
		return qu.Lease
	}
	return 5 * time.Minute
}

// Claim takes the oldest due job of one of kinds that nobody holds (or
// whose holder's lease ran out), or returns nil when there is none.
func (qu *Queue) Claim(ctx context.Context, kinds []string) (*Job, error) {
	if len(kinds) == 0 {
		return nil, nil
	}
	now := qu.now()
	args := []any{qu.Worker, now.Add(qu.lease()), now, now}
	marks := make([]string, len(kinds))
	for i, k := range kinds {
		marks[i] = "?"
		args = append(args, k)
	}
	skipLocked := ""
	if qu.DB.Dialect() == store.Postgres {
		// Instances claiming at once each skip the rows another is
		// taking instead of queueing behind its lock.
		skipLocked = " FOR UPDATE SKIP LOCKED"
	}
	query := `UPDATE jobs SET locked_by = ?, locked_until = ?, attempts = attempts + 1
		WHERE id = (SELECT id FROM jobs
			WHERE finished_at IS NULL AND run_at <= ? AND (locked_until IS NULL OR locked_until <= ?)
			AND kind IN (` + strings.Join(marks, ", ") + `)
			ORDER BY run_at, id LIMIT 1` + skipLocked + `)
		RETURNING id, kind, COALESCE(unique_key, ''), payload, attempts, run_at`
	var j Job
	found := false
	// A transaction puts the claim on the write connection (SQLite's single
	// writer); on PostgreSQL it commits the claim as one statement.
	err := qu.DB.Tx(ctx, func(tx *store.Tx) error {
		err := tx.QueryRow(ctx, query, args...).Scan(&j.ID, &j.Kind, &j.Key, &j.Payload, &j.Attempts, &j.RunAt)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		found = err == nil
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claiming a job: %w", err)
	}
	if !found {
		return nil, nil
	}
	return &j, nil
}

// Extend renews the lease on j, or returns ErrLeaseLost.
func (qu *Queue) Extend(ctx context.Context, j *Job) error {
	res, err := qu.DB.Exec(ctx, "UPDATE jobs SET locked_until = ? WHERE id = ? AND locked_by = ? AND finished_at IS NULL",
		qu.now().Add(qu.lease()), j.ID, qu.Worker)
	return qu.held(res, err, j, "renewing the lease on")
}

// Complete marks j done within q, so a handler can settle its last step and
// the job in one transaction. It returns ErrLeaseLost when another worker
// holds the job now, which rolls that transaction back.
func (qu *Queue) Complete(ctx context.Context, q store.Querier, j *Job) error {
	res, err := q.Exec(ctx, "UPDATE jobs SET finished_at = ?, locked_until = NULL, last_error = '' WHERE id = ? AND locked_by = ? AND finished_at IS NULL",
		qu.now(), j.ID, qu.Worker)
	return qu.held(res, err, j, "completing")
}

// Fail records that j failed with cause: it is tried again after a delay
// that doubles with each attempt (a minute, two, four, … at most an hour),
// or marked failed for good once it has had its attempts. It reports
// whether the job is finished.
func (qu *Queue) Fail(ctx context.Context, q store.Querier, j *Job, cause error) (final bool, err error) {
	msg := "failed"
	if cause != nil {
		msg = strings.ToValidUTF8(strings.ReplaceAll(cause.Error(), "\x00", ""), "?")
	}
	if len(msg) > 1000 {
		msg = msg[:1000]
	}
	now := qu.now()
	var maxAttempts int
	if err := q.QueryRow(ctx, "SELECT max_attempts FROM jobs WHERE id = ?", j.ID).Scan(&maxAttempts); err != nil {
		return false, fmt.Errorf("failing job %d: %w", j.ID, err)
	}
	var res sql.Result
	if j.Attempts >= maxAttempts {
		final = true
		res, err = q.Exec(ctx, "UPDATE jobs SET finished_at = ?, failed = ?, locked_until = NULL, last_error = ? WHERE id = ? AND locked_by = ? AND finished_at IS NULL",
			now, true, msg, j.ID, qu.Worker)
	} else {
		res, err = q.Exec(ctx, "UPDATE jobs SET run_at = ?, locked_by = NULL, locked_until = NULL, last_error = ? WHERE id = ? AND locked_by = ? AND finished_at IS NULL",
			now.Add(Backoff(j.Attempts)), msg, j.ID, qu.Worker)
	}
	return final, qu.held(res, err, j, "failing")
}

// release gives j back without counting the attempt, for a worker that is
// shutting down: another instance may take it at once.
func (qu *Queue) release(ctx context.Context, j *Job) error {
	res, err := qu.DB.Exec(ctx, "UPDATE jobs SET locked_by = NULL, locked_until = NULL, attempts = attempts - 1 WHERE id = ? AND locked_by = ? AND finished_at IS NULL",
		j.ID, qu.Worker)
	return qu.held(res, err, j, "releasing")
}

func (qu *Queue) held(res sql.Result, err error, j *Job, what string) error {
	if err != nil {
		return fmt.Errorf("%s job %d (%s): %w", what, j.ID, j.Kind, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s job %d (%s): %w", what, j.ID, j.Kind, err)
	}
	if n == 0 {
		return ErrLeaseLost
	}
	return nil
}

// Backoff is the wait before the next try of a job that failed on its
// attempt-th try.
func Backoff(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	if attempt > 7 {
		return time.Hour
	}
	return min(time.Minute<<(attempt-1), time.Hour)
}

// Prune deletes jobs finished before cutoff, so the table holds recent
// history only. It returns how many it deleted.
func Prune(ctx context.Context, q store.Querier, cutoff time.Time) (int64, error) {
	res, err := q.Exec(ctx, "DELETE FROM jobs WHERE finished_at IS NOT NULL AND finished_at < ?", cutoff.UTC())
	if err != nil {
		return 0, fmt.Errorf("pruning finished jobs: %w", err)
	}
	return res.RowsAffected()
}

// PruneKind deletes the finished jobs of one kind finished before cutoff:
// a job that recurs every minute keeps only recent runs.
func PruneKind(ctx context.Context, q store.Querier, kind string, cutoff time.Time) (int64, error) {
	res, err := q.Exec(ctx, "DELETE FROM jobs WHERE kind = ? AND finished_at IS NOT NULL AND finished_at < ?", kind, cutoff.UTC())
	if err != nil {
		return 0, fmt.Errorf("pruning finished %s jobs: %w", kind, err)
	}
	return res.RowsAffected()
}
