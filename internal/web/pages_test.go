package web

import (
	"context"
	"encoding/json"
	htmltemplate "html/template"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"plenary/internal/auth"
	"plenary/internal/policy"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// scenario is one request and what its answer must and must not hold.
type scenario struct {
	name    string
	method  string // default GET
	path    string
	header  http.Header
	body    string
	status  int
	must    []string
	mustNot []string
}

func (sc scenario) run(t *testing.T, s *site) response {
	t.Helper()
	method := sc.method
	if method == "" {
		method = "GET"
	}
	var body io.Reader
	if sc.body != "" {
		body = strings.NewReader(sc.body)
	}
	res := s.do(t, method, sc.path, body, sc.header)
	if res.Status != sc.status {
		t.Errorf("%s %s: status %d, want %d\n%.600s", method, sc.path, res.Status, sc.status, res.Body)
	}
	for _, m := range sc.must {
		if !strings.Contains(res.Body, m) {
			t.Errorf("%s %s: body lacks %q\n%.600s", method, sc.path, m, res.Body)
		}
	}
	for _, m := range sc.mustNot {
		if strings.Contains(res.Body, m) {
			t.Errorf("%s %s: body contains %q", method, sc.path, m)
		}
	}
	return res
}

// publicScenarios are the foundation's public pages as anyone sees them.
func publicScenarios(s *site) []scenario {
	css := "/static/" + s.Server.views.hashes["style.css"] + "/style.css"
	return []scenario{
		{name: "home", path: "/", status: 200, must: []string{"<title>Home · Test Standards Body</title>", "<h1>Test Standards Body</h1>", "sets no cookie", `href="/privacy"`, css}},
		{name: "home announces the first version", path: "/", status: 200, must: []string{"The privacy statement has changed", "First version of the privacy statement."}},
		{name: "head of home", method: "HEAD", path: "/", status: 200, mustNot: []string{"<"}},
		{name: "privacy", path: "/privacy", status: 200, must: []string{
			"<h1>Privacy statement of Test Standards Body</h1>", "The data inventory", "the IP address your request came from",
			"privacy@test.example", "Sec-GPC: 1", `href="/privacy/versions"`,
		}, mustNot: []string{"{{", "<no value>"}},
		{name: "privacy with query", path: "/privacy?utm_source=x", status: 200, must: []string{"Privacy statement of"}},
		{name: "cookies", path: "/privacy/cookies", status: 200, must: []string{"<h1>Cookies</h1>", "Reading this site sets no cookie", "No third party sets cookies"}},
		{name: "versions", path: "/privacy/versions", status: 200, must: []string{"<h1>Privacy statement versions</h1>", "First version of the privacy statement.", `href="/privacy/versions/`}},
		{name: "first version", path: "/privacy/versions/1", status: 200, must: []string{"This is the first version.", "the current version", "Privacy statement of Test Standards Body"}},
		{name: "missing version", path: "/privacy/versions/999", status: 404, must: []string{"There is no such version of the privacy statement."}},
		{name: "version id not a number", path: "/privacy/versions/abc", status: 404, must: []string{"There is no such version"}},
		{name: "version id negative", path: "/privacy/versions/-1", status: 404, must: []string{"There is no such version"}},
		{name: "unknown page", path: "/no/such/page", status: 404, must: []string{"<title>Not Found · Test Standards Body</title>", "There is no page at this address.", `href="/"`}},
		{name: "stylesheet", path: css, status: 200, must: []string{"--accent"}},
		{name: "stylesheet under an old hash", path: "/static/0000/style.css", status: 302},
		{name: "unknown static file", path: "/static/0000/nope.js", status: 404, must: []string{"There is no such file."}},
		{name: "same-site form post to a page that takes none", method: "POST", path: "/", header: http.Header{"Sec-Fetch-Site": {"same-origin"}, "Content-Type": {"application/x-www-form-urlencoded"}}, body: "a=b", status: 404},
		{name: "health", path: "/healthz", status: 200, must: []string{`"status":"ok"`, `"database":"ok"`, `"instance":"test"`}},
	}
}

// TestPublicPages walks the public pages on each engine: every page
// answers, says what it should, sets no cookie (K3), carries the security
// headers and uses no inline script or style.
func TestPublicPages(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, siteOptions{DB: db})
		for _, sc := range publicScenarios(s) {
			t.Run(sc.name, func(t *testing.T) {
				res := sc.run(t, s)
				if c := res.Header.Values("Set-Cookie"); len(c) > 0 {
					t.Errorf("anonymous visit set cookies %q", c)
				}
				if strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
					checkNoInlineCode(t, res.Body)
				}
			})
		}
		res := s.get(t, "/healthz")
		var h map[string]string
		if err := json.Unmarshal([]byte(res.Body), &h); err != nil {
			t.Fatalf("healthz is not JSON: %v", err)
		}
		if h["engine"] != db.Dialect().String() || h["version"] != "test" || res.Header.Get("Content-Type") != "application/json" || res.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("healthz %v, headers %v", h, res.Header)
		}
	})
}

