package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/andybalholm/brotli"

	"flag"

	"plenary/internal/auth"
	"plenary/internal/config"
	"plenary/internal/demo"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// whoHeader names the signed-in visitor in the cache tests, so that two
// different people can ask for the same page.
const whoHeader = "X-Test-Who"

func identifyWho(r *http.Request) (*auth.Identity, error) {
	name := r.Header.Get(whoHeader)
	if name == "" {
		return nil, nil
	}
	return &auth.Identity{PersonID: int64(len(name)), Name: name}, nil
}

// cachedPaths are the public pages served from the page cache, on a site
// filled with the demo's content.
func cachedPaths(t *testing.T, db *store.DB) []string {
	t.Helper()
	ctx := context.Background()
	var draft, list string
	var post, meeting int64
	if err := db.QueryRow(ctx, "SELECT name FROM drafts ORDER BY id DESC LIMIT 1").Scan(&draft); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(ctx, "SELECT l.name, p.id FROM list_posts p JOIN lists l ON l.id = p.list_id WHERE p.status = 'published' ORDER BY p.id LIMIT 1").Scan(&list, &post); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(ctx, "SELECT id FROM meetings ORDER BY id LIMIT 1").Scan(&meeting); err != nil {
		t.Fatal(err)
	}
	return []string{"/", "/privacy", "/privacy/cookies", "/privacy/versions", "/privacy/versions/1",
		"/drafts/" + draft, "/lists/" + list + "/msg/" + itoa(post), "/meetings/" + itoa(meeting)}
}

func demoSite(t *testing.T, db *store.DB, o siteOptions) *site {
	t.Helper()
	if o.Identify == nil {
		o.Identify = identifyWho
	}
	o.DB = db
	s := newSite(t, o) // publishes the statement the demo needs
	if ok, err := demo.Seed(context.Background(), demo.Deps{DB: db, Out: io.Discard, Now: time.Now()}); err != nil || !ok {
		t.Fatalf("Seed = %v, %v", ok, err)
	}
	return s
}

// TestCachedPagesAnswerConditionalRequests: every cached page carries an
// ETag, answers 304 to it with no body, sets no cookie, and gives the same
// bytes on the second request as on the first.
func TestCachedPagesAnswerConditionalRequests(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		s := demoSite(t, db, siteOptions{})
		for _, p := range cachedPaths(t, db) {
			first := s.get(t, p)
			if first.Status != 200 {
				t.Fatalf("%s: status %d", p, first.Status)
			}
			etag := first.Header.Get("ETag")
			if !strings.HasPrefix(etag, `"`) || len(etag) < 10 {
				t.Errorf("%s: ETag %q", p, etag)
			}
			if c := first.Header.Values("Set-Cookie"); len(c) > 0 {
				t.Errorf("%s: an anonymous page set a cookie: %v", p, c)
			}
			if v := first.Header.Get("Vary"); !strings.Contains(v, "Accept-Encoding") || !strings.Contains(v, "Cookie") {
				t.Errorf("%s: Vary %q", p, v)
			}
			second := s.get(t, p)
			if second.Body != first.Body || second.Header.Get("ETag") != etag {
				t.Errorf("%s: the second answer differs from the first", p)
			}
			nm := s.do(t, "GET", p, nil, http.Header{"If-None-Match": {etag}})
			if nm.Status != 304 || nm.Body != "" {
				t.Errorf("%s with If-None-Match: status %d, %d bytes; want 304 and none", p, nm.Status, len(nm.Body))
			}
			if nm.Header.Get("ETag") != etag {
				t.Errorf("%s: the 304 has ETag %q, want %q", p, nm.Header.Get("ETag"), etag)
			}
			other := s.do(t, "GET", p, nil, http.Header{"If-None-Match": {`"not-this-one"`}})
			if other.Status != 200 || other.Body != first.Body {
				t.Errorf("%s with another ETag: status %d", p, other.Status)
			}
		}
		// The statement states its date of publication.
		priv := s.get(t, "/privacy")
		lm := priv.Header.Get("Last-Modified")
		if lm == "" {
			t.Fatal("/privacy has no Last-Modified")
		}
		if res := s.do(t, "GET", "/privacy", nil, http.Header{"If-Modified-Since": {lm}}); res.Status != 304 {
			t.Errorf("/privacy with If-Modified-Since its own date: status %d, want 304", res.Status)
		}
		if res := s.do(t, "GET", "/privacy", nil, http.Header{"If-Modified-Since": {"Mon, 01 Jan 2001 00:00:00 GMT"}}); res.Status != 200 {
			t.Errorf("/privacy with If-Modified-Since 2001: status %d, want 200", res.Status)
		}
	})
}

