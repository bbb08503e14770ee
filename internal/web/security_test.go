package web

// Tests from the security review of the accounts and web layer: each one
// fails without the fix it names.

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"plenary/internal/auth"
	"plenary/internal/inventory"
	"plenary/internal/mail"
	"plenary/internal/people"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestSecretariatCannotTakeOverStaffAccounts: only an admin may change the
// addresses of someone who holds a staff role, and an address staff enter
// for anyone never receives a reset link: its confirmation goes to the
// person's own primary address.
func TestSecretariatCannotTakeOverStaffAccounts(t *testing.T) {
	a := newAccountSite(t, siteOptions{})
	a.makeStaff(t, "Sam Secretariat", "sam@example.org", auth.Secretariat)
	a.makeStaff(t, "Alex Admin", "alex@example.org", auth.Admin)
	sec := a.signIn(t, "sam@example.org")
	adm := a.signIn(t, "alex@example.org")
	targets := map[string]int64{
		"admin":       a.makeStaff(t, "Ann Admin", "ann@example.org", auth.Admin),
		"security":    a.makeStaff(t, "Sid Security", "sid@example.org", auth.Security),
		"finance":     a.makeStaff(t, "Fay Finance", "fay@example.org", auth.Finance),
		"secretariat": a.makeStaff(t, "Sue Secretariat", "sue@example.org", auth.Secretariat),
		"participant": a.makeStaff(t, "Pat Participant", "pat@example.org"),
	}
	primaries := map[string]string{"admin": "ann@example.org", "security": "sid@example.org", "finance": "fay@example.org", "secretariat": "sue@example.org", "participant": "pat@example.org"}
	tests := []struct {
		actor  string
		target string
		want   int
	}{
		{"secretariat", "admin", http.StatusForbidden},
		{"secretariat", "security", http.StatusForbidden},
		{"secretariat", "finance", http.StatusForbidden},
		{"secretariat", "secretariat", http.StatusForbidden},
		{"secretariat", "participant", http.StatusSeeOther},
		{"admin", "admin", http.StatusSeeOther},
		{"admin", "security", http.StatusSeeOther},
	}
	for i, tt := range tests {
		t.Run(tt.actor+" changes "+tt.target, func(t *testing.T) {
			b := sec
			if tt.actor == "admin" {
				b = adm
			}
			person := fmt.Sprintf("/admin/people/%d", targets[tt.target])
			taker := fmt.Sprintf("taker%d@evil.example", i)
			res := b.post(person+"/emails", url.Values{"email": {taker}, "origin": {"staff"}, "reason": {"asked by phone"}})
			if res.Status != tt.want {
				t.Fatalf("adding an address: %d, want %d", res.Status, tt.want)
			}
			if res := b.post(person+"/emails/1/remove", url.Values{"reason": {"asked by phone"}}); tt.want == http.StatusForbidden && res.Status != http.StatusForbidden {
				t.Errorf("an address action: %d, want 403", res.Status)
			}
			a.browser(t).post("/reset", url.Values{"email": {taker}})
			a.waitForMail()
			if m, mailed := a.outbox.Last(taker); mailed {
				t.Errorf("the address the %s entered for the %s was mailed %q", tt.actor, tt.target, m.Subject)
			}
			m, _ := a.outbox.Last(primaries[tt.target])
			if tt.want != http.StatusForbidden && (!strings.Contains(m.Body, taker) || !linkPattern.MatchString(m.Body)) {
				t.Errorf("the %s's primary address got no confirmation link for the added address: %q", tt.target, m.Body)
			}
		})
	}
}

