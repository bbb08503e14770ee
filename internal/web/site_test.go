package web

// This file is the package's test harness: newSite starts the real
// application (real database, real access-log files, real policy service)
// behind a real HTTP server on a random port, and TestMain checks at the
// end that every template was rendered by some test.

import (
	"context"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"plenary/internal/accesslog"
	"plenary/internal/accesslog/accesslogtest"
	"plenary/internal/audit"
	"plenary/internal/auth"
	"plenary/internal/config"
	"plenary/internal/inventory"
	"plenary/internal/logsearch"
	"plenary/internal/policy"
	"plenary/internal/secrets"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

var rendered = struct {
	sync.Mutex
	names map[string]bool
}{names: map[string]bool{}}

func TestMain(m *testing.M) {
	renderHook = func(name string) {
		rendered.Lock()
		rendered.names[name] = true
		rendered.Unlock()
	}
	code := m.Run()
	if code == 0 {
		code = checkEveryTemplateRendered()
	}
	os.Exit(code)
}

// checkEveryTemplateRendered fails the package when a template under
// templates/ was not rendered by any test (STYLE.md, practice 9). It only
// judges complete runs: with -run or -skip most tests did not run.
func checkEveryTemplateRendered() int {
	for _, name := range []string{"test.run", "test.skip"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" {
			return 0
		}
	}
	names, err := fs.Glob(embedded, "templates/*.html")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var missing []string
	for _, n := range names {
		name := strings.TrimSuffix(path.Base(n), ".html")
		if name == "layout" {
			continue // part of every page
		}
		if !rendered.names[name] {
			missing = append(missing, n)
		}
	}
	if len(missing) == 0 {
		return 0
	}
	sort.Strings(missing)
	fmt.Fprintf(os.Stderr, "FAIL: no test in internal/web renders %s: add a scenario that renders each (STYLE.md practice 9; see TestPublicPages in pages_test.go)\n", strings.Join(missing, ", "))
	return 1
}

// testRolesHeader carries the identity of a test request: absent for an
// anonymous visitor, else a comma-separated list of roles. Only the test
// Identify below reads it.
const testRolesHeader = "X-Test-Roles"

// testPersonID and testPersonName are the identity every signed-in test
// request has; C2 tests check they never reach a log line.
const (
	testPersonID   = 424242
	testPersonName = "Ada Testperson"
)

func identifyFromTestHeader(r *http.Request) (*auth.Identity, error) {
	v, ok := r.Header[testRolesHeader]
	if !ok {
		return nil, nil
	}
	id := &auth.Identity{PersonID: testPersonID, Name: testPersonName}
	for _, role := range strings.Split(strings.Join(v, ","), ",") {
		if role = strings.TrimSpace(role); role != "" {
			id.Roles = append(id.Roles, auth.Role(role))
		}
	}
	return id, nil
}

// siteOptions changes what newSite starts.
type siteOptions struct {
	// DB is the database to use; default a new SQLite one.
	DB *store.DB
	// Args are extra configuration flags, as `plenary serve` takes them.
	Args []string
	// TLS serves HTTPS with httptest's certificate.
	TLS bool
	// Now is the server's clock; default time.Now.
	Now func() time.Time
	// Identify replaces the test identity (see testRolesHeader).
	Identify func(r *http.Request) (*auth.Identity, error)
	// Routes registers extra routes before the server starts.
	Routes func(s *Server)
	// UndeclaredCookie receives each cookie a response sets that the
	// inventory does not declare; default: the test fails (K1).
	UndeclaredCookie func(name, request string)
}

// quarterHourClock is the real clock set back to the start of the
// current quarter hour, for a test that spends an allowance of attempts
// and expects the next one refused. The limits count attempts in windows
// of 15 minutes that begin at :00, :15, :30 and :45 (auth.Limiter), so on
// the real clock such a test failed whenever one of those fell between
// its first attempt and its last: the counts began again and the attempt
// that should have been refused went through. On this clock time passes
// as usual, and the window ends 15 minutes after the test began.
func quarterHourClock() func() time.Time {
	now := time.Now()
	back := now.Sub(now.Truncate(loginPerIP.Window))
	return func() time.Time { return time.Now().Add(-back) }
}

// site is a running plenary web server for one test.
type site struct {
	URL     string
	Server  *Server
	DB      *store.DB
	Policy  *policy.Service
	Audit   *audit.Log
	Config  *config.Config
	LogDir  string
	Client  *http.Client // does not follow redirects
	http    *httptest.Server
	logs    *accesslog.Writer
	dataDir string
}

