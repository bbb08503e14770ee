package lists

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"plenary/internal/audit"
	"plenary/internal/mail"
	"plenary/internal/people"
	"plenary/internal/policy"
	"plenary/internal/store"
)

// Subscription is one address's subscription to a list.
type Subscription struct {
	ID          int64
	ListID      int64
	List        string
	Email       string
	PersonID    int64
	Token       string
	ConfirmedAt *time.Time
	CreatedAt   time.Time
	// DisabledAt is set when list mail to the address bounced too often
	// (RecordBounce); subscribing again clears it.
	DisabledAt *time.Time
}

// Confirmed reports whether the double opt-in is done.
func (s Subscription) Confirmed() bool { return s.ConfirmedAt != nil }

const subColumns = "s.id, s.list_id, l.name, s.email, s.person_id, s.token, s.confirmed_at, s.created_at, s.disabled_at"

func scanSub(row interface{ Scan(...any) error }) (Subscription, error) {
	var sub Subscription
	var person sql.NullInt64
	var confirmed, disabled sql.NullTime
	err := row.Scan(&sub.ID, &sub.ListID, &sub.List, &sub.Email, &person, &sub.Token, &confirmed, &sub.CreatedAt, &disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return sub, ErrNoSuchLink
	}
	if err != nil {
		return sub, fmt.Errorf("reading a subscription: %w", err)
	}
	sub.PersonID = person.Int64
	if confirmed.Valid {
		t := confirmed.Time.UTC()
		sub.ConfirmedAt = &t
	}
	if disabled.Valid {
		t := disabled.Time.UTC()
		sub.DisabledAt = &t
	}
	return sub, nil
}

// ByToken returns the subscription a mailed link names.
func ByToken(ctx context.Context, q store.Querier, token string) (Subscription, error) {
	return scanSub(q.QueryRow(ctx, "SELECT "+subColumns+" FROM list_subscriptions s JOIN lists l ON l.id = s.list_id WHERE s.token = ?", token))
}

// SubscriptionsOf returns the subscriptions of a person: linked to their
// account, or of an address whose mailbox they proved (mailboxProven). It
// decides what /account lists and ends (UnsubscribeMine) and which
// subscribers-only archives they read (CanRead, Readable).
func SubscriptionsOf(ctx context.Context, q store.Querier, personID int64) ([]Subscription, error) {
	rows, err := q.Query(ctx, "SELECT "+subColumns+` FROM list_subscriptions s JOIN lists l ON l.id = s.list_id
		WHERE s.person_id = ? OR LOWER(s.email) IN (SELECT LOWER(address) FROM person_emails WHERE person_id = ? AND `+mailboxProven+`)
		ORDER BY l.name, s.email`, personID, personID)
	if err != nil {
		return nil, fmt.Errorf("listing subscriptions: %w", err)
	}
	defer rows.Close()
	var out []Subscription
	for rows.Next() {
		sub, err := scanSub(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, sub)
	}
	return out, rows.Err()
}

// PendingDays is how long a confirmation link works; the retention
// default for unconfirmed subscriptions is the same.
const PendingDays = 7

