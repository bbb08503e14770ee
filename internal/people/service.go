package people

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"plenary/internal/audit"
	"plenary/internal/auth"
	"plenary/internal/policy"
	"plenary/internal/store"
	"plenary/internal/validate"
)

// Service runs the use cases on people. Each method is one use case: it
// checks its whole input (reporting every problem at once, as a
// *validate.Errors), runs in one transaction, and writes in that same
// transaction the person's history and, for a staff action or a password
// reset, the audit entry, so that no change is made unrecorded and no
// record is kept of a change that was not made.
type Service struct {
	DB     *store.DB
	Audit  *audit.Log      // staff actions and resets are refused without it
	Policy *policy.Service // for sign-ups, acknowledgements and views of a record
}

// Actor is who performs a use case.
type Actor struct {
	ID    int64  // the person acting; 0 for the command line
	Label string // how the audit log names them: their name, or "cli"
	Roles []auth.Role
}

func (a Actor) has(r auth.Role) bool { return slices.Contains(a.Roles, r) }

// keepsPeople reports whether the actor may act on others' records.
func (a Actor) keepsPeople() bool { return a.has(auth.Secretariat) || a.has(auth.Admin) }

// Request says whose record a use case touches, who acts, and, when staff
// act, which of the person's requests the change answers (R3).
type Request struct {
	Person int64
	Actor  Actor
	// Staff marks a staff member acting on the person's record, even their
	// own: it needs a reason and goes to the audit log.
	Staff  bool
	Reason string
}

func (r Request) subject() string { return fmt.Sprintf("person:%d", r.Person) }

// Refusals, with messages fit for the person.
var (
	ErrNotAllowed      = errors.New("Your account may not do this. Nothing was changed.")
	ErrNoAudit         = errors.New("The audit log is not available, so participant records cannot be shown or changed.")
	ErrStaffAddresses  = errors.New("Only an admin can change the addresses of a staff member's account. Nothing was changed.")
	ErrOwnAdmin        = errors.New("You cannot take the admin role from yourself; ask another admin. Nothing was changed.")
	ErrNoPrimary       = errors.New("The account's primary address is not confirmed, so there is no address of the person's own to send the confirmation to. Nothing was sent.")
	ErrStatementMoved  = errors.New("The privacy statement changed again while you were reading it. Please read the newest version and acknowledge that.")
	errReasonMessage   = "Say which request this change answers (for example \"asked by e-mail on 3 May\")."
	errOriginSelfStaff = "Staff cannot enter an address as typed by the person; choose where it came from."
)

// UnconfirmedError refuses a staff role to a person who has active
// addresses they have not confirmed themselves.
type UnconfirmedError struct{ Addresses []string }

func (e *UnconfirmedError) Error() string {
	return "A staff role is given only to an account whose every address its owner has confirmed. Not yet confirmed: " +
		strings.Join(e.Addresses, ", ") + ". Remove these addresses, or ask the person to confirm them, then try again. Nothing was changed."
}

// unconfirmedBlock returns an *UnconfirmedError when the person has an
// active address they have not confirmed.
func unconfirmedBlock(ctx context.Context, q store.Querier, personID int64) error {
	emails, err := Emails(ctx, q, personID)
	if err != nil {
		return err
	}
	var bad []string
	for _, e := range emails {
		if e.Active && !e.Verified() {
			bad = append(bad, e.Address)
		}
	}
	if len(bad) > 0 {
		return &UnconfirmedError{Addresses: bad}
	}
	return nil
}

// check refuses an actor who may not make the request.
func (s *Service) check(r Request) error {
	if !r.Staff {
		if r.Actor.ID == 0 || r.Actor.ID != r.Person {
			return ErrNotAllowed
		}
		return nil
	}
	if !r.Actor.keepsPeople() {
		return ErrNotAllowed
	}
	if s.Audit == nil {
		return ErrNoAudit
	}
	return nil
}

