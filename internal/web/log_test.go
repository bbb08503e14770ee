package web

import (
	"net/http"
	"strings"
	"testing"

	"plenary/internal/auth"
)

// TestRequestsAreLogged checks C1 through the whole application: each
// request, refusals and missing pages included, leaves one line with its
// fields, and the client address is taken from X-Forwarded-For only when
// the peer is a configured proxy.
func TestRequestsAreLogged(t *testing.T) {
	s := newSite(t, siteOptions{Args: []string{"--trusted-proxies", "127.0.0.1"}})
	direct := newSite(t, siteOptions{})
	h := http.Header{"Referer": {"https://search.example/?q=plenary"}, "User-Agent": {"TestBrowser/1.0 (Linux)"}, "X-Forwarded-For": {"198.51.100.23"}}
	s.do(t, "GET", "/privacy?lang=en", nil, h)
	s.do(t, "GET", "/nope", nil, nil)
	direct.do(t, "GET", "/privacy", nil, h)

	lines := s.waitForLines(t, 2)
	if len(lines) != 2 {
		t.Fatalf("logged %d lines, want 2: %q", len(lines), lines)
	}
	for _, want := range []string{"198.51.100.23 - - [", `"GET /privacy?lang=en HTTP/1.1" 200 `, `"https://search.example/?q=plenary" "TestBrowser/1.0 (Linux)"`} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("line %q lacks %q", lines[0], want)
		}
	}
	if !strings.Contains(lines[1], `"GET /nope HTTP/1.1" 404 `) {
		t.Errorf("404 logged as %q", lines[1])
	}
	if d := direct.waitForLines(t, 1); len(d) != 1 || !strings.HasPrefix(d[0], "127.0.0.1 - - [") {
		t.Errorf("without a trusted proxy the forwarded address was believed: %q", d)
	}
}

// TestLogsDoNotLinkToPeople checks C2 through the whole application: a
// request carrying cookies, credentials and an e-mail address, made by a
// signed-in person, leaves a line with none of them and nothing naming the
// person. Secret tokens in paths are redacted.
func TestLogsDoNotLinkToPeople(t *testing.T) {
	s := newSite(t, siteOptions{Routes: func(s *Server) {
		s.handle("GET /test/account", auth.SignedIn(), func(w http.ResponseWriter, r *http.Request) error {
			_, err := w.Write([]byte("hello " + identityOf(r).Name))
			return err
		})
	}})
	h := roleHeader(auth.Participant)
	h.Set("Cookie", "plenary_session=s3ss10nvalue; plenary_remember=r3memb3r")
	h.Set("Authorization", "Bearer t0k3nvalue")
	h.Set("From", "ada@test.example")
	h.Set("X-Email", "ada@test.example")
	res := s.do(t, "GET", "/test/account", nil, h)
	if res.Status != 200 || !strings.Contains(res.Body, testPersonName) {
		t.Fatalf("signed-in request: %d %s", res.Status, res.Body)
	}
	s.get(t, "/unsubscribe/SECRETTOKEN123?list=ietf")
	s.get(t, "/verify/SECRETTOKEN456")
	lines := s.waitForLines(t, 3)
	if len(lines) != 3 {
		t.Fatalf("logged %d lines", len(lines))
	}
	all := strings.Join(lines, "\n")
	for _, secret := range []string{"s3ss10nvalue", "r3memb3r", "plenary_session", "t0k3nvalue", "Bearer", "ada@", "test.example", itoa(testPersonID), testPersonName, "Ada", "SECRETTOKEN", "participant"} {
		if strings.Contains(all, secret) {
			t.Errorf("access log holds %q:\n%s", secret, all)
		}
	}
	if !strings.Contains(lines[1], "/unsubscribe/[token]?list=ietf") || !strings.Contains(lines[2], "/verify/[token] ") {
		t.Errorf("tokens not redacted: %q", lines[1:])
	}
	if !strings.Contains(lines[0], " - - [") {
		t.Errorf("remote-user field is not empty: %q", lines[0])
	}
}