// TestStaffEnteredAddressCannotTakeOverAccount reproduces the attack of
// issue 8, item 1 and checks every part of its fix: a secretariat member
// enters an address of theirs on a participant's record and asks for a
// reset link for it. The link never goes there; the address cannot sign in;
// the participant, who later becomes admin, cannot be given the role while
// the address is unconfirmed; only the owner, from their primary address,
// confirms it. A real reset is audited, mailed to the primary address, and
// the history names the reset link, not "you".
func TestStaffEnteredAddressCannotTakeOverAccount(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		a := newAccountSite(t, siteOptions{DB: db})
		ctx := context.Background()
		pid := a.signUp(t, "Pat Participant", "pat@example.org")
		a.makeStaff(t, "Sam Secretariat", "sam@example.org", auth.Secretariat)
		a.makeStaff(t, "Alex Admin", "alex@example.org", auth.Admin)
		sec := a.signIn(t, "sam@example.org")
		adm := a.signIn(t, "alex@example.org")
		pat := a.signIn(t, "pat@example.org")
		person := fmt.Sprintf("/admin/people/%d", pid)

		if res := sec.post(person+"/emails", url.Values{"email": {"mallory@evil.example"}, "origin": {"staff"}, "reason": {"asked by phone"}}); res.Status != http.StatusSeeOther {
			t.Fatalf("adding the address: %d %.300s", res.Status, res.Body)
		}
		// Staff cannot pass the address off as typed by the person.
		if res := sec.post(person+"/emails", url.Values{"email": {"mallory2@evil.example"}, "origin": {"self"}, "reason": {"asked by phone"}}); res.Status != http.StatusBadRequest {
			t.Errorf("entering an address as the person's own: %d", res.Status)
		}
		anon := a.browser(t)
		if res := anon.post("/reset", url.Values{"email": {"mallory@evil.example"}}); res.Status != 200 || !strings.Contains(res.Body, "If mallory@evil.example belongs to an account") {
			t.Errorf("the reset form answers differently: %d", res.Status)
		}
		a.waitForMail()
		if m, ok := a.outbox.Last("mallory@evil.example"); ok {
			t.Fatalf("mail went to the staff-entered address: %q\n%s", m.Subject, m.Body)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM auth_tokens t JOIN person_emails e ON e.id = t.email_id WHERE e.address = ? AND t.purpose = ?", "mallory@evil.example", auth.PurposeReset); n != 0 {
			t.Errorf("%d reset tokens issued for the staff-entered address", n)
		}
		if res := a.browser(t).post("/login", url.Values{"email": {"mallory@evil.example"}, "password": {testPassword}}); res.Status == http.StatusSeeOther {
			t.Error("the staff-entered address signs in")
		}
		// The admin cannot grant a staff role while the address is unconfirmed.
		res := adm.post(person+"/roles", url.Values{"role": {"admin"}})
		if res.Status != http.StatusConflict || !strings.Contains(res.Body, "mallory@evil.example") {
			t.Errorf("granting admin with an unconfirmed address: %d %.300s", res.Status, res.Body)
		}
		if id, _ := people.Identity(ctx, db, pid); id.Has(auth.Admin) {
			t.Fatal("the role was granted")
		}
		// The confirmation went to the participant's own address.
		a.waitForMail()
		m, ok := a.outbox.Last("pat@example.org")
		if !ok || !strings.Contains(m.Body, "mallory@evil.example") || !strings.Contains(m.Body, "/verify/") {
			t.Fatalf("the owner was not asked to confirm: %q", m.Body)
		}
		acct := pat.get("/account").Body
		if !strings.Contains(acct, "mallory@evil.example") || !strings.Contains(acct, "not confirmed by you") {
			t.Errorf("the owner's account page does not show the unconfirmed address")
		}
		// The owner does not confirm it: they remove it, and then the role can be given.
		_, mal, err := people.FindByEmail(ctx, db, "mallory@evil.example")
		if err != nil {
			t.Fatal(err)
		}
		if res := pat.post(fmt.Sprintf("/account/emails/%d/remove", mal.ID), nil); res.Status != http.StatusSeeOther {
			t.Fatalf("removing it: %d", res.Status)
		}
		if res := adm.post(person+"/roles", url.Values{"role": {"admin"}}); res.Status != http.StatusSeeOther {
			t.Errorf("granting admin after removal: %d %.300s", res.Status, res.Body)
		}

		// A real reset by the owner: audited, mailed to the primary address,
		// and the history says a reset link did it.
		other := a.signIn(t, "pat@example.org")
		anon.post("/reset", url.Values{"email": {"pat@example.org"}})
		tok := a.mailedToken(t, "pat@example.org", "reset")
		if res := anon.post("/reset/"+tok, url.Values{"password": {"a brand new passphrase"}}); res.Status != 200 {
			t.Fatalf("reset: %d %.300s", res.Status, res.Body)
		}
		a.waitForMail()
		if m, _ := a.outbox.Last("pat@example.org"); !strings.Contains(m.Subject, "password") || !strings.Contains(m.Body, "was changed") {
			t.Errorf("the primary address was not told: %q %q", m.Subject, m.Body)
		}
		if entries := auditEntries(t, a); !strings.Contains(entries, "people.password.reset reset link person:"+fmt.Sprint(pid)) {
			t.Errorf("the reset is not audited:\n%s", entries)
		}
		if res := other.get("/account"); res.Status != http.StatusSeeOther {
			t.Errorf("a session survived the reset: %d", res.Status)
		}
		page := a.signInWith(t, "pat@example.org", "a brand new passphrase").get("/account").Body
		if !strings.Contains(page, "whoever opened the reset link") {
			t.Errorf("the history does not name the reset link")
		}
		if r, err := a.Audit.Verify(ctx, nil); err != nil || !r.OK() {
			t.Errorf("audit chain: %+v %v", r, err)
		}
	})
}

// heldSender holds every message until release is closed, like an SMTP
// server that takes its time.
type heldSender struct {
	release chan struct{}
	outbox  mail.Outbox
}

