package lists

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

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
	// Attachments are the parts of a message by mail that are not its
	// text (ParseMessage).
	Attachments []Attachment
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
	if d.Body, err = people.CleanText("body", "The message", d.Body, MaxBody, len(d.Attachments) == 0, true); err != nil {
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
	rs, err := s.PostEach(ctx, d, []string{d.List})
	if len(rs) == 0 {
		return Result{}, err
	}
	return rs[0], err
}

// PostEach takes one message for each of several lists (d.List is not
// read), as Post does for one: a message sent to several lists of the site
// is a posting of each. It is all or nothing, in one transaction: when any
// list refuses the message (posted there already, removed there), none
// keeps it. A list named twice takes it once. The results are in the
// order the lists were created.
func (s *Service) PostEach(ctx context.Context, d Draft, names []string) ([]Result, error) {
	if s.Audit == nil {
		return nil, ErrNoAudit
	}
	d, p := d.Clean()
	if len(p) > 0 {
		return nil, ProblemsError(p)
	}
	email, err := people.CleanEmail(d.Email)
	if err != nil {
		return nil, ProblemsError{"email": err.Error()}
	}
	version, transfer, err := s.statement(ctx)
	if err != nil {
		return nil, err
	}
	var uniq []string
	seen := map[string]bool{}
	for _, n := range names {
		if n = strings.ToLower(n); !seen[n] {
			seen[n] = true
			uniq = append(uniq, n)
		}
	}
	if d.MessageID == "" {
		tok, err := newToken()
		if err != nil {
			return nil, err
		}
		d.MessageID = "<" + tok[:24] + "@" + s.Domain + ">"
	}
	now := s.now()
	var res []Result
	var notice *mail.Message
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		res = res[:0]
		notice = nil
		c, err := contributor(ctx, tx, email, d.Name, d.PersonID, now)
		if err != nil {
			return err
		}
		if c.AcceptedAt == nil && d.AcceptTerms {
			if err := accept(ctx, tx, c, policy.ChannelWeb, version, transfer, now); err != nil {
				return err
			}
			c.AcceptedAt = &now
		}
		// The lists in order of id: on PostgreSQL each posting takes its
		// list's lock for list_threads (migration 0079), and two
		// cross-posts to the same lists must take them in one order or
		// they deadlock.
		ls := make([]List, 0, len(uniq))
		for _, name := range uniq {
			l, err := Get(ctx, tx, name)
			if err != nil {
				return err
			}
			ls = append(ls, l)
		}
		sort.Slice(ls, func(i, j int) bool { return ls[i].ID < ls[j].ID })
		var remind []List
		for _, l := range ls {
			var r Result
			status := HeldTerms
			if c.AcceptedAt == nil {
				r.TermsToken = c.Token
				due, err := termsNoticeDue(ctx, tx, l, c, now)
				if err != nil {
					return err
				}
				if due {
					remind = append(remind, l)
				}
			} else if status, err = decide(ctx, tx, l, email); err != nil {
				return err
			}
			id, err := storePosting(ctx, tx, entry{list: l, contributor: c, messageID: d.MessageID, inReplyTo: d.InReplyTo,
				refs: strings.Fields(d.References), subject: d.Subject, body: d.Body, status: status, at: now, attachments: d.Attachments})
			if errors.Is(err, errDuplicate) {
				return mail.Refuse(refusalFor(uniq, l, s.Domain, "was posted already to"))
			}
			if errors.Is(err, errRemoved) {
				return mail.Refuse(refusalFor(uniq, l, s.Domain, "was removed from the archive of"))
			}
			if err != nil {
				return err
			}
			if r.Posting, err = getPost(ctx, tx, id); err != nil {
				return err
			}
			if err := s.Audit.Record(ctx, tx, audit.Entry{Actor: d.PersonID, Label: "list posting", Action: "lists.post",
				Subject: fmt.Sprintf("posting:%d", id), Detail: "list " + l.Name + ", " + status + ", by " + d.Channel}); err != nil {
				return err
			}
			res = append(res, r)
		}
		if len(remind) > 0 {
			m := s.termsMessage(remind, c)
			notice = &m
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if notice != nil {
		if err := s.Mail.Send(ctx, *notice); err != nil {
			return res, fmt.Errorf("sending the link to accept the terms: %w", err)
		}
	}
	return res, nil
}

// refusalFor words a refusal of a message by one of the lists it was sent
// to, saying that no list kept it when it was sent to more than one.
func refusalFor(names []string, l List, domain, what string) string {
	msg := "This message " + what + " " + l.Address(domain)
	if len(names) > 1 {
		msg += "; it was sent to several lists and none of them kept it"
	}
	return msg
}

// TermsNoticeHours is how long after mailing a contributor the link to
// accept the terms for a list no new one is mailed for that list, however
// many messages claiming their address arrive: the link is the same, and
// accepting releases every held posting.
const TermsNoticeHours = 24

// termsNoticeDue reports whether the link to accept the terms is to be
// mailed now for a posting to l, and if so records that it is. The record
// is a row per contributor and list, taken over with one statement, so two
// instances taking two messages at once mail one link between them.
func termsNoticeDue(ctx context.Context, q store.Querier, l List, c Contributor, now time.Time) (bool, error) {
	res, err := q.Exec(ctx, `INSERT INTO list_terms_notices (contributor_id, list_id, sent_at) VALUES (?, ?, ?)
		ON CONFLICT (contributor_id, list_id) DO UPDATE SET sent_at = excluded.sent_at WHERE list_terms_notices.sent_at <= ?`,
		c.ID, l.ID, now, now.Add(-TermsNoticeHours*time.Hour))
	if err != nil {
		return false, fmt.Errorf("recording the link to accept the terms: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("recording the link to accept the terms: %w", err)
	}
	return n > 0, nil
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
	if err == nil && person != 0 && c.PersonID != person {
		// A signed-in person posts from an address that posted before
		// and is not linked to them: its postings, held ones and the
		// terms link with them, are whoever reads its mailbox. Only the
		// person who proved that is them takes it over; anyone else
		// (with an address staff entered on their account, say) would
		// post in that name, accept the terms for it, and by the link
		// find its postings on their account, in their export and in
		// their removal request.
		owner, err := personOf(ctx, q, email)
		if err != nil {
			return c, err
		}
		if owner != person {
			return c, ErrNotYourMailbox
		}
	}
	if err == nil && person != 0 && (c.PersonID == 0 || c.PersonID == person) {
		// The signed-in owner of the address posts: the name an earlier
		// message gave it (anyone can write a From) gives way to the
		// account's, and the address is linked to the account.
		if n := strings.TrimSpace(name); n != "" && (n != c.Name || c.PersonID == 0) {
			if _, err := q.Exec(ctx, "UPDATE list_contributors SET name = ?, person_id = ? WHERE id = ?", n, person, c.ID); err != nil {
				return c, fmt.Errorf("naming a contributor after their account: %w", err)
			}
			c.Name, c.PersonID = n, person
		}
	}
	if err == nil || !errors.Is(err, ErrNoSuchLink) {
		return c, err
	}
	if person == 0 {
		if person, err = personOf(ctx, q, email); err != nil {
			return c, err
		}
	}
	if name = strings.TrimSpace(name); name == "" {
		// No display name: the address's masked local part ("ze…"), as
		// anonymous readers see the address; the whole local part
		// beside the masked address would give the address away.
		name, _, _ = strings.Cut(MaskAddress(email), "@")
	}
	token, err := newToken()
	if err != nil {
		return c, err
	}
	var personArg any
	if person != 0 {
		personArg = person
	}
	// Two first postings from one address at once (two tabs, two
	// instances) both find no contributor; the second insert then waits
	// for the first and takes its row instead of failing on the unique
	// address.
	id, err := store.Insert(ctx, q, "INSERT INTO list_contributors (email, name, person_id, token, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (email) DO NOTHING",
		email, name, personArg, token, now)
	if errors.Is(err, sql.ErrNoRows) {
		return scanContributor(q.QueryRow(ctx, "SELECT "+contributorColumns+" FROM list_contributors WHERE email = ?", email))
	}
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

func (s *Service) termsMessage(ls []List, c Contributor) mail.Message {
	addrs, names := make([]string, len(ls)), make([]string, len(ls))
	for i, l := range ls {
		addrs[i], names[i] = l.Address(s.Domain), l.Name
	}
	groups := "the discussion group " + names[0]
	if len(ls) > 1 {
		groups = "the discussion groups " + strings.Join(names, ", ")
	}
	return mail.Message{To: c.Email, Subject: "Your posting to " + strings.Join(addrs, ", ") + " waits for you",
		Body: fmt.Sprintf("Thank you for writing to %s of %s.\n\n%s\n\n"+
			"Your posting is held until you accept this, once, on this page:\n\n%s/lists/%s/terms/%s\n\n"+
			"Accepting releases every posting of yours that waits for it. If you do not, they are deleted after %d days and nothing of them is published.\n",
			groups, s.Org, Terms, s.BaseURL, ls[0].Name, c.Token, HeldDays)}
}

// HeldDays is how long a held posting waits before it is deleted.
const HeldDays = 30

// TermsFor returns the contributor a terms link names.
func TermsFor(ctx context.Context, q store.Querier, token string) (Contributor, error) {
	return scanContributor(q.QueryRow(ctx, "SELECT "+contributorColumns+" FROM list_contributors WHERE token = ?", token))
}

// Released counts the held postings that went on when their author
// accepted the terms: published, or on to the list's moderators.
type Released struct{ Published, Moderated int }

// Total is how many postings went on.
func (r Released) Total() int { return r.Published + r.Moderated }

// AcceptTerms records the acceptance through a mailed link (channel web)
// and releases the contributor's postings held for it, each through its
// list's posting policy.
func (s *Service) AcceptTerms(ctx context.Context, token string) (Released, error) {
	var released Released
	if s.Audit == nil {
		return released, ErrNoAudit
	}
	version, transfer, err := s.statement(ctx)
	if err != nil {
		return released, err
	}
	now := s.now()
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
		// In order of list, as every writer of several lists' postings
		// takes their list_threads locks (see PostEach).
		held, err := postsWhere(ctx, tx, "p.contributor_id = ? AND p.status = ? ORDER BY p.list_id, p.id", c.ID, HeldTerms)
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
			if status == Published {
				released.Published++
			} else {
				released.Moderated++
			}
		}
		return s.Audit.Record(ctx, tx, audit.Entry{Actor: c.PersonID, Label: "contributor", Action: "lists.accept-terms",
			Subject: fmt.Sprintf("contributor:%d", c.ID), Detail: fmt.Sprintf("%d held postings released", released.Total())})
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

// ErrReasonTooLong refuses a moderator's reason past maxReason.
var ErrReasonTooLong = errors.New("The reason is too long: keep it under 2,000 characters. Nothing was changed.")

const maxReason = 2000

// Moderate approves (publishes) or rejects (deletes) a held posting, and
// tells its author which, with the moderator's reason for a rejection
// (optional; it is mailed to the author, not kept).
func (s *Service) Moderate(ctx context.Context, who Actor, list string, id int64, approve bool, reason string) error {
	if s.Audit == nil {
		return ErrNoAudit
	}
	reason = strings.TrimSpace(reason)
	if !utf8.ValidString(reason) || utf8.RuneCountInString(reason) > maxReason {
		return ErrReasonTooLong
	}
	now := s.now()
	var p Posting
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		var err error
		if p, err = getPost(ctx, tx, id); err != nil {
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
	if err != nil || s.Mail == nil {
		return err
	}
	// After the decision is stored: a failure to mail does not undo it.
	if err := s.Mail.Send(ctx, s.moderationNotice(p, approve, reason)); err != nil {
		return fmt.Errorf("telling the author of a moderated posting: %w", err)
	}
	return nil
}

// moderationNotice tells a held posting's author what the moderators
// decided.
func (s *Service) moderationNotice(p Posting, approved bool, reason string) mail.Message {
	if approved {
		return mail.Message{To: p.Email, Subject: "Your posting to " + p.List + " is published",
			Body: fmt.Sprintf("The moderators of the discussion group %s of %s approved your posting \"%s\". It is published and sent to the group's subscribers:\n\n%s/lists/%s/msg/%d\n",
				p.List, s.Org, p.Subject, s.BaseURL, p.List, p.ID)}
	}
	why := "They gave no reason."
	if reason != "" {
		why = "Their reason: " + reason
	}
	return mail.Message{To: p.Email, Subject: "Your posting to " + p.List + " was not published",
		Body: fmt.Sprintf("The moderators of the discussion group %s of %s declined your posting \"%s\". %s\n\nThe posting is deleted; nothing of it is kept.\n",
			p.List, s.Org, p.Subject, why)}
}

// SweepHeld deletes postings held longer than days, the records of terms
// links mailed as long ago, and contributors who never accepted the terms
// and have no posting left (U3).
func SweepHeld(ctx context.Context, q store.Querier, now time.Time, days int) (posts, contributors int64, err error) {
	if days < 0 {
		return 0, 0, nil
	}
	if posts, err = store.DeleteOlder(ctx, q, "DELETE FROM list_posts WHERE status <> ? AND created_at < ?", now, days, Published); err != nil {
		return 0, 0, fmt.Errorf("sweeping held postings: %w", err)
	}
	// A record of a mailed terms link matters for a day; it goes with
	// the held postings it was for.
	if _, err := store.DeleteOlder(ctx, q, "DELETE FROM list_terms_notices WHERE sent_at < ?", now, days); err != nil {
		return posts, 0, fmt.Errorf("sweeping records of mailed terms links: %w", err)
	}
	res, err := q.Exec(ctx, "DELETE FROM list_contributors WHERE accepted_at IS NULL AND id NOT IN (SELECT contributor_id FROM list_posts)")
	if err != nil {
		return posts, 0, fmt.Errorf("sweeping contributors: %w", err)
	}
	contributors, err = res.RowsAffected()
	return posts, contributors, err
}

const postColumns = `p.id, p.list_id, l.name, c.name, c.email, p.message_id, p.in_reply_to, p.thread_id, p.subject, p.body, p.status, p.created_at, p.published_at`

func postsWhere(ctx context.Context, q store.Querier, cond string, args ...any) ([]Posting, error) {
	ps, err := scanPosts(q.Query(ctx, "SELECT "+postColumns+" FROM list_posts p JOIN lists l ON l.id = p.list_id JOIN list_contributors c ON c.id = p.contributor_id WHERE "+cond, args...))
	if err != nil {
		return nil, fmt.Errorf("reading postings: %w", err)
	}
	return ps, nil
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
