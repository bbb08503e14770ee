package web

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"

	"plenary/internal/dsr"
	"plenary/internal/inventory"
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
	case errors.Is(err, dsr.ErrNoReason), errors.Is(err, dsr.ErrNoteLong), errors.Is(err, dsr.ErrUndecided),
		errors.Is(err, dsr.ErrNoVerification), errors.Is(err, dsr.ErrNoSuchAddress), errors.Is(err, dsr.ErrUnprovenAddress):
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
// ?format=json sends it as a file to keep: the JSON alone, or, when the
// person sent files (an attachment to a posting), a zip of the JSON and
// the files, since bytes have no place in JSON or on a page.
func (s *Server) accountExport(w http.ResponseWriter, r *http.Request) error {
	format := "html"
	if r.URL.Query().Get("format") == "json" {
		format = "json"
	}
	id := identityOf(r)
	e, err := dsr.MakeExport(r.Context(), s.DB, s.Audit, s.Inventory, s.Keys, selfActor(r), id.PersonID, format, s.Now())
	if err != nil {
		return dsrError(err)
	}
	w.Header().Set("Cache-Control", "no-store")
	if format != "json" {
		s.render(w, r, http.StatusOK, "export", pageData{Title: "Your data", Data: e})
		return nil
	}
	name := "plenary-data-" + e.Generated.Format("2006-01-02")
	if len(e.Files()) > 0 {
		var buf bytes.Buffer
		if err := dsr.WriteArchive(&buf, e); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/zip")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.zip"`, name))
		_, err = w.Write(buf.Bytes())
		return err
	}
	body, err := e.JSON()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.json"`, name))
	_, err = w.Write(body)
	return err
}

// accountRemoval records the signed-in person's request for removal.
func (s *Server) accountRemoval(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	// A removal cannot be undone, so the form asks the person to say they
	// mean it; a form sent without that changes nothing.
	// A refused form comes back with the note as typed.
	typed := r.PostForm.Get("note")
	if r.PostForm.Get("confirm") != "remove" {
		return s.accountPage(w, r, http.StatusBadRequest, accountData{Error: "Tick the box to confirm that you want your data removed. Nothing was sent.", RemovalNote: typed})
	}
	note, err := dsr.CleanNote(typed)
	if err != nil {
		return s.accountPage(w, r, http.StatusBadRequest, accountData{Error: err.Error(), RemovalNote: typed})
	}
	if _, err := dsr.RequestRemoval(r.Context(), s.DB, s.Audit, identityOf(r).PersonID, note, s.Now()); err != nil {
		return dsrError(err)
	}
	http.Redirect(w, r, "/account?done=removal-requested#removal", http.StatusSeeOther)
	return nil
}

type adminRemovalsData struct {
	Requests   []dsr.RemovalRequest
	Done       string
	Warning    string
	Why        []removalWhy
	Categories []inventory.RemovalCategory
	// Typed is a refused decision, shown again as it was marked.
	Typed removalTyped
}

// removalTyped is what staff marked in one request's decision form.
type removalTyped struct {
	ID      int64
	Choice  map[string]string // category → "approve" or "decline"
	Reason  map[string]string // category → its reason
	General string
}

type removalWhy struct{ Table, Category, Action, Why, Detached, DetachedWhy string }

func (s *Server) adminRemovals(w http.ResponseWriter, r *http.Request) error {
	return s.adminRemovalsPage(w, r, http.StatusOK, adminRemovalsData{})
}

