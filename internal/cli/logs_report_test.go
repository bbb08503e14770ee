package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"plenary/internal/store"
)

// selfReferred is a day of a site at www.plenary.example: people come from
// a search engine, and the site's pages load its style sheet and link to
// each other, which makes the site its own top referrer.
func selfReferred(day time.Time) string {
	stamp := day.Format("02/Jan/2006")
	const ua = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
	var b strings.Builder
	for i := range 6 {
		fmt.Fprintf(&b, "192.0.2.%d - - [%s:10:00:00 +0000] \"GET / HTTP/1.1\" 200 100 \"https://search.example/?q=standards\" %q\n", i+1, stamp, ua)
		fmt.Fprintf(&b, "192.0.2.%d - - [%s:10:00:01 +0000] \"GET /static/style.css HTTP/1.1\" 200 100 \"https://www.plenary.example/\" %q\n", i+1, stamp, ua)
		fmt.Fprintf(&b, "192.0.2.%d - - [%s:10:00:09 +0000] \"GET /privacy HTTP/1.1\" 200 100 \"https://www.plenary.example:443/\" %q\n", i+1, stamp, ua)
		fmt.Fprintf(&b, "192.0.2.%d - - [%s:10:00:10 +0000] \"GET /static/style.css HTTP/1.1\" 200 100 \"https://plenary.example/privacy\" %q\n", i+1, stamp, ua)
	}
	return b.String()
}

// TestLogsReportRefusesFilesWithNoValidLine: a report of nothing is a
// mistake (a wrong file, a format we do not read), not a quiet day.
func TestLogsReportRefusesFilesWithNoValidLine(t *testing.T) {
	clearEnv(t)
	tests := []struct {
		name, data string
		want       []string
	}{
		{"empty", "", []string{"no access-log line in", "0 lines read"}},
		{"blank lines and comments", "\n# nginx\n  \n", []string{"no access-log line in", "3 lines read, 3 of them blank or comments"}},
		{"another format", "{\"ts\":\"2026-03-10T10:00:00Z\",\"path\":\"/\"}\nplain text\n", []string{"2 not in the combined or common log format", "line 1: no valid client address"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "access.log")
			if err := os.WriteFile(path, []byte(tt.data), 0o600); err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := run(t, "logs", "report", path)
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			if stdout != "" {
				t.Errorf("a report was written: %q", stdout)
			}
			for _, w := range append(tt.want, path) {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q lacks %q", stderr, w)
				}
			}
		})
	}
}

// TestLogsReportLeavesTheSiteOutOfReferrers: by default the report takes
// the host that referred the style sheets to be the site itself, and says
// so; --site names it, --site none keeps every referrer.
func TestLogsReportLeavesTheSiteOutOfReferrers(t *testing.T) {
	clearEnv(t)
	path := filepath.Join(t.TempDir(), "access.log")
	if err := os.WriteFile(path, []byte(selfReferred(time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC))), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		flags     []string
		referrers string
		site      string
		guessed   bool
	}{
		{nil, "search.example", "plenary.example", true},
		{[]string{"--site", "auto"}, "search.example", "plenary.example", true},
		{[]string{"--site", "plenary.example"}, "search.example", "plenary.example", false},
		{[]string{"--site", "none"}, "www.plenary.example plenary.example search.example", "", false},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.flags, " "), func(t *testing.T) {
			code, stdout, stderr := run(t, append([]string{"logs", "report", "--format", "json", path}, tt.flags...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var r struct {
				Site        string `json:"site"`
				SiteGuessed bool   `json:"site_guessed"`
				Referring   struct {
					Rows []struct{ Key string } `json:"rows"`
				} `json:"referring_sites"`
			}
			if err := json.Unmarshal([]byte(stdout), &r); err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, row := range r.Referring.Rows {
				keys = append(keys, row.Key)
			}
			if got := strings.Join(keys, " "); got != tt.referrers {
				t.Errorf("referring sites %q, want %q", got, tt.referrers)
			}
			if r.Site != tt.site || r.SiteGuessed != tt.guessed {
				t.Errorf("site %q guessed %v, want %q %v", r.Site, r.SiteGuessed, tt.site, tt.guessed)
			}
		})
	}
	code, stdout, stderr := run(t, "logs", "report", path)
	if code != 0 || !strings.Contains(stdout, "referrals from plenary.example are left out") {
		t.Errorf("the text report does not say whose referrals it left out: exit %d\n%s%s", code, stdout, stderr)
	}
}

// TestServeIngestionLeavesTheSiteOutOfReferrers: the usage trends that
// serve (and logs maintain) store leave out the host of --base-url.
func TestServeIngestionLeavesTheSiteOutOfReferrers(t *testing.T) {
	clearEnv(t)
	data := t.TempDir()
	logs := filepath.Join(data, "logs")
	if err := os.MkdirAll(logs, 0o700); err != nil {
		t.Fatal(err)
	}
	day := time.Now().UTC().AddDate(0, 0, -2)
	if err := os.WriteFile(filepath.Join(logs, "access-box-"+day.Format(time.DateOnly)+".log"), []byte(selfReferred(day)), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := run(t, "logs", "maintain", "--data", data, "--instance", "box", "--base-url", "https://www.plenary.example", "--analytics-min-visitors", "2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, "", data)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(ctx, "SELECT name FROM usage_counts WHERE dimension = 'referrer' ORDER BY name")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(names, " "); got != "search.example" {
		t.Errorf("stored referrers %q, want only %q", got, "search.example")
	}
}