func (h *heldSender) Send(ctx context.Context, m mail.Message) error {
	select {
	case <-h.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	return h.outbox.Send(ctx, m)
}

// TestResetAnswerDoesNotWaitForMail: the reset form says the same for every
// address, and must also take the same time. Sending the link takes an SMTP
// round trip that only an address with an account costs, so the answer
// must not wait for it.
func TestResetAnswerDoesNotWaitForMail(t *testing.T) {
	held := &heldSender{release: make(chan struct{})}
	a := newAccountSite(t, siteOptions{Routes: func(s *Server) { s.Mail = held }})
	a.makeStaff(t, "Ada", "ada@example.org")
	for _, addr := range []string{"nobody@example.org", "ada@example.org"} {
		b := a.browser(t)
		b.client.Timeout = 5 * time.Second
		start := time.Now()
		res := b.post("/reset", url.Values{"email": {addr}})
		if res.Status != 200 || !strings.Contains(res.Body, "If "+addr+" belongs to an account") {
			t.Errorf("%s: %d after %v", addr, res.Status, time.Since(start))
		}
	}
	close(held.release)
	a.waitForMail()
	if _, ok := held.outbox.Last("ada@example.org"); !ok {
		t.Error("the reset link was never sent")
	}
	if _, ok := held.outbox.Last("nobody@example.org"); ok {
		t.Error("mail went to an address without an account")
	}
}

// TestCookiesAreSecureBehindTLSProxy: behind a proxy that terminates TLS,
// the session cookie gets Secure (and the answer HSTS) when a trusted proxy
// says the browser used HTTPS, even with an http --base-url; the same
// header from anyone else changes nothing.
func TestCookiesAreSecureBehindTLSProxy(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		proto  string
		secure bool
	}{
		{"trusted proxy, https", []string{"--base-url", "http://test.example", "--trusted-proxies", "127.0.0.1"}, "https", true},
		{"trusted proxy, chain", []string{"--base-url", "http://test.example", "--trusted-proxies", "127.0.0.0/8"}, "https, http", true},
		{"trusted proxy, http", []string{"--base-url", "http://test.example", "--trusted-proxies", "127.0.0.1"}, "http", false},
		{"untrusted peer", []string{"--base-url", "http://test.example", "--trusted-proxies", "10.0.0.0/8"}, "https", false},
		{"no proxies", []string{"--base-url", "http://test.example"}, "https", false},
		{"https base URL", []string{"--base-url", "https://test.example"}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAccountSite(t, siteOptions{Args: tt.args})
			a.makeStaff(t, "Ada", "ada@example.org")
			b := a.browser(t)
			if tt.proto != "" {
				b.header.Set("X-Forwarded-Proto", tt.proto)
			}
			res := b.post("/login", url.Values{"email": {"ada@example.org"}, "password": {testPassword}})
			set := strings.Join(res.Header.Values("Set-Cookie"), "\n")
			if res.Status != http.StatusSeeOther || !strings.Contains(set, "HttpOnly") {
				t.Fatalf("%d %s", res.Status, set)
			}
			if got := strings.Contains(set, "; Secure"); got != tt.secure {
				t.Errorf("Secure = %v, want %v: %s", got, tt.secure, set)
			}
			// HSTS counts only on an HTTPS answer, so it follows the
			// proxy's word, not the base URL.
			if got, want := res.Header.Get("Strict-Transport-Security") != "", tt.secure && tt.proto != ""; got != want {
				t.Errorf("HSTS = %v, want %v", got, want)
			}
		})
	}
}

// TestResetUsesUpEveryResetLink: after a password reset, another reset
// link still in the mailbox (an older request, or one an attacker who
// reads the mailbox later finds) no longer sets the password.
func TestResetUsesUpEveryResetLink(t *testing.T) {
	a := newAccountSite(t, siteOptions{})
	a.makeStaff(t, "Ada", "ada@example.org")
	var links []string
	for range 2 {
		a.browser(t).post("/reset", url.Values{"email": {"ada@example.org"}})
		links = append(links, a.mailedToken(t, "ada@example.org", "reset"))
	}
	b := a.browser(t)
	if res := b.post("/reset/"+links[1], url.Values{"password": {"the owner's new passphrase"}}); res.Status != 200 {
		t.Fatalf("reset: %d", res.Status)
	}
	tests := []struct {
		name   string
		method string
	}{{"page", "GET"}, {"form", "POST"}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := b.do(tt.method, "/reset/"+links[0], strings.NewReader("password=someone+else%27s+passphrase"), "application/x-www-form-urlencoded")
			if res.Status != http.StatusGone {
				t.Errorf("the older link after a reset: %d, want 410", res.Status)
			}
		})
	}
	if res := a.browser(t).post("/login", url.Values{"email": {"ada@example.org"}, "password": {"the owner's new passphrase"}}); res.Status != http.StatusSeeOther {
		t.Errorf("the owner's password no longer works: %d", res.Status)
	}
}

