// Package people keeps participants: their names, e-mail addresses (each
// with where it came from), optional postal address and affiliation, roles,
// age attestation, and a history of every change to them (C4, R3). It
// knows nothing of HTTP. The use cases are the methods of Service (see
// service.go), each one transaction; the functions in this file are their
// building blocks over a store.Querier.
package people

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"plenary/internal/auth"
	"plenary/internal/store"
	"plenary/internal/validate"
)

// Origin says where an e-mail address came from. Addresses from a public
// record (a draft's author, a list posting) can be deactivated but not
// erased: the record they belong to stays accurate.
type Origin string

const (
	OriginSelf         Origin = "self"         // typed by the person
	OriginRegistration Origin = "registration" // given when registering for a meeting
	OriginDraftAuthor  Origin = "draft-author" // on an Internet-Draft the person wrote
	OriginListPosting  Origin = "list-posting" // sender of a discussion-group posting
	OriginStaff        Origin = "staff"        // entered by staff on the person's request
)

// Origins lists every origin, for forms.
var Origins = []Origin{OriginSelf, OriginRegistration, OriginDraftAuthor, OriginListPosting, OriginStaff}

// PublicRecord reports whether addresses of this origin belong to a public
// record and so may only be deactivated.
func (o Origin) PublicRecord() bool { return o == OriginDraftAuthor || o == OriginListPosting }

// Describe says in words where an address came from.
func (o Origin) Describe() string {
	switch o {
	case OriginSelf:
		return "added by you"
	case OriginRegistration:
		return "from a meeting registration"
	case OriginDraftAuthor:
		return "from an Internet-Draft you wrote (public record)"
	case OriginListPosting:
		return "from a discussion-group posting (public record)"
	case OriginStaff:
		return "entered by staff"
	}
	return string(o)
}

// Person is a participant.
type Person struct {
	ID            int64
	Name          string
	PostalAddress string
	Affiliation   string
	HasPassword   bool
	AgeAttestedAt *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
	passwordHash  string
}

// PasswordHash is the stored argon2id hash, empty when none is set.
func (p Person) PasswordHash() string { return p.passwordHash }

// Email is one of a person's addresses.
type Email struct {
	ID         int64
	PersonID   int64
	Address    string
	Origin     Origin
	Primary    bool
	VerifiedAt *time.Time
	Active     bool
	CreatedAt  time.Time
}

// Verified reports whether the person confirmed the address themselves:
// by the link mailed to it when they typed it, or, for an address staff
// entered, by the link mailed to their own confirmed primary address. Only
// confirmed addresses sign in or receive a reset link.
func (e Email) Verified() bool { return e.VerifiedAt != nil }

// ownerTyped reports whether the person typed the address themselves, so
// that the link mailed to it confirms it. Any other address is confirmed
// from the person's primary address: a link mailed to an address someone
// else entered would let whoever holds it take the account.
func (e Email) ownerTyped() bool { return e.Origin == OriginSelf }

// MailboxProven reports whether the person showed they read the address's
// mailbox: they typed it and followed the link mailed to it. An address
// staff entered is confirmed from the primary address instead, which shows
// the person wants it on their account, not that its mailbox is theirs, so
// it must not open what was sent from that mailbox (such as inquiries).
func (e Email) MailboxProven() bool { return e.Verified() && e.ownerTyped() }

// Change is one entry of a person's history.
type Change struct {
	ActorID   int64 // 0 when the system made it
	ActorName string
	Field     string
	Old, New  string
	At        time.Time
}

// FieldPasswordReset is the history's name for a password set through a
// mailed reset link: whoever opened the link did it, which is not
// necessarily the person, so the history does not say "you".
const FieldPasswordReset = "password (reset link)"

// Who names who made the change, for the history shown to the person
// (staff false) or to staff.
func (c Change) Who(subject int64, staff bool) string {
	switch {
	case c.Field == FieldPasswordReset:
		return "whoever opened the reset link mailed to the account"
	case c.ActorID != 0 && c.ActorID == subject && staff:
		return "the participant"
	case c.ActorID != 0 && c.ActorID == subject:
		return "you"
	case c.ActorName != "":
		return c.ActorName + " (staff)"
	}
	return "the site"
}

