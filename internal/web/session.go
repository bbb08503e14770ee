package web

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"plenary/internal/accesslog"
	"plenary/internal/auth"
	"plenary/internal/inventory"
	"plenary/internal/people"
	"plenary/internal/store"
)

// Sign-in state lives in the database (table sessions); the browser holds
// only a random token in the session cookie, and, when the participant
// asked to be remembered and sent no privacy signal, a second token in the
// persistent cookie (K1, K4). Anonymous visitors get no cookie at all (K3).

// identifySession is the default Deps.Identify: the person whose live
// session the session cookie names, or nil.
func (s *Server) identifySession(r *http.Request) (*auth.Identity, error) {
	c, err := r.Cookie(inventory.SessionCookie.Name())
	if err != nil {
		return nil, nil
	}
	return people.SessionIdentity(r.Context(), s.DB, c.Value, auth.KindSession, s.Now())
}

// secureCookies reports whether cookies get the Secure attribute: whenever
// the site is reached over TLS, directly or behind a proxy.
func (s *Server) secureCookies(r *http.Request) bool {
	return r.TLS != nil || s.Config.TLS() || (s.Config.BaseURL != nil && s.Config.BaseURL.Scheme == "https") ||
		s.proxiedTLS(r)
}

// proxiedTLS reports whether a trusted proxy (--trusted-proxies) says it
// received the request over TLS. A proxy that terminates TLS and talks
// plain HTTP to plenary would otherwise get cookies without Secure when
// --base-url was left at its http default. The header counts only from a
// trusted peer: anyone else could send it.
func (s *Server) proxiedTLS(r *http.Request) bool {
	proto := r.Header.Get("X-Forwarded-Proto")
	if proto == "" || len(s.Config.TrustedProxies) == 0 {
		return false
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	for _, p := range s.Config.TrustedProxies {
		if p.Contains(peer.Unmap()) {
			// A chain of proxies may list one protocol per hop; the
			// first is what the browser used.
			first, _, _ := strings.Cut(proto, ",")
			return strings.EqualFold(strings.TrimSpace(first), "https")
		}
	}
	return false
}

// setCookie is the only way the site sets a cookie: it takes the cookie's
// declaration from the inventory (K1), never a name, and the cookie lasts
// as long as the declaration says.
func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, c *inventory.CookieDecl, value string) {
	hc := s.cookie(r, c, value)
	if d := c.MaxAge(); d > 0 {
		hc.MaxAge = int(d / time.Second)
		hc.Expires = s.Now().Add(d).UTC()
	}
	http.SetCookie(w, hc)
}

// clearCookie tells the browser to drop a declared cookie.
func (s *Server) clearCookie(w http.ResponseWriter, r *http.Request, c *inventory.CookieDecl) {
	hc := s.cookie(r, c, "")
	hc.MaxAge = -1
	hc.Expires = time.Unix(1, 0)
	http.SetCookie(w, hc)
}

func (s *Server) cookie(r *http.Request, c *inventory.CookieDecl, value string) *http.Cookie {
	return &http.Cookie{
		Name: c.Name(), Value: value, Path: "/",
		HttpOnly: true, Secure: s.secureCookies(r), SameSite: http.SameSiteLaxMode,
	}
}

// privacySignal names the signal a request carries that rules out optional
// cookies, or "" (K4).
func privacySignal(r *http.Request) string {
	switch {
	case strings.TrimSpace(r.Header.Get("Sec-GPC")) == "1":
		return "Global Privacy Control (Sec-GPC: 1)"
	case strings.TrimSpace(r.Header.Get("DNT")) == "1":
		return "Do Not Track (DNT: 1)"
	}
	return ""
}

// signIn starts a session for personID and sets the session cookie, and,
// when remember is asked and no privacy signal forbids it, the persistent
// cookie. It returns the signal that kept the persistent cookie away, if
// one did.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request, personID int64, remember bool) (refusedBy string, err error) {
	ctx := r.Context()
	now := s.Now()
	var sess, rem string
	signal := privacySignal(r)
	// The sessions the browser's cookies already name end here: a token
	// planted before sign-in (session fixation), or the persistent cookie
	// of an earlier sign-in, perhaps someone else's on a shared computer,
	// must not outlive this one.
	var old []string
	hadRemember := false
	for _, c := range []*inventory.CookieDecl{inventory.SessionCookie, inventory.RememberCookie} {
		if hc, err := r.Cookie(c.Name()); err == nil {
			old = append(old, hc.Value)
			hadRemember = hadRemember || c == inventory.RememberCookie
		}
	}
	family := auth.NewFamily()
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		for _, tok := range old {
			if err := auth.EndSession(ctx, tx, tok); err != nil {
				return err
			}
		}
		var err error
		if sess, err = auth.StartSession(ctx, tx, personID, auth.KindSession, family, inventory.SessionCookie.Lifetime(), now); err != nil {
			return err
		}
		if remember && signal == "" {
			rem, err = auth.StartSession(ctx, tx, personID, auth.KindRemember, family, inventory.RememberCookie.Lifetime(), now)
		}
		return err
	})
	if err != nil {
		return "", err
	}
	s.setCookie(w, r, inventory.SessionCookie, sess)
	if rem != "" {
		s.setCookie(w, r, inventory.RememberCookie, rem)
	} else if hadRemember {
		s.clearCookie(w, r, inventory.RememberCookie)
	}
	if remember && signal != "" {
		return signal, nil
	}
	return "", nil
}

