package web

import (
	"html"
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"strings"
	"testing"
)

// TestCrossOriginAndPermissionsHeaders checks the OWASP Secure Headers
// this site sends on every answer, pages, errors and static files alike:
// no cross-origin opener or embedding, and every powerful browser feature
// turned off (issue 8, TLS and headers).
func TestCrossOriginAndPermissionsHeaders(t *testing.T) {
	s := newSite(t, siteOptions{TLS: true})
	off := []string{"camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()", "serial=()", "hid=()",
		"bluetooth=()", "midi=()", "display-capture=()", "accelerometer=()", "gyroscope=()", "magnetometer=()",
		"xr-spatial-tracking=()", "publickey-credentials-get=()", "browsing-topics=()", "interest-cohort=()"}
	for _, p := range []string{"/", "/privacy", "/login", "/no-such-page", "/healthz", "/static/0000/style.css", "/account"} {
		h := s.get(t, p).Header
		if got := h.Get("Cross-Origin-Opener-Policy"); got != "same-origin" {
			t.Errorf("%s: Cross-Origin-Opener-Policy %q, want same-origin", p, got)
		}
		if got := h.Get("Cross-Origin-Resource-Policy"); got != "same-origin" {
			t.Errorf("%s: Cross-Origin-Resource-Policy %q, want same-origin", p, got)
		}
		pp := h.Get("Permissions-Policy")
		for _, want := range off {
			if !strings.Contains(", "+pp+",", ", "+want+",") {
				t.Errorf("%s: Permissions-Policy %q does not turn off %s", p, pp, strings.TrimSuffix(want, "=()"))
			}
		}
		if strings.Contains(pp, "self") || strings.Contains(pp, "*") {
			t.Errorf("%s: Permissions-Policy %q allows a feature", p, pp)
		}
		if h.Get("Clear-Site-Data") != "" {
			t.Errorf("%s: Clear-Site-Data sent outside sign-out", p)
		}
	}
}

// TestSignOutClearsSiteData signs in for real and out again: the sign-out
// answer asks the browser to drop the site's cache and storage and clears
// both cookies, and signing in sends no such header.
func TestSignOutClearsSiteData(t *testing.T) {
	a := newAccountSite(t, siteOptions{})
	a.signUp(t, "Ada", "ada@example.org")
	b := a.browser(t)
	in := b.post("/login", map[string][]string{"email": {"ada@example.org"}, "password": {testPassword}, "remember": {"1"}})
	if in.Status != http.StatusSeeOther || in.Header.Get("Clear-Site-Data") != "" {
		t.Fatalf("sign-in: %d, Clear-Site-Data %q", in.Status, in.Header.Get("Clear-Site-Data"))
	}
	b.header.Set("Sec-Fetch-Site", "same-origin")
	out := b.post("/logout", nil)
	if out.Status != http.StatusSeeOther {
		t.Fatalf("sign-out: %d", out.Status)
	}
	csd := out.Header.Get("Clear-Site-Data")
	for _, want := range []string{`"cache"`, `"storage"`} {
		if !strings.Contains(csd, want) {
			t.Errorf("sign-out Clear-Site-Data %q lacks %s", csd, want)
		}
	}
	set := strings.Join(out.Header.Values("Set-Cookie"), "\n")
	for _, name := range []string{"plenary_session=;", "plenary_remember=;"} {
		if !strings.Contains(set, name) || !strings.Contains(set, "Max-Age=0") {
			t.Errorf("sign-out does not clear %s: %s", strings.TrimSuffix(name, "=;"), set)
		}
	}
}

var metaDescription = regexp.MustCompile(`<meta name="description" content="([^"]*)">`)

// TestEveryPageHasADescription checks that each template has its own meta
// description, and that real pages carry theirs in the head, with the
// organization's name (Lighthouse SEO).
func TestEveryPageHasADescription(t *testing.T) {
	names, err := fs.Glob(embedded, "templates/*.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		name := strings.TrimSuffix(path.Base(n), ".html")
		if name != "layout" && pageDescriptions[name] == "" {
			t.Errorf("template %s has no entry in pageDescriptions (describe.go)", name)
		}
	}
	a := newAccountSite(t, siteOptions{})
	a.signUp(t, "Ada", "ada@example.org")
	signedIn := a.signIn(t, "ada@example.org")
	anon := a.browser(t)
	seen := map[string]string{}
	for _, tt := range []struct {
		b    *browser
		path string
		want string
	}{
		{anon, "/", "The web site and participant portal of Test Standards Body"},
		{anon, "/privacy", "How Test Standards Body handles personal data"},
		{anon, "/privacy/cookies", "Every cookie this site of Test Standards Body can set"},
		{anon, "/privacy/versions", "Every published version of the privacy statement"},
		{anon, "/login", "Sign in to your participant account with Test Standards Body"},
		{anon, "/signup", "Create a participant account with Test Standards Body"},
		{anon, "/reset", "set a new password"},
		{anon, "/no-such-page", "could not show this page"},
		{signedIn, "/account", "Your account with Test Standards Body"},
	} {
		res := tt.b.get(tt.path)
		m := metaDescription.FindStringSubmatch(res.Body)
		if m == nil {
			t.Errorf("%s has no meta description", tt.path)
			continue
		}
		d := html.UnescapeString(m[1])
		if !strings.Contains(d, tt.want) {
			t.Errorf("%s: description %q lacks %q", tt.path, d, tt.want)
		}
		if other, dup := seen[d]; dup {
			t.Errorf("%s and %s share the description %q", other, tt.path, d)
		}
		seen[d] = tt.path
		if head, _, _ := strings.Cut(res.Body, "</head>"); !strings.Contains(head, m[0]) {
			t.Errorf("%s: the description is not in the head", tt.path)
		}
	}
}
