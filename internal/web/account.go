package web

import (
	"errors"
	"net/http"
	"plenary/internal/documents"
	"plenary/internal/meetings"
	"strconv"
	"strings"

	"plenary/internal/auth"
	"plenary/internal/dsr"
	"plenary/internal/inquiries"
	"plenary/internal/lists"
	"plenary/internal/people"
	"plenary/internal/policy"
	"plenary/internal/validate"
)

// peopleService is the people domain's use cases over this server's
// database, audit log and statement.
func (s *Server) peopleService() *people.Service {
	return &people.Service{DB: s.DB, Audit: s.Audit, Policy: s.Policy}
}

// actor is the signed-in person, as the domain packages name them.
func actor(r *http.Request) people.Actor {
	id := identityOf(r)
	if id == nil {
		return people.Actor{}
	}
	return people.Actor{ID: id.PersonID, Label: id.Name, Roles: id.Roles}
}

// peopleError turns a refusal of the people domain into a page that says
// what happened; other errors pass through.
func peopleError(err error) error {
	var unconfirmed *people.UnconfirmedError
	switch {
	case errors.Is(err, people.ErrNotFound):
		return notFound("There is no such participant or address.")
	case errors.Is(err, people.ErrNotAllowed), errors.Is(err, people.ErrStaffAddresses):
		return &Error{Status: http.StatusForbidden, Message: err.Error()}
	case errors.Is(err, people.ErrNoAudit):
		return &Error{Status: http.StatusServiceUnavailable, Message: err.Error()}
	case errors.Is(err, people.ErrNoSuchAction):
		return notFound(err.Error())
	case errors.Is(err, people.ErrEmailTaken), errors.Is(err, people.ErrPrimaryNeedsVerified), errors.Is(err, people.ErrCannotRemovePrimary),
		errors.Is(err, people.ErrOwnAdmin), errors.Is(err, people.ErrNoPrimary), errors.Is(err, people.ErrStatementMoved),
		errors.As(err, &unconfirmed):
		return &Error{Status: http.StatusConflict, Message: err.Error()}
	}
	return err
}

type accountData struct {
	people.Record
	// Registrations made while signed in or from an address whose mailbox
	// the person proved, with their payments; on their own page only.
	Registrations []meetings.Own
	Done          string
	Error         string           // a refusal that concerns the whole page
	Errors        *validate.Errors // every problem of the form sent
	Failed        string           // which form they belong to: "details", "email" or an address action
	Form          people.Details
	NewEmail      string // the address typed in the add form
	Origin        people.Origin
	Reason        string // the request typed in the failed form
	RemovalNote   string // the note typed in a removal request that was refused
	PasswordError string // why a password change was refused
	MinPassword   int
	// ToldDisclosures are the disclosures to authorities about the person
	// that they have been told of; on their own page only.
	ToldDisclosures []dsr.Disclosure
	Action          string // form target prefix: "/account" or "/admin/people/ID"
	Staff           bool
	Admin           bool
	AllRoles        []auth.Role
	Origins         []people.Origin
	// Inquiries sent from addresses whose mailbox the person proved; on their own
	// page only (privacy questions are not for the secretariat's view).
	Inquiries []inquiries.Inquiry
	Mailing   *accountMailing // the signed-in participant's own page only
	// Subscriptions to discussion groups of the person's addresses; on
	// their own page only.
	Subscriptions []lists.Subscription
	// DisabledDays is how long a subscription whose mail bounced is kept
	// before it is removed (retention key list_disabled).
	DisabledDays int
	// Postings to discussion groups, newest first, at most
	// lists.AccountPostings of PostingsTotal; on their own page only.
	Postings      []lists.Posting
	PostingsTotal int
	// RemovalPending says the person has asked for removal and staff have
	// not decided yet (R4).
	RemovalPending bool
	// Drafts the person posted (PUB1); on their own page.
	Submissions []documents.Summary
	// IPR disclosures the person sent, in every state (issue 11).
	Disclosures []documents.Disclosure
}

// ReasonFor is what the reason field of form shows: the typed request
// again only in the form that failed.
func (d accountData) ReasonFor(form string) reasonField {
	f := reasonField{Form: form}
	if d.Failed == form {
		f.Value, f.Error = d.Reason, d.Errors.For("reason")
	}
	return f
}

type reasonField struct{ Form, Value, Error string }

// Visible are the addresses the page lists. An address the person typed
// and has not confirmed yet is left out: adding an address that belongs to
// another account answers exactly as adding a free one, and a list that
// showed the one but not the other would tell.
func (d accountData) Visible() []people.Email {
	var out []people.Email
	for _, e := range d.Emails {
		if e.Origin == people.OriginSelf && !e.Verified() && !e.Primary && !d.Staff {
			continue
		}
		out = append(out, e)
	}
	return out
}