// checkReason cleans a staff request's reason, or adds its problem to
// errs; it comes last, as the field does in every staff form.
func (r *Request) checkReason(errs *validate.Errors) {
	if !r.Staff {
		return
	}
	reason, err := CleanText("reason", "The request", r.Reason, 500, true, false)
	if err != nil {
		errs.Add("reason", errReasonMessage)
	}
	r.Reason = reason
}

func (s *Service) audit(ctx context.Context, tx *store.Tx, a Actor, action, subject, detail string) error {
	if s.Audit == nil {
		return ErrNoAudit
	}
	return s.Audit.Record(ctx, tx, audit.Entry{Actor: a.ID, Label: a.Label, Action: action, Subject: subject, Detail: detail})
}

// auditStaff records a staff request's action; the person's own changes
// are in their history only.
func (s *Service) auditStaff(ctx context.Context, tx *store.Tx, r Request, action, detail string) error {
	if !r.Staff {
		return nil
	}
	if detail != "" {
		detail += "; "
	}
	return s.audit(ctx, tx, r.Actor, action, r.subject(), detail+"request: "+r.Reason)
}

// guardStaffAddresses refuses a non-admin's change to the addresses of a
// person who holds a staff role: roles are an admin's alone, and so are the
// addresses that lead to them.
func guardStaffAddresses(ctx context.Context, q store.Querier, r Request) error {
	if !r.Staff || r.Actor.has(auth.Admin) {
		return nil
	}
	roles, err := Roles(ctx, q, r.Person)
	if err != nil {
		return err
	}
	if slices.ContainsFunc(roles, func(role auth.Role) bool { return role != auth.Participant }) {
		return ErrStaffAddresses
	}
	return nil
}

// SignUpForm is what the sign-up form sends.
type SignUpForm struct {
	Name, Email, Password string
	AgeOK, Consent        bool
}

// ageMessage is the refusal without the age attestation (CH1).
const ageMessage = "You must be 13 or older to create an account. Nothing you typed has been kept."

// Check returns the form cleaned, or every problem. Without the age
// attestation (CH1) the other fields are still checked, so that an empty
// form hears of all its problems at once, but the caller must keep and show
// none of what was typed.
func (f SignUpForm) Check() (SignUpForm, error) {
	var errs validate.Errors
	var err error
	f.Name, err = CleanName(f.Name)
	errs.Check("name", err)
	f.Email, err = CleanEmail(f.Email)
	errs.Check("email", err)
	errs.Check("password", CheckPassword(f.Password))
	if !f.AgeOK {
		errs.Add("age_ok", ageMessage)
	}
	if !f.Consent {
		errs.Add("consent", "To create an account, please agree to the privacy statement.")
	}
	return f, errs.Err()
}

// SignedUp is the outcome of a sign-up.
type SignedUp struct {
	Person Person
	// Email is the address the link confirms: the new account's, or,
	// when the sign-up claims a record's address, still the record's.
	Email Email
	Token string // the confirmation link's token for the new account
	// Existing says the address already had an account: nothing was
	// created, and its owner, not the stranger, should be told.
	Existing bool
}

// SignUp creates an account with its consent entry and a confirmation
// link, or, when the address has an account, nothing. A sign-up with the
// address that never proved its mailbox is not an account: the new one
// replaces it and its links (releaseUnproven), whoever made either, and the
// account goes to whoever follows the newest link, which only the
// mailbox's reader has. Nor is a record made from a public record that
// holds the address (a draft's author): the account is created without
// the address, and takes it over from the record when the link is
// followed (claim, takeOver). Either way the link is mailed to the
// address, as for any new account. passwordHash is the hash of
// f.Password, made by the caller after Check passed (hashing is slow and
// is bounded where requests arrive).
func (s *Service) SignUp(ctx context.Context, f SignUpForm, passwordHash string, now time.Time) (SignedUp, error) {
	return s.SignUpThen(ctx, f, passwordHash, now, nil)
}

