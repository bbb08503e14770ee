package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"plenary/internal/auth"
	"plenary/internal/people"
	"plenary/internal/policy"
	"plenary/internal/store"
)

// personView is everything plenary holds about a person that the account
// page and the staff page show.
type personView struct {
	Person  people.Person
	Emails  []people.Email
	Roles   []auth.Role
	History []people.Change
	Ledger  []ledgerRow
}

type ledgerRow struct {
	policy.Consent
	VersionDate string
}

func (s *Server) loadPerson(r *http.Request, id int64) (personView, error) {
	ctx := r.Context()
	var v personView
	var err error
	if v.Person, err = people.Get(ctx, s.DB, id); err != nil {
		if errors.Is(err, people.ErrNotFound) {
			return v, notFound("There is no such participant.")
		}
		return v, err
	}
	if v.Emails, err = people.Emails(ctx, s.DB, id); err != nil {
		return v, err
	}
	if v.Roles, err = people.Roles(ctx, s.DB, id); err != nil {
		return v, err
	}
	if v.History, err = people.History(ctx, s.DB, id); err != nil {
		return v, err
	}
	entries, err := policy.Entries(ctx, s.DB, id)
	if err != nil {
		return v, err
	}
	for _, e := range entries {
		row := ledgerRow{Consent: e}
		if pv, err := s.Policy.Get(ctx, e.VersionID); err == nil {
			row.VersionDate = pv.PublishedAt.UTC().Format("2 January 2006")
		}
		v.Ledger = append(v.Ledger, row)
	}
	return v, nil
}

type accountData struct {
	personView
	Done     string
	Error    string
	Field    string
	Form     people.Details
	Action   string // form target prefix: "/account" or "/admin/people/ID"
	Staff    bool
	Admin    bool
	AllRoles []auth.Role
	Origins  []people.Origin
	Mailing  *accountMailing // the signed-in participant's own page only
}

// doneMessages are the confirmations a redirect after a change can show;
// the query names one by key, so no cookie is needed to carry it.
var doneMessages = map[string]string{
	"saved":        "Your changes are saved.",
	"unchanged":    "Nothing was changed.",
	"email-added":  "The address is added. We have sent it a confirmation link.",
	"email-sent":   "We have sent a new confirmation link.",
	"primary":      "The primary address is changed.",
	"removed":      "The address is removed.",
	"deactivated":  "The address is deactivated. It stays with the public record it came from, but the site no longer uses it to reach you or sign you in.",
	"acknowledged": "Thank you: your acknowledgement is recorded.",
	"roles":        "The roles are saved.",
	"mail-asked":   "We have sent a confirmation link to your primary address. Announcements start once you follow it.",
	"mail-stopped": "You will receive no more announcements. This is recorded in what you agreed to, below.",
}

func (s *Server) account(w http.ResponseWriter, r *http.Request) error {
	id := identityOf(r)
	v, err := s.loadPerson(r, id.PersonID)
	if err != nil {
		return err
	}
	d := accountData{personView: v, Done: doneMessages[r.URL.Query().Get("done")], Action: "/account",
		Form: people.Details{Name: v.Person.Name, PostalAddress: v.Person.PostalAddress, Affiliation: v.Person.Affiliation}}
	if d.Mailing, err = s.accountMailing(r, id.PersonID); err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "account", pageData{Title: "Your account", Data: d})
	return nil
}

// accountFail re-renders the account page with a message and what was
// typed, changing nothing.
func (s *Server) accountFail(w http.ResponseWriter, r *http.Request, status int, field, msg string, form people.Details) error {
	id := identityOf(r)
	v, err := s.loadPerson(r, id.PersonID)
	if err != nil {
		return err
	}
	for _, f := range []*string{&form.Name, &form.PostalAddress, &form.Affiliation} {
		if !validUTF8(*f) {
			*f = ""
		}
	}
	d := accountData{personView: v, Error: msg, Field: field, Form: form, Action: "/account"}
	s.render(w, r, status, "account", pageData{Title: "Your account", Data: d})
	return nil
}

func detailsFrom(r *http.Request) people.Details {
	return people.Details{
		Name:          r.PostForm.Get("name"),
		PostalAddress: r.PostForm.Get("postal_address"),
		Affiliation:   r.PostForm.Get("affiliation"),
	}
}

func (s *Server) accountUpdate(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	id := identityOf(r)
	form := detailsFrom(r)
	ctx := r.Context()
	var changed []string
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		var err error
		changed, err = people.Update(ctx, tx, id.PersonID, id.PersonID, form, s.Now())
		return err
	})
	var fe *people.FieldError
	if errors.As(err, &fe) {
		return s.accountFail(w, r, http.StatusBadRequest, fe.Field, fe.Message+" Nothing was changed.", form)
	}
	if err != nil {
		return err
	}
	done := "saved"
	if len(changed) == 0 {
		done = "unchanged"
	}
	http.Redirect(w, r, "/account?done="+done, http.StatusSeeOther)
	return nil
}

