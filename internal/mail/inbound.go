package mail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// The inbound listener (--smtp-listen) takes mail for addresses at the
// site's mail domain and hands each message to the feature that owns the
// address: replies to an inquiry, a reply that unsubscribes from a
// mailing, a posting to a discussion group. It is not a relay: mail for
// any other domain is refused, and so is mail for an address nobody owns.

// InboundHandler takes the messages sent to the addresses it owns.
type InboundHandler interface {
	// Accepts reports, at RCPT time, whether local (lower case) is one of
	// its addresses, so mail for an unknown one is refused before its
	// text is sent.
	Accepts(ctx context.Context, local string) bool
	// Receive stores or acts on one delivered message. An error made
	// with Refuse goes back to the sender as it is; any other error is
	// answered as a temporary failure, so the sender's server retries.
	Receive(ctx context.Context, m Inbound) error
}

// RawReceiver is an InboundHandler that reads messages itself, with a
// MIME parser of its own (the discussion groups keep attachments and HTML
// mail, and read bounces): the listener hands it the message as received,
// with Envelope, To and Local set and the other fields empty, instead of
// calling Receive.
type RawReceiver interface {
	InboundHandler
	ReceiveRaw(ctx context.Context, m Inbound, raw []byte) error
}

// BatchReceiver is a RawReceiver that takes one message for several of its
// addresses in one call, so that it keeps the message for all of them or
// for none (a message to several discussion groups). ms has one Inbound
// per address, in the order of the RCPT commands, each named once.
type BatchReceiver interface {
	RawReceiver
	ReceiveBatch(ctx context.Context, ms []Inbound, raw []byte) error
}

// Refusal is a permanent refusal with a message for the sender.
type Refusal struct{ Message string }

func (r *Refusal) Error() string { return r.Message }

// Refuse returns an error that the listener answers with a permanent
// 550 and msg, which ends up in the bounce the sender reads.
func Refuse(msg string) error { return &Refusal{Message: msg} }

// Router hands messages to handlers by mailbox: the local part up to the
// first "+", so "inquiry+TOKEN" goes to the handler of "inquiry".
type Router struct {
	mu    sync.RWMutex
	boxes map[string]InboundHandler
	rest  InboundHandler
}

// HandleRest makes h the owner of every local part no mailbox claims:
// addresses named after data, such as a discussion group's NAME@ and
// NAME-unsubscribe@. h's Accepts still refuses the ones it does not know.
func (r *Router) HandleRest(h InboundHandler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.rest != nil {
		panic("mail: HandleRest called twice")
	}
	r.rest = h
}

// Handle makes h the owner of mailbox (and of mailbox+anything). A
// mailbox registered twice is a programming error.
func (r *Router) Handle(mailbox string, h InboundHandler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	mailbox = strings.ToLower(mailbox)
	if r.boxes == nil {
		r.boxes = map[string]InboundHandler{}
	}
	if _, dup := r.boxes[mailbox]; dup || mailbox == "" || strings.ContainsAny(mailbox, "+@") {
		panic("mail: mailbox " + mailbox + " registered twice or not a plain local part")
	}
	r.boxes[mailbox] = h
}

// owner returns the handler of a local part.
func (r *Router) owner(local string) (InboundHandler, bool) {
	h, _, ok := r.ownerKey(local)
	return h, ok
}

// ownerKey returns the handler of a local part and the mailbox it is
// registered under ("" for the handler of the rest), which tells
// handlers apart without comparing them.
func (r *Router) ownerKey(local string) (InboundHandler, string, bool) {
	box, _, _ := strings.Cut(local, "+")
	r.mu.RLock()
	defer r.mu.RUnlock()
	h, ok := r.boxes[box]
	if !ok && r.rest != nil {
		return r.rest, "", true
	}
	return h, box, ok
}

