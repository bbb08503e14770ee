package lists

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"mime"
	"sort"
	"strings"
	"time"

	"plenary/internal/audit"
	"plenary/internal/mail"
	"plenary/internal/store"
)

// Thread is a thread of the archive: its postings in order of arrival.
type Thread struct {
	ID       int64
	Subject  string
	Postings []Posting
	Last     time.Time
}

// Threads returns a list's published postings grouped in threads, the
// thread with the newest posting first.
func Threads(ctx context.Context, q store.Querier, list string) ([]Thread, error) {
	ps, err := postsWhere(ctx, q, "l.name = ? AND p.status = ? ORDER BY p.id", strings.ToLower(list), Published)
	if err != nil {
		return nil, err
	}
	byID := map[int64]*Thread{}
	var order []*Thread
	for _, p := range ps {
		t, ok := byID[p.ThreadID]
		if !ok {
			t = &Thread{ID: p.ThreadID, Subject: p.Subject}
			byID[p.ThreadID] = t
			order = append(order, t)
		}
		t.Postings = append(t.Postings, p)
		if p.PublishedAt != nil && p.PublishedAt.After(t.Last) {
			t.Last = *p.PublishedAt
		}
	}
	sort.SliceStable(order, func(i, j int) bool {
		if !order[i].Last.Equal(order[j].Last) {
			return order[i].Last.After(order[j].Last)
		}
		return order[i].ID > order[j].ID
	})
	out := make([]Thread, len(order))
	for i, t := range order {
		out[i] = *t
	}
	return out, nil
}

// Message returns one published posting of a list with its thread.
func Message(ctx context.Context, q store.Querier, list string, id int64) (Posting, []Posting, error) {
	p, err := getPost(ctx, q, id)
	if err != nil {
		return p, nil, err
	}
	if p.List != strings.ToLower(list) || p.Status != Published {
		return Posting{}, nil, ErrNoPost
	}
	thread, err := postsWhere(ctx, q, "p.list_id = ? AND p.thread_id = ? AND p.status = ? ORDER BY p.id", p.ListID, p.ThreadID, Published)
	return p, thread, err
}

// ReplyTarget returns the published posting of l that a reply names, for
// the posting form. A person who may not read l's archive (CanRead) gets
// ErrNoPost, as for a posting that does not exist: the form would
// otherwise show them its subject, and whether an id is taken, for every
// id they try.
func ReplyTarget(ctx context.Context, q store.Querier, l List, person, id int64) (Posting, error) {
	ok, err := CanRead(ctx, q, l, person)
	if err != nil {
		return Posting{}, err
	}
	if !ok {
		return Posting{}, ErrNoPost
	}
	p, err := getPost(ctx, q, id)
	if err != nil {
		return Posting{}, err
	}
	if p.ListID != l.ID || p.Status != Published {
		return Posting{}, ErrNoPost
	}
	return p, nil
}

// CanRead reports whether the archive of l is open to a reader: public
// archives to everyone, the others to confirmed subscribers among the
// person's addresses.
func CanRead(ctx context.Context, q store.Querier, l List, person int64) (bool, error) {
	if l.Archive == ArchivePublic {
		return true, nil
	}
	if person == 0 {
		return false, nil
	}
	subs, err := SubscriptionsOf(ctx, q, person)
	if err != nil {
		return false, err
	}
	for _, s := range subs {
		if s.ListID == l.ID && s.Confirmed() {
			return true, nil
		}
	}
	return false, nil
}

// WriteMbox writes a list's published postings as an mbox file, with
// the authors' addresses whole.
func WriteMbox(ctx context.Context, q store.Querier, list string, w io.Writer) error {
	ps, err := postsWhere(ctx, q, "l.name = ? AND p.status = ? ORDER BY p.id", strings.ToLower(list), Published)
	if err != nil {
		return err
	}
	return WriteMboxOf(ctx, q, ps, false, w)
}

// Distributor sends published postings to subscribers, as the
// DistributeKind job.
type Distributor struct {
	DB      *store.DB
	Mail    mail.Sender
	Domain  string
	BaseURL string
	// Batch is how many copies go out on one connection before their
	// deliveries are recorded; zero means DeliveryBatch.
	Batch int
	// Audit records the bounces that copies refused by the mail server
	// count as (see refused in refused.go).
	Audit *audit.Log
}

