package accesslog_test

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"plenary/internal/accesslog"
	"plenary/internal/accesslog/accesslogtest"
	"plenary/internal/inventory"
)

// line is a parsed combined-log-format line.
type line struct {
	IP, Time, Method, URI, Proto, Referrer, UA string
	Status                                     int
	Bytes                                      string
}

// A combined line: quoted fields hold no bare quote, backslashes escape.
var combined = regexp.MustCompile(`^(\S+) - - \[([^\]]+)\] "((?:[^"\\]|\\.)*)" (\d{3}) (\d+|-) "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)"$`)

func parseLine(t *testing.T, s string) line {
	t.Helper()
	m := combined.FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("not a combined log line: %q", s)
	}
	req := strings.SplitN(m[3], " ", 3)
	if len(req) != 3 {
		t.Fatalf("request field %q is not METHOD URI PROTO", m[3])
	}
	status, _ := strconv.Atoi(m[4])
	return line{IP: m[1], Time: m[2], Method: req[0], URI: req[1], Proto: req[2], Status: status, Bytes: m[5], Referrer: m[6], UA: m[7]}
}

// readLines returns every line of every log file in dir.
func readLines(t *testing.T, dir string) []string {
	t.Helper()
	return accesslogtest.Lines(t, dir)
}

var fixed = time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)

