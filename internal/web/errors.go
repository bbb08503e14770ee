package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
)

// Error is an error meant for the person who made the request: it carries
// the status to answer with and a message that says what to do.
type Error struct {
	Status  int
	Message string
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
	switch {
	case errors.As(err, &e):
	case errors.As(err, &tooBig):
		e = &Error{Status: http.StatusRequestEntityTooLarge, Message: "What you sent is larger than this site accepts. Nothing was saved."}
	case errors.Is(err, context.Canceled):
		return
	default:
		s.Log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		e = &Error{Status: http.StatusInternalServerError, Message: "Something went wrong on our side, and nothing was changed. Please try again later."}
	}
	s.render(w, r, e.Status, "error", pageData{Title: http.StatusText(e.Status), Data: e})
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
