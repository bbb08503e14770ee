package usage_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"plenary/internal/analytics"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
	"plenary/internal/usage"
)

// TestVisitorsAcrossInstancesAreNotSummed: three instances behind one
// proxy each count their own file of the same day. Visitors 1–6 reached
// web-1, 4–9 web-2 and 1–3 and 10 web-3 — ten people, sixteen if each
// instance's figure were added up. The site-wide figure is ten, and so is
// each table's (the page, browser, hour all read); requests are still the
// sum. A few days later the day's hash key is gone, the group rows are
// settled into one each with the same figures, and an instance counting
// the day after that adds its visitors as new.
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
		// Each table's groups count people too: the page, the browser,
		// the hour and the status of every request are the same.
		tables := func(when string, tr *usage.Trends) {
			t.Helper()
			for _, dim := range []string{"page", "browser", "os", "hour", "status"} {
				if rows := tr.Tables[dim]; len(rows) != 1 || rows[0].Visitors != 10 || rows[0].Requests != 16 {
					t.Errorf("%s, the %s table: %+v; want one group of 10 visitors and 16 requests", when, dim, rows)
				}
			}
		}
		tables("before the key was deleted", tr)
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
		// The figures stay after the key is gone; the instances' group
		// rows are settled into one row each, without their sketches.
		tr, err = usage.Query(ctx, db, day, day, 10)
		if err != nil || tr.Days[0].Visitors != 10 {
			t.Fatalf("after the key was deleted: %+v, %v", tr, err)
		}
		tables("after the key was deleted", tr)
		var unsettled, sketches int
		if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM usage_counts WHERE instance <> ?", usage.Settled).Scan(&unsettled); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM usage_counts WHERE visitor_sketch <> ''").Scan(&sketches); err != nil {
			t.Fatal(err)
		}
		if unsettled != 0 || sketches != 0 {
			t.Errorf("after settling, %d rows of single instances and %d sketches are left", unsettled, sketches)
		}

		// An instance back from a long outage counts the day after its key
		// is gone: its visitors are added as new ones (11 to 13 are).
		var late strings.Builder
		for _, v := range []int{1, 11, 12, 13} {
			fmt.Fprintf(&late, "192.0.2.%d - - [10/Mar/2026:11:00:%02d +0000] \"GET /drafts HTTP/1.1\" 200 100 \"-\" %q\n", v, v, firefox)
		}
		if err := os.WriteFile(filepath.Join(dir, "access-web-4-"+day+".log"), []byte(late.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := (&usage.Ingester{DB: db, Dir: dir, Instance: "web-4", MinVisitors: 1}).Run(ctx, later); err != nil {
			t.Fatal(err)
		}
		if _, err := (&usage.Ingester{DB: db, Dir: dir, Instance: "web-4"}).Run(ctx, later.AddDate(0, 0, usage.KeyDays+1)); err != nil {
			t.Fatal(err)
		}
		tr, err = usage.Query(ctx, db, day, day, 10)
		if err != nil {
			t.Fatal(err)
		}
		if rows := tr.Tables["page"]; len(rows) != 1 || rows[0].Visitors != 14 || rows[0].Requests != 20 {
			t.Errorf("with a late instance settled on top: %+v; want 14 visitors (10 + 4 counted as new) in 20 requests", rows)
		}
	})
}

// TestSketchesStoredAsBase64StillMerge: rows stored before sketches were
// written as hex hold base64; the dashboard still merges them.
func TestSketchesStoredAsBase64StillMerge(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for i, visitors := range [][]uint64{{8, 16, 24}, {16, 24, 32, 40}} {
			var s analytics.Sketch
			for _, v := range visitors {
				s.Add(v << 32)
			}
			b, _ := s.MarshalBinary()
			old := base64.StdEncoding.EncodeToString(b)
			if _, err := db.Exec(ctx, `INSERT INTO usage_days (day, instance, requests, human_requests, bot_requests, visitors, human_visitors,
				pages, static_files, not_found, bytes, visitor_sketch, human_sketch) VALUES ('2026-02-01', ?, 9, 9, 0, ?, ?, 9, 0, 0, 900, ?, ?)`,
				fmt.Sprintf("web-%d", i+1), len(visitors), len(visitors), old, old); err != nil {
				t.Fatal(err)
			}
		}
		tr, err := usage.Query(ctx, db, "2026-02-01", "2026-02-01", 10)
		if err != nil {
			t.Fatal(err)
		}
		if d := tr.Days[0]; d.Visitors != 5 || d.HumanVisitors != 5 {
			t.Errorf("%d visitors (%d human) from base64 sketches of 3 and 4 with 2 in common; want 5", d.Visitors, d.HumanVisitors)
		}
	})
}

// TestTwoInstancesSettleADayOnce: when the day's key goes, two instances
// running their ingestion at the same moment both try to settle the day;
// each group is settled once, not once by each.
func TestTwoInstancesSettleADayOnce(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		dir := t.TempDir()
		day := "2026-03-10"
		for inst, visitors := range map[string][]int{"web-1": {1, 2, 3, 4}, "web-2": {3, 4, 5, 6}} {
			var b strings.Builder
			for _, v := range visitors {
				fmt.Fprintf(&b, "192.0.2.%d - - [10/Mar/2026:10:00:%02d +0000] \"GET /drafts HTTP/1.1\" 200 100 \"-\" %q\n", v, v, firefox)
			}
			if err := os.WriteFile(filepath.Join(dir, "access-"+inst+"-"+day+".log"), []byte(b.String()), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := (&usage.Ingester{DB: db, Dir: dir, Instance: inst, MinVisitors: 1}).Run(ctx, time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC)); err != nil {
				t.Fatal(err)
			}
		}
		later := time.Date(2026, 3, 11+usage.KeyDays+1, 0, 0, 0, 0, time.UTC)
		errs := make(chan error, 2)
		for _, inst := range []string{"web-1", "web-2"} {
			go func() {
				_, err := (&usage.Ingester{DB: db, Dir: dir, Instance: inst}).Run(ctx, later)
				errs <- err
			}()
		}
		for range 2 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		tr, err := usage.Query(ctx, db, day, day, 10)
		if err != nil {
			t.Fatal(err)
		}
		if rows := tr.Tables["page"]; len(rows) != 1 || rows[0].Visitors != 6 || rows[0].Requests != 8 {
			t.Errorf("settled by two instances at once: %+v; want 6 visitors in 8 requests", rows)
		}
	})
}
