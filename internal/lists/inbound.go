package lists

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"plenary/internal/mail"
	"plenary/internal/policy"
)

// MailHandler takes mail for every list's addresses from the inbound
// listener: NAME@ posts, NAME-unsubscribe@ mails a subscriber the link
// that ends their subscription, NAME-bounces+TOKEN@ records a bounce of
// list mail. Register it with Router.HandleRest. It reads messages itself
// (mail.RawReceiver), with ParseMessage, so attachments and HTML-only mail
// are kept as the archive keeps them, and takes a message for several
// lists at once (mail.BatchReceiver), so that all keep it or none.
type MailHandler struct{ Service *Service }

// Kinds of list address.
const (
	addrPost = iota
	addrUnsubscribe
	addrBounces
)

func (h *MailHandler) target(ctx context.Context, local string) (l List, kind int, token string, ok bool) {
	name := local
	if box, tok, plus := strings.Cut(local, "+"); plus {
		var b bool
		if name, b = strings.CutSuffix(box, "-bounces"); !b {
			return List{}, 0, "", false
		}
		kind, token = addrBounces, tok
	} else if n, u := strings.CutSuffix(local, "-unsubscribe"); u {
		name, kind = n, addrUnsubscribe
	}
	l, err := Get(ctx, h.Service.DB, name)
	return l, kind, token, err == nil
}

// Accepts reports whether local is one of a list's addresses.
func (h *MailHandler) Accepts(ctx context.Context, local string) bool {
	_, _, _, ok := h.target(ctx, local)
	return ok
}

// Receive takes a message the mail package parsed already (its text
// only): the listener calls ReceiveBatch instead.
func (h *MailHandler) Receive(ctx context.Context, m mail.Inbound) error {
	l, kind, _, ok := h.target(ctx, m.Local)
	if !ok || kind == addrBounces {
		return mail.Refuse("There is no such address here")
	}
	p := Parsed{FromAddress: m.From, Subject: m.Subject, Text: m.Text, MessageID: m.MessageID,
		InReplyTo: m.InReplyTo, References: strings.Fields(m.References)}
	if kind == addrUnsubscribe {
		return h.unsubscribe(ctx, l, p)
	}
	return h.post(ctx, []List{l}, p)
}

// ReceiveRaw posts, mails an unsubscribe link or records a bounce.
func (h *MailHandler) ReceiveRaw(ctx context.Context, m mail.Inbound, raw []byte) error {
	return h.ReceiveBatch(ctx, []mail.Inbound{m}, raw)
}

// ReceiveBatch takes one message for several list addresses. The postings
// come first and are all or nothing: when one list refuses the message,
// no list keeps it, and nothing else is done with it.
func (h *MailHandler) ReceiveBatch(ctx context.Context, ms []mail.Inbound, raw []byte) error {
	type other struct {
		l     List
		kind  int
		token string
	}
	var posts []List
	var others []other
	for _, m := range ms {
		l, kind, token, ok := h.target(ctx, m.Local)
		if !ok {
			return mail.Refuse("There is no such address here")
		}
		if kind == addrPost {
			posts = append(posts, l)
		} else {
			others = append(others, other{l, kind, token})
		}
	}
	var p Parsed
	var perr error
	parsed := false
	parse := func() error {
		if !parsed {
			p, perr = ParseMessage(raw)
			parsed = true
		}
		if perr != nil {
			return mail.Refuse("The message was refused and nothing was stored: " + strings.TrimPrefix(perr.Error(), ErrUnreadable.Error()+": "))
		}
		return nil
	}
	if len(posts) > 0 {
		if err := parse(); err != nil {
			return err
		}
		if err := h.post(ctx, posts, p); err != nil {
			return err
		}
	}
	for _, o := range others {
		if o.kind == addrBounces {
			if err := h.Service.RecordBounce(ctx, o.l.Name, o.token, BounceStatus(raw)); err != nil {
				return err
			}
			continue
		}
		if err := parse(); err != nil {
			return err
		}
		if err := h.unsubscribe(ctx, o.l, p); err != nil {
			return err
		}
	}
	return nil
}