// Listener is the inbound SMTP server.
type Listener struct {
	// Domain is the only domain mail is accepted for (--mail-domain).
	Domain string
	// MaxBytes is the largest message accepted (--max-message-size).
	MaxBytes int64
	// MaxRecipients is how many of our addresses one message may name.
	MaxRecipients int
	Router        *Router
	Log           *slog.Logger
}

// DefaultMaxRecipients is the recipient limit when none is set: a reply
// goes to one address, so a message to many is not a reply.
const DefaultMaxRecipients = 5

// Serve answers SMTP on ln until ctx ends, then stops taking connections
// and waits up to ten seconds for deliveries in progress.
func (l *Listener) Serve(ctx context.Context, ln net.Listener) error {
	if l.Domain == "" || l.Router == nil || l.MaxBytes <= 0 {
		return errors.New("mail: the inbound listener needs a domain, a router and a size limit")
	}
	if l.Log == nil {
		l.Log = slog.New(slog.DiscardHandler)
	}
	max := l.MaxRecipients
	if max <= 0 {
		max = DefaultMaxRecipients
	}
	s := smtp.NewServer(backend{l: l, ctx: ctx, maxRecipients: max})
	s.Domain = l.Domain
	s.MaxMessageBytes = l.MaxBytes
	// No limit of go-smtp's, which would count every RCPT and advertise
	// itself: the session's counts distinct addresses (a client naming one
	// address twice has named one), and bounds repeats on its own.
	s.MaxRecipients = 0
	s.MaxLineLength = 4000
	s.ReadTimeout, s.WriteTimeout = time.Minute, time.Minute
	s.ErrorLog = slogLogger{l.Log}
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("mail: inbound listener: %w", err)
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := s.Shutdown(shut); err != nil {
		s.Close()
	}
	<-errc
	return nil
}

type slogLogger struct{ log *slog.Logger }

func (s slogLogger) Printf(format string, v ...any) { s.log.Warn(fmt.Sprintf(format, v...)) }
func (s slogLogger) Println(v ...any)               { s.log.Warn(fmt.Sprint(v...)) }

// repeatedRecipients is how many RCPT commands per distinct recipient
// allowed a transaction may hold, repeats included.
const repeatedRecipients = 4

type backend struct {
	l             *Listener
	ctx           context.Context
	maxRecipients int
}

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{l: b.l, ctx: b.ctx, maxRecipients: b.maxRecipients}, nil
}

// session is one SMTP conversation.
type session struct {
	l             *Listener
	ctx           context.Context
	maxRecipients int
	from          string
	to            []string
	rcpts         int // RCPT commands in this transaction, repeats included
}

func (s *session) Reset()        { s.from, s.to, s.rcpts = "", nil, 0 }
func (s *session) Logout() error { return nil }

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}

// The answers the listener gives, each with its enhanced status code
// (RFC 3463) and words a person reading a bounce understands.
var (
	errRelay = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1},
		Message: "This server takes mail only for its own addresses; it does not relay"}
	errUnknown = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1},
		Message: "There is no such address here"}
	errTooMany = &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 5, 3},
		Message: "Too many recipients for one message; send the rest in another"}
	errTemporary = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0},
		Message: "The message could not be stored just now; please try again later"}
)

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.rcpts++; s.rcpts > s.maxRecipients*repeatedRecipients {
		return errTooMany
	}
	local, domain, ok := strings.Cut(to, "@")
	if !ok || local == "" || strings.Contains(domain, "@") {
		return errUnknown
	}
	if !strings.EqualFold(domain, s.l.Domain) {
		return errRelay
	}
	local = strings.ToLower(local)
	addr := local + "@" + strings.ToLower(s.l.Domain)
	if slices.Contains(s.to, addr) {
		// The same address twice gets the message once, and counts once.
		return nil
	}
	if len(s.to) >= s.maxRecipients {
		return errTooMany
	}
	h, ok := s.l.Router.owner(local)
	if !ok || !h.Accepts(s.ctx, local) {
		return errUnknown
	}
	s.to = append(s.to, addr)
	return nil
}

