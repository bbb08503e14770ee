package web

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"plenary/internal/auth"
	"plenary/internal/mail"
	"plenary/internal/people"
	"plenary/internal/validate"
)

// Staff find participants and correct their data on request (R3). Every
// list, search and view of a participant's record is written to the audit
// log in the same transaction that reads it; without an audit log, staff
// pages show nothing. Searching posts its text, so no name or address ever
// lands in a URL, the access log or a Referer (C2).

type adminPeopleData struct {
	Query    string
	Errors   *validate.Errors
	Searched bool
	Results  []people.Found
	Page     int
	More     bool
	List     []people.Found
}

// adminPeople shows the search form and one page of the list of people,
// newest first.
func (s *Server) adminPeople(w http.ResponseWriter, r *http.Request) error {
	page, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || page < 1 {
		page = 1
	}
	return s.adminPeoplePage(w, r, http.StatusOK, adminPeopleData{Page: page})
}

func (s *Server) adminPeoplePage(w http.ResponseWriter, r *http.Request, status int, d adminPeopleData) error {
	if d.Page < 1 {
		d.Page = 1
	}
	var err error
	if d.List, d.More, err = s.peopleService().Browse(r.Context(), actor(r), d.Page); err != nil {
		return peopleError(err)
	}
	s.render(w, r, status, "admin_people", pageData{Title: "Participants", Data: d})
	return nil
}

// adminPeopleSearch answers the search form.
func (s *Server) adminPeopleSearch(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	q := r.PostForm.Get("q")
	res, err := s.peopleService().Search(r.Context(), actor(r), q)
	if errs, ok := validate.From(err); ok {
		return s.adminPeoplePage(w, r, http.StatusBadRequest, adminPeopleData{Query: keptText(q), Errors: errs})
	}
	if err != nil {
		return peopleError(err)
	}
	return s.adminPeoplePage(w, r, http.StatusOK, adminPeopleData{Query: q, Searched: true, Results: res})
}

// staffRequest is a staff member's request on personID's record.
func staffRequest(r *http.Request, personID int64) people.Request {
	return people.Request{Person: personID, Actor: actor(r), Staff: true, Reason: r.PostForm.Get("reason")}
}

// adminPersonView renders personID's record for staff with d's messages
// and kept values; the view itself is audited.
func (s *Server) adminPersonView(w http.ResponseWriter, r *http.Request, status int, personID int64, d accountData) error {
	v, err := s.peopleService().View(r.Context(), people.Request{Person: personID, Actor: actor(r), Staff: true})
	if err != nil {
		return peopleError(err)
	}
	d.Record = v
	d.Staff = true
	d.Admin = identityOf(r).Has(auth.Admin)
	d.AllRoles = auth.AllRoles
	d.Origins = slices.DeleteFunc(slices.Clone(people.Origins), func(o people.Origin) bool { return o == people.OriginSelf })
	d.Action = fmt.Sprintf("/admin/people/%d", personID)
	if d.Failed != "details" {
		d.Form = people.Details{Name: v.Person.Name, PostalAddress: v.Person.PostalAddress, Affiliation: v.Person.Affiliation}
	}
	if d.Origin == "" {
		d.Origin = people.OriginStaff
	}
	s.render(w, r, status, "account", pageData{Title: "Participant: " + v.Person.Name, Data: d})
	return nil
}

func (s *Server) adminPerson(w http.ResponseWriter, r *http.Request) error {
	pid, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return s.adminPersonView(w, r, http.StatusOK, pid, accountData{Done: doneMessages[r.URL.Query().Get("done")]})
}

// staffFail re-renders the record with a staff form's problems: a
// *validate.Errors goes next to its fields, a conflict at the top.
func (s *Server) staffFail(w http.ResponseWriter, r *http.Request, pid int64, err error, d accountData) error {
	if errs, ok := validate.From(err); ok {
		d.Errors = errs
		d.Reason = keptText(r.PostForm.Get("reason"))
		return s.adminPersonView(w, r, http.StatusBadRequest, pid, d)
	}
	err = peopleError(err)
	if e, ok := err.(*Error); ok && e.Status == http.StatusConflict {
		return s.adminPersonView(w, r, http.StatusConflict, pid, accountData{Error: e.Message})
	}
	return err
}

func (s *Server) adminPersonUpdate(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	pid, err := pathID(r, "id")
	if err != nil {
		return err
	}
	form := detailsFrom(r)
	changed, err := s.peopleService().Correct(r.Context(), staffRequest(r, pid), form, s.Now())
	if err != nil {
		return s.staffFail(w, r, pid, err, accountData{Failed: "details", Form: kept(form)})
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
		roles = append(roles, auth.Role(v))
	}
	err = s.peopleService().SetRoles(r.Context(), staffRequest(r, pid), roles, s.Now())
	if errs, ok := validate.From(err); ok {
		return badRequest(errs.Error())
	}
	if err != nil {
		return s.staffFail(w, r, pid, err, accountData{})
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/people/%d?done=roles", pid), http.StatusSeeOther)
	return nil
}

// adminPersonAddEmail adds an address given by the participant through
// another channel, with its origin. It stays unconfirmed, unable to sign
// in or receive a reset link, until the person confirms it with the link
// mailed to their own primary address.
func (s *Server) adminPersonAddEmail(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	pid, err := pathID(r, "id")
	if err != nil {
		return err
	}
	typed := r.PostForm.Get("email")
	origin := people.Origin(r.PostForm.Get("origin"))
	ctx := r.Context()
	if err := s.limit(ctx, limitCheck{mailPerPerson, strconv.FormatInt(pid, 10)}); err != nil {
		return err
	}
	c, err := s.peopleService().AddAddress(ctx, staffRequest(r, pid), typed, origin, s.Now())
	if err != nil {
		return s.staffFail(w, r, pid, err, accountData{Failed: "email", NewEmail: keptText(typed), Origin: origin})
	}
	if err := s.mailConfirmation(r, c); err != nil {
		return err
	}
	done := "staff-added"
	if c.Token == "" {
		done = "staff-held"
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/people/%d?done=%s", pid, done), http.StatusSeeOther)
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
	action := people.EmailAction(r.PathValue("action"))
	if action == people.ActionConfirm {
		if err := s.limit(r.Context(), limitCheck{mailPerPerson, strconv.FormatInt(pid, 10)}); err != nil {
			return err
		}
	}
	res, err := s.peopleService().ActOnAddress(r.Context(), staffRequest(r, pid), emailID, action, s.Now())
	if err != nil {
		return s.staffFail(w, r, pid, err, accountData{Failed: fmt.Sprintf("address-%d-%s", emailID, action)})
	}
	if err := s.mailConfirmation(r, res.Confirm); err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/people/%d?done=%s", pid, res.Done), http.StatusSeeOther)
	return nil
}

// takenMessage tells the owner of addr that someone tried to add it to
// another account; the person who typed it is told nothing different.
func (s *Server) takenMessage(addr string) mail.Message {
	return mail.Message{To: addr, Subject: "Your address was entered at " + s.Config.OrgName, Body: fmt.Sprintf(
		"Someone signed in at %s tried to add this address to their account. It already belongs to your account there, so nothing was changed.\n\n"+
			"If it was you, with a second account, remove the address from this account first (%s/account).\n"+
			"Otherwise you can ignore this message.\n", s.Config.OrgName, s.base())}
}
