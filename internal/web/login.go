package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

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
	// Only failures count against the client: a venue's network, where
	// hundreds sign in through one address, must not lock out the room.
	client := s.clientKey(r)
	if over, wait, err := loginPerIP.Over(ctx, s.DB, client, s.Now()); err != nil {
		return err
	} else if over {
		return tooManyAttempts(wait)
	}
	p, e, err := people.FindByEmail(ctx, s.DB, addr)
	if err != nil && !errors.Is(err, people.ErrNotFound) {
		return err
	}
	account := failureKey(addr, p)
	locked, err := s.accountLocked(ctx, account)
	if err != nil {
		return err
	}
	// An unknown address costs a hash too, so timing tells nothing.
	ok, err := s.Hasher.Verify(password, p.PasswordHash())
	if err != nil {
		return err
	}
	if !ok || !e.Active {
		if _, _, err := loginPerIP.Hit(ctx, s.DB, client, s.Now()); err != nil {
			return err
		}
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
		to, err := s.sendVerify(r, p.ID, e)
		if err != nil {
			return err
		}
		return fail(http.StatusForbidden, "Please confirm your address first. We have sent a new confirmation link to "+to+".")
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

// failureKey is what wrong passwords are counted against: the account
// when the address belongs to one, so that its every address shares one
// allowance, else the address as typed (in lower case), so that an unknown
// address is limited as a known one is. Account keys cannot be addresses
// (they have no @).
func failureKey(addr string, p people.Person) string {
	if p.ID != 0 {
		return fmt.Sprintf("person:%d", p.ID)
	}
	return strings.ToLower(addr)
}

// sendVerify mails a new confirmation link for e, at most a few times per
// quarter hour per person: to e when the person typed it, else to their
// confirmed primary address. It returns where the link went.
func (s *Server) sendVerify(r *http.Request, personID int64, e people.Email) (string, error) {
	ctx := r.Context()
	if err := s.limit(ctx, limitCheck{mailPerPerson, fmt.Sprint(personID)}); err != nil {
		return "", err
	}
	who := people.Actor{ID: personID}
	res, err := s.peopleService().ActOnAddress(ctx, people.Request{Person: personID, Actor: who}, e.ID, people.ActionConfirm, s.Now())
	if err != nil {
		return "", peopleError(err)
	}
	return res.Confirm.To, s.mailConfirmation(r, res.Confirm)
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
	started := time.Now()
	addr, err := people.CleanEmail(r.PostForm.Get("email"))
	if err != nil {
		s.render(w, r, http.StatusBadRequest, "reset", pageData{Title: "Set a new password", Data: loginData{Error: err.Error(), Email: keptText(r.PostForm.Get("email"))}})
		return nil
	}
	if err := s.limit(ctx,
		limitCheck{resetPerIP, s.clientKey(r)},
		limitCheck{resetPerAddress, strings.ToLower(addr)}); err != nil {
		return err
	}
	// The link's mail is stored in the link's own transaction (the
	// outbox) and delivered after the answer, which is the same, in the
	// same few steps, whether or not the address has an account.
	var queued int64
	link, err := s.peopleService().RequestResetThen(ctx, addr, s.Now(), func(tx *store.Tx, link people.ResetLink) error {
		var err error
		queued, err = s.queueMail(ctx, tx, s.resetMessage(link), "a reset link")
		return err
	})
	if err != nil {
		return err
	}
	if link.To != "" && queued == 0 {
		s.sendFromMemory(ctx, s.resetMessage(link), "a reset link")
	}
	s.deliverSoon(ctx, queued)
	// Storing the link is a write the other case does not make; the
	// answer waits out a floor so that its time does not tell.
	select {
	case <-time.After(time.Until(started.Add(resetAnswerFloor))):
	case <-ctx.Done():
	}
	s.render(w, r, http.StatusOK, "message", pageData{Title: "Check your mail", Data: messageData{
		Heading: "Check your mail",
		Text:    "If " + addr + " belongs to an account, we have sent it a link to set a new password. The link works for one hour.",
	}})
	return nil
}

// resetAnswerFloor is the least time the reset form takes to answer, for
// an address with an account or without; see
// BenchmarkResetAnswerKnownVsUnknown.
const resetAnswerFloor = 100 * time.Millisecond

// resetMessage is the mail that carries a reset link.
func (s *Server) resetMessage(link people.ResetLink) mail.Message {
	return mail.Message{To: link.To, Subject: "Set a new password for " + s.Config.OrgName, Body: fmt.Sprintf(
		"Someone, probably you, asked to set a new password for the account with this address at %s.\n\n"+
			"Open this link to choose one:\n\n%s/reset/%s\n\nThe link works once, for one hour. If you did not ask, ignore this message; your password stays as it is.\n",
		s.Config.OrgName, s.base(), link.Token)}
}

func (s *Server) resetTokenForm(w http.ResponseWriter, r *http.Request) error {
	return s.tokenPage(w, r, auth.PurposeReset, "reset_token", "Choose a new password")
}

// resetPassword sets the new password and signs the person out
// everywhere; the change is audited and the primary address is told.
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
	done, err := s.peopleService().ResetPassword(ctx, tok, hash, now)
	if errors.Is(err, people.ErrResetAddressGone) {
		return &Error{Status: http.StatusGone, Message: err.Error()}
	}
	if err != nil {
		return tokenError(err)
	}
	if done.Primary != "" {
		s.sendInBackground(r, s.passwordChangedMessage(done, now), "a notice of a password change")
	}
	s.render(w, r, http.StatusOK, "message", pageData{Title: "Password changed", Data: messageData{
		Heading: "Your password is changed",
		Text:    "Every other place where you were signed in has been signed out.",
		Link:    "/login", LinkText: "Sign in",
	}})
	return nil
}

// passwordChangedMessage tells the primary address that a reset link
// changed the password, so that a reset the person did not make does not
// go unnoticed.
func (s *Server) passwordChangedMessage(done people.PasswordReset, now time.Time) mail.Message {
	return mail.Message{To: done.Primary, Subject: "Your password at " + s.Config.OrgName + " was changed", Body: fmt.Sprintf(
		"The password of your account at %s was changed on %s with a reset link mailed to %s, and every place where the account was signed in was signed out.\n\n"+
			"If you did this, there is nothing more to do.\nIf you did not, set a new password at %s/reset at once and tell us: someone who can read that mailbox changed it.\n",
		s.Config.OrgName, now.UTC().Format("2 January 2006 at 15:04 UTC"), done.LinkTo, s.base())}
}
