package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"plenary/internal/jobs"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// clock is a settable test clock shared by the queues of one test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func queue(db *store.DB, worker string, c *clock) *jobs.Queue {
	return &jobs.Queue{DB: db, Worker: worker, Lease: time.Minute, Now: c.Now}
}

func enqueue(t *testing.T, db *store.DB, c *clock, n jobs.New) (int64, bool) {
	t.Helper()
	id, added, err := jobs.Enqueue(context.Background(), db, n, c.Now())
	if err != nil {
		t.Fatalf("Enqueue(%+v): %v", n, err)
	}
	return id, added
}

func TestEnqueueKeepsOneOpenJobPerKey(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := newClock()
		id, added := enqueue(t, db, c, jobs.New{Kind: "mailing.send", Key: "mailing-7"})
		if !added || id == 0 {
			t.Fatalf("first enqueue: id %d, added %v", id, added)
		}
		if _, added := enqueue(t, db, c, jobs.New{Kind: "mailing.send", Key: "mailing-7"}); added {
			t.Error("a second open job with the same kind and key was added")
		}
		if _, added := enqueue(t, db, c, jobs.New{Kind: "mailing.send", Key: "mailing-8"}); !added {
			t.Error("a job with another key was not added")
		}
		if _, added := enqueue(t, db, c, jobs.New{Kind: "other", Key: "mailing-7"}); !added {
			t.Error("a job of another kind with the same key was not added")
		}
		// Inside a transaction the duplicate must not spoil what follows
		// (on PostgreSQL a unique violation would abort the transaction).
		err := db.Tx(ctx, func(tx *store.Tx) error {
			if _, added, err := jobs.Enqueue(ctx, tx, jobs.New{Kind: "mailing.send", Key: "mailing-7"}, c.Now()); err != nil || added {
				return fmt.Errorf("duplicate in a transaction: added %v, err %v", added, err)
			}
			_, _, err := jobs.Enqueue(ctx, tx, jobs.New{Kind: "after", Key: "x"}, c.Now())
			return err
		})
		if err != nil {
			t.Fatal(err)
		}

		// Once the job is finished, the key is free again.
		q := queue(db, "w1", c)
		j, err := q.Claim(ctx, []string{"mailing.send"})
		if err != nil || j == nil || j.ID != id {
			t.Fatalf("Claim = %+v, %v; want job %d", j, err, id)
		}
		if err := q.Complete(ctx, db, j); err != nil {
			t.Fatal(err)
		}
		if _, added := enqueue(t, db, c, jobs.New{Kind: "mailing.send", Key: "mailing-7"}); !added {
			t.Error("after the job finished, the same key could not be enqueued again")
		}
	})
}

func TestEnqueueRefusesBadJobs(t *testing.T) {
	db := storetest.SQLite(t)
	c := newClock()
	for _, n := range []jobs.New{
		{Kind: ""},
		{Kind: strings.Repeat("k", 101)},
		{Kind: "k", Payload: strings.Repeat("x", jobs.MaxPayload+1)},
		{Kind: "k", Payload: "a\x00b"},
		{Kind: "k", Payload: "\xff"},
	} {
		if _, _, err := jobs.Enqueue(context.Background(), db, n, c.Now()); err == nil {
			t.Errorf("Enqueue(kind %.10q, payload %.10q) was accepted", n.Kind, n.Payload)
		}
	}
	var n int
	if err := db.QueryRow(context.Background(), "SELECT COUNT(*) FROM jobs").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d jobs stored after refusals", n)
	}
}