// serve sends r through the logging middleware to a handler that answers
// status with body, and returns the one line logged.
func serve(t *testing.T, trusted []netip.Prefix, r *http.Request, status int, body string) line {
	t.Helper()
	dir := t.TempDir()
	w, err := accesslog.NewWriter(dir, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	l := &accesslog.Logger{Writer: w, Trusted: trusted, Now: func() time.Time { return fixed }}
	h := l.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	h.ServeHTTP(httptest.NewRecorder(), r)
	lines := readLines(t, dir)
	if len(lines) != 1 {
		t.Fatalf("logged %d lines, want 1: %q", len(lines), lines)
	}
	return parseLine(t, lines[0])
}

func prefixes(s ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, p := range s {
		out = append(out, netip.MustParsePrefix(p))
	}
	return out
}

// TestLogLineFields checks C1: every request is logged with its time,
// method, path and query, status, size, referrer, user agent and client
// address, the forwarded address counting only when a trusted proxy sent it.
func TestLogLineFields(t *testing.T) {
	proxy := prefixes("10.0.0.0/8", "fd00::/8")
	tests := []struct {
		name    string
		method  string
		target  string
		remote  string
		xff     []string
		trusted []netip.Prefix
		ref, ua string
		status  int
		body    string
		want    line
	}{
		{
			name: "direct visitor", method: "GET", target: "/privacy?lang=en&x=1", remote: "203.0.113.9:51234",
			ref: "https://search.example/?q=privacy", ua: "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0", status: 200, body: "hello",
			want: line{IP: "203.0.113.9", Method: "GET", URI: "/privacy?lang=en&x=1", Status: 200, Bytes: "5", Referrer: "https://search.example/?q=privacy", UA: "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"},
		},
		{
			name: "no referrer, no agent, empty body", method: "HEAD", target: "/", remote: "198.51.100.1:1", status: 304,
			want: line{IP: "198.51.100.1", Method: "HEAD", URI: "/", Status: 304, Bytes: "-", Referrer: "-", UA: "-"},
		},
		{
			name: "spoofed forwarded address from an untrusted peer is ignored", method: "POST", target: "/contact", remote: "203.0.113.9:4000",
			xff: []string{"1.2.3.4"}, trusted: proxy, status: 403, body: "no",
			want: line{IP: "203.0.113.9", Method: "POST", URI: "/contact", Status: 403, Bytes: "2", Referrer: "-", UA: "-"},
		},
		{
			name: "forwarded address believed from a trusted proxy", method: "GET", target: "/", remote: "10.1.2.3:4000",
			xff: []string{"198.51.100.77"}, trusted: proxy, status: 200,
			want: line{IP: "198.51.100.77", Method: "GET", URI: "/", Status: 200, Bytes: "-", Referrer: "-", UA: "-"},
		},
		{
			name: "right-most untrusted hop wins over what the client wrote", method: "GET", target: "/", remote: "10.1.2.3:4000",
			xff: []string{"6.6.6.6, 198.51.100.77, 10.9.9.9"}, trusted: proxy, status: 200,
			want: line{IP: "198.51.100.77", Method: "GET", URI: "/", Status: 200, Bytes: "-", Referrer: "-", UA: "-"},
		},
		{
			name: "several X-Forwarded-For headers read as one list", method: "GET", target: "/", remote: "10.1.2.3:4000",
			xff: []string{"6.6.6.6", "198.51.100.78"}, trusted: proxy, status: 200,
			want: line{IP: "198.51.100.78", Method: "GET", URI: "/", Status: 200, Bytes: "-", Referrer: "-", UA: "-"},
		},
		{
			name: "IPv6 client through an IPv6 proxy", method: "GET", target: "/", remote: "[fd00::1]:4000",
			xff: []string{"2001:db8::5"}, trusted: proxy, status: 200,
			want: line{IP: "2001:db8::5", Method: "GET", URI: "/", Status: 200, Bytes: "-", Referrer: "-", UA: "-"},
		},
		{
			name: "no trusted proxy configured", method: "GET", target: "/", remote: "10.1.2.3:4000",
			xff: []string{"198.51.100.77"}, status: 200,
			want: line{IP: "10.1.2.3", Method: "GET", URI: "/", Status: 200, Bytes: "-", Referrer: "-", UA: "-"},
		},
		{
			name: "garbage in X-Forwarded-For falls back to the proxy", method: "GET", target: "/", remote: "10.1.2.3:4000",
			xff: []string{"not-an-ip"}, trusted: proxy, status: 200,
			want: line{IP: "10.1.2.3", Method: "GET", URI: "/", Status: 200, Bytes: "-", Referrer: "-", UA: "-"},
		},
		{
			name: "status defaults to 200 when the handler only writes", method: "GET", target: "/x", remote: "192.0.2.1:1", status: 0, body: "abc",
			want: line{IP: "192.0.2.1", Method: "GET", URI: "/x", Status: 200, Bytes: "3", Referrer: "-", UA: "-"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.target, nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if tt.ref != "" {
				r.Header.Set("Referer", tt.ref)
			}
			r.Header.Set("User-Agent", tt.ua)
			status := tt.status
			var got line
			if status == 0 {
				got = serveWriteOnly(t, r, tt.body)
			} else {
				got = serve(t, tt.trusted, r, status, tt.body)
			}
			tt.want.Time = "06/May/2026:07:08:09 +0000"
			tt.want.Proto = "HTTP/1.1"
			if got != tt.want {
				t.Errorf("logged\n %+v\nwant\n %+v", got, tt.want)
			}
		})
	}
}

func serveWriteOnly(t *testing.T, r *http.Request, body string) line {
	t.Helper()
	dir := t.TempDir()
	w, _ := accesslog.NewWriter(dir, "test")
	defer w.Close()
	l := &accesslog.Logger{Writer: w, Now: func() time.Time { return fixed }}
	l.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) })).ServeHTTP(httptest.NewRecorder(), r)
	lines := readLines(t, dir)
	if len(lines) != 1 {
		t.Fatalf("logged %d lines", len(lines))
	}
	return parseLine(t, lines[0])
}

// TestNoLinkingFields checks C2: what identifies a person to the site (a
// cookie, an Authorization header, an e-mail address in a header) never
// reaches a log line.
func TestNoLinkingFields(t *testing.T) {
	r := httptest.NewRequest("GET", "/account", nil)
	r.RemoteAddr = "203.0.113.9:1"
	r.Header.Set("Cookie", "plenary_session=s3ss10nvalue; remember=r3memb3r")
	r.Header.Set("Authorization", "Basic YWxpY2U6c2VjcmV0")
	r.Header.Set("From", "alice@example.org")
	r.Header.Set("X-Email", "alice@example.org")
	r.Header.Set("User-Agent", "Mozilla/5.0")
	dir := t.TempDir()
	w, _ := accesslog.NewWriter(dir, "test")
	l := &accesslog.Logger{Writer: w}
	l.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "plenary_session", Value: "n3wsess10n"})
		w.Write([]byte("ok"))
	})).ServeHTTP(httptest.NewRecorder(), r)
	w.Close()
	lines := readLines(t, dir)
	if len(lines) != 1 {
		t.Fatalf("logged %d lines", len(lines))
	}
	for _, secret := range []string{"s3ss10nvalue", "r3memb3r", "n3wsess10n", "plenary_session", "YWxpY2U6c2VjcmV0", "Basic", "alice", "@example.org"} {
		if strings.Contains(lines[0], secret) {
			t.Errorf("log line %q contains %q", lines[0], secret)
		}
	}
	if got := parseLine(t, lines[0]); got.IP != "203.0.113.9" || got.URI != "/account" {
		t.Errorf("line %+v lost its ordinary fields", got)
	}
}