// SignUpThen is SignUp with then called in its transaction when an account
// is created, so the confirmation's mail is stored (outbox) with it.
func (s *Service) SignUpThen(ctx context.Context, f SignUpForm, passwordHash string, now time.Time, then func(*store.Tx, SignedUp) error) (SignedUp, error) {
	f, err := f.Check()
	if err != nil {
		return SignedUp{}, err
	}
	if passwordHash == "" {
		return SignedUp{}, errors.New("signing up: no password hash")
	}
	cur, err := s.Policy.Current(ctx)
	if err != nil {
		return SignedUp{}, err
	}
	var out SignedUp
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		n := New{
			Name: f.Name, Email: f.Email, Origin: OriginSelf, PasswordHash: passwordHash,
			AgeAttested: true, Roles: []auth.Role{auth.Participant},
		}
		if err := releaseUnproven(ctx, tx, f.Email, now); err != nil {
			return err
		}
		// An address that only a record nobody proved holds (a draft's
		// author) is no account: the sign-up goes ahead without it, and
		// takes it over, with the record's drafts, once its link proves
		// the mailbox.
		rec, claiming, err := claimable(ctx, tx, f.Email)
		if err != nil {
			return err
		}
		var p Person
		var e Email
		if claiming {
			id, err := createPerson(ctx, tx, n, now)
			if err != nil {
				return err
			}
			if p, err = Get(ctx, tx, id); err != nil {
				return err
			}
			e = rec
		} else {
			p, e, err = Create(ctx, tx, n, now)
			if errors.Is(err, ErrEmailTaken) {
				out.Existing = true
				return nil
			}
			if err != nil {
				return err
			}
		}
		out.Person, out.Email = p, e
		if err := policy.Record(ctx, tx, policy.Consent{
			PersonID: p.ID, Purpose: policy.PurposeAccount, Granted: true, VersionID: cur.ID,
			Channel: policy.ChannelWeb, Transfer: s.Policy.TransferStatement(), At: now,
		}); err != nil {
			return err
		}
		if claiming {
			out.Token, err = claim(ctx, tx, p.ID, e, now)
		} else {
			out.Token, err = auth.IssueToken(ctx, tx, auth.PurposeVerify, p.ID, e.ID, auth.VerifyTTL, now)
		}
		if err != nil || then == nil {
			return err
		}
		return then(tx, out)
	})
	return out, err
}

// NewAccount is an account the operator creates from the command line.
type NewAccount struct {
	Name, Email string
	Roles       []auth.Role
}

// Check returns the account cleaned, or every problem.
func (n NewAccount) Check() (NewAccount, error) {
	var errs validate.Errors
	var err error
	n.Name, err = CleanName(n.Name)
	errs.Check("name", err)
	n.Email, err = CleanEmail(n.Email)
	errs.Check("email", err)
	for _, r := range n.Roles {
		if !slices.Contains(auth.AllRoles, r) {
			errs.Add("role", fmt.Sprintf("There is no role %q.", r))
		}
	}
	return n, errs.Err()
}

// AddAccount creates a confirmed account with roles, on the operator's
// word: the one who runs the command holds the server and vouches for the
// address and the person's age. Its audit entry names the command line.
func (s *Service) AddAccount(ctx context.Context, a Actor, n NewAccount, passwordHash string, now time.Time) (Person, error) {
	n, err := n.Check()
	if err != nil {
		return Person{}, err
	}
	if passwordHash == "" {
		return Person{}, errors.New("adding an account: no password hash")
	}
	var p Person
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		var err error
		p, _, err = Create(ctx, tx, New{
			Name: n.Name, Email: n.Email, Origin: OriginStaff, Verified: true,
			PasswordHash: passwordHash, AgeAttested: true, Roles: append([]auth.Role{auth.Participant}, n.Roles...),
		}, now)
		if err != nil {
			return err
		}
		names := make([]string, len(n.Roles))
		for i, r := range n.Roles {
			names[i] = string(r)
		}
		return s.audit(ctx, tx, a, "people.create", fmt.Sprintf("person:%d", p.ID), "roles: participant "+strings.Join(names, " "))
	})
	return p, err
}