// TestRepublishingChangesTheETag: a new version of the statement gives
// /privacy a new ETag and new content, and the old ETag no longer gets 304;
// the old version's page changes too (it is no longer current).
func TestRepublishingChangesTheETag(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, siteOptions{DB: db})
		ctx := context.Background()
		before := s.get(t, "/privacy")
		oldVersion := s.get(t, "/privacy/versions/1")
		cur, err := s.Policy.Current(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Policy.Publish(ctx, cur.Template+"\n## Cached pages\n\nA sentence added for the cache test.\n", "Adds a sentence", "test", false, time.Now().Add(2*time.Second)); err != nil {
			t.Fatal(err)
		}
		after := s.do(t, "GET", "/privacy", nil, http.Header{"If-None-Match": {before.Header.Get("ETag")}})
		if after.Status != 200 {
			t.Fatalf("after republishing, the old ETag got %d, want 200", after.Status)
		}
		if after.Header.Get("ETag") == before.Header.Get("ETag") {
			t.Error("the ETag did not change when the statement was republished")
		}
		if !strings.Contains(after.Body, "A sentence added for the cache test.") || strings.Contains(before.Body, "A sentence added for the cache test.") {
			t.Error("the new statement is not what /privacy shows")
		}
		if after.Header.Get("Last-Modified") == before.Header.Get("Last-Modified") {
			t.Error("Last-Modified did not change with the new version")
		}
		old := s.do(t, "GET", "/privacy/versions/1", nil, http.Header{"If-None-Match": {oldVersion.Header.Get("ETag")}})
		if old.Status != 200 || strings.Contains(old.Body, "the current version") == strings.Contains(oldVersion.Body, "the current version") {
			t.Errorf("the first version's page did not change when it stopped being current (status %d)", old.Status)
		}
		if versions := s.get(t, "/privacy/versions"); !strings.Contains(versions.Body, "Adds a sentence") {
			t.Error("the list of versions does not show the new one")
		}
	})
}

