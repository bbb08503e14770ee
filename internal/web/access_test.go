package web

import (
	"net/http"
	"strings"
	"testing"

	"plenary/internal/auth"
)

// identities are the callers every route is tried with: an anonymous
// visitor, a participant with no staff role, and each role on its own.
func identities() []struct {
	name string
	id   *auth.Identity
} {
	out := []struct {
		name string
		id   *auth.Identity
	}{{"anonymous", nil}, {"no role", &auth.Identity{PersonID: testPersonID}}}
	for _, r := range auth.AllRoles {
		out = append(out, struct {
			name string
			id   *auth.Identity
		}{string(r), &auth.Identity{PersonID: testPersonID, Roles: []auth.Role{r}}})
	}
	return out
}

// TestEveryRouteEnforcesItsRule walks Server.Routes() — every route the
// application registers, plus a few restricted test routes so that
// refusals are exercised before real restricted pages exist — and tries
// each as every identity: allowed callers get through, an anonymous
// visitor of a closed page is sent to sign in (GET) or told 401, and a
// signed-in person without the role gets 403 (S1).
func TestEveryRouteEnforcesItsRule(t *testing.T) {
	ok := func(w http.ResponseWriter, r *http.Request) error {
		_, err := w.Write([]byte("reached"))
		return err
	}
	s := newSite(t, siteOptions{Routes: func(s *Server) {
		s.handle("GET /test/signed-in", auth.SignedIn(), ok)
		s.handle("GET /test/finance", auth.Roles(auth.Finance), ok)
		s.handle("POST /test/staff/{id}", auth.Roles(auth.Secretariat, auth.Admin), ok)
		s.handle("GET /test/security", auth.Roles(auth.Security), ok)
	}})
	routes := s.Server.Routes()
	if len(routes) < 8 {
		t.Fatalf("only %d routes registered", len(routes))
	}
	for _, route := range routes {
		method, path := concretePath(route.Pattern)
		for _, who := range identities() {
			t.Run(route.Pattern+" as "+who.name, func(t *testing.T) {
				header := http.Header{"Sec-Fetch-Site": {"same-origin"}}
				if who.id != nil {
					for k, v := range roleHeader(who.id.Roles...) {
						header[k] = v
					}
				}
				var body *strings.Reader
				if method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE" {
					header.Set("Content-Type", "application/x-www-form-urlencoded")
					body = strings.NewReader("")
				}
				var res response
				if body != nil {
					res = s.do(t, method, path, body, header)
				} else {
					res = s.do(t, method, path, nil, header)
				}
				loc := res.Header.Get("Location")
				refused := res.Status == 401 || res.Status == 403 || (res.Status/100 == 3 && strings.HasPrefix(loc, "/login"))
				allowed := route.Rule.Allows(who.id)
				switch {
				case allowed && refused:
					t.Errorf("%s %s (%s) refused %s: %d %s", method, path, route.Rule, who.name, res.Status, loc)
				case !allowed && !refused:
					t.Errorf("%s %s (%s) let %s through: %d %.200s", method, path, route.Rule, who.name, res.Status, res.Body)
				case !allowed && who.id == nil && method == "GET":
					if res.Status != http.StatusSeeOther || loc != "/login?next="+urlQueryEscape(path) {
						t.Errorf("anonymous GET %s: %d to %q, want 303 to sign in and come back", path, res.Status, loc)
					}
				case !allowed && who.id == nil:
					if res.Status != http.StatusUnauthorized {
						t.Errorf("anonymous %s %s: %d, want 401", method, path, res.Status)
					}
				case !allowed:
					if res.Status != http.StatusForbidden || !strings.Contains(res.Body, "does not have access") {
						t.Errorf("%s %s as %s: %d, want 403 with an explanation", method, path, who.name, res.Status)
					}
				}
				if !allowed && strings.Contains(res.Body, "reached") {
					t.Errorf("%s %s as %s: the handler ran", method, path, who.name)
				}
			})
		}
	}
}

// TestRouteWithoutRulePanics checks default deny at start: registering a
// route with the zero Rule stops the program.
func TestRouteWithoutRulePanics(t *testing.T) {
	s := newSite(t, siteOptions{})
	defer func() {
		p := recover()
		if p == nil || !strings.Contains(p.(string), "GET /forgotten") {
			t.Errorf("recovered %v, want a panic naming the route", p)
		}
	}()
	s.Server.handle("GET /forgotten", auth.Rule{}, func(w http.ResponseWriter, r *http.Request) error { return nil })
}

// TestAnonymousVisitsSetNoCookie checks K3 over every registered route:
// no answer to an anonymous visitor sets a cookie.
func TestAnonymousVisitsSetNoCookie(t *testing.T) {
	s := newSite(t, siteOptions{})
	for _, route := range s.Server.Routes() {
		method, path := concretePath(route.Pattern)
		if method != "GET" {
			continue
		}
		res := s.get(t, path)
		if c := res.Header.Values("Set-Cookie"); len(c) > 0 {
			t.Errorf("GET %s set cookies %q", path, c)
		}
	}
}
