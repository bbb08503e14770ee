package web

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"plenary/internal/auth"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestEveryPOSTRouteRefusesCrossSiteForms sends every POST route a form
// a browser sent from another site — told by Sec-Fetch-Site, or by an
// Origin naming another host — as a caller with every role. Each answer is
// 403 with the page that says so, and no table changes (K3, S1). Oversized
// and malformed bodies are TestEveryPOSTRouteRefusesBadForms's.
func TestEveryPOSTRouteRefusesCrossSiteForms(t *testing.T) {
	s := newSite(t, siteOptions{})
	forged := map[string]http.Header{
		"Sec-Fetch-Site cross-site": {"Sec-Fetch-Site": {"cross-site"}},
		"Sec-Fetch-Site same-site":  {"Sec-Fetch-Site": {"same-site"}},
		"Origin of another site":    {"Origin": {"https://evil.example"}},
		"Origin null":               {"Origin": {"null"}},
	}
	posts := 0
	for _, route := range s.Server.Routes() {
		method, path := concretePath(route.Pattern)
		if method != "POST" {
			continue
		}
		posts++
		for name, h := range forged {
			t.Run(route.Pattern+"/"+name, func(t *testing.T) {
				before := rowCounts(t, s.DB)
				header := roleHeader(auth.AllRoles...)
				for k, v := range h {
					header[k] = v
				}
				header.Set("Content-Type", "application/x-www-form-urlencoded")
				res := s.do(t, method, path, strings.NewReader("name=Mallory&email=mallory%40example.org&message=hi&subject=x&body=y"), header)
				if res.Status != http.StatusForbidden || !strings.Contains(res.Body, "This form was sent from another site, so it was refused.") {
					t.Errorf("status %d, want 403 with the refusal; body %.200s", res.Status, res.Body)
				}
				for tb, n := range rowCounts(t, s.DB) {
					if before[tb] != n {
						t.Errorf("table %s went from %d to %d rows", tb, before[tb], n)
					}
				}
			})
		}
	}
	// A literal floor, so that a registry that lost its routes cannot pass.
	if posts < 40 {
		t.Errorf("only %d POST routes were tried", posts)
	}
}

// TestDownloadsRefusePathTraversal asks every route that serves a file or
// a file-like download for paths that climb out of where it reads: the
// answer is a refusal, and never the content of a file of the repository
// or the system.
func TestDownloadsRefusePathTraversal(t *testing.T) {
	s := newSite(t, siteOptions{})
	leaks := []string{"module plenary", "package web", "root:x:0:0", "[core]", "PRIVATE KEY"}
	for _, tc := range []struct {
		path string
		want []int // statuses that are refusals here
	}{
		{"/static/0000/..%2f..%2f..%2fgo.mod", []int{404}},
		{"/static/0000/..%2frender.go", []int{404}},
		{"/static/0000/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd", []int{404}},
		{"/static/..%2f..%2f/style.css", []int{302, 404}},
		{"/static/0000/style.css%00.go", []int{400, 404}},
		{"/static/0000/....//....//go.mod", []int{301, 307, 404}},
		{"/drafts/..%2f..%2f..%2fgo.mod", []int{404}},
		{"/drafts/draft-x/..%2f..%2fgo.mod", []int{400, 404}},
		{"/drafts/%2e%2e/%2e%2e", []int{400, 404}},
		{"/drafts/draft-x/00.txt%2f..%2f..%2fgo.mod", []int{400, 404}},
		{"/lists/..%2f..%2fetc/archive.mbox", []int{404}},
		{"/lists/%2e%2e/archive.mbox", []int{404}},
		{"/lists/..%2f..%2f.git%2fconfig/atom.xml", []int{404}},
		{"/lists/x/archive/..%2f..%2f..%2fgo.mod", []int{400, 404}},
	} {
		t.Run(tc.path, func(t *testing.T) {
			res := s.do(t, "GET", tc.path, nil, nil)
			ok := false
			for _, w := range tc.want {
				ok = ok || res.Status == w
			}
			if !ok {
				t.Errorf("status %d, want one of %v", res.Status, tc.want)
			}
			if loc := res.Header.Get("Location"); loc != "" && (strings.Contains(loc, "/../") || strings.Contains(strings.ToLower(loc), "%2e%2e") || strings.Contains(strings.ToLower(loc), "%2f")) {
				t.Errorf("redirected to %q", loc)
			}
			for _, l := range leaks {
				if strings.Contains(res.Body, l) {
					t.Errorf("the answer holds %q", l)
				}
			}
		})
	}
}