// TestCachedPagesCompress: gzip and brotli bodies decode to exactly the
// uncompressed page; a coding refused with q=0 is not used; a HEAD has
// no body.
func TestCachedPagesCompress(t *testing.T) {
	s := newSite(t, siteOptions{})
	plain := s.get(t, "/privacy")
	if plain.Header.Get("Content-Encoding") != "" {
		t.Fatalf("a request without Accept-Encoding got %q", plain.Header.Get("Content-Encoding"))
	}
	for _, c := range []struct {
		accept, want string
		decode       func(io.Reader) (io.Reader, error)
	}{
		{"gzip", "gzip", func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) }},
		{"gzip, deflate, br", "br", func(r io.Reader) (io.Reader, error) { return brotli.NewReader(r), nil }},
		{"br;q=0, gzip;q=0.8", "gzip", func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) }},
		{"br;q=0,gzip;q=0", "", nil},
		{"identity", "", nil},
	} {
		res := s.do(t, "GET", "/privacy", nil, http.Header{"Accept-Encoding": {c.accept}})
		if got := res.Header.Get("Content-Encoding"); got != c.want {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q, want %q", c.accept, got, c.want)
			continue
		}
		if res.Header.Get("ETag") != plain.Header.Get("ETag") {
			// The ETag names the page; the coding is said by Vary.
			t.Errorf("Accept-Encoding %q: another ETag", c.accept)
		}
		if c.decode == nil {
			if res.Body != plain.Body {
				t.Errorf("Accept-Encoding %q: the body differs", c.accept)
			}
			continue
		}
		if len(res.Body) >= len(plain.Body)/2 {
			t.Errorf("Accept-Encoding %q: %d bytes for a %d-byte page", c.accept, len(res.Body), len(plain.Body))
		}
		r, err := c.decode(strings.NewReader(res.Body))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("Accept-Encoding %q: decoding: %v", c.accept, err)
		}
		if !bytes.Equal(got, []byte(plain.Body)) {
			t.Errorf("Accept-Encoding %q: the decoded body differs from the page", c.accept)
		}
	}
	if head := s.do(t, "HEAD", "/privacy", nil, http.Header{"Accept-Encoding": {"gzip"}}); head.Status != 200 || head.Body != "" || head.Header.Get("ETag") == "" {
		t.Errorf("HEAD /privacy: %d, %d bytes", head.Status, len(head.Body))
	}
	// A page rendered per request is never compressed (BREACH; see
	// pagecache.go), nor is a signed-in visitor's.
	for _, c := range []struct {
		path string
		h    http.Header
	}{
		{"/login", http.Header{"Accept-Encoding": {"gzip, br"}}},
		{"/privacy", http.Header{"Accept-Encoding": {"gzip, br"}, testRolesHeader: {""}}},
	} {
		if res := s.do(t, "GET", c.path, nil, c.h); res.Header.Get("Content-Encoding") != "" {
			t.Errorf("%s (%v) was compressed", c.path, c.h)
		}
	}
}

// TestCacheNeverServesOnePersonsPage: signed-in visitors get their own
// page, marked no-store, with no ETag to revalidate against, and never
// the anonymous one or another person's; the anonymous page never shows
// anyone's name, in whatever order the requests come, concurrently too.
func TestCacheNeverServesOnePersonsPage(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		s := demoSite(t, db, siteOptions{})
		people := []string{"Alice Cachetest", "Bob Cachetest"}
		check := func(t *testing.T, p, who string) {
			h := http.Header{"Accept-Encoding": {"identity"}}
			if who != "" {
				h.Set(whoHeader, who)
			}
			res := s.do(t, "GET", p, nil, h)
			if res.Status != 200 {
				t.Errorf("%s as %q: status %d", p, who, res.Status)
				return
			}
			for _, other := range people {
				if other != who && strings.Contains(res.Body, other) {
					t.Errorf("%s as %q shows %q", p, who, other)
				}
			}
			if who == "" {
				if !strings.Contains(res.Body, `href="/login"`) || len(res.Header.Values("Set-Cookie")) > 0 {
					t.Errorf("%s anonymously: not the anonymous page, or a cookie", p)
				}
				return
			}
			if !strings.Contains(res.Body, who) || !strings.Contains(res.Body, "Sign out") {
				t.Errorf("%s as %q does not show them signed in", p, who)
			}
			if res.Header.Get("Cache-Control") != "no-store" || res.Header.Get("ETag") != "" {
				t.Errorf("%s as %q: Cache-Control %q, ETag %q", p, who, res.Header.Get("Cache-Control"), res.Header.Get("ETag"))
			}
		}
		paths := cachedPaths(t, db)
		for _, p := range paths {
			for _, who := range []string{"Alice Cachetest", "", "Bob Cachetest", "", "Alice Cachetest"} {
				check(t, p, who)
			}
			// A signed-in visitor holding the anonymous page's ETag gets
			// their own page, not 304.
			anon := s.get(t, p)
			res := s.do(t, "GET", p, nil, http.Header{whoHeader: {"Bob Cachetest"}, "If-None-Match": {anon.Header.Get("ETag")}})
			if res.Status != 200 || !strings.Contains(res.Body, "Bob Cachetest") {
				t.Errorf("%s as Bob with the anonymous ETag: status %d", p, res.Status)
			}
		}
		var wg sync.WaitGroup
		for i := range 24 {
			wg.Go(func() {
				who := []string{"", people[0], people[1]}[i%3]
				check(t, paths[i%len(paths)], who)
			})
		}
		wg.Wait()
	})
}