// Extras is what every copy of a posting carries besides the posting
// itself, read once for all of them (Distributor.Extras).
type Extras struct {
	// References is the References field: the thread's Message-IDs as
	// the archive knows them, oldest first, ending with the parent.
	References string
	// Attachments are the attachments the archive kept.
	Attachments []Attachment
	// parts are the attachments as MIME parts, encoded once.
	parts []string
}

// maxReferences is how many Message-IDs a copy's References names at
// most: the thread's first and the nearest ones, which is what mail
// programs thread by (RFC 5322 3.6.4 lets a long chain be shortened).
const maxReferences = 20

// Extras reads the References and attachments of a posting for its
// copies.
//
// References is the posting's own chain, as it arrived by mail, ending
// with its parent; a reply from the web names only its parent, so its
// chain is the parent's (the parent's References and its Message-ID).
func (d *Distributor) Extras(ctx context.Context, p Posting) (Extras, error) {
	var x Extras
	var refs string
	err := d.DB.QueryRow(ctx, "SELECT refs FROM list_posts WHERE id = ?", p.ID).Scan(&refs)
	if errors.Is(err, sql.ErrNoRows) {
		return x, ErrNoPost // removed since it was read
	}
	if err != nil {
		return x, fmt.Errorf("reading the references of posting %d: %w", p.ID, err)
	}
	if strings.TrimSpace(refs) == "" && p.InReplyTo != "" {
		var prefs, pparent string
		err := d.DB.QueryRow(ctx, "SELECT refs, in_reply_to FROM list_posts WHERE list_id = ? AND message_id = ?", p.ListID, p.InReplyTo).Scan(&prefs, &pparent)
		switch {
		case err == nil:
			refs = references(prefs, pparent)
		case !errors.Is(err, sql.ErrNoRows):
			return x, fmt.Errorf("reading the references of posting %d's parent: %w", p.ID, err)
		}
	}
	x.References = referencesField(refs, p.InReplyTo)
	files, err := attachmentData(ctx, d.DB, p.ID)
	if err != nil {
		return x, err
	}
	x.Attachments = files
	for _, a := range files {
		x.parts = append(x.parts, attachmentPart(a))
	}
	return x, nil
}

// referencesField is the References of a copy: the chain ending with the
// parent, without anything that is not a well-formed <id> (a header of
// the sender's making must not break the copy's), cut to the thread's
// first Message-ID and the nearest maxReferences-1.
func referencesField(refs, parent string) string {
	var ids []string
	for _, id := range strings.Fields(references(refs, parent)) {
		if msgID(id) {
			ids = append(ids, id)
		}
	}
	if len(ids) > maxReferences {
		ids = append(ids[:1], ids[len(ids)-maxReferences+1:]...)
	}
	return strings.Join(ids, " ")
}

// msgID accepts a Message-ID as it may stand in a header field: <...>
// of printable ASCII without spaces or further angle brackets.
func msgID(id string) bool {
	if len(id) < 3 || len(id) > 250 || id[0] != '<' || id[len(id)-1] != '>' {
		return false
	}
	for i := 1; i < len(id)-1; i++ {
		if c := id[i]; c <= ' ' || c > '~' || c == '<' || c == '>' {
			return false
		}
	}
	return true
}

