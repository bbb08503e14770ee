package lists

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"plenary/internal/audit"
	"plenary/internal/jobs"
	"plenary/internal/mail"
	"plenary/internal/people"
	"plenary/internal/policy"
	"plenary/internal/store"
)

// Posting is one message to a list.
type Posting struct {
	ID          int64
	ListID      int64
	List        string
	Author      string // the contributor's name
	Email       string
	MessageID   string
	InReplyTo   string
	ThreadID    int64
	Subject     string
	Body        string
	Status      string
	CreatedAt   time.Time
	PublishedAt *time.Time
}

// Draft is a posting as it arrives, from the web or by mail.
type Draft struct {
	List      string
	Name      string // the author's name; the address's local part by mail when none is given
	Email     string
	PersonID  int64
	Subject   string
	Body      string
	MessageID string // empty from the web: one is made
	InReplyTo string
	// References lists earlier messages of the thread, oldest first.
	References string
	// AcceptTerms is the web form's box (PUB1); mail cannot accept them.
	AcceptTerms bool
	Channel     string
}

// Result says what became of a posting.
type Result struct {
	Posting Posting
	// TermsToken, for a first posting by mail, names the page where its
	// author accepts the terms; it was mailed to them.
	TermsToken string
}

// DistributeKind is the job that sends a published posting to every
// confirmed subscriber.
const DistributeKind = "lists.distribute"

// CleanDraft checks the fields a person typed.
func (d Draft) Clean() (Draft, Problems) {
	p := Problems{}
	var err error
	if d.Subject, err = people.CleanText("subject", "The subject", d.Subject, MaxSubject, true, false); err != nil {
		p["subject"] = err.Error()
	}
	if d.Body, err = people.CleanText("body", "The message", d.Body, MaxBody, true, true); err != nil {
		p["body"] = err.Error()
	}
	if d.Channel == policy.ChannelWeb && !d.AcceptTerms {
		p["accept_terms"] = ErrNeedsTerms.Error()
	}
	return d, p
}

