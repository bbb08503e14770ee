// Package mail sends plenary's outbound mail: confirmation and reset links
// now, mailings later. With an SMTP server configured (--smtp) it delivers
// through it; without one it writes each message to the server's log, so a
// local install works without a mail server.
package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	gomail "github.com/wneessen/go-mail"
)

// Message is a plain-text message to one recipient.
type Message struct {
	To      string
	Subject string
	Body    string
	// From, when set, replaces the sender's configured address, so that
	// a reply lands on the address that sent (an inquiry's reply address).
	From string
	// Headers are further header fields, in order: a discussion group's
	// List-* fields, Message-ID, In-Reply-To. Check refuses a name or
	// value that could end the header and start another.
	Headers []Header
}

// Header is one header field of a message.
type Header struct{ Name, Value string }

// Get returns the value of the first header field called name.
func (m Message) Get(name string) string {
	for _, h := range m.Headers {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

// ErrInvalid marks a message that no sender will pass on.
var ErrInvalid = errors.New("mail: message refused")

// Check refuses a message that would not go out as meant: a recipient that
// is not exactly one plain address, and a subject or address holding a line
// break or another control byte, which could end a header and start one of
// the sender's choosing (header injection). Every sender checks.
func (m Message) Check() error {
	if err := CheckAddress(m.To); err != nil {
		return fmt.Errorf("%w: recipient: %w", ErrInvalid, err)
	}
	if m.From != "" {
		if err := CheckAddress(m.From); err != nil {
			return fmt.Errorf("%w: sender: %w", ErrInvalid, err)
		}
	}
	switch {
	case strings.TrimSpace(m.Subject) == "":
		return fmt.Errorf("%w: the subject is empty", ErrInvalid)
	case !utf8.ValidString(m.Subject):
		return fmt.Errorf("%w: the subject is not valid UTF-8", ErrInvalid)
	case hasControl(m.Subject, false):
		return fmt.Errorf("%w: the subject holds a line break or control character", ErrInvalid)
	case !utf8.ValidString(m.Body):
		return fmt.Errorf("%w: the body is not valid UTF-8", ErrInvalid)
	case hasControl(m.Body, true):
		return fmt.Errorf("%w: the body holds a control character", ErrInvalid)
	}
	for _, h := range m.Headers {
		if h.Name == "" || strings.ContainsAny(h.Name, ": ") || hasControl(h.Name, false) || !utf8.ValidString(h.Value) || hasControl(h.Value, false) {
			return fmt.Errorf("%w: the header field %q cannot be sent as it is", ErrInvalid, h.Name)
		}
	}
	return nil
}

// CheckAddress accepts one bare address, local@domain, and nothing else:
// no display name, no list, no spaces or control bytes around it.
func CheckAddress(addr string) error {
	if !utf8.ValidString(addr) || hasControl(addr, false) {
		return errors.New("the address holds a line break, a control character or invalid UTF-8")
	}
	a, err := netmail.ParseAddress(addr)
	if err != nil || a.Name != "" || a.Address != addr || !strings.Contains(addr, "@") {
		return fmt.Errorf("%q is not one e-mail address", addr)
	}
	return nil
}

// hasControl reports a C0 control byte or DEL in s; a body may hold line
// breaks and tabs.
func hasControl(s string, body bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if body && (c == '\n' || c == '\r' || c == '\t') {
			continue
		}
		if c < 0x20 || c == 0x7f {
			return true
		}
	}
	return false
}

// Sender delivers messages.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// New returns the sender for an --smtp URL: smtp://[user:pass@]host:port
// with an optional ?from=address and ?tls=none|opportunistic|mandatory
// (default opportunistic). An empty URL gives a sender that logs messages.
func New(rawURL, defaultFrom string, log *slog.Logger) (Sender, error) {
	if rawURL == "" {
		return &LogSender{Log: log}, nil
	}
	c, err := ParseURL(rawURL, defaultFrom)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// SMTP delivers through an SMTP server.
type SMTP struct {
	Host     string
	Port     int
	User     string
	Password string
	From     string
	TLS      gomail.TLSPolicy
}

// ParseURL reads an smtp:// URL.
func ParseURL(rawURL, defaultFrom string) (*SMTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
		return nil, fmt.Errorf("%q is not an smtp://host:port URL", redact(rawURL))
	}
	s := &SMTP{Host: u.Hostname(), Port: 25, From: defaultFrom, TLS: gomail.TLSOpportunistic}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			return nil, fmt.Errorf("%q has no valid port", redact(rawURL))
		}
		s.Port = n
	}
	if u.User != nil {
		s.User = u.User.Username()
		s.Password, _ = u.User.Password()
	}
	q := u.Query()
	if f := q.Get("from"); f != "" {
		s.From = f
	}
	switch q.Get("tls") {
	case "", "opportunistic":
	case "none":
		s.TLS = gomail.NoTLS
	case "mandatory":
		s.TLS = gomail.TLSMandatory
	default:
		return nil, fmt.Errorf("tls=%q: use none, opportunistic or mandatory", q.Get("tls"))
	}
	if s.From == "" {
		return nil, errors.New("no sender address: add ?from=address to the URL")
	}
	if err := CheckAddress(s.From); err != nil {
		return nil, fmt.Errorf("sender address: %w", err)
	}
	return s, nil
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	u.User = url.User(u.User.Username())
	return u.String()
}

