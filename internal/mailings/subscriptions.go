// Package mailings is plenary's periodic mail to participants (D1, D2):
// participants opt in from their account page and confirm by a mailed
// link; the secretariat writes an announcement and sends it, as a
// resumable job, only to confirmed subscribers; every copy carries a
// one-click unsubscribe link (RFC 8058); a reply saying "unsubscribe" has
// that link mailed to the subscriber, and a call or letter recorded by
// staff opts out as well. Every change of
// mind is an entry in the consent ledger, written in the transaction that
// makes it.
package mailings

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"plenary/internal/audit"
	"plenary/internal/auth"
	"plenary/internal/mail"
	"plenary/internal/people"
	"plenary/internal/policy"
	"plenary/internal/store"
)

// Env is what the use cases need besides their input: the database, the
// audit log, the statement service (for the ledger's version and
// transfer statement) and the key unsubscribe tokens are derived from.
type Env struct {
	DB     *store.DB
	Audit  *audit.Log
	Policy *policy.Service
	// Key derives each copy's unsubscribe token; see token.
	Key []byte
}

// KeyPurpose names the key, derived from the master key, that unsubscribe
// tokens come from; every instance derives the same.
const KeyPurpose = "mailing-unsubscribe"

// Ledger purposes for mailings.
const (
	PurposeRequested = "participant mailings: asked to receive them, confirmation link sent"
	PurposeMailings  = "participant mailings"
)

// Subscription states.
const (
	StateNone      = ""
	StatePending   = "pending"
	StateConfirmed = "confirmed"
	StateOptedOut  = "opted_out"
)

// ConfirmTTL is how long a confirmation link works.
const ConfirmTTL = 48 * time.Hour

// Subscription is one person's current choice.
type Subscription struct {
	PersonID      int64
	State         string
	RequestedAt   time.Time
	ConfirmedAt   *time.Time
	OptedOutAt    *time.Time
	OptOutChannel string
}

// Actor is who does something: a person (the participant or a staff
// member) or the site itself (ID 0, for a reply handled by mail).
type Actor struct {
	ID   int64
	Name string
}

// Errors a participant or staff member can meet; each message is fit to show.
var (
	ErrNotChecked    = errors.New("To receive announcements, tick the box first. Nothing was changed.")
	ErrNoAddress     = errors.New("Your primary e-mail address is not confirmed yet, so announcements could not reach you. Confirm it first, on this page.")
	ErrAlready       = errors.New("You already receive announcements. Nothing was changed.")
	ErrNotSubscribed = errors.New("There is no subscription to stop. Nothing was changed.")
	ErrLinkUnknown   = errors.New("This link is not valid. Check that you copied the whole link from the message.")
	ErrLinkUsed      = errors.New("This link has already been used, so it does nothing now.")
	ErrLinkExpired   = errors.New("This confirmation link has expired. Ask for a new one on your account page.")
	ErrBadChannel    = errors.New("Choose how the opt-out reached you: phone or post.")
	ErrUnknownPerson = errors.New("No participant has that e-mail address.")
)

// Get returns a person's subscription; State is StateNone when they never
// asked.
func Get(ctx context.Context, q store.Querier, personID int64) (Subscription, error) {
	s := Subscription{PersonID: personID}
	err := q.QueryRow(ctx, "SELECT state, requested_at, confirmed_at, opted_out_at, opt_out_channel FROM mailing_subscriptions WHERE person_id = ?", personID).
		Scan(&s.State, &s.RequestedAt, &s.ConfirmedAt, &s.OptedOutAt, &s.OptOutChannel)
	if errors.Is(err, sql.ErrNoRows) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("reading the mailing subscription of person %d: %w", personID, err)
	}
	return s, nil
}

// terms are the ledger's version and transfer statement at the time.
func (env Env) terms(ctx context.Context) (policy.Version, string, error) {
	v, err := env.Policy.Current(ctx)
	if err != nil {
		return v, "", fmt.Errorf("reading the current privacy statement: %w", err)
	}
	return v, env.Policy.TransferStatement(), nil
}

func (env Env) ledger(ctx context.Context, tx *store.Tx, personID int64, purpose string, granted bool, channel string, by int64, now time.Time) error {
	v, transfer, err := env.terms(ctx)
	if err != nil {
		return err
	}
	return policy.Record(ctx, tx, policy.Consent{PersonID: personID, Purpose: purpose, Granted: granted,
		VersionID: v.ID, Channel: channel, Transfer: transfer, RecordedBy: by, At: now})
}

func (env Env) audit(ctx context.Context, q store.Querier, a Actor, action, subject, detail string) error {
	label := a.Name
	if a.ID == 0 && label == "" {
		label = "system"
	}
	return env.Audit.Record(ctx, q, audit.Entry{Actor: a.ID, Label: label, Action: action, Subject: subject, Detail: detail})
}