// TestSignInEndsTheBrowsersEarlierSessions: signing in ends the sessions
// the browser's cookies named before, so a token planted in the browser
// (session fixation) stops working, and the persistent cookie of an
// earlier sign-in, perhaps someone else's on a shared computer, cannot
// bring that person back once the session cookie is gone.
func TestSignInEndsTheBrowsersEarlierSessions(t *testing.T) {
	a := newAccountSite(t, siteOptions{})
	a.makeStaff(t, "Ada", "ada@example.org")
	a.makeStaff(t, "Bob", "bob@example.org")
	tests := []struct {
		name     string
		first    string
		remember bool
	}{
		{"someone else remembered", "ada@example.org", true},
		{"someone else's session", "ada@example.org", false},
		{"own session", "bob@example.org", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := a.browser(t)
			v := url.Values{"email": {tt.first}, "password": {testPassword}}
			if tt.remember {
				v.Set("remember", "1")
			}
			if res := b.post("/login", v); res.Status != http.StatusSeeOther {
				t.Fatalf("first sign-in: %d", res.Status)
			}
			before := b.cookie(inventory.SessionCookie.Name()).Value
			if res := b.post("/login", url.Values{"email": {"bob@example.org"}, "password": {testPassword}}); res.Status != http.StatusSeeOther {
				t.Fatalf("second sign-in: %d", res.Status)
			}
			if pid, err := auth.LookupSession(context.Background(), a.DB, before, auth.KindSession, time.Now()); err != nil || pid != 0 {
				t.Errorf("the earlier session still signs in person %d (%v)", pid, err)
			}
			// The browser closes: only a persistent cookie survives.
			later := a.browser(t)
			if c := b.cookie(inventory.RememberCookie.Name()); c != nil {
				later.header.Set("Cookie", c.Name+"="+c.Value)
			}
			if res := later.get("/account"); res.Status == 200 {
				t.Errorf("after the browser closed, it is signed in again: %.200s", res.Body)
			}
		})
	}
}

// TestMailedLinkWorksOnceUnderConcurrentUse: several requests that use one
// reset or confirmation link at the same moment (two tabs, a mail scanner
// and the person) are answered by exactly one success, on both engines.
func TestMailedLinkWorksOnceUnderConcurrentUse(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		a := newAccountSite(t, siteOptions{DB: db})
		a.makeStaff(t, "Ada", "ada@example.org")
		tests := []struct {
			name string
			kind string
			ask  func() // makes the server mail a link of kind
		}{
			{"reset", "reset", func() { a.browser(t).post("/reset", url.Values{"email": {"ada@example.org"}}) }},
			{"verify", "verify", func() {
				a.browser(t).post("/signup", url.Values{"name": {"Bo"}, "email": {"bo@example.org"}, "password": {testPassword}, "age_ok": {"1"}, "consent": {"1"}})
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tt.ask()
				addr := "ada@example.org"
				if tt.kind == "verify" {
					addr = "bo@example.org"
				}
				tok := a.mailedToken(t, addr, tt.kind)
				const n = 8
				statuses := make([]int, n)
				start := make(chan struct{})
				var wg sync.WaitGroup
				for i := range n {
					wg.Go(func() {
						b := a.browser(t)
						<-start
						statuses[i] = b.post("/"+tt.kind+"/"+tok, url.Values{"password": {fmt.Sprintf("racing passphrase %d", i)}}).Status
					})
				}
				close(start)
				wg.Wait()
				won := 0
				for _, st := range statuses {
					switch st {
					case http.StatusOK:
						won++
					case http.StatusGone:
					default:
						t.Errorf("status %d, want 200 once and 410 for the rest", st)
					}
				}
				if won != 1 {
					t.Errorf("%d requests succeeded with one link (%v), want exactly 1", won, statuses)
				}
			})
		}
	})
}

// TestOneNetworkSignsInARoom: at a meeting, everyone signs in through the
// venue's one address. Right passwords are not counted against it, so
// more people than the limit's failures sign in; wrong ones still are.
func TestOneNetworkSignsInARoom(t *testing.T) {
	a := newAccountSite(t, siteOptions{Now: quarterHourClock(), Args: []string{"--trusted-proxies", "127.0.0.1"}})
	a.signUp(t, "Ada", "ada@example.org")
	login := func(password string) int {
		b := a.browser(t)
		b.header.Set("X-Forwarded-For", "198.51.100.200")
		return b.post("/login", url.Values{"email": {"ada@example.org"}, "password": {password}}).Status
	}
	for i := range 70 {
		if got := login(testPassword); got != http.StatusSeeOther {
			t.Fatalf("sign-in %d from the venue: %d, want 303", i+1, got)
		}
	}
	// The account's own lock comes after 10 wrong passwords; the venue's
	// after 60, from many accounts: here, guesses at unknown addresses.
	for i := range 60 {
		b := a.browser(t)
		b.header.Set("X-Forwarded-For", "198.51.100.200")
		b.post("/login", url.Values{"email": {fmt.Sprintf("guess%d@example.org", i)}, "password": {"wrong password"}})
	}
	if got := login(testPassword); got != http.StatusTooManyRequests {
		t.Errorf("after 60 wrong passwords from the venue: %d, want 429", got)
	}
}

