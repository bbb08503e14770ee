package web

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"plenary/internal/auth"
	"plenary/internal/inventory"
	"plenary/internal/mail"
	"plenary/internal/people"
	"plenary/internal/policy"
	"plenary/internal/store"
	"plenary/internal/validate"
)

// collectedField is one line of "what this form collects and why" (C4).
type collectedField struct {
	What, Why, Visible, Kept string
}

type signupData struct {
	Errors    *validate.Errors
	Form      people.SignUpForm // what was typed and ticked, never the password
	Collected []collectedField
	Summary   []string // the short list of what is collected, at the form
	Audience  string   // who may see any of it, from the inventory
	Transfer  string
	Country   string
	Org       string
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

// disclosureGroup is what a form keeps for the same staff and as long:
// one sentence says who reads it and how long it stays, after the items,
// which are named together where they share their purpose too.
type disclosureGroup struct {
	Purposes      []disclosurePurpose
	Visible, Kept string
}

type disclosurePurpose struct {
	What []string
	Why  string
}

// groupCollected groups fields by audience and retention, and within a
// group by purpose, in the order each first appears.
func groupCollected(fields []collectedField) []disclosureGroup {
	var out []disclosureGroup
	group := map[[2]string]int{}
	purpose := map[[3]string]int{}
	for _, f := range fields {
		gk := [2]string{f.Visible, f.Kept}
		g, ok := group[gk]
		if !ok {
			g = len(out)
			group[gk] = g
			out = append(out, disclosureGroup{Visible: f.Visible, Kept: f.Kept})
		}
		pk := [3]string{f.Visible, f.Kept, f.Why}
		p, ok := purpose[pk]
		if !ok {
			p = len(out[g].Purposes)
			purpose[pk] = p
			out[g].Purposes = append(out[g].Purposes, disclosurePurpose{Why: f.Why})
		}
		out[g].Purposes[p].What = append(out[g].Purposes[p].What, f.What)
	}
	return out
}

// signupItems are the inventory keys of what the sign-up form stores.
var signupItems = []string{"people.name", "person_emails.address", "people.password_hash", "people.age_attested_at", "consent_ledger.purpose", "consent_ledger.transfer_statement"}

func (s *Server) signupData() signupData {
	var seen []inventory.Audience
	for _, k := range signupItems {
		if it, ok := s.Inventory.Lookup(k); ok && it.Personal {
			for _, a := range it.Visible {
				if !slices.Contains(seen, a) {
					seen = append(seen, a)
				}
			}
		}
	}
	d := signupData{
		Audience:  policy.AudienceText(seen),
		Collected: s.collected(signupItems...),
		Transfer:  s.Policy.TransferStatement(),
		Country:   s.Config.OrgCountry,
		Org:       s.Config.OrgName,
	}
	// The summary names each item briefly: its label up to the first
	// comma or parenthesis; the list below the summary gives all of it.
	for _, c := range d.Collected {
		short := c.What
		if i := strings.IndexAny(short, ",("); i > 0 {
			short = strings.TrimSpace(short[:i])
		}
		d.Summary = append(d.Summary, short)
	}
	return d
}

func (s *Server) signupForm(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, "signup", pageData{Title: "Create an account", Data: s.signupData()})
	return nil
}