func personSubject(id int64) string { return "person:" + strconv.FormatInt(id, 10) }

// OptIn records that a participant asked, on the web, to receive
// announcements (checked says the box was ticked: it never is by
// default), and returns the token of the confirmation link to mail to
// address, their primary confirmed address. Nothing is sent to them until
// they follow it (double opt-in).
func OptIn(ctx context.Context, env Env, a Actor, checked bool, now time.Time) (token, address string, err error) {
	if !checked {
		return "", "", ErrNotChecked
	}
	now = now.UTC()
	err = env.DB.Tx(ctx, func(tx *store.Tx) error {
		e, err := people.Primary(ctx, tx, a.ID)
		if errors.Is(err, sql.ErrNoRows) || err == nil && (!e.Verified() || !e.Active) {
			return ErrNoAddress
		}
		if err != nil {
			return err
		}
		address = e.Address
		cur, err := Get(ctx, tx, a.ID)
		if err != nil {
			return err
		}
		if cur.State == StateConfirmed {
			return ErrAlready
		}
		token = auth.NewToken()
		if _, err := tx.Exec(ctx, `INSERT INTO mailing_subscriptions (person_id, state, requested_at, confirm_token_hash, confirm_expires_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (person_id) DO UPDATE SET state = excluded.state, requested_at = excluded.requested_at,
			confirmed_at = NULL, confirm_token_hash = excluded.confirm_token_hash, confirm_expires_at = excluded.confirm_expires_at`,
			a.ID, StatePending, now, auth.HashToken(token), now.Add(ConfirmTTL)); err != nil {
			return fmt.Errorf("recording the opt-in: %w", err)
		}
		if err := env.ledger(ctx, tx, a.ID, PurposeRequested, true, policy.ChannelWeb, 0, now); err != nil {
			return err
		}
		return env.audit(ctx, tx, a, "mailings.opt-in", personSubject(a.ID), "confirmation link sent")
	})
	return token, address, err
}

// ConfirmPending checks a confirmation link without using it, for the
// page that shows the button (GET never changes state). It returns the
// address the announcements will go to.
func ConfirmPending(ctx context.Context, q store.Querier, token string, now time.Time) (personID int64, err error) {
	var state string
	var expires time.Time
	err = q.QueryRow(ctx, "SELECT person_id, state, confirm_expires_at FROM mailing_subscriptions WHERE confirm_token_hash = ?", auth.HashToken(token)).
		Scan(&personID, &state, &expires)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, ErrLinkUnknown
	case err != nil:
		return 0, fmt.Errorf("reading a mailing confirmation: %w", err)
	case state != StatePending:
		return 0, ErrLinkUsed
	case !now.Before(expires):
		return 0, ErrLinkExpired
	}
	return personID, nil
}

// Confirm completes a double opt-in: from now on the person receives
// announcements. The link works once.
func Confirm(ctx context.Context, env Env, token string, now time.Time) (personID int64, err error) {
	now = now.UTC()
	err = env.DB.Tx(ctx, func(tx *store.Tx) error {
		if personID, err = ConfirmPending(ctx, tx, token, now); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, "UPDATE mailing_subscriptions SET state = ?, confirmed_at = ?, confirm_token_hash = NULL, confirm_expires_at = NULL WHERE person_id = ? AND state = ?",
			StateConfirmed, now, personID, StatePending)
		if err != nil {
			return fmt.Errorf("confirming the opt-in: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return ErrLinkUsed
		}
		if err := env.ledger(ctx, tx, personID, PurposeMailings, true, policy.ChannelWeb, 0, now); err != nil {
			return err
		}
		return env.audit(ctx, tx, Actor{ID: personID, Name: "participant"}, "mailings.confirm", personSubject(personID), "confirmed by the mailed link")
	})
	return personID, err
}

