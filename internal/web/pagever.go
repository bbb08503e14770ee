package web

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"plenary/internal/store"
)

// Versioned pages (issue 14). A cached public page names the tables it is
// read from ("areas"); triggers bump a counter per table in
// content_versions inside every writing transaction (migration 0070), so
// the counters change when, and in the same commit as, the data does. An
// anonymous request reads all counters with one query, builds the key from
// the page's areas and its path, and on a hit runs nothing else. Every
// instance reads the same counters, so none serves a page older than the
// last commit it can see.
//
// What a page shows may also depend on the time: a draft expires, a
// meeting's registration opens, an announcement's window starts or ends, a
// meeting becomes past at midnight. The build reports the next such moment
// (until); an entry is not served from that moment on, and the next request
// renders it again. Every page also turns over at midnight UTC, which
// covers anything shown by the day.
//
// The counters are read before the page's data: data committed between the
// two reads is newer than the key, never older, so at worst a fresh page
// is kept under the previous key and rendered again on the next request.

// Areas of the cached pages: the tables each one's queries read. A test
// (pagever_test.go) writes to each and watches the page change.
var (
	homeAreas        = []string{"announcements", "lists", "list_posts", "list_contributors", "drafts", "draft_revisions", "draft_authors", "ipr_disclosures", "ipr_documents", "liaison_statements", "meetings"}
	policyAreas      = []string{"policy_versions"}
	draftAreas       = []string{"drafts", "draft_revisions", "draft_authors", "ipr_disclosures", "ipr_documents"}
	meetingAreas     = []string{"meetings", "meeting_tickets", "registrations"}
	messageAreas     = []string{"lists", "list_posts", "list_contributors", "list_post_refs", "list_attachments"}
	versionsSQLite   = "SELECT group_concat(area || '=' || version, ' ') FROM content_versions"
	versionsPostgres = "SELECT string_agg(area || '=' || version, ' ') FROM content_versions"
)

// versionedPage is what a build gives: the page, the moment it stops being
// right without a write (zero: never) and its Last-Modified (zero: none).
// A nil *versionedPage with a nil error means the build answered the
// request itself, uncached (an error page, a tombstone).
type versionedPage struct {
	page    pageData
	until   time.Time
	lastMod time.Time
}

// contentVersions returns every area's counter as of a moment after the
// call began, so the page built from them reflects every commit made
// before the request arrived, on any instance. Concurrent requests share
// reads: a caller joins the next read to start after it arrived (never one
// already under way, which may have begun before a commit the caller has
// seen), so under load one query answers many requests instead of one
// each. The returned map is shared: callers only read it.
func (s *Server) contentVersions(ctx context.Context) (map[string]int64, error) {
	c := &s.versionReads
	c.mu.Lock()
	if !c.running {
		// Nothing under way: this request reads now, in its own goroutine.
		c.running = true
		c.mu.Unlock()
		read := &versionRead{done: make(chan struct{})}
		s.runVersionRead(read)
		return read.versions, read.err
	}
	if c.next == nil {
		c.next = &versionRead{done: make(chan struct{})}
	}
	read := c.next
	c.mu.Unlock()
	select {
	case <-read.done:
		return read.versions, read.err
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for the content versions: %w", ctx.Err())
	}
}

// versionReads coalesces the counter reads of concurrent requests.
type versionReads struct {
	mu      sync.Mutex
	running bool         // a read is under way
	next    *versionRead // the read to start when it ends, with its waiters
	reads   atomic.Int64 // queries made, for the test that they are shared
}

// versionRead is one read of the counters, shared by the requests that
// joined it before it started.
type versionRead struct {
	done     chan struct{}
	versions map[string]int64
	err      error
}

// versionReadTimeout bounds one shared read. It runs under no request's
// context, since one visitor leaving must not fail the others' pages.
const versionReadTimeout = 10 * time.Second

// runVersionRead performs read, then starts the read that requests arriving
// meanwhile joined, if any, in a goroutine of its own so that this caller's
// answer does not wait for it.
func (s *Server) runVersionRead(read *versionRead) {
	s.versionReads.reads.Add(1)
	ctx, cancel := context.WithTimeout(context.Background(), versionReadTimeout)
	read.versions, read.err = s.readContentVersions(ctx)
	cancel()
	close(read.done)
	c := &s.versionReads
	c.mu.Lock()
	next := c.next
	c.next = nil
	c.running = next != nil
	c.mu.Unlock()
	if next != nil {
		go s.runVersionRead(next)
	}
}

