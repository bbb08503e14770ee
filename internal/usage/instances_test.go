package usage_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"plenary/internal/store"
	"plenary/internal/store/storetest"
	"plenary/internal/usage"
)

// TestVisitorsAcrossInstancesAreNotSummed: three instances behind one
// proxy each count their own file of the same day. Visitors 1–6 reached
// web-1, 4–9 web-2 and 1–3 and 10 web-3 — ten people, sixteen if each
// instance's figure were added up. The site-wide figure is ten; requests
// are still the sum; the day's hash key is gone a few days later.
func TestVisitorsAcrossInstancesAreNotSummed(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		dir := t.TempDir()
		day := "2026-03-10"
		seen := map[string][]int{"web-1": {1, 2, 3, 4, 5, 6}, "web-2": {4, 5, 6, 7, 8, 9}, "web-3": {1, 2, 3, 10}}
		for inst, visitors := range seen {
			var b strings.Builder
			for _, v := range visitors {
				fmt.Fprintf(&b, "192.0.2.%d - - [10/Mar/2026:10:00:%02d +0000] \"GET /drafts HTTP/1.1\" 200 100 \"-\" %q\n", v, v, firefox)
			}
			if err := os.WriteFile(filepath.Join(dir, "access-"+inst+"-"+day+".log"), []byte(b.String()), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		today := time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC)
		for _, inst := range []string{"web-1", "web-2", "web-3"} {
			in := &usage.Ingester{DB: db, Dir: dir, Instance: inst, MinVisitors: 1}
			if got, err := in.Run(ctx, today); err != nil || len(got) != 1 {
				t.Fatalf("%s ingested %+v, %v", inst, got, err)
			}
		}
		tr, err := usage.Query(ctx, db, day, day, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(tr.Days) != 1 || tr.Instances != 3 {
			t.Fatalf("days %+v from %d instances", tr.Days, tr.Instances)
		}
		if d := tr.Days[0]; d.Visitors != 10 || d.HumanVisitors != 10 || d.Requests != 16 {
			t.Errorf("site-wide %d visitors (%d human) in %d requests; want 10 people in 16 requests", d.Visitors, d.HumanVisitors, d.Requests)
		}
		if tr.Totals.Visitors != 10 || tr.AvgDailyVisitors != 10 {
			t.Errorf("totals %d visitors, average %d; want 10", tr.Totals.Visitors, tr.AvgDailyVisitors)
		}
		var keys int
		if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM usage_day_keys").Scan(&keys); err != nil || keys != 1 {
			t.Fatalf("%d day keys (%v), want the one of %s shared by all three", keys, err, day)
		}
		later := today.AddDate(0, 0, usage.KeyDays+1)
		if _, err := (&usage.Ingester{DB: db, Dir: dir, Instance: "web-1"}).Run(ctx, later); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM usage_day_keys").Scan(&keys); err != nil || keys != 0 {
			t.Errorf("%d day keys left %d days on (%v), want none", keys, usage.KeyDays+1, err)
		}
		// The figure stays after the key is gone.
		if tr, err := usage.Query(ctx, db, day, day, 10); err != nil || tr.Days[0].Visitors != 10 {
			t.Errorf("after the key was deleted: %+v, %v", tr, err)
		}
	})
}
