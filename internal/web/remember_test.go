package web

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"plenary/internal/inventory"
)

// TestRememberMeTokenRotates checks the persistent cookie is single use:
// coming back with it renews both cookies, the old value stops working
// after a minute's grace (so a copied cookie dies at the owner's next
// visit), and a browser that now sends a privacy signal gets no new
// persistent cookie (K4).
func TestRememberMeTokenRotates(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	a := newAccountSite(t, siteOptions{Now: func() time.Time { return now }})
	a.signUp(t, "Ada", "ada@example.org")
	b := a.browser(t)
	b.post("/login", url.Values{"email": {"ada@example.org"}, "password": {testPassword}, "remember": {"1"}})
	first := b.cookie(inventory.RememberCookie).Value

	comeBack := func(remember string, header ...string) (status int, set string) {
		later := a.browser(t)
		later.header.Set("Cookie", inventory.RememberCookie+"="+remember)
		for i := 0; i+1 < len(header); i += 2 {
			later.header.Set(header[i], header[i+1])
		}
		res := later.get("/account")
		return res.Status, strings.Join(res.Header.Values("Set-Cookie"), "\n")
	}
	status, set := comeBack(first)
	if status != 200 || !strings.Contains(set, inventory.SessionCookie+"=") || !strings.Contains(set, inventory.RememberCookie+"=") || strings.Contains(set, inventory.RememberCookie+"="+first) {
		t.Fatalf("coming back: %d, cookies %s; want a new session and a new persistent cookie", status, set)
	}
	second := cookieValue(set, inventory.RememberCookie)
	if status, _ := comeBack(first); status != 200 {
		t.Errorf("a request sent alongside, within the grace minute, was refused: %d", status)
	}
	now = now.Add(2 * time.Minute)
	if status, set := comeBack(first); status == 200 || !strings.Contains(set, "Max-Age=0") {
		t.Errorf("the used persistent cookie still signs in after the grace minute: %d %s", status, set)
	}
	status, set = comeBack(second, "Sec-GPC", "1")
	if status != 200 {
		t.Fatalf("the renewed cookie does not sign in: %d", status)
	}
	if v := cookieValue(set, inventory.RememberCookie); v != "" {
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
