package web

import "plenary/internal/auth"

// registerRoutes is the one place where every route and its access rule is
// declared. A route with no rule panics at start (default deny), and
// TestEveryRouteEnforcesItsRule walks this table for every role.
func (s *Server) registerRoutes() {
	public := auth.Public()

	s.handle("GET /{$}", public, s.home)
	s.handle("GET /healthz", public, s.healthz)
	s.handle("GET /static/{hash}/{file}", public, s.serveStatic)

	s.handle("GET /privacy", public, s.privacy)
	s.handle("GET /privacy/cookies", public, s.privacyCookies)
	s.handle("GET /privacy/versions", public, s.privacyVersions)
	s.handle("GET /privacy/versions/{id}", public, s.privacyVersion)

	// Usage trends: aggregates only (U1), for the staff who run the site.
	s.handle("GET /admin/analytics", auth.Roles(auth.Secretariat, auth.Admin), s.analytics)

	// Raw access-log look-ups: security staff only, with a reason, audited (C3).
	security := auth.Roles(auth.Security)
	s.handle("GET /admin/logs/lookup", security, s.logLookupForm)
	s.handle("POST /admin/logs/lookup", security, s.logLookup)

	// Anything else is a clean 404 page rather than the mux's plain text.
	s.handle("/", public, s.notFoundPage)
}
