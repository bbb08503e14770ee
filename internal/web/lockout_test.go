package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"plenary/internal/auth"
	"plenary/internal/inventory"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestOneClientCannotLockAnAccountOut reproduces issue 8, item 8: one
// address sends more junk sign-ins than its limit, then 11 for the admin's address; the
// admin's right password from another network must still sign in. A
// client within its own limit that does use up the account's allowance of
// wrong passwords locks nobody out either: the right password then gets a
// mailed one-time sign-in link (and the same answer as a wrong one).
func TestOneClientCannotLockAnAccountOut(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		a := newAccountSite(t, siteOptions{DB: db, Now: quarterHourClock(), Args: []string{"--trusted-proxies", "127.0.0.1"}})
		a.makeStaff(t, "Ada Admin", "admin@example.org", auth.Admin)
		from := func(ip, addr, password string) response {
			b := a.browser(t)
			b.header.Set("X-Forwarded-For", ip)
			return b.post("/login", url.Values{"email": {addr}, "password": {password}})
		}
		for i := range loginPerIP.Max + 1 {
			from("198.51.100.66", fmt.Sprintf("junk%d@example.org", i), "wrong password")
		}
		for i := range 11 {
			if res := from("198.51.100.66", "Admin@example.org", fmt.Sprint("guess ", i)); res.Status != http.StatusTooManyRequests {
				t.Errorf("guess %d from a client over its limit: %d, want 429", i, res.Status)
			}
		}
		if res := from("203.0.113.5", "admin@example.org", testPassword); res.Status != http.StatusSeeOther {
			t.Fatalf("the admin's right password from another network after the junk: %d %.300s", res.Status, res.Body)
		}

		// A client within its limit spends the account's ten wrong passwords.
		for i := range 10 {
			if res := from("192.0.2.9", "admin@example.org", fmt.Sprint("guess ", i)); res.Status != http.StatusUnauthorized {
				t.Errorf("wrong password %d: %d, want 401", i+1, res.Status)
			}
		}
		wrong := from("192.0.2.9", "admin@example.org", "guess 10")
		right := from("203.0.113.5", "admin@example.org", testPassword)
		for name, res := range map[string]response{"wrong": wrong, "right": right} {
			if res.Status != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" ||
				!strings.Contains(res.Body, "sign-in link") || len(res.Header.Values("Set-Cookie")) != 0 {
				t.Errorf("%s password to the locked account: %d, Retry-After %q, cookies %q: %.300s", name, res.Status,
					res.Header.Get("Retry-After"), res.Header.Values("Set-Cookie"), res.Body)
			}
		}
		if strings.ReplaceAll(wrong.Body, "guess 10", "") != strings.ReplaceAll(right.Body, testPassword, "") {
			t.Error("the locked account answers a right password differently from a wrong one")
		}
		tok := a.mailedToken(t, "admin@example.org", "signin")
		if n := mailsTo(a, "admin@example.org"); n != 1 {
			t.Errorf("%d mails to the admin, want 1 (for the right password only)", n)
		}
		b := a.browser(t)
		if res := b.get("/signin/" + tok); res.Status != 200 || b.cookie(inventory.SessionCookie.Name()) != nil {
			t.Fatalf("opening the sign-in link: %d; it must only show a button", res.Status)
		}
		if res := b.post("/signin/"+tok, nil); res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/account" {
			t.Fatalf("following the sign-in link: %d %.300s", res.Status, res.Body)
		}
		if res := b.get("/account"); res.Status != 200 || !strings.Contains(res.Body, "Ada Admin") {
			t.Errorf("signed in by the link, /account: %d", res.Status)
		}
		if res := a.browser(t).post("/signin/"+tok, nil); res.Status != http.StatusGone {
			t.Errorf("the sign-in link used twice: %d", res.Status)
		}
		// Passing the lock is on the record, once.
		var n int
		if err := a.DB.QueryRow(context.Background(), "SELECT COUNT(*) FROM audit_log WHERE action = 'people.signin.link'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("%d audit entries for the sign-in by link, want 1", n)
		}
	})
}

func mailsTo(a *accountSite, addr string) int {
	a.waitForMail()
	n := 0
	for _, m := range a.outbox.Messages() {
		if m.To == addr {
			n++
		}
	}
	return n
}