// TestClientLimitCountsIPv6Networks: the per-client sign-in limit counts an
// IPv6 client by its /64, so taking a fresh address from one's own network
// for each attempt does not escape it; another network is not limited.
func TestClientLimitCountsIPv6Networks(t *testing.T) {
	a := newAccountSite(t, siteOptions{Now: quarterHourClock(), Args: []string{"--trusted-proxies", "127.0.0.1"}})
	attempt := func(from string, i int) int {
		b := a.browser(t)
		b.header.Set("X-Forwarded-For", from)
		// A different address each time, so only the per-client limit counts.
		return b.post("/login", url.Values{"email": {fmt.Sprintf("guess%d@example.org", i)}, "password": {"wrong password"}}).Status
	}
	last := 0
	for i := range loginPerIP.Max + 1 {
		last = attempt(fmt.Sprintf("2001:db8:1:2::%x", i+1), i)
	}
	tests := []struct {
		from string
		want int
	}{
		{"2001:db8:1:2:ffff::1", http.StatusTooManyRequests},
		{"2001:db8:1:3::1", http.StatusUnauthorized},
		{"192.0.2.7", http.StatusUnauthorized},
	}
	if last != http.StatusTooManyRequests {
		t.Errorf("attempt %d from one /64: %d, want 429", loginPerIP.Max+1, last)
	}
	for i, tt := range tests {
		if got := attempt(tt.from, 1000+i); got != tt.want {
			t.Errorf("from %s: %d, want %d", tt.from, got, tt.want)
		}
	}
}

// TestMailedTokensStayOutOfTheAccessLog: the reset page's address holds
// the token, and a browser sends a page's address as the referrer of what
// it loads. The page asks for no referrer, and the access log redacts one
// that comes anyway, as it does the request's own path.
func TestMailedTokensStayOutOfTheAccessLog(t *testing.T) {
	a := newAccountSite(t, siteOptions{})
	a.makeStaff(t, "Ada", "ada@example.org")
	a.browser(t).post("/reset", url.Values{"email": {"ada@example.org"}})
	tok := a.mailedToken(t, "ada@example.org", "reset")
	page := a.browser(t).get("/reset/" + tok)
	if got := page.Header.Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("reset page Referrer-Policy = %q, want no-referrer", got)
	}
	if got := a.browser(t).get("/privacy").Header.Get("Referrer-Policy"); got != "same-origin" {
		t.Errorf("other pages' Referrer-Policy = %q, want same-origin", got)
	}
	tests := []struct{ name, referrer string }{
		{"reset page", "https://test.example/reset/" + tok},
		{"reset page with query", "https://test.example/reset/" + tok + "?x=1"},
		{"verify page", "https://test.example/verify/" + tok},
		{"path only", "/reset/" + tok},
	}
	for _, tt := range tests {
		b := a.browser(t)
		b.header.Set("Referer", tt.referrer)
		b.get("/privacy")
	}
	lines := a.waitForLines(t, 3+len(tests))
	for _, l := range lines {
		if strings.Contains(l, tok) {
			t.Errorf("an access-log line holds the token: %s", l)
		}
	}
	if !strings.Contains(strings.Join(lines, "\n"), "https://test.example/reset/[token]") {
		t.Errorf("the redacted referrer is not logged:\n%s", strings.Join(lines, "\n"))
	}
}

// TestSignedInPagesAreNotCached: pages served to a signed-in person carry
// Cache-Control: no-store, so neither a shared cache nor the browser's
// history keeps them after sign-out; static files stay cacheable.
func TestSignedInPagesAreNotCached(t *testing.T) {
	a := newAccountSite(t, siteOptions{})
	a.makeStaff(t, "Ada", "ada@example.org", auth.Secretariat)
	b := a.signIn(t, "ada@example.org")
	css := b.get("/").Body
	i := strings.Index(css, "/static/")
	if i < 0 {
		t.Fatal("no stylesheet link on the home page")
	}
	css = css[i : i+strings.IndexByte(css[i:], '"')]
	tests := []struct {
		path string
		want string
	}{
		{"/account", "no-store"},
		{"/admin/people?page=1", "no-store"},
		{"/admin/people/1", "no-store"},
		{"/", "no-store"},
		{css, "public, max-age=31536000, immutable"},
	}
	for _, tt := range tests {
		res := b.get(tt.path)
		if res.Status != 200 || res.Header.Get("Cache-Control") != tt.want {
			t.Errorf("%s: %d Cache-Control %q, want %q", tt.path, res.Status, res.Header.Get("Cache-Control"), tt.want)
		}
	}
}

