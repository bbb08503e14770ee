package web

import (
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// refuseBadInput answers 400, before any handler runs, a request whose
// path, query or form holds a NUL byte or bytes that are not UTF-8. No
// person types either; PostgreSQL refuses to store both, where SQLite
// stores them, so without this one place the same request would be a 500
// on one engine and kept on the other. Every handler below can take its
// input as text.
//
// A form is parsed here, within the body limit (limitBodies runs first);
// handlers parse it again for free. A multipart form, when one is added,
// must be checked where it is parsed.
func (s *Server) refuseBadInput(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Malformed pairs of a query are left as before: handlers read
		// what parses.
		query, _ := url.ParseQuery(r.URL.RawQuery)
		if !isText(r.URL.Path) || !valuesAreText(query) {
			s.serveError(w, r, badRequest("The address of this page holds bytes that are not valid text (a NUL byte or invalid UTF-8), so it was refused."))
			return
		}
		if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "application/x-www-form-urlencoded" && r.Body != nil && r.Body != http.NoBody {
			if err := r.ParseForm(); err != nil {
				s.serveError(w, r, formError(err))
				return
			}
			if !valuesAreText(r.PostForm) {
				s.serveError(w, r, badRequest("The form holds bytes that are not valid text (a NUL byte or invalid UTF-8), so it was refused. Nothing was saved; please type it again."))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func isText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

func valuesAreText(v url.Values) bool {
	for k, vs := range v {
		if !isText(k) {
			return false
		}
		for _, x := range vs {
			if !isText(x) {
				return false
			}
		}
	}
	return true
}
