package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"plenary/internal/auth"
	"plenary/internal/people"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestFormsReportEveryProblemAndKeepWhatWasTyped: each form answers all
// its problems at once, each next to its field, and keeps what was typed
// and ticked (never a password; nothing at all without the age box).
func TestFormsReportEveryProblemAndKeepWhatWasTyped(t *testing.T) {
	a := newAccountSite(t, siteOptions{})
	pid := a.signUp(t, "Ada Lovelace", "ada@example.org")
	a.makeStaff(t, "Sam Secretariat", "sam@example.org", auth.Secretariat)
	ada := a.signIn(t, "ada@example.org")
	sam := a.signIn(t, "sam@example.org")
	person := fmt.Sprintf("/admin/people/%d", pid)
	tests := []struct {
		name   string
		b      *browser
		path   string
		form   url.Values
		status int
		want   []string // every message, and the kept values
		absent []string
	}{
		{"empty sign-up", a.browser(t), "/signup", url.Values{}, 400, []string{
			"The name is required.", "The e-mail address is required.", "A password is required", "13 or older", "agree to the privacy statement",
			`href="#name"`, `href="#email"`, `href="#password"`, `href="#age_ok"`, `href="#consent"`,
		}, nil},
		{"sign-up keeps what was typed and ticked", a.browser(t), "/signup", url.Values{"name": {"Grace Hopper"}, "email": {"grace at example.org"}, "password": {"          "}, "age_ok": {"1"}}, 400, []string{
			"does not look like an e-mail address", "mostly spaces", "agree to the privacy statement", "Nothing was saved",
			`value="Grace Hopper"`, `value="grace at example.org"`, `name="age_ok" value="1" checked`,
		}, []string{"13 or older to create", `name="consent" value="1" checked`}},
		{"sign-up without the age box keeps nothing", a.browser(t), "/signup", url.Values{"name": {"Tim Tiny"}, "email": {"tim@kids.example"}, "password": {"Qz9!x"}, "consent": {"1"}}, 400, []string{
			"13 or older", "Nothing you typed has been kept", "too short", `name="consent" value="1" checked`,
		}, []string{"Tim Tiny", "tim@kids.example", `name="age_ok" value="1" checked`}},
		{"account details", ada, "/account", url.Values{"name": {""}, "affiliation": {strings.Repeat("x", 301)}, "postal_address": {"1 Square\nLondon"}}, 400, []string{
			"The name is required.", "The affiliation is too long", "Nothing was changed", "1 Square\nLondon",
		}, nil},
		{"account address", ada, "/account/emails", url.Values{"email": {"ada at work"}}, 400, []string{
			"does not look like an e-mail address", `value="ada at work"`,
		}, nil},
		{"staff correction", sam, person, url.Values{"name": {"Ada\x1b[31m"}, "affiliation": {"Engines Ltd"}}, 400, []string{
			"control characters", "Say which request", `value="Engines Ltd"`,
		}, nil},
		{"staff address", sam, person + "/emails", url.Values{"email": {"nope"}, "origin": {"registration"}}, 400, []string{
			"does not look like an e-mail address", "Say which request", `value="nope"`, `<option value="registration" selected>`,
		}, nil},
		{"staff address kept request", sam, person + "/emails", url.Values{"email": {"nope"}, "origin": {"staff"}, "reason": {"asked on 3 May"}}, 400, []string{
			"does not look like an e-mail address", `value="asked on 3 May"`,
		}, []string{"Say which request"}},
		{"reset", a.browser(t), "/reset", url.Values{"email": {"ada at example"}}, 400, []string{
			"does not look like an e-mail address", `value="ada at example"`,
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := tt.b.post(tt.path, tt.form)
			if res.Status != tt.status {
				t.Errorf("status %d, want %d: %.500s", res.Status, tt.status, res.Body)
			}
			for _, w := range tt.want {
				if !strings.Contains(res.Body, w) && !strings.Contains(res.Body, htmlEscape(w)) {
					t.Errorf("the page lacks %q", w)
				}
			}
			for _, w := range tt.absent {
				if strings.Contains(res.Body, w) {
					t.Errorf("the page shows %q", w)
				}
			}
			if pw := tt.form.Get("password"); strings.TrimSpace(pw) != "" && strings.Contains(res.Body, pw) {
				t.Error("the page shows the password")
			}
		})
	}
	if n := count(t, a.DB, "SELECT COUNT(*) FROM people"); n != 2 {
		t.Errorf("%d people after bad forms, want 2", n)
	}
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}

