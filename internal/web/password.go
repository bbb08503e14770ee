package web

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"plenary/internal/auth"
	"plenary/internal/inventory"
	"plenary/internal/mail"
	"plenary/internal/people"
)

// passwordChangePerPerson bounds the guesses at the current password a
// stolen session could make through the password form.
var passwordChangePerPerson = auth.Limiter{Action: "password-change", Max: 5, Window: 15 * time.Minute}

// accountPassword changes the signed-in person's password when they give
// the one they have. Every session of theirs ends, this browser gets a new
// one (and keeps being remembered if it was), and the primary address is
// told, so that a change the person did not make does not go unnoticed.
func (s *Server) accountPassword(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	ctx := r.Context()
	id := identityOf(r)
	if err := s.limit(ctx, limitCheck{setPasswordPerIP, s.clientKey(r)}, limitCheck{passwordChangePerPerson, strconv.FormatInt(id.PersonID, 10)}); err != nil {
		return err
	}
	refuse := func(msg string) error {
		return s.accountPage(w, r, http.StatusBadRequest, accountData{PasswordError: msg + " Your password was not changed."})
	}
	p, err := people.Get(ctx, s.DB, id.PersonID)
	if err != nil {
		return peopleError(err)
	}
	current, next := r.PostForm.Get("current_password"), r.PostForm.Get("new_password")
	if !p.HasPassword {
		return refuse("Your account has no password yet: set one with a reset link.")
	}
	ok, err := s.Hasher.Verify(current, p.PasswordHash())
	if err != nil {
		return err
	}
	if !ok {
		return refuse("The current password is not right.")
	}
	if err := people.CheckPassword(next); err != nil {
		return refuse(err.Error())
	}
	hash, err := s.Hasher.Hash(next)
	if err != nil {
		return err
	}
	now := s.Now()
	if err := s.peopleService().ChangePassword(ctx, id.PersonID, hash, now); err != nil {
		return peopleError(err)
	}
	_, notRemembered := r.Cookie(inventory.RememberCookie.Name())
	if _, err := s.signIn(w, r, id.PersonID, notRemembered == nil); err != nil {
		return err
	}
	if to := s.ownAddress(r); to != "" {
		s.sendInBackground(r, s.passwordChangeNotice(to, now), "a notice of a password change")
	}
	http.Redirect(w, r, "/account?done=password#password", http.StatusSeeOther)
	return nil
}

func (s *Server) passwordChangeNotice(to string, now time.Time) mail.Message {
	return mail.Message{To: to, Subject: "Your password at " + s.Config.OrgName + " was changed", Body: fmt.Sprintf(
		"The password of your account at %s was changed on %s from your account page, by someone signed in who gave the password it had. Every place where the account was signed in was signed out.\n\n"+
			"If you did this, there is nothing more to do.\nIf you did not, set a new password at %s/reset at once and tell us: someone knew your password.\n",
		s.Config.OrgName, now.UTC().Format("2 January 2006 at 15:04 UTC"), s.base())}
}
