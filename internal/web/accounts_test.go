package web

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"plenary/internal/auth"
	"plenary/internal/inventory"
	"plenary/internal/mail"
	"plenary/internal/people"
	"plenary/internal/policy"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// accountSite is the real application with real sign-in: sessions looked
// up in the database, mail kept in an outbox, passwords hashed with cheap
// argon2id parameters, and the server log captured.
type accountSite struct {
	*site
	outbox *mail.Outbox
	srvLog *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func newAccountSite(t testing.TB, o siteOptions) *accountSite {
	t.Helper()
	a := &accountSite{outbox: &mail.Outbox{}, srvLog: &syncBuffer{}}
	extra := o.Routes
	o.Routes = func(s *Server) {
		s.Identify = s.identifySession
		s.Mail = a.outbox
		s.Hasher = auth.FastHasher()
		s.Log = slog.New(slog.NewTextHandler(a.srvLog, &slog.HandlerOptions{Level: slog.LevelDebug}))
		if extra != nil {
			extra(s)
		}
	}
	a.site = newSite(t, o)
	return a
}

// browser is one visitor with a cookie jar that does not follow redirects.
type browser struct {
	t      testing.TB
	site   *accountSite
	client *http.Client
	header http.Header
}

func (a *accountSite) browser(t testing.TB) *browser {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Transport: a.Client.Transport, Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &browser{t: t, site: a, client: c, header: http.Header{}}
}

func (b *browser) do(method, target string, body io.Reader, contentType string) response {
	b.t.Helper()
	req, err := http.NewRequest(method, b.site.URL+target, body)
	if err != nil {
		b.t.Fatal(err)
	}
	for k, v := range b.header {
		req.Header[k] = v
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, target, err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return response{Status: res.StatusCode, Header: res.Header, Body: string(data)}
}

func (b *browser) get(target string) response { b.t.Helper(); return b.do("GET", target, nil, "") }

func (b *browser) post(target string, form url.Values) response {
	b.t.Helper()
	return b.do("POST", target, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
}

func (b *browser) cookie(name string) *http.Cookie {
	u, _ := url.Parse(b.site.URL)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// waitForMail waits for the messages the server sends after answering.
func (a *accountSite) waitForMail() { a.Server.Wait() }

var linkPattern = regexp.MustCompile(`/(verify|reset|signin)/([A-Za-z0-9_-]{20,})`)

// newestMailWith returns the submatches of re in the newest mail to addr
// that has a match. Mail sent after different answers can arrive in any
// order (each is delivered by its own goroutine), so the newest mail to an
// address may be an earlier answer's; the link a test asks for is the
// newest of its kind.
func (a *accountSite) newestMailWith(t testing.TB, addr string, re *regexp.Regexp, match func([]string) bool) []string {
	t.Helper()
	a.waitForMail()
	msgs := a.outbox.Messages()
	var newest *mail.Message
	for i := len(msgs) - 1; i >= 0; i-- {
		if !strings.EqualFold(msgs[i].To, addr) {
			continue
		}
		if newest == nil {
			newest = &msgs[i]
		}
		for _, sm := range re.FindAllStringSubmatch(msgs[i].Body, -1) {
			if match == nil || match(sm) {
				return sm
			}
		}
	}
	if newest == nil {
		t.Fatalf("no mail to %s", addr)
	}
	t.Fatalf("no mail to %s has a link matching %s; the newest: %q", addr, re, newest.Body)
	return nil
}

// newestMail returns the newest mail to addr for which match holds, once
// the mail sent after earlier answers has left. As with newestMailWith,
// the newest mail to an address may be an earlier answer's: a test that
// wants one kind of mail picks it by what it holds.
func (a *accountSite) newestMail(t testing.TB, addr string, match func(mail.Message) bool) (mail.Message, bool) {
	t.Helper()
	a.waitForMail()
	msgs := a.outbox.Messages()
	for i := len(msgs) - 1; i >= 0; i-- {
		if strings.EqualFold(msgs[i].To, addr) && match(msgs[i]) {
			return msgs[i], true
		}
	}
	return mail.Message{}, false
}

// mailedToken returns the token of the newest /kind/ link mailed to addr.
func (a *accountSite) mailedToken(t testing.TB, addr, kind string) string {
	t.Helper()
	return a.newestMailWith(t, addr, linkPattern, func(sm []string) bool { return sm[1] == kind })[2]
}

const testPassword = "a long enough passphrase"

// signUp signs up, confirms by the mailed link and returns the person id.
func (a *accountSite) signUp(t testing.TB, name, addr string) int64 {
	t.Helper()
	b := a.browser(t)
	res := b.post("/signup", url.Values{"name": {name}, "email": {addr}, "password": {testPassword}, "age_ok": {"1"}, "consent": {"1"}})
	if res.Status != 200 || !strings.Contains(res.Body, "Check your mail") {
		t.Fatalf("sign-up: %d %.300s", res.Status, res.Body)
	}
	tok := a.mailedToken(t, addr, "verify")
	if res := b.post("/verify/"+tok, nil); res.Status != 200 {
		t.Fatalf("confirming: %d %.300s", res.Status, res.Body)
	}
	p, _, err := people.FindByEmail(context.Background(), a.DB, addr)
	if err != nil {
		t.Fatal(err)
	}
	return p.ID
}

// signIn returns a signed-in browser.
func (a *accountSite) signIn(t testing.TB, addr string) *browser {
	t.Helper()
	return a.signInWith(t, addr, testPassword)
}

// signInWith signs in with password and returns the browser.
func (a *accountSite) signInWith(t testing.TB, addr, password string) *browser {
	t.Helper()
	b := a.browser(t)
	res := b.post("/login", url.Values{"email": {addr}, "password": {password}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("sign-in as %s: %d %.300s", addr, res.Status, res.Body)
	}
	return b
}

// makeStaff creates a confirmed person with roles directly in the store.
func (a *accountSite) makeStaff(t testing.TB, name, addr string, roles ...auth.Role) int64 {
	t.Helper()
	hash, _ := auth.FastHasher().Hash(testPassword)
	var id int64
	err := a.DB.Tx(context.Background(), func(tx *store.Tx) error {
		p, _, err := people.Create(context.Background(), tx, people.New{Name: name, Email: addr, Origin: people.OriginStaff, Verified: true, PasswordHash: hash, AgeAttested: true, Roles: append([]auth.Role{auth.Participant}, roles...)}, time.Now())
		id = p.ID
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func count(t testing.TB, db *store.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// TestSignUpConfirmSignIn walks the account flow on both engines (C4, C5,
// C6, K1): the form discloses what it collects, where and by whom; sign-up
// sets no cookie and records consent with the version and transfer
// statement; the mailed link's GET changes nothing, its POST confirms once
// and a replay changes nothing; sign-in sets the session cookie only.
func TestSignUpConfirmSignIn(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		a := newAccountSite(t, siteOptions{DB: db, Args: []string{"--org-country", "Switzerland"}})
		ctx := context.Background()
		b := a.browser(t)
		form := b.get("/signup")
		for _, want := range []string{"in Switzerland", "Test Standards Body", "no outside service provider", `href="/privacy"`, "your name", "13 years old or older", `name="age_ok"`, `name="consent"`} {
			if !strings.Contains(form.Body, want) {
				t.Errorf("sign-up form lacks %q", want)
			}
		}
		res := b.post("/signup", url.Values{"name": {"Ada Lovelace"}, "email": {"ada@example.org"}, "password": {testPassword}, "age_ok": {"1"}, "consent": {"1"}})
		if res.Status != 200 || len(res.Header.Values("Set-Cookie")) != 0 {
			t.Fatalf("sign-up: %d, cookies %q", res.Status, res.Header.Values("Set-Cookie"))
		}
		p, e, err := people.FindByEmail(ctx, db, "ada@example.org")
		if err != nil || p.Name != "Ada Lovelace" || e.Verified() || e.Origin != people.OriginSelf || p.PasswordHash() == testPassword {
			t.Fatalf("stored %+v %+v %v", p, e, err)
		}
		entries, _ := policy.Entries(ctx, db, p.ID)
		cur, _ := a.Policy.Current(ctx)
		if len(entries) != 1 || entries[0].VersionID != cur.ID || entries[0].Channel != "web" || !entries[0].Granted ||
			entries[0].Purpose != policy.PurposeAccount || !strings.Contains(entries[0].Transfer, "in Switzerland") {
			t.Errorf("consent ledger = %+v", entries)
		}
		// Not confirmed yet: the right password is not enough.
		if res := b.post("/login", url.Values{"email": {"ada@example.org"}, "password": {testPassword}}); res.Status != http.StatusForbidden || !strings.Contains(res.Body, "confirm your address") {
			t.Errorf("sign-in before confirming: %d %.200s", res.Status, res.Body)
		}
		tok := a.mailedToken(t, "ada@example.org", "verify")
		for i := 0; i < 2; i++ {
			if res := b.get("/verify/" + tok); res.Status != 200 || !strings.Contains(res.Body, `method="post"`) {
				t.Fatalf("GET verify: %d", res.Status)
			}
		}
		if _, e, _ := people.FindByEmail(ctx, db, "ada@example.org"); e.Verified() {
			t.Fatal("a GET confirmed the address")
		}
		if res := b.post("/verify/"+tok, nil); res.Status != 200 || !strings.Contains(res.Body, "is confirmed") {
			t.Fatalf("POST verify: %d %.200s", res.Status, res.Body)
		}
		_, e, _ = people.FindByEmail(ctx, db, "ada@example.org")
		if !e.Verified() {
			t.Fatal("not confirmed")
		}
		replay := b.post("/verify/"+tok, nil)
		if replay.Status != http.StatusGone || !strings.Contains(replay.Body, "already been used") {
			t.Errorf("replayed link: %d %.200s", replay.Status, replay.Body)
		}
		if _, e2, _ := people.FindByEmail(ctx, db, "ada@example.org"); !e2.VerifiedAt.Equal(*e.VerifiedAt) {
			t.Error("the replay changed the address")
		}
		if res := b.get("/verify/" + tok); res.Status != http.StatusGone {
			t.Errorf("GET of a used link: %d", res.Status)
		}

		res = b.post("/login", url.Values{"email": {"ADA@example.org"}, "password": {testPassword}, "next": {"/privacy"}})
		if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/privacy" {
			t.Fatalf("sign-in: %d to %q", res.Status, res.Header.Get("Location"))
		}
		set := strings.Join(res.Header.Values("Set-Cookie"), "\n")
		if !strings.Contains(set, inventory.SessionCookie.Name()+"=") || strings.Contains(set, inventory.RememberCookie.Name()) ||
			!strings.Contains(set, "HttpOnly") || !strings.Contains(set, "SameSite=Lax") || strings.Contains(set, "Max-Age") {
			t.Errorf("sign-in cookies: %s", set)
		}
		sess := b.cookie(inventory.SessionCookie.Name()).Value
		if count(t, db, "SELECT COUNT(*) FROM sessions WHERE token_hash = ?", auth.HashToken(sess)) != 1 || count(t, db, "SELECT COUNT(*) FROM sessions WHERE token_hash = ?", sess) != 0 {
			t.Error("the session is not stored as a hash of its token")
		}
		acct := b.get("/account")
		for _, want := range []string{"Ada Lovelace", "ada@example.org", "added by you", policy.PurposeAccount, "in Switzerland", ">web<", "confirmed"} {
			if !strings.Contains(acct.Body, want) {
				t.Errorf("account page lacks %q", want)
			}
		}
		// Sign out ends the session on the server, not only in the browser.
		if res := b.post("/logout", nil); res.Status != http.StatusSeeOther {
			t.Errorf("sign out: %d", res.Status)
		}
		again := a.browser(t)
		again.header.Set("Cookie", inventory.SessionCookie.Name()+"="+sess)
		if res := again.get("/account"); res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
			t.Errorf("the old session still works after sign-out: %d", res.Status)
		}
	})
}

// TestSignUpWithoutAgeKeepsNothing covers CH1: without the age
// attestation, nothing typed is stored in any table, the access log or the
// server log, no mail is sent, and the refusal page shows none of it.
func TestSignUpWithoutAgeKeepsNothing(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		a := newAccountSite(t, siteOptions{DB: db})
		b := a.browser(t)
		typed := map[string]string{"name": "Tommy Tiny Zyxwv", "email": "tommy.zyxwv@kids.example", "password": "my secret Qwerty123"}
		for _, consent := range []string{"", "1"} {
			form := url.Values{"name": {typed["name"]}, "email": {typed["email"]}, "password": {typed["password"]}}
			if consent != "" {
				form.Set("consent", consent)
			}
			res := b.post("/signup", form)
			if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, "13 or older") || !strings.Contains(res.Body, "Nothing you typed has been kept") {
				t.Errorf("refusal: %d %.300s", res.Status, res.Body)
			}
			for _, v := range typed {
				if strings.Contains(res.Body, v) {
					t.Errorf("the refusal page shows %q", v)
				}
			}
			if len(res.Header.Values("Set-Cookie")) != 0 {
				t.Error("the refusal set a cookie")
			}
		}
		a.waitForMail()
		if n := len(a.outbox.Messages()); n != 0 {
			t.Errorf("%d messages sent", n)
		}
		assertNowhere(t, a, typed)
	})
}

// assertNowhere checks every column of every table, the access log files
// and the server log for the typed values.
func assertNowhere(t *testing.T, a *accountSite, typed map[string]string) {
	t.Helper()
	a.waitForMail() // mail leaves after the answer; what it logs must be here too
	needles := map[string]string{}
	for field, v := range typed {
		needles["the typed "+field] = v
		needles[field+" (hashed)"] = auth.HashToken("signup-address\x00" + strings.ToLower(v))
	}
	for _, f := range storetest.FindInTables(t, a.DB, needles) {
		t.Errorf("table %s", f)
	}
	logs, _ := os.ReadDir(a.LogDir)
	var all strings.Builder
	for _, f := range logs {
		b, _ := os.ReadFile(filepath.Join(a.LogDir, f.Name()))
		all.Write(b)
	}
	all.WriteString(a.srvLog.String())
	for field, v := range typed {
		for _, form := range []string{v, url.QueryEscape(v)} {
			if strings.Contains(all.String(), form) {
				t.Errorf("a log holds the typed %s", field)
			}
		}
	}
}

// TestSignUpRejectsBadInput: each bad form gets a clear message, never
// echoes the password, and stores nothing.
func TestSignUpRejectsBadInput(t *testing.T) {
	a := newAccountSite(t, siteOptions{})
	good := func() url.Values {
		return url.Values{"name": {"Ada"}, "email": {"ada@example.org"}, "password": {testPassword}, "age_ok": {"1"}, "consent": {"1"}}
	}
	tests := []struct {
		name   string
		change func(v url.Values)
		status int
		want   string
	}{
		{"no consent", func(v url.Values) { v.Del("consent") }, 400, "agree to the privacy statement"},
		{"empty name", func(v url.Values) { v.Set("name", "  ") }, 400, "name is required"},
		{"invalid UTF-8 name", func(v url.Values) { v.Set("name", "Ada\xff\xfe") }, 400, "not valid text"},
		{"control character in name", func(v url.Values) { v.Set("name", "Ada\x1b[31m") }, 400, "control characters"},
		{"long name", func(v url.Values) { v.Set("name", strings.Repeat("n", 201)) }, 400, "too long"},
		{"no address", func(v url.Values) { v.Set("email", "") }, 400, "address is required"},
		{"malformed address", func(v url.Values) { v.Set("email", "ada at example.org") }, 400, "does not look like an e-mail address"},
		{"two addresses", func(v url.Values) { v.Set("email", "ada@example.org, bob@example.org") }, 400, "does not look like"},
		{"header injection", func(v url.Values) { v.Set("email", "ada@example.org\r\nBcc: x@example.org") }, 400, "does not look like"},
		{"short password", func(v url.Values) { v.Set("password", "Qz9!x") }, 400, "too short"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := good()
			tt.change(v)
			res := a.browser(t).post("/signup", v)
			if res.Status != tt.status || !strings.Contains(res.Body, tt.want) || !strings.Contains(res.Body, "Nothing was saved") {
				t.Errorf("%d, want %d with %q: %.400s", res.Status, tt.status, tt.want, res.Body)
			}
			if strings.Contains(res.Body, v.Get("password")) {
				t.Error("the page shows the password")
			}
		})
	}
	big := a.browser(t).do("POST", "/signup", strings.NewReader("name="+strings.Repeat("x", 2<<20)+"&age_ok=1&consent=1"), "application/x-www-form-urlencoded")
	if big.Status != http.StatusRequestEntityTooLarge || !strings.Contains(big.Body, "Nothing was saved") {
		t.Errorf("oversized body: %d %.200s", big.Status, big.Body)
	}
	if n := count(t, a.DB, "SELECT COUNT(*) FROM people"); n != 0 {
		t.Errorf("%d people stored from bad forms", n)
	}
	// A second sign-up with a taken address answers the same as the first
	// and mails the owner instead of telling the stranger.
	a.signUp(t, "Ada", "ada@example.org")
	res := a.browser(t).post("/signup", good())
	if res.Status != 200 || !strings.Contains(res.Body, "Check your mail") {
		t.Errorf("sign-up with a taken address: %d", res.Status)
	}
	a.waitForMail() // the mail leaves after the answer
	if m, _ := a.outbox.Last("ada@example.org"); !strings.Contains(m.Subject, "already have an account") {
		t.Errorf("owner was mailed %q", m.Subject)
	}
	if n := count(t, a.DB, "SELECT COUNT(*) FROM people"); n != 1 {
		t.Errorf("%d people after a duplicate sign-up", n)
	}
}

// TestRememberMeAndPrivacySignals covers K1 and K4: the persistent cookie
// is set only when asked for and no Sec-GPC or DNT signal is sent; then
// the page says why; the persistent cookie starts a new session later.
func TestRememberMeAndPrivacySignals(t *testing.T) {
	a := newAccountSite(t, siteOptions{})
	a.signUp(t, "Ada", "ada@example.org")
	tests := []struct {
		name         string
		remember     bool
		header       string
		value        string
		wantRemember bool
		wantText     string
	}{
		{"no remember", false, "", "", false, ""},
		{"remember", true, "", "", true, ""},
		{"remember with GPC", true, "Sec-GPC", "1", false, "Global Privacy Control"},
		{"remember with DNT", true, "DNT", "1", false, "Do Not Track"},
		{"remember with DNT 0", true, "DNT", "0", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := a.browser(t)
			if tt.header != "" {
				b.header.Set(tt.header, tt.value)
				if tt.value == "1" {
					if form := b.get("/login"); !strings.Contains(form.Body, tt.wantText) {
						t.Errorf("the sign-in form does not mention %s", tt.wantText)
					}
				}
			}
			v := url.Values{"email": {"ada@example.org"}, "password": {testPassword}}
			if tt.remember {
				v.Set("remember", "1")
			}
			res := b.post("/login", v)
			set := strings.Join(res.Header.Values("Set-Cookie"), "\n")
			if got := strings.Contains(set, inventory.RememberCookie.Name()+"="); got != tt.wantRemember {
				t.Errorf("persistent cookie set = %v, want %v: %s", got, tt.wantRemember, set)
			}
			if !strings.Contains(set, inventory.SessionCookie.Name()+"=") {
				t.Errorf("no session cookie: %s", set)
			}
			if tt.wantText != "" && (res.Status != 200 || !strings.Contains(res.Body, "did not set the persistent cookie") || !strings.Contains(res.Body, tt.wantText)) {
				t.Errorf("page does not say why: %d %.300s", res.Status, res.Body)
			}
			if tt.wantRemember {
				if !strings.Contains(set, "Max-Age=2592000") || !strings.Contains(set, "HttpOnly") {
					t.Errorf("persistent cookie attributes: %s", set)
				}
				// A new browser session with only the persistent cookie
				// is signed in again with a fresh session cookie.
				later := a.browser(t)
				later.header.Set("Cookie", inventory.RememberCookie.Name()+"="+b.cookie(inventory.RememberCookie.Name()).Value)
				res := later.get("/account")
				if res.Status != 200 || !strings.Contains(strings.Join(res.Header.Values("Set-Cookie"), ""), inventory.SessionCookie.Name()+"=") {
					t.Errorf("remembered visit: %d %q", res.Status, res.Header.Values("Set-Cookie"))
				}
			}
		})
	}
	stale := a.browser(t)
	stale.header.Set("Cookie", inventory.RememberCookie.Name()+"=stale")
	if res := stale.get("/"); !strings.Contains(strings.Join(res.Header.Values("Set-Cookie"), ""), "Max-Age=0") {
		t.Errorf("a stale persistent cookie is not cleared: %q", res.Header.Values("Set-Cookie"))
	}
}

