package web

import (
	"context"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"plenary/internal/demo"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestDemoBannerLeadsToTheDemoSection: the demo's announcement links to a
// section of the home page that is really there and says how to sign in;
// a site without the demo has neither.
func TestDemoBannerLeadsToTheDemoSection(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, siteOptions{DB: db})
		res := s.get(t, "/")
		for _, not := range []string{`id="demo"`, `href="/#demo"`, demo.Password} {
			if strings.Contains(res.Body, not) {
				t.Errorf("a site without the demo shows %q", not)
			}
		}
		if ok, err := demo.Seed(context.Background(), demo.Deps{DB: db, Out: io.Discard, Now: time.Now()}); err != nil || !ok {
			t.Fatalf("Seed = %v, %v", ok, err)
		}
		res = s.get(t, "/")
		if res.Status != 200 {
			t.Fatalf("status %d", res.Status)
		}
		for _, want := range []string{
			`<a href="/#demo">What the demo holds and how to sign in</a>`,
			`<section class="demo" id="demo"`,
			"plenary-demo-password", "admin@demo.example", "secretariat@demo.example", "security@demo.example", "tim@demo.example",
			`href="/login"`, `href="/admin/analytics"`,
		} {
			if !strings.Contains(res.Body, want) {
				t.Errorf("home page lacks %q", want)
			}
		}
	})
}

// TestDemoAccountsOpenWhatTheHomePageSays: the home page's table of demo
// accounts lists, for each account, the pages it can open. The lists are
// compared with this test's own, and then each account signs in for real
// with the printed password: every page its row names answers 200, and
// every page another row names but its own does not answers 403 (the
// secretariat was once said to see the audit log, which refuses it).
func TestDemoAccountsOpenWhatTheHomePageSays(t *testing.T) {
	staff := []string{"/admin/people", "/admin/inquiries", "/admin/mailings", "/admin/lists", "/admin/meetings", "/admin/ipr", "/admin/liaisons", "/admin/analytics"}
	want := map[string][]string{
		"admin@demo.example":       append(append([]string{"/account"}, staff...), "/admin/removals", "/admin/disclosures", "/admin/audit"),
		"secretariat@demo.example": append([]string{"/account"}, staff...),
		"security@demo.example":    {"/account", "/admin/logs/lookup", "/admin/audit"},
		"grace@demo.example":       {"/account"},
		"tim@demo.example":         {"/account"},
		"finance@demo.example":     {"/account", "/admin/payments", "/admin/refunds"},
		"privacy@demo.example":     {"/account", "/admin/removals", "/admin/disclosures"},
	}
	row := regexp.MustCompile(`(?s)<tr><td data-label="Account">([^<]+)<br>.*?</tr>`)
	href := regexp.MustCompile(`<a href="([^"]+)">`)
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		a := newAccountSite(t, siteOptions{DB: db})
		if ok, err := demo.Seed(context.Background(), demo.Deps{DB: db, Out: io.Discard, Now: time.Now()}); err != nil || !ok {
			t.Fatalf("Seed = %v, %v", ok, err)
		}
		home := a.get(t, "/")
		start := strings.Index(home.Body, `<section class="demo"`)
		if start < 0 {
			t.Fatalf("the home page has no demo section:\n%.3000s", home.Body)
		}
		section := home.Body[start:]
		section = section[:strings.Index(section, "</section>")]
		listed := map[string][]string{}
		var every []string
		for _, m := range row.FindAllStringSubmatch(section, -1) {
			for _, h := range href.FindAllStringSubmatch(m[0], -1) {
				listed[m[1]] = append(listed[m[1]], h[1])
				if !slices.Contains(every, h[1]) {
					every = append(every, h[1])
				}
			}
		}
		if len(listed) != len(want) {
			t.Errorf("the table lists %d accounts with pages, want %d: %v", len(listed), len(want), listed)
		}
		for email, pages := range want {
			got := slices.Sorted(slices.Values(listed[email]))
			if w := slices.Sorted(slices.Values(pages)); !slices.Equal(got, w) {
				t.Errorf("%s: the table lists %v, want %v", email, got, w)
			}
		}
		for email, pages := range listed {
			b := a.signInWith(t, email, demo.Password)
			for _, p := range every {
				status := b.get(p).Status
				switch {
				case slices.Contains(pages, p) && status != 200:
					t.Errorf("%s: the table says it can open %s, which answers %d", email, p, status)
				case !slices.Contains(pages, p) && status != 403:
					t.Errorf("%s: the table does not list %s, which answers %d, not 403", email, p, status)
				}
			}
		}
	})
}

// TestDemoPagesNameEveryStaffPage: the demo's table offers every staff
// page a browser can open (a GET route under /admin/ without a
// parameter), so a new one shows up there with whoever its rule lets in,
// and no page that has no route.
func TestDemoPagesNameEveryStaffPage(t *testing.T) {
	s := newSite(t, siteOptions{})
	routes := map[string]bool{}
	for _, r := range s.Server.Routes() {
		routes[r.Pattern] = true
		if strings.HasPrefix(r.Pattern, "GET /admin/") && !strings.Contains(r.Pattern, "{") &&
			!slices.ContainsFunc(demoPages, func(p demoPage) bool { return "GET "+p.Path == r.Pattern }) {
			t.Errorf("%s is a staff page the demo's table does not offer: add it to demoPages", r.Pattern)
		}
	}
	for _, p := range demoPages {
		if !routes["GET "+p.Path] {
			t.Errorf("demoPages names %s, which has no GET route", p.Path)
		}
	}
}
