package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"plenary/internal/auth"
	"plenary/internal/mail"
	"plenary/internal/people"
	"plenary/internal/policy"
	"plenary/internal/store"
)

// collectedField is one line of "what this form collects and why" (C4).
type collectedField struct {
	What, Why, Visible, Kept string
}

type signupData struct {
	Error     string
	Field     string
	Name      string
	Email     string
	Collected []collectedField
	Transfer  string
	Country   string
	Org       string
	Refused   bool // the age attestation was missing: show nothing typed
}

// collected describes, from the inventory, what a form stores.
func (s *Server) collected(keys ...string) []collectedField {
	var out []collectedField
	for _, k := range keys {
		it, ok := s.Inventory.Lookup(k)
		if !ok || !it.Personal {
			continue
		}
		out = append(out, collectedField{
			What: it.Label, Why: it.Purpose,
			Visible: policy.AudienceText(it.Visible),
			Kept:    policy.RetentionText(it.Retention, s.Config.RetentionDays),
		})
	}
	return out
}

func (s *Server) signupData() signupData {
	return signupData{
		Collected: s.collected("people.name", "person_emails.address", "people.password_hash", "people.age_attested_at", "consent_ledger.purpose", "consent_ledger.transfer_statement"),
		Transfer:  s.Policy.TransferStatement(),
		Country:   s.Config.OrgCountry,
		Org:       s.Config.OrgName,
	}
}

func (s *Server) signupForm(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, "signup", pageData{Title: "Create an account", Data: s.signupData()})
	return nil
}

// signup creates an account. The order of checks matters for CH1: without
// the age attestation nothing typed is kept anywhere, not even as a hash in
// the rate-limit table, and the refusal page shows none of it.
func (s *Server) signup(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	d := s.signupData()
	if r.PostForm.Get("age_ok") == "" {
		d.Refused = true
		d.Error = "You must be 13 or older to create an account. Nothing you typed has been kept."
		s.render(w, r, http.StatusBadRequest, "signup", pageData{Title: "Create an account", Data: d})
		return nil
	}
	d.Name, d.Email = r.PostForm.Get("name"), r.PostForm.Get("email")
	fail := func(field, msg string) error {
		if !validUTF8(d.Name) {
			d.Name = ""
		}
		if !validUTF8(d.Email) {
			d.Email = ""
		}
		d.Field, d.Error = field, msg
		s.render(w, r, http.StatusBadRequest, "signup", pageData{Title: "Create an account", Data: d})
		return nil
	}
	if r.PostForm.Get("consent") == "" {
		return fail("consent", "To create an account, please agree to the privacy statement. Nothing was saved.")
	}
	name, err := people.CleanName(d.Name)
	if err != nil {
		return fail("name", err.Error()+" Nothing was saved.")
	}
	addr, err := people.CleanEmail(d.Email)
	if err != nil {
		return fail("email", err.Error()+" Nothing was saved.")
	}
	password := r.PostForm.Get("password")
	if err := people.CheckPassword(password); err != nil {
		return fail("password", err.Error()+" Nothing was saved.")
	}
	ctx := r.Context()
	if err := s.limit(ctx,
		limitCheck{signupPerIP, s.clientKey(r)},
		limitCheck{signupPerAddress, strings.ToLower(addr)}); err != nil {
		return err
	}
	cur, err := s.Policy.Current(ctx)
	if err != nil {
		return err
	}
	hash, err := s.Hasher.Hash(password)
	if err != nil {
		return err
	}
	now := s.Now()
	var token string
	existing := false
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		p, e, err := people.Create(ctx, tx, people.New{
			Name: name, Email: addr, Origin: people.OriginSelf, PasswordHash: hash,
			AgeAttested: true, Roles: []auth.Role{auth.Participant},
		}, now)
		if errors.Is(err, people.ErrEmailTaken) {
			existing = true
			return nil
		}
		if err != nil {
			return err
		}
		if err := policy.Record(ctx, tx, policy.Consent{
			PersonID: p.ID, Purpose: policy.PurposeAccount, Granted: true, VersionID: cur.ID,
			Channel: policy.ChannelWeb, Transfer: d.Transfer, At: now,
		}); err != nil {
			return err
		}
		token, err = auth.IssueToken(ctx, tx, auth.PurposeVerify, p.ID, e.ID, auth.VerifyTTL, now)
		return err
	})
	if err != nil {
		return err
	}
	// The same answer whether or not the address had an account, so the
	// form does not tell strangers who has one; the mail says which.
	var msg mail.Message
	if existing {
		msg = mail.Message{To: addr, Subject: "You already have an account at " + s.Config.OrgName, Body: fmt.Sprintf(
			"Someone, probably you, tried to create an account at %s with this address, which already has one.\n\n"+
				"Sign in at %s/login\nForgot the password? Set a new one at %s/reset\n\n"+
				"If it was not you, you can ignore this message; nothing was changed.\n", s.Config.OrgName, s.base(), s.base())}
	} else {
		msg = s.verifyMessage(addr, token)
	}
	if err := s.Mail.Send(ctx, msg); err != nil {
		s.Log.Error("sending the sign-up message failed", "err", err)
	}
	s.render(w, r, http.StatusOK, "message", pageData{Title: "Check your mail", Data: messageData{
		Heading: "Check your mail",
		Text:    "We have sent a message to " + addr + ". Follow the link in it to confirm the address; then you can sign in. The link works for two days.",
	}})
	return nil
}