// optOut ends a subscription in tx and records it: channel says how the
// wish arrived, by the staff member who recorded it (0 when the person
// acted). It reports false when there was nothing to end.
func (env Env) optOut(ctx context.Context, tx *store.Tx, personID int64, a Actor, channel string, by int64, detail string, now time.Time) (bool, error) {
	res, err := tx.Exec(ctx, "UPDATE mailing_subscriptions SET state = ?, opted_out_at = ?, opt_out_channel = ?, confirm_token_hash = NULL, confirm_expires_at = NULL WHERE person_id = ? AND state <> ?",
		StateOptedOut, now.UTC(), channel, personID, StateOptedOut)
	if err != nil {
		return false, fmt.Errorf("recording the opt-out: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	if err := env.ledger(ctx, tx, personID, PurposeMailings, false, channel, by, now); err != nil {
		return false, err
	}
	return true, env.audit(ctx, tx, a, "mailings.opt-out", personSubject(personID), "by "+channel+detail)
}

// OptOut stops announcements for the signed-in participant, from the
// account page.
func OptOut(ctx context.Context, env Env, a Actor, now time.Time) error {
	return env.DB.Tx(ctx, func(tx *store.Tx) error {
		done, err := env.optOut(ctx, tx, a.ID, a, policy.ChannelWeb, 0, "", now)
		if err == nil && !done {
			return ErrNotSubscribed
		}
		return err
	})
}

// RecordOptOut is a staff member recording an opt-out that reached the
// organization by phone or post, for the participant with address addr.
// note says which call or letter (kept in the audit log).
func RecordOptOut(ctx context.Context, env Env, staff Actor, addr, channel, note string, now time.Time) (personID int64, err error) {
	var problems []string
	if channel != policy.ChannelPhone && channel != policy.ChannelPost {
		problems = append(problems, ErrBadChannel.Error())
	}
	addr, aerr := people.CleanEmail(addr)
	if aerr != nil {
		problems = append(problems, aerr.Error())
	}
	note = strings.TrimSpace(note)
	if note == "" || len(note) > 500 {
		problems = append(problems, "Say which call or letter this was (at most 500 characters), e.g. \"phoned on 3 May\".")
	}
	if len(problems) > 0 {
		return 0, &FormError{Problems: problems}
	}
	err = env.DB.Tx(ctx, func(tx *store.Tx) error {
		p, _, err := people.FindByEmail(ctx, tx, addr)
		if errors.Is(err, sql.ErrNoRows) || errors.Is(err, people.ErrNotFound) {
			return ErrUnknownPerson
		}
		if err != nil {
			return err
		}
		personID = p.ID
		done, err := env.optOut(ctx, tx, p.ID, staff, channel, staff.ID, ": "+note, now)
		if err == nil && !done {
			return ErrNotSubscribed
		}
		return err
	})
	return personID, err
}

// FormError lists every problem of a form at once.
type FormError struct{ Problems []string }

func (e *FormError) Error() string { return strings.Join(e.Problems, " ") }

// UnsubscribeByReply handles a message sent to the announcement address
// that asks to unsubscribe. Anyone can write any From, so the message
// changes nothing by itself: when its sender receives announcements, the
// unsubscribe link of the latest copy they got (or, once the record of
// copies is swept, the account page) is mailed to the address the
// announcements go to, and the subscription ends only when they use it. A
// forged From thus makes at most one mail a day (UnsubscribeLinkHours) to
// the real subscriber, and never opts anyone out. It reports whether a
// link was mailed; a message that does not ask, or whose sender receives
// no announcements, mails nothing.
func UnsubscribeByReply(ctx context.Context, env Env, r ReplyMail, from, text string, now time.Time) (bool, error) {
	if !strings.Contains(strings.ToLower(text), "unsubscribe") {
		return false, nil
	}
	addr, err := people.CleanEmail(from)
	if err != nil {
		return false, nil
	}
	p, _, err := people.FindByEmail(ctx, env.DB, addr)
	if errors.Is(err, sql.ErrNoRows) || errors.Is(err, people.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	// Announcements go to the confirmed primary address (see Send); the
	// link goes there too, whatever address the message came from.
	var to, link string
	var mailing int64
	err = env.DB.QueryRow(ctx, `SELECT e.address FROM mailing_subscriptions s
		JOIN person_emails e ON e.person_id = s.person_id AND e.is_primary = ? AND e.active = ? AND e.verified_at IS NOT NULL
		WHERE s.person_id = ? AND s.state = ?`, true, true, p.ID, StateConfirmed).Scan(&to)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil // not receiving announcements: nothing to stop
	}
	if err != nil {
		return false, fmt.Errorf("finding the sender's subscription: %w", err)
	}
	err = env.DB.QueryRow(ctx, `SELECT mailing_id FROM mailing_recipients
		WHERE person_id = ? AND unsubscribed_at IS NULL ORDER BY mailing_id DESC LIMIT 1`, p.ID).Scan(&mailing)
	switch {
	case err == nil:
		link = "open this page and press its button:\n\n" + r.BaseURL + "/unsubscribe/" + token(env.Key, mailing, p.ID)
	case errors.Is(err, sql.ErrNoRows):
		// The record of their copies is swept after a while (and with
		// it the links): the account page stops them as well.
		link = "sign in and change it on your account page:\n\n" + r.BaseURL + "/account"
	default:
		return false, fmt.Errorf("finding the sender's latest announcement: %w", err)
	}
	ok, _, err := unsubscribeLinkLimit.Hit(ctx, env.DB, strconv.FormatInt(p.ID, 10), now)
	if err != nil || !ok {
		return false, err // mailed within the day: the link has not changed
	}
	msg := mail.Message{To: to, Subject: "Stopping the announcements of " + r.Org,
		Body: fmt.Sprintf("We received a message asking to stop the announcements %s sends to %s.\n\n"+
			"To stop them, %s\n\n"+
			"Nothing changes until you do. If you did not ask for this, ignore this message: you keep receiving them.\n",
			r.Org, to, link)}
	if err := r.Mail.Send(ctx, msg); err != nil {
		return false, fmt.Errorf("mailing an unsubscribe link: %w", err)
	}
	return true, nil
}

// ReplyMail is what mailing an unsubscribe link in answer to a reply
// needs: the sender and the site's address and name.
type ReplyMail struct {
	Mail    mail.Sender
	BaseURL string
	Org     string
}

// UnsubscribeLinkHours is how long after mailing a person their
// unsubscribe link, in answer to a reply, no other is mailed.
const UnsubscribeLinkHours = 24

var unsubscribeLinkLimit = auth.Limiter{Action: "mailing-unsubscribe-link", Max: 1, Window: UnsubscribeLinkHours * time.Hour}

// token is the unsubscribe token in one person's copy of one mailing. It
// is derived, not stored (the table keeps its hash), so a copy sent again
// after a crash carries the same link as the first.
func token(key []byte, mailingID, personID int64) string {
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "mailing-unsubscribe:%d:%d", mailingID, personID)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Unsubscription is what an unsubscribe link is about.
type Unsubscription struct {
	PersonID  int64
	MailingID int64
	Address   string
	Subject   string
}

// PeekUnsubscribe checks an unsubscribe link without using it, for the
// page a GET shows.
func PeekUnsubscribe(ctx context.Context, q store.Querier, tok string) (Unsubscription, error) {
	var u Unsubscription
	var used *time.Time
	if len(tok) > 100 {
		return u, ErrLinkUnknown
	}
	err := q.QueryRow(ctx, `SELECT r.person_id, r.mailing_id, r.address, m.subject, r.unsubscribed_at
		FROM mailing_recipients r JOIN mailings m ON m.id = r.mailing_id WHERE r.token_hash = ?`, auth.HashToken(tok)).
		Scan(&u.PersonID, &u.MailingID, &u.Address, &u.Subject, &used)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return u, ErrLinkUnknown
	case err != nil:
		return u, fmt.Errorf("reading an unsubscribe link: %w", err)
	case used != nil:
		return u, ErrLinkUsed
	}
	return u, nil
}