func (s *session) Data(r io.Reader) error {
	// go-smtp stops reading at MaxMessageBytes and answers 552 itself;
	// the limit here is the same, as a second guard.
	raw, err := io.ReadAll(io.LimitReader(r, s.l.MaxBytes+1))
	if err != nil {
		return err
	}
	if int64(len(raw)) > s.l.MaxBytes {
		return &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 3, 4}, Message: "The message is larger than this server accepts"}
	}
	if bytes.IndexByte(raw, 0) >= 0 {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "The message holds a NUL byte, which mail may not contain; nothing was stored"}
	}
	// The recipients go to their handlers in groups, in the order they
	// were named: a handler that takes several addresses at once
	// (BatchReceiver) keeps the message for all of them or for none.
	type group struct {
		key    string
		h      InboundHandler
		locals []string
	}
	var groups []*group
	for _, to := range s.to {
		local, _, _ := strings.Cut(to, "@")
		h, key, ok := s.l.Router.ownerKey(local)
		if !ok {
			return errUnknown
		}
		var g *group
		for _, x := range groups {
			if x.key == key {
				g = x
			}
		}
		if g == nil {
			g = &group{key: key, h: h}
			groups = append(groups, g)
		}
		g.locals = append(g.locals, local)
	}
	// The handlers that keep all or nothing go first, so that when one
	// refuses, no other has kept the message yet. (Across handlers it is
	// not all or nothing: a mailbox handler refusing later leaves the
	// message with those before it; a message to a list and a reply
	// address at once is rare.)
	sort.SliceStable(groups, func(i, j int) bool {
		_, bi := groups[i].h.(BatchReceiver)
		_, bj := groups[j].h.(BatchReceiver)
		return bi && !bj
	})
	var m Inbound
	var parseErr error
	parsed := false
	for _, g := range groups {
		var err error
		if br, ok := g.h.(BatchReceiver); ok {
			ms := make([]Inbound, len(g.locals))
			for i, local := range g.locals {
				ms[i] = Inbound{Envelope: s.from, To: local + "@" + strings.ToLower(s.l.Domain), Local: local}
			}
			err = br.ReceiveBatch(s.ctx, ms, raw)
			if err := s.answer(err, g.locals); err != nil {
				return err
			}
			continue
		}
		for _, local := range g.locals {
			to := local + "@" + strings.ToLower(s.l.Domain)
			if rr, raw2 := g.h.(RawReceiver); raw2 {
				err = rr.ReceiveRaw(s.ctx, Inbound{Envelope: s.from, To: to, Local: local}, raw)
			} else {
				if !parsed {
					m, parseErr = ParseMessage(raw)
					parsed = true
				}
				if parseErr != nil {
					return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "The message was refused and nothing was stored: " + strings.TrimPrefix(parseErr.Error(), ErrMalformed.Error()+": ")}
				}
				m.Envelope, m.To, m.Local = s.from, to, local
				err = g.h.Receive(s.ctx, m)
			}
			if err := s.answer(err, []string{local}); err != nil {
				return err
			}
		}
	}
	return nil
}

// answer turns a handler's error into the SMTP reply: a Refusal is
// permanent with its words, anything else temporary.
func (s *session) answer(err error, locals []string) error {
	if err == nil {
		return nil
	}
	var ref *Refusal
	if errors.As(err, &ref) {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: ref.Message}
	}
	boxes := make([]string, len(locals))
	for i, l := range locals {
		boxes[i] = mailbox(l)
	}
	s.l.Log.Error("inbound mail: storing a message failed", "mailbox", strings.Join(boxes, ","), "err", err)
	return errTemporary
}

// mailbox is the part of a local part that may be logged: a token after
// "+" is a secret.
func mailbox(local string) string {
	box, _, _ := strings.Cut(local, "+")
	return box
}
