package web

import (
	"errors"
	"fmt"
	"net/http"

	"plenary/internal/auth"
	"plenary/internal/inquiries"
	"plenary/internal/mail"
	"plenary/internal/policy"
	"plenary/internal/validate"
)

// The staff inbox of inquiries (U5): the secretariat reads and answers
// them, administrators also read privacy questions. Every listing and
// every view of a sender's contact details is in the audit log; answers
// go by mail from plenary and stay with the inquiry.

func staffOf(r *http.Request) inquiries.Staff {
	id := identityOf(r)
	return inquiries.Staff{ID: id.PersonID, Name: id.Name, Admin: id.Has(auth.Admin)}
}

// inquiryError turns the domain's errors into pages.
func inquiryError(err error) error {
	var fe *validate.Problem
	switch {
	case errors.Is(err, inquiries.ErrNotFound):
		return notFound(err.Error())
	case errors.Is(err, inquiries.ErrNoAudit):
		return &Error{Status: http.StatusServiceUnavailable, Message: err.Error()}
	case errors.As(err, &fe):
		return badRequest(fe.Message)
	}
	return err
}

type adminInquiriesData struct {
	Closed    bool
	Inquiries []inquiries.Summary
	Admin     bool
	Done      string
}

func (s *Server) adminInquiries(w http.ResponseWriter, r *http.Request) error {
	staff := staffOf(r)
	closed := r.URL.Query().Get("status") == "closed"
	list, err := inquiries.List(r.Context(), s.DB, s.Audit, staff, closed)
	if err != nil {
		return inquiryError(err)
	}
	d := adminInquiriesData{Closed: closed, Inquiries: list, Admin: staff.Admin}
	if r.URL.Query().Get("done") == "closed" {
		d.Done = "The inquiry is closed. It will be deleted when its retention ends, unless the sender writes again."
	}
	s.render(w, r, http.StatusOK, "admin_inquiries", pageData{Title: "Inquiries", Data: d})
	return nil
}

type adminInquiryData struct {
	Inquiry      inquiries.Inquiry
	ReplyAddress string
	Reply        string
	Error        string
	Done         string
	Kept         string
}

// showInquiry renders one inquiry; each call is a view of the sender's
// contact details and is audited by inquiries.View.
func (s *Server) showInquiry(w http.ResponseWriter, r *http.Request, status int, d adminInquiryData) error {
	id, err := pathID(r, "id")
	if err != nil {
		return notFound("There is no such inquiry.")
	}
	in, err := inquiries.View(r.Context(), s.DB, s.Audit, staffOf(r), id)
	if err != nil {
		return inquiryError(err)
	}
	d.Inquiry = in
	d.ReplyAddress = in.ReplyAddress(s.Config.MailDomain)
	if it, ok := s.Inventory.Lookup("inquiries.message"); ok {
		d.Kept = policy.RetentionText(it.Retention, s.Config.RetentionDays)
	}
	s.render(w, r, status, "admin_inquiry", pageData{Title: fmt.Sprintf("Inquiry %d", in.ID), Data: d})
	return nil
}

func (s *Server) adminInquiry(w http.ResponseWriter, r *http.Request) error {
	var d adminInquiryData
	if r.URL.Query().Get("done") == "sent" {
		d.Done = "Your answer was sent, and it is kept with the inquiry."
	}
	return s.showInquiry(w, r, http.StatusOK, d)
}

func (s *Server) adminInquiryReply(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	id, err := pathID(r, "id")
	if err != nil {
		return notFound("There is no such inquiry.")
	}
	body := r.PostForm.Get("body")
	if _, err := inquiries.CleanReply(body); err != nil {
		if !validUTF8(body) {
			body = ""
		}
		return s.showInquiry(w, r, http.StatusBadRequest, adminInquiryData{Reply: body, Error: err.Error() + " Nothing was sent."})
	}
	out := inquiries.Outgoing{Sender: s.Mail, Domain: s.Config.MailDomain, Org: s.Config.OrgName}
	err = inquiries.Reply(r.Context(), s.DB, s.Audit, out, staffOf(r), id, body, s.Now())
	if errors.Is(err, inquiries.ErrNotSent) || errors.Is(err, mail.ErrInvalid) {
		s.Log.Error("answering an inquiry", "inquiry", id, "err", err)
		return s.showInquiry(w, r, http.StatusBadGateway, adminInquiryData{Reply: body, Error: inquiries.ErrNotSent.Error()})
	}
	if err != nil {
		return inquiryError(err)
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/inquiries/%d?done=sent", id), http.StatusSeeOther)
	return nil
}

func (s *Server) adminInquiryClose(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return notFound("There is no such inquiry.")
	}
	if err := inquiries.Close(r.Context(), s.DB, s.Audit, staffOf(r), id, s.Now()); err != nil {
		return inquiryError(err)
	}
	http.Redirect(w, r, "/admin/inquiries?done=closed", http.StatusSeeOther)
	return nil
}