// TestInjectionInFormFieldsIsStoredVerbatimAndShownEscaped types HTML and
// SQL into every text field of the contact form and the sign-up form, on
// both engines: the submission is taken (no SQL error, no 500), stored
// exactly as typed, and every page that shows it back — the staff inbox
// and the participant's own account — shows it as text, never as markup.
func TestInjectionInFormFieldsIsStoredVerbatimAndShownEscaped(t *testing.T) {
	hostile := []string{
		`<script>alert("x")</script>`,
		`"><img src=x onerror=alert(1)>`,
		`Robert'); DROP TABLE people;--`,
		`' OR '1'='1`,
		`1; SELECT pg_sleep(5) --`,
		`{{.Config}} ${7*7} %s%n`,
	}
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		// Each submission from its own client, so the per-client limit
		// of the contact form does not answer for the test.
		s, _ := inquirySite(t, db, "--trusted-proxies", "127.0.0.1")
		for i, h := range hostile {
			name, msg := "Ann "+h, "Message "+h
			res := postContact(t, s, goodInquiry(name, "ann"+itoa(int64(i))+"@example.org", "general", msg),
				http.Header{"X-Forwarded-For": {"192.0.2." + itoa(int64(i+1))}})
			if res.Status >= 400 {
				t.Fatalf("%q: the contact form answered %d: %.300s", h, res.Status, res.Body)
			}
			var id int64
			var gotName, gotMsg string
			if err := db.QueryRow(ctx, "SELECT id, name, message FROM inquiries WHERE email = ?", "ann"+itoa(int64(i))+"@example.org").Scan(&id, &gotName, &gotMsg); err != nil {
				t.Fatalf("%q: the inquiry was not stored: %v", h, err)
			}
			if gotName != name || gotMsg != msg {
				t.Errorf("stored %q / %q, typed %q / %q", gotName, gotMsg, name, msg)
			}
			page := s.do(t, "GET", "/admin/inquiries/"+itoa(id), nil, roleHeader(auth.Secretariat))
			if page.Status != 200 {
				t.Fatalf("inbox page: %d", page.Status)
			}
			if strings.Contains(page.Body, h) && strings.ContainsAny(h, `<>"'`) {
				t.Errorf("the inbox shows %q unescaped", h)
			}
			if !strings.Contains(page.Body, htmlEscape(msg)) {
				t.Errorf("the inbox does not show the message %q as text", msg)
			}
		}
		var people int
		if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM people").Scan(&people); err != nil {
			t.Fatalf("the people table is gone: %v", err)
		}
	})
	a := newAccountSite(t, siteOptions{})
	for i, h := range hostile[:3] {
		addr := "inj" + itoa(int64(i)) + "@example.org"
		a.signUp(t, "Zed "+h, addr)
		b := a.signIn(t, addr)
		page := b.get("/account")
		if page.Status != 200 {
			t.Fatalf("/account: %d", page.Status)
		}
		if strings.Contains(page.Body, h) {
			t.Errorf("/account shows %q unescaped", h)
		}
		if !strings.Contains(page.Body, htmlEscape("Zed "+h)) {
			t.Errorf("/account does not show the name %q as text", "Zed "+h)
		}
		var stored string
		if err := a.DB.QueryRow(context.Background(), "SELECT p.name FROM people p JOIN person_emails e ON e.person_id = p.id WHERE e.address = ?", addr).Scan(&stored); err != nil || stored != "Zed "+h {
			t.Errorf("stored name %q (%v), typed %q", stored, err, "Zed "+h)
		}
	}
}

