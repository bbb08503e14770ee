package web

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"plenary/internal/auth"
	"plenary/internal/usage"
)

// TestAnalyticsBadPeriodKeepsTheForm: a period that cannot be shown
// answers with the form again, every problem stated at its field, and
// what was typed kept (in a text field, which a date field would empty).
func TestAnalyticsBadPeriodKeepsTheForm(t *testing.T) {
	a := newAccountSite(t, siteOptions{Now: func() time.Time { return time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC) }})
	a.makeStaff(t, "Sam Secretariat", "sam@example.org", auth.Secretariat)
	b := a.signIn(t, "sam@example.org")
	tests := []struct {
		name, query string
		must        []string
		mustNot     []string
	}{
		{name: "a start that is not a date", query: "from=yesterday&to=2026-03-19",
			must: []string{`The start “yesterday” is not a date written YYYY-MM-DD`, `<input type="text" id="from" name="from" value="yesterday" aria-invalid="true" aria-describedby="from-error"`,
				`<input type="date" id="to" name="to" value="2026-03-19">`, `href="#from"`}},
		{name: "both wrong at once", query: "from=2026-13-01&to=19.3.2026",
			must: []string{`The start “2026-13-01” is not a date`, `The end “19.3.2026” is not a date`, `value="2026-13-01"`, `value="19.3.2026"`}},
		{name: "the end before the start", query: "from=2026-03-10&to=2026-03-01",
			must: []string{"The end comes before the start", `<input type="date" id="from" name="from" value="2026-03-10">`, `id="to" name="to" value="2026-03-01" aria-invalid="true"`}},
		{name: "more than three years", query: "from=2020-01-01&to=2026-03-01",
			must: []string{"longer than three years", `value="2020-01-01"`}},
		{name: "what was typed is escaped", query: "from=%3Cb%3Ehi&to=2026-03-01",
			must: []string{`value="&lt;b&gt;hi"`}, mustNot: []string{"<b>hi"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := b.get("/admin/analytics?" + tt.query)
			if res.Status != http.StatusBadRequest {
				t.Errorf("status %d, want 400", res.Status)
			}
			body := html.UnescapeString(strings.ReplaceAll(res.Body, "&#34;", `"`))
			for _, m := range append(tt.must, `<form method="get" action="/admin/analytics"`, `role="alert"`) {
				if !strings.Contains(body, html.UnescapeString(m)) && !strings.Contains(res.Body, m) {
					t.Errorf("page lacks %q\n%.1500s", m, res.Body)
				}
			}
			for _, m := range tt.mustNot {
				if strings.Contains(res.Body, m) {
					t.Errorf("page holds %q", m)
				}
			}
		})
	}
	if res := b.get("/admin/analytics?from=2026-03-01&to=2026-03-19"); res.Status != http.StatusOK || strings.Contains(res.Body, `aria-invalid`) {
		t.Errorf("a good period: status %d, or a field marked invalid", res.Status)
	}
}

// TestAnalyticsChartsHaveScales: the daily chart marks the requests'
// scale on the left and the visitors' own scale on the right, so the
// visitors' line can be read at all; the robots table says what a robot is.
func TestAnalyticsChartsHaveScales(t *testing.T) {
	a := newAccountSite(t, siteOptions{Now: func() time.Time { return time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC) }})
	var lines strings.Builder
	for i := range 40 {
		for range 50 {
			fmt.Fprintf(&lines, "192.0.2.%d - - [10/Mar/2026:09:00:00 +0000] \"GET /drafts HTTP/1.1\" 200 100 \"-\" \"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\"\n", i+1)
		}
	}
	if err := os.WriteFile(filepath.Join(a.LogDir, "access-test-2026-03-10.log"), []byte(lines.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	in := &usage.Ingester{DB: a.DB, Dir: a.LogDir, Instance: "test", MinVisitors: a.Config.AnalyticsMinVisitors}
	if _, err := in.Run(context.Background(), time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	a.makeStaff(t, "Sam Secretariat", "sam@example.org", auth.Secretariat)
	res := a.signIn(t, "sam@example.org").get("/admin/analytics?from=2026-03-09&to=2026-03-11")
	if res.Status != http.StatusOK {
		t.Fatalf("status %d", res.Status)
	}
	for _, want := range []string{
		// 2,000 requests on the left, 40 visitors on the right.
		`text-anchor="end" class="axis">2,000</text>`,
		`text-anchor="start" class="axis" fill="#b35900">40</text>`,
		"Unique visitors (line, scale on the right)",
		// The robots rule is stated where its counts are shown.
		"requests for /healthz, and any client (one address with one agent) that sent more than 20 POST requests to one address in a day",
	} {
		if !strings.Contains(res.Body, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
}