func TestSessionCookieIsSecureUnderTLS(t *testing.T) {
	a := newAccountSite(t, siteOptions{TLS: true})
	a.makeStaff(t, "Ada", "ada@example.org")
	res := a.browser(t).post("/login", url.Values{"email": {"ada@example.org"}, "password": {testPassword}})
	set := strings.Join(res.Header.Values("Set-Cookie"), "\n")
	if res.Status != http.StatusSeeOther || !strings.Contains(set, "Secure") || !strings.Contains(set, "HttpOnly") || !strings.Contains(set, "SameSite=Lax") {
		t.Errorf("%d %s", res.Status, set)
	}
}

func TestSignInFailuresAndLimits(t *testing.T) {
	a := newAccountSite(t, siteOptions{Now: quarterHourClock()})
	a.signUp(t, "Ada", "ada@example.org")
	tests := []struct {
		name, email, password, next string
		status                      int
		want                        string
	}{
		{"wrong password", "ada@example.org", "wrong password!", "", 401, "not right"},
		{"unknown address", "nobody@example.org", testPassword, "", 401, "not right"},
		{"empty", "", "", "", 400, "Please give"},
		{"invalid UTF-8", "ada\xff@example.org", testPassword, "", 400, "not valid text"},
		{"offsite next", "ada@example.org", testPassword, "//evil.example/x", 303, "/account"},
		{"scheme next", "ada@example.org", testPassword, "https://evil.example/", 303, "/account"},
		{"backslash next", "ada@example.org", testPassword, "/\\evil.example", 303, "/account"},
		{"local next", "ada@example.org", testPassword, "/privacy/cookies", 303, "/privacy/cookies"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := a.browser(t).post("/login", url.Values{"email": {tt.email}, "password": {tt.password}, "next": {tt.next}})
			got := res.Body
			if res.Status == 303 {
				got = res.Header.Get("Location")
			}
			if res.Status != tt.status || !strings.Contains(got, tt.want) {
				t.Errorf("%d %q, want %d %q", res.Status, got, tt.status, tt.want)
			}
			if strings.Contains(res.Body, tt.password) && tt.password != "" {
				t.Error("the page shows the password")
			}
		})
	}
	// Per address: a few more wrong passwords reach the limit.
	var last response
	for i := 0; i < 12; i++ {
		last = a.browser(t).post("/login", url.Values{"email": {"ada@example.org"}, "password": {"guess " + fmt.Sprint(i)}})
	}
	if last.Status != http.StatusTooManyRequests || !regexp.MustCompile(`too many failed sign-ins, so for the next \d+ minutes? a password alone`).MatchString(last.Body) {
		t.Errorf("after many attempts: %d %.300s", last.Status, last.Body)
	}
	// The right password does not sign in, but mails a sign-in link
	// (TestOneClientCannotLockAnAccountOut follows it).
	if res := a.browser(t).post("/login", url.Values{"email": {"ada@example.org"}, "password": {testPassword}}); res.Status != http.StatusTooManyRequests {
		t.Errorf("the right password during the lock-out: %d", res.Status)
	}
	a.mailedToken(t, "ada@example.org", "signin")
}

