package web

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// BenchmarkResetAnswerKnownVsUnknown times the answer to the password-reset
// form for an address with an account (its link is stored sealed in the
// outbox, in the link's transaction, and delivered after the answer) and
// for one without, alternately in one run, and reports the ratio: the form
// must not tell them apart by its time. Rate-limit counters are cleared
// between requests, outside the timing. On PostgreSQL too when
// PLENARY_TEST_POSTGRES is set:
//
//	go test ./internal/web -run '^$' -bench ResetAnswerKnownVsUnknown -benchtime 200x
func BenchmarkResetAnswerKnownVsUnknown(b *testing.B) {
	for _, e := range []struct {
		name string
		open func(testing.TB) *store.DB
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}} {
		name, open := e.name, e.open
		b.Run(name, func(b *testing.B) {
			db := open(b)
			a := newAccountSite(b, siteOptions{DB: db})
			a.makeStaff(b, "Wren Resetter", "wren.resetter@example.net")
			br := a.browser(b)
			ctx := context.Background()
			var known, unknown time.Duration
			post := func(addr string) time.Duration {
				if _, err := db.Exec(ctx, "DELETE FROM rate_limits"); err != nil {
					b.Fatal(err)
				}
				start := time.Now()
				res := br.post("/reset", url.Values{"email": {addr}})
				d := time.Since(start)
				if res.Status != 200 || !strings.Contains(res.Body, "Check your mail") {
					b.Fatalf("reset for %s: %d", addr, res.Status)
				}
				return d
			}
			b.ResetTimer()
			for range b.N {
				known += post("wren.resetter@example.net")
				unknown += post("nobody.here@example.net")
				a.waitForMail()
			}
			b.ReportMetric(float64(known.Microseconds())/float64(b.N), "known-µs/op")
			b.ReportMetric(float64(unknown.Microseconds())/float64(b.N), "unknown-µs/op")
			b.ReportMetric(float64(known)/float64(unknown), "known/unknown")
		})
	}
}
