package web

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"plenary/internal/logsearch"
)

type logLookupData struct {
	Reasons []string
	Form    logLookupForm
	Result  *logsearch.Result
	Problem string
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
	var err error
	if q.From, err = parseFormTime(f.From); err != nil {
		d.Problem = "The start of the window is not a date and time (YYYY-MM-DDTHH:MM, UTC)."
	} else if q.To, err = parseFormTime(f.To); err != nil {
		d.Problem = "The end of the window is not a date and time (YYYY-MM-DDTHH:MM, UTC)."
	}
	if d.Problem == "" {
		id := identityOf(r)
		who := logsearch.Actor{ID: id.PersonID, Label: id.Name, Roles: id.Roles}
		res, err := s.LogSearch.Lookup(r.Context(), who, q)
		switch {
		case errors.Is(err, logsearch.ErrInvalid):
			d.Problem = strings.TrimPrefix(err.Error(), logsearch.ErrInvalid.Error()+": ")
		case err != nil:
			return err
		default:
			d.Result = &res
		}
	}
	status := http.StatusOK
	if d.Problem != "" {
		status = http.StatusUnprocessableEntity
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