// Unsubscribe ends the subscription an unsubscribe link belongs to: a
// person pressing the button on the page, or a mail client's one-click
// POST (RFC 8058). The link works once; whether or not the person was
// still subscribed, using it is recorded.
func Unsubscribe(ctx context.Context, env Env, tok string, now time.Time) (Unsubscription, error) {
	var u Unsubscription
	err := env.DB.Tx(ctx, func(tx *store.Tx) error {
		var err error
		if u, err = PeekUnsubscribe(ctx, tx, tok); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, "UPDATE mailing_recipients SET unsubscribed_at = ? WHERE token_hash = ? AND unsubscribed_at IS NULL", now.UTC(), auth.HashToken(tok))
		if err != nil {
			return fmt.Errorf("using an unsubscribe link: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return ErrLinkUsed
		}
		_, err = env.optOut(ctx, tx, u.PersonID, Actor{ID: u.PersonID, Name: "participant"}, policy.ChannelWeb, 0,
			" (unsubscribe link of mailing "+strconv.FormatInt(u.MailingID, 10)+")", now)
		return err
	})
	return u, err
}

// ReplyHandler takes mail sent to the announcement address from the
// inbound listener (--smtp-listen): a reply, or the mailto of
// List-Unsubscribe, whose subject or text says "unsubscribe" has the
// sender mailed their unsubscribe link (see UnsubscribeByReply). Any
// other message there is accepted and dropped: replies to announcements
// are not a conversation the site keeps.
type ReplyHandler struct {
	Env   Env
	Reply ReplyMail
	// Mailbox is the announcement address's local part.
	Mailbox string
	Now     func() time.Time
}

// Accepts reports whether local is the announcement mailbox.
func (h *ReplyHandler) Accepts(ctx context.Context, local string) bool {
	return local == strings.ToLower(h.Mailbox)
}

// Receive mails the sender their unsubscribe link when the message asks.
func (h *ReplyHandler) Receive(ctx context.Context, m mail.Inbound) error {
	now := time.Now()
	if h.Now != nil {
		now = h.Now()
	}
	_, err := UnsubscribeByReply(ctx, h.Env, h.Reply, m.From, m.Subject+"\n"+m.Text, now)
	return err
}
