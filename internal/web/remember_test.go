package web

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"plenary/internal/inventory"
)

// TestRememberMeTokenRotates checks the persistent cookie is single use:
// coming back with it renews both cookies, and the used value coming back
// afterwards, however soon, is taken for a stolen copy: it signs nobody in,
// mints nothing, and ends every session and persistent cookie descended
// from the same sign-in (issue 8, item 10), while a separate sign-in of the
// same person lives on. A browser that sends a privacy signal gets no new
// persistent cookie (K4).
func TestRememberMeTokenRotates(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	a := newAccountSite(t, siteOptions{Now: func() time.Time { return now }})
	a.signUp(t, "Ada", "ada@example.org")
	signIn := func() string {
		b := a.browser(t)
		b.post("/login", url.Values{"email": {"ada@example.org"}, "password": {testPassword}, "remember": {"1"}})
		return b.cookie(inventory.RememberCookie.Name()).Value
	}
	first := signIn()
	otherDevice := a.signIn(t, "ada@example.org")

	comeBack := func(cookie string, header ...string) (status int, set string) {
		later := a.browser(t)
		later.header.Set("Cookie", cookie)
		for i := 0; i+1 < len(header); i += 2 {
			later.header.Set(header[i], header[i+1])
		}
		res := later.get("/account")
		return res.Status, strings.Join(res.Header.Values("Set-Cookie"), "\n")
	}
	remember := func(v string) string { return inventory.RememberCookie.Name() + "=" + v }
	status, set := comeBack(remember(first))
	if status != 200 || !strings.Contains(set, inventory.SessionCookie.Name()+"=") || !strings.Contains(set, inventory.RememberCookie.Name()+"=") || strings.Contains(set, remember(first)) {
		t.Fatalf("coming back: %d, cookies %s; want a new session and a new persistent cookie", status, set)
	}
	second := cookieValue(set, inventory.RememberCookie.Name())
	session := cookieValue(set, inventory.SessionCookie.Name())
	if status, _ := comeBack(inventory.SessionCookie.Name() + "=" + session); status != 200 {
		t.Fatalf("the resumed session does not sign in: %d", status)
	}

	now = now.Add(time.Second)
	status, set = comeBack(remember(first))
	if status != 303 || !strings.Contains(set, remember("")) || strings.Contains(set, "Max-Age=2592000") {
		t.Errorf("the used persistent cookie replayed a second later: %d %s; want a redirect to sign in, the cookie cleared and nothing new", status, set)
	}
	for _, tt := range []struct{ name, cookie string }{
		{"the renewed persistent cookie", remember(second)},
		{"the session it gave", inventory.SessionCookie.Name() + "=" + session},
	} {
		if status, set := comeBack(tt.cookie); status != 303 || strings.Contains(set, "Max-Age=2592000") {
			t.Errorf("after the replay, %s still works: %d %s", tt.name, status, set)
		}
	}
	if res := otherDevice.get("/account"); res.Status != 200 {
		t.Errorf("the replay ended an unrelated sign-in: %d", res.Status)
	}

	status, set = comeBack(remember(signIn()), "Sec-GPC", "1")
	if status != 200 {
		t.Fatalf("a fresh persistent cookie does not sign in: %d", status)
	}
	if v := cookieValue(set, inventory.RememberCookie.Name()); v != "" {
		t.Errorf("a persistent cookie was renewed despite Sec-GPC: %s", set)
	}
}

// cookieValue finds a cookie's value in Set-Cookie lines.
func cookieValue(set, name string) string {
	for _, line := range strings.Split(set, "\n") {
		if v, ok := strings.CutPrefix(line, name+"="); ok {
			v, _, _ = strings.Cut(v, ";")
			return v
		}
	}
	return ""
}