// Errors with messages fit for the person.
var (
	ErrNotFound   = errors.New("There is no such participant.")
	ErrEmailTaken = errors.New("That e-mail address already belongs to an account.")
)

// Limits on what a person may type.
const (
	MaxName     = 200
	MaxAddress  = 1000
	MaxAffil    = 300
	MaxEmail    = 254
	MinPassword = 10
	MaxPassword = 1000
)

// CleanText trims s and checks it is valid UTF-8 without control
// characters (newlines allowed when multiline), at most max characters.
// Its error is a *validate.Problem of field.
func CleanText(field, label, s string, max int, required, multiline bool) (string, error) {
	if !utf8.ValidString(s) {
		return "", validate.Fail(field, label+" contains bytes that are not valid text (UTF-8). Please type it again.")
	}
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	for _, r := range s {
		if (unicode.IsControl(r) && !(multiline && r == '\n')) || r == '\u2028' || r == '\u2029' {
			return "", validate.Fail(field, label+" contains control characters. Please use plain text.")
		}
	}
	if required && s == "" {
		return "", validate.Fail(field, label+" is required.")
	}
	if n := utf8.RuneCountInString(s); n > max {
		return "", validate.Fail(field, fmt.Sprintf("%s is too long: %d characters, at most %d.", label, n, max))
	}
	return s, nil
}

// CleanName checks a person's name.
func CleanName(s string) (string, error) {
	return CleanText("name", "The name", s, MaxName, true, false)
}

// CleanEmail checks that s is one plain e-mail address and returns it
// trimmed; the domain is lower-cased, the local part kept as typed.
func CleanEmail(s string) (string, error) { return cleanEmail("email", s) }

// cleanEmail is CleanEmail reporting its problem under field.
func cleanEmail(field, s string) (string, error) {
	bad := validate.Fail(field, "That does not look like an e-mail address. Please type one address, such as name@example.org.")
	s = strings.TrimSpace(s)
	if s == "" {
		return "", validate.Fail(field, "The e-mail address is required.")
	}
	if !utf8.ValidString(s) || len(s) > MaxEmail {
		return "", bad
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return "", bad
	}
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return "", bad
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f {
			return "", bad
		}
	}
	return local + "@" + strings.ToLower(domain), nil
}

// CheckPassword checks a new password: long enough counting only the
// characters one can see, so ten spaces, or one letter padded with
// invisible characters, are not a password.
func CheckPassword(pw string) error {
	visible := 0
	for _, r := range pw {
		if !unicode.IsSpace(r) && !unicode.IsControl(r) && !unicode.Is(unicode.Cf, r) {
			visible++
		}
	}
	switch n := utf8.RuneCountInString(pw); {
	case !utf8.ValidString(pw):
		return validate.Fail("password", "The password contains bytes that are not valid text (UTF-8).")
	case pw == "":
		return validate.Fail("password", fmt.Sprintf("A password is required: use at least %d characters.", MinPassword))
	case n < MinPassword:
		return validate.Fail("password", fmt.Sprintf("The password is too short: use at least %d characters.", MinPassword))
	case visible < MinPassword:
		return validate.Fail("password", fmt.Sprintf("The password is mostly spaces: use at least %d characters that are not spaces.", MinPassword))
	case len(pw) > MaxPassword:
		return validate.Fail("password", fmt.Sprintf("The password is too long: at most %d characters.", MaxPassword))
	}
	return nil
}

// addressKey is how addresses are compared: case does not matter.
func addressKey(addr string) string { return strings.ToLower(addr) }

// New is what creating a person needs.
type New struct {
	Name         string
	Email        string
	Origin       Origin
	Verified     bool
	PasswordHash string
	AgeAttested  bool
	Roles        []auth.Role
	Actor        int64 // who created it; 0 for the person themself or the CLI
}

