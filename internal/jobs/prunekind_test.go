package jobs_test

import (
	"context"
	"testing"
	"time"

	"plenary/internal/jobs"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestPruneKindRemovesOnlyOldRunsOfItsKind: old finished runs of the kind
// go; recent ones, unfinished ones and other kinds' stay.
func TestPruneKindRemovesOnlyOldRunsOfItsKind(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2027, 1, 2, 12, 0, 0, 0, time.UTC)
		add := func(kind string, finished *time.Time) {
			id, _, err := jobs.Enqueue(ctx, db, jobs.New{Kind: kind}, now)
			if err != nil {
				t.Fatal(err)
			}
			if finished != nil {
				if _, err := db.Exec(ctx, "UPDATE jobs SET finished_at = ? WHERE id = ?", finished.UTC(), id); err != nil {
					t.Fatal(err)
				}
			}
		}
		old, recent := now.Add(-48*time.Hour), now.Add(-time.Hour)
		add("payments.reconcile", &old)
		add("payments.reconcile", &old)
		add("payments.reconcile", &recent)
		add("payments.reconcile", nil)
		add("mailing", &old)
		n, err := jobs.PruneKind(ctx, db, "payments.reconcile", now.Add(-24*time.Hour))
		if err != nil || n != 2 {
			t.Errorf("PruneKind = %d, %v; want 2", n, err)
		}
		var left int
		if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM jobs").Scan(&left); err != nil || left != 3 {
			t.Errorf("%d jobs left (%v), want 3", left, err)
		}
	})
}
