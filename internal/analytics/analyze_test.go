package analytics

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// line builds a combined line for a day of March 2024.
func line(ip string, day, hour int, path string, status int, ua string) string {
	return fmt.Sprintf(`%s - - [%02d/Mar/2024:%02d:10:00 +0100] "GET %s HTTP/1.1" %d 100 "https://search.example/" "%s"`+"\n",
		ip, day, hour, path, status, ua)
}

const chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"

// sampleLog is a small log whose exact figures are known.
func sampleLog() string {
	var b strings.Builder
	b.WriteString(line("192.0.2.1", 1, 9, "/", 200, chrome))
	b.WriteString(line("192.0.2.1", 1, 9, "/static/site.css", 200, chrome))
	b.WriteString(line("192.0.2.1", 1, 10, "/", 200, firefox))                  // same address, other agent: second visitor
	b.WriteString(line("2001:db8::7", 1, 23, "/missing", 404, chrome))          // 4xx: a visitor for us, not for GoAccess
	b.WriteString(line("198.51.100.9", 1, 3, "/robots.txt", 200, "curl/8.5.0")) // bot
	b.WriteString("this is not a log line\n")
	b.WriteString("\n")
	b.WriteString(line("192.0.2.1", 2, 9, "/", 200, chrome)) // same visitor, next day: counted again that day
	b.WriteString(line("203.0.113.5", 2, 14, "/drafts?q=x", 301, firefox))
	return b.String()
}

