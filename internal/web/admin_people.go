package web

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"plenary/internal/audit"
	"plenary/internal/auth"
	"plenary/internal/people"
	"plenary/internal/store"
)

// Staff find participants and correct their data on request (R3). Every
// view of a participant's restricted data is written to the audit log
// first; without an audit log, staff pages refuse to show anything.

func (s *Server) audited(r *http.Request, q store.Querier, action, subject, detail string) error {
	if s.Audit == nil {
		return &Error{Status: http.StatusServiceUnavailable, Message: "The audit log is not available, so participant records cannot be shown or changed."}
	}
	id := identityOf(r)
	return s.Audit.Record(r.Context(), q, audit.Entry{Actor: id.PersonID, Label: id.Name, Action: action, Subject: subject, Detail: detail})
}

type adminPeopleData struct {
	Query   string
	Results []people.Found
	Error   string
}

func (s *Server) adminPeople(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query().Get("q")
	d := adminPeopleData{Query: q}
	if strings.TrimSpace(q) != "" {
		if !validUTF8(q) || len(q) > 300 {
			d.Query, d.Error = "", "The search text is not valid text, or too long."
			s.render(w, r, http.StatusBadRequest, "admin_people", pageData{Title: "Participants", Data: d})
			return nil
		}
		res, err := people.Search(r.Context(), s.DB, q)
		if err != nil {
			return err
		}
		// The audit records whose records were listed, not the search
		// text, which may itself be someone's name or address.
		ids := make([]string, len(res))
		for i, f := range res {
			ids[i] = fmt.Sprint(f.ID)
		}
		if err := s.audited(r, s.DB, "people.search", "", fmt.Sprintf("%d results: person %s", len(res), strings.Join(ids, ","))); err != nil {
			return err
		}
		d.Results = res
	}
	s.render(w, r, http.StatusOK, "admin_people", pageData{Title: "Participants", Data: d})
	return nil
}

func (s *Server) adminPersonView(w http.ResponseWriter, r *http.Request, status int, personID int64, d accountData) error {
	if err := s.audited(r, s.DB, "people.view", fmt.Sprintf("person:%d", personID), ""); err != nil {
		return err
	}
	v, err := s.loadPerson(r, personID)
	if err != nil {
		return err
	}
	d.personView = v
	d.Staff = true
	d.Admin = identityOf(r).Has(auth.Admin)
	d.AllRoles = auth.AllRoles
	d.Origins = people.Origins
	d.Action = fmt.Sprintf("/admin/people/%d", personID)
	if d.Form == (people.Details{}) {
		d.Form = people.Details{Name: v.Person.Name, PostalAddress: v.Person.PostalAddress, Affiliation: v.Person.Affiliation}
	}
	s.render(w, r, status, "account", pageData{Title: "Participant: " + v.Person.Name, Data: d})
	return nil
}

func (s *Server) adminPerson(w http.ResponseWriter, r *http.Request) error {
	pid, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := people.Get(r.Context(), s.DB, pid); errors.Is(err, people.ErrNotFound) {
		return notFound("There is no such participant.")
	}
	return s.adminPersonView(w, r, http.StatusOK, pid, accountData{Done: doneMessages[r.URL.Query().Get("done")]})
}

// staffReason reads the request a correction answers; staff change data
// only when a participant asks (R3), and the audit log says which request.
func staffReason(r *http.Request) (string, error) {
	reason, err := people.CleanText("reason", "The request", r.PostForm.Get("reason"), 500, true, false)
	if err != nil {
		return "", &people.FieldError{Field: "reason", Message: "Say which request this change answers (for example \"asked by e-mail on 3 May\"). Nothing was changed."}
	}
	return reason, nil
}

func (s *Server) adminPersonUpdate(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	pid, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ctx := r.Context()
	form := detailsFrom(r)
	staff := identityOf(r)
	var changed []string
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		reason, err := staffReason(r)
		if err != nil {
			return err
		}
		if changed, err = people.Update(ctx, tx, pid, staff.PersonID, form, s.Now()); err != nil || len(changed) == 0 {
			return err
		}
		return s.audited(r, tx, "people.correct", fmt.Sprintf("person:%d", pid), "fields "+strings.Join(changed, ", ")+"; request: "+reason)
	})
	var fe *people.FieldError
	switch {
	case errors.As(err, &fe):
		for _, f := range []*string{&form.Name, &form.PostalAddress, &form.Affiliation} {
			if !validUTF8(*f) {
				*f = ""
			}
		}
		return s.adminPersonView(w, r, http.StatusBadRequest, pid, accountData{Error: fe.Message, Field: fe.Field, Form: form})
	case errors.Is(err, people.ErrNotFound):
		return notFound("There is no such participant.")
	case err != nil:
		return err
	}
	done := "saved"
	if len(changed) == 0 {
		done = "unchanged"
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/people/%d?done=%s", pid, done), http.StatusSeeOther)
	return nil
}

