package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"plenary/internal/mail"
	"plenary/internal/mailings"
	"plenary/internal/policy"
)

// Participant mailings (D1): opting in from the account page with a mailed
// confirmation, unsubscribing by link, and the secretariat's page to
// write, test and send an announcement and to record opt-outs that came
// by phone or post. Handlers parse, call internal/mailings, render.

func (s *Server) mailingsEnv() mailings.Env {
	return mailings.Env{DB: s.DB, Audit: s.Audit, Policy: s.Policy}
}

// MailingSite is what mailed announcements say about the site; serve
// gives the same to the sending job.
func MailingSite(orgName, baseURL, replyTo string) mailings.Site {
	return mailings.Site{Org: orgName, BaseURL: strings.TrimSuffix(baseURL, "/"), ReplyTo: replyTo}
}

func (s *Server) mailingSite() mailings.Site {
	return MailingSite(s.Config.OrgName, s.base(), s.Config.MailingAddress)
}

func actorOf(r *http.Request) mailings.Actor {
	id := identityOf(r)
	return mailings.Actor{ID: id.PersonID, Name: id.Name}
}

// mailingError turns a mailings error meant for people into a page status.
func mailingError(err error) error {
	var fe *mailings.FormError
	switch {
	case errors.Is(err, mailings.ErrLinkUnknown), errors.Is(err, mailings.ErrNoMailing):
		return &Error{Status: http.StatusNotFound, Message: err.Error()}
	case errors.Is(err, mailings.ErrLinkUsed), errors.Is(err, mailings.ErrLinkExpired):
		return &Error{Status: http.StatusGone, Message: err.Error()}
	case errors.Is(err, mailings.ErrNotChecked), errors.Is(err, mailings.ErrBadChannel), errors.As(err, &fe):
		return &Error{Status: http.StatusBadRequest, Message: err.Error()}
	case errors.Is(err, mailings.ErrNoAddress), errors.Is(err, mailings.ErrAlready), errors.Is(err, mailings.ErrNotSubscribed),
		errors.Is(err, mailings.ErrNotDraft), errors.Is(err, mailings.ErrUnknownPerson), errors.Is(err, mailings.ErrSent):
		return &Error{Status: http.StatusConflict, Message: err.Error()}
	}
	return err
}

// accountMailing is the mailings section of the account page.
type accountMailing struct {
	mailings.Subscription
	Org string
}

func (s *Server) accountMailing(r *http.Request, personID int64) (*accountMailing, error) {
	sub, err := mailings.Get(r.Context(), s.DB, personID)
	if err != nil {
		return nil, err
	}
	return &accountMailing{Subscription: sub, Org: s.Config.OrgName}, nil
}

// accountMailings handles the account page's mailing form: action
// "subscribe" (with the box ticked) asks for a confirmation link, and
// "stop" ends announcements.
func (s *Server) accountMailings(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	ctx := r.Context()
	a := actorOf(r)
	switch r.PostForm.Get("action") {
	case "subscribe":
		if err := s.limit(ctx, limitCheck{mailPerPerson, fmt.Sprint(a.ID)}); err != nil {
			return err
		}
		tok, addr, err := mailings.OptIn(ctx, s.mailingsEnv(), a, r.PostForm.Get("optin") == "yes", s.Now())
		if err != nil {
			return mailingError(err)
		}
		s.sendInBackground(r, mail.Message{To: addr, Subject: "Confirm that you want announcements from " + s.Config.OrgName, Body: fmt.Sprintf(
			"You asked to receive %s's announcements by e-mail at %s.\n\nTo confirm, open this link and press the button on the page:\n\n%s/mailings/confirm/%s\n\n"+
				"The link works once, for two days. If you did not ask, ignore this message: you will get no announcements.\n",
			s.Config.OrgName, addr, s.base(), tok)}, "a mailing confirmation")
		// The section the browser is sent to says the link went out.
		http.Redirect(w, r, "/account#mailings", http.StatusSeeOther)
	case "stop":
		if err := mailings.OptOut(ctx, s.mailingsEnv(), a, s.Now()); err != nil {
			return mailingError(err)
		}
		http.Redirect(w, r, "/account?done=mail-stopped#mailings", http.StatusSeeOther)
	default:
		return badRequest("The form could not be read. Please use the buttons on your account page.")
	}
	return nil
}

// mailingConfirmPage shows the button that confirms an opt-in; following
// the link changes nothing (mail scanners open every link).
func (s *Server) mailingConfirmPage(w http.ResponseWriter, r *http.Request) error {
	tok := r.PathValue("token")
	if _, err := mailings.ConfirmPending(r.Context(), s.DB, tok, s.Now()); err != nil {
		return mailingError(err)
	}
	s.render(w, r, http.StatusOK, "mailing_confirm", pageData{Title: "Confirm announcements", Data: tokenData{Token: tok}})
	return nil
}

