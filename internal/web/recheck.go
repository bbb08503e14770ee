package web

import (
	"net/http"
	"time"
)

// --page-recheck (issue 14, off by default). A cached public page is
// normally checked on every request, with one read of the content_versions
// counters (pagever.go). With --page-recheck D, an anonymous GET of a page
// checked less than D ago is answered from the cache at once, without that
// query. The price: a change (a new statement, a reply, a removed posting)
// shows on that instance up to D late. Signed-in visitors are never served
// this way, and a page whose time runs out (pagever.go) is not either.

// recentMax bounds the paths remembered; past it the memory starts over.
const recentMax = 10000

func (c *pageCache) checked(path string, p *cachedPage, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.recent == nil || len(c.recent) >= recentMax {
		c.recent = map[string]recentPage{}
	}
	c.recent[path] = recentPage{page: p, checked: now}
}

func (c *pageCache) fresh(path string, now time.Time, within time.Duration) *cachedPage {
	c.mu.Lock()
	defer c.mu.Unlock()
	rp, ok := c.recent[path]
	if !ok || now.Sub(rp.checked) >= within || now.Before(rp.checked) || (!rp.page.until.IsZero() && !now.Before(rp.page.until)) {
		return nil
	}
	return rp.page
}

// serveRecent answers r from a recently checked cached page, and reports
// whether it did.
func (s *Server) serveRecent(w http.ResponseWriter, r *http.Request) bool {
	if s.pages == nil || s.Config.PageRecheck <= 0 || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		return false
	}
	p := s.pages.fresh(r.URL.Path, time.Now(), s.Config.PageRecheck)
	if p == nil {
		return false
	}
	s.serveCached(w, r, p)
	return true
}