func TestClaimTakesDueJobsUnderALease(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := newClock()
		later, _ := enqueue(t, db, c, jobs.New{Kind: "a", RunAt: c.Now().Add(time.Hour)})
		first, _ := enqueue(t, db, c, jobs.New{Kind: "a", Payload: "7"})
		enqueue(t, db, c, jobs.New{Kind: "b"})

		w1, w2 := queue(db, "w1", c), queue(db, "w2", c)
		j, err := w1.Claim(ctx, []string{"a"})
		if err != nil || j == nil || j.ID != first || j.Payload != "7" || j.Attempts != 1 {
			t.Fatalf("w1 Claim = %+v, %v; want job %d with payload 7, attempt 1", j, err, first)
		}
		// Held by w1, and the other job of kind a is not due yet.
		if j2, err := w2.Claim(ctx, []string{"a"}); err != nil || j2 != nil {
			t.Fatalf("w2 claimed %+v, %v while w1 holds the only due job", j2, err)
		}
		// w1 stalls past its lease: w2 takes the job over, and w1 can no
		// longer settle it.
		c.Add(2 * time.Minute)
		j2, err := w2.Claim(ctx, []string{"a"})
		if err != nil || j2 == nil || j2.ID != first || j2.Attempts != 2 {
			t.Fatalf("after the lease ran out w2 Claim = %+v, %v; want job %d, attempt 2", j2, err, first)
		}
		if err := w1.Complete(ctx, db, j); !errors.Is(err, jobs.ErrLeaseLost) {
			t.Errorf("w1 Complete after losing the lease = %v, want ErrLeaseLost", err)
		}
		if err := w1.Extend(ctx, j); !errors.Is(err, jobs.ErrLeaseLost) {
			t.Errorf("w1 Extend after losing the lease = %v, want ErrLeaseLost", err)
		}
		if err := w2.Complete(ctx, db, j2); err != nil {
			t.Errorf("w2 Complete: %v", err)
		}
		c.Add(time.Hour)
		j3, err := w1.Claim(ctx, []string{"a", "b"})
		if err != nil || j3 == nil || j3.Kind != "b" {
			t.Fatalf("Claim = %+v, %v; want the older job of kind b first", j3, err)
		}
		j4, err := w1.Claim(ctx, []string{"a", "b"})
		if err != nil || j4 == nil || j4.ID != later {
			t.Fatalf("Claim = %+v, %v; want job %d once due", j4, err, later)
		}
	})
}

func TestFailRetriesWithBackoffThenGivesUp(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := newClock()
		id, _ := enqueue(t, db, c, jobs.New{Kind: "flaky", MaxAttempts: 3})
		q := queue(db, "w", c)
		waits := []time.Duration{time.Minute, 2 * time.Minute}
		for attempt := 1; attempt <= 3; attempt++ {
			j, err := q.Claim(ctx, []string{"flaky"})
			if err != nil || j == nil || j.Attempts != attempt {
				t.Fatalf("attempt %d: Claim = %+v, %v", attempt, j, err)
			}
			final, err := q.Fail(ctx, db, j, errors.New("smtp: 451 try later\x00"))
			if err != nil {
				t.Fatal(err)
			}
			if final != (attempt == 3) {
				t.Fatalf("attempt %d: final = %v", attempt, final)
			}
			if attempt < 3 {
				// Not due again before its backoff has passed.
				c.Add(waits[attempt-1] - time.Second)
				if j, _ := q.Claim(ctx, []string{"flaky"}); j != nil {
					t.Fatalf("attempt %d: claimed again before the backoff of %s", attempt, waits[attempt-1])
				}
				c.Add(time.Second)
			}
		}
		var failed bool
		var lastError string
		if err := db.QueryRow(ctx, "SELECT failed, last_error FROM jobs WHERE id = ?", id).Scan(&failed, &lastError); err != nil {
			t.Fatal(err)
		}
		if !failed || lastError != "smtp: 451 try later" {
			t.Errorf("after the last attempt: failed %v, last_error %q", failed, lastError)
		}
		c.Add(24 * time.Hour)
		if j, _ := q.Claim(ctx, []string{"flaky"}); j != nil {
			t.Error("a job that failed for good was claimed again")
		}
	})
}

