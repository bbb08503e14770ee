// Package web turns HTTP requests into calls on plenary's domain packages
// and renders the answers as HTML that works without JavaScript and without
// cookies. Every route is registered in routes.go with its access rule.
package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"plenary/internal/accesslog"
	"plenary/internal/audit"
	"plenary/internal/auth"
	"plenary/internal/config"
	"plenary/internal/documents"
	"plenary/internal/inventory"
	"plenary/internal/logsearch"
	"plenary/internal/mail"
	"plenary/internal/payments"
	"plenary/internal/policy"
	"plenary/internal/secrets"
	"plenary/internal/store"
)

// Deps are what the web layer needs from the rest of plenary.
type Deps struct {
	Config    *config.Config
	DB        *store.DB
	Inventory *inventory.Inventory
	Policy    *policy.Service
	AccessLog *accesslog.Writer
	Audit     *audit.Log
	LogSearch *logsearch.Service
	Keys      *secrets.Keys
	Log       *slog.Logger
	Version   string
	// Now is the clock; tests replace it.
	Now func() time.Time
	// Identify returns the signed-in person behind a request, or nil.
	// Default: the server-side session the session cookie names.
	Identify func(r *http.Request) (*auth.Identity, error)
	// Mail sends confirmation and reset links; default: the server log.
	Mail mail.Sender
	// Hasher hashes passwords; default auth.DefaultHasher (tests pass a
	// fast one).
	Hasher *auth.Hasher
	// Payments is the card processor for meeting registrations; nil when
	// none is configured.
	Payments payments.Processor
}

// Server is plenary's HTTP application.
type Server struct {
	Deps
	mux    *http.ServeMux
	routes []Route
	views  *views
	// pages is the cache of anonymous public pages (pagecache.go); nil
	// with --dev, where templates change under a running server.
	pages *pageCache
	// versionReads shares the cache's reads of the content counters
	// among concurrent requests (pagever.go).
	versionReads versionReads
	// sharedData keeps what signed-in pages show everyone (pagever.go).
	sharedData sharedData
	// metrics counts requests for /metrics (metrics.go).
	metrics *metrics
	// mailing counts messages still being sent after their response; see
	// sendInBackground.
	mailing sync.WaitGroup
}

// Route is a registered pattern with its access rule.
type Route struct {
	Pattern string
	Rule    auth.Rule
}

// handlerFunc is a handler that returns an error instead of writing one; see
// serveError for how errors become pages.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// New builds the server and registers every route.
func New(d Deps) (*Server, error) {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	v, err := loadViews(d.Config.Dev)
	if err != nil {
		return nil, err
	}
	if d.Mail == nil {
		d.Mail = &mail.LogSender{Log: d.Log}
	}
	if d.Hasher == nil {
		d.Hasher = auth.DefaultHasher()
	}
	s := &Server{Deps: d, mux: http.NewServeMux(), views: v, metrics: &metrics{}}
	if !d.Config.Dev {
		s.pages = newPageCache(pageCacheBytes)
	}
	if s.Identify == nil {
		s.Identify = s.identifySession
	}
	s.registerRoutes()
	return s, nil
}

// Wait waits for messages still being sent; call it once the HTTP server
// has shut down, so that a reset link asked for just before is not lost.
func (s *Server) Wait() { s.mailing.Wait() }

// Routes lists every registered route with its rule, for the access test.
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