// TestPasswordReset: the mailed link sets a new password once, signs out
// other sessions, and a replay changes nothing.
func TestPasswordReset(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		a := newAccountSite(t, siteOptions{DB: db})
		a.signUp(t, "Ada", "ada@example.org")
		other := a.signIn(t, "ada@example.org")
		b := a.browser(t)
		if res := b.get("/reset"); res.Status != 200 {
			t.Fatalf("reset form: %d", res.Status)
		}
		for _, addr := range []string{"ada@example.org", "nobody@example.org"} {
			res := b.post("/reset", url.Values{"email": {addr}})
			if res.Status != 200 || !strings.Contains(res.Body, "If "+addr+" belongs to an account") {
				t.Errorf("reset request for %s: %d", addr, res.Status)
			}
		}
		a.waitForMail()
		if _, ok := a.outbox.Last("nobody@example.org"); ok {
			t.Error("mail sent to an address without an account")
		}
		if res := b.post("/reset", url.Values{"email": {"not an address"}}); res.Status != 400 {
			t.Errorf("malformed address: %d", res.Status)
		}
		tok := a.mailedToken(t, "ada@example.org", "reset")
		if res := b.get("/reset/" + tok); res.Status != 200 || !strings.Contains(res.Body, `action="/reset/`) {
			t.Fatalf("reset page: %d", res.Status)
		}
		if res := b.post("/reset/"+tok, url.Values{"password": {"short"}}); res.Status != 400 || !strings.Contains(res.Body, "not changed") {
			t.Errorf("short new password: %d", res.Status)
		}
		if res := b.post("/reset/"+tok, url.Values{"password": {"a brand new passphrase"}}); res.Status != 200 || !strings.Contains(res.Body, "password is changed") {
			t.Fatalf("reset: %d %.300s", res.Status, res.Body)
		}
		if res := b.post("/reset/"+tok, url.Values{"password": {"an attacker's passphrase"}}); res.Status != http.StatusGone || !strings.Contains(res.Body, "already been used") {
			t.Errorf("replayed reset: %d", res.Status)
		}
		if res := b.post("/reset/nonsense-token-that-is-long-enough", url.Values{"password": {"an attacker's passphrase"}}); res.Status != http.StatusNotFound {
			t.Errorf("unknown reset token: %d", res.Status)
		}
		if res := other.get("/account"); res.Status != http.StatusSeeOther {
			t.Errorf("the other session survived the reset: %d", res.Status)
		}
		if res := a.browser(t).post("/login", url.Values{"email": {"ada@example.org"}, "password": {testPassword}}); res.Status != 401 {
			t.Errorf("old password: %d", res.Status)
		}
		if res := a.browser(t).post("/login", url.Values{"email": {"ada@example.org"}, "password": {"a brand new passphrase"}}); res.Status != 303 {
			t.Errorf("new password: %d", res.Status)
		}
	})
}

