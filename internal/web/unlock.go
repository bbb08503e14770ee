package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"plenary/internal/auth"
	"plenary/internal/mail"
	"plenary/internal/people"
	"plenary/internal/store"
)

// An account may collect only so many wrong passwords a quarter hour
// (loginFailures), counted together over all its addresses (failureKey).
// Past that, a password alone does not sign in to it, but nobody is locked
// out: a right password gets a one-time sign-in link mailed to the
// account's confirmed address, which an attacker guessing passwords cannot
// read. The answer is the same whether the
// password was right or wrong, so it confirms no guess.

// accountLocked returns the answer for an account (its failureKey) that is
// past its failed sign-ins, or nil when a password still opens it.
func (s *Server) accountLocked(ctx context.Context, account string) (*Error, error) {
	over, wait, err := loginFailures.Over(ctx, s.DB, account, s.Now())
	if err != nil || !over {
		return nil, err
	}
	return lockedError(wait), nil
}

// signInFailed counts a wrong password against the account (its
// failureKey) and returns the locked answer when that used up its
// allowance.
func (s *Server) signInFailed(ctx context.Context, account string) (*Error, error) {
	ok, wait, err := loginFailures.Hit(ctx, s.DB, account, s.Now())
	if err != nil || ok {
		return nil, err
	}
	return lockedError(wait), nil
}

func lockedError(wait time.Duration) *Error {
	return &Error{Status: http.StatusTooManyRequests, RetryAfter: wait, Message: "This account has had too many failed sign-ins, so for the next " +
		minutes(wait) + " a password alone does not open it. If the password you gave is right, we have sent a one-time sign-in link to the account's address: " +
		"follow it to sign in now. Otherwise, try again later or set a new password."}
}

// mailSignInLink mails a one-time sign-in link to e, at most a few mails a
// quarter hour per person; past that nothing is sent, and the answer
// stays the same.
func (s *Server) mailSignInLink(r *http.Request, personID int64, e people.Email) error {
	ctx := r.Context()
	now := s.Now()
	var msg mail.Message
	var queued int64
	// The link and its mail (the outbox) are stored together.
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		ok, _, err := mailPerPerson.Hit(ctx, tx, fmt.Sprint(personID), now)
		if err != nil || !ok {
			return err
		}
		tok, err := auth.IssueToken(ctx, tx, auth.PurposeSignIn, personID, e.ID, auth.SignInTTL, now)
		if err != nil {
			return err
		}
		msg = mail.Message{To: e.Address, Subject: "Sign in to " + s.Config.OrgName, Body: fmt.Sprintf(
			"Someone signed in to your account at %s with the right password, while the account was closed to passwords "+
				"because of many failed attempts, perhaps someone else's.\n\n"+
				"If that was you, open this link to sign in:\n\n%s/signin/%s\n\n"+
				"The link works once, for 15 minutes. If it was not you, someone knows your password: set a new one at %s/reset.\n",
			s.Config.OrgName, s.base(), tok, s.base())}
		queued, err = s.queueMail(ctx, tx, msg, "a sign-in link")
		return err
	})
	if err != nil || msg.To == "" {
		return err
	}
	if queued == 0 {
		s.sendFromMemory(ctx, msg, "a sign-in link")
	}
	s.deliverSoon(ctx, queued)
	return nil
}

// signInLinkPage shows the button behind a mailed sign-in link; opening
// the link alone signs nobody in (mail scanners open every link).
func (s *Server) signInLinkPage(w http.ResponseWriter, r *http.Request) error {
	return s.tokenPage(w, r, auth.PurposeSignIn, "signin_token", "Sign in")
}

// signInByLink uses up a mailed sign-in link and starts a session.
func (s *Server) signInByLink(w http.ResponseWriter, r *http.Request) error {
	personID, err := s.peopleService().SignInByLink(r.Context(), r.PathValue("token"), s.Now())
	if errors.Is(err, people.ErrLinkAddressGone) {
		return &Error{Status: http.StatusGone, Message: err.Error()}
	}
	if err != nil {
		return tokenError(err)
	}
	if _, err := s.signIn(w, r, personID, false); err != nil {
		return err
	}
	http.Redirect(w, r, "/account", http.StatusSeeOther)
	return nil
}