// TestEachJobRunsOnceAcrossWorkers starts four runners on one database, as
// four instances would, and checks that every job ran exactly once.
func TestEachJobRunsOnceAcrossWorkers(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const n = 60
		for i := range n {
			if _, _, err := jobs.Enqueue(ctx, db, jobs.New{Kind: "count", Payload: fmt.Sprint(i)}, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		var runs [n]atomic.Int32
		var wg sync.WaitGroup
		for w := range 4 {
			r := &jobs.Runner{
				Queue: &jobs.Queue{DB: db, Worker: fmt.Sprintf("instance-%d", w)},
				Handlers: map[string]jobs.Handler{"count": func(ctx context.Context, j jobs.Job) error {
					var i int
					if _, err := fmt.Sscan(j.Payload, &i); err != nil {
						return err
					}
					runs[i].Add(1)
					return nil
				}},
			}
			wg.Go(func() {
				if _, err := r.RunDue(ctx); err != nil {
					t.Errorf("worker %d: %v", w, err)
				}
			})
		}
		wg.Wait()
		for i := range n {
			if got := runs[i].Load(); got != 1 {
				t.Errorf("job %d ran %d times", i, got)
			}
		}
		var open int
		if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM jobs WHERE finished_at IS NULL").Scan(&open); err != nil {
			t.Fatal(err)
		}
		if open != 0 {
			t.Errorf("%d jobs left unfinished", open)
		}
	})
}

func TestPeriodicJobIsKeptOnceAndRescheduled(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := newClock()
		var ran atomic.Int32
		runner := func(worker string) *jobs.Runner {
			return &jobs.Runner{
				Queue:    queue(db, worker, c),
				Handlers: map[string]jobs.Handler{"sweep": func(context.Context, jobs.Job) error { ran.Add(1); return nil }},
				Every:    map[string]time.Duration{"sweep": time.Hour},
			}
		}
		a, b := runner("a"), runner("b")
		for _, r := range []*jobs.Runner{a, b} {
			if err := r.Schedule(ctx); err != nil {
				t.Fatal(err)
			}
		}
		count := func() (open int) {
			t.Helper()
			if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM jobs WHERE kind = 'sweep' AND finished_at IS NULL").Scan(&open); err != nil {
				t.Fatal(err)
			}
			return open
		}
		if n := count(); n != 1 {
			t.Fatalf("two instances scheduling: %d open sweep jobs, want 1", n)
		}
		for _, r := range []*jobs.Runner{a, b} {
			if _, err := r.RunDue(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if ran.Load() != 1 {
			t.Fatalf("sweep ran %d times, want once", ran.Load())
		}
		if n := count(); n != 1 {
			t.Fatalf("after a run: %d open sweep jobs, want the next one", n)
		}
		c.Add(59 * time.Minute)
		if n, _ := b.RunDue(ctx); n != 0 {
			t.Errorf("the next sweep ran %d times before its hour", n)
		}
		c.Add(time.Minute)
		if n, _ := b.RunDue(ctx); n != 1 {
			t.Errorf("after an hour the next sweep ran %d times, want 1", n)
		}
	})
}

// TestShutdownGivesTheJobBack cancels the runner's context while a handler
// runs: the job must be free at once for another instance, with the
// interrupted attempt not counted.
func TestShutdownGivesTheJobBack(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		id, _, err := jobs.Enqueue(ctx, db, jobs.New{Kind: "long"}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		started := make(chan struct{})
		runCtx, stop := context.WithCancel(ctx)
		r := &jobs.Runner{
			Queue: &jobs.Queue{DB: db, Worker: "dying"},
			Handlers: map[string]jobs.Handler{"long": func(ctx context.Context, j jobs.Job) error {
				close(started)
				<-ctx.Done()
				return ctx.Err()
			}},
		}
		done := make(chan error, 1)
		go func() { _, err := r.RunOne(runCtx); done <- err }()
		<-started
		stop()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		other := &jobs.Queue{DB: db, Worker: "other"}
		j, err := other.Claim(ctx, []string{"long"})
		if err != nil || j == nil || j.ID != id || j.Attempts != 1 {
			t.Fatalf("after shutdown another worker's Claim = %+v, %v; want job %d at attempt 1", j, err, id)
		}
	})
}

