package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"plenary/internal/auth"
	"plenary/internal/inquiries"
	"plenary/internal/mail"
	"plenary/internal/people"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// inquirySite is the real application with its mail kept in an outbox.
func inquirySite(t *testing.T, db *store.DB, args ...string) (*site, *mail.Outbox) {
	t.Helper()
	out := &mail.Outbox{}
	s := newSite(t, siteOptions{DB: db, Args: args, Routes: func(s *Server) { s.Mail = out }})
	return s, out
}

// postContact sends the contact form as a browser without cookies does:
// a same-origin POST with no Cookie header.
func postContact(t *testing.T, s *site, form url.Values, extra http.Header) response {
	t.Helper()
	h := http.Header{"Sec-Fetch-Site": {"same-origin"}, "Content-Type": {"application/x-www-form-urlencoded"}}
	for k, v := range extra {
		h[k] = v
	}
	return s.do(t, "POST", "/contact", strings.NewReader(form.Encode()), h)
}

func goodInquiry(name, addr, category, message string) url.Values {
	return url.Values{"name": {name}, "email": {addr}, "category": {category}, "message": {message}, "consent": {"1"}, "website": {""}}
}

// TestContactWorksWithoutCookies covers R1, K3, C5 and C6 on both
// engines: the form needs no account, says what it keeps, why, for how
// long, who reads it and where it is processed, sets no cookie, and a
// submission is stored with a consent entry (channel web) naming it; a
// cross-site post is refused and stores nothing.
func TestContactWorksWithoutCookies(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		s, out := inquirySite(t, db, "--org-country", "Iceland")
		page := s.get(t, "/contact")
		if page.Status != 200 || len(page.Header.Values("Set-Cookie")) > 0 {
			t.Fatalf("GET /contact: %d, cookies %q", page.Status, page.Header.Values("Set-Cookie"))
		}
		for _, want := range []string{
			"the e-mail address you want the answer sent to", "to answer your inquiry, and for nothing else",
			"read by staff with the secretariat or admin role", "until it is answered and closed, and then for 180 days",
			"in Iceland", "Privacy question or request (read by administrators only)", `name="website"`, "audit log",
		} {
			if !strings.Contains(page.Body, want) {
				t.Errorf("the form does not say %q", want)
			}
		}
		// Fields kept for the same reason, by the same staff, as long as
		// each other are named together: each sentence is said once.
		for _, once := range []string{"to answer your inquiry, and for nothing else", "then for 180 days"} {
			if n := strings.Count(page.Body, once); n != 1 {
				t.Errorf("the form says %q %d times, want once", once, n)
			}
		}
		if res := s.get(t, "/?x"); !strings.Contains(res.Body, `href="/contact"`) {
			t.Error("the home page has no link to the contact form")
		}

		cross := http.Header{"Sec-Fetch-Site": {"cross-site"}}
		if res := postContact(t, s, goodInquiry("Eve Cross", "eve@example.net", "general", "hi"), cross); res.Status != http.StatusForbidden {
			t.Errorf("cross-site post: %d", res.Status)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM inquiries"); n != 0 {
			t.Fatalf("%d inquiries after a cross-site post", n)
		}

		res := postContact(t, s, goodInquiry("Zoë Example", "zoe@example.net", "general", "When is the next meeting?\nThanks."), nil)
		if res.Status != 200 || !strings.Contains(res.Body, "your inquiry was sent") || len(res.Header.Values("Set-Cookie")) > 0 {
			t.Fatalf("POST /contact: %d, cookies %q\n%.500s", res.Status, res.Header.Values("Set-Cookie"), res.Body)
		}
		var id int64
		if err := db.QueryRow(context.Background(), "SELECT id FROM inquiries WHERE name = ? AND email = ? AND category = ? AND message = ?",
			"Zoë Example", "zoe@example.net", "general", "When is the next meeting?\nThanks.").Scan(&id); err != nil {
			t.Fatalf("the inquiry was not stored as sent: %v", err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM consent_ledger WHERE inquiry_id = ? AND channel = 'web' AND transfer_statement LIKE '%in Iceland%'", id); n != 1 {
			t.Errorf("%d consent entries for the inquiry", n)
		}
		s.Server.Wait()
		if n := len(out.Messages()); n != 0 {
			t.Errorf("%d messages sent for a general inquiry", n)
		}

		res = postContact(t, s, goodInquiry("Pat Private", "pat@example.net", inquiries.Privacy, "Please send me my data."), nil)
		if res.Status != 200 || !strings.Contains(res.Body, "administrators who answer privacy questions") {
			t.Fatalf("privacy inquiry: %d %.300s", res.Status, res.Body)
		}
		s.Server.Wait()
		notice, ok := out.Last("privacy@test.example")
		if !ok || !strings.Contains(notice.Body, "https://test.example/admin/inquiries/") || strings.Contains(notice.Body, "pat@example.net") || strings.Contains(notice.Body, "my data") {
			t.Errorf("the privacy contact's notice: %+v, %v", notice, ok)
		}
	})
}