// ConfirmAddress uses a mailed confirmation link: the address it names is
// confirmed, once, and the drafts' author rows that name it and are linked
// to no one are linked to its holder. A link that claims an unproven
// record's address (a sign-up or an added address, see claim) first takes
// the address over from the record.
func (s *Service) ConfirmAddress(ctx context.Context, token string, now time.Time) (Email, error) {
	var e Email
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		t, err := auth.ConsumeToken(ctx, tx, auth.PurposeVerify, token, now)
		if err != nil {
			return err
		}
		e, err = GetEmail(ctx, tx, t.PersonID, t.EmailID)
		if errors.Is(err, ErrNotFound) {
			e, err = takeOver(ctx, tx, t.PersonID, t.EmailID, now)
		}
		if err != nil {
			return err
		}
		if err := verifyEmail(ctx, tx, t.PersonID, e, now); err != nil {
			return err
		}
		return linkAuthors(ctx, tx, t.PersonID, 0, e.Address)
	})
	return e, err
}

// Correct sets a person's details, by the person or by staff on their
// request, and returns the fields changed.
func (s *Service) Correct(ctx context.Context, r Request, d Details, now time.Time) ([]string, error) {
	if err := s.check(r); err != nil {
		return nil, err
	}
	var errs validate.Errors
	d.checkInto(&errs)
	r.checkReason(&errs)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	var changed []string
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		var err error
		if changed, err = Update(ctx, tx, r.Person, r.Actor.ID, d, now); err != nil || len(changed) == 0 {
			return err
		}
		return s.auditStaff(ctx, tx, r, "people.correct", "fields "+strings.Join(changed, ", "))
	})
	return changed, err
}

// Confirmation is a confirmation link to mail, or the note to send instead.
type Confirmation struct {
	Email Email  // the address to confirm
	To    string // where the link goes; empty when nothing is to be sent
	Token string
	// Taken says the address belongs to another account: nothing was
	// saved, and To is that address, whose owner is told instead of the
	// person who typed it.
	Taken bool
}

// confirmation issues a link that confirms e, mailed to e itself when the
// person typed it, else to their confirmed primary address.
func confirmation(ctx context.Context, tx *store.Tx, e Email, now time.Time) (Confirmation, error) {
	c := Confirmation{Email: e, To: e.Address}
	if !e.ownerTyped() {
		p, err := Primary(ctx, tx, e.PersonID)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return c, err
		}
		if err != nil || !p.Verified() || !p.Active || p.ID == e.ID {
			return Confirmation{Email: e}, ErrNoPrimary
		}
		c.To = p.Address
	}
	var err error
	c.Token, err = auth.IssueToken(ctx, tx, auth.PurposeVerify, e.PersonID, e.ID, auth.VerifyTTL, now)
	return c, err
}

