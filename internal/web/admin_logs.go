package web

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"plenary/internal/logsearch"
	"plenary/internal/validate"
)

type logLookupData struct {
	Reasons []string
	Form    logLookupForm
	Result  *logsearch.Result
	// Errors holds every problem of the form, each under its field.
	Errors *validate.Errors
}

type logLookupForm struct {
	Addr, From, To, Reason, Note string
}

// The look-up form posts, so the address searched for never appears in a
// URL, and so never in the access log or browser history.
func (s *Server) logLookupForm(w http.ResponseWriter, r *http.Request) error {
	now := s.Now().UTC()
	s.render(w, r, http.StatusOK, "admin_logs", pageData{Title: "Access log look-up", Data: logLookupData{
		Reasons: logsearch.Reasons,
		Form:    logLookupForm{From: now.Add(-24 * time.Hour).Format("2006-01-02T15:04"), To: now.Format("2006-01-02T15:04")},
	}})
	return nil
}

func (s *Server) logLookup(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return err
	}
	f := logLookupForm{
		Addr: strings.TrimSpace(r.PostFormValue("addr")), From: r.PostFormValue("from"), To: r.PostFormValue("to"),
		Reason: r.PostFormValue("reason"), Note: r.PostFormValue("note"),
	}
	d := logLookupData{Reasons: logsearch.Reasons, Form: f}
	q := logsearch.Query{Addr: f.Addr, Reason: f.Reason, Note: f.Note}
	// Every problem at once, each at its field: the times typed, then
	// what the look-up itself refuses.
	var errs validate.Errors
	var err error
	if q.From, err = parseFormTime(f.From); err != nil {
		errs.Add("from", "The start of the window is not a date and time (YYYY-MM-DDTHH:MM, UTC).")
	}
	if q.To, err = parseFormTime(f.To); err != nil {
		errs.Add("to", "The end of the window is not a date and time (YYYY-MM-DDTHH:MM, UTC).")
	}
	if problems, ok := validate.From(q.Check()); ok {
		for _, p := range problems.List() {
			if !errs.Has("from") && !errs.Has("to") || p.Field != "from" && p.Field != "to" {
				errs.Add(p.Field, p.Message)
			}
		}
	}
	status := http.StatusOK
	if errs.Err() == nil {
		id := identityOf(r)
		who := logsearch.Actor{ID: id.PersonID, Label: id.Name, Roles: id.Roles}
		res, err := s.LogSearch.Lookup(r.Context(), who, q)
		if err != nil {
			return err
		}
		d.Result = &res
	} else {
		d.Errors, status = &errs, http.StatusUnprocessableEntity
	}
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, status, "admin_logs", pageData{Title: "Access log look-up", Data: d})
	return nil
}

func parseFormTime(v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", time.RFC3339, "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errors.New("not a time")
}