func analyzeString(t *testing.T, s string, opts Options) *Report {
	t.Helper()
	r, err := Analyze(context.Background(), []Source{ReaderSource("test.log", strings.NewReader(s))}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestAnalyzeExactFigures(t *testing.T) {
	r := analyzeString(t, sampleLog(), Options{})
	if r.Lines != (LineCounts{Total: 9, Valid: 7, Invalid: 1, Skipped: 1}) {
		t.Errorf("lines = %+v", r.Lines)
	}
	want := []DayRow{
		{Date: "2024-03-01", Counts: Counts{Requests: 5, HumanRequests: 4, BotRequests: 1, UniqueVisitors: 4, HumanVisitors: 3, Pages: 3, StaticFiles: 1, NotFound: 1, Bytes: 500}},
		{Date: "2024-03-02", Counts: Counts{Requests: 2, HumanRequests: 2, UniqueVisitors: 2, HumanVisitors: 2, Pages: 2, Bytes: 200}},
	}
	if !reflect.DeepEqual(r.Days, want) {
		t.Errorf("days =\n%+v\nwant\n%+v", r.Days, want)
	}
	if r.Totals.AvgDailyVisitors != 3 || r.Totals.Requests != 7 || r.Totals.Bytes != 700 {
		t.Errorf("totals = %+v", r.Totals)
	}
	if r.Hours[9] != 3 || r.Hours[23] != 1 {
		t.Errorf("hours = %v", r.Hours)
	}
	if len(r.InvalidSamples) != 1 || r.InvalidSamples[0].Line != 6 {
		t.Errorf("samples = %+v", r.InvalidSamples)
	}
	if r.Sources[0].Format != "combined" || r.Sources[0].Lines != 9 {
		t.Errorf("source = %+v", r.Sources[0])
	}
	paths := map[string]int64{}
	for _, row := range r.TopPaths.Rows {
		paths[row.Key] = row.Requests
	}
	if paths["/"] != 3 || paths["/drafts"] != 1 || r.TopPaths.Approximate {
		t.Errorf("top paths = %+v", r.TopPaths)
	}
}

func TestAnalyzeFormats(t *testing.T) {
	common := `192.0.2.1 - - [01/Mar/2024:10:00:00 +0000] "GET / HTTP/1.0" 200 10` + "\n" +
		`192.0.2.2 - - [01/Mar/2024:10:00:01 +0000] "GET /b HTTP/1.0" 404 -` + "\n"
	r := analyzeString(t, common, Options{})
	if r.Sources[0].Format != "common" || r.Lines.Valid != 2 || r.Totals.NotFound != 1 {
		t.Errorf("common: %+v %+v", r.Sources[0], r.Lines)
	}
}

func TestAnalyzeGzipAndStdin(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write([]byte(sampleLog())); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// Named .log although compressed: detection is by magic bytes.
	path := filepath.Join(dir, "access.log")
	if err := os.WriteFile(path, gz.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	plain := analyzeString(t, sampleLog(), Options{})
	for name, src := range map[string]Source{
		"file":  FileSource(path),
		"stdin": ReaderSource("-", bytes.NewReader(gz.Bytes())),
	} {
		r, err := Analyze(context.Background(), []Source{src}, Options{})
		if err != nil {
			t.Fatal(name, err)
		}
		if !r.Sources[0].Gzip || !reflect.DeepEqual(r.Days, plain.Days) {
			t.Errorf("%s: gzip=%v days %+v", name, r.Sources[0].Gzip, r.Days)
		}
	}
}

func TestAnalyzeHugeLines(t *testing.T) {
	huge := strings.Repeat("x", 10_000) // longer than a chunk below
	long := "192.0.2.1 - - " + strings.Repeat("y", 1500)
	input := sampleLog() + huge + "\n" + long + "\n" + line("192.0.2.9", 3, 1, "/", 200, chrome) + huge // last line unterminated
	r := analyzeString(t, input, Options{MaxLineBytes: 1024, ChunkBytes: 2048, Workers: 3})
	if r.Lines.Invalid != 4 || r.Lines.Valid != 8 {
		t.Errorf("lines = %+v", r.Lines)
	}
	reasons := map[string]int{}
	for _, s := range r.InvalidSamples {
		reasons[s.Reason]++
		if len(s.Text) > 130 {
			t.Errorf("sample too long: %d bytes", len(s.Text))
		}
	}
	if reasons["line too long"] != 3 {
		t.Errorf("samples = %+v", r.InvalidSamples)
	}
}

func TestAnalyzeDateFilter(t *testing.T) {
	from, err := ParseDate("2024-03-02")
	if err != nil {
		t.Fatal(err)
	}
	r := analyzeString(t, sampleLog(), Options{From: from, To: from})
	if len(r.Days) != 1 || r.Days[0].Date != "2024-03-02" || r.Lines.OutsidePeriod != 5 || r.Totals.Requests != 2 {
		t.Errorf("days %+v lines %+v", r.Days, r.Lines)
	}
}

// Splitting the work differently must not change a single figure: partial
// aggregates merge into exact totals and exact per-day visitor counts.
func TestMergeIsExact(t *testing.T) {
	var b strings.Builder
	for i := range 5000 {
		ua := []string{chrome, firefox, "curl/8.5.0"}[i%3]
		b.WriteString(line(fmt.Sprintf("10.0.%d.%d", i%7, i%251), 1+i%4, i%24, fmt.Sprintf("/p%d", i%97), []int{200, 404, 304}[i%3], ua))
	}
	one := analyzeString(t, b.String(), Options{Workers: 1})
	many := analyzeString(t, b.String(), Options{Workers: 4, ChunkBytes: 1 << 17, MaxLineBytes: 1 << 16})
	one.Generated, many.Generated = time.Time{}, time.Time{}
	if !reflect.DeepEqual(one, many) {
		t.Errorf("1 worker and 4 workers differ:\n%+v\n%+v", one, many)
	}

	// The same through the exported Aggregator API.
	root := NewAggregator(Options{})
	parts := []*Aggregator{root.Fork(), root.Fork(), root.Fork()}
	for i, l := range strings.SplitAfter(b.String(), "\n") {
		parts[i%3].AddLine("x", int64(i+1), []byte(l))
	}
	for _, p := range parts {
		root.Merge(p)
	}
	days := root.Days()
	for i, d := range days {
		if d.Requests != one.Days[i].Requests || d.UniqueVisitors != one.Days[i].UniqueVisitors {
			t.Errorf("day %v: %d/%d, want %d/%d", d.Date, d.Requests, d.UniqueVisitors, one.Days[i].Requests, one.Days[i].UniqueVisitors)
		}
	}
	if d, ok := root.CloseDay(days[0].Date); !ok || d.Requests != days[0].Requests {
		t.Error("CloseDay lost the day")
	}
	if _, ok := root.CloseDay(days[0].Date); ok {
		t.Error("a closed day is still there")
	}
}

func TestTopCounterCap(t *testing.T) {
	var b strings.Builder
	for i := range 3000 {
		path := fmt.Sprintf("/rare%d", i)
		if i%3 == 0 {
			path = "/popular"
		}
		b.WriteString(line("192.0.2.1", 1, 1, path, 200, chrome))
	}
	r := analyzeString(t, b.String(), Options{TableCap: 50, Top: 5})
	tp := r.TopPaths
	if !tp.Approximate || tp.Rows[0].Key != "/popular" || tp.Rows[0].Requests < 1000-tp.MaxError || tp.Distinct > 4*50 {
		t.Errorf("top paths = %+v", tp)
	}
	var sum int64
	for _, row := range tp.Rows {
		sum += row.Requests
	}
	if sum+tp.Other != 3000 {
		t.Errorf("rows + other = %d, want the exact total 3000", sum+tp.Other)
	}
}

func TestAnalyzeCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Analyze(ctx, []Source{ReaderSource("x", strings.NewReader(sampleLog()))}, Options{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
	if _, err := Analyze(context.Background(), []Source{FileSource(filepath.Join(t.TempDir(), "missing.log"))}, Options{}); err == nil || !strings.Contains(err.Error(), "missing.log") {
		t.Errorf("missing file: %v", err)
	}
}

func render(t *testing.T, r *Report) map[string]string {
	t.Helper()
	out := map[string]string{}
	for name, w := range map[string]func(*bytes.Buffer, *Report) error{
		"text": func(b *bytes.Buffer, r *Report) error { return WriteText(b, r) },
		"json": func(b *bytes.Buffer, r *Report) error { return WriteJSON(b, r) },
		"html": func(b *bytes.Buffer, r *Report) error { return WriteHTML(b, r) },
	} {
		var b bytes.Buffer
		if err := w(&b, r); err != nil {
			t.Fatal(name, err)
		}
		if !utf8.Valid(b.Bytes()) {
			t.Errorf("%s output is not valid UTF-8", name)
		}
		out[name] = b.String()
	}
	if !json.Valid([]byte(out["json"])) {
		t.Error("invalid JSON")
	}
	h := out["html"]
	if !strings.Contains(h, "<svg") || strings.Contains(strings.ToLower(h), "<script") || strings.Contains(h, "http://") && strings.Contains(h, "src=") {
		t.Error("HTML must carry its own SVG charts and load nothing")
	}
	return out
}

func TestRenderHostileInput(t *testing.T) {
	in := line("192.0.2.1", 1, 1, `/<script>alert(1)</script>`, 200, chrome) +
		line("192.0.2.2", 1, 1, "/caf\xe9\xff", 200, chrome) +
		"192.0.2.3 - - [01/Mar/2024:10:00:00 +0000] \"GET /x HTTP/1.1\" 200 1 \"http://<b>evil</b>.example/\" \"x\"\n"
	out := render(t, analyzeString(t, in, Options{}))
	if strings.Contains(out["html"], "<script>alert") || strings.Contains(out["html"], "<b>evil") {
		t.Error("HTML report does not escape log content")
	}
}

// U1: a report holds aggregates only. No client address and no
// user-agent string may appear in any output format; only the browser,
// OS and bot names derived from agents do.
func TestReportsHoldNoAddressOrAgent(t *testing.T) {
	logs := map[string]string{"sample": sampleLog()}
	for _, name := range realLogs(t) {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		logs[filepath.Base(name)] = string(b)
	}
	for name, content := range logs {
		addrs, agents := map[string]bool{}, map[string]bool{}
		for _, l := range strings.Split(content, "\n") {
			if e, ok := ParseLine([]byte(l)); ok {
				addrs[string(e.Client)] = true
				if len(e.UserAgent) >= 12 {
					agents[string(e.UserAgent)] = true
				}
			}
		}
		// Garbage lines are sampled; give them an address to leak.
		content += "198.51.100.200 garbage " + firefox + "\n"
		addrs["198.51.100.200"] = true
		agents[firefox] = true
		for format, out := range render(t, analyzeString(t, content, Options{Top: 1000})) {
			for a := range addrs {
				if containsToken(out, a) {
					t.Errorf("%s: %s report contains address %s", name, format, a)
				}
			}
			for a := range agents {
				if strings.Contains(out, a) {
					t.Errorf("%s: %s report contains agent %.40q", name, format, a)
				}
			}
		}
	}
}

// containsToken finds s not embedded in a longer address-like token, so
// that 10.0.0.1 does not match inside /files/110.0.0.12.tar.
func containsToken(out, s string) bool {
	for i := 0; ; {
		j := strings.Index(out[i:], s)
		if j < 0 {
			return false
		}
		j += i
		before := j == 0 || !isAddrByte(out[j-1])
		after := j+len(s) == len(out) || !isAddrByte(out[j+len(s)])
		if before && after {
			return true
		}
		i = j + 1
	}
}

// realLogs returns the shared real-world logs, or skips when absent.
func realLogs(t *testing.T) []string {
	dir := filepath.Join("..", "..", "..", "shared", "testdata", "logs")
	names, err := filepath.Glob(filepath.Join(dir, "*.log"))
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Skipf("real logs not found in %s (they live beside the repository in ../shared/testdata)", dir)
	}
	return names
}

// The three real logs, with the figures GoAccess 1.7 gives for the same
// files (bench/logs checks its visitor counts too).
func TestRealLogs(t *testing.T) {
	want := map[string]struct {
		valid, invalid int64
		days           int
	}{
		"elastic-examples_apache_logs.log": {10000, 0, 4},
		"logparser_hackers-access.log":     {3456, 0, 6},
		"secrepo_access-2018-12-15.log":    {4961, 0, 2},
	}
	for _, path := range realLogs(t) {
		w, ok := want[filepath.Base(path)]
		if !ok {
			continue
		}
		r, err := Analyze(context.Background(), []Source{FileSource(path)}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(path)
		if r.Lines.Valid != w.valid || r.Lines.Invalid != w.invalid || len(r.Days) != w.days {
			t.Errorf("%s: lines %+v, %d days", name, r.Lines, len(r.Days))
		}
		if r.Sources[0].Format != "combined" {
			t.Errorf("%s: format %s", name, r.Sources[0].Format)
		}
	}
}