func (s *Server) mailingConfirm(w http.ResponseWriter, r *http.Request) error {
	if _, err := mailings.Confirm(r.Context(), s.mailingsEnv(), r.PathValue("token"), s.Now()); err != nil {
		return mailingError(err)
	}
	s.render(w, r, http.StatusOK, "message", pageData{Title: "Announcements confirmed", Data: messageData{
		Heading: "Announcements confirmed",
		Text:    "You will receive " + s.Config.OrgName + "'s announcements by e-mail. Each one has a link to stop them with one click, and you can stop them on your account page.",
		Link:    "/account#mailings", LinkText: "Your account",
	}})
	return nil
}

type unsubscribeData struct {
	Token   string
	Address string
	Subject string
	Org     string
}

// unsubscribePage shows what the link would do; only the POST does it.
func (s *Server) unsubscribePage(w http.ResponseWriter, r *http.Request) error {
	tok := r.PathValue("token")
	u, err := mailings.PeekUnsubscribe(r.Context(), s.DB, tok)
	if err != nil {
		return mailingError(err)
	}
	s.render(w, r, http.StatusOK, "unsubscribe", pageData{Title: "Unsubscribe", Data: unsubscribeData{Token: tok, Address: u.Address, Subject: u.Subject, Org: s.Config.OrgName}})
	return nil
}

// unsubscribe is both the page's button and RFC 8058's one-click POST,
// which a mail client sends with the body List-Unsubscribe=One-Click and
// no cookie; the token in the path is all it needs.
func (s *Server) unsubscribe(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	u, err := mailings.Unsubscribe(r.Context(), s.mailingsEnv(), r.PathValue("token"), s.Now())
	if err != nil {
		return mailingError(err)
	}
	s.render(w, r, http.StatusOK, "message", pageData{Title: "Unsubscribed", Data: messageData{
		Heading: "You are unsubscribed",
		Text:    u.Address + " will receive no more announcements from " + s.Config.OrgName + ". Mail about your account, such as password resets, still reaches you.",
	}})
	return nil
}

type adminMailingsData struct {
	Mailings  []mailings.Mailing
	Confirmed int
	Form      mailings.Input
	Problems  []string
	OptOut    optOutForm
	Done      string
	Channels  []string
}

type optOutForm struct {
	Email, Channel, Note string
	Problems             []string
}

var mailingDone = map[string]string{
	"opt-out": "The opt-out is recorded, with its channel, in the participant's consent record.",
	"deleted": "The draft is deleted; it was never sent.",
}

func (s *Server) adminMailingsData(r *http.Request) (adminMailingsData, error) {
	ctx := r.Context()
	d := adminMailingsData{Channels: []string{policy.ChannelPhone, policy.ChannelPost}}
	var err error
	if d.Mailings, err = mailings.List(ctx, s.DB, 50); err != nil {
		return d, err
	}
	if d.Confirmed, err = mailings.Confirmed(ctx, s.DB); err != nil {
		return d, err
	}
	return d, nil
}

func (s *Server) adminMailings(w http.ResponseWriter, r *http.Request) error {
	d, err := s.adminMailingsData(r)
	if err != nil {
		return err
	}
	d.Done = mailingDone[r.URL.Query().Get("done")]
	s.render(w, r, http.StatusOK, "admin_mailings", pageData{Title: "Mailings", Data: d})
	return nil
}