func (s *Server) adminRemovalsPage(w http.ResponseWriter, r *http.Request, status int, d adminRemovalsData) error {
	list, err := dsr.Queue(r.Context(), s.DB, s.Audit, staffActor(r))
	if err != nil {
		return dsrError(err)
	}
	d.Requests = list
	switch r.URL.Query().Get("done") {
	case "approved":
		d.Done = "The approved removals are carried out; the person is told by mail."
	case "declined":
		d.Done = "The request is declined; the person is told by mail."
	case "entered":
		d.Done = "The request is entered; it waits below for a decision."
	case "exported":
		d.Done = "The copy is mailed to the person's confirmed primary address."
	case "export-unsent":
		d.Warning = "The copy was made, but the message to the person could not be sent. Try again later."
	}
	d.Categories = inventory.RemovalCategories()
	for _, rt := range s.Inventory.Rights() {
		d.Why = append(d.Why, removalWhy{Table: rt.Table, Category: rt.Category, Action: string(rt.Removal.Action), Why: rt.Removal.Why,
			Detached: string(rt.Detached.Action), DetachedWhy: rt.Detached.Why})
	}
	s.render(w, r, status, "admin_removals", pageData{Title: "Removal requests", Data: d})
	return nil
}

// adminRemovalDecide records the decision on every category of a
// request, carries out the approved ones, and queues the mail to the
// requester. "Approve all" and "Decline all" decide every category the
// same way; otherwise each category's choice comes from its own field.
func (s *Server) adminRemovalDecide(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return notFound(dsr.ErrNotFound.Error())
	}
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	var decisions []dsr.CategoryDecision
	all := r.PostForm.Get("decision")
	typed := removalTyped{ID: id, Choice: map[string]string{}, Reason: map[string]string{}, General: r.PostForm.Get("reason")}
	undecided := false
	for _, c := range inventory.RemovalCategories() {
		choice := r.PostForm.Get("decision-" + c.Name)
		typed.Choice[c.Name], typed.Reason[c.Name] = choice, r.PostForm.Get("reason-"+c.Name)
		if all == "approve" || all == "decline" {
			choice = all
		}
		if choice != "approve" && choice != "decline" {
			undecided = true
			continue
		}
		decisions = append(decisions, dsr.CategoryDecision{Category: c.Name, Approve: choice == "approve", Reason: typed.Reason[c.Name]})
	}
	err = dsr.ErrUndecided
	if !undecided {
		var d dsr.Decision
		d, err = dsr.Decide(r.Context(), s.DB, s.Audit, s.Inventory, staffActor(r), id, decisions, typed.General, s.Now())
		if err == nil {
			done := "declined"
			if d.Approved() {
				done = "approved"
			}
			http.Redirect(w, r, "/admin/removals?done="+done, http.StatusSeeOther)
			return nil
		}
	}
	// A decision refused for what was marked comes back as marked, with
	// what is missing; nothing was changed.
	if errors.Is(err, dsr.ErrUndecided) || errors.Is(err, dsr.ErrNoReason) {
		return s.adminRemovalsPage(w, r, http.StatusBadRequest, adminRemovalsData{Warning: err.Error(), Typed: typed})
	}
	return dsrError(err)
}

// adminRemovalEnter records a removal request a person sent by mail.
func (s *Server) adminRemovalEnter(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	_, err := dsr.EnterRemoval(r.Context(), s.DB, s.Audit, staffActor(r), r.PostForm.Get("who"), r.PostForm.Get("verified"), r.PostForm.Get("note"), s.Now())
	if err != nil {
		return dsrError(err)
	}
	http.Redirect(w, r, "/admin/removals?done=entered", http.StatusSeeOther)
	return nil
}

// adminExportByMail mails a copy of a person's data to their confirmed
// primary address, for a verified request by mail; the export is audited.
func (s *Server) adminExportByMail(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	e, to, err := dsr.StaffExport(r.Context(), s.DB, s.Audit, s.Inventory, s.Keys, staffActor(r), r.PostForm.Get("who"), r.PostForm.Get("verified"), s.Now())
	if err != nil {
		return dsrError(err)
	}
	msg, err := dsr.ExportMail(e, to, s.Config.OrgName)
	if err != nil {
		return err
	}
	done := "exported"
	if err := s.Mail.Send(r.Context(), msg); err != nil {
		s.Log.Error("mailing a copy of a person's data failed", "err", err)
		done = "export-unsent"
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