// TestCachedPagesFollowTheirData: a draft page changes when its revision
// expires, an archive message goes when it is taken out, a meeting page
// changes with its meeting; the cache follows each at once, whatever
// ETag the visitor holds.
func TestCachedPagesFollowTheirData(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		var mu sync.Mutex
		now := time.Now()
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		s := demoSite(t, db, siteOptions{Now: clock})
		ctx := context.Background()
		var draft string
		if err := db.QueryRow(ctx, "SELECT name FROM drafts ORDER BY id DESC LIMIT 1").Scan(&draft); err != nil {
			t.Fatal(err)
		}
		before := s.get(t, "/drafts/"+draft)
		if strings.Contains(before.Body, "<dt>Expired</dt>") {
			t.Fatal("the demo's draft has expired already")
		}
		mu.Lock()
		now = now.AddDate(1, 0, 0)
		mu.Unlock()
		after := s.do(t, "GET", "/drafts/"+draft, nil, http.Header{"If-None-Match": {before.Header.Get("ETag")}})
		if after.Status != 200 || !strings.Contains(after.Body, "<dt>Expired</dt>") {
			t.Errorf("a year later the draft page still says it is active (status %d)", after.Status)
		}

		// A posting taken out of the archive is gone at once.
		var list string
		var post int64
		if err := db.QueryRow(ctx, "SELECT l.name, p.id FROM list_posts p JOIN lists l ON l.id = p.list_id WHERE p.status = 'published' ORDER BY p.id LIMIT 1").Scan(&list, &post); err != nil {
			t.Fatal(err)
		}
		msg := "/lists/" + list + "/msg/" + itoa(post)
		first := s.get(t, msg)
		if _, err := db.Exec(ctx, "UPDATE list_posts SET status = 'removed' WHERE id = ?", post); err != nil {
			t.Fatal(err)
		}
		if res := s.do(t, "GET", msg, nil, http.Header{"If-None-Match": {first.Header.Get("ETag")}}); res.Status != 404 {
			t.Errorf("a posting taken out of the archive still answers %d", res.Status)
		}

		// A meeting renamed in the database shows its new name at once.
		var meeting int64
		if err := db.QueryRow(ctx, "SELECT id FROM meetings ORDER BY id LIMIT 1").Scan(&meeting); err != nil {
			t.Fatal(err)
		}
		page := s.get(t, "/meetings/"+itoa(meeting))
		if _, err := db.Exec(ctx, "UPDATE meetings SET name = ? WHERE id = ?", "Renamed for the cache test", meeting); err != nil {
			t.Fatal(err)
		}
		res := s.do(t, "GET", "/meetings/"+itoa(meeting), nil, http.Header{"If-None-Match": {page.Header.Get("ETag")}})
		if res.Status != 200 || !strings.Contains(res.Body, "Renamed for the cache test") {
			t.Errorf("the meeting page did not follow its data (status %d)", res.Status)
		}
	})
}

// TestPageCacheStaysWithinItsBound: past its size the cache drops entries
// rather than grow.
func TestPageCacheStaysWithinItsBound(t *testing.T) {
	c := newPageCache(10_000)
	for i := range 100 {
		c.put(itoa(int64(i)), &cachedPage{body: bytes.Repeat([]byte("x"), 1000)})
	}
	if n := c.len(); n > 10 {
		t.Errorf("%d entries of 1000 bytes in a 10000-byte cache", n)
	}
	if c.size > 10_000 {
		t.Errorf("size %d", c.size)
	}
}