// TestEscaping checks that a hostile request cannot break the quoting or
// start a second line.
func TestEscaping(t *testing.T) {
	e := accesslog.Entry{
		Time: fixed, ClientIP: "192.0.2.1", Method: "GET", URI: `/a"b\c`, Proto: "HTTP/1.1", Status: 200, Bytes: 1,
		Referrer:  "x\" \"y",
		UserAgent: "evil\"\n192.0.2.66 - - [06/May/2026:07:08:09 +0000] \"GET /forged HTTP/1.1\" 200 1 \"-\" \"\x7f\x01",
	}
	out := string(accesslog.AppendCombined(nil, e))
	if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") {
		t.Fatalf("escaped line spans several lines: %q", out)
	}
	got := parseLine(t, strings.TrimSuffix(out, "\n"))
	if got.UA != `evil\"\x0a192.0.2.66 - - [06/May/2026:07:08:09 +0000] \"GET /forged HTTP/1.1\" 200 1 \"-\" \"\x7f\x01` {
		t.Errorf("user agent logged as %q", got.UA)
	}
	if got.URI != `/a\"b\\c` || got.Referrer != `x\" \"y` {
		t.Errorf("URI %q, referrer %q", got.URI, got.Referrer)
	}
}

func TestDailyFiles(t *testing.T) {
	dir := t.TempDir()
	w, err := accesslog.NewWriter(dir, "web-1")
	if err != nil {
		t.Fatal(err)
	}
	days := []time.Time{
		time.Date(2026, 1, 30, 23, 59, 59, 0, time.UTC),
		time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 31, 12, 0, 0, 0, time.UTC),
		// 00:30 in UTC+2 is still the 31st in UTC: files follow UTC days.
		time.Date(2026, 2, 1, 0, 30, 0, 0, time.FixedZone("CEST", 2*3600)),
		time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC),
	}
	for i, d := range days {
		if err := w.Write(accesslog.Entry{Time: d, ClientIP: "192.0.2.1", Method: "GET", URI: fmt.Sprintf("/%d", i), Proto: "HTTP/1.1", Status: 200}); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	files, _ := accesslog.Files(dir)
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	want := []string{"access-web-1-2026-01-30.log", "access-web-1-2026-01-31.log", "access-web-1-2026-02-01.log"}
	if !slices.Equal(names, want) {
		t.Fatalf("files %v, want %v", names, want)
	}
	count := map[string]int{}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		count[filepath.Base(f)] = strings.Count(string(b), "\n")
	}
	if count[want[0]] != 1 || count[want[1]] != 3 || count[want[2]] != 1 {
		t.Errorf("lines per file %v", count)
	}
	// A writer for another instance appends to files of its own.
	w2, _ := accesslog.NewWriter(dir, "web-2")
	w2.Write(accesslog.Entry{Time: days[4], Method: "GET", URI: "/", Proto: "HTTP/1.1", Status: 200})
	w2.Close()
	if _, err := os.Stat(filepath.Join(dir, "access-web-2-2026-02-01.log")); err != nil {
		t.Error(err)
	}
	// Files are private to the operator.
	if st, _ := os.Stat(files[0]); st.Mode().Perm() != 0o600 {
		t.Errorf("log file mode %v, want 0600", st.Mode().Perm())
	}
}