// TestClientOverItsLimitSpendsNoAddressAllowance: the per-address limits
// of sign-up and reset requests count only clients within their own
// limit, so one client past its limit cannot use up a victim's allowance
// and have the victim refused from elsewhere.
func TestClientOverItsLimitSpendsNoAddressAllowance(t *testing.T) {
	tests := []struct {
		name    string
		path    string
		form    func(addr string) url.Values
		perIP   int // the per-client limit, spent first with other addresses
		wantGot int // what the victim gets from another network
	}{
		{"reset", "/reset", func(addr string) url.Values { return url.Values{"email": {addr}} }, 10, http.StatusOK},
		{"sign-up", "/signup", func(addr string) url.Values {
			return url.Values{"name": {"Vic"}, "email": {addr}, "password": {testPassword}, "age_ok": {"1"}, "consent": {"1"}}
		}, 10, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAccountSite(t, siteOptions{Now: quarterHourClock(), Args: []string{"--trusted-proxies", "127.0.0.1"}})
			from := func(ip, addr string) response {
				b := a.browser(t)
				b.header.Set("X-Forwarded-For", ip)
				return b.post(tt.path, tt.form(addr))
			}
			for i := range tt.perIP {
				from("198.51.100.66", fmt.Sprintf("other%d@example.org", i))
			}
			for i := range 5 {
				if res := from("198.51.100.66", "victim@example.org"); res.Status != http.StatusTooManyRequests {
					t.Errorf("attempt %d for the victim from a client over its limit: %d, want 429", i, res.Status)
				}
			}
			if res := from("203.0.113.5", "victim@example.org"); res.Status != tt.wantGot {
				t.Errorf("the victim from another network: %d, want %d: %.300s", res.Status, tt.wantGot, res.Body)
			}
		})
	}
}

// TestFailedSignInsCountAgainstTheAccount: an account with two confirmed
// addresses has one allowance of wrong passwords, not one per address:
// five wrong passwords with each lock it, whichever address is typed next,
// and the right password then gets a sign-in link. Addresses without an
// account are counted one by one, as before.
func TestFailedSignInsCountAgainstTheAccount(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		a := newAccountSite(t, siteOptions{DB: db})
		a.signUp(t, "Ada", "ada@example.org")
		ada := a.signIn(t, "ada@example.org")
		if res := ada.post("/account/emails", url.Values{"email": {"ada@work.example"}}); res.Status != http.StatusSeeOther {
			t.Fatalf("adding a second address: %d", res.Status)
		}
		if res := ada.post("/verify/"+a.mailedToken(t, "ada@work.example", "verify"), nil); res.Status != 200 {
			t.Fatalf("confirming it: %d", res.Status)
		}
		login := func(addr, password string) response {
			return a.browser(t).post("/login", url.Values{"email": {addr}, "password": {password}})
		}
		for i := range 5 {
			for _, addr := range []string{"ada@example.org", "ada@work.example"} {
				if res := login(addr, fmt.Sprint("guess ", i)); res.Status != http.StatusUnauthorized {
					t.Errorf("wrong password %d with %s: %d, want 401", i+1, addr, res.Status)
				}
			}
		}
		if res := login("ada@example.org", "guess 5"); res.Status != http.StatusTooManyRequests {
			t.Errorf("the eleventh wrong password: %d, want 429", res.Status)
		}
		if res := login("ada@work.example", testPassword); res.Status != http.StatusTooManyRequests || len(res.Header.Values("Set-Cookie")) != 0 {
			t.Errorf("the right password with the other address while locked: %d, cookies %q", res.Status, res.Header.Values("Set-Cookie"))
		}
		a.mailedToken(t, "ada@work.example", "signin")

		// Unknown addresses: ten wrong passwords for one lock that one only.
		for i := range 10 {
			login("nobody@example.org", fmt.Sprint("guess ", i))
		}
		if res := login("nobody@example.org", "guess 10"); res.Status != http.StatusTooManyRequests {
			t.Errorf("the eleventh wrong password for an unknown address: %d, want 429", res.Status)
		}
		if res := login("nobody2@example.org", "guess 0"); res.Status != http.StatusUnauthorized {
			t.Errorf("another unknown address: %d, want 401", res.Status)
		}
	})
}