// TestContactRefusesBadInput covers the form's bad input on both engines:
// each problem is named on the page, what was typed is kept on the page,
// and nothing is stored; a filled honeypot is answered like a success and
// stores nothing either.
func TestContactRefusesBadInput(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		s, _ := inquirySite(t, db, "--max-body", "65536")
		with := func(field, value string) url.Values {
			v := goodInquiry("Bad Input", "bad@example.net", "general", "A question.")
			v.Set(field, value)
			return v
		}
		cases := []struct {
			name   string
			form   url.Values
			status int
			want   string
		}{
			{"oversized message", with("message", strings.Repeat("x", 10001)), 400, "too long"},
			{"invalid UTF-8", with("message", "caf\xe9"), 400, "not valid text"},
			{"NUL", with("name", "Bad\x00Input"), 400, "a NUL byte or invalid UTF-8"},
			{"malformed address", with("email", "bad@@example"), 400, "does not look like an e-mail address"},
			{"two addresses", with("email", "a@example.net, b@example.net"), 400, "does not look like an e-mail address"},
			{"unknown category", with("category", "sales"), 400, "choose what your inquiry is about"},
			{"no consent", with("consent", ""), 400, "Please agree"},
			{"everything missing", url.Values{}, 400, "The name is required"},
			{"over the body limit", with("message", strings.Repeat("y", 70000)), 413, "larger than this site accepts"},
			{"honeypot filled", with("website", "http://spam.example"), 200, "your inquiry was sent"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				res := postContact(t, s, c.form, nil)
				if res.Status != c.status || !strings.Contains(res.Body, c.want) {
					t.Errorf("%d, want %d with %q\n%.600s", res.Status, c.status, c.want, res.Body)
				}
				if c.status == 400 && c.name == "no consent" && !strings.Contains(res.Body, "A question.") {
					t.Error("what was typed is not shown again")
				}
				if c.name == "everything missing" {
					name, consent := strings.Index(res.Body, `href="#name"`), strings.Index(res.Body, `href="#consent"`)
					if name < 0 || consent < name {
						t.Error("the summary does not list the problems in the form's order")
					}
				}
				if n := count(t, db, "SELECT COUNT(*) FROM inquiries"); n != 0 {
					t.Errorf("%d inquiries stored", n)
				}
				if n := count(t, db, "SELECT COUNT(*) FROM consent_ledger"); n != 0 {
					t.Errorf("%d consent entries", n)
				}
			})
		}
	})
}

