package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"plenary/internal/auth"
	"plenary/internal/mail"
	"plenary/internal/people"
	"plenary/internal/store"
)

type loginData struct {
	Error    string
	Email    string
	Next     string
	Remember bool
	Signal   string // a privacy signal the browser sends (K4)
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) error {
	d := loginData{Next: localNext(r.URL.Query().Get("next"), ""), Signal: privacySignal(r)}
	s.render(w, r, http.StatusOK, "login", pageData{Title: "Sign in", Data: d})
	return nil
}

const badLogin = "The e-mail address or the password is not right. Passwords are case-sensitive."

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	ctx := r.Context()
	d := loginData{
		Email:    r.PostForm.Get("email"),
		Next:     localNext(r.PostForm.Get("next"), ""),
		Remember: r.PostForm.Get("remember") != "",
		Signal:   privacySignal(r),
	}
	addr := strings.TrimSpace(d.Email)
	if !validUTF8(d.Email) || len(d.Email) > people.MaxEmail {
		d.Email = ""
	}
	fail := func(status int, msg string) error {
		d.Error = msg
		s.render(w, r, status, "login", pageData{Title: "Sign in", Data: d})
		return nil
	}
	password := r.PostForm.Get("password")
	if addr == "" || password == "" {
		return fail(http.StatusBadRequest, "Please give your e-mail address and your password.")
	}
	if err := s.limit(ctx, limitCheck{loginPerIP, s.clientKey(r)}); err != nil {
		return err
	}
	account := strings.ToLower(addr)
	locked, err := s.accountLocked(ctx, account)
	if err != nil {
		return err
	}
	p, e, err := people.FindByEmail(ctx, s.DB, addr)
	if err != nil && !errors.Is(err, people.ErrNotFound) {
		return err
	}
	// An unknown address costs a hash too, so timing tells nothing.
	ok, err := s.Hasher.Verify(password, p.PasswordHash())
	if err != nil {
		return err
	}
	if !ok || !e.Active {
		if locked, err = s.signInFailed(ctx, account); err != nil {
			return err
		}
		if locked != nil {
			return locked
		}
		return fail(http.StatusUnauthorized, badLogin)
	}
	if locked != nil {
		// The same answer as for a wrong password; only the owner's
		// mailbox learns that this one was right.
		if e.Verified() {
			if err := s.mailSignInLink(r, p.ID, e); err != nil {
				return err
			}
		}
		return locked
	}
	if !e.Verified() {
		// The password was right, so saying this reveals nothing new.
		if err := s.sendVerify(r, p.ID, e); err != nil {
			return err
		}
		return fail(http.StatusForbidden, "Please confirm your address first. We have sent a new confirmation link to "+e.Address+".")
	}
	refusedBy, err := s.signIn(w, r, p.ID, d.Remember)
	if err != nil {
		return err
	}
	next := localNext(d.Next, "/account")
	if refusedBy != "" {
		s.render(w, r, http.StatusOK, "message", pageData{Title: "Signed in", Data: messageData{
			Heading: "You are signed in",
			Text: "You asked to be remembered, but your browser sends " + refusedBy + ", so this site did not set the persistent cookie. " +
				"You stay signed in until you close the browser or sign out. To be remembered, turn the signal off for this site and sign in again.",
			Link: next, LinkText: "Continue",
		}})
		return nil
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// sendVerify mails a new confirmation link for e, at most a few times per
// quarter hour per person.
func (s *Server) sendVerify(r *http.Request, personID int64, e people.Email) error {
	ctx := r.Context()
	if err := s.limit(ctx, limitCheck{mailPerPerson, fmt.Sprint(personID)}); err != nil {
		return err
	}
	var tok string
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		var err error
		tok, err = auth.IssueToken(ctx, tx, auth.PurposeVerify, personID, e.ID, auth.VerifyTTL, s.Now())
		return err
	})
	if err != nil {
		return err
	}
	if err := s.Mail.Send(ctx, s.verifyMessage(e.Address, tok)); err != nil {
		s.Log.Error("sending a confirmation link failed", "err", err)
		return &Error{Status: http.StatusServiceUnavailable, Message: "The confirmation message could not be sent just now. Please try again later."}
	}
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	if err := s.signOut(w, r); err != nil {
		return err
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

func (s *Server) resetForm(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, "reset", pageData{Title: "Set a new password", Data: loginData{}})
	return nil
}