// TestSearchTermsStayOutOfTheAccessLog: a public search by someone's name
// or address leaves neither in the access log, in the request or in the
// next page's referrer (C2); other parameters are kept.
func TestSearchTermsStayOutOfTheAccessLog(t *testing.T) {
	s := newSite(t, siteOptions{})
	s.get(t, "/drafts?q=ada.lovelace%40example.org&page=2")
	s.do(t, "GET", "/privacy", nil, http.Header{"Referer": {s.URL + "/drafts?q=Ada+Lovelace"}})
	lines := s.waitForLines(t, 2)
	all := strings.Join(lines, "\n")
	for _, secret := range []string{"ada.lovelace", "Lovelace", "%40example"} {
		if strings.Contains(all, secret) {
			t.Errorf("the access log holds the search term %q:\n%s", secret, all)
		}
	}
	for _, want := range []string{"/drafts?q=[search]&page=2", "/drafts?q=[search]"} {
		if !strings.Contains(all, want) {
			t.Errorf("the access log lacks %q:\n%s", want, all)
		}
	}
}

// TestResetLinkDiesWithItsAddress reproduces the tester's report: staff
// add an address from a list posting to Grace's record, she confirms it;
// someone who reads that old mailbox asks for a reset link for it; Grace
// removes the address, which is deactivated (a public record keeps it).
// The link then sets no password, and Grace's own password still signs
// her in. A reset link that outlived its address's deactivation is
// refused with a page that says why.
func TestResetLinkDiesWithItsAddress(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		a := newAccountSite(t, siteOptions{DB: db})
		ctx := context.Background()
		pid := a.signUp(t, "Grace Hopper", "grace@example.org")
		a.makeStaff(t, "Sam Secretariat", "sam@example.org", auth.Secretariat)
		sec := a.signIn(t, "sam@example.org")
		grace := a.signIn(t, "grace@example.org")
		addOld := func(addr string) people.Email {
			t.Helper()
			res := sec.post(fmt.Sprintf("/admin/people/%d/emails", pid), url.Values{"email": {addr}, "origin": {"list-posting"}, "reason": {"asked by phone"}})
			if res.Status != http.StatusSeeOther {
				t.Fatalf("staff adding %s: %d %.300s", addr, res.Status, res.Body)
			}
			if res := grace.post("/verify/"+a.mailedToken(t, "grace@example.org", "verify"), nil); res.Status != 200 {
				t.Fatalf("Grace confirming %s: %d %.300s", addr, res.Status, res.Body)
			}
			_, e, err := people.FindByEmail(ctx, db, addr)
			if err != nil || !e.Verified() {
				t.Fatalf("%s: %+v %v", addr, e, err)
			}
			return e
		}
		old := addOld("grace-old@example.org")
		attacker := a.browser(t)
		attacker.post("/reset", url.Values{"email": {"grace-old@example.org"}})
		tok := a.mailedToken(t, "grace-old@example.org", "reset")
		if res := grace.post(fmt.Sprintf("/account/emails/%d/remove", old.ID), nil); res.Header.Get("Location") != "/account?done=deactivated" {
			t.Fatalf("Grace removing the old address: %d %q", res.Status, res.Header.Get("Location"))
		}
		if res := attacker.post("/reset/"+tok, url.Values{"password": {"the attacker's passphrase"}}); res.Status != http.StatusNotFound {
			t.Errorf("the reset link after its address was removed: %d, want 404: %.300s", res.Status, res.Body)
		}
		if res := a.browser(t).post("/login", url.Values{"email": {"grace@example.org"}, "password": {"the attacker's passphrase"}}); res.Status == http.StatusSeeOther {
			t.Error("the attacker's password signs in")
		}
		a.signIn(t, "grace@example.org")

		// A link issued before deactivating ended the address's links.
		list := addOld("grace-list@example.org")
		attacker.post("/reset", url.Values{"email": {"grace-list@example.org"}})
		tok = a.mailedToken(t, "grace-list@example.org", "reset")
		if _, err := db.Exec(ctx, "UPDATE person_emails SET active = ? WHERE id = ?", false, list.ID); err != nil {
			t.Fatal(err)
		}
		res := attacker.post("/reset/"+tok, url.Values{"password": {"the attacker's passphrase"}})
		if res.Status != http.StatusGone || !strings.Contains(res.Body, "no longer in use on the account") {
			t.Errorf("a reset link whose address is not in use: %d, want 410: %.300s", res.Status, res.Body)
		}
		a.signIn(t, "grace@example.org")
	})
}

