// Package lists runs plenary's discussion groups (G1, PUB1, D1): lists
// that people subscribe to by double opt-in, post to from the web or by
// mail, and whose postings form a public archive attributed to their
// authors. Every change of a subscription and every acceptance of the
// contribution terms is a consent-ledger entry with its channel; every use
// case writes its audit entry in its own transaction. The package knows
// nothing of HTTP.
package lists

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"plenary/internal/audit"
	"plenary/internal/mail"
	"plenary/internal/people"
	"plenary/internal/policy"
	"plenary/internal/store"
)

// Posting policies.
const (
	PostOpen        = "open"        // anyone who accepted the terms
	PostSubscribers = "subscribers" // others are held for moderation
	PostModerated   = "moderated"   // everything is held for moderation
)

// Archive visibility.
const (
	ArchivePublic      = "public"
	ArchiveSubscribers = "subscribers"
)

// Posting states.
const (
	Published      = "published"
	HeldTerms      = "held-terms"
	HeldModeration = "held-moderation"
)

// Purposes in the consent ledger.
const (
	// PurposeTerms is the contribution terms a person accepts before
	// their first posting (PUB1).
	PurposeTerms = "contributing to discussion groups: postings are public and attributed to me, under the contribution terms"
)

// PurposeSubscription is the ledger purpose of receiving a list by mail.
func PurposeSubscription(list string) string {
	return "receiving the discussion group " + list + " by e-mail"
}

// Terms is what a person is told, and accepts, before their first posting.
const Terms = "Postings to discussion groups are public: each is published in the list's archive with your name " +
	"and kept there as part of the public record, and is sent to every subscriber. By posting you agree that " +
	"the organization may publish, keep and redistribute what you post, attributed to you."

// Errors with messages fit for the person.
var (
	ErrNotFound    = errors.New("There is no such discussion group.")
	ErrNoSuchLink  = errors.New("This link is not valid any more: it was used already, or it expired. Please start again from the list's page.")
	ErrNoPost      = errors.New("There is no such posting.")
	ErrNoAudit     = errors.New("The audit log is not available, so this cannot be done now.")
	ErrNameTaken   = errors.New("A list with this name exists already.")
	ErrNeedsTerms  = errors.New("Please accept the contribution terms: postings are public and attributed to you.")
	ErrNotReadable = errors.New("The archive of this list is open to its subscribers only.")
	// ErrNotYourMailbox refuses a posting from the web under an address
	// whose earlier postings came by mail, when the person has not shown
	// that they read its mailbox.
	ErrNotYourMailbox = errors.New("Postings from your primary address reached the lists by mail before, and you have not shown that its mailbox is yours " +
		"(an address entered by staff is confirmed from your primary address, not from its own mailbox), so you cannot post under it from the web. " +
		"Make an address you added and confirmed yourself your primary one, or post by mail from this address.")
)

// Limits.
const (
	MaxDescription = 1000
	MaxSubject     = 300
	MaxBody        = 100000
)