// doneMessages are the confirmations a redirect after a change can show;
// the query names one by key, so no cookie is needed to carry it.
var doneMessages = map[string]string{
	"saved":             "Your changes are saved.",
	"password":          "Your password is changed. Every other place where you were signed in is signed out, and your primary address is told.",
	"unchanged":         "Nothing was changed.",
	"email-added":       "We have sent a confirmation link to the address. It is listed here once you follow the link.",
	"staff-added":       "The address is added. We have mailed the person a link, at their primary address, to confirm it is theirs; until then it cannot be used to sign in or to reset the password.",
	"staff-held":        "The address is added. The person's primary address is not confirmed, so no link could be sent; the address cannot be used to sign in or to reset the password until the person confirms it.",
	"email-sent":        "We have sent a new confirmation link.",
	"primary":           "The primary address is changed.",
	"removed":           "The address is removed.",
	"deactivated":       "The address is deactivated. It stays with the public record it came from, but the site no longer uses it to reach you or sign you in.",
	"acknowledged":      "Thank you: your acknowledgement is recorded.",
	"roles":             "The roles are saved.",
	"mail-stopped":      "You will receive no more announcements. This is recorded in what you agreed to, below.",
	"unsubscribed":      "You are unsubscribed, and the subscription is deleted.",
	"removal-requested": "Your request for removal is recorded. Staff will decide it and write to your primary address.",
	// Meetings, the registrant's side (issue 10).
	"registration-cancelled":        "Your registration is cancelled and its place is free for someone else.",
	"registration-cancelled-refund": "Your registration is cancelled and its place is free for someone else. As it was paid, a refund request went to finance, who refund through the card processor and write to you.",
	"refund-requested":              "Your refund request is recorded, and we have mailed you an acknowledgement. Finance decide it; a refund goes back to your card through the processor, cancels the registration and is mailed to you.",
	// IPR disclosures (issue 11).
	"ipr-sent": "Your disclosure was received. It waits for the secretariat, who will post it or tell you why not; it is listed below with its state.",
}

func (s *Server) account(w http.ResponseWriter, r *http.Request) error {
	return s.accountPage(w, r, http.StatusOK, accountData{Done: doneMessages[r.URL.Query().Get("done")]})
}