// TestStaticTextIsCompressed: the style sheet comes gzip- or
// brotli-compressed to browsers that accept it, decoding to the file.
func TestStaticTextIsCompressed(t *testing.T) {
	s := newSite(t, siteOptions{})
	css := "/static/" + s.Server.views.hashes["style.css"] + "/style.css"
	plain := s.get(t, css)
	if plain.Status != 200 || plain.Header.Get("Content-Encoding") != "" || !strings.Contains(plain.Header.Get("Vary"), "Accept-Encoding") {
		t.Fatalf("%s: %d, Content-Encoding %q, Vary %q", css, plain.Status, plain.Header.Get("Content-Encoding"), plain.Header.Get("Vary"))
	}
	gz := s.do(t, "GET", css, nil, http.Header{"Accept-Encoding": {"gzip"}})
	if gz.Header.Get("Content-Encoding") != "gzip" || !strings.HasPrefix(gz.Header.Get("Content-Type"), "text/css") {
		t.Fatalf("%s with gzip: Content-Encoding %q, Content-Type %q", css, gz.Header.Get("Content-Encoding"), gz.Header.Get("Content-Type"))
	}
	zr, err := gzip.NewReader(strings.NewReader(gz.Body))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := io.ReadAll(zr); string(got) != plain.Body {
		t.Error("the gzip style sheet does not decode to the file")
	}
	br := s.do(t, "GET", css, nil, http.Header{"Accept-Encoding": {"br"}})
	if got, _ := io.ReadAll(brotli.NewReader(strings.NewReader(br.Body))); br.Header.Get("Content-Encoding") != "br" || string(got) != plain.Body {
		t.Error("the brotli style sheet does not decode to the file")
	}
}

// TestPageRecheckServesWithoutACheck: with --page-recheck, an anonymous
// visitor gets the page as last checked until the setting has passed,
// even when the data changed meanwhile; a signed-in visitor sees the
// change at once. Without it (the default) the change shows at once
// (TestRepublishingChangesTheETag).
func TestPageRecheckServesWithoutACheck(t *testing.T) {
	s := newSite(t, siteOptions{Args: []string{"--page-recheck", "1m"}})
	ctx := context.Background()
	before := s.get(t, "/privacy")
	cur, err := s.Policy.Current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Policy.Publish(ctx, cur.Template+"\nA sentence for the recheck test.\n", "Recheck", "test", false, time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if again := s.get(t, "/privacy"); again.Body != before.Body || again.Header.Get("ETag") != before.Header.Get("ETag") {
		t.Error("within --page-recheck the page was checked again")
	}
	if nm := s.do(t, "GET", "/privacy", nil, http.Header{"If-None-Match": {before.Header.Get("ETag")}}); nm.Status != 304 {
		t.Errorf("within --page-recheck, If-None-Match got %d", nm.Status)
	}
	if signed := s.do(t, "GET", "/privacy", nil, roleHeader()); !strings.Contains(signed.Body, "A sentence for the recheck test.") {
		t.Error("a signed-in visitor did not see the new statement at once")
	}
	if bad := newSiteErr(t, "--page-recheck", "2h"); bad == "" || !strings.Contains(bad, "page-recheck") {
		t.Errorf("--page-recheck 2h was not refused: %q", bad)
	}
}

// newSiteErr loads the configuration with args and returns its error.
func newSiteErr(t *testing.T, args ...string) string {
	t.Helper()
	fset := flag.NewFlagSet("serve", flag.ContinueOnError)
	load := config.Flags(fset)
	if err := fset.Parse(append([]string{"--data", t.TempDir()}, args...)); err != nil {
		return err.Error()
	}
	if _, err := load(); err != nil {
		return err.Error()
	}
	return ""
}