// nameRule: lower-case letters, digits and inner hyphens, as in a mail
// address's local part; the suffixes the mail handler uses are reserved.
var nameRule = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$`)

// reserved local parts other features own. "announce" is the default
// announcement address (--mailing-address), whose mailbox the listener
// gives to the mailings before any list; a site that sets another has it
// in Service.Mailboxes.
var reserved = map[string]bool{"inquiry": true, "postmaster": true, "abuse": true, "no-reply": true, "lists": true, "admin": true, "search": true,
	"announce": true, "mailer-daemon": true}

// List is one discussion group.
type List struct {
	ID          int64
	Name        string
	Description string
	Posting     string
	Archive     string
	// Searchable is false for a list left out of site-wide search.
	Searchable  bool
	CreatedAt   time.Time
	Subscribers int
	Postings    int
	LastPost    *time.Time
}

// Address is the list's posting address.
func (l List) Address(domain string) string { return l.Name + "@" + domain }

// ID as RFC 2919 wants it: NAME.DOMAIN.
func (l List) ListID(domain string) string {
	// An address literal ("[192.0.2.7]", "[IPv6:2001:db8::1]") is no
	// dot-atom; RFC 2919 wants one, so the brackets and the tag go and an
	// IPv6 address's colons become dots
	// ("::" one dot).
	if strings.HasPrefix(domain, "[") && strings.HasSuffix(domain, "]") {
		parts := strings.FieldsFunc(strings.TrimPrefix(domain[1:len(domain)-1], "IPv6:"), func(r rune) bool { return r == ':' || r == '.' })
		domain = strings.Join(parts, ".")
	}
	return l.Name + "." + domain
}

// Service runs the use cases.
type Service struct {
	DB     *store.DB
	Audit  *audit.Log
	Policy *policy.Service
	Mail   mail.Sender
	// Domain is the mail domain (--mail-domain); BaseURL the site's
	// address without a trailing slash; Org its name.
	Domain  string
	BaseURL string
	Org     string
	Now     func() time.Time
	// Mailboxes are local parts other features of the site own at the
	// mail domain (the announcement address, --mailing-address): a list
	// named after one, or whose NAME-unsubscribe@ or NAME-bounces@ is
	// one, would never get its mail, so none is created. See Mailbox.
	Mailboxes []string
}

// Mailbox is the local part of address in lower case, as Service.Mailboxes
// holds it; "" when address has none.
func Mailbox(address string) string {
	local, _, ok := strings.Cut(strings.TrimSpace(address), "@")
	if !ok {
		return ""
	}
	return strings.ToLower(local)
}

// collides reports the site mailbox that a list named name would take
// mail from, if any.
func (s *Service) collides(name string) string {
	for _, m := range s.Mailboxes {
		if m != "" && (m == name || m == name+"-unsubscribe" || m == name+"-bounces") {
			return m
		}
	}
	return ""
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Actor is who acts: a signed-in person, or 0 with a label.
type Actor struct {
	ID    int64
	Label string
}

// NewList is what creating a list takes.
type NewList struct {
	Name, Description, Posting, Archive string
	// NoSearch leaves the list out of site-wide search.
	NoSearch bool
}

// Problems maps a field to what is wrong with it.
type Problems map[string]string

// Clean checks every field at once.
func (n NewList) Clean() (NewList, Problems) {
	p := Problems{}
	n.Name = strings.ToLower(strings.TrimSpace(n.Name))
	switch {
	case !nameRule.MatchString(n.Name):
		p["name"] = "The name must be 1 to 40 lower-case letters, digits and hyphens, starting and ending with a letter or digit."
	case reserved[n.Name]:
		p["name"] = "This name is reserved: the site's own mail uses the address " + n.Name + "@. Please choose another."
	case strings.HasSuffix(n.Name, "-unsubscribe") || strings.HasSuffix(n.Name, "-bounces"):
		p["name"] = "This name is reserved: names ending in -unsubscribe or -bounces are addresses every list has. Please choose another."
	}
	var err error
	if n.Description, err = people.CleanText("description", "The description", n.Description, MaxDescription, true, true); err != nil {
		p["description"] = err.Error()
	}
	if n.Posting == "" {
		n.Posting = PostSubscribers
	}
	if n.Posting != PostOpen && n.Posting != PostSubscribers && n.Posting != PostModerated {
		p["posting"] = "Posting must be open, subscribers or moderated."
	}
	if n.Archive == "" {
		n.Archive = ArchivePublic
	}
	if n.Archive != ArchivePublic && n.Archive != ArchiveSubscribers {
		p["archive"] = "The archive must be public or subscribers."
	}
	return n, p
}

// Create makes a list, with its audit entry.
func (s *Service) Create(ctx context.Context, who Actor, n NewList) (List, error) {
	if s.Audit == nil {
		return List{}, ErrNoAudit
	}
	n, p := n.Clean()
	if m := s.collides(n.Name); m != "" && p["name"] == "" {
		p["name"] = "This name is taken by the site's own mail address " + m + "@ (the announcement address, --mailing-address): a list of that name would never get its mail. Please choose another."
	}
	if len(p) > 0 {
		return List{}, ProblemsError(p)
	}
	now := s.now()
	var l List
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		var n0 int
		if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM lists WHERE name = ?", n.Name).Scan(&n0); err != nil {
			return fmt.Errorf("creating a list: %w", err)
		}
		if n0 > 0 {
			return ErrNameTaken
		}
		id, err := store.Insert(ctx, tx, "INSERT INTO lists (name, description, posting, archive, searchable, created_at) VALUES (?, ?, ?, ?, ?, ?)",
			n.Name, n.Description, n.Posting, n.Archive, !n.NoSearch, now)
		if err != nil {
			return fmt.Errorf("creating a list: %w", err)
		}
		l = List{ID: id, Name: n.Name, Description: n.Description, Posting: n.Posting, Archive: n.Archive, Searchable: !n.NoSearch, CreatedAt: now}
		detail := "posting " + n.Posting + ", archive " + n.Archive
		if n.NoSearch {
			detail += ", left out of site-wide search"
		}
		return s.Audit.Record(ctx, tx, audit.Entry{Actor: who.ID, Label: who.Label, Action: "lists.create", Subject: "list:" + n.Name,
			Detail: detail})
	})
	return l, err
}

// ProblemsError carries a form's problems.
type ProblemsError Problems

func (p ProblemsError) Error() string {
	var parts []string
	for _, f := range []string{"name", "description", "posting", "archive", "email", "subject", "body", "accept_terms", "reason"} {
		if m, ok := p[f]; ok {
			parts = append(parts, m)
		}
	}
	return strings.Join(parts, " ")
}

// listColumns reads a list with its confirmed subscribers and, from the
// rows of its threads (migration 0079) rather than from every posting, its
// published postings and the time of the latest.
const listColumns = `l.id, l.name, l.description, l.posting, l.archive, l.searchable, l.created_at,
	(SELECT COUNT(*) FROM list_subscriptions s WHERE s.list_id = l.id AND s.confirmed_at IS NOT NULL),
	(SELECT CAST(COALESCE(SUM(t.posts), 0) AS BIGINT) FROM list_threads t WHERE t.list_id = l.id),
	(SELECT MAX(t.last_at) FROM list_threads t WHERE t.list_id = l.id)`

func scanList(row interface{ Scan(...any) error }) (List, error) {
	var l List
	// MAX over a timestamp comes back as text on SQLite; read it as such.
	var last any
	err := row.Scan(&l.ID, &l.Name, &l.Description, &l.Posting, &l.Archive, &l.Searchable, &l.CreatedAt, &l.Subscribers, &l.Postings, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return l, ErrNotFound
	}
	if err != nil {
		return l, fmt.Errorf("reading a list: %w", err)
	}
	if t, ok := asTime(last); ok {
		l.LastPost = &t
	}
	return l, nil
}

func asTime(v any) (time.Time, bool) {
	switch t := v.(type) {
	case time.Time:
		return t.UTC(), true
	case string:
		for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano, "2006-01-02 15:04:05.999999999"} {
			if p, err := time.Parse(layout, t); err == nil {
				return p.UTC(), true
			}
		}
	case []byte:
		return asTime(string(t))
	}
	return time.Time{}, false
}

// Get returns the list called name.
func Get(ctx context.Context, q store.Querier, name string) (List, error) {
	return scanList(q.QueryRow(ctx, "SELECT "+listColumns+" FROM lists l WHERE l.name = ?", strings.ToLower(name)))
}

// All returns every list by name.
func All(ctx context.Context, q store.Querier) ([]List, error) {
	rows, err := q.Query(ctx, "SELECT "+listColumns+" FROM lists l ORDER BY l.name")
	if err != nil {
		return nil, fmt.Errorf("listing lists: %w", err)
	}
	defer rows.Close()
	var out []List
	for rows.Next() {
		l, err := scanList(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// Active returns at most n lists that have postings, the most recently
// active first, for the home page.
func Active(ctx context.Context, q store.Querier, n int) ([]List, error) {
	all, err := All(ctx, q)
	if err != nil {
		return nil, err
	}
	var out []List
	for _, l := range all {
		if l.LastPost != nil && l.Archive == ArchivePublic {
			out = append(out, l)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].LastPost.After(*out[j].LastPost) })
	if len(out) > n {
		out = out[:n]
	}
	return out, nil
}

func newToken() (string, error) {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("making a link: %w", err)
	}
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)), nil
}

// statement returns the current statement version and transfer text the
// ledger entries name.
func (s *Service) statement(ctx context.Context) (int64, string, error) {
	v, err := s.Policy.Current(ctx)
	if err != nil {
		return 0, "", fmt.Errorf("reading the privacy statement: %w", err)
	}
	return v.ID, s.Policy.TransferStatement(), nil
}

// mailboxProven is the condition on person_emails under which an address
// counts as its person's for the lists: they typed it and followed the
// link mailed to it (people.Email.MailboxProven, dsr.LoadSubject). An
// address staff entered is confirmed from the person's primary address,
// which shows they want it on their account, not that they read its
// mailbox; counting it would hand them the subscriptions, postings and
// terms link of whoever does.
const mailboxProven = "verified_at IS NOT NULL AND origin = 'self'"

// personOf returns the account that proved it reads addr's mailbox, or 0.
func personOf(ctx context.Context, q store.Querier, addr string) (int64, error) {
	var id int64
	err := q.QueryRow(ctx, "SELECT person_id FROM person_emails WHERE LOWER(address) = ? AND "+mailboxProven+" AND active = ?",
		strings.ToLower(addr), true).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("looking up an address: %w", err)
	}
	return id, nil
}