// adminMailingCreate stores a draft and shows its preview.
func (s *Server) adminMailingCreate(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	in := mailings.Input{Subject: r.PostForm.Get("subject"), Body: r.PostForm.Get("body")}
	id, err := mailings.CreateDraft(r.Context(), s.mailingsEnv(), actorOf(r), in, s.Now())
	var fe *mailings.FormError
	if errors.As(err, &fe) {
		d, derr := s.adminMailingsData(r)
		if derr != nil {
			return derr
		}
		if !validUTF8(in.Subject) {
			in.Subject = ""
		}
		if !validUTF8(in.Body) {
			in.Body = ""
		}
		d.Form, d.Problems = in, fe.Problems
		s.render(w, r, http.StatusBadRequest, "admin_mailings", pageData{Title: "Mailings", Data: d})
		return nil
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/mailings/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

// adminOptOut records an opt-out received by phone or post.
func (s *Server) adminOptOut(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	f := optOutForm{Email: r.PostForm.Get("email"), Channel: r.PostForm.Get("channel"), Note: r.PostForm.Get("note")}
	_, err := mailings.RecordOptOut(r.Context(), s.mailingsEnv(), actorOf(r), f.Email, f.Channel, f.Note, s.Now())
	var fe *mailings.FormError
	switch {
	case errors.As(err, &fe):
		f.Problems = fe.Problems
	case errors.Is(err, mailings.ErrUnknownPerson), errors.Is(err, mailings.ErrNotSubscribed):
		f.Problems = []string{err.Error()}
	case err != nil:
		return err
	default:
		http.Redirect(w, r, "/admin/mailings?done=opt-out", http.StatusSeeOther)
		return nil
	}
	d, derr := s.adminMailingsData(r)
	if derr != nil {
		return derr
	}
	if !validUTF8(f.Email) || !validUTF8(f.Note) {
		f.Email, f.Note = "", ""
	}
	d.OptOut = f
	s.render(w, r, http.StatusBadRequest, "admin_mailings", pageData{Title: "Mailings", Data: d})
	return nil
}

type adminMailingData struct {
	Mailing   mailings.Mailing
	Preview   mail.Message
	Progress  mailings.Progress
	Failures  []mailings.Failure
	Confirmed int
	Done      string
	// Form is the draft's correction form: its text, or what was typed
	// when a correction was refused for Problems.
	Form     mailings.Input
	Problems []string
}

var mailingPageDone = map[string]string{
	"test":  "The test message is sent to your own address.",
	"sent":  "The mailing is being sent. This page shows its progress.",
	"saved": "The draft is corrected. Check the preview again before sending it.",
}

func (s *Server) adminMailing(w http.ResponseWriter, r *http.Request) error {
	return s.adminMailingPage(w, r, http.StatusOK, nil, nil)
}

// adminMailingPage shows a mailing; typed and problems are a refused
// correction of its draft.
func (s *Server) adminMailingPage(w http.ResponseWriter, r *http.Request, status int, typed *mailings.Input, problems []string) error {
	ctx := r.Context()
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return notFound(mailings.ErrNoMailing.Error())
	}
	m, err := mailings.GetMailing(ctx, s.DB, id)
	if err != nil {
		return mailingError(err)
	}
	d := adminMailingData{Mailing: m, Preview: mailings.Preview(s.mailingSite(), m), Done: mailingPageDone[r.URL.Query().Get("done")],
		Form: mailings.Input{Subject: m.Subject, Body: m.Body}, Problems: problems}
	if typed != nil {
		d.Form, d.Done = *typed, ""
	}
	if d.Progress, err = mailings.ProgressOf(ctx, s.DB, id); err != nil {
		return err
	}
	if d.Confirmed, err = mailings.Confirmed(ctx, s.DB); err != nil {
		return err
	}
	if d.Progress.Failed > 0 {
		// The report names participants: the view is audited.
		if d.Failures, err = mailings.FailureReport(ctx, s.mailingsEnv(), actorOf(r), id, 1000); err != nil {
			return mailingError(err)
		}
	}
	s.render(w, r, status, "admin_mailing", pageData{Title: "Mailing: " + m.Subject, Data: d})
	return nil
}

// adminMailingUpdate corrects a draft; a refused correction comes back
// with what was typed and every problem.
func (s *Server) adminMailingUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return notFound(mailings.ErrNoMailing.Error())
	}
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	in := mailings.Input{Subject: r.PostForm.Get("subject"), Body: r.PostForm.Get("body")}
	err = mailings.UpdateDraft(r.Context(), s.mailingsEnv(), actorOf(r), id, in, s.Now())
	var fe *mailings.FormError
	if errors.As(err, &fe) {
		if !validUTF8(in.Subject) {
			in.Subject = ""
		}
		if !validUTF8(in.Body) {
			in.Body = ""
		}
		return s.adminMailingPage(w, r, http.StatusBadRequest, &in, fe.Problems)
	}
	if err != nil {
		return mailingError(err)
	}
	http.Redirect(w, r, "/admin/mailings/"+strconv.FormatInt(id, 10)+"?done=saved", http.StatusSeeOther)
	return nil
}

// adminMailingDelete deletes a draft never sent.
func (s *Server) adminMailingDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return notFound(mailings.ErrNoMailing.Error())
	}
	if err := mailings.DeleteDraft(r.Context(), s.mailingsEnv(), actorOf(r), id, s.Now()); err != nil {
		return mailingError(err)
	}
	http.Redirect(w, r, "/admin/mailings?done=deleted", http.StatusSeeOther)
	return nil
}

func (s *Server) adminMailingTest(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return notFound(mailings.ErrNoMailing.Error())
	}
	if _, err := mailings.SendTest(r.Context(), s.mailingsEnv(), s.Mail, s.mailingSite(), actorOf(r), id); err != nil {
		return mailingError(err)
	}
	http.Redirect(w, r, "/admin/mailings/"+strconv.FormatInt(id, 10)+"?done=test", http.StatusSeeOther)
	return nil
}

func (s *Server) adminMailingSend(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return notFound(mailings.ErrNoMailing.Error())
	}
	if _, err := mailings.Send(r.Context(), s.mailingsEnv(), actorOf(r), id, s.Now()); err != nil {
		return mailingError(err)
	}
	http.Redirect(w, r, "/admin/mailings/"+strconv.FormatInt(id, 10)+"?done=sent", http.StatusSeeOther)
	return nil
}
