package web

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"plenary/internal/jobs"
	"plenary/internal/retention"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestMetricsCountRequestsJobsAndSweeps: /metrics, read from loopback,
// counts requests by route pattern and status class with a latency
// histogram, the job queue by kind, and the retention sweeps; it holds
// no path value, search term or address.
func TestMetricsCountRequestsJobsAndSweeps(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, siteOptions{DB: db})
		ctx := context.Background()
		s.get(t, "/privacy")
		s.get(t, "/privacy")
		s.get(t, "/no/such/page/alice@example.org")
		s.get(t, "/drafts?q=secret-search-term")
		s.do(t, "POST", "/contact", strings.NewReader("x=1"), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Sec-Fetch-Site": {"cross-site"}})
		if _, _, err := jobs.Enqueue(ctx, db, jobs.New{Kind: "metrics-test", Payload: "{}"}, time.Now()); err != nil {
			t.Fatal(err)
		}
		if _, _, err := jobs.Enqueue(ctx, db, jobs.New{Kind: "metrics-test", Key: "later", Payload: "{}", RunAt: time.Now().Add(time.Hour)}, time.Now()); err != nil {
			t.Fatal(err)
		}
		retention.Run(ctx, &retention.Env{DB: db, Audit: s.Audit, LogDir: s.LogDir, Instance: "test", Label: "test", Days: func(string) int { return 30 }}, time.Now())

		res := s.get(t, "/metrics")
		if res.Status != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
			t.Fatalf("/metrics: %d %s\n%s", res.Status, res.Header.Get("Content-Type"), res.Body)
		}
		for _, want := range []string{
			`plenary_http_requests_total{route="GET /privacy",code="2xx"} 2`,
			`plenary_http_requests_total{route="/",code="4xx"} 1`,
			`plenary_http_requests_total{route="GET /drafts",code="2xx"} 1`,
			`plenary_http_requests_total{route="(refused)",code="4xx"} 1`,
			`plenary_http_request_duration_seconds_bucket{route="GET /privacy",le="+Inf"} 2`,
			`plenary_http_request_duration_seconds_count{route="GET /privacy"} 2`,
			"# TYPE plenary_http_request_duration_seconds histogram",
			`plenary_jobs_queued{kind="metrics-test",state="due"} 1`,
			`plenary_jobs_queued{kind="metrics-test",state="scheduled"} 1`,
			"plenary_up 1",
			`plenary_retention_last_sweep_timestamp_seconds{job="`,
			`plenary_retention_failures_total{job="`,
			`plenary_build_info{version="test",instance="test"} 1`,
			"plenary_page_cache_entries 1",
		} {
			if !strings.Contains(res.Body, want) {
				t.Errorf("/metrics lacks %q\n%s", want, res.Body)
			}
		}
		for _, not := range []string{"alice", "secret-search-term", "127.0.0.1", "/no/such"} {
			if strings.Contains(res.Body, not) {
				t.Errorf("/metrics holds %q", not)
			}
		}
		// Every line is a comment or NAME{LABELS} VALUE.
		line := regexp.MustCompile(`^(# (HELP|TYPE) .+|[a-z_]+(\{[a-z_]+="[^"\n]*"(,[a-z_]+="[^"\n]*")*\})? [0-9.e+-]+)$`)
		for _, l := range strings.Split(strings.TrimSuffix(res.Body, "\n"), "\n") {
			if !line.MatchString(l) {
				t.Errorf("not a line of the text format: %q", l)
			}
		}
		// Buckets only grow.
		var last int
		bucket := regexp.MustCompile(`plenary_http_request_duration_seconds_bucket\{route="GET /privacy",le="[^"]+"\} (\d+)`)
		for _, m := range bucket.FindAllStringSubmatch(res.Body, -1) {
			n := 0
			for _, c := range m[1] {
				n = n*10 + int(c-'0')
			}
			if n < last {
				t.Errorf("a bucket below its predecessor: %s", m[0])
			}
			last = n
		}
	})
}

// TestMetricsRefusesOtherAddresses: an address outside --metrics-allow
// gets 403, directly or through a trusted proxy, and a proxy on an allowed
// address does not open the metrics to the clients it relays.
func TestMetricsRefusesOtherAddresses(t *testing.T) {
	closed := newSite(t, siteOptions{Args: []string{"--metrics-allow", "192.0.2.0/24"}})
	if res := closed.get(t, "/metrics"); res.Status != 403 || strings.Contains(res.Body, "plenary_") {
		t.Errorf("loopback outside --metrics-allow: status %d\n%.300s", res.Status, res.Body)
	}
	none := newSite(t, siteOptions{Args: []string{"--metrics-allow", ""}})
	if res := none.get(t, "/metrics"); res.Status != 403 {
		t.Errorf("an empty --metrics-allow: status %d", res.Status)
	}
	proxied := newSite(t, siteOptions{Args: []string{"--trusted-proxies", "127.0.0.1", "--metrics-allow", "192.0.2.0/24"}})
	for _, c := range []struct {
		forwarded string
		want      int
	}{
		{"203.0.113.9", 403},
		{"192.0.2.7", 200},
		{"", 403}, // the proxy itself, at 127.0.0.1
	} {
		h := http.Header{}
		if c.forwarded != "" {
			h.Set("X-Forwarded-For", c.forwarded)
		}
		if res := proxied.do(t, "GET", "/metrics", nil, h); res.Status != c.want {
			t.Errorf("through the proxy for %q: status %d, want %d", c.forwarded, res.Status, c.want)
		}
	}
	open := newSite(t, siteOptions{})
	if res := open.do(t, "GET", "/metrics", nil, http.Header{"X-Forwarded-For": {"203.0.113.9"}}); res.Status != 200 {
		// No trusted proxy: the header is not believed, the loopback
		// address is what counts.
		t.Errorf("loopback with an unbelieved X-Forwarded-For: status %d", res.Status)
	}
}