// TestAccountCorrection covers R3 for the participant: every field can be
// corrected, with a history of changes; addresses can be added, confirmed,
// made primary and removed, except that one from a public record is only
// deactivated; bad input changes nothing.
func TestAccountCorrection(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		a := newAccountSite(t, siteOptions{DB: db})
		ctx := context.Background()
		pid := a.signUp(t, "Ada Lovelace", "ada@example.org")
		b := a.signIn(t, "ada@example.org")
		res := b.post("/account", url.Values{"name": {"Ada King"}, "affiliation": {"Analytical Engines Ltd"}, "postal_address": {"1 Square\nLondon"}})
		if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/account?done=saved" {
			t.Fatalf("update: %d %q", res.Status, res.Header.Get("Location"))
		}
		page := b.get("/account?done=saved").Body
		for _, want := range []string{"Your changes are saved", "Ada King", "Analytical Engines Ltd", "Ada Lovelace", "postal_address", ">you<"} {
			if !strings.Contains(page, want) {
				t.Errorf("account page lacks %q", want)
			}
		}
		for _, bad := range []url.Values{
			{"name": {""}},
			{"name": {"Ada\xff"}},
			{"name": {"Ada"}, "affiliation": {strings.Repeat("x", 301)}},
		} {
			res := b.post("/account", bad)
			if res.Status != 400 || !strings.Contains(res.Body, "Nothing was") {
				t.Errorf("bad update %q: %d", bad, res.Status)
			}
		}
		if p, _ := people.Get(ctx, db, pid); p.Name != "Ada King" {
			t.Errorf("bad input changed the name to %q", p.Name)
		}

		// Add, confirm, make primary, remove.
		if res := b.post("/account/emails", url.Values{"email": {"ada@work.example"}}); res.Status != http.StatusSeeOther {
			t.Fatalf("add address: %d %.200s", res.Status, res.Body)
		}
		if res := b.post("/account/emails", url.Values{"email": {"bad address"}}); res.Status != 400 {
			t.Errorf("malformed address: %d", res.Status)
		}
		tok := a.mailedToken(t, "ada@work.example", "verify")
		b.post("/verify/"+tok, nil)
		_, work, _ := people.FindByEmail(ctx, db, "ada@work.example")
		if !work.Verified() {
			t.Fatal("added address not confirmed")
		}
		if res := b.post(fmt.Sprintf("/account/emails/%d/primary", work.ID), nil); res.Status != http.StatusSeeOther {
			t.Errorf("make primary: %d", res.Status)
		}
		_, old, _ := people.FindByEmail(ctx, db, "ada@example.org")
		if res := b.post(fmt.Sprintf("/account/emails/%d/remove", work.ID), nil); res.Status != http.StatusConflict {
			t.Errorf("removing the primary: %d", res.Status)
		}
		if res := b.post(fmt.Sprintf("/account/emails/%d/remove", old.ID), nil); res.Header.Get("Location") != "/account?done=removed" {
			t.Errorf("remove: %d %q", res.Status, res.Header.Get("Location"))
		}
		if _, _, err := people.FindByEmail(ctx, db, "ada@example.org"); err == nil {
			t.Error("removed address still stored")
		}
		// An address from a public record is deactivated, not erased.
		var draft people.Email
		db.Tx(ctx, func(tx *store.Tx) error {
			var err error
			draft, err = people.AddEmail(ctx, tx, pid, 0, "ada@drafts.example", people.OriginDraftAuthor, time.Now())
			return err
		})
		if page := b.get("/account").Body; !strings.Contains(page, "public record") || !strings.Contains(page, "Deactivate") {
			t.Error("the page does not explain public-record addresses")
		}
		if res := b.post(fmt.Sprintf("/account/emails/%d/remove", draft.ID), nil); res.Header.Get("Location") != "/account?done=deactivated" {
			t.Errorf("deactivate: %d %q", res.Status, res.Header.Get("Location"))
		}
		if _, e, err := people.FindByEmail(ctx, db, "ada@drafts.example"); err != nil || e.Active {
			t.Errorf("public-record address: %+v %v", e, err)
		}
		// Someone else's address id is not found, not touched.
		otherID := a.makeStaff(t, "Bob", "bob@example.org")
		bobEmail, _ := people.Primary(ctx, db, otherID)
		if res := b.post(fmt.Sprintf("/account/emails/%d/remove", bobEmail.ID), nil); res.Status != 404 {
			t.Errorf("removing another person's address: %d", res.Status)
		}
	})
}