// signOut ends the sessions both cookies name, clears the cookies, and asks
// the browser to drop what it cached and stored for the site: on a shared
// computer the next person must find nothing of the last one's visit.
// Clear-Site-Data "cookies" is not asked for: browsers apply it to the
// whole registrable domain, so it would sign the person out of the
// organization's other sites too; the two cookies this site sets are
// cleared one by one instead.
func (s *Server) signOut(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	for _, c := range []*inventory.CookieDecl{inventory.SessionCookie, inventory.RememberCookie} {
		hc, err := r.Cookie(c.Name())
		if err != nil {
			continue
		}
		if err := auth.EndSession(ctx, s.DB, hc.Value); err != nil {
			return err
		}
		s.clearCookie(w, r, c)
	}
	w.Header().Set("Clear-Site-Data", `"cache", "storage"`)
	return nil
}

// rememberMe starts a new session for a browser that comes back with a
// valid persistent cookie but no live session, and clears a persistent
// cookie that no longer works.
func (s *Server) rememberMe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc, err := r.Cookie(inventory.RememberCookie.Name())
		if err != nil || s.DB == nil {
			next.ServeHTTP(w, r)
			return
		}
		ctx := r.Context()
		now := s.Now()
		if sc, err := r.Cookie(inventory.SessionCookie.Name()); err == nil {
			if pid, err := auth.LookupSession(ctx, s.DB, sc.Value, auth.KindSession, now); err == nil && pid != 0 {
				next.ServeHTTP(w, r)
				return
			}
		}
		// The persistent token is used up and replaced by a fresh one, so a
		// copied cookie stops working at its owner's next visit, and if the
		// copy comes back after that, every sign-in descended from the same
		// first one ends (auth.Resume). A browser that now sends a privacy
		// signal gets no new persistent cookie (K4).
		signal := privacySignal(r)
		var got auth.Resumed
		replayed := false
		err = s.DB.Tx(ctx, func(tx *store.Tx) error {
			var err error
			got, err = auth.Resume(ctx, tx, rc.Value, signal == "", inventory.SessionCookie.Lifetime(), inventory.RememberCookie.Lifetime(), now)
			if errors.Is(err, auth.ErrReplayed) {
				// Commit the ending of the family; the request goes on
				// as anonymous.
				replayed = true
				return nil
			}
			return err
		})
		if err != nil {
			s.serveError(w, r, err)
			return
		}
		if got.PersonID == 0 {
			s.clearCookie(w, r, inventory.RememberCookie)
			if replayed {
				s.Log.Warn("a used remember-me token came back; its sign-in family was ended")
				s.clearCookie(w, r, inventory.SessionCookie)
			}
			r = withoutSignInCookies(r)
			next.ServeHTTP(w, r)
			return
		}
		s.setCookie(w, r, inventory.SessionCookie, got.Session)
		if got.Remember != "" {
			s.setCookie(w, r, inventory.RememberCookie, got.Remember)
		} else {
			s.clearCookie(w, r, inventory.RememberCookie)
		}
		// The handlers below read the new session from the request.
		r = withoutSignInCookies(r)
		r.AddCookie(&http.Cookie{Name: inventory.SessionCookie.Name(), Value: got.Session})
		if got.Remember != "" {
			r.AddCookie(&http.Cookie{Name: inventory.RememberCookie.Name(), Value: got.Remember})
		}
		next.ServeHTTP(w, r)
	})
}

// withoutSignInCookies returns a copy of r that carries every cookie but
// the session and remember-me cookies.
func withoutSignInCookies(r *http.Request) *http.Request {
	r = r.Clone(r.Context())
	cookies := r.Cookies()
	r.Header.Del("Cookie")
	for _, c := range cookies {
		if c.Name != inventory.SessionCookie.Name() && c.Name != inventory.RememberCookie.Name() {
			r.AddCookie(c)
		}
	}
	return r
}