// TestContactRateLimits covers the limits per address, per IP address
// and per network: past each, the form answers 429 and stores nothing.
func TestContactRateLimits(t *testing.T) {
	s := newSite(t, siteOptions{Now: quarterHourClock(), Args: []string{"--trusted-proxies", "127.0.0.1"}, Routes: func(s *Server) { s.Mail = &mail.Outbox{} }})
	from := func(ip string) http.Header { return http.Header{"X-Forwarded-For": {ip}} }
	send := func(addr, ip string) int {
		return postContact(t, s, goodInquiry("Rate Tester", addr, "general", "Again."), from(ip)).Status
	}
	// Per address: three in a window, from anywhere.
	for i, ip := range []string{"192.0.2.1", "198.51.100.1", "203.0.113.1", "192.0.2.200"} {
		if got, want := send("same@example.net", ip), map[bool]int{true: 200, false: 429}[i < 3]; got != want {
			t.Errorf("same address, post %d: %d, want %d", i+1, got, want)
		}
	}
	// Per IP address: five in a window, whatever the address.
	for i := range 6 {
		if got, want := send("ip"+itoa(int64(i))+"@example.net", "198.51.100.77"), map[bool]int{true: 200, false: 429}[i < 5]; got != want {
			t.Errorf("same IP, post %d: %d, want %d", i+1, got, want)
		}
	}
	// Per network: twenty from one /24, even from different addresses.
	status := 0
	for i := range 21 {
		status = send("net"+itoa(int64(i))+"@example.net", "203.0.113."+itoa(int64(10+i)))
		if i < 19 && status != 200 {
			t.Fatalf("post %d from the network: %d", i+1, status)
		}
	}
	if status != 429 {
		t.Errorf("21st post from one /24: %d, want 429", status)
	}
	if n := count(t, s.DB, "SELECT COUNT(*) FROM inquiries"); n != 3+5+19 {
		t.Errorf("%d inquiries stored, want %d", n, 3+5+19)
	}
}