// Subscribe asks for a subscription of addr to the list and mails the
// confirmation link (double opt-in); nothing is sent to the list's
// messages until the link's page is confirmed. An address already
// subscribed is told nothing new, so the form does not reveal who
// subscribes. person is the signed-in person, 0 without one.
func (s *Service) Subscribe(ctx context.Context, list, addr string, person int64) error {
	if s.Audit == nil {
		return ErrNoAudit
	}
	addr, err := people.CleanEmail(addr)
	if err != nil {
		return ProblemsError{"email": err.Error()}
	}
	now := s.now()
	var send *mail.Message
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		l, err := Get(ctx, tx, list)
		if err != nil {
			return err
		}
		owner := int64(0)
		if person != 0 {
			// Only an address whose mailbox the signed-in person proved
			// is linked to their account.
			p, err := personOf(ctx, tx, addr)
			if err != nil {
				return err
			}
			if p == person {
				owner = person
			}
		}
		sub, err := scanSub(tx.QueryRow(ctx, "SELECT "+subColumns+" FROM list_subscriptions s JOIN lists l ON l.id = s.list_id WHERE s.list_id = ? AND LOWER(s.email) = ?",
			l.ID, strings.ToLower(addr)))
		switch {
		case errors.Is(err, ErrNoSuchLink):
			token, err := newToken()
			if err != nil {
				return err
			}
			var ownerArg any
			if owner != 0 {
				ownerArg = owner
			}
			id, err := store.Insert(ctx, tx, "INSERT INTO list_subscriptions (list_id, email, person_id, token, created_at) VALUES (?, ?, ?, ?, ?)",
				l.ID, addr, ownerArg, token, now)
			if err != nil {
				return fmt.Errorf("asking for a subscription: %w", err)
			}
			sub = Subscription{ID: id, ListID: l.ID, List: l.Name, Email: addr, Token: token, CreatedAt: now}
		case err != nil:
			return err
		case sub.Confirmed() && sub.DisabledAt == nil:
			return nil
		case sub.Confirmed():
			// Disabled after bounces: the link mailed again proves the
			// address works now; confirming it resumes delivery.
		default:
			// A second request renews the pending one's time.
			if _, err := tx.Exec(ctx, "UPDATE list_subscriptions SET created_at = ? WHERE id = ?", now, sub.ID); err != nil {
				return fmt.Errorf("asking for a subscription: %w", err)
			}
		}
		m := s.confirmMessage(l, sub)
		send = &m
		return s.Audit.Record(ctx, tx, audit.Entry{Actor: person, Label: "list subscription", Action: "lists.subscribe-requested",
			Subject: fmt.Sprintf("subscription:%d", sub.ID), Detail: "list " + l.Name})
	})
	if err != nil || send == nil {
		return err
	}
	if err := s.Mail.Send(ctx, *send); err != nil {
		return fmt.Errorf("sending the confirmation link: %w", err)
	}
	return nil
}

func (s *Service) confirmMessage(l List, sub Subscription) mail.Message {
	return mail.Message{To: sub.Email, Subject: fmt.Sprintf("Confirm your subscription to %s", l.Address(s.Domain)),
		Body: fmt.Sprintf("Someone, probably you, asked to subscribe %s to the discussion group %s of %s.\n\n"+
			"To confirm, open this link and press the button on its page:\n\n%s/lists/%s/confirm/%s\n\n"+
			"If you did not ask for this, ignore this message: nothing is sent to you unless you confirm, "+
			"and the request is deleted after %d days.\n", sub.Email, l.Name, s.Org, s.BaseURL, l.Name, sub.Token, PendingDays)}
}

// Confirm ends the double opt-in: the subscription starts, with its
// consent-ledger entry (channel web: the link's page was confirmed).
func (s *Service) Confirm(ctx context.Context, token string) (Subscription, error) {
	if s.Audit == nil {
		return Subscription{}, ErrNoAudit
	}
	version, transfer, err := s.statement(ctx)
	if err != nil {
		return Subscription{}, err
	}
	now := s.now()
	var sub Subscription
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		if sub, err = ByToken(ctx, tx, token); err != nil {
			return err
		}
		if sub.Confirmed() && sub.DisabledAt != nil {
			// Back after bounces: the consent on record stands; delivery
			// resumes.
			if _, err := tx.Exec(ctx, "UPDATE list_subscriptions SET disabled_at = NULL WHERE id = ?", sub.ID); err != nil {
				return fmt.Errorf("resuming a subscription: %w", err)
			}
			sub.DisabledAt = nil
			return s.Audit.Record(ctx, tx, audit.Entry{Actor: sub.PersonID, Label: "list subscription", Action: "lists.enable",
				Subject: fmt.Sprintf("subscription:%d", sub.ID), Detail: "list " + sub.List})
		}
		if sub.Confirmed() {
			return nil
		}
		if now.Sub(sub.CreatedAt) > PendingDays*24*time.Hour {
			return ErrNoSuchLink
		}
		if _, err := tx.Exec(ctx, "UPDATE list_subscriptions SET confirmed_at = ? WHERE id = ?", now, sub.ID); err != nil {
			return fmt.Errorf("confirming a subscription: %w", err)
		}
		sub.ConfirmedAt = &now
		if err := policy.Record(ctx, tx, s.consent(sub, true, policy.ChannelWeb, version, transfer, now)); err != nil {
			return err
		}
		return s.Audit.Record(ctx, tx, audit.Entry{Actor: sub.PersonID, Label: "list subscription", Action: "lists.subscribe",
			Subject: fmt.Sprintf("subscription:%d", sub.ID), Detail: "list " + sub.List})
	})
	return sub, err
}