// accountPage renders the signed-in person's own record with d's
// messages and kept values.
func (s *Server) accountPage(w http.ResponseWriter, r *http.Request, status int, d accountData) error {
	id := identityOf(r)
	v, err := s.peopleService().View(r.Context(), people.Request{Person: id.PersonID, Actor: actor(r)})
	if err != nil {
		return peopleError(err)
	}
	d.Record = v
	d.Action = "/account"
	d.MinPassword = people.MinPassword
	if d.Failed != "details" {
		d.Form = people.Details{Name: v.Person.Name, PostalAddress: v.Person.PostalAddress, Affiliation: v.Person.Affiliation}
	}
	if d.Inquiries, err = s.ownInquiries(r, v); err != nil {
		return err
	}
	if d.Mailing, err = s.accountMailing(r, id.PersonID); err != nil {
		return err
	}
	if d.Subscriptions, err = lists.SubscriptionsOf(r.Context(), s.DB, id.PersonID); err != nil {
		return err
	}
	d.DisabledDays = s.Inventory.RetentionDays("list_disabled")
	// The postings the export would hand over: by the account or from
	// an address whose mailbox the person proved (dsr.LoadSubject).
	subject, err := dsr.LoadSubject(r.Context(), s.DB, id.PersonID)
	if err != nil {
		return err
	}
	if d.Postings, d.PostingsTotal, err = lists.PostingsBy(r.Context(), s.DB, id.PersonID, subject.Addresses, lists.AccountPostings); err != nil {
		return err
	}
	// What they agreed to, as their export has it: with the entries of
	// what they sent without an account from an address they proved (a
	// subscription made signed out, and its end).
	own, err := dsr.Ledger(r.Context(), s.DB, s.Inventory, subject)
	if err != nil {
		return err
	}
	d.Record.Ledger = s.peopleService().Dated(r.Context(), own)
	if d.ToldDisclosures, err = dsr.ToldDisclosures(r.Context(), s.DB, id.PersonID); err != nil {
		return err
	}
	if _, d.RemovalPending, err = dsr.PendingFor(r.Context(), s.DB, id.PersonID); err != nil {
		return err
	}
	if d.Disclosures, err = documents.IPRBySubmitter(r.Context(), s.DB, id.PersonID); err != nil {
		return err
	}
	if d.Submissions, err = documents.SubmittedBy(r.Context(), s.DB, id.PersonID); err != nil {
		return err
	}
	if d.Registrations, err = s.ownRegistrations(r, v); err != nil {
		return err
	}
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

// kept returns the details as typed, for the form again, leaving out what
// is not clean text.
func kept(d people.Details) people.Details {
	for _, f := range []*string{&d.Name, &d.PostalAddress, &d.Affiliation} {
		if !validUTF8(*f) {
			*f = ""
		}
	}
	return d
}

func (s *Server) accountUpdate(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	id := identityOf(r)
	form := detailsFrom(r)
	changed, err := s.peopleService().Correct(r.Context(), people.Request{Person: id.PersonID, Actor: actor(r)}, form, s.Now())
	if errs, ok := validate.From(err); ok {
		return s.accountPage(w, r, http.StatusBadRequest, accountData{Errors: errs, Failed: "details", Form: kept(form)})
	}
	if err != nil {
		return peopleError(err)
	}
	done := "saved"
	if len(changed) == 0 {
		done = "unchanged"
	}
	http.Redirect(w, r, "/account?done="+done, http.StatusSeeOther)
	return nil
}

// accountAddEmail adds an address the person typed. Whether or not it
// belongs to another account, the answer is the same: a link is mailed,
// to the address when it is free, and to its owner, as a notice, when it
// is not. The limit on mail is counted before anything is saved, so a
// refused attempt leaves nothing behind.
func (s *Server) accountAddEmail(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	id := identityOf(r)
	typed := r.PostForm.Get("email")
	if _, err := people.CleanEmail(typed); err != nil {
		errs := &validate.Errors{}
		errs.Add("new_email", err.Error())
		return s.accountPage(w, r, http.StatusBadRequest, accountData{Errors: errs, Failed: "email", NewEmail: keptText(typed)})
	}
	ctx := r.Context()
	if err := s.limit(ctx, limitCheck{mailPerPerson, strconv.FormatInt(id.PersonID, 10)}); err != nil {
		return err
	}
	c, err := s.peopleService().AddAddress(ctx, people.Request{Person: id.PersonID, Actor: actor(r)}, typed, people.OriginSelf, s.Now())
	if err != nil {
		return peopleError(err)
	}
	// Sent after answering, whichever it is: waiting for the SMTP round
	// trip of the one and not the other would tell them apart.
	if c.Token != "" || c.Taken {
		m := s.takenMessage(c.To)
		if !c.Taken {
			m = s.verifyMessage(c)
		}
		s.sendInBackground(r, m, "a confirmation link")
	}
	http.Redirect(w, r, "/account?done=email-added", http.StatusSeeOther)
	return nil
}

// keptText is s when it is clean text to show in a form again, else "".
func keptText(s string) string {
	if !validUTF8(s) {
		return ""
	}
	return s
}

// mailConfirmation sends the link c carries, if any, and says when it
// could not.
func (s *Server) mailConfirmation(r *http.Request, c people.Confirmation) error {
	if c.Token == "" {
		return nil
	}
	if err := (durableSender{s, "a confirmation link"}).Send(r.Context(), s.verifyMessage(c)); err != nil {
		s.Log.Error("sending a confirmation link failed", "err", err)
		return &Error{Status: http.StatusServiceUnavailable, Message: "The confirmation message could not be sent just now. Please try again later."}
	}
	return nil
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
	action := people.EmailAction(r.PathValue("action"))
	if action == people.ActionConfirm {
		if err := s.limit(r.Context(), limitCheck{mailPerPerson, strconv.FormatInt(id.PersonID, 10)}); err != nil {
			return err
		}
	}
	res, err := s.peopleService().ActOnAddress(r.Context(), people.Request{Person: id.PersonID, Actor: actor(r)}, emailID, action, s.Now())
	if err != nil {
		err = peopleError(err)
		var e *Error
		if errors.As(err, &e) && e.Status == http.StatusConflict {
			return s.accountPage(w, r, http.StatusConflict, accountData{Error: e.Message})
		}
		return err
	}
	if err := s.mailConfirmation(r, res.Confirm); err != nil {
		return err
	}
	http.Redirect(w, r, "/account?done="+res.Done, http.StatusSeeOther)
	return nil
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
	vid, err := strconv.ParseInt(r.PostForm.Get("version"), 10, 64)
	if err != nil {
		return badRequest("The form could not be read. Please go back and use the button on the page.")
	}
	next := localNext(r.PostForm.Get("next"), "/account")
	if err := s.peopleService().Acknowledge(r.Context(), id.PersonID, vid, s.Now()); err != nil {
		return peopleError(err)
	}
	if next == "/account" || strings.HasPrefix(next, "/account?") {
		next = "/account?done=acknowledged"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}
