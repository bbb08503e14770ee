package usage_test

import (
	"bytes"
	"compress/gzip"
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

const firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
const rareAgent = "Mozilla/5.0 (Haiku; BeOS) WebPositive/1.3"
const bot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"

// dayLog writes a day's log for instance "a": six Firefox visitors reading
// /drafts, one visitor with a rare browser, a bot, a 404 and a broken line.
func dayLog(t *testing.T, dir, day string, gz bool) {
	t.Helper()
	d, _ := time.Parse("2006-01-02", day)
	stamp := d.Format("02/Jan/2006")
	var b strings.Builder
	for i := range 6 {
		fmt.Fprintf(&b, "192.0.2.%d - - [%s:10:%02d:00 +0000] \"GET /drafts?q=secret@example.org HTTP/1.1\" 200 100 \"https://search.example/?q=x\" %q\n", i+1, stamp, i, firefox)
		fmt.Fprintf(&b, "192.0.2.%d - - [%s:10:%02d:01 +0000] \"GET /static/abc/style.css HTTP/1.1\" 200 50 \"-\" %q\n", i+1, stamp, i, firefox)
	}
	fmt.Fprintf(&b, "203.0.113.99 - - [%s:03:00:00 +0000] \"GET /lonely-page HTTP/1.1\" 200 10 \"https://tiny.example/\" %q\n", stamp, rareAgent)
	fmt.Fprintf(&b, "198.51.100.1 - - [%s:04:00:00 +0000] \"GET /robots.txt HTTP/1.1\" 200 10 \"-\" %q\n", stamp, bot)
	fmt.Fprintf(&b, "192.0.2.1 - - [%s:11:00:00 +0000] \"GET /nope HTTP/1.1\" 404 10 \"-\" %q\n", stamp, firefox)
	b.WriteString("garbage line \xff\xfe\n")
	name := filepath.Join(dir, "access-a-"+day+".log")
	data := []byte(b.String())
	if gz {
		var buf bytes.Buffer
		w := gzip.NewWriter(&buf)
		w.Write(data)
		w.Close()
		data, name = buf.Bytes(), name+".gz"
	}
	if err := os.WriteFile(name, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestIngestAggregatesAndFoldsSmallGroups(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		dir := t.TempDir()
		dayLog(t, dir, "2026-03-10", false)
		dayLog(t, dir, "2026-03-11", true)
		dayLog(t, dir, "2026-03-12", false) // "today": still being written
		os.WriteFile(filepath.Join(dir, "access-b-2026-03-10.log"), []byte("other instance\n"), 0o600)
		in := &usage.Ingester{DB: db, Dir: dir, Instance: "a", MinVisitors: 3, Site: "plenary.example"}
		today, _ := time.Parse("2006-01-02", "2026-03-12")
		got, err := in.Run(ctx, today)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Day != "2026-03-10" || got[1].Day != "2026-03-11" {
			t.Fatalf("ingested %+v, want the two finished days of instance a", got)
		}
		if got[0].Lines != 16 || got[0].Invalid != 1 {
			t.Errorf("lines/invalid = %d/%d, want 16/1", got[0].Lines, got[0].Invalid)
		}
		again, err := in.Run(ctx, today)
		if err != nil || len(again) != 0 {
			t.Fatalf("second run ingested %+v, %v; want nothing", again, err)
		}

		tr, err := usage.Query(ctx, db, "2026-03-01", "2026-03-31", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(tr.Days) != 2 {
			t.Fatalf("%d days, want 2", len(tr.Days))
		}
		d := tr.Days[0]
		want := usage.DayTotals{Day: "2026-03-10", Requests: 15, HumanRequests: 14, BotRequests: 1, Visitors: 8, HumanVisitors: 7, Pages: 8, StaticFiles: 6, NotFound: 1, Bytes: 6*150 + 10 + 10 + 10}
		if d != want {
			t.Errorf("day = %+v\nwant  %+v", d, want)
		}
		if tr.AvgDailyVisitors != 8 {
			t.Errorf("average daily visitors %d, want 8", tr.AvgDailyVisitors)
		}
		pages := rowsByName(tr.Tables[usage.DimPage])
		if pages["/drafts"].Visitors != 12 || pages["/drafts"].Requests != 12 {
			t.Errorf("/drafts = %+v, want 12 requests by 12 daily visitors over two days", pages["/drafts"])
		}
		if _, shown := pages["/lonely-page"]; shown {
			t.Error("a page read by one visitor is shown by name (U1)")
		}
		if pages[usage.Other].Requests == 0 {
			t.Error("the lonely page was not folded into (other)")
		}
		if _, shown := rowsByName(tr.Tables[usage.DimBrowser])["WebPositive"]; shown {
			t.Error("a browser used by one visitor is shown by name")
		}
		if _, shown := rowsByName(tr.Tables[usage.DimReferrer])["tiny.example"]; shown {
			t.Error("a referrer used by one visitor is shown by name")
		}
		if rowsByName(tr.Tables[usage.DimReferrer])["search.example"].Requests != 12 {
			t.Errorf("referrers = %+v", tr.Tables[usage.DimReferrer])
		}
	})
}

// TestStoredAggregatesHoldNoPersonalData is U1 at the storage level: no
// address, user agent or query string reaches the usage tables.
func TestStoredAggregatesHoldNoPersonalData(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		dir := t.TempDir()
		dayLog(t, dir, "2026-03-10", false)
		in := &usage.Ingester{DB: db, Dir: dir, Instance: "a", MinVisitors: 1}
		if _, err := in.Run(ctx, time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)); err != nil {
			t.Fatal(err)
		}
		rows, err := db.Query(ctx, "SELECT name FROM usage_counts")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var name string
			rows.Scan(&name)
			n++
			for _, bad := range []string{"192.0.2.", "203.0.113.", "198.51.100.", "Mozilla", "Gecko", "secret@example.org", "q="} {
				if strings.Contains(name, bad) {
					t.Errorf("usage_counts holds %q (contains %q)", name, bad)
				}
			}
		}
		if n == 0 {
			t.Fatal("nothing stored")
		}
	})
}

func TestIngestIsAllOrNothingPerFile(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		dir := t.TempDir()
		dayLog(t, dir, "2026-03-10", false)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		in := &usage.Ingester{DB: db, Dir: dir, Instance: "a", MinVisitors: 1}
		if _, err := in.Run(ctx, time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)); err == nil {
			t.Fatal("cancelled run reported success")
		}
		var n int
		db.QueryRow(context.Background(), "SELECT COUNT(*) FROM usage_days").Scan(&n)
		if n != 0 {
			t.Errorf("an interrupted ingestion left %d day rows", n)
		}
		got, err := in.Run(context.Background(), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC))
		if err != nil || len(got) != 1 {
			t.Errorf("resumed run = %+v, %v", got, err)
		}
	})
}

func rowsByName(rs []usage.Row) map[string]usage.Row {
	m := map[string]usage.Row{}
	for _, r := range rs {
		m[r.Name] = r
	}
	return m
}