// TestOtherParticipantsIDsAreRefused: a signed-in participant who puts
// another participant's ids into the account routes — an address to
// remove, make primary or confirm again, a list subscription to end — is
// answered 404, as for an id that does not exist, and nothing of the other
// participant's changes (S1).
func TestOtherParticipantsIDsAreRefused(t *testing.T) {
	a := newAccountSite(t, siteOptions{})
	ctx := context.Background()
	victim := a.signUp(t, "Vic Victim", "vic@example.org")
	a.signUp(t, "Mal Mallory", "mal@example.org")
	var emailID, listID, subID int64
	if err := a.DB.QueryRow(ctx, "SELECT id FROM person_emails WHERE person_id = ?", victim).Scan(&emailID); err != nil {
		t.Fatal(err)
	}
	var err error
	if listID, err = store.Insert(ctx, a.DB, "INSERT INTO lists (name, description, posting, archive, created_at) VALUES ('wg-ids', 'd', 'open', 'public', ?)", time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	if subID, err = store.Insert(ctx, a.DB, "INSERT INTO list_subscriptions (list_id, email, person_id, token, confirmed_at, created_at) VALUES (?, 'vic@example.org', ?, 'vic-token', ?, ?)",
		listID, victim, time.Now().UTC(), time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	mal := a.signIn(t, "mal@example.org")
	for _, path := range []string{
		"/account/emails/" + itoa(emailID) + "/remove",
		"/account/emails/" + itoa(emailID) + "/primary",
		"/account/emails/" + itoa(emailID) + "/confirm",
		"/account/lists/" + itoa(subID) + "/unsubscribe",
	} {
		before := rowCounts(t, a.DB)
		res := mal.post(path, nil)
		if res.Status != http.StatusNotFound {
			t.Errorf("POST %s with another participant's id: %d, want 404", path, res.Status)
		}
		for tb, n := range rowCounts(t, a.DB) {
			if before[tb] != n {
				t.Errorf("POST %s: table %s went from %d to %d rows", path, tb, before[tb], n)
			}
		}
	}
	var active bool
	var confirmed *time.Time
	if err := a.DB.QueryRow(ctx, "SELECT active FROM person_emails WHERE id = ?", emailID).Scan(&active); err != nil || !active {
		t.Errorf("the victim's address: active %v (%v)", active, err)
	}
	if err := a.DB.QueryRow(ctx, "SELECT confirmed_at FROM list_subscriptions WHERE id = ?", subID).Scan(&confirmed); err != nil || confirmed == nil {
		t.Errorf("the victim's subscription was ended (%v)", err)
	}
}

// TestExpiredMailedLinksChangeNothing: an address confirmation followed
// after its 48 hours and a password reset after its hour are answered 410
// with the page that says the link expired, and change nothing: the
// address stays unconfirmed, the old password still signs in. (Replays of
// each token — confirmation, reset, unsubscribe, webhook, remember-me —
// are TestSignUpConfirmSignIn's, TestPasswordReset's,
// TestMailingOptInSendAndOneClickUnsubscribe's,
// TestPaymentWebhookRefusesForgedStaleReplayed's and
// TestRememberMeTokenRotates's.)
func TestExpiredMailedLinksChangeNothing(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	a := newAccountSite(t, siteOptions{Now: clock})
	ctx := context.Background()

	b := a.browser(t)
	if res := b.post("/signup", url.Values{"name": {"Eve Late"}, "email": {"late@example.org"}, "password": {testPassword}, "age_ok": {"1"}, "consent": {"1"}}); res.Status != 200 {
		t.Fatalf("sign-up: %d", res.Status)
	}
	tok := a.mailedToken(t, "late@example.org", "verify")
	advance(49 * time.Hour)
	if res := b.post("/verify/"+tok, nil); res.Status != http.StatusGone || !strings.Contains(res.Body, "This link has expired") {
		t.Errorf("confirmation after 49 hours: %d %.200s", res.Status, res.Body)
	}
	var verified *time.Time
	if err := a.DB.QueryRow(ctx, "SELECT verified_at FROM person_emails WHERE address = 'late@example.org'").Scan(&verified); err != nil || verified != nil {
		t.Errorf("the expired link confirmed the address (%v, %v)", verified, err)
	}

	a.signUp(t, "Rita Reset", "rita@example.org")
	if res := b.post("/reset", url.Values{"email": {"rita@example.org"}}); res.Status != 200 {
		t.Fatalf("asking for a reset: %d", res.Status)
	}
	tok = a.mailedToken(t, "rita@example.org", "reset")
	advance(61 * time.Minute)
	if res := b.post("/reset/"+tok, url.Values{"password": {"an attacker's passphrase"}}); res.Status != http.StatusGone || !strings.Contains(res.Body, "This link has expired") {
		t.Errorf("reset after 61 minutes: %d %.200s", res.Status, res.Body)
	}
	if res := a.browser(t).post("/login", url.Values{"email": {"rita@example.org"}, "password": {testPassword}}); res.Status != http.StatusSeeOther {
		t.Errorf("the old password no longer signs in after an expired reset: %d", res.Status)
	}
}

// TestInjectionInARegistrationIsStoredVerbatimAndShownEscaped does the
// same for the meeting registration form, on both engines: the
// registrant's name, affiliation and postal address are kept as typed,
// and the registrant's own page and the public list of attendees show
// them as text.
func TestInjectionInARegistrationIsStoredVerbatimAndShownEscaped(t *testing.T) {
	hostile := []string{`<script>alert("x")</script>`, `Robert'); DROP TABLE registrations;--`, `"><img src=x onerror=alert(1)>`}
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ms := newMeetingSite(t, db)
		meeting := ms.createMeeting(t, "Plenary 122", "100")
		_, free := ticketIDs(t, ms.send(t, "GET", ms.url+meeting+"/register", nil, nil).Body)
		for i, h := range hostile {
			addr := "reg" + itoa(int64(i)) + "@example.org"
			form := registration("Ann "+h, addr, free, true)
			form.Set("affiliation", "Org "+h)
			form.Set("postal_address", "1 Street\n"+h)
			res := ms.send(t, "POST", ms.url+meeting+"/register", form, nil)
			if res.Status != http.StatusSeeOther {
				t.Fatalf("%q: registering answered %d\n%.300s", h, res.Status, res.Body)
			}
			var name, affiliation, postal string
			if err := db.QueryRow(ctx, "SELECT name, affiliation, postal_address FROM registrations WHERE email = ?", addr).Scan(&name, &affiliation, &postal); err != nil {
				t.Fatalf("%q: not stored: %v", h, err)
			}
			if name != "Ann "+h || affiliation != "Org "+h || postal != "1 Street\n"+h {
				t.Errorf("stored %q / %q / %q for %q", name, affiliation, postal, h)
			}
			own := ms.send(t, "GET", ms.url+res.Header.Get("Location"), nil, nil)
			if own.Status != 200 || strings.Contains(own.Body, h) || !strings.Contains(own.Body, htmlEscape("Ann "+h)) {
				t.Errorf("%q: the registrant's page (%d) does not show the name as text", h, own.Status)
			}
		}
		public := ms.send(t, "GET", ms.url+meeting, nil, nil)
		for _, h := range hostile {
			if strings.Contains(public.Body, h) {
				t.Errorf("the meeting page shows %q unescaped", h)
			}
		}
	})
}

