package web

import (
	"errors"
	"net/http"
	"strings"

	"plenary/internal/meetings"
	"plenary/internal/people"
	"plenary/internal/validate"
)

// The registrant's side of meetings (issue 10): receipts, cancelling and
// asking for a refund, through the registration's own link (which works
// with or without an account), and the registrations on /account,
// including those made without an account from an address whose mailbox
// the person proved. Finance's side is in meetings_finance.go.

func registrantError(err error) error {
	switch {
	case errors.Is(err, meetings.ErrStarted), errors.Is(err, meetings.ErrCancelled), errors.Is(err, meetings.ErrNotPaid),
		errors.Is(err, meetings.ErrRefundRequested):
		return &Error{Status: http.StatusConflict, Message: err.Error()}
	}
	return meetingError(err)
}

// ownRegistrations are the registrations on the person's own account
// page: made signed in, or without an account from an address whose
// mailbox they proved (as for inquiries).
func (s *Server) ownRegistrations(r *http.Request, v people.Record) ([]meetings.Own, error) {
	var addrs []string
	for _, e := range v.Emails {
		if e.MailboxProven() && e.Active {
			addrs = append(addrs, e.Address)
		}
	}
	return meetings.ForAccount(r.Context(), s.DB, v.Person.ID, addrs)
}

type receiptData struct {
	Receipts []meetings.Receipt
	Org      string
	Country  string
}

// registrationReceipt is the printable receipt of a registration's
// payments, at its own link. Its print rules are in the style sheet, so
// the page needs no script or inline style (CSP).
func (s *Server) registrationReceipt(w http.ResponseWriter, r *http.Request) error {
	list, err := meetings.Receipts(r.Context(), s.DB, r.PathValue("token"))
	if err != nil {
		return meetingError(err)
	}
	if len(list) == 0 {
		return notFound("This registration has no payment yet, so there is no receipt. A free ticket needs none; its confirmation is the registration's page.")
	}
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, http.StatusOK, "receipt", pageData{Title: "Receipt " + list[0].Number, Data: receiptData{Receipts: list, Org: s.Config.OrgName, Country: s.Config.OrgCountry}})
	return nil
}

// registrantOf is the signed-in person acting on a registration, if any.
func registrantOf(r *http.Request) meetings.Registrant {
	if id := identityOf(r); id != nil {
		return meetings.Registrant{PersonID: id.PersonID}
	}
	return meetings.Registrant{}
}

// backToAccount says the form was sent from /account, which shows the
// outcome itself.
func backToAccount(r *http.Request) bool {
	return r.PostForm.Get("back") == "account" && identityOf(r) != nil
}

// registrationCancel cancels a registration by the rule in
// internal/meetings/account.go: the place is freed; a paid one becomes a
// refund request for finance.
func (s *Server) registrationCancel(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	token := r.PathValue("token")
	refund, err := meetings.Cancel(r.Context(), s.DB, s.Audit, registrantOf(r), token, s.Now())
	if err != nil {
		return registrantError(err)
	}
	if reg, err := meetings.ByToken(r.Context(), s.DB, token); err == nil && reg.Email != "" {
		s.sendInBackground(r, meetings.CancelNotice(reg, refund, s.base(), s.Config.OrgName), "a cancellation notice")
	}
	done, text := "registration-cancelled", doneMessages["registration-cancelled"]
	if refund {
		done, text = "registration-cancelled-refund", doneMessages["registration-cancelled-refund"]
	}
	if backToAccount(r) {
		http.Redirect(w, r, "/account?done="+done+"#registrations", http.StatusSeeOther)
		return nil
	}
	s.render(w, r, http.StatusOK, "message", pageData{Title: "Registration cancelled", Data: messageData{
		Heading: "Your registration is cancelled", Text: text, Link: "/registrations/" + token, LinkText: "Your registration's page"}})
	return nil
}

// registrationRefund files a refund request for a paid registration.
func (s *Server) registrationRefund(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	token := r.PathValue("token")
	err := meetings.RequestRefund(r.Context(), s.DB, s.Audit, registrantOf(r), token, r.PostForm.Get("reason"), s.Now())
	if problems, ok := validate.From(err); ok {
		return &Error{Status: http.StatusBadRequest, Message: problems.List()[0].Message + " Nothing was recorded."}
	}
	if err != nil {
		return registrantError(err)
	}
	// Acknowledged to the address the registration was made with, as a
	// cancellation is, so a request made through a forwarded link does
	// not go unnoticed either.
	if reg, err := meetings.ByToken(r.Context(), s.DB, token); err == nil && reg.Email != "" {
		s.sendInBackground(r, meetings.RefundRequestNotice(reg, s.Now(), s.base(), s.Config.OrgName), "a refund request acknowledgement")
	}
	if backToAccount(r) {
		http.Redirect(w, r, "/account?done=refund-requested#registrations", http.StatusSeeOther)
		return nil
	}
	s.render(w, r, http.StatusOK, "message", pageData{Title: "Refund requested", Data: messageData{
		Heading: "Your refund request is recorded", Text: doneMessages["refund-requested"], Link: "/registrations/" + token, LinkText: "Your registration's page"}})
	return nil
}

// payableFrom lets the page of h send a form to the card processor's
// hosted page: browsers hold the redirect that the pay button's answer
// makes to the form-action directive, so the processor's origin is added
// to it on this page alone. A processor that does not name its origin
// gets any https origin.
func (s *Server) payableFrom(h func(http.ResponseWriter, *http.Request) error) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.Payments != nil {
			origin := "https:"
			if p, ok := s.Payments.(interface{ CheckoutOrigin() string }); ok && p.CheckoutOrigin() != "" {
				origin = p.CheckoutOrigin()
			}
			if csp := w.Header().Get("Content-Security-Policy"); strings.Contains(csp, "form-action 'self'") {
				w.Header().Set("Content-Security-Policy", strings.Replace(csp, "form-action 'self'", "form-action 'self' "+origin, 1))
			}
		}
		return h(w, r)
	}
}
