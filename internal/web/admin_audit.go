package web

import (
	"fmt"
	"net/http"
	"strings"

	"plenary/internal/audit"
)

type auditData struct {
	Entries []audit.Entry
	Action  string
	Report  *audit.Report
}

// auditPage lets security staff and admins read the audit log. Reading it
// shows who looked at whose data, so the reading is itself recorded.
func (s *Server) auditPage(w http.ResponseWriter, r *http.Request) error {
	action := strings.TrimSpace(r.URL.Query().Get("action"))
	if len(action) > 64 {
		return badRequest("That filter is too long.")
	}
	if err := s.auditRead(r, "audit.view", "action="+action); err != nil {
		return err
	}
	entries, err := s.Audit.List(r.Context(), audit.Filter{Action: action, Limit: 500})
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, http.StatusOK, "admin_audit", pageData{Title: "Audit log", Data: auditData{Entries: entries, Action: action}})
	return nil
}

// auditVerify recomputes the whole chain, as `plenary audit verify` does.
func (s *Server) auditVerify(w http.ResponseWriter, r *http.Request) error {
	rep, err := s.Audit.Verify(r.Context(), nil)
	if err != nil {
		return err
	}
	detail := fmt.Sprintf("entries=%d; intact=%t", rep.Entries, rep.OK())
	if err := s.auditRead(r, "audit.verify", detail); err != nil {
		return err
	}
	entries, err := s.Audit.List(r.Context(), audit.Filter{Limit: 500})
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, http.StatusOK, "admin_audit", pageData{Title: "Audit log", Data: auditData{Entries: entries, Report: &rep}})
	return nil
}

func (s *Server) auditRead(r *http.Request, action, detail string) error {
	if s.Audit == nil {
		return &Error{Status: http.StatusServiceUnavailable, Message: "The audit log is not available, so it cannot be shown."}
	}
	id := identityOf(r)
	return s.Audit.Record(r.Context(), s.DB, audit.Entry{Actor: id.PersonID, Label: id.Name, Action: action, Subject: "audit_log", Detail: detail})
}
