package analytics

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"strings"
	"testing"

	"plenary/internal/accesslog"
)

// TestGuessSite: with Options.GuessSite the host that referred most of the
// static files is taken to be the site, www. or not, and left out of the
// referring sites; when no host referred most of them, nothing is guessed.
func TestGuessSite(t *testing.T) {
	get := func(path, ref string) string {
		return fmt.Sprintf(`192.0.2.1 - - [10/Mar/2026:12:00:00 +0000] "GET %s HTTP/1.1" 200 100 "%s" "%s"`+"\n", path, ref, firefox)
	}
	tests := []struct {
		name, log string
		site      string
		referrers string
	}{
		{"the site's pages load its style sheet",
			strings.Repeat(get("/", "https://search.example/?q=x"), 3) + strings.Repeat(get("/style.css", "https://www.plenary.example/"), 2) +
				get("/app.js", "https://plenary.example/a") + get("/about", "https://plenary.example/"),
			"plenary.example", "search.example"},
		{"images embedded by two other sites, evenly",
			get("/logo.png", "https://a.example/") + get("/logo.png", "https://b.example/") + get("/", "https://c.example/"),
			"", "a.example b.example c.example"},
		{"no static file has a referrer", get("/", "https://c.example/") + get("/style.css", "-"), "", "c.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := analyzeString(t, tt.log, Options{GuessSite: true})
			var keys []string
			for _, row := range r.ReferringSites.Rows {
				keys = append(keys, row.Key)
			}
			if r.Site != tt.site || !r.SiteGuessed || strings.Join(keys, " ") != tt.referrers {
				t.Errorf("site %q (guessed %v), referrers %q; want %q, %q", r.Site, r.SiteGuessed, strings.Join(keys, " "), tt.site, tt.referrers)
			}
		})
	}
}

// TestHTMLStatusChartIsLogarithmic: the report's status chart shows the
// few errors beside thousands of 200s, on a scale marked in powers of ten.
func TestHTMLStatusChartIsLogarithmic(t *testing.T) {
	log := strings.Repeat(line("192.0.2.1", 1, 9, "/", 200, firefox), 5000) + line("192.0.2.2", 1, 9, "/", 500, firefox)
	var b strings.Builder
	if err := WriteHTML(&b, analyzeString(t, log, Options{})); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	i := strings.Index(html, "<h2>Status codes (logarithmic scale)</h2>")
	if i < 0 {
		t.Fatal("no logarithmic status chart")
	}
	chart := html[i : i+strings.Index(html[i:], "</svg>")]
	for _, tick := range []string{">1</text>", ">10</text>", ">100</text>", ">1,000</text>", ">10k</text>"} {
		if !strings.Contains(chart, tick) {
			t.Errorf("status chart lacks the tick %s", tick)
		}
	}
	if !strings.Contains(chart, `height="13.1"><title>500: 1</title>`) {
		t.Errorf("the bar of a single 500 is not drawn at log scale:\n%s", chart)
	}
}

// TestCutShortGzipFailsTheReport: a compressed log that ends early cannot
// be read to the end; counting what came before as the whole would pass a
// half day for a quiet one.
func TestCutShortGzipFailsTheReport(t *testing.T) {
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	if _, err := zw.Write([]byte(strings.Repeat(sampleLog(), 500))); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := Analyze(t.Context(), []Source{ReaderSource("rotated.log.gz", bytes.NewReader(z.Bytes()[:z.Len()/2]))}, Options{})
	if !errors.Is(err, accesslog.ErrCorrupt) || !strings.Contains(err.Error(), "rotated.log.gz") {
		t.Errorf("Analyze = %v, want an error naming the file and wrapping ErrCorrupt", err)
	}
}