// TestInjectionInContributionsIsShownEscaped types markup into what
// participants and staff publish: a list's description, a posting's
// subject and body, a disclosure's fields, a liaison statement's fields,
// a draft's title and a meeting's name and place; and into what only
// staff read: a participant's name, an inquiry, a registration, a
// removal request's note, a posting held for moderation, a mailing and
// an entry of the register of disclosures to authorities. It then reads
// every HTML page reachable from the site's links, anonymously and as
// staff holding every role: none may hold the markup as markup, and each
// contribution must show up escaped somewhere, or the search would prove
// nothing.
func TestInjectionInContributionsIsShownEscaped(t *testing.T) {
	const (
		script = `<script>alert("x")</script>`
		img    = `"><img src=x onerror=alert(1)>`
	)
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		a := newAccountSite(t, siteOptions{DB: db, Args: []string{"--mail-domain", "lists.example.org"}})
		a.makeStaff(t, "Sam Staff", "sam@example.org", auth.Secretariat, auth.Privacy, auth.Finance, auth.Security, auth.Admin)
		staff := a.signIn(t, "sam@example.org")
		halID := a.signUp(t, "Hal "+img, "hal@example.net")
		hal := a.signIn(t, "hal@example.net")
		mustGo := func(what string, res response) {
			t.Helper()
			if res.Status != http.StatusSeeOther {
				t.Fatalf("%s: %d %.500s", what, res.Status, res.Body)
			}
		}
		mustGo("creating the list", staff.post("/admin/lists", url.Values{"name": {"wg-inject"}, "description": {"Description " + script}, "posting": {"open"}, "archive": {"public"}}))
		mustGo("posting", hal.post("/lists/wg-inject/post", url.Values{"subject": {"Subject " + img}, "body": {"Body " + script + "\n" + img}, "accept_terms": {"1"}}))
		draft := strings.Replace(string(ownDraft("draft-example-small-notes", "00", "Scope "+script)), "Notes on Keeping Test Drafts Small", "Notes "+img, 1)
		body, ct := upload(t, nil, []byte(draft), "1")
		mustGo("posting a draft", hal.do("POST", "/drafts/submit", body, ct))
		disclosure := iprForm("Disclosure " + script)
		disclosure.Set("holder", "Holder "+img)
		disclosure.Set("drafts", "draft-example-small-notes-00")
		mustGo("sending a disclosure", hal.post("/ipr/new", disclosure))
		mustGo("posting the disclosure", staff.post("/admin/ipr/1", url.Values{"action": {"post"}}))
		lb, lct := liaisonBody(t, map[string]string{"from": "Org " + img, "to": "wg-inject", "title": "Liaison " + script, "purpose": "information",
			"body": "Statement " + script, "contact_name": "Lia " + img, "contact_email": "lia@example.org"}, nil)
		mustGo("entering a liaison statement", staff.do("POST", "/admin/liaisons", lb, lct))
		today := time.Now().UTC()
		mustGo("creating a meeting", staff.post("/admin/meetings", url.Values{
			"name": {"Meeting " + script}, "starts_on": {today.AddDate(0, 0, 30).Format("2006-01-02")}, "ends_on": {today.AddDate(0, 0, 31).Format("2006-01-02")},
			"place": {"Place " + img}, "time_zone": {"UTC"}, "opens": {today.AddDate(0, 0, -1).Format("2006-01-02")},
			"closes": {today.AddDate(0, 0, 20).Format("2006-01-02")}, "capacity": {"10"}, "tickets": {"Remote | 0 | USD"},
		}))

		// What only staff read.
		if res := a.browser(t).post("/contact", url.Values{"name": {"Ina " + img}, "email": {"ina@example.net"}, "category": {"general"},
			"message": {"Message " + script}, "consent": {"1"}, "website": {""}}); res.Status != 200 {
			t.Fatalf("sending an inquiry: %d %.500s", res.Status, res.Body)
		}
		var ticket int64
		if err := db.QueryRow(context.Background(), "SELECT id FROM meeting_tickets WHERE meeting_id = 1").Scan(&ticket); err != nil {
			t.Fatal(err)
		}
		reg := registration("Reg "+img, "reg@example.net", itoa(ticket), false)
		reg.Set("affiliation", "Affiliation "+script)
		reg.Set("postal_address", "Street "+img)
		if res := a.browser(t).post("/meetings/1/register", reg); res.Status != http.StatusSeeOther {
			t.Fatalf("registering: %d %.500s", res.Status, res.Body)
		}
		mustGo("creating a moderated list", staff.post("/admin/lists", url.Values{"name": {"wg-held"}, "description": {"Held"}, "posting": {"moderated"}, "archive": {"public"}}))
		if res := hal.post("/lists/wg-held/post", url.Values{"subject": {"Held " + img}, "body": {"Held body " + script}, "accept_terms": {"1"}}); res.Status != 200 || !strings.Contains(res.Body, "Posting held") {
			t.Fatalf("posting for moderation: %d %.500s", res.Status, res.Body)
		}
		mustGo("writing a mailing", staff.post("/admin/mailings", url.Values{"subject": {"Mailing " + img}, "body": {"Mailing body " + script}}))
		mustGo("recording a disclosure to an authority", staff.post("/admin/disclosures", url.Values{"who": {itoa(halID)}, "requester": {"Court " + img},
			"legal_basis": {"Basis " + script}, "disclosed": {"Name " + img}, "disclosed_on": {"2026-02-03"}, "untold": {"Order " + script}}))
		// Last, as it starts Hal's removal.
		mustGo("asking for removal", hal.post("/account/removal", url.Values{"note": {"Note " + script}, "confirm": {"remove"}}))

		escaped := map[string]bool{}
		for _, who := range []struct {
			name string
			b    *browser
		}{{"anonymous", a.browser(t)}, {"staff", staff}} {
			seen := map[string]bool{"/": true}
			queue := []string{"/"}
			for len(queue) > 0 && len(seen) < 400 {
				path := queue[0]
				queue = queue[1:]
				res := who.b.get(path)
				if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
					continue
				}
				for _, raw := range []string{"<script>alert", "<img src=x"} {
					if strings.Contains(res.Body, raw) {
						t.Errorf("%s, %s: the page holds %q as markup", who.name, path, raw)
					}
				}
				for _, e := range []string{"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;", "&lt;img src=x onerror=alert(1)&gt;"} {
					if strings.Contains(res.Body, e) {
						escaped[path] = true
					}
				}
				for _, m := range hrefPattern.FindAllStringSubmatch(res.Body, -1) {
					link := html.UnescapeString(m[1])
					if !seen[link] && !strings.Contains(link, "logout") && !strings.HasPrefix(link, "/static/") {
						seen[link] = true
						queue = append(queue, link)
					}
				}
			}
		}
		for _, want := range []string{"/lists/wg-inject", "/drafts/draft-example-small-notes", "/ipr/1", "/meetings/1",
			"/admin/people/" + itoa(halID), "/admin/inquiries/1", "/admin/meetings/1", "/admin/lists/wg-held/queue", "/admin/mailings/1",
			"/admin/disclosures", "/admin/removals"} {
			if !escaped[want] {
				t.Errorf("%s does not show its contribution escaped: the crawl proves nothing there", want)
			}
		}
		t.Logf("%d pages show a contribution escaped", len(escaped))
		if len(escaped) < 8 {
			t.Errorf("only %d pages show a contribution: %v", len(escaped), escaped)
		}
	})
}

var hrefPattern = regexp.MustCompile(`href="(/[^"#]*)"`)