// newSite starts the real application for t on a random port and stops it
// when t ends.
func newSite(t testing.TB, o siteOptions) *site {
	t.Helper()
	ctx := context.Background()
	dataDir := t.TempDir()
	fset := flag.NewFlagSet("serve", flag.ContinueOnError)
	load := config.Flags(fset)
	args := append([]string{"--data", dataDir, "--instance", "test", "--org-name", "Test Standards Body", "--privacy-contact", "privacy@test.example", "--base-url", "https://test.example"}, o.Args...)
	if err := fset.Parse(args); err != nil {
		t.Fatal(err)
	}
	cfg, err := load()
	if err != nil {
		t.Fatal(err)
	}
	db := o.DB
	if db == nil {
		db = storetest.SQLite(t)
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	inv := inventory.Default()
	pol := &policy.Service{
		DB: db, Inventory: inv, AnnounceFor: cfg.AnnounceFor,
		Facts: policy.Facts{Org: cfg.OrgName, Country: cfg.OrgCountry, Contact: cfg.PrivacyContact, RetentionDays: cfg.RetentionDays,
			MailingAddress: cfg.MailingAddress, Secretariat: cfg.SecretariatContact},
	}
	if _, err := pol.EnsureCurrent(ctx, now()); err != nil {
		t.Fatal(err)
	}
	logs, err := accesslog.NewWriter(dataDir+"/logs", cfg.Instance)
	if err != nil {
		t.Fatal(err)
	}
	identify := o.Identify
	if identify == nil {
		identify = identifyFromTestHeader
	}
	auditLog := &audit.Log{DB: db, Key: []byte("test audit key, 32 bytes long..")}
	// The site's key seals the outbox of account mail (internal/outbox).
	keys, err := secrets.FromBytes([]byte("test site master key, at least 32 bytes"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Deps{Config: cfg, DB: db, Inventory: inv, Policy: pol, AccessLog: logs, Version: "test", Now: now, Identify: identify,
		Audit: auditLog, Keys: keys, LogSearch: &logsearch.Service{Dir: logs.Dir(), Audit: auditLog}})
	if err != nil {
		t.Fatal(err)
	}
	if o.Routes != nil {
		o.Routes(srv)
	}
	undeclared := o.UndeclaredCookie
	if undeclared == nil {
		undeclared = func(name, request string) {
			t.Errorf("%s set the cookie %q, which internal/inventory does not declare: declare it in cookies.go and set it through Server.setCookie (K1)", request, name)
		}
	}
	handler := onlyDeclaredCookies(srv.Handler(), inv, undeclared)
	var hs *httptest.Server
	if o.TLS {
		hs = httptest.NewTLSServer(handler)
	} else {
		hs = httptest.NewServer(handler)
	}
	t.Cleanup(func() {
		hs.Close()
		logs.Close()
	})
	client := hs.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &site{URL: hs.URL, Server: srv, DB: db, Policy: pol, Audit: auditLog, Config: cfg, LogDir: logs.Dir(), Client: client, http: hs, logs: logs, dataDir: dataDir}
}

// onlyDeclaredCookies watches every response of a test server: each cookie
// it sets must be declared in the inventory, the way TestMain watches that
// every template is rendered. The check runs when the handler first
// writes, before anything reaches the client, so the test is still running.
func onlyDeclaredCookies(next http.Handler, inv *inventory.Inventory, report func(name, request string)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cw := &cookieWatch{ResponseWriter: w, check: func(h http.Header) {
			for _, line := range h.Values("Set-Cookie") {
				c, err := http.ParseSetCookie(line)
				if err != nil {
					report(line, r.Method+" "+r.URL.Path)
					continue
				}
				if !inv.CookieDeclared(c.Name) {
					report(c.Name, r.Method+" "+r.URL.Path)
				}
			}
		}}
		next.ServeHTTP(cw, r)
		cw.checkOnce()
	})
}

type cookieWatch struct {
	http.ResponseWriter
	check   func(http.Header)
	checked bool
}

func (c *cookieWatch) checkOnce() {
	if !c.checked {
		c.checked = true
		c.check(c.Header())
	}
}

func (c *cookieWatch) WriteHeader(code int) {
	c.checkOnce()
	c.ResponseWriter.WriteHeader(code)
}

func (c *cookieWatch) Write(p []byte) (int, error) {
	c.checkOnce()
	return c.ResponseWriter.Write(p)
}

func (c *cookieWatch) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// response is a finished request with its body read.
type response struct {
	Status int
	Header http.Header
	Body   string
}

// do sends a request; roles, when not nil, make it a signed-in request
// with those roles (an empty slice is a participant with no role at all).
func (s *site) do(t testing.TB, method, target string, body io.Reader, header http.Header) response {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+target, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := s.Client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, target, err)
	}
	return response{Status: res.StatusCode, Header: res.Header, Body: string(b)}
}

func (s *site) get(t testing.TB, target string) response {
	t.Helper()
	return s.do(t, "GET", target, nil, nil)
}

// waitForLines waits until the access log has at least n lines and
// returns them. A line is written as its handler returns, which can be a
// moment after the client has read the answer.
func (s *site) waitForLines(t testing.TB, n int) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		lines := s.logLines(t)
		if len(lines) >= n || time.Now().After(deadline) {
			return lines
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// logLines returns every access-log line written so far.
func (s *site) logLines(t testing.TB) []string {
	t.Helper()
	return accesslogtest.Lines(t, s.LogDir)
}

// concretePath turns a route pattern into a method and a path that the
// pattern matches: each {wildcard} becomes "1".
func concretePath(pattern string) (method, p string) {
	method = "GET"
	if m, rest, ok := strings.Cut(pattern, " "); ok {
		method, pattern = m, rest
	}
	if pattern == "/" {
		return method, "/no-such-page"
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(pattern, '{')
		if i < 0 {
			b.WriteString(pattern)
			break
		}
		j := strings.IndexByte(pattern[i:], '}')
		b.WriteString(pattern[:i])
		if name := pattern[i+1 : i+j]; name != "$" {
			b.WriteString("1")
		}
		pattern = pattern[i+j+1:]
	}
	return method, b.String()
}

func roleHeader(roles ...auth.Role) http.Header {
	parts := make([]string, len(roles))
	for i, r := range roles {
		parts[i] = string(r)
	}
	return http.Header{testRolesHeader: {strings.Join(parts, ",")}}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