// TestSweepRetention checks U3 for the access log: files older than the
// configured number of days are removed and reported, nothing else is
// touched, and forever keeps everything.
func TestSweepRetention(t *testing.T) {
	now := time.Date(2026, 4, 10, 15, 0, 0, 0, time.UTC)
	names := []string{
		"access-a-2026-01-01.log",
		"access-a-2026-03-11.log", // 30 days before now: expired with keep=29, kept with keep=30
		"access-a-2026-03-12.log",
		"access-b-2026-03-01.log.gz",
		"access-a-2026-04-10.log",
		"notes.txt",
		"access-a-latest.log", // no date: never removed
	}
	tests := []struct {
		keep    int
		removed []string
	}{
		{-1, nil},
		{30, []string{"access-a-2026-01-01.log", "access-b-2026-03-01.log.gz"}},
		{29, []string{"access-a-2026-01-01.log", "access-b-2026-03-01.log.gz", "access-a-2026-03-11.log"}},
		{0, []string{"access-a-2026-01-01.log", "access-b-2026-03-01.log.gz", "access-a-2026-03-11.log", "access-a-2026-03-12.log"}},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.keep), func(t *testing.T) {
			dir := t.TempDir()
			for _, n := range names {
				os.WriteFile(filepath.Join(dir, n), []byte("line\n"), 0o600)
			}
			removed, err := accesslog.Sweep(dir, tt.keep, now)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range removed {
				got = append(got, filepath.Base(r.Path))
				if r.Bytes != 5 || r.Day == "" {
					t.Errorf("removal report %+v", r)
				}
			}
			slices.Sort(got)
			want := slices.Clone(tt.removed)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("removed %v, want %v", got, want)
			}
			for _, n := range names {
				_, err := os.Stat(filepath.Join(dir, n))
				if gone := os.IsNotExist(err); gone != slices.Contains(tt.removed, n) {
					t.Errorf("%s: gone=%v", n, gone)
				}
			}
		})
	}
}

// TestConcurrentWritesDoNotInterleave writes from many goroutines and
// checks that every line is whole.
func TestConcurrentWritesDoNotInterleave(t *testing.T) {
	dir := t.TempDir()
	w, _ := accesslog.NewWriter(dir, "c")
	const workers, each = 16, 200
	var wg sync.WaitGroup
	for g := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				ua := strings.Repeat(string(rune('a'+g)), 500+i)
				w.Write(accesslog.Entry{Time: fixed, ClientIP: "192.0.2.1", Method: "GET", URI: fmt.Sprintf("/%d/%d", g, i), Proto: "HTTP/1.1", Status: 200, UserAgent: ua})
			}
		}()
	}
	wg.Wait()
	w.Close()
	files, _ := accesslog.Files(dir)
	f, _ := os.Open(files[0])
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		l := parseLine(t, sc.Text())
		var g, i int
		fmt.Sscanf(l.URI, "/%d/%d", &g, &i)
		if l.UA != strings.Repeat(string(rune('a'+g)), 500+i) {
			t.Fatalf("line %d was mixed with another: %.80q", n, sc.Text())
		}
		n++
	}
	if n != workers*each {
		t.Errorf("%d lines, want %d", n, workers*each)
	}
}

// TestWriterFieldsAreDeclared keeps the writer and the inventory one list:
// every field a line holds is declared, every declared field is written,
// in the same order (C1, C2). The web package's
// TestLogLinesHoldExactlyTheDeclaredFields checks the same on lines a real
// server wrote.
func TestWriterFieldsAreDeclared(t *testing.T) {
	var declared []string
	for _, it := range inventory.Default().Items() {
		if it.Kind == inventory.LogField {
			declared = append(declared, it.Name)
		}
	}
	written := accesslog.Fields()
	if !slices.Equal(written, declared) {
		t.Errorf("the writer writes %q, the inventory declares %q: they must be the same list", written, declared)
	}
	// And the writer's list is what a line really holds: one token per
	// field, plus the two constant "-" of the format.
	e := accesslog.Entry{Time: fixed, ClientIP: "192.0.2.1", Method: "GET", URI: "/", Proto: "HTTP/1.1", Status: 200, Bytes: 5, Referrer: "https://r.example/", UserAgent: "UA/1"}
	l := strings.TrimSuffix(string(accesslog.AppendCombined(nil, e)), "\n")
	want := `192.0.2.1 - - [06/May/2026:07:08:09 +0000] "GET / HTTP/1.1" 200 5 "https://r.example/" "UA/1"`
	if l != want || len(written) != 7 {
		t.Errorf("a line with %d fields reads\n%s\nwant\n%s", len(written), l, want)
	}
}
