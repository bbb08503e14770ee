package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"plenary/internal/inventory"
	"plenary/internal/meetings"
	"plenary/internal/payments"
	"plenary/internal/secrets"
	"plenary/internal/validate"
)

// Meetings (issue 10): public pages, the registration form that works
// signed in or not and without cookies, the registrant's own page behind
// its unguessable link, the card processor's webhook, and the staff pages.
// Card details are never typed here (P1): paying sends the browser to the
// processor's own page.

func meetingError(err error) error {
	switch {
	case errors.Is(err, meetings.ErrNotFound):
		return &Error{Status: http.StatusNotFound, Message: err.Error()}
	case errors.Is(err, meetings.ErrFull), errors.Is(err, meetings.ErrClosed), errors.Is(err, meetings.ErrPaid), errors.Is(err, meetings.ErrNoFee),
		errors.Is(err, meetings.ErrNotRefundable), errors.Is(err, meetings.ErrReleased), errors.Is(err, meetings.ErrCheckoutBusy):
		return &Error{Status: http.StatusConflict, Message: err.Error()}
	case errors.Is(err, meetings.ErrNoAudit), errors.Is(err, meetings.ErrNoProcessor):
		return &Error{Status: http.StatusServiceUnavailable, Message: err.Error()}
	}
	return err
}

// closedError says when registration for m opens, or when it closed.
func closedError(m meetings.Meeting, now time.Time) error {
	msg := fmt.Sprintf("Registration for %s closed at the end of %s.", m.Name, m.RegistrationClosesOn())
	if m.NotYetOpenAt(now) {
		msg = fmt.Sprintf("Registration for %s is not open yet: it opens on %s.", m.Name, m.RegistrationOpensOn())
	}
	return &Error{Status: http.StatusConflict, Message: msg, Again: fmt.Sprintf("/meetings/%d", m.ID), AgainText: "The meeting's page"}
}

func (s *Server) meetingOf(r *http.Request) (meetings.Meeting, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return meetings.Meeting{}, meetingError(meetings.ErrNotFound)
	}
	m, err := meetings.Get(r.Context(), s.DB, id)
	return m, meetingError(err)
}

type meetingsData struct {
	Upcoming, Past []meetings.Meeting
	Now            time.Time
}

func (s *Server) meetingsPage(w http.ResponseWriter, r *http.Request) error {
	up, past, err := meetings.List(r.Context(), s.DB, s.Now())
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "meetings", pageData{Title: "Meetings", Data: meetingsData{Upcoming: up, Past: past, Now: s.Now()}})
	return nil
}

type meetingData struct {
	Meeting   meetings.Meeting
	Open      bool
	NotYet    bool // registration is still to open
	Attendees []meetings.Attendee
}

func (s *Server) meetingPage(w http.ResponseWriter, r *http.Request) error {
	build := func() (*versionedPage, error) {
		m, err := s.meetingOf(r)
		if err != nil {
			return nil, err
		}
		att, err := meetings.Attendees(r.Context(), s.DB, m)
		if err != nil {
			return nil, err
		}
		// The page changes when registration opens or closes.
		return &versionedPage{page: pageData{Title: m.Name, Data: meetingData{Meeting: m, Open: m.OpenAt(s.Now()), NotYet: m.NotYetOpenAt(s.Now()), Attendees: att}},
			until: earliest(s.Now(), m.Opens, m.Closes)}, nil
	}
	if handled, err := s.serveVersioned(w, r, "meeting", meetingAreas, build); handled {
		return err
	}
	v, err := build()
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "meeting", v.page)
	return nil
}

type registerData struct {
	Meeting    meetings.Meeting
	Form       meetings.RegForm
	Problems   *validate.Errors
	Disclosure []disclosureGroup
	Processors []inventory.Processor
	Transfer   string
	Country    string
	Org        string
}