// Send delivers m.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	if err := m.Check(); err != nil {
		return err
	}
	msg := gomail.NewMsg()
	from := s.From
	if m.From != "" {
		from = m.From
	}
	if err := msg.From(from); err != nil {
		return fmt.Errorf("mail: sender address: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("mail: recipient address: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageID()
	for _, h := range m.Headers {
		if strings.EqualFold(h.Name, "Message-ID") {
			msg.SetMessageIDWithValue(strings.Trim(h.Value, "<>"))
			continue
		}
		msg.SetGenHeader(gomail.Header(h.Name), h.Value)
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Body)
	opts := []gomail.Option{gomail.WithPort(s.Port), gomail.WithTLSPolicy(s.TLS), gomail.WithTimeout(20 * time.Second)}
	if s.User != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthPlain), gomail.WithUsername(s.User), gomail.WithPassword(s.Password))
	}
	c, err := gomail.NewClient(s.Host, opts...)
	if err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("mail: sending through %s: %w", net.JoinHostPort(s.Host, strconv.Itoa(s.Port)), err)
	}
	return nil
}

// LogSender writes messages to the server's log instead of sending them,
// for installs without a mail server.
type LogSender struct {
	Log *slog.Logger
}

// Send logs m whole, links included, so the person running the site can
// pass them on.
func (l *LogSender) Send(ctx context.Context, m Message) error {
	if err := m.Check(); err != nil {
		return err
	}
	if l.Log != nil {
		l.Log.Info("mail not sent: no --smtp server is configured; here is the message",
			"to", m.To, "from", m.From, "subject", m.Subject, "body", m.Body)
	}
	return nil
}

// Outbox keeps messages in memory, for tests.
type Outbox struct {
	mu   sync.Mutex
	msgs []Message
}

// Send records m.
func (o *Outbox) Send(ctx context.Context, m Message) error {
	if err := m.Check(); err != nil {
		return err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.msgs = append(o.msgs, m)
	return nil
}

// Messages returns what was sent, oldest first.
func (o *Outbox) Messages() []Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]Message(nil), o.msgs...)
}

// Last returns the newest message to addr.
func (o *Outbox) Last(addr string) (Message, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := len(o.msgs) - 1; i >= 0; i-- {
		if strings.EqualFold(o.msgs[i].To, addr) {
			return o.msgs[i], true
		}
	}
	return Message{}, false
}
