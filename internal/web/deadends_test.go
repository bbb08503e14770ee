package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"plenary/internal/inventory"
)

// TestRefusalPagesOfferAWayOn: a page that refuses something says how to
// go on. A used or unknown mailed link offers to ask for a new one of its
// kind; a 429 carries Retry-After and a way back to the form; GET /logout
// shows the sign-out button (signing out itself stays a POST).
func TestRefusalPagesOfferAWayOn(t *testing.T) {
	a := newAccountSite(t, siteOptions{Now: quarterHourClock(), Args: []string{"--trusted-proxies", "127.0.0.1"}})
	a.signUp(t, "Ada", "ada@example.org")
	usedVerify := a.mailedToken(t, "ada@example.org", "verify")
	anon := a.browser(t)
	if res := anon.post("/reset", url.Values{"email": {"ada@example.org"}}); res.Status != 200 {
		t.Fatalf("reset request: %d", res.Status)
	}
	usedReset := a.mailedToken(t, "ada@example.org", "reset")
	if res := anon.post("/reset/"+usedReset, url.Values{"password": {testPassword}}); res.Status != 200 {
		t.Fatalf("reset: %d %.300s", res.Status, res.Body)
	}
	signedIn := a.signIn(t, "ada@example.org")

	// One client over its sign-in limit (30 a quarter hour).
	limited := a.browser(t)
	limited.header.Set("X-Forwarded-For", "198.51.100.99")
	var tooMany response
	for i := range loginPerIP.Max + 1 {
		tooMany = limited.post("/login", url.Values{"email": {fmt.Sprintf("x%d@example.org", i)}, "password": {"wrong password"}})
	}

	tests := []struct {
		name       string
		res        response
		status     int
		want       []string
		retryAfter bool
	}{
		{"used reset link", anon.post("/reset/"+usedReset, url.Values{"password": {"another passphrase"}}), http.StatusGone,
			[]string{"already been used", `action="/reset"`, "Ask for a new link"}, false},
		{"used confirmation link", anon.post("/verify/"+usedVerify, nil), http.StatusGone,
			[]string{"already been used", `action="/login"`, "Sign in to get a new link"}, false},
		{"used confirmation link, signed in", signedIn.post("/verify/"+usedVerify, nil), http.StatusGone,
			[]string{"already been used", `action="/account"`, "Get a new link from your account"}, false},
		{"unknown sign-in link", anon.get("/signin/nonsense-token-that-is-long-enough"), http.StatusNotFound,
			[]string{"not valid", `action="/login"`, "Sign in again"}, false},
		{"too many sign-ins", tooMany, http.StatusTooManyRequests,
			[]string{"Too many attempts, try again in", `<form method="get" action="/login"`, "Back to the form"}, true},
		{"GET /logout signed in", signedIn.get("/logout"), http.StatusOK,
			[]string{`<form method="post" action="/logout" class="actions">`, "Press the button to sign out"}, false},
		{"GET /logout anonymous", anon.get("/logout"), http.StatusOK,
			[]string{"not signed in", `href="/login"`}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.res.Status != tt.status {
				t.Errorf("status %d, want %d", tt.res.Status, tt.status)
			}
			for _, w := range tt.want {
				if !strings.Contains(tt.res.Body, w) {
					t.Errorf("page lacks %q: %.2000s", w, tt.res.Body)
				}
			}
			if got := tt.res.Header.Get("Retry-After"); (got != "") != tt.retryAfter {
				t.Errorf("Retry-After %q", got)
			}
		})
	}
	// GET /logout changed nothing; the button on it signs out.
	if res := signedIn.get("/account"); res.Status != 200 {
		t.Fatalf("GET /logout signed the browser out: %d", res.Status)
	}
	if res := signedIn.post("/logout", nil); res.Status != http.StatusSeeOther || signedIn.cookie(inventory.SessionCookie.Name()) != nil {
		t.Errorf("the sign-out button: %d", res.Status)
	}
}