// TestMaterialChangeAsksForAcknowledgement covers V3: after a material
// version is published, a signed-in participant's pages lead to the
// acknowledgement with the diff until they acknowledge; the ledger names
// the version.
func TestMaterialChangeAsksForAcknowledgement(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		a := newAccountSite(t, siteOptions{DB: db})
		ctx := context.Background()
		pid := a.signUp(t, "Ada", "ada@example.org")
		b := a.signIn(t, "ada@example.org")
		if res := b.get("/account"); res.Status != 200 {
			t.Fatalf("account: %d", res.Status)
		}
		cur, _ := a.Policy.Current(ctx)
		v, err := a.Policy.Publish(ctx, cur.Template+"\n## Newsletters\n\nWe now send a newsletter to everyone.\n", "Adds a newsletter", "test", true, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		res := b.get("/account")
		if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/account/acknowledge?next=%2Faccount" {
			t.Fatalf("after a material change: %d %q", res.Status, res.Header.Get("Location"))
		}
		if res := b.get("/privacy"); res.Status != 200 {
			t.Errorf("the statement itself is blocked: %d", res.Status)
		}
		ack := b.get("/account/acknowledge?next=%2Faccount")
		for _, want := range []string{"Adds a newsletter", "<ins>+ We now send a newsletter", fmt.Sprintf(`name="version" value="%d"`, v.ID)} {
			if !strings.Contains(ack.Body, want) {
				t.Errorf("acknowledgement page lacks %q: %.2000s", want, ack.Body)
			}
		}
		if res := b.post("/account/acknowledge", url.Values{"version": {fmt.Sprint(v.ID - 1)}, "next": {"/account"}}); res.Status != http.StatusConflict {
			t.Errorf("acknowledging an old version: %d", res.Status)
		}
		res = b.post("/account/acknowledge", url.Values{"version": {fmt.Sprint(v.ID)}, "next": {"/account"}})
		if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/account?done=acknowledged" {
			t.Errorf("acknowledge: %d %q", res.Status, res.Header.Get("Location"))
		}
		if res := b.get("/account"); res.Status != 200 {
			t.Errorf("after acknowledging: %d", res.Status)
		}
		entries, _ := policy.Entries(ctx, db, pid)
		if len(entries) != 2 || entries[1].VersionID != v.ID || entries[1].Purpose != policy.PurposeStatement || entries[1].Channel != "web" {
			t.Errorf("ledger = %+v", entries)
		}
		// A non-material version asks nothing.
		a.Policy.Publish(ctx, cur.Template+"\nWording.\n", "Wording", "test", false, time.Now())
		if res := b.get("/account"); res.Status != 200 {
			t.Errorf("after a non-material change: %d", res.Status)
		}
	})
}

