package policy

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"plenary/internal/store"
)

// The consent ledger records, for each person, every agreement given or
// withdrawn: which purpose, under which version of the statement, when,
// through which channel and what they were told about where their data is
// processed (C5, C6, V3). It is append-only: this file has no UPDATE or
// DELETE, and a trigger on each engine refuses them.

// Channels through which consent reaches the organization.
const (
	ChannelWeb   = "web"
	ChannelEmail = "e-mail"
	ChannelPhone = "phone"
	ChannelPost  = "post"
	ChannelStaff = "staff"
	// ChannelBounce is not the person's: a discussion-group subscription
	// ended by the site because mail to it kept bouncing. It is valid in
	// the ledger but not offered on any form.
	ChannelBounce = "bounce"
)

// Channels lists every channel, for validation and staff forms.
var Channels = []string{ChannelWeb, ChannelEmail, ChannelPhone, ChannelPost, ChannelStaff}

// Purposes recorded by the account features.
const (
	PurposeAccount   = "keeping an account (sign-up)"
	PurposeStatement = "acknowledging the privacy statement"
)

// Consent is one ledger entry.
type Consent struct {
	ID         int64
	PersonID   int64
	Purpose    string
	Granted    bool
	VersionID  int64
	Channel    string
	Transfer   string // the transfer statement the person was shown
	RecordedBy int64  // staff who recorded it; 0 when the person did
	// InquiryID names the inquiry an entry came with, for a sender who
	// has no account (PersonID is then 0).
	InquiryID int64
	// SubscriptionID and ContributorID name the discussion-group
	// subscription or contributor an entry is about, for someone who
	// subscribed or posted with an address alone (PersonID is then 0).
	SubscriptionID int64
	ContributorID  int64
	// Email is the address a subscription with an address alone was
	// for: the subscription's row goes when it ends, and the entry must
	// still say whose consent it records (C5).
	Email string
	// RegistrationID names the meeting registration an entry came with,
	// for a registrant without an account.
	RegistrationID int64
	At             time.Time
}

// Record appends an entry. Run it in the transaction of the change it
// records, so the ledger never disagrees with the data.
func Record(ctx context.Context, q store.Querier, c Consent) error {
	switch {
	case (c.PersonID == 0 && c.InquiryID == 0 && c.SubscriptionID == 0 && c.ContributorID == 0 && c.RegistrationID == 0) || strings.TrimSpace(c.Purpose) == "":
		return errors.New("consent ledger: an entry needs a person (or an inquiry, subscription, contributor or registration) and a purpose")
	case c.VersionID == 0:
		return errors.New("consent ledger: an entry needs the policy version shown")
	case !validChannel(c.Channel):
		return fmt.Errorf("consent ledger: unknown channel %q", c.Channel)
	case c.Transfer == "":
		return errors.New("consent ledger: an entry needs the transfer statement shown (C6)")
	}
	var email any
	if c.Email != "" {
		email = c.Email
	}
	orNull := func(id int64) any {
		if id == 0 {
			return nil
		}
		return id
	}
	_, err := q.Exec(ctx, `INSERT INTO consent_ledger (person_id, purpose, granted, policy_version_id, channel, transfer_statement, recorded_by, inquiry_id, subscription_id, contributor_id, registration_id, email, recorded_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, c.PersonID, c.Purpose, c.Granted, c.VersionID, c.Channel, c.Transfer,
		orNull(c.RecordedBy), orNull(c.InquiryID), orNull(c.SubscriptionID), orNull(c.ContributorID), orNull(c.RegistrationID), email, c.At.UTC())
	if err != nil {
		return fmt.Errorf("recording consent: %w", err)
	}
	return nil
}

func validChannel(ch string) bool {
	if ch == ChannelBounce {
		return true
	}
	for _, c := range Channels {
		if c == ch {
			return true
		}
	}
	return false
}

// Entries lists a person's ledger, oldest first.
func Entries(ctx context.Context, q store.Querier, personID int64) ([]Consent, error) {
	return EntriesWhere(ctx, q, "person_id = ?", personID)
}

// EntriesWhere reads the entries that cond selects, oldest first. cond
// comes from code (the data inventory's links, see dsr.Ledger), never
// from input; its values are arguments.
func EntriesWhere(ctx context.Context, q store.Querier, cond string, args ...any) ([]Consent, error) {
	rows, err := q.Query(ctx, `SELECT id, COALESCE(person_id, 0), purpose, granted, policy_version_id, channel, transfer_statement, recorded_by, recorded_at
		FROM consent_ledger WHERE `+cond+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("reading the consent ledger: %w", err)
	}
	defer rows.Close()
	var out []Consent
	for rows.Next() {
		var c Consent
		var by sql.NullInt64
		if err := rows.Scan(&c.ID, &c.PersonID, &c.Purpose, &c.Granted, &c.VersionID, &c.Channel, &c.Transfer, &by, &c.At); err != nil {
			return nil, err
		}
		c.RecordedBy = by.Int64
		out = append(out, c)
	}
	return out, rows.Err()
}

// PendingAcknowledgement returns the newest material version the person
// has not yet agreed to, if any (V3). Agreement to a version is any
// granted entry naming it or a later version: signing up under a version
// covers it.
func (s *Service) PendingAcknowledgement(ctx context.Context, q store.Querier, personID int64) (Version, bool, error) {
	v, err := scanVersion(q.QueryRow(ctx, "SELECT "+versionColumns+" FROM policy_versions WHERE material = ? ORDER BY id DESC LIMIT 1", true))
	if errors.Is(err, sql.ErrNoRows) {
		return v, false, nil
	}
	if err != nil {
		return v, false, fmt.Errorf("reading material versions: %w", err)
	}
	var n int
	if err := q.QueryRow(ctx, "SELECT COUNT(*) FROM consent_ledger WHERE person_id = ? AND granted = ? AND policy_version_id >= ?",
		personID, true, v.ID).Scan(&n); err != nil {
		return v, false, fmt.Errorf("reading the consent ledger: %w", err)
	}
	if n > 0 {
		return v, false, nil
	}
	// Someone who never agreed to anything (created by staff or from a
	// public record) is asked too: better once too often than never.
	return v, true, nil
}

// LastAcknowledged returns the newest version the person agreed to.
func (s *Service) LastAcknowledged(ctx context.Context, q store.Querier, personID int64) (Version, bool, error) {
	v, err := scanVersion(q.QueryRow(ctx, "SELECT "+versionColumns+" FROM policy_versions WHERE id = (SELECT MAX(policy_version_id) FROM consent_ledger WHERE person_id = ? AND granted = ?)", personID, true))
	if errors.Is(err, sql.ErrNoRows) {
		return v, false, nil
	}
	if err != nil {
		return v, false, fmt.Errorf("reading the acknowledged version: %w", err)
	}
	return v, true, nil
}

// TransferStatement is what a point of collection says about where data
// goes (C6): the organization's country and the enabled processors. The
// same text is recorded with the consent it accompanied.
func (s *Service) TransferStatement() string {
	f := s.Facts
	var b strings.Builder
	where := "in the country where " + f.Org + " runs this site"
	if f.Country != "" {
		where = "in " + f.Country
	}
	fmt.Fprintf(&b, "What you give here is processed by %s %s", f.Org, where)
	procs := s.Inventory.EnabledProcessors()
	if len(procs) == 0 {
		b.WriteString(", and by no outside service provider.")
		return b.String()
	}
	b.WriteString(", and by these service providers: ")
	for i, p := range procs {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s (%s), %s", p.Name, p.Location, p.Purpose)
	}
	b.WriteString(".")
	return b.String()
}
