package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"plenary/internal/auth"
	"plenary/internal/inventory"
)

// Who may use each route, written by hand and never read from routes.go:
// this table is the second opinion the route table is checked against
// (S1). A new route fails TestEveryRouteEnforcesItsRule until someone
// writes down here who may use it.
const (
	anyone  = "anonymous participant secretariat finance security admin privacy"
	members = "participant secretariat finance security admin privacy"
)

var routeAccess = map[string]string{
	"GET /{$}":                   anyone,
	"GET /healthz":               anyone,
	"GET /static/{hash}/{file}":  anyone,
	"GET /privacy":               anyone,
	"GET /privacy/cookies":       anyone,
	"GET /privacy/versions":      anyone,
	"GET /privacy/versions/{id}": anyone,
	"/":                          anyone,
	// Monitoring (issue 14): no role rule; the handler answers only the
	// addresses of --metrics-allow, loopback by default, which is where
	// this test's requests come from. TestMetricsRefusesOtherAddresses
	// tries the others.
	"GET /metrics": anyone,

	"GET /signup":          anyone,
	"POST /signup":         anyone,
	"GET /verify/{token}":  anyone,
	"POST /verify/{token}": anyone,
	"GET /login":           anyone,
	"POST /login":          anyone,
	"POST /logout":         anyone,
	"GET /logout":          anyone,
	"GET /signin/{token}":  anyone,
	"POST /signin/{token}": anyone,
	"GET /contact":         anyone,
	// Mailed links work without an account: a mail client's one-click
	// unsubscribe carries no cookie.
	"GET /mailings/confirm/{token}":  anyone,
	"POST /mailings/confirm/{token}": anyone,
	"GET /unsubscribe/{token}":       anyone,
	"POST /unsubscribe/{token}":      anyone,
	"POST /contact":                  anyone,
	"GET /reset":                     anyone,
	"POST /reset":                    anyone,
	"GET /reset/{token}":             anyone,
	"POST /reset/{token}":            anyone,

	"GET /account":                          members,
	"POST /account":                         members,
	"POST /account/emails":                  members,
	"POST /account/emails/{email}/{action}": members,
	"GET /account/acknowledge":              members,
	"POST /account/acknowledge":             members,
	"POST /account/mailings":                members,
	"GET /account/export":                   members,
	"POST /account/removal":                 members,
	"POST /account/password":                members,

	"GET /admin/analytics": "secretariat admin",

	"GET /admin/logs/lookup":  "security",
	"POST /admin/logs/lookup": "security",

	"GET /admin/people":                               "secretariat admin",
	"POST /admin/people":                              "secretariat admin",
	"GET /admin/people/{id}":                          "secretariat admin",
	"POST /admin/people/{id}":                         "secretariat admin",
	"POST /admin/people/{id}/emails":                  "secretariat admin",
	"POST /admin/people/{id}/emails/{email}/{action}": "secretariat admin",
	"POST /admin/people/{id}/roles":                   "admin",
	"POST /admin/people/{id}/purge":                   "admin",

	// Privacy questions among them are for admins alone; the handler
	// answers 404 to the secretariat (TestInquiryInbox).
	"GET /admin/inquiries":             "secretariat admin",
	"GET /admin/inquiries/{id}":        "secretariat admin",
	"POST /admin/inquiries/{id}/reply": "secretariat admin",
	"POST /admin/inquiries/{id}/close": "secretariat admin",

	"GET /admin/mailings":                    "secretariat admin",
	"POST /admin/mailings":                   "secretariat admin",
	"POST /admin/mailings/opt-outs":          "secretariat admin",
	"GET /admin/mailings/{id}":               "secretariat admin",
	"POST /admin/mailings/{id}/test":         "secretariat admin",
	"POST /admin/mailings/{id}/send":         "secretariat admin",
	"POST /admin/mailings/{id}":              "secretariat admin",
	"POST /admin/mailings/{id}/delete":       "secretariat admin",
	"GET /lists":                             anyone,
	"GET /lists/{name}":                      anyone,
	"POST /lists/{name}/subscribe":           anyone,
	"GET /lists/{name}/confirm/{token}":      anyone,
	"POST /lists/{name}/confirm/{token}":     anyone,
	"GET /lists/{name}/unsubscribe/{token}":  anyone,
	"POST /lists/{name}/unsubscribe/{token}": anyone,
	"GET /lists/{name}/terms/{token}":        anyone,
	"POST /lists/{name}/terms/{token}":       anyone,
	"GET /lists/{name}/atom.xml":             anyone,
	"GET /lists/{name}/post":                 members,
	"POST /lists/{name}/post":                members,
	"POST /account/lists/{id}/unsubscribe":   members,
	// Discussion groups, the ingest side: attachments of postings.
	"GET /lists/{name}/msg/{id}/att/{n}":           anyone,
	"GET /admin/lists":                             "secretariat admin",
	"POST /admin/lists":                            "secretariat admin",
	"GET /admin/lists/{name}/queue":                "secretariat admin",
	"POST /admin/lists/{name}/queue/{id}/{action}": "secretariat admin",
	"GET /admin/removals":                          "admin privacy",
	"POST /admin/removals/{id}":                    "admin privacy",
	"GET /drafts":                                  anyone,
	"GET /drafts/submit":                           members,
	"POST /drafts/submit":                          members,
	"GET /drafts/{name}":                           anyone,
	"GET /drafts/{name}/{rev}":                     anyone,
	"GET /drafts/{name}/diff":                      anyone,
	"GET /drafts/atom.xml":                         anyone,
	"GET /api/drafts":                              anyone,
	"GET /api/drafts/{name}":                       anyone,
	"GET /meetings":                                anyone,
	"GET /meetings/{id}":                           anyone,
	"GET /meetings/{id}/register":                  anyone,
	"POST /meetings/{id}/register":                 anyone,
	"GET /registrations/{token}":                   anyone,
	"POST /registrations/{token}/pay":              anyone,
	"POST /registrations/{token}/check":            anyone, // payments: read-only registration page
	"POST /payments/webhook/{processor}":           anyone,
	"GET /admin/meetings":                          "secretariat admin",
	"POST /admin/meetings":                         "secretariat admin",
	"GET /admin/payments":                          "finance",
	"GET /admin/payments/{id}/refund":              "finance",
	"POST /admin/payments/{id}/refund":             "finance",
	// Meetings, the registrant's side and the secretariat's list (issue 10).
	"GET /registrations/{token}/receipt":         anyone,
	"POST /registrations/{token}/cancel":         anyone,
	"POST /registrations/{token}/refund":         anyone,
	"GET /admin/refunds":                         "finance",
	"GET /admin/meetings/{id}":                   "secretariat admin",
	"POST /admin/meetings/{id}":                  "secretariat admin",
	"GET /admin/meetings/{id}/registrations.csv": "secretariat admin",

	// IPR disclosures and liaison statements (issue 11).
	"GET /ipr":                             anyone,
	"GET /ipr/new":                         members,
	"POST /ipr/new":                        members,
	"GET /ipr/{id}":                        anyone,
	"GET /admin/ipr":                       "secretariat admin",
	"POST /admin/ipr/{id}":                 "secretariat admin",
	"GET /liaisons":                        anyone,
	"GET /liaisons/{id}":                   anyone,
	"GET /liaisons/{id}/attachments/{aid}": anyone,
	"GET /admin/liaisons":                  "secretariat admin",
	"POST /admin/liaisons":                 "secretariat admin",
	"POST /admin/liaisons/{id}":            "secretariat admin",
	// Data-subject rights by mail and the disclosure register (R2, R4, U4).
	"POST /admin/removals":              "admin privacy",
	"POST /admin/exports":               "admin privacy",
	"GET /admin/disclosures":            "admin privacy",
	"POST /admin/disclosures":           "admin privacy",
	"POST /admin/disclosures/{id}/told": "admin privacy",
	// Discussion groups, the reading side: search, archive, exports, removal.
	"GET /lists/search":                        anyone,
	"GET /lists/{name}/msg/{id}":               anyone,
	"GET /lists/{name}/thread/{id}":            anyone,
	"GET /lists/{name}/mbox":                   anyone,
	"GET /lists/{name}/thread/{id}/mbox":       anyone,
	"GET /lists/{name}/archive":                anyone,
	"GET /lists/{name}/archive/{id}":           anyone,
	"GET /lists/{name}/archive.mbox":           anyone,
	"POST /admin/lists/{name}/msg/{id}/remove": "secretariat admin",

	"GET /admin/audit":         "security admin",
	"POST /admin/audit/verify": "security admin",
}