// inlineCode finds what a CSP without 'unsafe-inline' would block.
var inlineCode = regexp.MustCompile(`(?i)<script(?:\s[^>]*)?>\s*[^<\s]|<style|\sstyle=|\son[a-z]+=`)

func checkNoInlineCode(t *testing.T, body string) {
	t.Helper()
	if m := inlineCode.FindString(body); m != "" {
		t.Errorf("page has inline code %q that the Content-Security-Policy blocks", m)
	}
}

// TestVersionsPage checks V1 end to end: a published version appears in
// the list, its page shows the change from the version before, and the
// older version stays readable.
func TestVersionsPage(t *testing.T) {
	s := newSite(t, siteOptions{})
	ctx := context.Background()
	first, err := s.Policy.Current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := strings.Replace(policy.BuiltinTemplate(), "## Children", "## Meetings\n\nAttendance lists of meetings are kept for ten years.\n\n## Children", 1)
	v, err := s.Policy.Publish(ctx, tmpl, "Added what is kept about meetings.", "test.md", true, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range []scenario{
		{name: "list", path: "/privacy/versions", status: 200, must: []string{"Added what is kept about meetings.", "/privacy/versions/" + itoa(v.ID), "/privacy/versions/" + itoa(first.ID), "<td>Yes</td>", "<td>No</td>"}},
		{name: "new version with diff", path: "/privacy/versions/" + itoa(v.ID), status: 200, must: []string{"Changes since the version of", "<ins>+ ## Meetings</ins>", "<ins>+ Attendance lists of meetings are kept for ten years.</ins>", "the current version", "<h2>Meetings</h2>"}},
		{name: "old version stays readable", path: "/privacy/versions/" + itoa(first.ID), status: 200, must: []string{"This is the first version."}, mustNot: []string{"<h2>Meetings</h2>", "the current version"}},
		{name: "privacy page shows the new version", path: "/privacy", status: 200, must: []string{"<h2>Meetings</h2>"}},
	} {
		t.Run(sc.name, func(t *testing.T) { sc.run(t, s) })
	}
}

// TestHomeAnnouncesNewVersion checks V2: the home page announces a new
// version while its announcement lasts, and not after.
func TestHomeAnnouncesNewVersion(t *testing.T) {
	clock := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	s := newSite(t, siteOptions{Now: now, Args: []string{"--announce-days", "7"}})
	ctx := context.Background()
	v, err := s.Policy.Publish(ctx, policy.BuiltinTemplate(), "Plainer words about the access log.", "test.md", false, clock.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		at   time.Time
		show bool
	}{
		{clock, false}, // before publication
		{clock.Add(25 * time.Hour), true},
		{clock.Add(24*time.Hour + 7*24*time.Hour - time.Minute), true},
		{clock.Add(24*time.Hour + 7*24*time.Hour), false},
	}
	for _, tt := range tests {
		clock = tt.at
		res := s.get(t, "/")
		link := `<a href="/privacy/versions/` + itoa(v.ID) + `">Read what changed</a>`
		if got := strings.Contains(res.Body, "Plainer words about the access log.") && strings.Contains(res.Body, link); got != tt.show {
			t.Errorf("at %v: announcement shown=%v, want %v", tt.at, got, tt.show)
		}
	}
}

// TestSecurityHeaders checks the headers every answer carries, and HSTS
// only over HTTPS (S2).
func TestSecurityHeaders(t *testing.T) {
	plain := newSite(t, siteOptions{})
	tls := newSite(t, siteOptions{TLS: true})
	for _, s := range []*site{plain, tls} {
		for _, p := range []string{"/", "/privacy", "/no-such-page", "/healthz", "/static/0000/style.css"} {
			res := s.get(t, p)
			h := res.Header
			csp := h.Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'self'", "frame-ancestors 'none'", "script-src 'self'", "style-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'self'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("%s: CSP %q lacks %q", p, csp, want)
				}
			}
			if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
				t.Errorf("%s: CSP %q allows inline code", p, csp)
			}
			if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" || h.Get("X-Frame-Options") != "DENY" {
				t.Errorf("%s: headers %v", p, h)
			}
			hsts := h.Get("Strict-Transport-Security")
			if isTLS := strings.HasPrefix(s.URL, "https:"); isTLS != (hsts != "") {
				t.Errorf("%s over %s: Strict-Transport-Security %q", p, s.URL, hsts)
			} else if isTLS && !strings.Contains(hsts, "max-age=") {
				t.Errorf("HSTS %q has no max-age", hsts)
			}
		}
	}
}

