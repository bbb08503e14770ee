package retention

import (
	"maps"
	"sync"
	"time"
)

// Sweep is what the last run of one job did in this process, for
// monitoring (/metrics): counts only, never what was removed.
type Sweep struct {
	Job     string
	At      time.Time
	Removed int64 // rows or files removed by the last run
	Total   int64 // removed by every run since the process started
	Failed  bool  // the last run failed
	Fails   int64 // failed runs since the process started
}

var observed struct {
	sync.Mutex
	jobs map[string]Sweep
}

// record keeps the results of a run for Sweeps.
func record(results []Result, now time.Time) {
	observed.Lock()
	defer observed.Unlock()
	if observed.jobs == nil {
		observed.jobs = map[string]Sweep{}
	}
	for _, r := range results {
		s := observed.jobs[r.Job]
		s.Job, s.At, s.Failed = r.Job, now, r.Err != nil
		s.Removed = r.Counts.Total()
		s.Total += s.Removed
		if s.Failed {
			s.Fails++
		}
		observed.jobs[r.Job] = s
	}
}

// Sweeps returns the last run of each job in this process, by job name.
func Sweeps() map[string]Sweep {
	observed.Lock()
	defer observed.Unlock()
	return maps.Clone(observed.jobs)
}