func (s *Server) base() string { return strings.TrimSuffix(s.Config.BaseURL.String(), "/") }

func (s *Server) verifyMessage(addr, token string) mail.Message {
	return mail.Message{To: addr, Subject: "Confirm your e-mail address for " + s.Config.OrgName, Body: fmt.Sprintf(
		"Please confirm that %s is your address by opening this link and pressing the button on the page:\n\n%s/verify/%s\n\n"+
			"The link works once, for two days. If you did not ask for this, ignore this message; nothing will be kept active for the address.\n",
		addr, s.base(), token)}
}

type messageData struct {
	Heading  string
	Text     string
	Link     string
	LinkText string
}

type tokenData struct {
	Token  string
	Action string
	Error  string
}

// tokenError turns a mailed link's problem into a page that says what
// happened; nothing is changed.
func tokenError(err error) error {
	switch {
	case errors.Is(err, auth.ErrTokenUsed), errors.Is(err, auth.ErrTokenExpired):
		return &Error{Status: http.StatusGone, Message: err.Error()}
	case errors.Is(err, auth.ErrTokenUnknown):
		return &Error{Status: http.StatusNotFound, Message: err.Error()}
	}
	return err
}

// verifyPage shows the button that confirms an address. Following the
// link changes nothing: mail scanners open every link.
func (s *Server) verifyPage(w http.ResponseWriter, r *http.Request) error {
	return s.tokenPage(w, r, auth.PurposeVerify, "verify", "Confirm your address")
}

// tokenPage shows the form behind a mailed link when the link is still
// good, and a page that says why not otherwise; it uses nothing up.
func (s *Server) tokenPage(w http.ResponseWriter, r *http.Request, purpose, page, title string) error {
	tok := r.PathValue("token")
	if _, err := auth.PeekToken(r.Context(), s.DB, purpose, tok, s.Now()); err != nil {
		return tokenError(err)
	}
	s.render(w, r, http.StatusOK, page, pageData{Title: title, Data: tokenData{Token: tok}})
	return nil
}

func (s *Server) verify(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	now := s.Now()
	var addr string
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		t, err := auth.ConsumeToken(ctx, tx, auth.PurposeVerify, r.PathValue("token"), now)
		if err != nil {
			return err
		}
		e, err := people.GetEmail(ctx, tx, t.PersonID, t.EmailID)
		if err != nil {
			return err
		}
		addr = e.Address
		return people.VerifyEmail(ctx, tx, t.PersonID, t.EmailID, now)
	})
	if err != nil {
		if errors.Is(err, people.ErrNotFound) {
			return &Error{Status: http.StatusGone, Message: "The address this link confirms has been removed, so there is nothing to confirm."}
		}
		return tokenError(err)
	}
	d := messageData{Heading: "Address confirmed", Text: addr + " is confirmed."}
	if identityOf(r) == nil {
		d.Link, d.LinkText = "/login", "Sign in"
	} else {
		d.Link, d.LinkText = "/account", "Back to your account"
	}
	s.render(w, r, http.StatusOK, "message", pageData{Title: "Address confirmed", Data: d})
	return nil
}

// formError explains a form that could not be read.
func formError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return err
	}
	return badRequest("The form could not be read. Please send it again from the page.")
}

func validUTF8(s string) bool {
	_, err := people.CleanText("", "", s, 1<<20, false, true)
	return err == nil
}