// handle registers pattern with its access rule. A route without a rule is
// a programming error and stops the server from starting.
func (s *Server) handle(pattern string, rule auth.Rule, h handlerFunc) {
	if rule.IsZero() {
		panic("web: route " + pattern + " has no access rule")
	}
	s.routes = append(s.routes, Route{Pattern: pattern, Rule: rule})
	s.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		noteRoute(r, pattern)
		id, err := s.identify(r)
		if err != nil {
			s.serveError(w, r, err)
			return
		}
		if id != nil {
			// Set before the rule is checked, so a refusal page too shows
			// the person as signed in.
			r = r.WithContext(context.WithValue(r.Context(), identityKey{}, id))
			// A signed-in page shows someone's data: no cache keeps it, so
			// the back button on a shared computer shows nothing after
			// sign-out. Handlers that serve public files may override.
			w.Header().Set("Cache-Control", "no-store")
		}
		if !rule.Allows(id) {
			s.refuse(w, r, id, rule)
			return
		}
		if id == nil && s.serveRecent(w, r) {
			return // --page-recheck: recheck.go
		}
		if sent, err := s.interstitial(w, r, id); sent || err != nil {
			if err != nil {
				s.serveError(w, r, err)
			}
			return
		}
		if err := h(w, r); err != nil {
			s.serveError(w, r, err)
		}
	}))
}

type identityKey struct{}

// identityOf returns the identity the access check found, or nil.
func identityOf(r *http.Request) *auth.Identity {
	id, _ := r.Context().Value(identityKey{}).(*auth.Identity)
	return id
}

func (s *Server) identify(r *http.Request) (*auth.Identity, error) {
	if s.Identify == nil {
		return nil, nil
	}
	return s.Identify(r)
}

// refuse answers a request the rule does not allow: anonymous visitors of a
// page are sent to sign in, everyone else is told they lack the role.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, id *auth.Identity, rule auth.Rule) {
	if id == nil && rule.NeedsSignIn() {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			http.Redirect(w, r, "/login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		s.serveError(w, r, &Error{Status: http.StatusUnauthorized, Message: "Please sign in first."})
		return
	}
	s.serveError(w, r, &Error{Status: http.StatusForbidden, Message: "Your account does not have access to this page."})
}

// Handler returns the whole application with its middleware: access log
// outermost so that every request is logged, refusals included.
func (s *Server) Handler() http.Handler {
	var h http.Handler = s.mux
	h = s.rememberMe(h)
	h = s.refuseBadInput(h)
	h = s.limitBodies(h)
	h = s.crossOrigin(h)
	h = s.securityHeaders(h)
	h = s.recoverPanics(h)
	h = s.metrics.observe(h)
	if s.AccessLog != nil {
		al := &accesslog.Logger{Writer: s.AccessLog, Trusted: s.Config.TrustedProxies, Redact: redactURI, Log: s.Log, Now: s.Now}
		h = al.Wrap(h)
	}
	return h
}

// secretPrefixes are route prefixes whose next path segment is a one-time
// token; the access log records "[token]" instead, in the request and in
// the referrer, and the page sends no referrer (securityHeaders). A "*"
// stands for one path segment: a discussion group's mailed links carry
// the list's name before the token.
var secretPrefixes = []string{"/verify/", "/reset/", "/signin/", "/unsubscribe/", "/invite/", "/mailings/confirm/", "/registrations/",
	"/lists/*/confirm/", "/lists/*/unsubscribe/", "/lists/*/terms/"}

func redactURI(uri string) string {
	for _, p := range secretPrefixes {
		if n, ok := matchPrefix(uri, p); ok {
			rest := uri[n:]
			if i := strings.IndexAny(rest, "/?"); i >= 0 {
				return redactSearch(uri[:n] + "[token]" + rest[i:])
			}
			return uri[:n] + "[token]"
		}
	}
	return redactSearch(uri)
}

// matchPrefix reports whether uri begins with prefix p, where each "*" of
// p matches one path segment, and how long the matched part is.
func matchPrefix(uri, p string) (int, bool) {
	n := 0
	for {
		star := strings.IndexByte(p, '*')
		if star < 0 {
			return n + len(p), strings.HasPrefix(uri[n:], p)
		}
		if !strings.HasPrefix(uri[n:], p[:star]) {
			return 0, false
		}
		n += star
		seg := strings.IndexAny(uri[n:], "/?")
		if seg < 0 || uri[n+seg] != '/' {
			return 0, false
		}
		n += seg
		p = p[star+1:]
	}
}