// resetRequest mails a reset link when the address has an account. The
// page says the same either way.
func (s *Server) resetRequest(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	ctx := r.Context()
	addr, err := people.CleanEmail(r.PostForm.Get("email"))
	if err != nil {
		s.render(w, r, http.StatusBadRequest, "reset", pageData{Title: "Set a new password", Data: loginData{Error: err.Error()}})
		return nil
	}
	if err := s.limit(ctx,
		limitCheck{resetPerIP, s.clientKey(r)},
		limitCheck{resetPerAddress, strings.ToLower(addr)}); err != nil {
		return err
	}
	p, e, err := people.FindByEmail(ctx, s.DB, addr)
	switch {
	case errors.Is(err, people.ErrNotFound):
	case err != nil:
		return err
	case e.Active:
		var tok string
		err := s.DB.Tx(ctx, func(tx *store.Tx) error {
			var err error
			tok, err = auth.IssueToken(ctx, tx, auth.PurposeReset, p.ID, e.ID, auth.ResetTTL, s.Now())
			return err
		})
		if err != nil {
			return err
		}
		msg := mail.Message{To: e.Address, Subject: "Set a new password for " + s.Config.OrgName, Body: fmt.Sprintf(
			"Someone, probably you, asked to set a new password for the account with this address at %s.\n\n"+
				"Open this link to choose one:\n\n%s/reset/%s\n\nThe link works once, for one hour. If you did not ask, ignore this message; your password stays as it is.\n",
			s.Config.OrgName, s.base(), tok)}
		s.sendInBackground(r, msg, "a reset link")
	}
	s.render(w, r, http.StatusOK, "message", pageData{Title: "Check your mail", Data: messageData{
		Heading: "Check your mail",
		Text:    "If " + addr + " belongs to an account, we have sent it a link to set a new password. The link works for one hour.",
	}})
	return nil
}

func (s *Server) resetTokenForm(w http.ResponseWriter, r *http.Request) error {
	return s.tokenPage(w, r, auth.PurposeReset, "reset_token", "Choose a new password")
}

// resetPassword sets the new password, confirms the address the link was
// sent to (following it proves the address) and signs the person out
// everywhere else.
func (s *Server) resetPassword(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	ctx := r.Context()
	tok := r.PathValue("token")
	password := r.PostForm.Get("password")
	// Hashing is the expensive step, so a bogus or used link is refused
	// before it, and one client gets a bounded number of tries.
	if err := s.limit(ctx, limitCheck{setPasswordPerIP, s.clientKey(r)}); err != nil {
		return err
	}
	if _, err := auth.PeekToken(ctx, s.DB, auth.PurposeReset, tok, s.Now()); err != nil {
		return tokenError(err)
	}
	if err := people.CheckPassword(password); err != nil {
		s.render(w, r, http.StatusBadRequest, "reset_token", pageData{Title: "Choose a new password", Data: tokenData{Token: tok, Error: err.Error() + " Your password was not changed."}})
		return nil
	}
	hash, err := s.Hasher.Hash(password)
	if err != nil {
		return err
	}
	now := s.Now()
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		t, err := auth.ConsumeToken(ctx, tx, auth.PurposeReset, tok, now)
		if err != nil {
			return err
		}
		if err := people.SetPassword(ctx, tx, t.PersonID, t.PersonID, hash, now); err != nil {
			return err
		}
		if err := auth.UseAllTokens(ctx, tx, auth.PurposeReset, t.PersonID, now); err != nil {
			return err
		}
		if t.EmailID != 0 {
			if err := people.VerifyEmail(ctx, tx, t.PersonID, t.EmailID, now); err != nil {
				return err
			}
		}
		return auth.EndAllSessions(ctx, tx, t.PersonID)
	})
	if err != nil {
		return tokenError(err)
	}
	s.render(w, r, http.StatusOK, "message", pageData{Title: "Password changed", Data: messageData{
		Heading: "Your password is changed",
		Text:    "Every other place where you were signed in has been signed out.",
		Link:    "/login", LinkText: "Sign in",
	}})
	return nil
}
