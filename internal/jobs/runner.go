package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"plenary/internal/store"
)

// Handler does the work of one job. It returns nil when the work is done;
// an error makes the job be tried again later (see Queue.Fail). Its context
// is cancelled when the server shuts down or the lease is lost, and a
// handler that stops for that reason gives the job back for another worker.
type Handler func(ctx context.Context, j Job) error

// Runner takes due jobs from the queue and runs their handlers, one at a
// time per runner.
type Runner struct {
	Queue    *Queue
	Handlers map[string]Handler
	// Every lists the kinds that recur: each is enqueued once for all
	// instances (key "periodic") and, after each run, enqueued again this
	// long after it finished.
	Every map[string]time.Duration
	// Poll is how long an idle runner waits before looking again; default
	// five seconds.
	Poll time.Duration
	Log  *slog.Logger
}

// periodicKey is the key under which a recurring job is kept once.
const periodicKey = "periodic"

// Schedule enqueues each recurring kind that has no unfinished job yet,
// due now. Every instance calls it at start; the queue keeps one.
func (r *Runner) Schedule(ctx context.Context) error {
	now := r.Queue.now()
	for _, kind := range slices.Sorted(maps.Keys(r.Every)) {
		if _, _, err := Enqueue(ctx, r.Queue.DB, New{Kind: kind, Key: periodicKey, RunAt: now}, now); err != nil {
			return err
		}
	}
	return nil
}

// Run schedules the recurring kinds and runs due jobs until ctx ends.
func (r *Runner) Run(ctx context.Context) error {
	if err := r.Schedule(ctx); err != nil {
		return err
	}
	poll := r.Poll
	if poll <= 0 {
		poll = 5 * time.Second
	}
	for {
		ran, err := r.RunOne(ctx)
		if err != nil && ctx.Err() == nil {
			r.log().Error("job queue", "err", err)
		}
		if ran && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(poll):
		}
	}
}

// RunDue runs jobs until none is due and returns how many it ran; for
// commands that sweep once and for tests.
func (r *Runner) RunDue(ctx context.Context) (int, error) {
	n := 0
	for {
		ran, err := r.RunOne(ctx)
		if err != nil || !ran {
			return n, err
		}
		n++
	}
}

// RunOne claims one due job and runs it, and reports whether there was
// one. A handler's failure is recorded on the job, not returned: only a
// failure of the queue itself is.
func (r *Runner) RunOne(ctx context.Context) (bool, error) {
	if ctx.Err() != nil {
		return false, nil
	}
	j, err := r.Queue.Claim(ctx, slices.Sorted(maps.Keys(r.Handlers)))
	if err != nil || j == nil {
		return false, err
	}
	work, cancel := context.WithCancelCause(ctx)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() { r.keepLease(work, cancel, j, stop) })
	herr := r.call(work, j)
	close(stop)
	wg.Wait()
	lost := errors.Is(context.Cause(work), ErrLeaseLost)
	cancel(nil)

	switch {
	case lost:
		r.log().Warn("job lease lost while running; another worker has it", "job", j.ID, "kind", j.Kind)
		return true, nil
	case herr != nil && ctx.Err() != nil:
		// Shutting down: give the job back for another instance.
		if err := r.Queue.release(context.WithoutCancel(ctx), j); err != nil && !errors.Is(err, ErrLeaseLost) {
			return true, err
		}
		return true, nil
	}
	// The outcome is recorded even when shutdown began meanwhile: the work
	// is done, and doing it again would repeat it.
	settle := context.WithoutCancel(ctx)
	err = r.Queue.DB.Tx(settle, func(tx *store.Tx) error {
		finished := true
		if herr == nil {
			if err := r.Queue.Complete(settle, tx, j); err != nil {
				return err
			}
		} else {
			final, err := r.Queue.Fail(settle, tx, j, herr)
			if err != nil {
				return err
			}
			finished = final
			r.log().Error("job failed", "job", j.ID, "kind", j.Kind, "attempt", j.Attempts, "final", final, "err", herr)
		}
		if every, ok := r.Every[j.Kind]; ok && j.Key == periodicKey && finished {
			now := r.Queue.now()
			if _, _, err := Enqueue(settle, tx, New{Kind: j.Kind, Key: periodicKey, RunAt: now.Add(every)}, now); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, ErrLeaseLost) {
		r.log().Warn("job lease lost before it was settled; another worker has it", "job", j.ID, "kind", j.Kind)
		return true, nil
	}
	return true, err
}

// call runs the handler, turning a panic into the job's failure so one bad
// job cannot stop the runner.
func (r *Runner) call(ctx context.Context, j *Job) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("handler panicked: %v", p)
		}
	}()
	return r.Handlers[j.Kind](ctx, *j)
}

// keepLease renews the lease at a third of its length until stop closes,
// and cancels the handler's context when the lease is lost.
func (r *Runner) keepLease(ctx context.Context, cancel context.CancelCauseFunc, j *Job, stop <-chan struct{}) {
	tick := time.NewTicker(r.Queue.lease() / 3)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return
		case <-tick.C:
			if err := r.Queue.Extend(ctx, j); err != nil {
				if errors.Is(err, ErrLeaseLost) {
					cancel(ErrLeaseLost)
					return
				}
				r.log().Warn("renewing a job lease", "job", j.ID, "err", err)
			}
		}
	}
}

func (r *Runner) log() *slog.Logger {
	if r.Log != nil {
		return r.Log
	}
	return slog.New(slog.DiscardHandler)
}