// TestInquiryInbox covers U5 through the staff pages on both engines: the
// secretariat lists and reads general inquiries but not privacy ones,
// which admins read; each list and view is audited; an answer goes out by
// mail from the inquiry's reply address and stays in the thread with the
// sender's reply by mail; closing moves it to the closed list.
func TestInquiryInbox(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		s, out := inquirySite(t, db)
		if res := postContact(t, s, goodInquiry("Zoë Example", "zoe@example.net", "general", "When is the next meeting?"), nil); res.Status != 200 {
			t.Fatal(res.Status)
		}
		if res := postContact(t, s, goodInquiry("Pat Private", "pat@example.net", inquiries.Privacy, "Delete my data."), nil); res.Status != 200 {
			t.Fatal(res.Status)
		}
		var general, private int64
		db.QueryRow(context.Background(), "SELECT id FROM inquiries WHERE category = 'general'").Scan(&general)
		db.QueryRow(context.Background(), "SELECT id FROM inquiries WHERE category = 'privacy'").Scan(&private)
		sec, admin := roleHeader(auth.Secretariat), roleHeader(auth.Admin)

		list := s.do(t, "GET", "/admin/inquiries", nil, sec)
		if list.Status != 200 || !strings.Contains(list.Body, "Zoë Example") || strings.Contains(list.Body, "Pat Private") {
			t.Errorf("secretariat's list: %d\n%.800s", list.Status, list.Body)
		}
		if list := s.do(t, "GET", "/admin/inquiries", nil, admin); !strings.Contains(list.Body, "Pat Private") || !strings.Contains(list.Body, "Zoë Example") {
			t.Errorf("admin's list lacks an inquiry")
		}
		if res := s.do(t, "GET", "/admin/inquiries/"+itoa(private), nil, sec); res.Status != 404 || strings.Contains(res.Body, "pat@example.net") {
			t.Errorf("secretariat reading a privacy question: %d", res.Status)
		}
		if res := s.do(t, "GET", "/admin/inquiries/"+itoa(private), nil, admin); res.Status != 200 || !strings.Contains(res.Body, "pat@example.net") {
			t.Errorf("admin reading a privacy question: %d", res.Status)
		}
		views := count(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'inquiries.view'")
		page := s.do(t, "GET", "/admin/inquiries/"+itoa(general), nil, sec)
		if page.Status != 200 || !strings.Contains(page.Body, "zoe@example.net") || !strings.Contains(page.Body, "When is the next meeting?") {
			t.Fatalf("the inquiry page: %d\n%.800s", page.Status, page.Body)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'inquiries.view' AND subject = ? AND actor_id = ?", "inquiry:"+itoa(general), testPersonID); n != 1 || views != 1 {
			t.Errorf("%d audit entries for the secretariat's view (%d before)", n, views)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'inquiries.list'"); n != 2 {
			t.Errorf("%d audit entries for listings, want 2", n)
		}

		post := func(path string, form url.Values) response {
			h := roleHeader(auth.Secretariat)
			h.Set("Sec-Fetch-Site", "same-origin")
			h.Set("Content-Type", "application/x-www-form-urlencoded")
			return s.do(t, "POST", path, strings.NewReader(form.Encode()), h)
		}
		if res := post("/admin/inquiries/"+itoa(general)+"/reply", url.Values{"body": {"  "}}); res.Status != 400 || !strings.Contains(res.Body, "Nothing was sent") {
			t.Errorf("empty answer: %d", res.Status)
		}
		if res := post("/admin/inquiries/"+itoa(private)+"/reply", url.Values{"body": {"Done."}}); res.Status != 404 {
			t.Errorf("secretariat answering a privacy question: %d", res.Status)
		}
		res := post("/admin/inquiries/"+itoa(general)+"/reply", url.Values{"body": {"In Reykjavík, in June."}})
		if res.Status != http.StatusSeeOther {
			t.Fatalf("answer: %d %.300s", res.Status, res.Body)
		}
		msg, ok := out.Last("zoe@example.net")
		if !ok || !strings.HasPrefix(msg.From, "inquiry+") || !strings.HasSuffix(msg.From, "@test.example") || !strings.Contains(msg.Body, "In Reykjavík, in June.") {
			t.Fatalf("answer mail %+v", msg)
		}
		local, _, _ := strings.Cut(msg.From, "@")
		h := &inquiries.MailHandler{DB: db, Audit: s.Audit, Now: time.Now}
		if err := h.Receive(context.Background(), mail.Inbound{From: "zoe@example.net", Local: local, Text: "Thank you!"}); err != nil {
			t.Fatal(err)
		}
		page = s.do(t, "GET", "/admin/inquiries/"+itoa(general)+"?done=sent", nil, sec)
		// The test identity has no row in people, so the page names a
		// former staff member; the reply address is shown with its "+"
		// escaped.
		token := strings.TrimPrefix(local, "inquiry+")
		for _, want := range []string{"In Reykjavík, in June.", "Answer by a former staff member", "Reply by e-mail from the sender", "Thank you!", token + "@test.example"} {
			if !strings.Contains(page.Body, want) {
				t.Errorf("the thread does not show %q", want)
			}
		}
		if res := post("/admin/inquiries/"+itoa(general)+"/close", url.Values{}); res.Status != http.StatusSeeOther {
			t.Fatalf("close: %d", res.Status)
		}
		if open := s.do(t, "GET", "/admin/inquiries?done=closed", nil, sec); strings.Contains(open.Body, "Zoë Example") || !strings.Contains(open.Body, "The inquiry is closed") {
			t.Error("the closed inquiry is still listed as open")
		}
		if closed := s.do(t, "GET", "/admin/inquiries?status=closed", nil, sec); !strings.Contains(closed.Body, "Zoë Example") {
			t.Error("the closed inquiry is not in the closed list")
		}
		// The retention rule reads after "kept" (it ends "…are
		// deleted", so "deleted" before it said it twice).
		if page := s.do(t, "GET", "/admin/inquiries/"+itoa(general), nil, sec); !strings.Contains(page.Body, "Closed on") || !strings.Contains(page.Body, "; kept until it is answered and closed, and then for 180 days") {
			t.Errorf("the closed inquiry's page does not say when it goes:\n%.1500s", page.Body)
		} else if problems := wordingProblems(page.Body); len(problems) > 0 {
			t.Errorf("the closed inquiry's page: %q", problems)
		}
	})
}

// TestPrivacyPageNamesTheContactRoute covers R1: the privacy statement
// and the privacy page name the real contact form, preselecting privacy
// questions, and the statement lists the inquiry data.
func TestPrivacyPageNamesTheContactRoute(t *testing.T) {
	s, _ := inquirySite(t, nil)
	page := s.get(t, "/privacy")
	for _, want := range []string{
		"use the contact form at /contact", `href="/contact?category=privacy"`,
		"Inquiries you send through the contact form", "the e-mail address you want the answer sent to",
	} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the privacy page does not say %q", want)
		}
	}
	form := s.get(t, "/contact?category=privacy")
	if !strings.Contains(form.Body, `<option value="privacy" selected>`) {
		t.Error("the link from the privacy page does not preselect privacy questions")
	}
	if res := s.get(t, "/contact"); res.Status != 200 {
		t.Errorf("GET /contact: %d", res.Status)
	}
}