// AddAddress adds an address to a person's record. Typed by the person,
// it is confirmed by the link mailed to it; when it belongs to another
// account nothing is saved and the answer is Taken, for the caller to
// answer as if it had been added; when a record nobody proved holds it (a
// draft's author), the link mailed to it takes it over (claim), and until
// then it stays the record's. Entered by staff (with where it came
// from), it is confirmed by a link mailed to the person's own primary
// address, and until then it signs nobody in and receives no reset link.
func (s *Service) AddAddress(ctx context.Context, r Request, addr string, origin Origin, now time.Time) (Confirmation, error) {
	if err := s.check(r); err != nil {
		return Confirmation{}, err
	}
	var errs validate.Errors
	addr, err := cleanEmail("new_email", addr)
	errs.Check("new_email", err)
	switch {
	case !r.Staff:
		origin = OriginSelf
	case origin == OriginSelf || !slices.Contains(Origins, origin):
		errs.Add("origin", errOriginSelfStaff)
	}
	r.checkReason(&errs)
	if err := errs.Err(); err != nil {
		return Confirmation{}, err
	}
	var c Confirmation
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		if _, err := Get(ctx, tx, r.Person); err != nil {
			return err
		}
		if err := guardStaffAddresses(ctx, tx, r); err != nil {
			return err
		}
		if !r.Staff {
			_, have, err := FindByEmail(ctx, tx, addr)
			switch {
			case err == nil && have.PersonID == r.Person && have.Verified():
				c = Confirmation{Email: have}
				return nil
			case err == nil && have.PersonID == r.Person:
				c, err = confirmation(ctx, tx, have, now)
				return err
			case err != nil && !errors.Is(err, ErrNotFound):
				return err
			}
			// Another account's unproven claim yields to this one; a
			// record nobody proved gives the address up once the link
			// mailed to it is followed.
			if err := releaseUnproven(ctx, tx, addr, now); err != nil {
				return err
			}
			rec, claiming, err := claimable(ctx, tx, addr)
			if err != nil {
				return err
			}
			if claiming {
				c = Confirmation{Email: rec, To: rec.Address}
				c.Token, err = claim(ctx, tx, r.Person, rec, now)
				return err
			}
			_, have, err = FindByEmail(ctx, tx, addr)
			switch {
			case err == nil:
				c = Confirmation{To: have.Address, Taken: true}
				return nil
			case !errors.Is(err, ErrNotFound):
				return err
			}
		}
		var e Email
		if r.Staff {
			e, err = AddEmail(ctx, tx, r.Person, r.Actor.ID, addr, origin, now)
		} else {
			// The history records the address once confirmed, not before:
			// the person's page must show a free address no differently
			// from a taken one until then.
			e, err = addEmail(ctx, tx, r.Person, addr, OriginSelf, false, false, now.UTC())
		}
		if err != nil {
			return err
		}
		if err := s.auditStaff(ctx, tx, r, "people.email.add", fmt.Sprintf("address %d, %s", e.ID, origin)); err != nil {
			return err
		}
		c, err = confirmation(ctx, tx, e, now)
		if errors.Is(err, ErrNoPrimary) {
			// Added all the same: the person confirms it once their
			// primary address is confirmed.
			return nil
		}
		return err
	})
	return c, err
}

// EmailAction is what can be done to one address.
type EmailAction string

const (
	ActionConfirm EmailAction = "confirm" // send a confirmation link again
	ActionPrimary EmailAction = "primary" // make it the primary address
	ActionRemove  EmailAction = "remove"  // erase it, or deactivate one from a public record
)

// Errors of address actions, fit for the person.
var (
	ErrNoSuchAction = errors.New("There is no such action.")
)

// ActedOn is the outcome of an address action.
type ActedOn struct {
	Done    string       // "email-sent", "unchanged", "primary", "removed" or "deactivated"
	Confirm Confirmation // for ActionConfirm: the link to mail
}

// ActOnAddress confirms (by sending a link), makes primary or removes one
// of a person's addresses.
func (s *Service) ActOnAddress(ctx context.Context, r Request, emailID int64, action EmailAction, now time.Time) (ActedOn, error) {
	if err := s.check(r); err != nil {
		return ActedOn{}, err
	}
	if !slices.Contains([]EmailAction{ActionConfirm, ActionPrimary, ActionRemove}, action) {
		return ActedOn{}, ErrNoSuchAction
	}
	var errs validate.Errors
	r.checkReason(&errs)
	if err := errs.Err(); err != nil {
		return ActedOn{}, err
	}
	var out ActedOn
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		if err := guardStaffAddresses(ctx, tx, r); err != nil {
			return err
		}
		e, err := GetEmail(ctx, tx, r.Person, emailID)
		if err != nil {
			return err
		}
		switch action {
		case ActionConfirm:
			if e.Verified() || !e.Active {
				out.Done = "unchanged"
				return nil
			}
			out.Done = "email-sent"
			if out.Confirm, err = confirmation(ctx, tx, e, now); err != nil {
				return err
			}
		case ActionPrimary:
			out.Done = "primary"
			if err := setPrimary(ctx, tx, r.Person, r.Actor.ID, emailID, now); err != nil {
				return err
			}
		case ActionRemove:
			erased, err := removeEmail(ctx, tx, r.Person, r.Actor.ID, emailID, now)
			if err != nil {
				return err
			}
			out.Done = "deactivated"
			if erased {
				out.Done = "removed"
			}
		}
		return s.auditStaff(ctx, tx, r, "people.email."+string(action), fmt.Sprintf("address %d", emailID))
	})
	return out, err
}

