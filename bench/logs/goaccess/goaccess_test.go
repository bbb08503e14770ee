package goaccess

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"plenary/internal/accesslog"
	"plenary/internal/analytics"
)

const (
	chrome  = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
	firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"
)

func line(ip string, day, hour int, path string, status int, ua string) string {
	return fmt.Sprintf(`%s - - [%02d/Mar/2024:%02d:10:00 +0100] "GET %s HTTP/1.1" %d 100 "https://search.example/" "%s"`+"\n",
		ip, day, hour, path, status, ua)
}

func counted(t *testing.T, log string) *Result {
	t.Helper()
	r, err := Count(strings.NewReader(log))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestCountsBothWays: one log, counted by GoAccess's definitions and by
// plenary's, with figures known by hand.
func TestCountsBothWays(t *testing.T) {
	log := line("192.0.2.1", 1, 9, "/", 200, chrome) +
		line("192.0.2.1", 1, 9, "/static/site.css", 200, chrome) +
		line("192.0.2.1", 1, 10, "/", 200, firefox) + // same address, other agent: second visitor
		line("2001:db8::7", 1, 23, "/missing", 404, chrome) + // 4xx: a visitor for plenary, not for GoAccess
		line("198.51.100.9", 1, 3, "/robots.txt", 200, "curl/8.5.0") +
		"this is not a log line\n" +
		"\n" +
		line("192.0.2.1", 2, 9, "/", 200, chrome) +
		line("203.0.113.5", 2, 14, "/drafts?q=x", 301, firefox) +
		`192.0.2.1 - - [02/Mar/2024:10:00:00 +0000] "GET / HTTP/1.0" 200 10` + "\n" // common, size last: GoAccess fails it
	r := counted(t, log)
	d1, d2 := analytics.MakeDate(2024, 3, 1), analytics.MakeDate(2024, 3, 2)
	tests := []struct {
		name string
		got  Counts
		want string
	}{
		{"goaccess", r.GoAccess, "total 9 valid 7 failed 2 visitors 5 days map[2024-03-01:{5 3} 2024-03-02:{2 2}] status map[200:5 301:1 404:1]"},
		{"plenary", r.Plenary, "total 9 valid 8 failed 1 visitors 7 days map[2024-03-01:{5 4} 2024-03-02:{3 3}] status map[200:6 301:1 404:1]"},
	}
	for _, tt := range tests {
		got := fmt.Sprintf("total %d valid %d failed %d visitors %d days %v status %v", tt.got.Total, tt.got.Valid, tt.got.Failed, tt.got.VisitorsSum, tt.got.Days, tt.got.Status)
		if got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
	if _, ok := r.GoAccess.Days[d1]; !ok {
		t.Error("no day 1")
	}
	if r.Plenary.Days[d2].Hits != 3 {
		t.Errorf("day 2 = %+v", r.Plenary.Days[d2])
	}
}

// TestRealLogsMatchGoAccess: the figures GoAccess 1.7 gave on the three
// real logs (run with --log-format=COMBINED, see bench/README.md).
func TestRealLogsMatchGoAccess(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "..", "shared", "testdata", "logs")
	want := map[string]struct{ valid, failed, visitors int64 }{
		"elastic-examples_apache_logs.log": {10000, 0, 2095},
		"logparser_hackers-access.log":     {3456, 0, 672},
		"secrepo_access-2018-12-15.log":    {4961, 0, 316},
	}
	found := 0
	for name, w := range want {
		f, err := accesslog.Open(filepath.Join(dir, name))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		found++
		r, err := Count(f)
		if cerr := f.Close(); cerr != nil {
			t.Fatal(cerr)
		}
		if err != nil {
			t.Fatal(err)
		}
		if g := r.GoAccess; g.Valid != w.valid || g.Failed != w.failed || g.VisitorsSum != w.visitors {
			t.Errorf("%s: valid %d failed %d visitors %d; GoAccess says %d, %d, %d", name, g.Valid, g.Failed, g.VisitorsSum, w.valid, w.failed, w.visitors)
		}
	}
	if found == 0 {
		t.Skipf("real logs not found in %s (they live beside the repository in ../shared/testdata)", dir)
	}
}
