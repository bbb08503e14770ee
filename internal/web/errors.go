package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"plenary/internal/auth"
)

// Error is an error meant for the person who made the request: it carries
// the status to answer with and a message that says what to do.
type Error struct {
	Status  int
	Message string
	// RetryAfter, when set, goes out as the Retry-After header, and the
	// page offers to try again (429 and 503).
	RetryAfter time.Duration
	// Again is where the visitor can try again or ask anew, such as the
	// form behind a refused POST or the page that mails a new link;
	// AgainText labels it.
	Again, AgainText string
}

func (e *Error) Error() string { return e.Message }

func badRequest(msg string) error { return &Error{Status: http.StatusBadRequest, Message: msg} }
func notFound(msg string) error   { return &Error{Status: http.StatusNotFound, Message: msg} }

// serveError turns any error into a status page. Messages of *Error go to
// the visitor as they are; anything else is logged and shown as a generic
// failure, so internals never leak into a page.
func (s *Server) serveError(w http.ResponseWriter, r *http.Request, err error) {
	var e *Error
	var tooBig *http.MaxBytesError
	var busy *auth.BusyError
	switch {
	case errors.As(err, &e):
	case errors.As(err, &tooBig):
		e = &Error{Status: http.StatusRequestEntityTooLarge, Message: "What you sent is larger than this site accepts. Nothing was saved."}
	case errors.As(err, &busy):
		e = &Error{Status: http.StatusServiceUnavailable, RetryAfter: busy.RetryAfter,
			Message: "The site is busy checking passwords just now, and nothing was changed. Please try again in a few seconds."}
	case errors.Is(err, context.Canceled):
		return
	default:
		s.Log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		e = &Error{Status: http.StatusInternalServerError, Message: "Something went wrong on our side, and nothing was changed. Please try again later."}
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(retrySeconds(e.RetryAfter)))
		if e.Again == "" {
			e = s.tryAgain(r, e)
		}
	}
	if e.Again == "" && (e.Status == http.StatusGone || e.Status == http.StatusNotFound) {
		e = askAgain(r, e)
	}
	s.render(w, r, e.Status, "error", pageData{Title: http.StatusText(e.Status), Data: e})
}

// retrySeconds rounds d up to whole seconds, at least one.
func retrySeconds(d time.Duration) int {
	n := int((d + time.Second - 1) / time.Second)
	return max(n, 1)
}

// tryAgain returns a copy of e that points back at the form the refused
// request came from, when the site serves one at the same path (the
// sign-in, sign-up and reset forms). The form is opened anew, not resent,
// so nothing typed travels in an address.
func (s *Server) tryAgain(r *http.Request, e *Error) *Error {
	get, err := http.NewRequestWithContext(r.Context(), http.MethodGet, r.URL.Path, nil)
	if err != nil {
		return e
	}
	if _, pattern := s.mux.Handler(get); pattern == "" || pattern == "/" {
		return e
	}
	c := *e
	c.Again, c.AgainText = r.URL.Path, "Back to the form"
	return &c
}

// askAgain returns a copy of e, the answer to a mailed link that no longer
// works, that points at the way to get a new link of the same kind; any
// other answer is returned as it is.
func askAgain(r *http.Request, e *Error) *Error {
	c := *e
	path := r.URL.Path
	switch {
	case strings.HasPrefix(path, "/reset/"):
		c.Again, c.AgainText = "/reset", "Ask for a new link"
	case strings.HasPrefix(path, "/verify/") && identityOf(r) != nil:
		// The account page sends a new link for each unconfirmed address.
		c.Again, c.AgainText = "/account", "Get a new link from your account"
	case strings.HasPrefix(path, "/verify/"):
		// Signing in with an unconfirmed address mails a new link.
		c.Again, c.AgainText = "/login", "Sign in to get a new link"
	case strings.HasPrefix(path, "/signin/"):
		c.Again, c.AgainText = "/login", "Sign in again"
	default:
		return e
	}
	return &c
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