// TestStaffCorrectionIsAudited covers S1 and R3 for staff: secretariat and
// admin find and correct participants, only with a stated request; every
// search and view is in the audit log; only admins assign roles; a
// participant without a staff role is refused.
func TestStaffCorrectionIsAudited(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		a := newAccountSite(t, siteOptions{DB: db})
		ctx := context.Background()
		pid := a.signUp(t, "Ada Lovelace", "ada@example.org")
		a.makeStaff(t, "Sam Secretariat", "sam@example.org", auth.Secretariat)
		adminID := a.makeStaff(t, "Alex Admin", "alex@example.org", auth.Admin)
		participant := a.signIn(t, "ada@example.org")
		sec := a.signIn(t, "sam@example.org")
		adm := a.signIn(t, "alex@example.org")
		person := fmt.Sprintf("/admin/people/%d", pid)

		if res := participant.post("/admin/people", url.Values{"q": {"ada"}}); res.Status != http.StatusForbidden {
			t.Errorf("participant searched people: %d", res.Status)
		}
		if res := participant.get(person); res.Status != http.StatusForbidden {
			t.Errorf("participant opened a record: %d", res.Status)
		}
		res := sec.post("/admin/people", url.Values{"q": {"LOVELACE"}})
		if res.Status != 200 || !strings.Contains(res.Body, person) {
			t.Fatalf("search: %d %.300s", res.Status, res.Body)
		}
		res = sec.get(person)
		if res.Status != 200 || !strings.Contains(res.Body, "ada@example.org") || !strings.Contains(res.Body, "audit log") {
			t.Fatalf("view: %d", res.Status)
		}
		if strings.Contains(res.Body, `action="`+person+`/roles"`) {
			t.Error("secretariat sees the roles form")
		}
		if res := sec.post(person, url.Values{"name": {"Ada King"}}); res.Status != 400 || !strings.Contains(res.Body, "which request") {
			t.Errorf("correction without a request: %d", res.Status)
		}
		if p, _ := people.Get(ctx, db, pid); p.Name != "Ada Lovelace" {
			t.Error("a correction without a request changed the name")
		}
		if res := sec.post(person, url.Values{"name": {"Ada King"}, "reason": {"asked by e-mail on 3 May"}}); res.Status != http.StatusSeeOther {
			t.Errorf("correction: %d %.300s", res.Status, res.Body)
		}
		if res := sec.post(person+"/roles", url.Values{"role": {"admin"}}); res.Status != http.StatusForbidden {
			t.Errorf("secretariat assigned roles: %d", res.Status)
		}
		if res := adm.post(person+"/roles", url.Values{"role": {"secretariat", "finance"}}); res.Status != http.StatusSeeOther {
			t.Errorf("admin assigns roles: %d", res.Status)
		}
		if res := adm.post(person+"/roles", url.Values{"role": {"emperor"}}); res.Status != 400 {
			t.Errorf("unknown role: %d", res.Status)
		}
		if res := adm.post(fmt.Sprintf("/admin/people/%d/roles", adminID), url.Values{"role": {"secretariat"}}); res.Status != http.StatusConflict {
			t.Errorf("admin removed their own admin role: %d", res.Status)
		}
		id, _ := people.Identity(ctx, db, pid)
		if !id.Has(auth.Secretariat) || !id.Has(auth.Finance) || !id.Has(auth.Participant) || id.Has(auth.Admin) {
			t.Errorf("roles = %v", id.Roles)
		}
		// The participant sees who changed what.
		page := participant.get("/account").Body
		if !strings.Contains(page, "Sam Secretariat (staff)") || !strings.Contains(page, "Ada Lovelace") {
			t.Error("the participant's history does not show the staff correction")
		}
		entries := auditEntries(t, a)
		for _, want := range []string{"people.search Sam Secretariat", "people.view Sam Secretariat person:" + fmt.Sprint(pid), "people.correct Sam Secretariat person:" + fmt.Sprint(pid) + " fields name; request: asked by e-mail on 3 May", "people.roles Alex Admin person:" + fmt.Sprint(pid)} {
			if !strings.Contains(entries, want) {
				t.Errorf("audit log lacks %q:\n%s", want, entries)
			}
		}
		if strings.Contains(entries, "LOVELACE") {
			t.Error("the audit log keeps the search text")
		}
		if r, err := a.Audit.Verify(ctx, nil); err != nil || !r.OK() {
			t.Errorf("audit chain: %+v %v", r, err)
		}
	})
}

