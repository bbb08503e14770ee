package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/andybalholm/brotli"
)

// The page cache (issue 14). Public pages that change only when their data
// changes are rendered once per change and kept in memory, each under a key
// naming what it shows: the versions of the tables it is read from
// (pagever.go), or for the cookie page nothing but its path. A key never
// names an instance, so several instances need no shared state and none
// can serve a stale page: when the data changes, the key changes with it,
// and the old entry is simply no longer asked for.
//
// Only the anonymous rendering is kept. A signed-in visitor's page carries
// their name and their navigation, so it is rendered for them alone, never
// stored, and marked no-store (see Server.handle). The site uses no CSRF
// tokens (forms are guarded by Sec-Fetch-Site and Origin), so an anonymous
// page holds nothing secret.
//
// Compression. A cached page is compressed once, on the first request that
// accepts gzip or brotli, and the compressed bytes are kept beside it.
// Responses rendered per request are not compressed: a signed-in page
// carries personal data, and pages behind mailed tokens carry the token, in
// the same response as input the visitor typed; compressing secrets next to
// reflected input is what the BREACH attack measures. Cached pages carry
// neither a secret nor anything a request reflects except its own path, so
// compressing them gives nothing away. Static text files (the style sheet)
// are compressed too, in staticgzip.go.

// pageCacheBytes bounds the memory the cache holds, compressed forms
// included; past it, entries are dropped (the next request renders again).
const pageCacheBytes = 64 << 20

// compressMin is the smallest body worth compressing.
const compressMin = 512

type pageCache struct {
	mu      sync.Mutex
	entries map[string]*cachedPage
	size    int
	max     int
	// recent is, by path, the page last served for it to an anonymous
	// visitor and when its data was last checked: with --page-recheck,
	// the page is served again without a check until that is older than
	// the setting (recheck.go).
	recent map[string]recentPage
}

type recentPage struct {
	page    *cachedPage
	checked time.Time
}

type cachedPage struct {
	body    []byte
	etag    string
	lastMod time.Time // zero: the page states none
	until   time.Time // zero: no time limit; else served only before it (pagever.go)

	mu       sync.Mutex
	gz, br   []byte
	gzDone   bool
	brDone   bool
	accounts int // bytes charged to the cache so far
}

func newPageCache(max int) *pageCache {
	return &pageCache{entries: map[string]*cachedPage{}, max: max}
}

func (c *pageCache) get(key string) *cachedPage {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.entries[key]
}

func (c *pageCache) put(key string, p *cachedPage) *cachedPage {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.entries[key]; ok {
		return old // another request rendered the same data first
	}
	c.charge(len(p.body) + len(key))
	p.accounts = len(p.body) + len(key)
	c.entries[key] = p
	return p
}

// charge adds n bytes and drops entries until the cache fits again. Which
// ones go does not matter for correctness; map order is as good as any.
func (c *pageCache) charge(n int) {
	c.size += n
	for k, e := range c.entries {
		if c.size <= c.max {
			break
		}
		delete(c.entries, k)
		c.size -= e.accounts
	}
}

func (c *pageCache) stats() (entries, size int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries), c.size
}

func (c *pageCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// encoded returns the body in encoding ("br", "gzip" or ""), compressing
// it on first use.
func (c *pageCache) encoded(p *cachedPage, encoding string) []byte {
	if encoding == "" || len(p.body) < compressMin {
		return p.body
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var out *[]byte
	var done *bool
	switch encoding {
	case "br":
		out, done = &p.br, &p.brDone
	case "gzip":
		out, done = &p.gz, &p.gzDone
	default:
		return p.body
	}
	if !*done {
		var buf bytes.Buffer
		if encoding == "br" {
			w := brotli.NewWriterLevel(&buf, 6)
			w.Write(p.body)
			w.Close()
		} else {
			w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
			w.Write(p.body)
			w.Close()
		}
		*out, *done = buf.Bytes(), true
		c.mu.Lock()
		p.accounts += len(*out)
		c.charge(len(*out))
		c.mu.Unlock()
	}
	return *out
}

// acceptedEncoding picks brotli, then gzip, from an Accept-Encoding
// header; "" means identity. A coding listed with q=0 is refused.
func acceptedEncoding(header string) string {
	var br, gz bool
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if q, ok := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q="); ok {
			if v, err := strconv.ParseFloat(q, 64); err == nil && v == 0 {
				continue
			}
		}
		switch name {
		case "br":
			br = true
		case "gzip", "x-gzip":
			gz = true
		case "*":
			br = true
		}
	}
	switch {
	case br:
		return "br"
	case gz:
		return "gzip"
	}
	return ""
}

