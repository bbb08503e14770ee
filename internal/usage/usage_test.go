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

const firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
const rareAgent = "Mozilla/5.0 (Haiku; BeOS) WebPositive/1.3"
const bot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"

// dayLog writes a day's log for instance "a": six Firefox visitors reading
// /drafts, one visitor with a rare browser, a bot, a 404 and a broken line.
func dayLog(t *testing.T, dir, day string, gz bool) {
	t.Helper()
	d, err := time.Parse(time.DateOnly, day)
	if err != nil {
		t.Fatal(err)
	}
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
		data, name = gzipped(t, data), name+".gz"
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
		if err := os.WriteFile(filepath.Join(dir, "access-b-2026-03-10.log"), []byte("other instance\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		in := &usage.Ingester{DB: db, Dir: dir, Instance: "a", MinVisitors: 3, Site: "plenary.example"}
		today := time.Date(2026, 3, 12, 0, 0, 0, 0, time.UTC)
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
// address, user agent, query string or e-mail address from the log reaches
// any table, even with k = 1, where nothing is folded away.
func TestStoredAggregatesHoldNoPersonalData(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		dir := t.TempDir()
		dayLog(t, dir, "2026-03-10", false)
		in := &usage.Ingester{DB: db, Dir: dir, Instance: "a", MinVisitors: 1}
		if _, err := in.Run(ctx, time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM usage_counts").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Fatal("nothing stored")
		}
		found := storetest.FindInTables(t, db, map[string]string{
			"a client address": "192.0.2.", "another client address": "203.0.113.", "a robot's address": "198.51.100.",
			"a user agent": "Mozilla/5.0", "an agent's engine": "Gecko/", "the robot's agent": "googlebot.html",
			"an e-mail address from a query": "secret@example.org", "a query string": "q=",
		})
		for _, f := range found {
			t.Error(f)
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
		if err := db.QueryRow(context.Background(), "SELECT COUNT(*) FROM usage_days").Scan(&n); err != nil {
			t.Fatal(err)
		}
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

// TestIngestLeavesRobotsOutOfPeople: what serve stores for a day with a
// health checker and a brute force on the login form. Health checks are
// not pages, and 1,161 posts to one form from one client are a robot's,
// not people's (analytics.FloodPosts); the status table lists "(other)"
// after the codes.
func TestIngestLeavesRobotsOutOfPeople(t *testing.T) {
	const day = "2026-03-10"
	var b strings.Builder
	for i := range 6 {
		fmt.Fprintf(&b, "192.0.2.%d - - [10/Mar/2026:09:00:00 +0000] \"GET /login HTTP/1.1\" 200 100 \"-\" %q\n", i+1, firefox)
		fmt.Fprintf(&b, "192.0.2.%d - - [10/Mar/2026:09:00:05 +0000] \"POST /login HTTP/1.1\" 303 100 \"-\" %q\n", i+1, firefox)
	}
	fmt.Fprintf(&b, "192.0.2.1 - - [10/Mar/2026:09:01:00 +0000] \"GET /account HTTP/1.1\" 500 100 \"-\" %q\n", firefox)
	for range 100 {
		fmt.Fprintf(&b, "198.51.100.9 - - [10/Mar/2026:10:00:00 +0000] \"GET /healthz HTTP/1.1\" 200 100 \"-\" %q\n", firefox)
	}
	fmt.Fprintf(&b, "203.0.113.50 - - [10/Mar/2026:11:00:00 +0000] \"GET /login HTTP/1.1\" 200 100 \"-\" %q\n", firefox)
	for range 1161 {
		fmt.Fprintf(&b, "203.0.113.50 - - [10/Mar/2026:11:00:01 +0000] \"POST /login HTTP/1.1\" 401 100 \"-\" %q\n", firefox)
	}
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "access-a-"+day+".log"), []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		in := &usage.Ingester{DB: db, Dir: dir, Instance: "a", MinVisitors: 2}
		if _, err := in.Run(ctx, time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC)); err != nil {
			t.Fatal(err)
		}
		tr, err := usage.Query(ctx, db, day, day, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(tr.Days) != 1 {
			t.Fatalf("%d days, want 1", len(tr.Days))
		}
		want := usage.DayTotals{Day: day, Requests: 1275, HumanRequests: 14, BotRequests: 1261, Visitors: 8, HumanVisitors: 6,
			Pages: 1175, Bytes: 127500}
		if tr.Days[0] != want {
			t.Errorf("day = %+v\nwant  %+v", tr.Days[0], want)
		}
		if _, listed := rowsByName(tr.Tables[usage.DimPage])["/healthz"]; listed {
			t.Error("/healthz is counted as a page")
		}
		var names []string
		for _, r := range tr.Tables[usage.DimStatus] {
			names = append(names, r.Name)
		}
		if got := strings.Join(names, " "); got != "200 303 (other)" {
			t.Errorf("status rows %q, want %q", got, "200 303 (other)")
		}
		if got := rowsByName(tr.Tables[usage.DimBrowser])["Firefox 128"]; got.Requests != 14 || got.Visitors != 6 {
			t.Errorf("Firefox 128 = %+v, want 14 requests by 6 people", got)
		}
	})
}
