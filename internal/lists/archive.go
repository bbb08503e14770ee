package lists

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"plenary/internal/jobs"
	"plenary/internal/mail"
	"plenary/internal/policy"
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

// WriteMbox writes a list's published postings as an mbox file (the
// mboxrd form: a body line starting with ">*From " gets one more ">").
func WriteMbox(ctx context.Context, q store.Querier, list string, w io.Writer) error {
	ps, err := postsWhere(ctx, q, "l.name = ? AND p.status = ? ORDER BY p.id", strings.ToLower(list), Published)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	for _, p := range ps {
		at := p.CreatedAt.UTC()
		if p.PublishedAt != nil {
			at = *p.PublishedAt
		}
		fmt.Fprintf(bw, "From %s %s\n", p.Email, at.Format("Mon Jan _2 15:04:05 2006"))
		fmt.Fprintf(bw, "From: %s\n", mailbox(p.Author, p.Email))
		fmt.Fprintf(bw, "Subject: %s\n", encodeHeader(p.Subject))
		fmt.Fprintf(bw, "Date: %s\n", at.Format(time.RFC1123Z))
		fmt.Fprintf(bw, "Message-ID: %s\n", p.MessageID)
		if p.InReplyTo != "" {
			fmt.Fprintf(bw, "In-Reply-To: %s\n", p.InReplyTo)
		}
		fmt.Fprintf(bw, "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n")
		for _, line := range strings.Split(strings.TrimRight(p.Body, "\n"), "\n") {
			if strings.HasPrefix(strings.TrimLeft(line, ">"), "From ") {
				line = ">" + line
			}
			bw.WriteString(line)
			bw.WriteByte('\n')
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// mailbox formats "Name <addr>" with the name encoded when it needs to be.
func mailbox(name, addr string) string {
	return encodeHeader(name) + " <" + addr + ">"
}

func encodeHeader(s string) string {
	for _, r := range s {
		if r > 126 || r < 32 {
			return mimeQ(s)
		}
	}
	return s
}

func mimeQ(s string) string {
	var b strings.Builder
	b.WriteString("=?utf-8?q?")
	for _, c := range []byte(s) {
		switch {
		case c == ' ':
			b.WriteByte('_')
		case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "=%02X", c)
		}
	}
	b.WriteString("?=")
	return b.String()
}

// Distributor sends published postings to subscribers, as the
// DistributeKind job.
type Distributor struct {
	DB      *store.DB
	Mail    mail.Sender
	Domain  string
	BaseURL string
}

// Handle sends the posting the job names to every confirmed subscriber
// of its list who has not had it yet, recording each delivery as it goes:
// a job resumed after a crash or a failed send goes on where it stopped,
// and each subscriber gets the posting once.
func (d *Distributor) Handle(ctx context.Context, j jobs.Job) error {
	id, err := strconv.ParseInt(j.Payload, 10, 64)
	if err != nil {
		return fmt.Errorf("distribution job with payload %q: %w", j.Payload, err)
	}
	p, err := getPost(ctx, d.DB, id)
	if errors.Is(err, ErrNoPost) {
		return nil // removed since: nothing to send
	}
	if err != nil {
		return err
	}
	l, err := Get(ctx, d.DB, p.List)
	if err != nil {
		return err
	}
	rows, err := d.DB.Query(ctx, `SELECT s.id, s.email, s.token FROM list_subscriptions s
		WHERE s.list_id = ? AND s.confirmed_at IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM list_deliveries d WHERE d.post_id = ? AND d.subscription_id = s.id) ORDER BY s.id`, l.ID, p.ID)
	if err != nil {
		return fmt.Errorf("listing subscribers: %w", err)
	}
	type rcpt struct {
		id           int64
		email, token string
	}
	var todo []rcpt
	for rows.Next() {
		var r rcpt
		if err := rows.Scan(&r.id, &r.email, &r.token); err != nil {
			rows.Close()
			return fmt.Errorf("listing subscribers: %w", err)
		}
		todo = append(todo, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, r := range todo {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := d.Mail.Send(ctx, d.Message(l, p, r.email, r.token)); err != nil {
			return fmt.Errorf("sending posting %d: %w", p.ID, err)
		}
		if _, err := d.DB.Exec(ctx, "INSERT INTO list_deliveries (post_id, subscription_id, sent_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
			p.ID, r.id, time.Now().UTC()); err != nil {
			return fmt.Errorf("recording a delivery: %w", err)
		}
	}
	return nil
}

// Message is the copy of p sent to one subscriber, with the RFC 2369,
// 2919 and 8058 header fields that let mail programs show the list and
// unsubscribe in one click.
func (d *Distributor) Message(l List, p Posting, to, token string) mail.Message {
	unsub := d.BaseURL + "/lists/" + l.Name + "/unsubscribe/" + token
	h := []mail.Header{
		{Name: "Reply-To", Value: l.Address(d.Domain)},
		{Name: "List-Id", Value: fmt.Sprintf("%s <%s>", encodeHeader(firstLine(l.Description)), l.ListID(d.Domain))},
		{Name: "List-Unsubscribe", Value: fmt.Sprintf("<%s>, <mailto:%s-unsubscribe@%s>", unsub, l.Name, d.Domain)},
		{Name: "List-Unsubscribe-Post", Value: "List-Unsubscribe=One-Click"},
		{Name: "List-Archive", Value: "<" + d.BaseURL + "/lists/" + l.Name + "/archive>"},
		{Name: "List-Post", Value: "<mailto:" + l.Address(d.Domain) + ">"},
		{Name: "Precedence", Value: "list"},
	}
	if p.InReplyTo != "" {
		h = append(h, mail.Header{Name: "In-Reply-To", Value: p.InReplyTo})
	}
	subject := p.Subject
	if tag := "[" + l.Name + "]"; !strings.Contains(subject, tag) {
		subject = tag + " " + subject
	}
	body := fmt.Sprintf("From: %s\n\n%s\n\n-- \n%s: %s\nArchive: %s/lists/%s/archive/%d\nUnsubscribe: %s\n",
		p.Author, strings.TrimRight(p.Body, "\n"), l.Name, firstLine(l.Description), d.BaseURL, l.Name, p.ID, unsub)
	return mail.Message{To: to, From: l.Address(d.Domain), Subject: subject, Body: body, Headers: h, MessageID: strings.Trim(p.MessageID, "<>")}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len([]rune(s)) > 80 {
		s = string([]rune(s)[:80])
	}
	return s
}

// MailHandler takes mail for every list's addresses from the inbound
// listener: NAME@ posts, NAME-unsubscribe@ ends the sender's
// subscription. Register it with Router.HandleRest.
type MailHandler struct{ Service *Service }

func (h *MailHandler) target(ctx context.Context, local string) (List, bool, bool) {
	name, unsub := strings.CutSuffix(local, "-unsubscribe")
	l, err := Get(ctx, h.Service.DB, name)
	return l, unsub, err == nil
}

// Accepts reports whether local is a list's address.
func (h *MailHandler) Accepts(ctx context.Context, local string) bool {
	_, _, ok := h.target(ctx, local)
	return ok
}

// Receive posts or unsubscribes.
func (h *MailHandler) Receive(ctx context.Context, m mail.Inbound) error {
	l, unsub, ok := h.target(ctx, m.Local)
	if !ok {
		return mail.Refuse("There is no such address here")
	}
	if unsub {
		_, err := h.Service.UnsubscribeAddress(ctx, l.Name, m.From, policy.ChannelEmail)
		if errors.Is(err, ErrNoSuchLink) {
			return nil // not subscribed: what they asked for
		}
		return err
	}
	_, err := h.Service.Post(ctx, Draft{List: l.Name, Email: m.From, Subject: m.Subject, Body: m.Text,
		MessageID: m.MessageID, InReplyTo: m.InReplyTo, References: m.References, Channel: policy.ChannelEmail})
	var p ProblemsError
	if errors.As(err, &p) {
		return mail.Refuse("The posting was not taken: " + p.Error())
	}
	return err
}