// SetRoles replaces a person's roles, by an admin on the person's
// request; an admin cannot drop their own admin role, and a staff role
// needs every active address to be confirmed by its owner.
func (s *Service) SetRoles(ctx context.Context, r Request, roles []auth.Role, now time.Time) error {
	// Roles are chosen by admins, who act on the organization's decision,
	// not on the person's request: no reason is asked.
	if !r.Staff || !r.Actor.has(auth.Admin) {
		return ErrNotAllowed
	}
	if s.Audit == nil {
		return ErrNoAudit
	}
	var errs validate.Errors
	for _, role := range roles {
		if !slices.Contains(auth.AllRoles, role) {
			errs.Add("role", fmt.Sprintf("There is no role %q. Nothing was changed.", role))
		}
	}
	if err := errs.Err(); err != nil {
		return err
	}
	if r.Person == r.Actor.ID && !slices.Contains(roles, auth.Admin) {
		return ErrOwnAdmin
	}
	return s.DB.Tx(ctx, func(tx *store.Tx) error {
		if _, err := Get(ctx, tx, r.Person); err != nil {
			return err
		}
		if err := setRoles(ctx, tx, r.Person, r.Actor.ID, roles, now); err != nil {
			return err
		}
		names := make([]string, len(roles))
		for i, role := range roles {
			names[i] = string(role)
		}
		return s.audit(ctx, tx, r.Actor, "people.roles", r.subject(), "roles: "+strings.Join(names, ", "))
	})
}

// ResetLink is a password-reset link to mail.
type ResetLink struct {
	To    string // empty when the address has no account, or may not receive one
	Token string
}

// RequestReset issues a reset link for addr when it is an active address
// its owner confirmed: an address someone else entered, or one never
// confirmed, must not open the account.
func (s *Service) RequestReset(ctx context.Context, addr string, now time.Time) (ResetLink, error) {
	return s.RequestResetThen(ctx, addr, now, nil)
}

// RequestResetThen is RequestReset with then called in its transaction
// when a link is issued, so the link's mail is stored (outbox) with it.
func (s *Service) RequestResetThen(ctx context.Context, addr string, now time.Time, then func(*store.Tx, ResetLink) error) (ResetLink, error) {
	addr, err := CleanEmail(addr)
	if err != nil {
		return ResetLink{}, err
	}
	var out ResetLink
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		p, e, err := FindByEmail(ctx, tx, addr)
		if errors.Is(err, ErrNotFound) || (err == nil && (!e.Active || !e.Verified())) {
			return nil
		}
		if err != nil {
			return err
		}
		out.To = e.Address
		out.Token, err = auth.IssueToken(ctx, tx, auth.PurposeReset, p.ID, e.ID, auth.ResetTTL, now)
		if err != nil || then == nil {
			return err
		}
		return then(tx, out)
	})
	return out, err
}

// PasswordReset is the outcome of a reset, for the notice to the person.
type PasswordReset struct {
	Person  Person
	Primary string // where the notice of the change goes
	LinkTo  string // the address the reset link was mailed to
}

// ErrResetAddressGone means a mailed reset link names an address that no
// longer belongs to the account, or is no longer in use there.
var ErrResetAddressGone = errors.New("The address this link was sent to is no longer in use on the account, so the link does nothing and the password is unchanged. Ask for a new link for an address the account uses.")