func (s *Server) accountAddEmail(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	id := identityOf(r)
	ctx := r.Context()
	addr, err := people.CleanEmail(r.PostForm.Get("email"))
	if err != nil {
		return s.accountFail(w, r, http.StatusBadRequest, "new_email", err.Error()+" Nothing was changed.", s.currentDetails(r, id.PersonID))
	}
	var e people.Email
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		var err error
		e, err = people.AddEmail(ctx, tx, id.PersonID, id.PersonID, addr, people.OriginSelf, s.Now())
		return err
	})
	if errors.Is(err, people.ErrEmailTaken) {
		return s.accountFail(w, r, http.StatusConflict, "new_email", err.Error()+" Nothing was changed.", s.currentDetails(r, id.PersonID))
	}
	if err != nil {
		return err
	}
	if err := s.sendVerify(r, id.PersonID, e); err != nil {
		return err
	}
	http.Redirect(w, r, "/account?done=email-added", http.StatusSeeOther)
	return nil
}

func (s *Server) currentDetails(r *http.Request, personID int64) people.Details {
	p, err := people.Get(r.Context(), s.DB, personID)
	if err != nil {
		return people.Details{}
	}
	return people.Details{Name: p.Name, PostalAddress: p.PostalAddress, Affiliation: p.Affiliation}
}

func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, notFound("There is no such address.")
	}
	return id, nil
}

// accountEmailAction confirms, makes primary or removes one of the
// signed-in person's addresses.
func (s *Server) accountEmailAction(w http.ResponseWriter, r *http.Request) error {
	id := identityOf(r)
	emailID, err := pathID(r, "email")
	if err != nil {
		return err
	}
	done, err := s.emailAction(r, id.PersonID, id.PersonID, emailID, r.PathValue("action"))
	var fe *Error
	switch {
	case errors.As(err, &fe) && fe.Status == http.StatusConflict:
		return s.accountFail(w, r, http.StatusConflict, "emails", fe.Message, s.currentDetails(r, id.PersonID))
	case err != nil:
		return err
	}
	http.Redirect(w, r, "/account?done="+done, http.StatusSeeOther)
	return nil
}

// emailAction does one address action for personID on behalf of actor and
// returns the confirmation key.
func (s *Server) emailAction(r *http.Request, personID, actor, emailID int64, action string) (string, error) {
	ctx := r.Context()
	e, err := people.GetEmail(ctx, s.DB, personID, emailID)
	if errors.Is(err, people.ErrNotFound) {
		return "", notFound("There is no such address on this account.")
	}
	if err != nil {
		return "", err
	}
	done := ""
	switch action {
	case "confirm":
		if e.Verified() {
			return "unchanged", nil
		}
		return "email-sent", s.sendVerify(r, personID, e)
	case "primary":
		done = "primary"
		err = s.DB.Tx(ctx, func(tx *store.Tx) error {
			return people.SetPrimary(ctx, tx, personID, actor, emailID, s.Now())
		})
	case "remove":
		err = s.DB.Tx(ctx, func(tx *store.Tx) error {
			erased, err := people.RemoveEmail(ctx, tx, personID, actor, emailID, s.Now())
			done = "deactivated"
			if erased {
				done = "removed"
			}
			return err
		})
	default:
		return "", notFound("There is no such action.")
	}
	if errors.Is(err, people.ErrPrimaryNeedsVerified) || errors.Is(err, people.ErrCannotRemovePrimary) {
		return "", &Error{Status: http.StatusConflict, Message: err.Error()}
	}
	return done, err
}

type acknowledgeData struct {
	Version  policy.Version
	Previous *policy.Version
	Diff     []policy.DiffLine
	Next     string
	Transfer string
}

// acknowledgeForm shows a material change of the privacy statement, with
// the diff from the version the participant last agreed to (V3).
func (s *Server) acknowledgeForm(w http.ResponseWriter, r *http.Request) error {
	id := identityOf(r)
	ctx := r.Context()
	next := localNext(r.URL.Query().Get("next"), "/account")
	v, pending, err := s.Policy.PendingAcknowledgement(ctx, s.DB, id.PersonID)
	if err != nil {
		return err
	}
	if !pending {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	d := acknowledgeData{Version: v, Next: next, Transfer: s.Policy.TransferStatement()}
	prev, ok, err := s.Policy.LastAcknowledged(ctx, s.DB, id.PersonID)
	if err != nil {
		return err
	}
	if !ok {
		prev, ok, err = s.Policy.Previous(ctx, v)
		if err != nil {
			return err
		}
	}
	if ok {
		d.Previous = &prev
		d.Diff = policy.Diff(prev.Body, v.Body)
	}
	s.render(w, r, http.StatusOK, "acknowledge", pageData{Title: "The privacy statement has changed", Data: d})
	return nil
}

func (s *Server) acknowledge(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	id := identityOf(r)
	ctx := r.Context()
	vid, err := strconv.ParseInt(r.PostForm.Get("version"), 10, 64)
	if err != nil {
		return badRequest("The form could not be read. Please go back and use the button on the page.")
	}
	next := localNext(r.PostForm.Get("next"), "/account")
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		v, pending, err := s.Policy.PendingAcknowledgement(ctx, tx, id.PersonID)
		if err != nil || !pending {
			return err
		}
		if v.ID != vid {
			return &Error{Status: http.StatusConflict, Message: "The privacy statement changed again while you were reading it. Please read the newest version and acknowledge that."}
		}
		return policy.Record(ctx, tx, policy.Consent{
			PersonID: id.PersonID, Purpose: policy.PurposeStatement, Granted: true, VersionID: v.ID,
			Channel: policy.ChannelWeb, Transfer: s.Policy.TransferStatement(), At: s.Now(),
		})
	})
	if err != nil {
		return err
	}
	if next == "/account" || strings.HasPrefix(next, "/account?") {
		next = "/account?done=acknowledged"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}