// searchPaths are the site's public searches, by GET so that results can
// be linked to.
var searchPaths = map[string]bool{"/drafts": true, "/api/drafts": true, "/lists/search": true}

// redactSearch replaces the terms of the site's public searches (the q
// parameter of /drafts) with "[search]": what people search for is often a
// person's name or address, and the access log keeps no such thing (C2).
// Searches that carry personal data by design are forms sent by POST.
func redactSearch(uri string) string {
	path, query, ok := strings.Cut(uri, "?")
	if !ok || !searchPaths[path] {
		return uri
	}
	params := strings.Split(query, "&")
	changed := false
	for i, p := range params {
		if p == "q" || strings.HasPrefix(p, "q=") || strings.HasPrefix(p, "author=") {
			name, _, _ := strings.Cut(p, "=")
			params[i], changed = name+"=[search]", true
		}
	}
	if !changed {
		return uri
	}
	return path + "?" + strings.Join(params, "&")
}

// permissionsPolicy turns off every powerful browser feature: the site
// uses none of them, so a script injected into it, or a page framing it,
// gets none either. The ad-tracking interest APIs are off too.
var permissionsPolicy = strings.Join([]string{
	"accelerometer=()", "ambient-light-sensor=()", "autoplay=()", "battery=()", "bluetooth=()",
	"browsing-topics=()", "camera=()", "display-capture=()", "encrypted-media=()", "fullscreen=()",
	"gamepad=()", "geolocation=()", "gyroscope=()", "hid=()", "idle-detection=()", "interest-cohort=()",
	"local-fonts=()", "magnetometer=()", "microphone=()", "midi=()", "payment=()",
	"picture-in-picture=()", "publickey-credentials-get=()", "screen-wake-lock=()", "serial=()",
	"storage-access=()", "usb=()", "web-share=()", "xr-spatial-tracking=()",
}, ", ")

func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		// No inline script or style anywhere: charts are SVG with
		// presentation attributes, pages work without JavaScript.
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Permissions-Policy", permissionsPolicy)
		// No other site may hold a reference to this one's windows, nor
		// embed its responses (OWASP Secure Headers).
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		if redactURI(r.URL.Path) != r.URL.Path {
			// A page whose address is a mailed token must not send that
			// address to anything it loads or links to.
			h.Set("Referrer-Policy", "no-referrer")
		}
		if s.Config.TLS() || r.TLS != nil || s.proxiedTLS(r) {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// crossOrigin refuses cross-site state-changing requests with the
// browser's Sec-Fetch-Site and Origin headers, so forms need no token and
// no cookie (K3).
func (s *Server) crossOrigin(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.serveError(w, r, &Error{Status: http.StatusForbidden, Message: "This form was sent from another site, so it was refused. Please use the form on this site."})
	}))
	return cop.Handler(next)
}

// limitBodies refuses a body that says it is too large before anything
// reads it, and cuts off one that turns out to be (a chunked upload), which
// serveError then answers with 413.
func (s *Server) limitBodies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := s.Config.MaxBodyBytes
		// A draft's upload is larger than any form; it is read into
		// memory within its own limits (readUpload).
		if r.Method == http.MethodPost && r.URL.Path == "/drafts/submit" {
			limit = max(limit, maxUpload)
		}
		// So is a liaison statement's, with its attachments (readLiaison).
		if r.Method == http.MethodPost && r.URL.Path == "/admin/liaisons" {
			limit = max(limit, documents.MaxLiaisonUpload)
		}
		if r.ContentLength > limit {
			s.serveError(w, r, &http.MaxBytesError{Limit: limit})
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.Log.Error("panic serving request", "path", r.URL.Path, "panic", p)
				s.serveError(w, r, errors.New("internal error"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}