// Message is the copy of p sent to one subscriber, with the RFC 2369,
// 2919 and 8058 header fields that let mail programs show the list,
// its help, owner and archive, and unsubscribe in one click, and with
// In-Reply-To and References so that replies thread.
//
// From is the list's address with the author's name, "Jane Doe via
// wg-arch": the copy does not come from the author's domain, so with the
// author's address in From it would fail that domain's DMARC policy at
// the subscriber's server. Reply-To is the list, because a discussion
// group's replies go to the group and its archive. The author's address
// is in neither: the archive shows it whole only to signed-in readers,
// and a copy by mail goes to subscribers who need no account and is
// forwarded and kept beyond the site, so it is treated like a page read
// anonymously; a masked address would be of no use in a header, so the
// copy names the author by name only, as its first line does too.
func (d *Distributor) Message(l List, p Posting, x Extras, to, token string) mail.Message {
	site := d.BaseURL + "/lists/" + l.Name
	unsub := site + "/unsubscribe/" + token
	listID := "<" + l.ListID(d.Domain) + ">"
	if ph := phrase(firstLine(l.Description)); ph != "" {
		listID = ph + " " + listID
	}
	h := []mail.Header{
		{Name: "Reply-To", Value: l.Address(d.Domain)},
		{Name: "List-Id", Value: listID},
		// The list's page says what the list is, how to post and how
		// to subscribe (a form: there is no NAME-request@ address, the
		// inbound side takes NAME@, NAME-unsubscribe@ and bounces only).
		{Name: "List-Help", Value: "<" + site + ">"},
		{Name: "List-Subscribe", Value: "<" + site + ">"},
		{Name: "List-Unsubscribe", Value: fmt.Sprintf("<%s>, <mailto:%s-unsubscribe@%s>", unsub, l.Name, d.Domain)},
		{Name: "List-Unsubscribe-Post", Value: "List-Unsubscribe=One-Click"},
		{Name: "List-Archive", Value: "<" + site + ">"},
		{Name: "List-Post", Value: "<mailto:" + l.Address(d.Domain) + ">"},
		// No NAME-owner@ mailbox exists (the inbound side refuses it),
		// so the owner is reached by the site's contact form, which the
		// secretariat reads.
		{Name: "List-Owner", Value: "<" + d.BaseURL + "/contact>"},
		{Name: "Precedence", Value: "list"},
	}
	if msgID(p.InReplyTo) {
		h = append(h, mail.Header{Name: "In-Reply-To", Value: p.InReplyTo})
	}
	if x.References != "" {
		h = append(h, mail.Header{Name: "References", Value: x.References})
	}
	subject := p.Subject
	if tag := "[" + l.Name + "]"; !strings.Contains(subject, tag) {
		subject = tag + " " + subject
	}
	text := fmt.Sprintf("From: %s\n\n%s\n\n-- \n%s: %s\nArchive: %s/msg/%d\nUnsubscribe: %s\n",
		cleanLine(p.Author), strings.TrimRight(p.Body, "\n"), l.Name, cleanLine(firstLine(l.Description)), site, p.ID, unsub)
	m := mail.Message{To: to, From: l.Address(d.Domain), FromName: fromName(p.Author, l.Name), Subject: subject, Body: text,
		Headers: h, MessageID: strings.Trim(p.MessageID, "<>")}
	if len(x.Attachments) > 0 {
		parts := x.parts
		if len(parts) != len(x.Attachments) {
			parts = make([]string, len(x.Attachments))
			for i, a := range x.Attachments {
				parts[i] = attachmentPart(a)
			}
		}
		// The same MIME writing as the mbox export, 7-bit for SMTP.
		m.BodyType, _, m.Body = mimeBody(p.MessageID, text, parts, true)
	}
	return m
}

// fromName is the display name of a copy's From: "Author via list", or
// the list's name when the author has none. The sender quotes or encodes
// it; here it loses control characters and runs of spaces (cleanLine),
// and is cut to a length that fits a header line.
func fromName(author, list string) string {
	a := cleanLine(author)
	if r := []rune(a); len(r) > 64 {
		a = strings.TrimSpace(string(r[:64]))
	}
	if a == "" {
		return list
	}
	return a + " via " + list
}

// phrase is s as the phrase of a header field before an address or list
// id (RFC 5322 3.2.5, which List-Id's description is): as it stands when
// it is plain words, a quoted string with its backslashes and quotes
// escaped when it holds specials (angle brackets, quotes, colons), RFC
// 2047 encoded words when it is not ASCII, Q-encoded when the text has
// no specials and base64 when it has, since RFC 2047 5(3) lets a Q word
// in a phrase hold only letters, digits and !*+-/=_. Empty when s is.
func phrase(s string) string {
	s = cleanLine(s)
	if s == "" {
		return ""
	}
	ascii, atoms, qsafe := true, true, true
	for _, r := range s {
		switch {
		case r > 126:
			ascii = false
		case r == ' ' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z':
		case strings.ContainsRune("!*+-/=_", r):
		case strings.ContainsRune("#$%&'?^`{|}~", r):
			qsafe = false
		default:
			atoms, qsafe = false, false
		}
	}
	switch {
	case !ascii && qsafe:
		return mime.QEncoding.Encode("utf-8", s)
	case !ascii:
		return mime.BEncoding.Encode("utf-8", s)
	case atoms && !strings.Contains(s, "=?"):
		// (Words that look like an encoded word would be decoded by
		// the reader: quoted, they are not.)
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// firstLine is the first line of s, cut to 80 characters.
func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len([]rune(s)) > 80 {
		s = string([]rune(s)[:80])
	}
	return s
}
