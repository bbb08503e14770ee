package web

import (
	"html"
	"net/http"
	"strings"
	"testing"
	"time"

	"plenary/internal/auth"
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