func auditEntries(t *testing.T, a *accountSite) string {
	t.Helper()
	rows, err := a.DB.Query(context.Background(), "SELECT action, actor, subject, detail FROM audit_log ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var action, label, subject, detail string
		rows.Scan(&action, &label, &subject, &detail)
		fmt.Fprintf(&b, "%s %s %s %s\n", action, label, subject, detail)
	}
	return b.String()
}

// TestSignedInLogLinesHoldNoAccount covers C2 with a real sign-in: the
// access-log lines of a signed-in participant's requests hold no session
// token, cookie value, account id, name or e-mail address.
func TestSignedInLogLinesHoldNoAccount(t *testing.T) {
	a := newAccountSite(t, siteOptions{})
	ctx := context.Background()
	// A distinctive account id, so that finding it in a line means
	// something.
	hash, _ := auth.FastHasher().Hash(testPassword)
	now := time.Now().UTC()
	if _, err := a.DB.Exec(ctx, "INSERT INTO people (id, name, password_hash, age_attested_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)", 7654321, "Zoe Quillfeather", hash, now, now, now); err != nil {
		t.Fatal(err)
	}
	if _, err := a.DB.Exec(ctx, "INSERT INTO person_emails (person_id, address, address_key, origin, is_primary, verified_at, active, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", 7654321, "zoe.q@example.org", "zoe.q@example.org", "self", true, now, true, now); err != nil {
		t.Fatal(err)
	}
	b := a.browser(t)
	res := b.post("/login", url.Values{"email": {"zoe.q@example.org"}, "password": {testPassword}, "remember": {"1"}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", res.Status)
	}
	for _, p := range []string{"/account", "/privacy", "/", "/account?done=saved", "/no-such-page"} {
		if res := b.get(p); res.Status >= 500 {
			t.Fatalf("GET %s: %d", p, res.Status)
		}
	}
	b.post("/account", url.Values{"name": {"Zoe Quillfeather"}, "affiliation": {"Quill Co"}})
	secrets := []string{"7654321", "Zoe", "Quillfeather", "zoe.q", "example.org", "Quill Co", inventory.SessionCookie.Name(), inventory.RememberCookie.Name(), "participant"}
	for _, c := range []*http.Cookie{b.cookie(inventory.SessionCookie.Name()), b.cookie(inventory.RememberCookie.Name())} {
		if c == nil {
			t.Fatal("sign-in set no cookie")
		}
		secrets = append(secrets, c.Value, auth.HashToken(c.Value))
	}
	lines := a.logLines(t)
	if len(lines) < 7 {
		t.Fatalf("only %d log lines", len(lines))
	}
	all := strings.Join(lines, "\n")
	for _, s := range secrets {
		if strings.Contains(all, s) {
			t.Errorf("the access log holds %q:\n%s", s, all)
		}
	}
}

// TestMailWithoutSMTPGoesToServerLog: a local install without --smtp
// still gets its confirmation link, in the server's log.
func TestMailWithoutSMTPGoesToServerLog(t *testing.T) {
	a := newAccountSite(t, siteOptions{Routes: func(s *Server) {}})
	a.Server.Mail = &mail.LogSender{Log: a.Server.Log}
	res := a.browser(t).post("/signup", url.Values{"name": {"Ada"}, "email": {"ada@example.org"}, "password": {testPassword}, "age_ok": {"1"}, "consent": {"1"}})
	if res.Status != 200 {
		t.Fatalf("sign-up: %d", res.Status)
	}
	a.waitForMail() // the link is written when the outbox sends, after the answer
	if !linkPattern.MatchString(a.srvLog.String()) || !strings.Contains(a.srvLog.String(), "no --smtp server") {
		t.Errorf("server log lacks the link: %s", a.srvLog.String())
	}
}

// TestCookiePageListsDeclaredAndThirdPartyCookies covers K1 and K2: both
// cookies are on the cookie page with purpose and lifetime, from the
// inventory; third-party cookies appear only when the operator lists them.
func TestCookiePageListsDeclaredAndThirdPartyCookies(t *testing.T) {
	plain := newSite(t, siteOptions{})
	page := plain.get(t, "/privacy/cookies").Body
	for _, it := range inventory.Default().Cookies() {
		for _, want := range []string{it.Name, it.Lifetime} {
			if !strings.Contains(page, want) {
				t.Errorf("cookie page lacks %q", want)
			}
		}
	}
	if !strings.Contains(page, "the site ends it after 1 day at most") || !strings.Contains(page, "30 days, or until you sign out") || !strings.Contains(page, "No third party sets cookies") {
		t.Errorf("cookie page: %.2000s", page)
	}
	withThird := newSite(t, siteOptions{Args: []string{"--third-party-cookies", "videohost.example (embedded talks)"}})
	page = withThird.get(t, "/privacy/cookies").Body
	if !strings.Contains(page, "videohost.example (embedded talks)") || strings.Contains(page, "No third party sets cookies") {
		t.Errorf("third-party cookies not listed: %.2000s", page)
	}
}

// TestAnonymousAccountPagesSetNoCookie covers K3 for the account forms:
// reading and failing them sets no cookie.
func TestAnonymousAccountPagesSetNoCookie(t *testing.T) {
	a := newAccountSite(t, siteOptions{})
	b := a.browser(t)
	for _, res := range []response{
		b.get("/signup"), b.get("/login"), b.get("/reset"), b.get("/verify/whatever"), b.get("/reset/whatever"),
		b.post("/login", url.Values{"email": {"x@example.org"}, "password": {"nope"}}),
		b.post("/signup", url.Values{"name": {"x"}}),
		b.get("/account"),
	} {
		if c := res.Header.Values("Set-Cookie"); len(c) != 0 {
			t.Errorf("set %q", c)
		}
	}
}