// TestBlankishPasswordsAreRefused: spaces and invisible characters do not
// count towards a password's length, at sign-up and at reset.
func TestBlankishPasswordsAreRefused(t *testing.T) {
	a := newAccountSite(t, siteOptions{})
	a.signUp(t, "Ada", "ada@example.org")
	for _, pw := range []string{"          ", "\t\t\t\t\t\t\t\t\t\t\t", "a         ", "\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200bab"} {
		res := a.browser(t).post("/signup", url.Values{"name": {"Bob"}, "email": {"bob@example.org"}, "password": {pw}, "age_ok": {"1"}, "consent": {"1"}})
		if res.Status != 400 || !strings.Contains(res.Body, "not spaces") {
			t.Errorf("sign-up with %q: %d", pw, res.Status)
		}
		b := a.browser(t)
		b.post("/reset", url.Values{"email": {"ada@example.org"}})
		tok := a.mailedToken(t, "ada@example.org", "reset")
		if res := b.post("/reset/"+tok, url.Values{"password": {pw}}); res.Status != 400 || !strings.Contains(res.Body, "not spaces") {
			t.Errorf("reset to %q: %d", pw, res.Status)
		}
	}
	if n := count(t, a.DB, "SELECT COUNT(*) FROM people"); n != 1 {
		t.Errorf("%d people", n)
	}
}

// TestSignUpDisclosureIsScannable: the sign-up page says what it collects,
// why, who sees it, where it is processed and where to read more, in a few
// lines before the first field; each item's detail is one click away in a
// details element that works without JavaScript.
func TestSignUpDisclosureIsScannable(t *testing.T) {
	s := newSite(t, siteOptions{Args: []string{"--org-country", "Norway"}})
	page := s.get(t, "/signup").Body
	main := page[strings.Index(page, "<main"):]
	before := main[:strings.Index(main, "<input")]
	full := regexp.MustCompile(`(?s)<details class="more">.*?</details>`)
	if !full.MatchString(before) {
		t.Fatal("the full detail is not in a details element before the form")
	}
	summary := full.ReplaceAllString(before, "")
	visible := regexp.MustCompile(`(?s)<[^>]*>`).ReplaceAllString(summary, "")
	for _, want := range []string{"We keep", "to run your account", "Who sees it", "in Norway", "privacy statement"} {
		if !strings.Contains(visible, want) {
			t.Errorf("the summary lacks %q: %s", want, visible)
		}
	}
	if n := len(strings.Fields(visible)); n > 130 {
		t.Errorf("%d words stand before the first field, want at most 130: %s", n, visible)
	}
	detail := full.FindString(before)
	for _, want := range []string{"<summary>", "Seen by", "Kept"} {
		if !strings.Contains(detail, want) {
			t.Errorf("the detail lacks %q", want)
		}
	}
}

// TestAddingAnotherAccountsAddressAnswersAsAnyOther is issue 8, item 3: a
// signed-in person adding an address that belongs to another account gets
// the same answer as for a free one, and the owner is told; when the limit
// on mail answers 429, nothing of the refused addition is saved.
func TestAddingAnotherAccountsAddressAnswersAsAnyOther(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		a := newAccountSite(t, siteOptions{DB: db, Now: quarterHourClock()})
		ctx := context.Background()
		pid := a.signUp(t, "Eve", "eve@example.org")
		a.signUp(t, "Bob", "bob@example.org")
		eve := a.signIn(t, "eve@example.org")
		taken := eve.post("/account/emails", url.Values{"email": {"bob@example.org"}})
		free := eve.post("/account/emails", url.Values{"email": {"eve2@example.org"}})
		if taken.Status != free.Status || taken.Header.Get("Location") != free.Header.Get("Location") || taken.Body != free.Body {
			t.Errorf("taken: %d %q; free: %d %q", taken.Status, taken.Header.Get("Location"), free.Status, free.Header.Get("Location"))
		}
		after := eve.get(free.Header.Get("Location")).Body
		for _, addr := range []string{"bob@example.org", "eve2@example.org"} {
			if strings.Contains(after, addr) {
				t.Errorf("the account page shows %s before it is confirmed", addr)
			}
		}
		a.waitForMail()
		if m, _ := a.outbox.Last("bob@example.org"); !strings.Contains(m.Body, "already belongs to your account") || linkPattern.MatchString(m.Body) {
			t.Errorf("the owner was mailed %q", m.Body)
		}
		if m, _ := a.outbox.Last("eve2@example.org"); !strings.Contains(m.Body, "/verify/") {
			t.Errorf("the free address was mailed %q", m.Body)
		}
		if p, _, _ := people.FindByEmail(ctx, db, "bob@example.org"); p.ID == pid {
			t.Error("the other account's address moved")
		}
		// Up to the limit (five mails a quarter hour, two used), then 429,
		// and the refused address is not stored.
		var last response
		for i := 0; i < 4; i++ {
			last = eve.post("/account/emails", url.Values{"email": {fmt.Sprintf("eve-extra%d@example.org", i)}})
		}
		if last.Status != http.StatusTooManyRequests {
			t.Fatalf("after the limit: %d", last.Status)
		}
		if _, _, err := people.FindByEmail(ctx, db, "eve-extra3@example.org"); err == nil {
			t.Error("the address refused with 429 was saved")
		}
		if _, _, err := people.FindByEmail(ctx, db, "eve-extra2@example.org"); err != nil {
			t.Errorf("the last address within the limit was not saved: %v", err)
		}
	})
}