// Create stores a person with one primary address and roles. It returns
// ErrEmailTaken when the address belongs to someone already.
func Create(ctx context.Context, q store.Querier, n New, now time.Time) (Person, Email, error) {
	now = now.UTC()
	if err := releaseUnproven(ctx, q, n.Email, now); err != nil {
		return Person{}, Email{}, err
	}
	if _, _, err := FindByEmail(ctx, q, n.Email); err == nil {
		return Person{}, Email{}, ErrEmailTaken
	} else if !errors.Is(err, ErrNotFound) {
		return Person{}, Email{}, err
	}
	id, err := createPerson(ctx, q, n, now)
	if err != nil {
		return Person{}, Email{}, err
	}
	e, err := addEmail(ctx, q, id, n.Email, n.Origin, true, n.Verified, now)
	if err != nil {
		return Person{}, Email{}, err
	}
	p, err := Get(ctx, q, id)
	return p, e, err
}

// createPerson stores a person with roles and no address (n.Email is not
// used); Create adds the primary address, a sign-up that claims an
// unproven record's address gets it once its mailbox is proven (takeOver).
func createPerson(ctx context.Context, q store.Querier, n New, now time.Time) (int64, error) {
	now = now.UTC()
	var age any
	if n.AgeAttested {
		age = now
	}
	id, err := store.Insert(ctx, q, "INSERT INTO people (name, password_hash, age_attested_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
		n.Name, n.PasswordHash, age, now, now)
	if err != nil {
		return 0, fmt.Errorf("creating a participant: %w", err)
	}
	for _, r := range n.Roles {
		if _, err := q.Exec(ctx, "INSERT INTO person_roles (person_id, role, granted_at) VALUES (?, ?, ?)", id, string(r), now); err != nil {
			return 0, fmt.Errorf("giving a role: %w", err)
		}
	}
	return id, nil
}