// callers are the identities every route is tried as; each but the
// anonymous one is a real account holding the participant role and at
// most one staff role.
var callers = []struct {
	name string
	role auth.Role // "" for the anonymous visitor
}{
	{"anonymous", ""},
	{"participant", auth.Participant},
	{"secretariat", auth.Secretariat},
	{"finance", auth.Finance},
	{"security", auth.Security},
	{"admin", auth.Admin},
	{"privacy", auth.Privacy},
}

// TestEveryRouteEnforcesItsRule walks every route the application
// registers and tries it as each caller, signed in for real through
// POST /login with the cookie that gives: the callers routeAccess lists get
// through, an anonymous visitor of a closed page is sent to sign in (GET)
// or told 401, and a signed-in person without the role gets 403 (S1). A
// registered route missing from routeAccess, or a row of it that no route
// matches, fails the test.
func TestEveryRouteEnforcesItsRule(t *testing.T) {
	a := newAccountSite(t, siteOptions{})
	ctx := context.Background()
	// Person 1, whom every {id} and {email} in a tried path names, is
	// nobody's identity here: trying POST /admin/people/1/roles as an
	// admin must not take a caller's own roles away.
	a.makeStaff(t, "Target Person", "target@example.org")

	accounts := map[string]string{} // caller name -> address
	for _, c := range callers[1:] {
		addr := c.name + "@example.org"
		var roles []auth.Role
		if c.role != auth.Participant {
			roles = append(roles, c.role)
		}
		id := a.makeStaff(t, "Caller "+c.name, addr, roles...)
		// Staff-made accounts have agreed to no statement yet; each
		// acknowledges it once, so that no page sends them there instead.
		v, pending, err := a.Policy.PendingAcknowledgement(ctx, a.DB, id)
		if err != nil {
			t.Fatal(err)
		}
		if pending {
			b := a.signIn(t, addr)
			if res := b.post("/account/acknowledge", url.Values{"version": {itoa(v.ID)}}); res.Status != http.StatusSeeOther {
				t.Fatalf("%s acknowledging the statement: %d %.300s", c.name, res.Status, res.Body)
			}
		}
		accounts[c.name] = addr
	}
	signedIn := map[string]*browser{}
	browserFor := func(t *testing.T, who string) *browser {
		t.Helper()
		if who == "anonymous" {
			return a.browser(t)
		}
		if b, ok := signedIn[who]; ok {
			return b
		}
		b := a.signIn(t, accounts[who])
		if b.cookie(inventory.SessionCookie.Name()) == nil {
			t.Fatalf("signing in as %s gave no session cookie", who)
		}
		signedIn[who] = b
		return b
	}

	registered := map[string]bool{}
	for _, route := range a.Server.Routes() {
		registered[route.Pattern] = true
		who, ok := routeAccess[route.Pattern]
		if !ok {
			t.Errorf("route %q is not in routeAccess: write down who may use it", route.Pattern)
			continue
		}
		allowedList := strings.Fields(who)
		method, path := concretePath(route.Pattern)
		for _, c := range callers {
			t.Run(route.Pattern+" as "+c.name, func(t *testing.T) {
				b := browserFor(t, c.name)
				b.header = http.Header{"Sec-Fetch-Site": {"same-origin"}}
				var res response
				if method == "GET" || method == "HEAD" {
					res = b.do(method, path, nil, "")
				} else {
					res = b.do(method, path, strings.NewReader(""), "application/x-www-form-urlencoded")
				}
				if route.Pattern == "POST /logout" {
					delete(signedIn, c.name) // its session has ended
				}
				loc := res.Header.Get("Location")
				refused := res.Status == 401 || res.Status == 403 || (res.Status/100 == 3 && strings.HasPrefix(loc, "/login"))
				allowed := slices.Contains(allowedList, c.name)
				switch {
				case allowed && refused:
					t.Errorf("%s %s refused %s: %d %s", method, path, c.name, res.Status, loc)
				case allowed && res.Status/100 == 3 && strings.HasPrefix(loc, "/account/acknowledge"):
					t.Errorf("%s %s as %s was sent to acknowledge the statement, so the route was not really tried", method, path, c.name)
				case !allowed && !refused:
					t.Errorf("%s %s let %s through: %d %.200s", method, path, c.name, res.Status, res.Body)
				case !allowed && c.role == "" && method == "GET":
					if res.Status != http.StatusSeeOther || loc != "/login?next="+urlQueryEscape(path) {
						t.Errorf("anonymous GET %s: %d to %q, want 303 to sign in and come back", path, res.Status, loc)
					}
				case !allowed && c.role == "":
					if res.Status != http.StatusUnauthorized {
						t.Errorf("anonymous %s %s: %d, want 401", method, path, res.Status)
					}
				case !allowed:
					if res.Status != http.StatusForbidden || !strings.Contains(res.Body, "does not have access") {
						t.Errorf("%s %s as %s: %d, want 403 with an explanation", method, path, c.name, res.Status)
					}
				}
			})
		}
	}
	for pattern := range routeAccess {
		if !registered[pattern] {
			t.Errorf("routeAccess lists %q, which is not a registered route: remove the row", pattern)
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