// acknowledgeExempt are the paths a participant may use before
// acknowledging a material change: the statement itself and signing out.
func acknowledgeExempt(path string) bool {
	return path == "/account/acknowledge" || path == "/logout" || path == "/healthz" ||
		path == "/privacy" || strings.HasPrefix(path, "/privacy/") || strings.HasPrefix(path, "/static/")
}

// interstitial sends a signed-in participant to /account/acknowledge while
// a material version of the privacy statement waits for their
// acknowledgement (V3), and reports whether it did.
func (s *Server) interstitial(w http.ResponseWriter, r *http.Request, id *auth.Identity) (bool, error) {
	if id == nil || s.Policy == nil || (r.Method != http.MethodGet && r.Method != http.MethodHead) || acknowledgeExempt(r.URL.Path) {
		return false, nil
	}
	_, pending, err := s.Policy.PendingAcknowledgement(r.Context(), s.DB, id.PersonID)
	if err != nil || !pending {
		return false, err
	}
	http.Redirect(w, r, "/account/acknowledge?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
	return true, nil
}

// localNext returns next when it is a path on this site, else def: a
// sign-in link must not send anyone elsewhere.
func localNext(next, def string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\\\r\n\t") {
		return def
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return def
	}
	return next
}

// limit counts an attempt against each limiter and key in turn; when one
// is over, it answers with 429, a Retry-After header and a message saying
// how long to wait. The checks after an exceeded one count nothing: a
// client already over its own limit must not use up anyone else's, such
// as the attempts an account's address is allowed (so list the
// per-client check first).
func (s *Server) limit(ctx context.Context, checks ...limitCheck) error {
	now := s.Now()
	var wait time.Duration
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		for _, c := range checks {
			if c.key == "" {
				continue
			}
			ok, w, err := c.limiter.Hit(ctx, tx, c.key, now)
			if err != nil {
				return err
			}
			if !ok {
				wait = w
				return nil
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if wait > 0 {
		return tooManyAttempts(wait)
	}
	return nil
}

func tooManyAttempts(wait time.Duration) error {
	return &Error{Status: http.StatusTooManyRequests, RetryAfter: wait,
		Message: fmt.Sprintf("Too many attempts, try again in %s.", minutes(wait))}
}

// minutes says d in whole minutes, rounded up: "1 minute", "14 minutes".
func minutes(d time.Duration) string {
	mins := int((d + time.Minute - 1) / time.Minute)
	if mins == 1 {
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", mins)
}

// clientKey is the key the per-client limits count a request under: the
// client's IP address, or for IPv6 its /64 network. One subscriber usually
// gets a whole /64, so counting single IPv6 addresses would let them take a
// fresh address for every attempt.
func (s *Server) clientKey(r *http.Request) string {
	ip := accesslog.ClientIP(r, s.Config.TrustedProxies)
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	if a = a.Unmap(); a.Is4() {
		return a.String()
	}
	p, err := a.WithZone("").Prefix(64)
	if err != nil {
		return ip
	}
	return p.String()
}

type limitCheck struct {
	limiter auth.Limiter
	key     string
}

// The limits on attempts, per 15 minutes.
var (
	// Failed sign-ins per client; a right password is not counted.
	loginPerIP = auth.Limiter{Action: "login-ip", Max: 60, Window: 15 * time.Minute}
	// Wrong passwords per account, whichever of its addresses was typed
	// (per typed address when it has no account), from clients within
	// their own limit. Past it a password alone does not sign in; a right one gets
	// a mailed sign-in link instead, so nobody can lock an account out.
	loginFailures    = auth.Limiter{Action: "login-failures", Max: 10, Window: 15 * time.Minute}
	signupPerIP      = auth.Limiter{Action: "signup-ip", Max: 10, Window: 15 * time.Minute}
	signupPerAddress = auth.Limiter{Action: "signup-address", Max: 3, Window: 15 * time.Minute}
	resetPerIP       = auth.Limiter{Action: "reset-ip", Max: 10, Window: 15 * time.Minute}
	resetPerAddress  = auth.Limiter{Action: "reset-address", Max: 3, Window: 15 * time.Minute}
	// Setting a password through a mailed link hashes it; a client gets
	// a bounded number of tries, valid link or not.
	setPasswordPerIP = auth.Limiter{Action: "reset-link-ip", Max: 10, Window: 15 * time.Minute}
	mailPerPerson    = auth.Limiter{Action: "mail-person", Max: 5, Window: 15 * time.Minute}
)