// TestRequestLimits checks that oversized bodies and cross-site posts are
// refused with a page that says why.
func TestRequestLimits(t *testing.T) {
	s := newSite(t, siteOptions{Args: []string{"--max-body", "2048"}, Routes: func(s *Server) {
		s.handle("POST /test/form", auth.Public(), func(w http.ResponseWriter, r *http.Request) error {
			if err := r.ParseForm(); err != nil {
				return err
			}
			_, err := io.WriteString(w, "got "+itoa(int64(len(r.PostForm.Get("text")))))
			return err
		})
	}})
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Sec-Fetch-Site": {"same-origin"}}
	big := "text=" + strings.Repeat("x", 4096)
	for _, sc := range []scenario{
		{name: "small form", method: "POST", path: "/test/form", header: form, body: "text=hello", status: 200, must: []string{"got 5"}},
		{name: "declared too large", method: "POST", path: "/", header: form, body: big, status: 413, must: []string{"larger than this site accepts", "Nothing was saved."}},
		{name: "too large while reading", method: "POST", path: "/test/form", header: form, body: big, status: 413, must: []string{"larger than this site accepts"}},
		{name: "cross-site post", method: "POST", path: "/test/form", header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Sec-Fetch-Site": {"cross-site"}}, body: "text=x", status: 403, must: []string{"sent from another site"}},
		{name: "foreign origin", method: "POST", path: "/test/form", header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {"https://attacker.example"}}, body: "text=x", status: 403, must: []string{"sent from another site"}},
		{name: "cross-site GET is fine", path: "/privacy", header: http.Header{"Sec-Fetch-Site": {"cross-site"}}, status: 200},
	} {
		t.Run(sc.name, func(t *testing.T) { sc.run(t, s) })
	}
	// A chunked upload has no declared length; it is cut off while read.
	req, _ := http.NewRequest("POST", s.URL+"/test/form", io.MultiReader(strings.NewReader(big)))
	req.Header = form.Clone()
	res, err := s.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 413 {
		t.Errorf("chunked oversized body: status %d", res.StatusCode)
	}
}

func TestHealthzWhenDatabaseIsGone(t *testing.T) {
	s := newSite(t, siteOptions{})
	if res := s.get(t, "/healthz"); res.Status != 200 {
		t.Fatalf("healthy site answered %d", res.Status)
	}
	s.DB.Close()
	res := s.get(t, "/healthz")
	if res.Status != http.StatusServiceUnavailable || !strings.Contains(res.Body, `"database":"unreachable"`) || !strings.Contains(res.Body, `"status":"unavailable"`) {
		t.Errorf("healthz without a database: %d %s", res.Status, res.Body)
	}
	// Pages that need the database fail with a page that leaks nothing.
	res = s.get(t, "/privacy")
	if res.Status != 500 || !strings.Contains(res.Body, "Something went wrong on our side") || strings.Contains(res.Body, "sql") {
		t.Errorf("privacy without a database: %d %.300s", res.Status, res.Body)
	}
}

// TestExternalLinksAreMarked checks L1 on every public page: each link to
// another host carries the class "external" (which shows the mark) and
// says so in words. An announcement pointing elsewhere is included so the
// check has something to bite on.
func TestExternalLinksAreMarked(t *testing.T) {
	s := newSite(t, siteOptions{})
	ctx := context.Background()
	now := time.Now().UTC()
	if _, err := s.DB.Exec(ctx, "INSERT INTO announcements (title, body, link, starts_at, ends_at) VALUES (?, ?, ?, ?, ?)",
		"Meeting in Madrid", "The venue has its own site.", "https://venue.example/madrid", now.Add(-time.Hour), now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB.Exec(ctx, "INSERT INTO announcements (title, body, link, starts_at, ends_at) VALUES (?, ?, ?, ?, ?)",
		"Bad link", "Never a script.", "javascript:alert(1)", now.Add(-time.Hour), now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	externals := 0
	for _, sc := range publicScenarios(s) {
		if sc.status != 200 || (sc.method != "" && sc.method != "GET") || strings.HasPrefix(sc.path, "/static/") || sc.path == "/healthz" {
			continue
		}
		res := s.get(t, sc.path)
		for _, a := range links(t, res.Body) {
			u, err := url.Parse(a.href)
			if err != nil {
				t.Errorf("%s: unparsable link %q", sc.path, a.href)
				continue
			}
			if u.Scheme == "javascript" {
				t.Errorf("%s: link %q runs script", sc.path, a.href)
			}
			if u.Host == "" || u.Host == strings.TrimPrefix(s.URL, "http://") {
				continue
			}
			externals++
			if !strings.Contains(" "+a.class+" ", " external ") {
				t.Errorf("%s: link to %s is not marked external (class %q)", sc.path, a.href, a.class)
			}
			if !strings.Contains(a.text, "(external site)") {
				t.Errorf("%s: link to %s does not say in words that it leaves the site: %q", sc.path, a.href, a.text)
			}
			if !strings.Contains(a.rel, "noopener") {
				t.Errorf("%s: link to %s lacks rel=noopener", sc.path, a.href)
			}
		}
	}
	if externals == 0 {
		t.Error("no external link was found, so nothing was checked")
	}
}

type anchor struct{ href, class, rel, text string }

// links parses a page and returns its <a href> elements.
func links(t *testing.T, page string) []anchor {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var out []anchor
	var text func(n *html.Node) string
	text = func(n *html.Node) string {
		if n.Type == html.TextNode {
			return n.Data
		}
		var b strings.Builder
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			b.WriteString(text(c))
		}
		return b.String()
	}
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode || n.Data != "a" {
			continue
		}
		var a anchor
		has := false
		for _, at := range n.Attr {
			switch at.Key {
			case "href":
				a.href, has = at.Val, true
			case "class":
				a.class = at.Val
			case "rel":
				a.rel = at.Val
			}
		}
		if has {
			a.text = text(n)
			out = append(out, a)
		}
	}
	return out
}

