package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"plenary/internal/dsr"
)

// Data-subject rights: a participant's copy of their data (R2) and their
// removal request (R4), and the staff queue that decides removals. The
// walking and removing is internal/dsr's, from the inventory.

func dsrError(err error) error {
	switch {
	case errors.Is(err, dsr.ErrNotFound):
		return notFound(err.Error())
	case errors.Is(err, dsr.ErrNoAudit):
		return &Error{Status: http.StatusServiceUnavailable, Message: err.Error()}
	case errors.Is(err, dsr.ErrOwnRequest):
		return &Error{Status: http.StatusForbidden, Message: err.Error()}
	case errors.Is(err, dsr.ErrNoReason), errors.Is(err, dsr.ErrNoteLong):
		return badRequest(err.Error())
	}
	return err
}

// selfActor is the signed-in person acting on their own data; the audit
// log names them by number only.
func selfActor(r *http.Request) dsr.Actor {
	return dsr.Actor{ID: identityOf(r).PersonID, Label: "the person"}
}

func staffActor(r *http.Request) dsr.Actor {
	id := identityOf(r)
	return dsr.Actor{ID: id.PersonID, Label: id.Name}
}

// accountExport shows everything held about the signed-in person, or with
// ?format=json sends it as a file to keep.
func (s *Server) accountExport(w http.ResponseWriter, r *http.Request) error {
	format := "html"
	if r.URL.Query().Get("format") == "json" {
		format = "json"
	}
	id := identityOf(r)
	e, err := dsr.MakeExport(r.Context(), s.DB, s.Audit, s.Inventory, selfActor(r), id.PersonID, format, s.Now())
	if err != nil {
		return dsrError(err)
	}
	if format == "json" {
		body, err := json.MarshalIndent(e, "", "  ")
		if err != nil {
			return fmt.Errorf("encoding an export: %w", err)
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="plenary-data-%s.json"`, e.Generated.Format("2006-01-02")))
		w.Header().Set("Cache-Control", "no-store")
		_, err = w.Write(append(body, '\n'))
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, http.StatusOK, "export", pageData{Title: "Your data", Data: e})
	return nil
}

// accountRemoval records the signed-in person's request for removal.
func (s *Server) accountRemoval(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	// A removal cannot be undone, so the form asks the person to say they
	// mean it; a form sent without that changes nothing.
	if r.PostForm.Get("confirm") != "remove" {
		return s.accountPage(w, r, http.StatusBadRequest, accountData{Error: "Tick the box to confirm that you want your data removed. Nothing was sent."})
	}
	note, err := dsr.CleanNote(r.PostForm.Get("note"))
	if err != nil {
		return s.accountPage(w, r, http.StatusBadRequest, accountData{Error: err.Error()})
	}
	if _, err := dsr.RequestRemoval(r.Context(), s.DB, s.Audit, identityOf(r).PersonID, note, s.Now()); err != nil {
		return dsrError(err)
	}
	http.Redirect(w, r, "/account?done=removal-requested#removal", http.StatusSeeOther)
	return nil
}

type adminRemovalsData struct {
	Requests []dsr.RemovalRequest
	Done     string
	Warning  string
	Why      []removalWhy
}

type removalWhy struct{ Table, Action, Why string }

func (s *Server) adminRemovals(w http.ResponseWriter, r *http.Request) error {
	list, err := dsr.Queue(r.Context(), s.DB, s.Audit, staffActor(r))
	if err != nil {
		return dsrError(err)
	}
	d := adminRemovalsData{Requests: list}
	switch r.URL.Query().Get("done") {
	case "approved":
		d.Done = "The removal is carried out and the person is told."
	case "declined":
		d.Done = "The request is declined and the person is told."
	case "unsent":
		d.Warning = "The decision is recorded, but the message to the person could not be sent. Tell them by another way."
	}
	for _, rt := range s.Inventory.Rights() {
		d.Why = append(d.Why, removalWhy{Table: rt.Table, Action: string(rt.Removal.Action), Why: rt.Removal.Why})
	}
	s.render(w, r, http.StatusOK, "admin_removals", pageData{Title: "Removal requests", Data: d})
	return nil
}

// adminRemovalDecide approves or declines a request and mails the
// decision to the requester.
func (s *Server) adminRemovalDecide(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return notFound(dsr.ErrNotFound.Error())
	}
	var approve bool
	switch r.PostFormValue("decision") {
	case "approve":
		approve = true
	case "decline":
	default:
		return badRequest("Choose whether to approve or decline the request.")
	}
	d, err := dsr.Decide(r.Context(), s.DB, s.Audit, s.Inventory, staffActor(r), id, approve, r.PostFormValue("reason"), s.Now())
	if err != nil {
		return dsrError(err)
	}
	done := "declined"
	if approve {
		done = "approved"
	}
	if d.To != "" {
		if err := s.Mail.Send(r.Context(), dsr.DecisionMail(d, s.Config.OrgName)); err != nil {
			s.Log.Error("sending a removal decision failed", "err", err)
			done = "unsent"
		}
	}
	http.Redirect(w, r, "/admin/removals?done="+done, http.StatusSeeOther)
	return nil
}

// adminPersonPurge removes everything about a person found to be a child
// under 13 (CH2), from an admin's view of the record.
func (s *Server) adminPersonPurge(w http.ResponseWriter, r *http.Request) error {
	pid, err := pathID(r, "id")
	if err != nil {
		return notFound(dsr.ErrNoPerson.Error())
	}
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	if r.PostForm.Get("confirm") != "child" {
		return badRequest("Tick the box to confirm that the person is a child under 13. Nothing was removed.")
	}
	o, err := dsr.PurgeChild(r.Context(), s.DB, s.Audit, s.Inventory, staffActor(r), pid, r.PostForm.Get("reason"))
	if errors.Is(err, dsr.ErrNoPerson) {
		return notFound(err.Error())
	}
	if err != nil {
		return dsrError(err)
	}
	s.render(w, r, http.StatusOK, "message", pageData{Title: "Data removed", Data: messageData{
		Heading: "The child's data is removed",
		Text:    "Everything tied to the account is removed (" + o.Summary() + "). The audit log records the purge by account number, with your reason.",
		Link:    "/admin/people", LinkText: "Back to the participants",
	}})
	return nil
}
