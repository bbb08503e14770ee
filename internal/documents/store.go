package documents

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"plenary/internal/audit"
	"plenary/internal/people"
	"plenary/internal/policy"
	"plenary/internal/store"
	"plenary/internal/validate"
)

// PurposeSubmission is the consent ledger's purpose for a submission: the
// submitter accepted the contribution terms and was told the draft and
// the personal data in it become public records (PUB1).
const PurposeSubmission = "publishing an Internet-Draft, with the personal data in it, as a public record under the contribution terms"

// Errors with messages fit for the person.
var (
	ErrNotFound = errors.New("There is no such draft or revision.")
	ErrNoAudit  = errors.New("The audit log is not available, so nothing can be posted.")
)

// Submitter is who posts a revision.
type Submitter struct {
	ID   int64
	Name string
	// Secretariat may post a revision of any draft, as the secretariat
	// posts for authors who cannot.
	Secretariat bool
}

// Submission is an upload with what the submitter was shown.
type Submission struct {
	Upload    Upload
	VersionID int64  // the privacy statement version current when it was sent
	Transfer  string // the transfer statement the form showed (C6)
}

// LatestRev returns the latest posted revision of name, "" when none.
func LatestRev(ctx context.Context, q store.Querier, name string) (string, error) {
	var rev string
	err := q.QueryRow(ctx, "SELECT rev FROM drafts WHERE name = ?", name).Scan(&rev)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading a draft's latest revision: %w", err)
	}
	return rev, nil
}

// Submit checks an upload and, when it has no problem, posts it: the
// revision, its authors (each address entering the participant records
// with origin "draft author" unless it is known already), the submitter's
// consent entry and an audit entry, in one transaction. A *validate.Errors
// carries every problem, each with its file and line; nothing is stored
// then.
func Submit(ctx context.Context, db *store.DB, log *audit.Log, who Submitter, sub Submission, now time.Time) (Revision, error) {
	if log == nil {
		return Revision{}, ErrNoAudit
	}
	var rev Revision
	err := db.Tx(ctx, func(tx *store.Tx) error {
		// One submission of a name at a time, so two cannot both take
		// the same next revision.
		if err := tx.Lock(ctx, "documents.submit"); err != nil {
			return err
		}
		c, err := Check(sub.Upload, func(name string) (string, error) { return LatestRev(ctx, tx, name) })
		if err != nil {
			return err
		}
		if c.Problems != nil {
			return c.Problems
		}
		if err := mayRevise(ctx, tx, who, c.Meta.Name); err != nil {
			return err
		}
		if rev, err = post(ctx, tx, c, who.ID, sub, now); err != nil {
			return err
		}
		return log.Record(ctx, tx, audit.Entry{Actor: who.ID, Label: audit.ParticipantLabel(who.ID), Action: "documents.submit",
			Subject: "draft:" + rev.FullName(), Detail: fmt.Sprintf("%d authors", len(rev.Authors))})
	})
	return rev, err
}

// mayRevise refuses a new revision of a draft that is someone else's. A
// revision is taken from whoever posted an earlier one, from an author of
// the latest one signed in with an address of theirs the draft gives (a
// mailbox they proved: an address staff added, or one the draft itself
// entered, proves nothing), or from the secretariat. Anyone else posting
// -08 of another person's draft would put words under its authors' names.
func mayRevise(ctx context.Context, q store.Querier, who Submitter, name string) error {
	latest, err := LatestRev(ctx, q, name)
	if err != nil || latest == "" || who.Secretariat {
		return err
	}
	var n int
	err = q.QueryRow(ctx, `SELECT
		(SELECT COUNT(*) FROM draft_revisions r JOIN drafts d ON d.id = r.draft_id WHERE d.name = ? AND r.submitter_id = ?)
		+ (SELECT COUNT(*) FROM draft_authors a
			JOIN draft_revisions r ON r.id = a.revision_id
			JOIN drafts d ON d.id = r.draft_id AND r.rev = d.rev
			JOIN person_emails e ON e.address_key = LOWER(a.email)
			WHERE d.name = ? AND e.person_id = ? AND e.verified_at IS NOT NULL AND e.origin = 'self')`,
		name, who.ID, name, who.ID).Scan(&n)
	if err != nil {
		return fmt.Errorf("checking who may revise %s: %w", name, err)
	}
	if n > 0 {
		return nil
	}
	var e validate.Errors
	e.Add("xml", fmt.Sprintf("%s-%s is another author's draft: its next revision is taken only from whoever posted an earlier revision, "+
		"or from an author of -%s signed in with the address the draft gives for them (add it on your account page and confirm it). "+
		"If you are joining the authors, ask one of them, or the secretariat, to post it. Nothing was stored.", name, latest, latest))
	return &e
}