// ResetPassword uses a reset link: the password becomes the one hashed as
// passwordHash, every other reset link and every session of the person
// end, the history says a reset link did it, and the audit log records it.
// A link whose address has left the account, or is no longer in use, is
// refused (ErrResetAddressGone) and changes nothing.
func (s *Service) ResetPassword(ctx context.Context, token, passwordHash string, now time.Time) (PasswordReset, error) {
	if s.Audit == nil {
		return PasswordReset{}, ErrNoAudit
	}
	var out PasswordReset
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		t, err := auth.ConsumeToken(ctx, tx, auth.PurposeReset, token, now)
		if err != nil {
			return err
		}
		// The link proves the mailbox; it sets the password only while
		// that address is still the account's, in use and confirmed, as a
		// sign-in link does (SignInByLink).
		e, err := GetEmail(ctx, tx, t.PersonID, t.EmailID)
		if errors.Is(err, ErrNotFound) || (err == nil && (!e.Active || !e.Verified())) {
			return ErrResetAddressGone
		}
		if err != nil {
			return err
		}
		out.LinkTo = e.Address
		if err := setPassword(ctx, tx, t.PersonID, 0, FieldPasswordReset, passwordHash, now); err != nil {
			return err
		}
		if err := auth.UseAllTokens(ctx, tx, auth.PurposeReset, t.PersonID, now); err != nil {
			return err
		}
		if err := auth.EndAllSessions(ctx, tx, t.PersonID); err != nil {
			return err
		}
		if out.Person, err = Get(ctx, tx, t.PersonID); err != nil {
			return err
		}
		if p, err := Primary(ctx, tx, t.PersonID); err == nil {
			out.Primary = p.Address
		}
		return s.audit(ctx, tx, Actor{Label: "reset link"}, "people.password.reset", fmt.Sprintf("person:%d", t.PersonID),
			fmt.Sprintf("link mailed to address %d; every session ended", t.EmailID))
	})
	return out, err
}

// ErrLinkAddressGone means a mailed sign-in link names an address that no
// longer belongs to the account, or is no longer in use there.
var ErrLinkAddressGone = errors.New("The address this link was sent to is no longer in use on the account, so the link does nothing. Please sign in with your password.")

// SignInByLink uses up a one-time sign-in link, mailed when an account was
// closed to passwords after many failures, and returns whose account it
// opens. The link proves the mailbox; it opens the account only while that
// address still belongs to it, is in use and confirmed. The sign-in is
// audited in the same transaction, since it passes a lock.
func (s *Service) SignInByLink(ctx context.Context, token string, now time.Time) (personID int64, err error) {
	if s.Audit == nil {
		return 0, ErrNoAudit
	}
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		t, err := auth.ConsumeToken(ctx, tx, auth.PurposeSignIn, token, now)
		if err != nil {
			return err
		}
		e, err := GetEmail(ctx, tx, t.PersonID, t.EmailID)
		if errors.Is(err, ErrNotFound) || (err == nil && (!e.Active || !e.Verified())) {
			return ErrLinkAddressGone
		}
		if err != nil {
			return err
		}
		personID = t.PersonID
		return s.audit(ctx, tx, Actor{Label: "sign-in link"}, "people.signin.link", fmt.Sprintf("person:%d", t.PersonID),
			fmt.Sprintf("one-time link mailed to address %d after too many failed passwords", t.EmailID))
	})
	return personID, err
}

// Acknowledge records that the person read the statement version they
// were shown; it refuses when a newer one is waiting (V3).
func (s *Service) Acknowledge(ctx context.Context, personID, versionID int64, now time.Time) error {
	return s.DB.Tx(ctx, func(tx *store.Tx) error {
		v, pending, err := s.Policy.PendingAcknowledgement(ctx, tx, personID)
		if err != nil || !pending {
			return err
		}
		if v.ID != versionID {
			return ErrStatementMoved
		}
		return policy.Record(ctx, tx, policy.Consent{
			PersonID: personID, Purpose: policy.PurposeStatement, Granted: true, VersionID: v.ID,
			Channel: policy.ChannelWeb, Transfer: s.Policy.TransferStatement(), At: now,
		})
	})
}