// readContentVersions reads every area's counter: one small query,
// answered as one row (the counters joined into one string), since each
// row through database/sql costs more than the database's work for it.
func (s *Server) readContentVersions(ctx context.Context) (map[string]int64, error) {
	q := versionsSQLite
	if s.DB.Dialect() == store.Postgres {
		q = versionsPostgres
	}
	var all sql.NullString
	if err := s.DB.QueryRow(ctx, q).Scan(&all); err != nil {
		return nil, fmt.Errorf("reading the content versions: %w", err)
	}
	out := map[string]int64{}
	for _, f := range strings.Fields(all.String) {
		a, v, _ := strings.Cut(f, "=")
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("reading the content versions: %q: %w", f, err)
		}
		out[a] = n
	}
	return out, nil
}

// versionKey names a page by its areas' counters.
func versionKey(areas []string, vs map[string]int64) string {
	var b strings.Builder
	for _, a := range areas {
		b.WriteString(a)
		b.WriteByte('=')
		b.WriteString(strconv.FormatInt(vs[a], 10))
		b.WriteByte(';')
	}
	return b.String()
}

// nextMidnight is the start of the UTC day after now.
func nextMidnight(now time.Time) time.Time {
	y, m, d := now.UTC().Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
}

// earliest returns the earliest of the moments after now, or zero.
func earliest(now time.Time, ts ...time.Time) time.Time {
	var out time.Time
	for _, t := range ts {
		if t.After(now) && (out.IsZero() || t.Before(out)) {
			out = t
		}
	}
	return out
}

// serveVersioned answers an anonymous GET or HEAD of the page name from
// the cache, keyed by the counters of areas; build makes the page when it
// must be rendered. handled is false when the request is not one the cache
// serves (a signed-in visitor, a POST, no cache): the caller renders it.
func (s *Server) serveVersioned(w http.ResponseWriter, r *http.Request, name string, areas []string, build func() (*versionedPage, error)) (handled bool, err error) {
	if identityOf(r) != nil || (r.Method != http.MethodGet && r.Method != http.MethodHead) || s.pages == nil {
		return false, nil
	}
	vs, err := s.contentVersions(r.Context())
	if err != nil {
		return true, err
	}
	key := name + "\x00" + r.URL.Path + "\x00" + versionKey(areas, vs)
	now := s.Now()
	e := s.pages.get(key)
	if e != nil && (e.until.IsZero() || now.Before(e.until)) {
		if renderHook != nil {
			renderHook(name)
		}
	} else {
		v, err := build()
		if err != nil || v == nil {
			return true, err
		}
		if v.page.Identity != nil {
			s.render(w, r, http.StatusOK, name, v.page)
			return true, nil
		}
		body, err := s.renderBytes(r, name, v.page)
		if err != nil {
			return true, fmt.Errorf("rendering page %s: %w", name, err)
		}
		sum := sha256.Sum256(body)
		until := earliest(now, v.until, nextMidnight(now))
		e = s.pages.replace(key, &cachedPage{body: body, etag: `"` + hex.EncodeToString(sum[:12]) + `"`,
			lastMod: v.lastMod.UTC().Truncate(time.Second), until: until})
	}
	if s.Config.PageRecheck > 0 {
		s.pages.checked(r.URL.Path, e, time.Now())
	}
	s.serveCached(w, r, e)
	return true, nil
}

// versionedData is serveVersioned for data rather than pages: for a page
// rendered for each visitor whose data is partly the same for everyone,
// build's value is kept under name while the counters of areas are
// unchanged and until the moment build reports (and midnight UTC). The
// value is shared by every request: callers copy it before changing it.
func (s *Server) versionedData(ctx context.Context, name string, areas []string, build func() (any, time.Time, error)) (any, error) {
	if s.pages == nil {
		v, _, err := build()
		return v, err
	}
	vs, err := s.contentVersions(ctx)
	if err != nil {
		return nil, err
	}
	key := versionKey(areas, vs)
	now := s.Now()
	c := &s.sharedData
	c.mu.Lock()
	e, ok := c.entries[name]
	c.mu.Unlock()
	if ok && e.key == key && now.Before(e.until) {
		return e.value, nil
	}
	v, until, err := build()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]sharedEntry{}
	}
	c.entries[name] = sharedEntry{key: key, until: earliest(now, until, nextMidnight(now)), value: v}
	return v, nil
}

// sharedData holds versionedData's values, one per name.
type sharedData struct {
	mu      sync.Mutex
	entries map[string]sharedEntry
}

type sharedEntry struct {
	key   string
	until time.Time
	value any
}

// replace stores p under key, over an entry whose time has run out.
func (c *pageCache) replace(key string, p *cachedPage) *cachedPage {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.entries[key]; ok {
		if old.until.Equal(p.until) {
			return old // another request rendered the same data first
		}
		delete(c.entries, key)
		c.size -= old.accounts
	}
	c.charge(len(p.body) + len(key))
	p.accounts = len(p.body) + len(key)
	c.entries[key] = p
	return p
}