// TestSquattedAddressGoesToTheMailboxOwner reproduces the tester's report:
// someone signs up with another person's address and a password of their
// own. The owner's sign-up then gets the same page and the same kind of
// mail as any sign-up (a confirmation link, not "you already have an
// account"); it replaces the unconfirmed one, whose link in the owner's
// mailbox no longer confirms anything, and the owner's link gives her the
// account with her password. Signing up again in between replaces hers,
// but without the mailbox nothing can be confirmed.
func TestSquattedAddressGoesToTheMailboxOwner(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		// The clock moves past the limit on sign-ups per address once.
		var mu sync.Mutex
		at := time.Now()
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return at }
		a := newAccountSite(t, siteOptions{DB: db, Now: clock})
		const victim = "squat-victim@example.org"
		// signUp returns the page and the one mail the sign-up sent to
		// addr, told from earlier mail by when it was sent: mail leaves
		// after the answer, so the newest mail to an address need not be
		// the newest answer's.
		signUp := func(name, addr, password string) (response, mail.Message) {
			t.Helper()
			a.waitForMail()
			before := len(a.outbox.Messages())
			res := a.browser(t).post("/signup", url.Values{"name": {name}, "email": {addr}, "password": {password}, "age_ok": {"1"}, "consent": {"1"}})
			if res.Status != 200 {
				t.Fatalf("sign-up: %d %.300s", res.Status, res.Body)
			}
			a.waitForMail()
			var sent []mail.Message
			for _, m := range a.outbox.Messages()[before:] {
				if strings.EqualFold(m.To, addr) {
					sent = append(sent, m)
				}
			}
			if len(sent) != 1 {
				t.Fatalf("the sign-up sent %d messages to %s, want 1", len(sent), addr)
			}
			return res, sent[0]
		}
		link := func(m mail.Message) string {
			t.Helper()
			sm := linkPattern.FindStringSubmatch(m.Body)
			if sm == nil || sm[1] != "verify" {
				t.Fatalf("no confirmation link in %q", m.Body)
			}
			return sm[2]
		}
		_, first := signUp("Mallory", victim, "mallory's passphrase")
		squatLink := link(first)
		res, own := signUp("Victoria", victim, "victoria's passphrase")
		if fresh, _ := signUp("Nobody", "fresh@example.org", "a fresh passphrase"); strings.ReplaceAll(fresh.Body, "fresh@example.org", victim) != res.Body {
			t.Error("the sign-up page answers differently for an address held by an unconfirmed sign-up")
		}
		if own.Subject != first.Subject || strings.Contains(own.Subject, "already") {
			t.Errorf("the owner's sign-up was mailed %q, the first %q; want the same confirmation", own.Subject, first.Subject)
		}
		ownLink := link(own)
		if ownLink == squatLink {
			t.Fatal("no new link")
		}
		b := a.browser(t)
		for _, res := range []response{b.get("/verify/" + squatLink), b.post("/verify/"+squatLink, nil)} {
			if res.Status != http.StatusNotFound || !strings.Contains(res.Body, "stops working when the address is used to sign up again") {
				t.Errorf("the replaced sign-up's link: %d, want 404 that says why: %.300s", res.Status, res.Body)
			}
		}

		// Mallory signs up again before the owner confirms: the owner's
		// link dies too, and Mallory's password opens nothing.
		signUp("Mallory", victim, "mallory's passphrase")
		if res := b.post("/verify/"+ownLink, nil); res.Status != http.StatusNotFound {
			t.Errorf("a link replaced by a later sign-up: %d, want 404", res.Status)
		}
		if res := a.browser(t).post("/login", url.Values{"email": {victim}, "password": {"mallory's passphrase"}}); res.Status != http.StatusForbidden {
			t.Errorf("Mallory signing in unconfirmed: %d, want 403", res.Status)
		}
		// The owner signs up once more and follows her newest link.
		mu.Lock()
		at = at.Add(16 * time.Minute)
		mu.Unlock()
		_, newest := signUp("Victoria", victim, "victoria's passphrase")
		if res := b.post("/verify/"+link(newest), nil); res.Status != 200 {
			t.Fatalf("the owner's newest link: %d %.300s", res.Status, res.Body)
		}
		page := a.signInWith(t, victim, "victoria's passphrase").get("/account").Body
		if !strings.Contains(page, "Victoria") || strings.Contains(page, "Mallory") {
			t.Errorf("the owner's account page: %.500s", page)
		}
		if res := a.browser(t).post("/login", url.Values{"email": {victim}, "password": {"mallory's passphrase"}}); res.Status != http.StatusUnauthorized {
			t.Errorf("Mallory's password: %d, want 401", res.Status)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM people"); n != 2 {
			t.Errorf("%d people, want the owner and the fresh sign-up", n)
		}
	})
}