// signup creates an account. Every problem of the form is answered at once.
// Without the age attestation (CH1) nothing typed is kept anywhere, not
// even as a hash in the rate-limit table, and the page shows none of it.
func (s *Server) signup(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	f := people.SignUpForm{
		Name: r.PostForm.Get("name"), Email: r.PostForm.Get("email"), Password: r.PostForm.Get("password"),
		AgeOK: r.PostForm.Get("age_ok") != "", Consent: r.PostForm.Get("consent") != "",
	}
	clean, err := f.Check()
	if errs, ok := validate.From(err); ok {
		d := s.signupData()
		d.Errors = errs
		d.Form = people.SignUpForm{Name: f.Name, Email: f.Email, AgeOK: f.AgeOK, Consent: f.Consent}
		// Without the age box nothing typed is shown again (CH1); text
		// that is not clean text is not shown either.
		for _, v := range []*string{&d.Form.Name, &d.Form.Email} {
			if !f.AgeOK || !validUTF8(*v) {
				*v = ""
			}
		}
		s.render(w, r, http.StatusBadRequest, "signup", pageData{Title: "Create an account", Data: d})
		return nil
	}
	ctx := r.Context()
	if err := s.limit(ctx,
		limitCheck{signupPerIP, s.clientKey(r)},
		limitCheck{signupPerAddress, strings.ToLower(clean.Email)}); err != nil {
		return err
	}
	hash, err := s.Hasher.Hash(clean.Password)
	if err != nil {
		return err
	}
	// A new account's confirmation is stored (the outbox) in the account's
	// own transaction; the other message, right after.
	addr := clean.Email
	var queued int64
	res, err := s.peopleService().SignUpThen(ctx, clean, hash, s.Now(), func(tx *store.Tx, res people.SignedUp) error {
		var err error
		queued, err = s.queueMail(ctx, tx, s.verifyMessage(people.Confirmation{Email: res.Email, To: addr, Token: res.Token}), "the sign-up message")
		return err
	})
	if err != nil {
		return err
	}
	// The same answer whether or not the address had an account, so the
	// form does not tell strangers who has one; the mail says which.
	var msg mail.Message
	if res.Existing {
		msg = mail.Message{To: addr, Subject: "You already have an account at " + s.Config.OrgName, Body: fmt.Sprintf(
			"Someone, probably you, tried to create an account at %s with this address, which already has one.\n\n"+
				"Sign in at %s/login\nForgot the password? Set a new one at %s/reset\n\n"+
				"If it was not you, you can ignore this message; nothing was changed.\n", s.Config.OrgName, s.base(), s.base())}
	} else {
		msg = s.verifyMessage(people.Confirmation{Email: res.Email, To: addr, Token: res.Token})
	}
	switch {
	case queued != 0:
		s.deliverSoon(ctx, queued)
	case res.Existing:
		s.sendInBackground(r, msg, "the sign-up message")
	default:
		s.sendFromMemory(ctx, msg, "the sign-up message")
	}
	s.render(w, r, http.StatusOK, "message", pageData{Title: "Check your mail", Data: messageData{
		Heading: "Check your mail",
		Text:    "We have sent a message to " + addr + ". Follow the link in it to confirm the address; then you can sign in. The link works for two days.",
	}})
	return nil
}

func (s *Server) base() string { return strings.TrimSuffix(s.Config.BaseURL.String(), "/") }

// verifyMessage is the mail that carries a confirmation link. A link for
// an address the person typed goes to that address; one for an address
// staff entered goes to the person's own primary address, and says so. (A
// sign-up that claims a draft author's address confirms the address as the
// draft spelled it, which may differ in case from what was typed.)
func (s *Server) verifyMessage(c people.Confirmation) mail.Message {
	if strings.EqualFold(c.To, c.Email.Address) {
		return mail.Message{To: c.To, Subject: "Confirm your e-mail address for " + s.Config.OrgName, Body: fmt.Sprintf(
			"Please confirm that %s is your address by opening this link and pressing the button on the page:\n\n%s/verify/%s\n\n"+
				"The link works once, for two days. If you did not ask for this, ignore this message; nothing will be kept active for the address.\n",
			c.To, s.base(), c.Token)}
	}
	return mail.Message{To: c.To, Subject: "An address was added to your account at " + s.Config.OrgName, Body: fmt.Sprintf(
		"Staff of %s added %s to your account (%s).\n\n"+
			"If it is your address and you asked for it, confirm it by opening this link and pressing the button on the page:\n\n%s/verify/%s\n\n"+
			"Until you do, the address cannot be used to sign in or to set a new password. If you did not ask for it, do not confirm it, "+
			"remove it on your account page (%s/account) and tell us.\nThe link works once, for two days.\n",
		s.Config.OrgName, c.Email.Address, c.Email.Origin.Describe(), s.base(), c.Token, s.base())}
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
	tok := r.PathValue("token")
	if _, err := auth.PeekToken(r.Context(), s.DB, auth.PurposeVerify, tok, s.Now()); err != nil {
		return tokenError(verifyLinkError(err))
	}
	s.render(w, r, http.StatusOK, "verify", pageData{Title: "Confirm your address", Data: tokenData{Token: tok}})
	return nil
}

// verifyLinkError says, for a confirmation link that is not known, that a
// newer sign-up with the address replaces an unconfirmed one and its link
// (people.SignUp), as happens when someone signs up twice. It says so for
// every unknown link, so it tells nothing about the address. It does not
// send the reader to the newest message: that one may answer someone
// else's sign-up with the address, and following it would confirm their
// password; a sign-up of one's own is the way on.
func verifyLinkError(err error) error {
	if errors.Is(err, auth.ErrTokenUnknown) {
		return &Error{Status: http.StatusNotFound, Message: err.Error() +
			" A sign-up's link also stops working when the address is used to sign up again. Then sign up again yourself, and follow the link in the message that answers it."}
	}
	return err
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
	e, err := s.peopleService().ConfirmAddress(r.Context(), r.PathValue("token"), s.Now())
	if err != nil {
		if errors.Is(err, people.ErrNotFound) {
			return &Error{Status: http.StatusGone, Message: "The address this link confirms has been removed, so there is nothing to confirm."}
		}
		return tokenError(verifyLinkError(err))
	}
	d := messageData{Heading: "Address confirmed", Text: e.Address + " is confirmed."}
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
