package jobs

import (
	"context"
	"fmt"
	"time"

	"plenary/internal/store"
)

// Depth is the queue's backlog by kind, for monitoring (/metrics): jobs
// not finished and due to run, and those waiting for a later time
// (scheduled, or backing off after a failure).
type Depth struct {
	Kind           string
	Due, Scheduled int64
}

// QueueDepth counts the unfinished jobs of every kind at now.
func QueueDepth(ctx context.Context, q store.Querier, now time.Time) ([]Depth, error) {
	rows, err := q.Query(ctx, `SELECT kind, SUM(CASE WHEN run_at <= ? THEN 1 ELSE 0 END), SUM(CASE WHEN run_at > ? THEN 1 ELSE 0 END)
		FROM jobs WHERE finished_at IS NULL GROUP BY kind ORDER BY kind`, now.UTC(), now.UTC())
	if err != nil {
		return nil, fmt.Errorf("counting queued jobs: %w", err)
	}
	defer rows.Close()
	var out []Depth
	for rows.Next() {
		var d Depth
		if err := rows.Scan(&d.Kind, &d.Due, &d.Scheduled); err != nil {
			return nil, fmt.Errorf("counting queued jobs: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