// Post stores a checked upload on q without an audit entry: Submit's part
// that the demo content uses too.
func Post(ctx context.Context, q store.Querier, c Checked, submitter int64, sub Submission, now time.Time) (Revision, error) {
	if c.Problems != nil {
		return Revision{}, fmt.Errorf("documents: posting an upload with problems: %w", c.Problems)
	}
	return post(ctx, q, c, submitter, sub, now)
}

func post(ctx context.Context, q store.Querier, c Checked, submitter int64, sub Submission, now time.Time) (Revision, error) {
	now = now.UTC()
	m := c.Meta
	var names []string
	for _, a := range m.Authors {
		names = append(names, a.Name)
	}
	authors := strings.Join(names, ", ")
	var draftID int64
	err := q.QueryRow(ctx, "SELECT id FROM drafts WHERE name = ?", m.Name).Scan(&draftID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		draftID, err = store.Insert(ctx, q, "INSERT INTO drafts (name, rev, title, grp, authors, posted_at) VALUES (?, ?, ?, ?, ?, ?)",
			m.Name, m.Rev, m.Title, m.Group, authors, now)
		if err != nil {
			return Revision{}, fmt.Errorf("posting a draft: %w", err)
		}
	case err != nil:
		return Revision{}, fmt.Errorf("posting a draft: %w", err)
	default:
		if _, err := q.Exec(ctx, "UPDATE drafts SET rev = ?, title = ?, grp = ?, authors = ?, posted_at = ? WHERE id = ?",
			m.Rev, m.Title, m.Group, authors, now, draftID); err != nil {
			return Revision{}, fmt.Errorf("posting a revision: %w", err)
		}
	}
	var by any
	if submitter != 0 {
		by = submitter
	}
	revID, err := store.Insert(ctx, q, `INSERT INTO draft_revisions (draft_id, rev, title, abstract, doc_date, grp, refs, xml_source, txt_source, submitter_id, posted_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		draftID, m.Rev, m.Title, m.Abstract, m.Date, m.Group, strings.Join(m.References, "\n"), c.XML, c.Txt, by, now)
	if store.IsUniqueViolation(err) {
		var e validate.Errors
		e.Add("xml", fmt.Sprintf("%s-%s was posted a moment ago by someone else; nothing was stored", m.Name, m.Rev))
		return Revision{}, &e
	}
	if err != nil {
		return Revision{}, fmt.Errorf("posting a revision: %w", err)
	}
	for i, a := range m.Authors {
		pid, err := authorRecord(ctx, q, a, now)
		if err != nil {
			return Revision{}, err
		}
		var person any
		if pid != 0 {
			person = pid
		}
		if _, err := q.Exec(ctx, "INSERT INTO draft_authors (revision_id, position, name, email, affiliation, person_id) VALUES (?, ?, ?, ?, ?, ?)",
			revID, i, a.Name, a.Email, a.Affiliation, person); err != nil {
			return Revision{}, fmt.Errorf("keeping a draft's authors: %w", err)
		}
	}
	if submitter != 0 {
		if err := policy.Record(ctx, q, policy.Consent{
			PersonID: submitter, Purpose: PurposeSubmission, Granted: true, VersionID: sub.VersionID,
			Channel: policy.ChannelWeb, Transfer: sub.Transfer, At: now,
		}); err != nil {
			return Revision{}, err
		}
	}
	return getRevision(ctx, q, m.Name, m.Rev)
}

// authorRecord finds the participant an author's address belongs to, or
// makes a record for it with origin "draft author"; 0 when the author
// gives no usable address, or when the address is held by a claim nobody
// proved (an unconfirmed sign-up), which may yet be replaced: the row is
// linked when the address is confirmed (people.RecordLink). Whoever proves
// the mailbox of a record's address takes the record's rows over.
func authorRecord(ctx context.Context, q store.Querier, a Author, now time.Time) (int64, error) {
	addr, err := people.CleanEmail(a.Email)
	if err != nil {
		return 0, nil // an address plenary cannot use enters no record
	}
	_, e, err := people.FindByEmail(ctx, q, addr)
	if err == nil {
		return people.RecordLink(ctx, q, e)
	}
	if !errors.Is(err, people.ErrNotFound) {
		return 0, err
	}
	name, err := people.CleanName(a.Name)
	if err != nil {
		name = addr
	}
	p, _, err := people.Create(ctx, q, people.New{Name: name, Email: addr, Origin: people.OriginDraftAuthor}, now)
	if err != nil {
		return 0, fmt.Errorf("recording a draft's author: %w", err)
	}
	if a.Affiliation != "" {
		if _, err := people.Update(ctx, q, p.ID, 0, people.Details{Name: p.Name, Affiliation: a.Affiliation}, now); err != nil {
			// An affiliation that does not fit the record's rules stays
			// on the draft only.
			if _, bad := validate.From(err); !bad {
				return 0, err
			}
		}
	}
	return p.ID, nil
}

const revisionColumns = "r.id, r.draft_id, d.name, r.rev, r.title, r.abstract, r.doc_date, r.grp, r.refs, r.xml_source, r.txt_source, r.submitter_id, r.posted_at"

func scanRevision(row interface{ Scan(...any) error }) (Revision, error) {
	var r Revision
	var refs string
	var by sql.NullInt64
	err := row.Scan(&r.ID, &r.DraftID, &r.Name, &r.Rev, &r.Title, &r.Abstract, &r.Date, &r.Group, &refs, &r.XML, &r.Txt, &by, &r.PostedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrNotFound
	}
	if err != nil {
		return r, fmt.Errorf("reading a draft revision: %w", err)
	}
	if refs != "" {
		r.References = strings.Split(refs, "\n")
	}
	r.Submitter = by.Int64
	return r, nil
}

func getRevision(ctx context.Context, q store.Querier, name, rev string) (Revision, error) {
	return getRevisionWith(ctx, q, revisionColumns, name, rev)
}

func getRevisionWith(ctx context.Context, q store.Querier, columns, name, rev string) (Revision, error) {
	r, err := scanRevision(q.QueryRow(ctx, "SELECT "+columns+" FROM draft_revisions r JOIN drafts d ON d.id = r.draft_id WHERE d.name = ? AND r.rev = ?", name, rev))
	if err != nil {
		return r, err
	}
	r.Authors, err = revisionAuthors(ctx, q, r.ID)
	return r, err
}

func revisionAuthors(ctx context.Context, q store.Querier, revID int64) ([]Author, error) {
	rows, err := q.Query(ctx, "SELECT name, email, affiliation, person_id FROM draft_authors WHERE revision_id = ? ORDER BY position", revID)
	if err != nil {
		return nil, fmt.Errorf("reading a draft's authors: %w", err)
	}
	defer rows.Close()
	var out []Author
	for rows.Next() {
		var a Author
		var pid sql.NullInt64
		if err := rows.Scan(&a.Name, &a.Email, &a.Affiliation, &pid); err != nil {
			return nil, fmt.Errorf("reading a draft's authors: %w", err)
		}
		a.PersonID = pid.Int64
		out = append(out, a)
	}
	return out, rows.Err()
}

// Draft is a draft with every revision, newest first.
type Draft struct {
	Latest    Revision
	Revisions []Revision // without sources
	Replaced  bool
}

// Get returns a draft with its latest revision (rev "") or the revision
// asked for, and the list of every revision.
func Get(ctx context.Context, q store.Querier, name, rev string) (Draft, error) {
	return getDraft(ctx, q, revisionColumns, name, rev)
}

func getDraft(ctx context.Context, q store.Querier, columns, name, rev string) (Draft, error) {
	var d Draft
	if rev == "" {
		var err error
		if rev, err = LatestRev(ctx, q, name); err != nil {
			return d, err
		}
		if rev == "" {
			return d, ErrNotFound
		}
	}
	var err error
	if d.Latest, err = getRevisionWith(ctx, q, columns, name, rev); err != nil {
		return d, err
	}
	rows, err := q.Query(ctx, `SELECT r.rev, r.title, r.posted_at FROM draft_revisions r JOIN drafts d ON d.id = r.draft_id
		WHERE d.name = ? ORDER BY r.rev DESC`, name)
	if err != nil {
		return d, fmt.Errorf("listing a draft's revisions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r := Revision{Name: name}
		if err := rows.Scan(&r.Rev, &r.Title, &r.PostedAt); err != nil {
			return d, fmt.Errorf("listing a draft's revisions: %w", err)
		}
		d.Revisions = append(d.Revisions, r)
	}
	d.Replaced = len(d.Revisions) > 0 && d.Revisions[0].Rev != d.Latest.Rev
	return d, rows.Err()
}

// Before returns the revision posted before rev ("" when rev is the
// first, or not one of the draft's), the one its changes are shown from.
func (d Draft) Before(rev string) string {
	// Revisions are newest first.
	for i, r := range d.Revisions {
		if r.Rev == rev && i+1 < len(d.Revisions) {
			return d.Revisions[i+1].Rev
		}
	}
	return ""
}

// Status says whether a revision is active, replaced or expired at now.
func (d Draft) Status(now time.Time) string {
	switch {
	case d.Replaced:
		return "Replaced by a newer revision"
	case now.After(d.Latest.Expires()):
		return "Expired"
	}
	return "Active"
}

// List returns the drafts whose name, title, group or authors contain
// every word of text (every draft when text is empty), newest first, at
// most limit.
func List(ctx context.Context, q store.Querier, text string, limit int) ([]Summary, error) {
	return ListPage(ctx, q, text, limit, 0)
}

// MaxSearchWords is how many words of a search are looked for; the rest
// are left out. Each word adds one more test of four columns to every row
// scanned, so the cost of a query stays bounded whatever is typed.
const MaxSearchWords = 8

// SearchWords splits a search into its words, lower-cased, each once, in
// the order typed: a draft matches when each of the first MaxSearchWords
// is found, in any order, in any of its searched fields.
func SearchWords(text string) []string {
	var out []string
	for _, w := range strings.Fields(strings.ToLower(text)) {
		if !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out
}

// ListPage is List from the offset-th draft on, for a list read page by
// page.
func ListPage(ctx context.Context, q store.Querier, text string, limit, offset int) ([]Summary, error) {
	where, args := "", []any{}
	words := SearchWords(text)
	if len(words) > MaxSearchWords {
		words = words[:MaxSearchWords]
	}
	// One condition per word, all of them required: "derived communities"
	// finds the title "Extended Communities Derived from Route Targets",
	// and "zhang haas" a draft by both authors.
	var conds []string
	for _, w := range words {
		like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(w) + "%"
		conds = append(conds, `(LOWER(name) LIKE ? ESCAPE '\' OR LOWER(title) LIKE ? ESCAPE '\' OR LOWER(grp) LIKE ? ESCAPE '\' OR LOWER(authors) LIKE ? ESCAPE '\')`)
		args = append(args, like, like, like, like)
	}
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	args = append(args, limit, offset)
	rows, err := q.Query(ctx, "SELECT name, rev, title, grp, authors, posted_at FROM drafts"+where+" ORDER BY posted_at DESC, id DESC LIMIT ? OFFSET ?", args...)
	if err != nil {
		return nil, fmt.Errorf("listing drafts: %w", err)
	}
	defer rows.Close()
	var out []Summary
	for rows.Next() {
		var s Summary
		if err := rows.Scan(&s.Name, &s.Rev, &s.Title, &s.Group, &s.Authors, &s.PostedAt); err != nil {
			return nil, fmt.Errorf("listing drafts: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// SubmittedBy lists the revisions a person posted, newest first, for
// their own account page.
func SubmittedBy(ctx context.Context, q store.Querier, personID int64) ([]Summary, error) {
	rows, err := q.Query(ctx, `SELECT d.name, r.rev, r.title, r.grp, r.posted_at FROM draft_revisions r JOIN drafts d ON d.id = r.draft_id
		WHERE r.submitter_id = ? ORDER BY r.posted_at DESC, r.id DESC`, personID)
	if err != nil {
		return nil, fmt.Errorf("listing a person's submissions: %w", err)
	}
	defer rows.Close()
	var out []Summary
	for rows.Next() {
		var s Summary
		if err := rows.Scan(&s.Name, &s.Rev, &s.Title, &s.Group, &s.PostedAt); err != nil {
			return nil, fmt.Errorf("listing a person's submissions: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
