package store_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestCollectReadsEveryRowAndStopsAtAScanError: Collect returns the rows
// in order, turns NULL times into nil, reads one column with Scalar, and
// gives back a scan's error.
func TestCollectReadsEveryRowAndStopsAtAScanError(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		type row struct {
			n  int
			at *time.Time
		}
		q := "SELECT 1, NULL UNION ALL SELECT 2, NULL ORDER BY 1"
		rows, err := db.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		got, err := store.Collect(rows, func(rows *sql.Rows) (row, error) {
			var r row
			var at sql.NullTime
			err := rows.Scan(&r.n, &at)
			r.at = store.TimeOrNil(at)
			return r, err
		})
		if err != nil || len(got) != 2 || got[0].n != 1 || got[1].n != 2 || got[0].at != nil {
			t.Fatalf("collected %+v, %v", got, err)
		}
		rows, err = db.Query(ctx, "SELECT 'b' UNION ALL SELECT 'a' ORDER BY 1")
		if err != nil {
			t.Fatal(err)
		}
		if names, err := store.Collect(rows, store.Scalar[string]); err != nil || len(names) != 2 || names[0] != "a" || names[1] != "b" {
			t.Fatalf("one column collected as %q, %v", names, err)
		}
		rows, err = db.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		boom := errors.New("boom")
		if _, err := store.Collect(rows, func(*sql.Rows) (int, error) { return 0, boom }); !errors.Is(err, boom) {
			t.Fatalf("a scan error came back as %v", err)
		}
	})
}
