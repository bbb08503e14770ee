package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"plenary/internal/auth"
)

// TestUndeclaredCookieIsCaught proves the hook every test server carries
// (onlyDeclaredCookies in site_test.go): a sign-in that also sets a cookie
// the inventory does not declare, the way a tracking cookie would be
// added, is reported, while the declared sign-in cookies are not. Every
// test that signs in, K1's among them, fails the same way when sign-in
// sets such a cookie.
func TestUndeclaredCookieIsCaught(t *testing.T) {
	var mu sync.Mutex
	var caught []string
	a := newAccountSite(t, siteOptions{
		UndeclaredCookie: func(name, request string) {
			mu.Lock()
			defer mu.Unlock()
			caught = append(caught, name+" at "+request)
		},
		Routes: func(s *Server) {
			// The bad variant: sign in as /login does, and add a cookie of
			// one's own with http.SetCookie, bypassing the declarations.
			s.handle("POST /test/tracking-login", auth.Public(), func(w http.ResponseWriter, r *http.Request) error {
				if err := r.ParseForm(); err != nil {
					return err
				}
				pid, err := strconv.ParseInt(r.PostForm.Get("person"), 10, 64)
				if err != nil {
					return err
				}
				if _, err := s.signIn(w, r, pid, true); err != nil {
					return err
				}
				http.SetCookie(w, &http.Cookie{Name: "plenary_tracking", Value: "uid-" + r.PostForm.Get("person"), Path: "/"})
				w.WriteHeader(http.StatusNoContent)
				return nil
			})
		},
	})
	id := a.signUp(t, "Ada", "ada@example.org")
	b := a.browser(t)
	if res := b.post("/login", url.Values{"email": {"ada@example.org"}, "password": {testPassword}, "remember": {"1"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", res.Status)
	}
	mu.Lock()
	if len(caught) != 0 {
		t.Errorf("the declared sign-in cookies were reported: %q", caught)
	}
	mu.Unlock()
	if res := b.post("/test/tracking-login", url.Values{"person": {itoa(id)}}); res.Status != http.StatusNoContent {
		t.Fatalf("bad sign-in: %d %.300s", res.Status, res.Body)
	}
	mu.Lock()
	defer mu.Unlock()
	if got := strings.Join(caught, "; "); got != "plenary_tracking at POST /test/tracking-login" {
		t.Errorf("the hook reported %q, want exactly the undeclared plenary_tracking cookie", got)
	}
}