// renderCached serves a public page to an anonymous visitor from the
// cache, under key (which must name everything the page shows besides its
// path), and answers conditional requests with 304. build makes the page's
// data; it is called only when the page must be rendered. A signed-in
// visitor, and any method but GET and HEAD, get the page rendered for them.
// lastMod may be zero.
func (s *Server) renderCached(w http.ResponseWriter, r *http.Request, key string, lastMod time.Time, name string, build func() (pageData, error)) error {
	if identityOf(r) != nil || (r.Method != http.MethodGet && r.Method != http.MethodHead) || s.pages == nil {
		p, err := build()
		if err != nil {
			return err
		}
		s.render(w, r, http.StatusOK, name, p)
		return nil
	}
	key = name + "\x00" + r.URL.Path + "\x00" + key
	e := s.pages.get(key)
	if e == nil {
		p, err := build()
		if err != nil {
			return err
		}
		if p.Identity != nil {
			s.render(w, r, http.StatusOK, name, p)
			return nil
		}
		body, err := s.renderBytes(r, name, p)
		if err != nil {
			return fmt.Errorf("rendering page %s: %w", name, err)
		}
		sum := sha256.Sum256(body)
		e = s.pages.put(key, &cachedPage{body: body, etag: `"` + hex.EncodeToString(sum[:12]) + `"`, lastMod: lastMod.UTC().Truncate(time.Second)})
	} else if renderHook != nil {
		renderHook(name)
	}
	if s.Config.PageRecheck > 0 {
		s.pages.checked(r.URL.Path, e, time.Now())
	}
	s.serveCached(w, r, e)
	return nil
}

// fixed returns a build function for data already at hand.
func fixed(p pageData) func() (pageData, error) {
	return func() (pageData, error) { return p, nil }
}

// serveCached writes a cached page with its validators, or 304 when the
// request's validator still matches.
func (s *Server) serveCached(w http.ResponseWriter, r *http.Request, e *cachedPage) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// The body differs by encoding, and a signed-in visitor gets another
	// page at the same address.
	h.Set("Vary", "Accept-Encoding, Cookie")
	// Browsers and proxies may keep it but must ask again, cheaply (304).
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", e.etag)
	if !e.lastMod.IsZero() {
		h.Set("Last-Modified", e.lastMod.Format(http.TimeFormat))
	}
	if notModified(r, e) {
		h.Del("Content-Type")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	enc := acceptedEncoding(r.Header.Get("Accept-Encoding"))
	body := s.pages.encoded(e, enc)
	if enc != "" && len(e.body) >= compressMin {
		h.Set("Content-Encoding", enc)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// notModified applies If-None-Match, or failing that If-Modified-Since
// (RFC 9110 section 13.2.2).
func notModified(r *http.Request, e *cachedPage) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		for _, t := range strings.Split(inm, ",") {
			t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
			if t == e.etag || t == "*" {
				return true
			}
		}
		return false
	}
	if ims := r.Header.Get("If-Modified-Since"); ims != "" && !e.lastMod.IsZero() {
		if t, err := http.ParseTime(ims); err == nil && !e.lastMod.After(t) {
			return true
		}
	}
	return false
}