// post posts p to the lists, leaving out those it came from already (a
// loop), and refusing an automatic message.
func (h *MailHandler) post(ctx context.Context, ls []List, p Parsed) error {
	if p.AutoSubmitted != "" && p.AutoSubmitted != "no" {
		// RFC 3834: automatic mail (an absence notice, a notification)
		// is not a contribution, and answering it is how loops start.
		return mail.Refuse("This message was sent automatically (Auto-Submitted: " + p.AutoSubmitted + "); discussion groups take only messages people write")
	}
	var names []string
	for _, l := range ls {
		if h.looped(l, p) {
			// Refusing would send a bounce round the loop; the copy is
			// dropped and the rest of the message goes on.
			continue
		}
		names = append(names, l.Name)
	}
	if len(names) == 0 {
		return nil
	}
	_, err := h.Service.PostEach(ctx, Draft{Name: p.FromName, Email: p.FromAddress, Subject: p.Subject, Body: p.Text,
		MessageID: p.MessageID, InReplyTo: p.InReplyTo, References: strings.Join(p.References, " "),
		Attachments: p.Attachments, Channel: policy.ChannelEmail}, names)
	var pe ProblemsError
	if errors.As(err, &pe) {
		return mail.Refuse("The posting was not taken: " + pe.Error())
	}
	return err
}

// looped reports whether p went through l already: it carries the List-Id
// l's copies are sent with, or an X-Loop naming l's address.
func (h *MailHandler) looped(l List, p Parsed) bool {
	id := strings.ToLower(l.ListID(h.Service.Domain))
	addr := strings.ToLower(l.Address(h.Service.Domain))
	for _, v := range p.ListIDs {
		if v == id {
			return true
		}
	}
	for _, v := range p.XLoop {
		if v == addr || strings.Contains(v, "<"+addr+">") {
			return true
		}
	}
	return false
}

// unsubscribe answers mail to NAME-unsubscribe@. Anyone can write any
// From, so the message changes nothing: when its From is a confirmed
// subscriber of l, the subscriber is mailed, at the subscribed address,
// the link to the page whose button ends the subscription; otherwise
// nothing is sent, so a forged From makes no mail to anyone.
// The link goes at most once a day (UnsubscribeLinkHours), so that forged
// messages do not make the site flood a subscriber with it.
func (h *MailHandler) unsubscribe(ctx context.Context, l List, p Parsed) error {
	s := h.Service
	var id int64
	var email, token string
	err := s.DB.QueryRow(ctx, "SELECT id, email, token FROM list_subscriptions WHERE list_id = ? AND LOWER(email) = ? AND confirmed_at IS NOT NULL",
		l.ID, strings.ToLower(strings.TrimSpace(p.FromAddress))).Scan(&id, &email, &token)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // not subscribed: what they asked for
	}
	if err != nil {
		return fmt.Errorf("finding a subscription to unsubscribe: %w", err)
	}
	now := s.now()
	res, err := s.DB.Exec(ctx, "UPDATE list_subscriptions SET unsubscribe_mailed_at = ? WHERE id = ? AND (unsubscribe_mailed_at IS NULL OR unsubscribe_mailed_at <= ?)",
		now, id, now.Add(-UnsubscribeLinkHours*time.Hour))
	if err != nil {
		return fmt.Errorf("recording a mailed unsubscribe link: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("recording a mailed unsubscribe link: %w", err)
	} else if n == 0 {
		return nil // mailed within the day: the link has not changed
	}
	return s.Mail.Send(ctx, s.unsubscribeMessage(l, email, token))
}

// UnsubscribeLinkHours is how long after mailing a subscriber their
// unsubscribe link, on a message to NAME-unsubscribe@, no other is mailed.
const UnsubscribeLinkHours = 24

// UnsubscribeLink is the page that ends a subscription with its button.
func (s *Service) UnsubscribeLink(list, token string) string {
	return s.BaseURL + "/lists/" + list + "/unsubscribe/" + token
}

func (s *Service) unsubscribeMessage(l List, email, token string) mail.Message {
	return mail.Message{To: email, Subject: "Leaving the discussion group " + l.Address(s.Domain),
		Body: fmt.Sprintf("We received a message asking to end the subscription of %s to the discussion group %s of %s.\n\n"+
			"To leave the group, open this page and press its button:\n\n%s\n\n"+
			"Nothing changes until you do. If you did not ask for this, ignore this message: you stay subscribed.\n",
			email, l.Name, s.Org, s.UnsubscribeLink(l.Name, token))}
}

var _ mail.BatchReceiver = (*MailHandler)(nil)