// TestStaffPagesKeepPersonalDataOutOfTheAccessLog is C2 for the staff
// pages (issue 8, item 6): searching by name and by address, browsing,
// opening and correcting a record, with the Referer a browser would send,
// leave no name or address in the access log; the list marks accounts
// that were never confirmed.
func TestStaffPagesKeepPersonalDataOutOfTheAccessLog(t *testing.T) {
	a := newAccountSite(t, siteOptions{})
	pid := a.signUp(t, "Zelda Quintessa", "zelda.q@example.org")
	a.browser(t).post("/signup", url.Values{"name": {"Ulrich Unconfirmed"}, "email": {"ulrich.u@example.org"}, "password": {testPassword}, "age_ok": {"1"}, "consent": {"1"}})
	a.makeStaff(t, "Sam Secretariat", "sam@example.org", auth.Secretariat)
	sam := a.signIn(t, "sam@example.org")
	person := fmt.Sprintf("/admin/people/%d", pid)
	from := func(page string) {
		sam.header.Set("Referer", a.URL+page)
	}
	steps := []struct {
		method, path, referer string
		form                  url.Values
		status                int
		want                  string
	}{
		{"GET", "/admin/people", "/account", nil, 200, `<form method="post" action="/admin/people" role="search"`},
		{"POST", "/admin/people", "/admin/people", url.Values{"q": {"Quintessa"}}, 200, person},
		{"POST", "/admin/people", "/admin/people", url.Values{"q": {"zelda.q@example.org"}}, 200, person},
		{"POST", "/admin/people", "/admin/people", url.Values{"q": {"\x00"}}, 400, ""},
		{"GET", person, "/admin/people", nil, 200, "zelda.q@example.org"},
		{"POST", person, person, url.Values{"name": {"Zelda Quintessa-Ray"}, "reason": {"asked by mail"}}, 303, ""},
		{"POST", person + "/emails", person, url.Values{"email": {"zq.work@example.org"}, "origin": {"registration"}, "reason": {"asked by mail"}}, 303, ""},
		{"GET", person + "?done=saved", person, nil, 200, "Zelda Quintessa-Ray"},
		{"GET", "/admin/people?page=2", "/admin/people", nil, 200, "Page 2"},
	}
	for _, st := range steps {
		from(st.referer)
		var res response
		if st.method == "GET" {
			res = sam.get(st.path)
		} else {
			res = sam.post(st.path, st.form)
		}
		if res.Status != st.status || !strings.Contains(res.Body, st.want) {
			t.Errorf("%s %s: %d, want %d with %q", st.method, st.path, res.Status, st.status, st.want)
		}
	}
	list := sam.get("/admin/people").Body
	if i, j := strings.Index(list, "Ulrich Unconfirmed"), strings.Index(list, "Zelda Quintessa"); i < 0 || j < 0 || i > j {
		t.Error("the list is not newest first")
	}
	row := list[strings.Index(list, "Ulrich Unconfirmed"):]
	if !strings.Contains(row[:strings.Index(row, "</tr>")], "not confirmed") {
		t.Error("the unconfirmed account is not marked")
	}
	lines := a.waitForLines(t, len(steps)+8)
	all := strings.Join(lines, "\n")
	for _, term := range []string{"Zelda", "Quintessa", "zelda", "Ulrich", "Unconfirmed", "zq.work", "example.org", "%40", "q="} {
		if strings.Contains(all, term) {
			t.Errorf("the access log holds %q", term)
		}
	}
	if !strings.Contains(all, `"POST /admin/people HTTP/1.1" 200`) {
		t.Errorf("the search is not in the log at all:\n%s", all)
	}
}