// TestDraftAuthorCanClaimTheirAddress reproduces the tester's report: a
// posted draft makes a record for its author's address, which then
// answered every sign-up with it "you already have an account", sent no
// reset link (the address is unconfirmed) and refused to be added to an
// account. Now a sign-up with it is answered and mailed as any sign-up,
// and once the link is followed the account holds the address, signs in,
// and is the one the draft's author row is linked to; an account adding
// another author's address gets a confirmation link mailed there, not the
// "already belongs to an account" notice, and takes it over the same way.
func TestDraftAuthorCanClaimTheirAddress(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		a := newAccountSite(t, siteOptions{DB: db})
		ctx := context.Background()
		sue := a.signUp(t, "Sue Submitter", "sue@example.net")
		sb := a.signIn(t, "sue@example.net")
		submit := func(draft []byte) {
			t.Helper()
			body, ct := upload(t, nil, draft, "1")
			if res := sb.do("POST", "/drafts/submit", body, ct); res.Status != http.StatusSeeOther {
				t.Fatalf("submission: %d %.300s", res.Status, res.Body)
			}
		}
		submit(ownDraft("draft-test-alex", "00", "Alex wrote it."))
		bea := strings.NewReplacer("Alex Example", "Bea Example", "alex@example.net", "bea@example.net").Replace(string(ownDraft("draft-test-bea", "00", "Bea wrote it.")))
		submit([]byte(bea))
		authorLink := func(addr string) int64 {
			t.Helper()
			var id *int64
			if err := db.QueryRow(ctx, "SELECT person_id FROM draft_authors WHERE email = ?", addr).Scan(&id); err != nil || id == nil {
				t.Fatalf("the author row of %s: %v %v", addr, id, err)
			}
			return *id
		}
		record := authorLink("alex@example.net")

		signUp := func(addr string) response {
			return a.browser(t).post("/signup", url.Values{"name": {"Alex Example"}, "email": {addr}, "password": {"alex's own passphrase"}, "age_ok": {"1"}, "consent": {"1"}})
		}
		// Typed with a capital, as the draft did not spell it.
		res := signUp("Alex@example.net")
		if fresh := signUp("fresh@example.org"); res.Status != 200 || strings.ReplaceAll(fresh.Body, "fresh@example.org", "Alex@example.net") != res.Body {
			t.Errorf("the sign-up with a draft author's address answers differently: %d", res.Status)
		}
		if m, ok := a.newestMail(t, "alex@example.net", func(mail.Message) bool { return true }); !ok || !strings.HasPrefix(m.Subject, "Confirm your e-mail address") || !strings.Contains(m.Body, "/verify/") {
			t.Fatalf("the sign-up's mail: %q %q", m.Subject, m.Body)
		}
		if res := a.browser(t).post("/verify/"+a.mailedToken(t, "alex@example.net", "verify"), nil); res.Status != 200 || !strings.Contains(res.Body, "alex@example.net is confirmed") {
			t.Fatalf("following the link: %d %.300s", res.Status, res.Body)
		}
		page := a.signInWith(t, "alex@example.net", "alex's own passphrase").get("/account").Body
		if !strings.Contains(page, "Alex Example") || !strings.Contains(page, "alex@example.net") {
			t.Errorf("the new account's page: %.500s", page)
		}
		alex, _, err := people.FindByEmail(ctx, db, "alex@example.net")
		if err != nil || alex.ID == record || authorLink("alex@example.net") != alex.ID {
			t.Errorf("the author row is linked to %d; the address belongs to %d (%v), the record was %d", authorLink("alex@example.net"), alex.ID, err, record)
		}
		if d := a.get(t, "/drafts/draft-test-alex"); !strings.Contains(d.Body, "Alex Example") {
			t.Error("the draft no longer names its author")
		}

		// Sue adds Bea's address to her account (Bea is Sue, say).
		if res := sb.post("/account/emails", url.Values{"email": {"bea@example.net"}}); res.Status != http.StatusSeeOther {
			t.Fatalf("adding the address: %d", res.Status)
		}
		if m, ok := a.newestMail(t, "bea@example.net", func(mail.Message) bool { return true }); !ok || !strings.Contains(m.Body, "/verify/") {
			t.Fatalf("the mail to the added address: %q %q", m.Subject, m.Body)
		}
		if res := sb.post("/verify/"+a.mailedToken(t, "bea@example.net", "verify"), nil); res.Status != 200 {
			t.Fatalf("following the link: %d %.300s", res.Status, res.Body)
		}
		if page := sb.get("/account").Body; !strings.Contains(page, "bea@example.net") {
			t.Error("Sue's account page does not list the address")
		}
		if got := authorLink("bea@example.net"); got != sue {
			t.Errorf("Bea's author row is linked to %d, want Sue's account %d", got, sue)
		}
	})
}
