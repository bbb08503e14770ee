package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"plenary/internal/audit"
	"plenary/internal/auth"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
	"plenary/internal/usage"
)

// TestAnalyticsDashboard is U1 end to end: staff see trends built from
// the ingested aggregates, with charts, and no address, user agent or
// small group ever reaches the page.
func TestAnalyticsDashboard(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, siteOptions{DB: db, Now: func() time.Time { return time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC) }})
		var lines strings.Builder
		for i := range 8 {
			fmt.Fprintf(&lines, "192.0.2.%d - - [10/Mar/2026:09:%02d:00 +0000] \"GET /drafts HTTP/1.1\" 200 100 \"https://search.example/\" \"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\"\n", i+1, i)
		}
		lines.WriteString("203.0.113.50 - - [10/Mar/2026:23:59:00 +0000] \"GET /secret-lonely-page HTTP/1.1\" 200 10 \"-\" \"Lynx/2.9.0 libwww-FM/2.14\"\n")
		if err := os.WriteFile(filepath.Join(s.LogDir, "access-test-2026-03-10.log"), []byte(lines.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		in := &usage.Ingester{DB: db, Dir: s.LogDir, Instance: "test", MinVisitors: s.Config.AnalyticsMinVisitors}
		if _, err := in.Run(context.Background(), time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)); err != nil {
			t.Fatal(err)
		}
		staff := roleHeader(auth.Secretariat)
		scenario{name: "dashboard", path: "/admin/analytics?from=2026-03-01&to=2026-03-19", header: staff, status: 200,
			must:    []string{"Usage trends", "<svg", "Average daily unique visitors", "/drafts", "search.example", "Firefox", "(other)"},
			mustNot: []string{"192.0.2.", "203.0.113.50", "Mozilla/5.0", "secret-lonely-page", "Lynx"}}.run(t, s)
		scenario{name: "empty period", path: "/admin/analytics?from=2025-01-01&to=2025-01-31", header: staff, status: 200,
			must: []string{"No usage has been recorded"}}.run(t, s)
		scenario{name: "bad period", path: "/admin/analytics?from=yesterday", header: staff, status: 400,
			must: []string{"YYYY-MM-DD"}}.run(t, s)
		scenario{name: "participant refused", path: "/admin/analytics", header: roleHeader(auth.Participant), status: 403}.run(t, s)
		scenario{name: "security refused", path: "/admin/analytics", header: roleHeader(auth.Security), status: 403}.run(t, s)
	})
}

