package web

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/netip"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"plenary/internal/accesslog"
	"plenary/internal/jobs"
	"plenary/internal/retention"
)

// /metrics (issue 14): what an operator's Prometheus scrapes, written in
// the text exposition format by hand. It holds counts and durations by
// route pattern ("GET /lists/{name}/archive/{id}", never the path asked
// for), status class, job kind and retention job: no address, no person,
// no path value, no search term. Only the addresses of --metrics-allow
// (default loopback) may read it; the client address is the one the
// access log records, so a request relayed by a trusted proxy is judged
// by the address the proxy received it from, not by the proxy's own.

// latencyBounds are the histogram's upper bounds in seconds.
var latencyBounds = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}

type metrics struct {
	inFlight atomic.Int64
	mu       sync.Mutex
	routes   map[string]*routeStats
}

type routeStats struct {
	classes [6]uint64 // by status / 100; 0 for anything outside 1xx–5xx
	buckets []uint64  // per latencyBounds, not cumulative
	count   uint64
	sum     float64
}

// routeNote travels in the request's context from the metrics middleware
// to Server.handle, which writes the matched pattern into it.
type routeNote struct{ pattern string }

type routeNoteKey struct{}

func noteRoute(r *http.Request, pattern string) {
	if n, ok := r.Context().Value(routeNoteKey{}).(*routeNote); ok {
		n.pattern = pattern
	}
}

// observe counts every request by the route that answered it; a request
// refused before reaching a route (a cross-site form, an oversized body)
// counts under "(refused)".
func (m *metrics) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		m.inFlight.Add(1)
		note := &routeNote{}
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			m.inFlight.Add(-1)
			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			pattern := note.pattern
			if pattern == "" {
				pattern = "(refused)"
			}
			m.add(pattern, status, time.Since(start))
		}()
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), routeNoteKey{}, note)))
	})
}