// TestBadBytesAreRefusedAlikeOnBothEngines is issue 8, item 9: a NUL byte
// or invalid UTF-8 in a form field, a query or a path is refused with 400
// before any handler runs, on SQLite as on PostgreSQL (where it used to be
// a 500), and nothing is stored.
func TestBadBytesAreRefusedAlikeOnBothEngines(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		a := newAccountSite(t, siteOptions{DB: db})
		a.makeStaff(t, "Alex Admin", "alex@example.org", auth.Admin, auth.Security)
		adm := a.signIn(t, "alex@example.org")
		anon := a.browser(t)
		tests := []struct {
			name string
			b    *browser
			do   func(b *browser) response
		}{
			{"NUL in sign-in address", anon, func(b *browser) response {
				return b.do("POST", "/login", strings.NewReader("email=a%00b@ex.org&password=whatever+it+is"), "application/x-www-form-urlencoded")
			}},
			{"NUL in sign-up name", anon, func(b *browser) response {
				return b.do("POST", "/signup", strings.NewReader("name=A%00da&email=ada@ex.org&password=a+long+enough+passphrase&age_ok=1&consent=1"), "application/x-www-form-urlencoded")
			}},
			{"invalid UTF-8 in reset address", anon, func(b *browser) response {
				return b.do("POST", "/reset", strings.NewReader("email=ada%ff@ex.org"), "application/x-www-form-urlencoded")
			}},
			{"NUL in a field name", anon, func(b *browser) response {
				return b.do("POST", "/login", strings.NewReader("em%00ail=x&password=y"), "application/x-www-form-urlencoded")
			}},
			{"NUL in audit query", adm, func(b *browser) response { return b.get("/admin/audit?action=a%00") }},
			{"invalid UTF-8 in audit query", adm, func(b *browser) response { return b.get("/admin/audit?action=%ff") }},
			{"NUL in a path", anon, func(b *browser) response { return b.get("/privacy/versions/1%00") }},
			{"NUL in staff search", adm, func(b *browser) response {
				return b.do("POST", "/admin/people", strings.NewReader("q=a%00"), "application/x-www-form-urlencoded")
			}},
		}
		before := rowCounts(t, db)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res := tt.do(tt.b)
				if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, "not valid text") {
					t.Errorf("%d %.300s", res.Status, res.Body)
				}
			})
		}
		after := rowCounts(t, db)
		for tb, n := range after {
			if before[tb] != n {
				t.Errorf("table %s went from %d to %d rows", tb, before[tb], n)
			}
		}
		// Clean input still works on the same routes.
		if res := adm.get("/admin/audit?action=people."); res.Status != 200 {
			t.Errorf("a clean audit query: %d", res.Status)
		}
	})
}

// TestAddingAnAddressDoesNotWaitForMail: the answer to adding an address
// comes before any mail is sent, for a free address as for another
// account's, so its timing does not tell them apart.
func TestAddingAnAddressDoesNotWaitForMail(t *testing.T) {
	held := &heldSender{release: make(chan struct{})}
	a := newAccountSite(t, siteOptions{Routes: func(s *Server) { s.Mail = held }})
	a.makeStaff(t, "Eve", "eve@example.org")
	a.makeStaff(t, "Bob", "bob@example.org")
	eve := a.signIn(t, "eve@example.org")
	eve.client.Timeout = 5 * time.Second
	for _, addr := range []string{"bob@example.org", "eve2@example.org"} {
		if res := eve.post("/account/emails", url.Values{"email": {addr}}); res.Status != http.StatusSeeOther {
			t.Errorf("%s: %d", addr, res.Status)
		}
	}
	close(held.release)
	a.waitForMail()
	for _, addr := range []string{"bob@example.org", "eve2@example.org"} {
		if _, ok := held.outbox.Last(addr); !ok {
			t.Errorf("nothing was mailed to %s", addr)
		}
	}
}