func TestTemplateFuncsMarkExternalLinks(t *testing.T) {
	funcs := (&views{}).funcs(nil)
	ext := funcs["external"].(func(string, string) htmltemplate.HTML)
	link := funcs["link"].(func(string, string) htmltemplate.HTML)
	tests := []struct {
		got, want string
	}{
		{string(ext("https://www.rfc-editor.org/", "RFC Editor")), `<a href="https://www.rfc-editor.org/" class="external" rel="external noopener noreferrer">RFC Editor<span class="visually-hidden"> (external site)</span></a>`},
		{string(ext(`https://x.example/?a="b"`, "<b>")), `<a href="https://x.example/?a=&#34;b&#34;" class="external" rel="external noopener noreferrer">&lt;b&gt;<span class="visually-hidden"> (external site)</span></a>`},
		{string(link("/privacy", "Privacy")), `<a href="/privacy">Privacy</a>`},
		{string(link("https://venue.example/", "Venue")), `<a href="https://venue.example/" class="external" rel="external noopener noreferrer">Venue<span class="visually-hidden"> (external site)</span></a>`},
		{string(link("javascript:alert(1)", "x")), `<a href="#">x</a>`},
		{string(link("mailto:a@b.example", "mail")), `<a href="mailto:a@b.example">mail</a>`},
		// template.HTML escapes html/template's URL filter, so each
		// function must refuse a script URL itself.
		{string(ext("javascript:alert(1)", "x")), `<a href="#" class="external" rel="external noopener noreferrer">x<span class="visually-hidden"> (external site)</span></a>`},
		{string(ext(" JavaScript:alert(1)", "x")), `<a href="#" class="external" rel="external noopener noreferrer">x<span class="visually-hidden"> (external site)</span></a>`},
		{string(link("data:text/html,<script>", "x")), `<a href="#">x</a>`},
		{string(link(`/\evil.example/`, "x")), `<a href="#">x</a>`},
		{string(link("https:evil.example", "x")), `<a href="https:evil.example" class="external" rel="external noopener noreferrer">x<span class="visually-hidden"> (external site)</span></a>`},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got  %s\nwant %s", tt.got, tt.want)
		}
	}
}

// TestErrorsLeakNothing checks that a handler's internal error becomes a
// generic page while a user-facing error keeps its message and status.
func TestErrorsLeakNothing(t *testing.T) {
	s := newSite(t, siteOptions{Routes: func(s *Server) {
		s.handle("GET /test/internal", auth.Public(), func(w http.ResponseWriter, r *http.Request) error {
			return io.ErrUnexpectedEOF
		})
		s.handle("GET /test/user", auth.Public(), func(w http.ResponseWriter, r *http.Request) error {
			return badRequest("The date must look like 2026-01-31.")
		})
		s.handle("GET /test/panic", auth.Public(), func(w http.ResponseWriter, r *http.Request) error {
			panic("boom")
		})
	}})
	for _, sc := range []scenario{
		{name: "internal", path: "/test/internal", status: 500, must: []string{"Something went wrong on our side"}, mustNot: []string{"unexpected EOF"}},
		{name: "user", path: "/test/user", status: 400, must: []string{"The date must look like 2026-01-31."}},
		{name: "panic", path: "/test/panic", status: 500, must: []string{"Something went wrong on our side"}, mustNot: []string{"boom"}},
	} {
		t.Run(sc.name, func(t *testing.T) { sc.run(t, s) })
	}
}