func (m *metrics) add(pattern string, status int, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.routes == nil {
		m.routes = map[string]*routeStats{}
	}
	st := m.routes[pattern]
	if st == nil {
		st = &routeStats{buckets: make([]uint64, len(latencyBounds))}
		m.routes[pattern] = st
	}
	class := status / 100
	if class < 1 || class > 5 {
		class = 0
	}
	st.classes[class]++
	sec := d.Seconds()
	if i, _ := slices.BinarySearch(latencyBounds, sec); i < len(latencyBounds) {
		st.buckets[i]++
	}
	st.count++
	st.sum += sec
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// metricsAllowed reports whether the client may read /metrics.
func (s *Server) metricsAllowed(r *http.Request) bool {
	a, err := netip.ParseAddr(accesslog.ClientIP(r, s.Config.TrustedProxies))
	if err != nil {
		return false
	}
	a = a.Unmap().WithZone("")
	for _, p := range s.Config.MetricsAllow {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func (s *Server) metricsPage(w http.ResponseWriter, r *http.Request) error {
	if !s.metricsAllowed(r) {
		return &Error{Status: http.StatusForbidden, Message: "The metrics are not open to your address (see --metrics-allow)."}
	}
	var b strings.Builder
	s.writeMetrics(r.Context(), &b)
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, err := w.Write([]byte(b.String()))
	return err
}

// writeMetrics writes every metric; a figure that cannot be read (the
// database is down) is left out and plenary_up says so.
func (s *Server) writeMetrics(ctx context.Context, b *strings.Builder) {
	help := func(name, typ, text string) {
		fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, typ)
	}
	help("plenary_build_info", "gauge", "The running version and instance name.")
	fmt.Fprintf(b, "plenary_build_info{version=%s,instance=%s} 1\n", quoteLabel(s.Version), quoteLabel(s.Config.Instance))

	m := s.metrics
	m.mu.Lock()
	patterns := slices.Sorted(func(yield func(string) bool) {
		for p := range m.routes {
			if !yield(p) {
				return
			}
		}
	})
	help("plenary_http_requests_total", "counter", "Requests answered, by route pattern and status class.")
	for _, p := range patterns {
		st := m.routes[p]
		for class, n := range st.classes {
			if n == 0 {
				continue
			}
			code := "other"
			if class > 0 {
				code = strconv.Itoa(class) + "xx"
			}
			fmt.Fprintf(b, "plenary_http_requests_total{route=%s,code=%q} %d\n", quoteLabel(p), code, n)
		}
	}
	help("plenary_http_request_duration_seconds", "histogram", "Time from a request's arrival to its handler's return, by route pattern.")
	for _, p := range patterns {
		st := m.routes[p]
		var cum uint64
		for i, le := range latencyBounds {
			cum += st.buckets[i]
			fmt.Fprintf(b, "plenary_http_request_duration_seconds_bucket{route=%s,le=%q} %d\n", quoteLabel(p), formatFloat(le), cum)
		}
		fmt.Fprintf(b, "plenary_http_request_duration_seconds_bucket{route=%s,le=\"+Inf\"} %d\n", quoteLabel(p), st.count)
		fmt.Fprintf(b, "plenary_http_request_duration_seconds_sum{route=%s} %s\n", quoteLabel(p), formatFloat(st.sum))
		fmt.Fprintf(b, "plenary_http_request_duration_seconds_count{route=%s} %d\n", quoteLabel(p), st.count)
	}
	m.mu.Unlock()
	help("plenary_http_requests_in_flight", "gauge", "Requests being answered now.")
	fmt.Fprintf(b, "plenary_http_requests_in_flight %d\n", m.inFlight.Load())

	up := 1
	if depth, err := jobs.QueueDepth(ctx, s.DB, s.Now()); err != nil {
		s.Log.Error("metrics: job queue", "err", err)
		up = 0
	} else {
		help("plenary_jobs_queued", "gauge", "Unfinished background jobs, by kind: due now, or scheduled for later (or backing off).")
		for _, d := range depth {
			fmt.Fprintf(b, "plenary_jobs_queued{kind=%s,state=\"due\"} %d\n", quoteLabel(d.Kind), d.Due)
			fmt.Fprintf(b, "plenary_jobs_queued{kind=%s,state=\"scheduled\"} %d\n", quoteLabel(d.Kind), d.Scheduled)
		}
	}
	help("plenary_up", "gauge", "1 when this instance could read its database for these metrics.")
	fmt.Fprintf(b, "plenary_up %d\n", up)

	sweeps := retention.Sweeps()
	jobsNames := slices.Sorted(func(yield func(string) bool) {
		for j := range sweeps {
			if !yield(j) {
				return
			}
		}
	})
	help("plenary_retention_last_removed", "gauge", "Rows or files the last retention sweep of this instance removed, by job.")
	for _, j := range jobsNames {
		fmt.Fprintf(b, "plenary_retention_last_removed{job=%s} %d\n", quoteLabel(j), sweeps[j].Removed)
	}
	help("plenary_retention_removed_total", "counter", "Rows or files removed by this instance's retention sweeps since it started, by job.")
	for _, j := range jobsNames {
		fmt.Fprintf(b, "plenary_retention_removed_total{job=%s} %d\n", quoteLabel(j), sweeps[j].Total)
	}
	help("plenary_retention_failures_total", "counter", "Failed retention sweeps of this instance since it started, by job.")
	for _, j := range jobsNames {
		fmt.Fprintf(b, "plenary_retention_failures_total{job=%s} %d\n", quoteLabel(j), sweeps[j].Fails)
	}
	help("plenary_retention_last_sweep_timestamp_seconds", "gauge", "When this instance last ran each retention job (Unix time).")
	for _, j := range jobsNames {
		fmt.Fprintf(b, "plenary_retention_last_sweep_timestamp_seconds{job=%s} %d\n", quoteLabel(j), sweeps[j].At.Unix())
	}

	if s.pages != nil {
		entries, size := s.pages.stats()
		help("plenary_page_cache_entries", "gauge", "Pages held by the page cache.")
		fmt.Fprintf(b, "plenary_page_cache_entries %d\n", entries)
		help("plenary_page_cache_bytes", "gauge", "Bytes held by the page cache, compressed forms included.")
		fmt.Fprintf(b, "plenary_page_cache_bytes %d\n", size)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	help("plenary_go_goroutines", "gauge", "Goroutines of this process.")
	fmt.Fprintf(b, "plenary_go_goroutines %d\n", runtime.NumGoroutine())
	help("plenary_go_heap_bytes", "gauge", "Bytes of allocated heap objects.")
	fmt.Fprintf(b, "plenary_go_heap_bytes %d\n", ms.HeapAlloc)
}

// quoteLabel quotes a label value as the text format wants: backslash,
// double quote and newline escaped.
func quoteLabel(v string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(v) + `"`
}

func formatFloat(f float64) string {
	if math.IsInf(f, 1) {
		return "+Inf"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}