// TestLogLookupPage is C3 through the web: security staff only, a reason
// required, every look-up audited, and the address kept out of the URL
// and therefore out of the access log.
func TestLogLookupPage(t *testing.T) {
	s := newSite(t, siteOptions{})
	line := "198.51.100.77 - - [10/Mar/2026:10:00:00 +0000] \"GET /join HTTP/1.1\" 200 5 \"-\" \"spam-bot/1.0\"\n"
	if err := os.WriteFile(filepath.Join(s.LogDir, "access-old-2026-03-10.log"), []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	sec := roleHeader(auth.Security)
	form := func(v url.Values) http.Header {
		h := sec.Clone()
		h.Set("Content-Type", "application/x-www-form-urlencoded")
		return h
	}
	scenario{name: "form", path: "/admin/logs/lookup", header: sec, status: 200, must: []string{"diagnosis", "misuse", "audit log"}}.run(t, s)
	ok := url.Values{"addr": {"198.51.100.77"}, "from": {"2026-03-10T00:00"}, "to": {"2026-03-11T00:00"}, "reason": {"misuse"}, "note": {"ticket 7: join-form spam"}}
	scenario{name: "lookup", method: "POST", path: "/admin/logs/lookup", header: form(ok), body: ok.Encode(), status: 200,
		must: []string{"1 matching lines", "198.51.100.77", "spam-bot/1.0"}}.run(t, s)
	noReason := url.Values{"addr": {"198.51.100.77"}, "from": {"2026-03-10T00:00"}, "to": {"2026-03-11T00:00"}, "note": {"ticket 7: join-form spam"}}
	scenario{name: "no reason", method: "POST", path: "/admin/logs/lookup", header: form(noReason), body: noReason.Encode(), status: 422,
		must: []string{"Choose a reason"}, mustNot: []string{"spam-bot/1.0"}}.run(t, s)
	// Everything wrong at once is said at once, each at its field, with
	// what was typed kept.
	allWrong := url.Values{"addr": {"999.1.1.1"}, "from": {"yesterday"}, "to": {"2026-03-11T00:00"}, "note": {"short"}}
	scenario{name: "every problem", method: "POST", path: "/admin/logs/lookup", header: form(allWrong), body: allWrong.Encode(), status: 422,
		must: []string{`<a href="#addr">&#34;999.1.1.1&#34; is not an IP address or CIDR block.</a>`,
			`<a href="#from">The start of the window is not a date and time`, `<a href="#reason">Choose a reason`, `<a href="#note">Describe the case`,
			`id="addr" name="addr" value="999.1.1.1"`, `aria-describedby="note-hint note-error" aria-invalid="true"`}}.run(t, s)
	for _, role := range []auth.Role{auth.Admin, auth.Secretariat, auth.Finance, auth.Participant} {
		h := roleHeader(role)
		h.Set("Content-Type", "application/x-www-form-urlencoded")
		scenario{name: "refused " + string(role), method: "POST", path: "/admin/logs/lookup", header: h, body: ok.Encode(), status: 403,
			mustNot: []string{"spam-bot/1.0"}}.run(t, s)
	}
	entries, err := s.Audit.List(context.Background(), audit.Filter{Action: "logs."})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Actor != testPersonID || !strings.Contains(entries[0].Detail, "198.51.100.77") {
		t.Errorf("audit entries = %+v, want exactly the one accepted look-up", entries)
	}
	for _, l := range s.logLines(t) {
		if strings.Contains(l, "198.51.100.77") && !strings.Contains(l, "spam-bot/1.0") {
			t.Errorf("the searched address reached the access log: %s", l)
		}
	}
}

// TestAuditLogPage is S3 through the web: security staff and admins read
// the audit log and verify its chain, the reading is itself recorded, a
// tampered entry is reported, and nobody else gets in.
func TestAuditLogPage(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, siteOptions{DB: db})
		ctx := context.Background()
		if err := s.Audit.Record(ctx, db, audit.Entry{Actor: 7, Label: "Sam Secretariat", Role: "secretariat", Action: "people.view", Subject: "person:42", Detail: "opened the record"}); err != nil {
			t.Fatal(err)
		}
		scenario{name: "list", path: "/admin/audit", header: roleHeader(auth.Security), status: 200,
			must: []string{"Audit log", "people.view", "person:42", "Sam Secretariat"}}.run(t, s)
		scenario{name: "filter", path: "/admin/audit?action=logs.", header: roleHeader(auth.Admin), status: 200,
			mustNot: []string{"person:42"}}.run(t, s)
		post := roleHeader(auth.Security)
		post.Set("Content-Type", "application/x-www-form-urlencoded")
		scenario{name: "verify", method: "POST", path: "/admin/audit/verify", header: post, status: 200,
			must: []string{"The chain is intact"}}.run(t, s)
		entries, err := s.Audit.List(ctx, audit.Filter{Action: "audit."})
		if err != nil || len(entries) != 3 {
			t.Errorf("reading the audit log was not recorded: %+v %v", entries, err)
		}
		if _, err := db.Exec(ctx, "UPDATE audit_log SET detail = 'nothing' WHERE subject = 'person:42'"); err != nil {
			t.Fatal(err)
		}
		scenario{name: "tampered", method: "POST", path: "/admin/audit/verify", header: post, status: 200,
			must: []string{"The chain is broken", "altered"}}.run(t, s)
		for _, role := range []auth.Role{auth.Secretariat, auth.Finance, auth.Participant} {
			scenario{name: "refused " + string(role), path: "/admin/audit", header: roleHeader(role), status: 403,
				mustNot: []string{"person:42"}}.run(t, s)
		}
	})
}

// TestRefusalPageKnowsWhoIsSignedIn: a signed-in person refused a staff
// page sees the page as themself, with their own name in the navigation,
// not an invitation to sign in.
func TestRefusalPageKnowsWhoIsSignedIn(t *testing.T) {
	s := newSite(t, siteOptions{})
	scenario{name: "refused", path: "/admin/audit", header: roleHeader(auth.Participant), status: 403,
		must: []string{"does not have access", testPersonName}}.run(t, s)
}