func (s *Service) consent(sub Subscription, granted bool, channel string, version int64, transfer string, now time.Time) policy.Consent {
	c := policy.Consent{Purpose: PurposeSubscription(sub.List), Granted: granted, VersionID: version, Channel: channel, Transfer: transfer, At: now}
	if sub.PersonID != 0 {
		c.PersonID = sub.PersonID
	} else {
		// The subscription's row is deleted when it ends; the address
		// stays in the entry so the consent and its withdrawal still say
		// whose they were (C5), and an export or removal request for the
		// address finds them.
		c.SubscriptionID = sub.ID
		c.Email = sub.Email
	}
	return c
}

// Unsubscribe ends the subscription a link names and deletes it, with a
// ledger entry saying through which channel it was withdrawn: the link's
// page or the RFC 8058 one-click POST (web). (A message to
// NAME-unsubscribe@ only mails the link: anyone can write a From.) Ending one that is gone already is not an
// error: the person gets what they asked for.
func (s *Service) Unsubscribe(ctx context.Context, token, channel string) (Subscription, error) {
	return s.unsubscribe(ctx, channel, func(tx *store.Tx) (Subscription, error) { return ByToken(ctx, tx, token) })
}

// UnsubscribeMine ends a subscription from /account: it must be one of
// the signed-in person's.
func (s *Service) UnsubscribeMine(ctx context.Context, person, id int64) (Subscription, error) {
	return s.unsubscribe(ctx, policy.ChannelWeb, func(tx *store.Tx) (Subscription, error) {
		mine, err := SubscriptionsOf(ctx, tx, person)
		if err != nil {
			return Subscription{}, err
		}
		for _, sub := range mine {
			if sub.ID == id {
				return sub, nil
			}
		}
		return Subscription{}, ErrNoSuchLink
	})
}

func (s *Service) unsubscribe(ctx context.Context, channel string, find func(tx *store.Tx) (Subscription, error)) (Subscription, error) {
	if s.Audit == nil {
		return Subscription{}, ErrNoAudit
	}
	version, transfer, err := s.statement(ctx)
	if err != nil {
		return Subscription{}, err
	}
	now := s.now()
	var sub Subscription
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		if sub, err = find(tx); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM list_subscriptions WHERE id = ?", sub.ID); err != nil {
			return fmt.Errorf("ending a subscription: %w", err)
		}
		if sub.Confirmed() {
			if err := policy.Record(ctx, tx, s.consent(sub, false, channel, version, transfer, now)); err != nil {
				return err
			}
		}
		return s.Audit.Record(ctx, tx, audit.Entry{Actor: sub.PersonID, Label: "list subscription", Action: "lists.unsubscribe",
			Subject: fmt.Sprintf("subscription:%d", sub.ID), Detail: "list " + sub.List + " by " + channel})
	})
	return sub, err
}

// SweepPending deletes subscriptions never confirmed within days (U3).
func SweepPending(ctx context.Context, q store.Querier, now time.Time, days int) (int64, error) {
	n, err := store.DeleteOlder(ctx, q, "DELETE FROM list_subscriptions WHERE confirmed_at IS NULL AND created_at < ?", now, days)
	if err != nil {
		return 0, fmt.Errorf("sweeping unconfirmed subscriptions: %w", err)
	}
	return n, nil
}