// TestLostLeaseStopsTheHandler lets a second worker take a job over while
// the first still runs it: the first handler's context must end.
func TestLostLeaseStopsTheHandler(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, _, err := jobs.Enqueue(ctx, db, jobs.New{Kind: "slow"}, time.Now()); err != nil {
			t.Fatal(err)
		}
		stolen := make(chan struct{})
		var sawCancel atomic.Bool
		r := &jobs.Runner{
			Queue: &jobs.Queue{DB: db, Worker: "stalled", Lease: 300 * time.Millisecond},
			Handlers: map[string]jobs.Handler{"slow": func(ctx context.Context, j jobs.Job) error {
				// Simulate a stall: another worker takes the job by
				// force, as it would once the lease had run out.
				if _, err := db.Exec(ctx, "UPDATE jobs SET locked_by = 'thief' WHERE id = ?", j.ID); err != nil {
					return err
				}
				close(stolen)
				select {
				case <-ctx.Done():
					sawCancel.Store(true)
					return ctx.Err()
				case <-time.After(5 * time.Second):
					return nil
				}
			}},
		}
		if _, err := r.RunOne(ctx); err != nil {
			t.Fatal(err)
		}
		<-stolen
		if !sawCancel.Load() {
			t.Error("the handler kept running after its lease was lost")
		}
		var lockedBy string
		var finished bool
		if err := db.QueryRow(ctx, "SELECT locked_by, finished_at IS NOT NULL FROM jobs").Scan(&lockedBy, &finished); err != nil {
			t.Fatal(err)
		}
		if lockedBy != "thief" || finished {
			t.Errorf("the stalled worker settled a job it no longer held: locked_by %q, finished %v", lockedBy, finished)
		}
	})
}

func TestPanickingHandlerFailsItsJob(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	id, _, err := jobs.Enqueue(ctx, db, jobs.New{Kind: "bad", MaxAttempts: 1}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	r := &jobs.Runner{
		Queue:    &jobs.Queue{DB: db, Worker: "w"},
		Handlers: map[string]jobs.Handler{"bad": func(context.Context, jobs.Job) error { panic("boom") }},
	}
	if n, err := r.RunDue(ctx); err != nil || n != 1 {
		t.Fatalf("RunDue = %d, %v", n, err)
	}
	var lastError string
	if err := db.QueryRow(ctx, "SELECT last_error FROM jobs WHERE id = ? AND failed", id).Scan(&lastError); err != nil {
		t.Fatalf("the job is not marked failed: %v", err)
	}
	if !strings.Contains(lastError, "boom") {
		t.Errorf("last_error %q does not say what happened", lastError)
	}
}

func TestPruneRemovesOnlyOldFinishedJobs(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := newClock()
		q := queue(db, "w", c)
		enqueue(t, db, c, jobs.New{Kind: "old"})
		j, err := q.Claim(ctx, []string{"old"})
		if err != nil || j == nil {
			t.Fatal(j, err)
		}
		if err := q.Complete(ctx, db, j); err != nil {
			t.Fatal(err)
		}
		c.Add(40 * 24 * time.Hour)
		enqueue(t, db, c, jobs.New{Kind: "open", RunAt: c.Now().Add(-50 * 24 * time.Hour)})
		n, err := jobs.Prune(ctx, db, c.Now().Add(-30*24*time.Hour))
		if err != nil || n != 1 {
			t.Fatalf("Prune = %d, %v; want 1", n, err)
		}
		var left string
		if err := db.QueryRow(ctx, "SELECT kind FROM jobs").Scan(&left); err != nil || left != "open" {
			t.Errorf("left %q, %v; want the unfinished job only", left, err)
		}
	})
}