// Post takes a posting. Its author's first posting needs the contribution
// terms accepted (PUB1): from the web the form's box does it, recorded in
// the ledger; by mail the posting is held and its author is mailed a link
// to accept them on the web. Then the list's policy decides: published (and
// distributed by a job), or held for moderation.
func (s *Service) Post(ctx context.Context, d Draft) (Result, error) {
	if s.Audit == nil {
		return Result{}, ErrNoAudit
	}
	d, p := d.Clean()
	if len(p) > 0 {
		return Result{}, ProblemsError(p)
	}
	email, err := people.CleanEmail(d.Email)
	if err != nil {
		return Result{}, ProblemsError{"email": err.Error()}
	}
	version, transfer, err := s.statement(ctx)
	if err != nil {
		return Result{}, err
	}
	now := s.now()
	var res Result
	var notice *mail.Message
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		l, err := Get(ctx, tx, d.List)
		if err != nil {
			return err
		}
		c, err := contributor(ctx, tx, email, d.Name, d.PersonID, now)
		if err != nil {
			return err
		}
		status := ""
		if c.AcceptedAt == nil {
			if !d.AcceptTerms {
				status = HeldTerms
				res.TermsToken = c.Token
				m := s.termsMessage(l, c)
				notice = &m
			} else if err := accept(ctx, tx, c, policy.ChannelWeb, version, transfer, now); err != nil {
				return err
			}
		}
		if status == "" {
			if status, err = decide(ctx, tx, l, email); err != nil {
				return err
			}
		}
		if d.MessageID == "" {
			tok, err := newToken()
			if err != nil {
				return err
			}
			d.MessageID = "<" + tok[:24] + "@" + s.Domain + ">"
		}
		var dup int
		if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM list_posts WHERE message_id = ?", d.MessageID).Scan(&dup); err != nil {
			return fmt.Errorf("posting: %w", err)
		}
		if dup > 0 {
			return mail.Refuse("This message was posted already")
		}
		parent := d.InReplyTo
		if parent == "" {
			if refs := strings.Fields(d.References); len(refs) > 0 {
				parent = refs[len(refs)-1]
			}
		}
		var published any
		if status == Published {
			published = now
		}
		id, err := store.Insert(ctx, tx, `INSERT INTO list_posts (list_id, contributor_id, message_id, in_reply_to, subject, body, status, created_at, published_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, l.ID, c.ID, d.MessageID, parent, d.Subject, d.Body, status, now, published)
		if err != nil {
			return fmt.Errorf("keeping a posting: %w", err)
		}
		if err := setThread(ctx, tx, l.ID, id, parent, d.References); err != nil {
			return err
		}
		if status == Published {
			if _, _, err := jobs.Enqueue(ctx, tx, jobs.New{Kind: DistributeKind, Key: strconv.FormatInt(id, 10), Payload: strconv.FormatInt(id, 10)}, now); err != nil {
				return err
			}
		}
		if res.Posting, err = getPost(ctx, tx, id); err != nil {
			return err
		}
		return s.Audit.Record(ctx, tx, audit.Entry{Actor: d.PersonID, Label: "list posting by " + d.Channel, Action: "lists.post",
			Subject: fmt.Sprintf("posting:%d", id), Detail: "list " + l.Name + ", " + status})
	})
	if err != nil {
		return Result{}, err
	}
	if notice != nil {
		if err := s.Mail.Send(ctx, *notice); err != nil {
			return res, fmt.Errorf("sending the link to accept the terms: %w", err)
		}
	}
	return res, nil
}

// decide applies the list's posting policy to a contributor who accepted
// the terms.
func decide(ctx context.Context, q store.Querier, l List, email string) (string, error) {
	switch l.Posting {
	case PostOpen:
		return Published, nil
	case PostModerated:
		return HeldModeration, nil
	}
	var n int
	if err := q.QueryRow(ctx, "SELECT COUNT(*) FROM list_subscriptions WHERE list_id = ? AND LOWER(email) = ? AND confirmed_at IS NOT NULL",
		l.ID, strings.ToLower(email)).Scan(&n); err != nil {
		return "", fmt.Errorf("checking a subscription: %w", err)
	}
	if n > 0 {
		return Published, nil
	}
	return HeldModeration, nil
}

// setThread files a posting in its parent's thread, or starts one; and
// postings that arrived before it, naming it as their parent, join its
// thread (a reply whose parent arrives later is attached when it does).
func setThread(ctx context.Context, q store.Querier, listID, id int64, parent, refs string) error {
	thread := id
	candidates := append([]string{parent}, strings.Fields(refs)...)
	for _, mid := range candidates {
		if mid == "" {
			continue
		}
		var t sql.NullInt64
		err := q.QueryRow(ctx, "SELECT thread_id FROM list_posts WHERE list_id = ? AND message_id = ? AND id <> ?", listID, mid, id).Scan(&t)
		if err == nil && t.Valid {
			thread = t.Int64
			break
		}
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("threading a posting: %w", err)
		}
	}
	if _, err := q.Exec(ctx, "UPDATE list_posts SET thread_id = ? WHERE id = ?", thread, id); err != nil {
		return fmt.Errorf("threading a posting: %w", err)
	}
	var mid string
	if err := q.QueryRow(ctx, "SELECT message_id FROM list_posts WHERE id = ?", id).Scan(&mid); err != nil {
		return fmt.Errorf("threading a posting: %w", err)
	}
	if _, err := q.Exec(ctx, "UPDATE list_posts SET thread_id = ? WHERE list_id = ? AND (in_reply_to = ? OR thread_id IN (SELECT id FROM list_posts WHERE list_id = ? AND in_reply_to = ?)) AND id <> ?",
		thread, listID, mid, listID, mid, id); err != nil {
		return fmt.Errorf("threading earlier replies: %w", err)
	}
	return nil
}

// Contributor is whoever posts.
type Contributor struct {
	ID         int64
	Email      string
	Name       string
	PersonID   int64
	Token      string
	AcceptedAt *time.Time
}

func scanContributor(row interface{ Scan(...any) error }) (Contributor, error) {
	var c Contributor
	var person sql.NullInt64
	var acc sql.NullTime
	err := row.Scan(&c.ID, &c.Email, &c.Name, &person, &c.Token, &acc)
	if errors.Is(err, sql.ErrNoRows) {
		return c, ErrNoSuchLink
	}
	if err != nil {
		return c, fmt.Errorf("reading a contributor: %w", err)
	}
	c.PersonID = person.Int64
	if acc.Valid {
		t := acc.Time.UTC()
		c.AcceptedAt = &t
	}
	return c, nil
}

const contributorColumns = "id, email, name, person_id, token, accepted_at"

// contributor returns the contributor with email, made when new.
func contributor(ctx context.Context, q store.Querier, email, name string, person int64, now time.Time) (Contributor, error) {
	c, err := scanContributor(q.QueryRow(ctx, "SELECT "+contributorColumns+" FROM list_contributors WHERE LOWER(email) = ?", strings.ToLower(email)))
	if err == nil || !errors.Is(err, ErrNoSuchLink) {
		return c, err
	}
	if person == 0 {
		if person, err = personOf(ctx, q, email); err != nil {
			return c, err
		}
	}
	if name = strings.TrimSpace(name); name == "" {
		name, _, _ = strings.Cut(email, "@")
	}
	token, err := newToken()
	if err != nil {
		return c, err
	}
	var personArg any
	if person != 0 {
		personArg = person
	}
	id, err := store.Insert(ctx, q, "INSERT INTO list_contributors (email, name, person_id, token, created_at) VALUES (?, ?, ?, ?, ?)",
		email, name, personArg, token, now)
	if err != nil {
		return c, fmt.Errorf("recording a contributor: %w", err)
	}
	return Contributor{ID: id, Email: email, Name: name, PersonID: person, Token: token}, nil
}

// accept records a contributor's acceptance of the terms in the ledger.
func accept(ctx context.Context, q store.Querier, c Contributor, channel string, version int64, transfer string, now time.Time) error {
	if _, err := q.Exec(ctx, "UPDATE list_contributors SET accepted_at = ? WHERE id = ?", now, c.ID); err != nil {
		return fmt.Errorf("accepting the contribution terms: %w", err)
	}
	e := policy.Consent{Purpose: PurposeTerms, Granted: true, VersionID: version, Channel: channel, Transfer: transfer, At: now}
	if c.PersonID != 0 {
		e.PersonID = c.PersonID
	} else {
		e.ContributorID = c.ID
	}
	return policy.Record(ctx, q, e)
}

// HasAccepted reports whether the person accepted the contribution terms,
// so the posting form asks only before a first posting.
func HasAccepted(ctx context.Context, q store.Querier, person int64) (bool, error) {
	var n int
	err := q.QueryRow(ctx, "SELECT COUNT(*) FROM list_contributors WHERE person_id = ? AND accepted_at IS NOT NULL", person).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("checking the contribution terms: %w", err)
	}
	return n > 0, nil
}

func (s *Service) termsMessage(l List, c Contributor) mail.Message {
	return mail.Message{To: c.Email, Subject: "Your posting to " + l.Address(s.Domain) + " waits for you",
		Body: fmt.Sprintf("Thank you for writing to the discussion group %s of %s.\n\n%s\n\n"+
			"Your posting is held until you accept this, once, on this page:\n\n%s/lists/%s/terms/%s\n\n"+
			"If you do not, it is deleted after %d days and nothing of it is published.\n", l.Name, s.Org, Terms, s.BaseURL, l.Name, c.Token, HeldDays)}
}

// HeldDays is how long a held posting waits before it is deleted.
const HeldDays = 30

// TermsFor returns the contributor a terms link names.
func TermsFor(ctx context.Context, q store.Querier, token string) (Contributor, error) {
	return scanContributor(q.QueryRow(ctx, "SELECT "+contributorColumns+" FROM list_contributors WHERE token = ?", token))
}

// AcceptTerms records the acceptance through a mailed link (channel web)
// and releases the contributor's postings held for it, each through its
// list's posting policy.
func (s *Service) AcceptTerms(ctx context.Context, token string) (int, error) {
	if s.Audit == nil {
		return 0, ErrNoAudit
	}
	version, transfer, err := s.statement(ctx)
	if err != nil {
		return 0, err
	}
	now := s.now()
	released := 0
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		c, err := TermsFor(ctx, tx, token)
		if err != nil {
			return err
		}
		if c.AcceptedAt == nil {
			if err := accept(ctx, tx, c, policy.ChannelWeb, version, transfer, now); err != nil {
				return err
			}
		}
		held, err := postsWhere(ctx, tx, "p.contributor_id = ? AND p.status = ?", c.ID, HeldTerms)
		if err != nil {
			return err
		}
		for _, p := range held {
			l, err := Get(ctx, tx, p.List)
			if err != nil {
				return err
			}
			status, err := decide(ctx, tx, l, c.Email)
			if err != nil {
				return err
			}
			if err := s.setStatus(ctx, tx, p.ID, status, now); err != nil {
				return err
			}
			released++
		}
		return s.Audit.Record(ctx, tx, audit.Entry{Actor: c.PersonID, Label: "contributor", Action: "lists.accept-terms",
			Subject: fmt.Sprintf("contributor:%d", c.ID), Detail: fmt.Sprintf("%d held postings released", released)})
	})
	return released, err
}

// setStatus moves a held posting on, enqueuing its distribution when it
// is published.
func (s *Service) setStatus(ctx context.Context, q store.Querier, id int64, status string, now time.Time) error {
	var published any
	if status == Published {
		published = now
	}
	if _, err := q.Exec(ctx, "UPDATE list_posts SET status = ?, published_at = ? WHERE id = ?", status, published, id); err != nil {
		return fmt.Errorf("releasing a posting: %w", err)
	}
	if status == Published {
		if _, _, err := jobs.Enqueue(ctx, q, jobs.New{Kind: DistributeKind, Key: strconv.FormatInt(id, 10), Payload: strconv.FormatInt(id, 10)}, now); err != nil {
			return err
		}
	}
	return nil
}

// Queue returns the postings of a list held for moderation, oldest first.
func Queue(ctx context.Context, q store.Querier, list string) ([]Posting, error) {
	return postsWhere(ctx, q, "l.name = ? AND p.status = ? ORDER BY p.id", strings.ToLower(list), HeldModeration)
}

// Moderate approves (publishes) or rejects (deletes) a held posting.
func (s *Service) Moderate(ctx context.Context, who Actor, list string, id int64, approve bool) error {
	if s.Audit == nil {
		return ErrNoAudit
	}
	now := s.now()
	return s.DB.Tx(ctx, func(tx *store.Tx) error {
		p, err := getPost(ctx, tx, id)
		if err != nil {
			return err
		}
		if p.List != strings.ToLower(list) || p.Status != HeldModeration {
			return ErrNoPost
		}
		action := "lists.approve"
		if approve {
			err = s.setStatus(ctx, tx, id, Published, now)
		} else {
			action = "lists.reject"
			_, err = tx.Exec(ctx, "DELETE FROM list_posts WHERE id = ?", id)
		}
		if err != nil {
			return fmt.Errorf("moderating a posting: %w", err)
		}
		return s.Audit.Record(ctx, tx, audit.Entry{Actor: who.ID, Label: who.Label, Action: action, Subject: fmt.Sprintf("posting:%d", id), Detail: "list " + p.List})
	})
}

// SweepHeld deletes postings held longer than days, and contributors who
// never accepted the terms and have no posting left (U3).
func SweepHeld(ctx context.Context, q store.Querier, now time.Time, days int) (posts, contributors int64, err error) {
	if days < 0 {
		return 0, 0, nil
	}
	res, err := q.Exec(ctx, "DELETE FROM list_posts WHERE status <> ? AND created_at < ?", Published, now.UTC().AddDate(0, 0, -days))
	if err != nil {
		return 0, 0, fmt.Errorf("sweeping held postings: %w", err)
	}
	if posts, err = res.RowsAffected(); err != nil {
		return 0, 0, err
	}
	res, err = q.Exec(ctx, "DELETE FROM list_contributors WHERE accepted_at IS NULL AND id NOT IN (SELECT contributor_id FROM list_posts)")
	if err != nil {
		return posts, 0, fmt.Errorf("sweeping contributors: %w", err)
	}
	contributors, err = res.RowsAffected()
	return posts, contributors, err
}

const postColumns = `p.id, p.list_id, l.name, c.name, c.email, p.message_id, p.in_reply_to, p.thread_id, p.subject, p.body, p.status, p.created_at, p.published_at`

func postsWhere(ctx context.Context, q store.Querier, cond string, args ...any) ([]Posting, error) {
	rows, err := q.Query(ctx, "SELECT "+postColumns+" FROM list_posts p JOIN lists l ON l.id = p.list_id JOIN list_contributors c ON c.id = p.contributor_id WHERE "+cond, args...)
	if err != nil {
		return nil, fmt.Errorf("reading postings: %w", err)
	}
	defer rows.Close()
	var out []Posting
	for rows.Next() {
		var p Posting
		var thread sql.NullInt64
		var pub sql.NullTime
		if err := rows.Scan(&p.ID, &p.ListID, &p.List, &p.Author, &p.Email, &p.MessageID, &p.InReplyTo, &thread, &p.Subject, &p.Body, &p.Status, &p.CreatedAt, &pub); err != nil {
			return nil, fmt.Errorf("reading postings: %w", err)
		}
		p.ThreadID = thread.Int64
		if pub.Valid {
			t := pub.Time.UTC()
			p.PublishedAt = &t
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func getPost(ctx context.Context, q store.Querier, id int64) (Posting, error) {
	ps, err := postsWhere(ctx, q, "p.id = ?", id)
	if err != nil {
		return Posting{}, err
	}
	if len(ps) == 0 {
		return Posting{}, ErrNoPost
	}
	return ps[0], nil
}