func (s *Server) registerData(m meetings.Meeting) registerData {
	return registerData{
		Meeting: m,
		Disclosure: groupCollected(s.collected("registrations.name", "registrations.email", "registrations.postal_address",
			"registrations.affiliation", "registrations.list_me", "payments.amount", "payments.last4", "payments.auth_code")),
		Processors: s.Inventory.EnabledProcessors(),
		Transfer:   s.Policy.TransferStatement(),
		Country:    s.Config.OrgCountry,
		Org:        s.Config.OrgName,
	}
}

func (s *Server) registerForm(w http.ResponseWriter, r *http.Request) error {
	m, err := s.meetingOf(r)
	if err != nil {
		return err
	}
	if !m.OpenAt(s.Now()) {
		return closedError(m, s.Now())
	}
	d := s.registerData(m)
	if id := identityOf(r); id != nil {
		d.Form.Name, d.Form.Email = id.Name, s.ownAddress(r)
	}
	s.render(w, r, http.StatusOK, "register", pageData{Title: "Register for " + m.Name, Data: d})
	return nil
}

// register takes a registration. Nothing is kept when the form has a
// problem, and nothing at all, not even on the page, from someone under
// 13 (CH1).
func (s *Server) register(w http.ResponseWriter, r *http.Request) error {
	m, err := s.meetingOf(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	p := r.PostForm
	typed := meetings.RegForm{Name: p.Get("name"), Email: p.Get("email"), PostalAddress: p.Get("postal_address"),
		Affiliation: p.Get("affiliation"), Ticket: p.Get("ticket"),
		AgeOK: p.Get("age_ok") != "", Consent: p.Get("consent") != "", ListMe: p.Get("list_me") != ""}
	form, ticket, err := typed.Clean(m)
	if errors.Is(err, meetings.ErrTooYoung) {
		s.render(w, r, http.StatusForbidden, "message", pageData{Title: "Registration not possible", Data: messageData{
			Heading: "We cannot register you", Text: err.Error(), Link: "/meetings", LinkText: "Back to the meetings"}})
		return nil
	}
	if problems, ok := validate.From(err); ok {
		for _, v := range []*string{&typed.Name, &typed.Email, &typed.PostalAddress, &typed.Affiliation, &typed.Ticket} {
			if !validUTF8(*v) {
				*v = ""
			}
		}
		d := s.registerData(m)
		d.Form, d.Problems = typed, problems
		s.render(w, r, http.StatusBadRequest, "register", pageData{Title: "Register for " + m.Name, Data: d})
		return nil
	}
	if err != nil {
		return err
	}
	ctx := r.Context()
	cur, err := s.Policy.Current(ctx)
	if err != nil {
		return err
	}
	var person int64
	if id := identityOf(r); id != nil {
		person = id.PersonID
	}
	reg, err := meetings.Register(ctx, s.DB, s.Audit, meetings.SignUp{Form: form, Ticket: ticket, MeetingID: m.ID, PersonID: person,
		VersionID: cur.ID, Transfer: s.Policy.TransferStatement()}, s.Now())
	if errors.Is(err, meetings.ErrClosed) {
		return closedError(m, s.Now())
	}
	if err != nil {
		return meetingError(err)
	}
	s.sendInBackground(r, meetings.Confirmation(reg, s.base(), s.Config.OrgName), "a registration confirmation")
	http.Redirect(w, r, "/registrations/"+reg.Token, http.StatusSeeOther)
	return nil
}

type registrationData struct {
	Registration meetings.Registration
	CanPay       bool
	Declined     bool
	// Released: the payment was not completed in time and the ticket was
	// freed; paying now takes a place again if one is left.
	Released bool
	// Received: the processor says the payment went through, and it is
	// not recorded here yet (its webhook is late).
	Received bool
	// Settling: the processor took the payment and is confirming it (a
	// card that asks the bank); nothing is to be paid meanwhile.
	Settling bool
	// CanCheck offers the button that asks the processor and records what
	// it says.
	CanCheck bool
}

// receivedRefresh is how often, in seconds, the registration's page
// reloads itself while the processor says the payment went through or is
// being confirmed, and it is not yet recorded.
const receivedRefresh = "10"

// registration is the registrant's own page, at the link only they were
// given. It changes nothing: a checkout still live is looked up at the
// processor, so that a late webhook does not leave the page saying only
// "waiting for payment", but what the processor says is recorded by the
// webhook, the reconcile job, or the page's "check payment" button (a
// POST). Meanwhile the page reloads itself (a Refresh header; no script).
func (s *Server) registration(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	reg, err := meetings.ByToken(ctx, s.DB, r.PathValue("token"))
	if err != nil {
		return meetingError(err)
	}
	d := registrationData{Registration: reg, Released: reg.Status == meetings.Expired}
	if n := len(reg.Payments); n > 0 && reg.Due() {
		d.Declined = reg.Payments[n-1].Status == payments.Declined
	}
	if s.Payments != nil && reg.Due() {
		for _, p := range reg.Payments {
			if (p.Status == payments.Open || p.Status == payments.Declined) && p.Processor == s.Payments.Name() {
				d.CanCheck = true
			}
		}
		switch s.checkouts().AtProcessor(ctx, reg) {
		case payments.Paid:
			d.Received = true
		case payments.Settling:
			d.Settling = true
		}
	}
	d.CanPay = s.Payments != nil && (reg.Due() || reg.Status == meetings.Expired) && !d.Received && !d.Settling
	if d.Received || d.Settling {
		w.Header().Set("Refresh", receivedRefresh)
	}
	s.render(w, r, http.StatusOK, "registration", pageData{Title: "Your registration", Data: d})
	return nil
}

// checkPayment is the registration page's "check payment" button: it
// asks the processor and records what it says, then shows the page again.
func (s *Server) checkPayment(w http.ResponseWriter, r *http.Request) error {
	token := r.PathValue("token")
	if _, err := meetings.ByToken(r.Context(), s.DB, token); err != nil {
		return meetingError(err)
	}
	if s.Payments == nil {
		return &Error{Status: http.StatusServiceUnavailable, Message: meetings.ErrNoProcessor.Error()}
	}
	c := s.checkouts()
	err := c.CheckPayment(r.Context(), token, s.Now())
	s.deliverQueued(r.Context(), c)
	if err != nil {
		return meetingError(err)
	}
	http.Redirect(w, r, "/registrations/"+token, http.StatusSeeOther)
	return nil
}

// checkouts is the payment use cases with this site's processor. The
// mail they store (a refund's notice, a payment's confirmation) is
// delivered after the answer by deliverQueued, or else by the outbox's job.
func (s *Server) checkouts() meetings.Checkouts {
	c := meetings.Checkouts{DB: s.DB, Audit: s.Audit, Sealer: s.paymentSealer(), Proc: s.Payments, Outbox: &queuedMail{s: s}}
	if s.Config != nil {
		c.Expiry, c.BaseURL, c.Org = s.Config.CheckoutExpiry, s.base(), s.Config.OrgName
	}
	return c
}

// pay sends the browser to the processor's page for the registration.
func (s *Server) pay(w http.ResponseWriter, r *http.Request) error {
	token := r.PathValue("token")
	if _, err := meetings.ByToken(r.Context(), s.DB, token); err != nil {
		return meetingError(err)
	}
	if s.Payments == nil {
		return &Error{Status: http.StatusServiceUnavailable, Message: meetings.ErrNoProcessor.Error()}
	}
	c := s.checkouts()
	url, err := c.StartPayment(r.Context(), token, s.Now())
	s.deliverQueued(r.Context(), c)
	if errors.Is(err, meetings.ErrSettling) || errors.Is(err, meetings.ErrPaid) {
		// Nothing to pay: back to the page, which says how it stands.
		http.Redirect(w, r, "/registrations/"+token, http.StatusSeeOther)
		return nil
	}
	if err != nil {
		return meetingError(err)
	}
	http.Redirect(w, r, url, http.StatusSeeOther)
	return nil
}

func (s *Server) paymentSealer() *secrets.Sealer {
	if s.Keys == nil {
		return nil
	}
	return s.Keys.Sealer(inventory.PaymentsKey)
}

// webhookPaths names each processor's webhook path segment.
var webhookPaths = map[string]string{
	"test":   payments.TestProcessorName,
	"stripe": payments.StripeName,
}

// paymentWebhook takes the processor's signed notice. A forged or stale
// one is refused; a replayed one, or one about nothing this site tracks,
// is acknowledged and changes nothing.
func (s *Server) paymentWebhook(w http.ResponseWriter, r *http.Request) error {
	if s.Payments == nil || webhookPaths[r.PathValue("processor")] != s.Payments.Name() {
		return &Error{Status: http.StatusNotFound, Message: "There is no such payment processor here."}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 256<<10))
	if err != nil {
		return formError(err)
	}
	c := s.checkouts()
	err = c.Webhook(r.Context(), r.Header, body, s.Now())
	s.deliverQueued(r.Context(), c)
	answer := "ok\n"
	switch {
	case errors.Is(err, payments.ErrBadSignature):
		return &Error{Status: http.StatusBadRequest, Message: "The webhook could not be verified."}
	case errors.Is(err, payments.ErrMalformed):
		return &Error{Status: http.StatusBadRequest, Message: "The webhook's event could not be read; nothing was changed."}
	case errors.Is(err, payments.ErrReplayed):
		answer = "already applied\n"
	case errors.Is(err, meetings.ErrIgnored):
		answer = "nothing to do here\n"
	case err != nil:
		return meetingError(err)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, err = io.WriteString(w, answer)
	return err
}

type adminMeetingsData struct {
	Upcoming, Past []meetings.Meeting
	Form           meetings.Form
	Problems       *validate.Errors
}

func (s *Server) adminMeetings(w http.ResponseWriter, r *http.Request) error {
	return s.adminMeetingsPage(w, r, http.StatusOK, adminMeetingsData{Form: meetings.Form{TimeZone: "UTC", Capacity: "100", Tickets: "Full | 350.00 | USD\nStudent | 50.00 | USD"}})
}

func (s *Server) adminMeetingsPage(w http.ResponseWriter, r *http.Request, status int, d adminMeetingsData) error {
	up, past, err := meetings.List(r.Context(), s.DB, s.Now())
	if err != nil {
		return err
	}
	d.Upcoming, d.Past = up, past
	s.render(w, r, status, "admin_meetings", pageData{Title: "Meetings", Data: d})
	return nil
}

// meetingForm reads the fields of the meetingFields block and the ticket
// and attendee-list fields, for creating and for editing a meeting.
func meetingForm(p url.Values) meetings.Form {
	return meetings.Form{Name: p.Get("name"), StartsOn: p.Get("starts_on"), EndsOn: p.Get("ends_on"), Place: p.Get("place"),
		TimeZone: p.Get("time_zone"), Opens: p.Get("opens"), Closes: p.Get("closes"), Capacity: p.Get("capacity"),
		Tickets: p.Get("tickets"), Online: p.Get("online") != "", PublishAttendees: p.Get("publish_attendees") != ""}
}

func (s *Server) adminMeetingCreate(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	f := meetingForm(r.PostForm)
	m, err := f.Clean()
	if problems, ok := validate.From(err); ok {
		return s.adminMeetingsPage(w, r, http.StatusBadRequest, adminMeetingsData{Form: f, Problems: problems})
	}
	if err != nil {
		return err
	}
	id := identityOf(r)
	mid, err := meetings.Create(r.Context(), s.DB, s.Audit, meetings.Staff{ID: id.PersonID, Name: id.Name}, m, s.Now())
	if err != nil {
		return meetingError(err)
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/meetings/%d?done=created", mid), http.StatusSeeOther)
	return nil
}