// adminPersonRoles assigns roles; the route is for admins only.
func (s *Server) adminPersonRoles(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	pid, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var roles []auth.Role
	for _, v := range r.PostForm["role"] {
		if !slices.Contains(auth.AllRoles, auth.Role(v)) {
			return badRequest(fmt.Sprintf("There is no role %q. Nothing was changed.", v))
		}
		roles = append(roles, auth.Role(v))
	}
	ctx := r.Context()
	staff := identityOf(r)
	if pid == staff.PersonID && !slices.Contains(roles, auth.Admin) {
		return &Error{Status: http.StatusConflict, Message: "You cannot take the admin role from yourself; ask another admin. Nothing was changed."}
	}
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		if _, err := people.Get(ctx, tx, pid); err != nil {
			return err
		}
		if err := people.SetRoles(ctx, tx, pid, staff.PersonID, roles, s.Now()); err != nil {
			return err
		}
		names := make([]string, len(roles))
		for i, r := range roles {
			names[i] = string(r)
		}
		return s.audited(r, tx, "people.roles", fmt.Sprintf("person:%d", pid), "roles: "+strings.Join(names, ", "))
	})
	if errors.Is(err, people.ErrNotFound) {
		return notFound("There is no such participant.")
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/people/%d?done=roles", pid), http.StatusSeeOther)
	return nil
}

// staffAddressGuard refuses a non-admin's change to the addresses of a
// person who holds a staff role. An address added to a record can receive
// that record's password-reset link, so without this a secretariat member
// could add their own address to an admin's record, reset the password and
// sign in as the admin. Roles are an admin's alone; so are the addresses
// that lead to them.
func (s *Server) staffAddressGuard(r *http.Request, pid int64) error {
	if identityOf(r).Has(auth.Admin) {
		return nil
	}
	roles, err := people.Roles(r.Context(), s.DB, pid)
	if err != nil {
		return err
	}
	for _, role := range roles {
		if role != auth.Participant {
			return &Error{Status: http.StatusForbidden, Message: "Only an admin can change the addresses of a staff member's account. Nothing was changed."}
		}
	}
	return nil
}

// adminPersonAddEmail adds an address given by the participant through
// another channel, with its origin.
func (s *Server) adminPersonAddEmail(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	pid, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.staffAddressGuard(r, pid); err != nil {
		return err
	}
	ctx := r.Context()
	staff := identityOf(r)
	origin := people.Origin(r.PostForm.Get("origin"))
	if !slices.Contains(people.Origins, origin) {
		origin = people.OriginStaff
	}
	var e people.Email
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		reason, err := staffReason(r)
		if err != nil {
			return err
		}
		addr, err := people.CleanEmail(r.PostForm.Get("email"))
		if err != nil {
			return err
		}
		if e, err = people.AddEmail(ctx, tx, pid, staff.PersonID, addr, origin, s.Now()); err != nil {
			return err
		}
		return s.audited(r, tx, "people.email.add", fmt.Sprintf("person:%d", pid), "request: "+reason)
	})
	var fe *people.FieldError
	switch {
	case errors.As(err, &fe):
		return s.adminPersonView(w, r, http.StatusBadRequest, pid, accountData{Error: fe.Message, Field: "new_email"})
	case errors.Is(err, people.ErrEmailTaken):
		return s.adminPersonView(w, r, http.StatusConflict, pid, accountData{Error: err.Error() + " Nothing was changed.", Field: "new_email"})
	case errors.Is(err, people.ErrNotFound):
		return notFound("There is no such participant.")
	case err != nil:
		return err
	}
	if err := s.sendVerify(r, pid, e); err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/people/%d?done=email-added", pid), http.StatusSeeOther)
	return nil
}

func (s *Server) adminPersonEmailAction(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	pid, err := pathID(r, "id")
	if err != nil {
		return err
	}
	emailID, err := pathID(r, "email")
	if err != nil {
		return err
	}
	if err := s.staffAddressGuard(r, pid); err != nil {
		return err
	}
	reason, err := staffReason(r)
	if err != nil {
		return s.adminPersonView(w, r, http.StatusBadRequest, pid, accountData{Error: err.Error(), Field: "reason"})
	}
	action := r.PathValue("action")
	// Recorded before the change, so no change goes unrecorded.
	if err := s.audited(r, s.DB, "people.email."+action, fmt.Sprintf("person:%d", pid), fmt.Sprintf("address %d; request: %s", emailID, reason)); err != nil {
		return err
	}
	done, err := s.emailAction(r, pid, identityOf(r).PersonID, emailID, action)
	var fe *Error
	switch {
	case errors.As(err, &fe) && fe.Status == http.StatusConflict:
		return s.adminPersonView(w, r, http.StatusConflict, pid, accountData{Error: fe.Message})
	case err != nil:
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/people/%d?done=%s", pid, done), http.StatusSeeOther)
	return nil
}