// TestAccountShowsOwnInquiries covers R2 for inquiries: a participant's
// account page shows the inquiries sent from their confirmed addresses,
// with the answers, and none sent from other addresses; the staff view of
// the same person does not show them (privacy questions are for admins).
func TestAccountShowsOwnInquiries(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		a := newAccountSite(t, siteOptions{DB: db})
		id := a.signUp(t, "Ines Inquirer", "ines@example.net")
		for _, f := range []url.Values{
			goodInquiry("Ines Inquirer", "Ines@Example.net", inquiries.Privacy, "What do you hold about me?"),
			goodInquiry("Someone Else", "else@example.net", "general", "Not Ines's question."),
		} {
			if res := postContact(t, a.site, f, nil); res.Status != 200 {
				t.Fatalf("inquiry: %d", res.Status)
			}
		}
		page := a.signIn(t, "ines@example.net").get("/account")
		if !strings.Contains(page.Body, "What do you hold about me?") || !strings.Contains(page.Body, "Privacy question or request") {
			t.Errorf("the account page does not show the person's inquiry:\n%.2000s", page.Body)
		}
		if strings.Contains(page.Body, "Not Ines") {
			t.Error("the account page shows someone else's inquiry")
		}
		a.makeStaff(t, "Sam Staff", "sam@org.example", auth.Secretariat)
		staff := a.signIn(t, "sam@org.example").get("/admin/people/" + itoa(id))
		if staff.Status != 200 || strings.Contains(staff.Body, "What do you hold about me?") {
			t.Errorf("the staff view of the person shows their inquiries: %d", staff.Status)
		}
	})
}

// TestAccountHidesInquiriesOfAddressesNotProven: an address staff entered
// is confirmed with a link mailed to the person's own primary address,
// which proves the person wants it on their account, not that they read
// its mailbox. Such an address must not open the inquiries sent from it.
// It used to: a participant who had staff add someone else's address
// (asked by phone), confirmed it from their own mailbox, and then read
// that person's privacy question and its answer on /account.
func TestAccountHidesInquiriesOfAddressesNotProven(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		a := newAccountSite(t, siteOptions{DB: db})
		if res := postContact(t, a.site, goodInquiry("Vera Victim", "vera@example.net", inquiries.Privacy, "What do you hold about Vera Victim?"), nil); res.Status != 200 {
			t.Fatalf("inquiry: %d", res.Status)
		}
		mid := a.signUp(t, "Mo Curious", "mo@example.org")
		a.makeStaff(t, "Sam Staff", "sam@org.example", auth.Secretariat)
		sec := a.signIn(t, "sam@org.example")
		if res := sec.post("/admin/people/"+itoa(mid)+"/emails", url.Values{"email": {"vera@example.net"}, "origin": {"staff"}, "reason": {"asked by phone"}}); res.Status != http.StatusSeeOther {
			t.Fatalf("adding the address: %d %.300s", res.Status, res.Body)
		}
		mo := a.signIn(t, "mo@example.org")
		tok := a.mailedToken(t, "mo@example.org", "verify")
		if res := mo.post("/verify/"+tok, nil); res.Status/100 != 2 && res.Status/100 != 3 {
			t.Fatalf("confirming the staff-entered address from the primary: %d %.300s", res.Status, res.Body)
		}
		_, e, err := people.FindByEmail(context.Background(), db, "vera@example.net")
		if err != nil || !e.Verified() || e.PersonID != mid {
			t.Fatalf("the staff-entered address is not confirmed on Mo's account (%+v, %v), so the case was not tried", e, err)
		}
		page := mo.get("/account")
		if page.Status != 200 || strings.Contains(page.Body, "What do you hold about Vera Victim?") {
			t.Errorf("Mo's account page shows an inquiry sent from an address whose mailbox Mo never proved: %d", page.Status)
		}
	})
}