func addEmail(ctx context.Context, q store.Querier, personID int64, addr string, origin Origin, primary, verified bool, now time.Time) (Email, error) {
	var ver any
	if verified {
		ver = now
	}
	id, err := store.Insert(ctx, q, "INSERT INTO person_emails (person_id, address, address_key, origin, is_primary, verified_at, active, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		personID, addr, addressKey(addr), string(origin), primary, ver, true, now)
	if store.IsUniqueViolation(err) {
		return Email{}, ErrEmailTaken
	}
	if err != nil {
		return Email{}, fmt.Errorf("adding an e-mail address: %w", err)
	}
	return GetEmail(ctx, q, personID, id)
}

const personColumns = "id, name, postal_address, affiliation, password_hash, age_attested_at, created_at, updated_at"

func scanPerson(row interface{ Scan(...any) error }) (Person, error) {
	var p Person
	var age sql.NullTime
	err := row.Scan(&p.ID, &p.Name, &p.PostalAddress, &p.Affiliation, &p.passwordHash, &age, &p.CreatedAt, &p.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return p, ErrNotFound
	}
	if age.Valid {
		t := age.Time
		p.AgeAttestedAt = &t
	}
	p.HasPassword = p.passwordHash != ""
	return p, err
}

// Get returns a person by id.
func Get(ctx context.Context, q store.Querier, id int64) (Person, error) {
	return scanPerson(q.QueryRow(ctx, "SELECT "+personColumns+" FROM people WHERE id = ?", id))
}

const emailColumns = "id, person_id, address, origin, is_primary, verified_at, active, created_at"

func scanEmail(row interface{ Scan(...any) error }) (Email, error) {
	var e Email
	var ver sql.NullTime
	var origin string
	err := row.Scan(&e.ID, &e.PersonID, &e.Address, &origin, &e.Primary, &ver, &e.Active, &e.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return e, ErrNotFound
	}
	e.Origin = Origin(origin)
	if ver.Valid {
		t := ver.Time
		e.VerifiedAt = &t
	}
	return e, err
}

// GetEmail returns one address of a person.
func GetEmail(ctx context.Context, q store.Querier, personID, emailID int64) (Email, error) {
	return scanEmail(q.QueryRow(ctx, "SELECT "+emailColumns+" FROM person_emails WHERE id = ? AND person_id = ?", emailID, personID))
}

// FindByEmail returns the person an address belongs to, and the address.
func FindByEmail(ctx context.Context, q store.Querier, addr string) (Person, Email, error) {
	e, err := scanEmail(q.QueryRow(ctx, "SELECT "+emailColumns+" FROM person_emails WHERE address_key = ?", addressKey(strings.TrimSpace(addr))))
	if err != nil {
		return Person{}, e, err
	}
	p, err := Get(ctx, q, e.PersonID)
	return p, e, err
}

// Emails lists a person's addresses, primary first.
func Emails(ctx context.Context, q store.Querier, personID int64) ([]Email, error) {
	rows, err := q.Query(ctx, "SELECT "+emailColumns+" FROM person_emails WHERE person_id = ? ORDER BY is_primary DESC, id", personID)
	if err != nil {
		return nil, fmt.Errorf("listing e-mail addresses: %w", err)
	}
	defer rows.Close()
	var out []Email
	for rows.Next() {
		e, err := scanEmail(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Primary returns a person's primary address.
func Primary(ctx context.Context, q store.Querier, personID int64) (Email, error) {
	return scanEmail(q.QueryRow(ctx, "SELECT "+emailColumns+" FROM person_emails WHERE person_id = ? AND is_primary = ?", personID, true))
}

// Roles returns a person's roles, in the order of auth.AllRoles.
func Roles(ctx context.Context, q store.Querier, personID int64) ([]auth.Role, error) {
	rows, err := q.Query(ctx, "SELECT role FROM person_roles WHERE person_id = ?", personID)
	if err != nil {
		return nil, fmt.Errorf("reading roles: %w", err)
	}
	defer rows.Close()
	have := map[auth.Role]bool{}
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, err
		}
		have[auth.Role(r)] = true
	}
	var out []auth.Role
	for _, r := range auth.AllRoles {
		if have[r] {
			out = append(out, r)
		}
	}
	return out, rows.Err()
}

// SessionIdentity returns the identity behind a live session token of
// kind, or nil for an unknown or expired token or a person no longer
// there. It is auth.LookupSession and Identity in one query (a row per
// role), since every signed-in request asks it first.
func SessionIdentity(ctx context.Context, q store.Querier, token, kind string, now time.Time) (*auth.Identity, error) {
	if token == "" || len(token) > 100 {
		return nil, nil
	}
	rows, err := q.Query(ctx, `SELECT p.id, p.name, COALESCE(r.role, '') FROM sessions s
		JOIN people p ON p.id = s.person_id
		LEFT JOIN person_roles r ON r.person_id = p.id
		WHERE s.token_hash = ? AND s.kind = ? AND s.expires_at > ?`, auth.HashToken(token), kind, now.UTC())
	if err != nil {
		return nil, fmt.Errorf("looking up a session: %w", err)
	}
	defer rows.Close()
	var id *auth.Identity
	have := map[auth.Role]bool{}
	for rows.Next() {
		var pid int64
		var name, role string
		if err := rows.Scan(&pid, &name, &role); err != nil {
			return nil, fmt.Errorf("looking up a session: %w", err)
		}
		id = &auth.Identity{PersonID: pid, Name: name}
		if role != "" {
			have[auth.Role(role)] = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("looking up a session: %w", err)
	}
	if id != nil {
		for _, r := range auth.AllRoles { // in their declared order, as Roles gives them
			if have[r] {
				id.Roles = append(id.Roles, r)
			}
		}
	}
	return id, nil
}

// Identity returns the auth identity of a person.
func Identity(ctx context.Context, q store.Querier, personID int64) (*auth.Identity, error) {
	p, err := Get(ctx, q, personID)
	if err != nil {
		return nil, err
	}
	roles, err := Roles(ctx, q, personID)
	if err != nil {
		return nil, err
	}
	return &auth.Identity{PersonID: p.ID, Name: p.Name, Roles: roles}, nil
}

// record writes one entry of a person's history.
func record(ctx context.Context, q store.Querier, personID, actor int64, field, old, new string, now time.Time) error {
	var a any
	if actor != 0 {
		a = actor
	}
	_, err := q.Exec(ctx, "INSERT INTO person_changes (person_id, actor_id, field, old_value, new_value, changed_at) VALUES (?, ?, ?, ?, ?, ?)",
		personID, a, field, old, new, now.UTC())
	if err != nil {
		return fmt.Errorf("recording a change: %w", err)
	}
	return nil
}

// Details are the fields a person (or staff on their request) may correct.
type Details struct {
	Name, PostalAddress, Affiliation string
}

// CleanDetails checks every field and returns the cleaned values, or a
// *validate.Errors with the problem of each bad field.
func CleanDetails(d Details) (Details, error) {
	var errs validate.Errors
	d.checkInto(&errs)
	return d, errs.Err()
}

// checkInto cleans d in place and adds its problems to errs.
func (d *Details) checkInto(errs *validate.Errors) {
	var err error
	d.Name, err = CleanName(d.Name)
	errs.Check("name", err)
	d.PostalAddress, err = CleanText("postal_address", "The postal address", d.PostalAddress, MaxAddress, false, true)
	errs.Check("postal_address", err)
	d.Affiliation, err = CleanText("affiliation", "The affiliation", d.Affiliation, MaxAffil, false, false)
	errs.Check("affiliation", err)
}

// Update sets a person's details, recording each field that changed with
// its old value and who changed it. It returns the names of the fields
// changed. Run it in a transaction.
func Update(ctx context.Context, q store.Querier, personID, actor int64, d Details, now time.Time) ([]string, error) {
	d, err := CleanDetails(d)
	if err != nil {
		return nil, err
	}
	p, err := Get(ctx, q, personID)
	if err != nil {
		return nil, err
	}
	var changed []string
	for _, f := range []struct{ field, old, new string }{
		{"name", p.Name, d.Name},
		{"postal_address", p.PostalAddress, d.PostalAddress},
		{"affiliation", p.Affiliation, d.Affiliation},
	} {
		if f.old == f.new {
			continue
		}
		if err := record(ctx, q, personID, actor, f.field, f.old, f.new, now); err != nil {
			return nil, err
		}
		changed = append(changed, f.field)
	}
	if len(changed) == 0 {
		return nil, nil
	}
	_, err = q.Exec(ctx, "UPDATE people SET name = ?, postal_address = ?, affiliation = ?, updated_at = ? WHERE id = ?",
		d.Name, d.PostalAddress, d.Affiliation, now.UTC(), personID)
	if err != nil {
		return nil, fmt.Errorf("updating a participant: %w", err)
	}
	return changed, nil
}

// setPassword stores a new password hash; the history says the password
// changed and how (field), never what it was.
func setPassword(ctx context.Context, q store.Querier, personID, actor int64, field, hash string, now time.Time) error {
	if _, err := q.Exec(ctx, "UPDATE people SET password_hash = ?, updated_at = ? WHERE id = ?", hash, now.UTC(), personID); err != nil {
		return fmt.Errorf("setting a password: %w", err)
	}
	return record(ctx, q, personID, actor, field, "", "(changed)", now)
}

// AddEmail adds a non-primary, unconfirmed address with its origin: the
// building block of the use cases that add addresses, and of other domains
// that learn an address from a public record.
func AddEmail(ctx context.Context, q store.Querier, personID, actor int64, addr string, origin Origin, now time.Time) (Email, error) {
	if err := releaseUnproven(ctx, q, addr, now); err != nil {
		return Email{}, err
	}
	e, err := addEmail(ctx, q, personID, addr, origin, false, false, now.UTC())
	if err != nil {
		return e, err
	}
	return e, record(ctx, q, personID, actor, "email added", "", addr, now)
}

// releaseUnproven frees an address for the one who now claims it (signs up
// with it, or adds it to their account) when the claim that holds it was
// never proved: a claim nobody proved must not keep the owner of the
// address from signing up or adding it.
//
//   - An address an account's holder added themselves as a secondary
//     address and never confirmed is deleted (addresses from public records
//     or entered by staff stay on an account that proved a mailbox).
//   - A sign-up that never proved any mailbox (pendingSignUp) is replaced:
//     claimed by its own address, it is deleted as SweepUnconfirmed would
//     delete it a week later, so its confirmation links stop working and
//     whoever proves the mailbox gets the account with the password they
//     chose; any other address it holds is deleted.
//
// The other account's history says an unconfirmed address was released,
// without naming it, since the address is not that person's data.
func releaseUnproven(ctx context.Context, q store.Querier, addr string, now time.Time) error {
	var id, owner int64
	var primary bool
	var origin string
	err := q.QueryRow(ctx, "SELECT id, person_id, is_primary, origin FROM person_emails WHERE address_key = ? AND verified_at IS NULL",
		addressKey(addr)).Scan(&id, &owner, &primary, &origin)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("checking an unconfirmed address: %w", err)
	}
	pending, err := pendingSignUp(ctx, q, owner)
	if err != nil {
		return err
	}
	switch {
	case pending && primary:
		if err := unlinkAuthors(ctx, q, owner); err != nil {
			return err
		}
		if _, err := q.Exec(ctx, "DELETE FROM people WHERE id = ?", owner); err != nil {
			return fmt.Errorf("replacing an unconfirmed sign-up: %w", err)
		}
		return nil
	case pending, !primary && Origin(origin) == OriginSelf:
		if _, err := q.Exec(ctx, "DELETE FROM person_emails WHERE id = ?", id); err != nil {
			return fmt.Errorf("releasing an unconfirmed address: %w", err)
		}
		return record(ctx, q, owner, 0, "unconfirmed address released", "", "", now)
	}
	return nil
}

// pendingSignUp reports whether a person is a sign-up that never proved
// any mailbox: they chose a password, but confirmed no address (so no link
// mailed to one has reset their password or signed them in, since those
// go only to confirmed addresses) and hold no staff role. Such an account
// opens nothing: its password signs in only once an address is confirmed.
// A record made from a public record (a draft's author) has no password
// and is not one (see unprovenRecord).
func pendingSignUp(ctx context.Context, q store.Querier, personID int64) (bool, error) {
	unproven, password, err := neverProven(ctx, q, personID)
	return unproven && password, err
}

// verifyEmail marks an address as confirmed by its owner, and says so in
// the history.
func verifyEmail(ctx context.Context, q store.Querier, personID int64, e Email, now time.Time) error {
	res, err := q.Exec(ctx, "UPDATE person_emails SET verified_at = ? WHERE id = ? AND person_id = ? AND verified_at IS NULL", now.UTC(), e.ID, personID)
	if err != nil {
		return fmt.Errorf("confirming an address: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err
	}
	return record(ctx, q, personID, personID, "email confirmed", "", e.Address, now)
}

// Errors of address management, fit for the person.
var (
	ErrPrimaryNeedsVerified = errors.New("Only a confirmed, active address can be the primary one. Confirm it first.")
	ErrCannotRemovePrimary  = errors.New("The primary address cannot be removed. Make another address primary first.")
)

// setPrimary makes a verified, active address the primary one.
func setPrimary(ctx context.Context, q store.Querier, personID, actor, emailID int64, now time.Time) error {
	e, err := GetEmail(ctx, q, personID, emailID)
	if err != nil {
		return err
	}
	if !e.Verified() || !e.Active {
		return ErrPrimaryNeedsVerified
	}
	if e.Primary {
		return nil
	}
	old, err := Primary(ctx, q, personID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	if _, err := q.Exec(ctx, "UPDATE person_emails SET is_primary = ? WHERE person_id = ?", false, personID); err != nil {
		return err
	}
	if _, err := q.Exec(ctx, "UPDATE person_emails SET is_primary = ? WHERE id = ?", true, emailID); err != nil {
		return err
	}
	return record(ctx, q, personID, actor, "primary email", old.Address, e.Address, now)
}

// removeEmail erases an address, or, when it belongs to a public record,
// deactivates it: the record keeps it, but the site no longer uses it to
// reach or sign in the person, and every link mailed to it (a reset, a
// sign-in link) stops working. It reports whether the address was erased.
func removeEmail(ctx context.Context, q store.Querier, personID, actor, emailID int64, now time.Time) (erased bool, err error) {
	e, err := GetEmail(ctx, q, personID, emailID)
	if err != nil {
		return false, err
	}
	if e.Primary {
		return false, ErrCannotRemovePrimary
	}
	if e.Origin.PublicRecord() {
		if !e.Active {
			return false, nil
		}
		if _, err := q.Exec(ctx, "UPDATE person_emails SET active = ? WHERE id = ?", false, emailID); err != nil {
			return false, err
		}
		// The row stays, so its links do not go with it as they go with
		// an erased one (the foreign key cascades): they are ended here.
		if err := auth.DropTokensFor(ctx, q, emailID); err != nil {
			return false, err
		}
		return false, record(ctx, q, personID, actor, "email deactivated", e.Address, "", now)
	}
	if _, err := q.Exec(ctx, "DELETE FROM person_emails WHERE id = ?", emailID); err != nil {
		return false, err
	}
	// The history says an address was removed, not which, and forgets it
	// where it was recorded before: keeping it would undo the erasure.
	for _, col := range []string{"old_value", "new_value"} {
		if _, err := q.Exec(ctx, "UPDATE person_changes SET "+col+" = ? WHERE person_id = ? AND "+col+" = ?", "(removed address)", personID, e.Address); err != nil {
			return false, err
		}
	}
	return true, record(ctx, q, personID, actor, "email removed", "", "", now)
}

// setRoles replaces a person's roles; participant is always kept. A staff
// role is refused while the person has an active address they have not
// confirmed themselves: whoever holds such an address could otherwise
// come to hold the role (see unconfirmedBlock).
func setRoles(ctx context.Context, q store.Querier, personID, actor int64, roles []auth.Role, now time.Time) error {
	if !slices.Contains(roles, auth.Participant) {
		roles = append([]auth.Role{auth.Participant}, roles...)
	}
	old, err := Roles(ctx, q, personID)
	if err != nil {
		return err
	}
	if slices.ContainsFunc(roles, func(r auth.Role) bool { return r != auth.Participant }) {
		if err := unconfirmedBlock(ctx, q, personID); err != nil {
			return err
		}
	}
	if _, err := q.Exec(ctx, "DELETE FROM person_roles WHERE person_id = ?", personID); err != nil {
		return err
	}
	var names []string
	for _, r := range auth.AllRoles {
		if !slices.Contains(roles, r) {
			continue
		}
		names = append(names, string(r))
		if _, err := q.Exec(ctx, "INSERT INTO person_roles (person_id, role, granted_at) VALUES (?, ?, ?)", personID, string(r), now.UTC()); err != nil {
			return err
		}
	}
	oldNames := make([]string, len(old))
	for i, r := range old {
		oldNames[i] = string(r)
	}
	if strings.Join(oldNames, ",") == strings.Join(names, ",") {
		return nil
	}
	return record(ctx, q, personID, actor, "roles", strings.Join(oldNames, ", "), strings.Join(names, ", "), now)
}

// History lists a person's changes, newest first, with who made them.
func History(ctx context.Context, q store.Querier, personID int64) ([]Change, error) {
	rows, err := q.Query(ctx, `SELECT c.actor_id, COALESCE(a.name, ''), c.field, c.old_value, c.new_value, c.changed_at
		FROM person_changes c LEFT JOIN people a ON a.id = c.actor_id
		WHERE c.person_id = ? ORDER BY c.changed_at DESC, c.id DESC`, personID)
	if err != nil {
		return nil, fmt.Errorf("reading history: %w", err)
	}
	defer rows.Close()
	var out []Change
	for rows.Next() {
		var c Change
		var actor sql.NullInt64
		if err := rows.Scan(&actor, &c.ActorName, &c.Field, &c.Old, &c.New, &c.At); err != nil {
			return nil, err
		}
		c.ActorID = actor.Int64
		out = append(out, c)
	}
	return out, rows.Err()
}

// UnconfirmedGrace is how long a sign-up whose address was never confirmed
// is kept: long enough for a slow mail, short enough that typing someone
// else's address leaves nothing behind.
const UnconfirmedGrace = 7 * 24 * time.Hour

// SweepUnconfirmed deletes accounts created before the cutoff that never
// confirmed any address, hold no address from a public record or staff,
// and have no staff role. Their addresses, roles, sessions, links and
// history go with them (foreign keys cascade); their consent entries stay,
// under a number that now leads to no one.
func SweepUnconfirmed(ctx context.Context, q store.Querier, cutoff time.Time) (int64, error) {
	const unconfirmed = `created_at < ?
		AND NOT EXISTS (SELECT 1 FROM person_emails e WHERE e.person_id = people.id AND (e.verified_at IS NOT NULL OR e.origin <> ?))
		AND NOT EXISTS (SELECT 1 FROM person_roles r WHERE r.person_id = people.id AND r.role <> ?)`
	args := []any{cutoff.UTC(), string(OriginSelf), string(auth.Participant)}
	// A draft's author row linked to such an account (before drafts linked
	// only proven holders, see RecordLink) is unlinked first, to be linked
	// to whoever proves its address.
	if _, err := q.Exec(ctx, "UPDATE draft_authors SET person_id = NULL WHERE person_id IN (SELECT id FROM people WHERE "+unconfirmed+")", args...); err != nil {
		return 0, fmt.Errorf("removing unconfirmed sign-ups: %w", err)
	}
	res, err := q.Exec(ctx, "DELETE FROM people WHERE "+unconfirmed, args...)
	if err != nil {
		return 0, fmt.Errorf("removing unconfirmed sign-ups: %w", err)
	}
	return res.RowsAffected()
}

// SweepHistory deletes history entries older than keepDays (a negative
// value keeps them forever) and returns how many it removed.
func SweepHistory(ctx context.Context, q store.Querier, keepDays int, now time.Time) (int64, error) {
	if keepDays < 0 {
		return 0, nil
	}
	res, err := q.Exec(ctx, "DELETE FROM person_changes WHERE changed_at < ?", now.UTC().AddDate(0, 0, -keepDays))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Found is one row of a search or of the browsing list.
type Found struct {
	ID        int64
	Name      string
	Email     string // the primary address
	Confirmed bool   // some address of the account is confirmed
	CreatedAt time.Time
}

// foundColumns and foundFrom read a Found row from people p.
const (
	foundColumns = `p.id, p.name, COALESCE(e.address, ''), p.created_at,
		CASE WHEN EXISTS (SELECT 1 FROM person_emails v WHERE v.person_id = p.id AND v.verified_at IS NOT NULL) THEN 1 ELSE 0 END`
	foundFrom = ` FROM people p LEFT JOIN person_emails e ON e.person_id = p.id AND e.is_primary = ?`
)

func scanFound(rows *sql.Rows) ([]Found, error) {
	defer rows.Close()
	var out []Found
	for rows.Next() {
		var f Found
		var confirmed int
		if err := rows.Scan(&f.ID, &f.Name, &f.Email, &f.CreatedAt, &confirmed); err != nil {
			return nil, err
		}
		f.Confirmed = confirmed == 1
		out = append(out, f)
	}
	return out, rows.Err()
}

// search finds people whose name or any address contains text, up to 50.
func search(ctx context.Context, q store.Querier, text string) ([]Found, error) {
	text = strings.ToLower(strings.TrimSpace(text))
	if text == "" {
		return nil, nil
	}
	like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(text) + "%"
	rows, err := q.Query(ctx, `SELECT `+foundColumns+foundFrom+`
		WHERE LOWER(p.name) LIKE ? ESCAPE '\' OR p.id IN (SELECT person_id FROM person_emails WHERE address_key LIKE ? ESCAPE '\')
		ORDER BY p.name, p.id LIMIT 50`, true, like, like)
	if err != nil {
		return nil, fmt.Errorf("searching participants: %w", err)
	}
	return scanFound(rows)
}

// pageSize is how many people one page of the browsing list shows.
const pageSize = 50

// browse lists one page of people, newest first, and whether a next page
// exists.
func browse(ctx context.Context, q store.Querier, page int) ([]Found, bool, error) {
	if page < 1 {
		page = 1
	}
	rows, err := q.Query(ctx, `SELECT `+foundColumns+foundFrom+`
		ORDER BY p.created_at DESC, p.id DESC LIMIT ? OFFSET ?`, true, pageSize+1, (page-1)*pageSize)
	if err != nil {
		return nil, false, fmt.Errorf("listing participants: %w", err)
	}
	out, err := scanFound(rows)
	if err != nil {
		return nil, false, err
	}
	if len(out) > pageSize {
		return out[:pageSize], true, nil
	}
	return out, false, nil
}