// Record is everything plenary holds about a person that the account page
// and the staff page show.
type Record struct {
	Person  Person
	Emails  []Email
	Roles   []auth.Role
	History []Change
	Ledger  []LedgerEntry
}

// LedgerEntry is a consent entry with the date of the statement version
// it names.
type LedgerEntry struct {
	policy.Consent
	VersionDate time.Time
}

// View reads a person's record. A staff view is written to the audit log
// first, in the same transaction as the reading; without an audit log,
// staff see nothing. The person's own view writes nothing, so it takes no
// write transaction.
func (s *Service) View(ctx context.Context, r Request) (Record, error) {
	if r.Staff && !r.Actor.keepsPeople() || !r.Staff && r.Actor.ID != r.Person {
		return Record{}, ErrNotAllowed
	}
	if !r.Staff {
		return s.read(ctx, s.DB, r.Person)
	}
	var v Record
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		if _, err := Get(ctx, tx, r.Person); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, r.Actor, "people.view", r.subject(), ""); err != nil {
			return err
		}
		var err error
		v, err = s.read(ctx, tx, r.Person)
		return err
	})
	return v, err
}

func (s *Service) read(ctx context.Context, q store.Querier, personID int64) (Record, error) {
	var v Record
	var err error
	if v.Person, err = Get(ctx, q, personID); err != nil {
		return v, err
	}
	if v.Emails, err = Emails(ctx, q, personID); err != nil {
		return v, err
	}
	if v.Roles, err = Roles(ctx, q, personID); err != nil {
		return v, err
	}
	if v.History, err = History(ctx, q, personID); err != nil {
		return v, err
	}
	entries, err := policy.Entries(ctx, q, personID)
	if err != nil {
		return v, err
	}
	v.Ledger = s.Dated(ctx, entries)
	return v, nil
}

// Dated adds to each entry the date of the statement version it names.
func (s *Service) Dated(ctx context.Context, entries []policy.Consent) []LedgerEntry {
	var out []LedgerEntry
	for _, e := range entries {
		le := LedgerEntry{Consent: e}
		if pv, err := s.Policy.Get(ctx, e.VersionID); err == nil {
			le.VersionDate = pv.PublishedAt
		}
		out = append(out, le)
	}
	return out
}

// maxSearch is the longest search text accepted.
const maxSearch = 300

// Search finds people by part of a name or address, for staff. The audit
// log records whose records were listed, not the text, which may itself be
// someone's name or address.
func (s *Service) Search(ctx context.Context, a Actor, text string) ([]Found, error) {
	if !a.keepsPeople() {
		return nil, ErrNotAllowed
	}
	text, err := CleanText("q", "The search text", text, maxSearch, true, false)
	if err != nil {
		return nil, err
	}
	var res []Found
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		var err error
		if res, err = search(ctx, tx, text); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, "people.search", "", fmt.Sprintf("%d results: person %s", len(res), foundIDs(res)))
	})
	return res, err
}

// Browse lists one page of people, newest first, for staff; the audit log
// records the page and whose records it listed.
func (s *Service) Browse(ctx context.Context, a Actor, page int) (list []Found, more bool, err error) {
	if !a.keepsPeople() {
		return nil, false, ErrNotAllowed
	}
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		var err error
		if list, more, err = browse(ctx, tx, page); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, "people.browse", "", fmt.Sprintf("page %d: person %s", max(page, 1), foundIDs(list)))
	})
	return list, more, err
}

func foundIDs(res []Found) string {
	ids := make([]string, len(res))
	for i, f := range res {
		ids[i] = fmt.Sprint(f.ID)
	}
	return strings.Join(ids, ",")
}
