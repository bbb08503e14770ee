// Package mail sends plenary's outbound mail: confirmation and reset links
// now, mailings later. With an SMTP server configured (--smtp) it delivers
// through it; without one it writes each message to the server's log, so a
// local install works without a mail server.
package mail

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"mime"
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
	// FromName, when set, is the display name shown with From, such as a
	// list copy's "Jane Doe via wg-arch"; the sender quotes or encodes it.
	FromName string
	// BodyType, when set, says that Body is a MIME body written whole by
	// the caller (a multipart/mixed text with its attachments) and is its
	// Content-Type, boundary included; the sender passes the body on
	// unchanged, so the caller keeps it 7-bit. Empty means Body is plain
	// UTF-8 text, which the sender encodes.
	BodyType string
	// Headers are extra header fields, such as a mailing's
	// List-Unsubscribe (RFC 8058) and Reply-To; Check refuses any that
	// could change who the message goes to or break the header.
	Headers []Header
	// MessageID, when set, is the Message-ID without angle brackets: a
	// mailing gives each recipient's copy a fixed one, so a copy sent
	// again after a crash is recognised as the same message.
	MessageID string
	// Envelope, when set, is the SMTP return path (MAIL FROM) where
	// bounces go, such as a list's NAME-bounces+TOKEN@ (VERP).
	Envelope string
}

// Header is one extra header field.
type Header struct {
	Name, Value string
}

// reservedHeaders are set by the sender itself, never by a message.
var reservedHeaders = map[string]bool{
	"from": true, "to": true, "cc": true, "bcc": true, "subject": true, "date": true,
	"message-id": true, "sender": true, "return-path": true, "mime-version": true,
	"content-type": true, "content-transfer-encoding": true,
}

// ReplyError is a refusal by the mail server with its SMTP reply code:
// 4xx means try again later, 5xx means this message will not go.
type ReplyError struct {
	Code int
	Err  error
}

func (e *ReplyError) Error() string {
	return fmt.Sprintf("the mail server answered %d: %v", e.Code, e.Err)
}
func (e *ReplyError) Unwrap() error { return e.Err }

// ReplyCode returns the SMTP reply code of a failed send, or 0 when the
// failure carries none (the server could not be reached, say).
func ReplyCode(err error) int {
	var re *ReplyError
	if errors.As(err, &re) {
		return re.Code
	}
	var se *gomail.SendError
	if errors.As(err, &se) {
		return se.ErrorCode()
	}
	return 0
}

// Get returns the value of the first extra header field called name.
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
	if m.Envelope != "" {
		if err := CheckAddress(m.Envelope); err != nil {
			return fmt.Errorf("%w: return path: %w", ErrInvalid, err)
		}
	}
	if m.FromName != "" && (!utf8.ValidString(m.FromName) || hasControl(m.FromName, false) || len(m.FromName) > 200) {
		return fmt.Errorf("%w: the sender's name holds a line break, a control character or invalid UTF-8, or is too long", ErrInvalid)
	}
	if m.BodyType != "" {
		if err := checkMIMEBody(m.BodyType, m.Body); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalid, err)
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
	case m.MessageID != "" && (hasControl(m.MessageID, false) || strings.ContainsAny(m.MessageID, "<> ") || !strings.Contains(m.MessageID, "@")):
		return fmt.Errorf("%w: the message id is not id@host", ErrInvalid)
	}
	for _, h := range m.Headers {
		if !headerName(h.Name) || reservedHeaders[strings.ToLower(h.Name)] {
			return fmt.Errorf("%w: %q is not a header a message may set", ErrInvalid, h.Name)
		}
		if !utf8.ValidString(h.Value) || hasControl(h.Value, false) {
			return fmt.Errorf("%w: header %s holds a line break or control character", ErrInvalid, h.Name)
		}
	}
	for _, h := range m.Headers {
		if h.Name == "" || strings.ContainsAny(h.Name, ": ") || hasControl(h.Name, false) || !utf8.ValidString(h.Value) || hasControl(h.Value, false) {
			return fmt.Errorf("%w: the header field %q cannot be sent as it is", ErrInvalid, h.Name)
		}
	}
	return nil
}

// checkMIMEBody accepts a multipart body whose type names its boundary
// and whose text closes it; the type's own header field cannot be broken
// out of, since it must parse as one media type with no control bytes.
func checkMIMEBody(ctype, body string) error {
	if hasControl(ctype, false) || !utf8.ValidString(ctype) {
		return errors.New("the body's type holds a line break or control character")
	}
	t, params, err := mime.ParseMediaType(ctype)
	if err != nil || !strings.HasPrefix(t, "multipart/") || params["boundary"] == "" {
		return fmt.Errorf("the body's type %q is not a multipart type with its boundary", ctype)
	}
	if !strings.Contains(body, "\n--"+params["boundary"]+"--") {
		return errors.New("the body does not close its multipart boundary")
	}
	return nil
}

// headerName accepts the printable ASCII a field name may hold (RFC 5322).
func headerName(n string) bool {
	if n == "" || len(n) > 76 {
		return false
	}
	for i := 0; i < len(n); i++ {
		if c := n[i]; c <= ' ' || c > '~' || c == ':' {
			return false
		}
	}
	return true
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
// The site's own mail (account links, announcements) goes out under name,
// the organization's, so that a reader sees who wrote.
func New(rawURL, defaultFrom, name string, log *slog.Logger) (Sender, error) {
	if rawURL == "" {
		return &LogSender{Log: log}, nil
	}
	c, err := ParseURL(rawURL, defaultFrom)
	if err != nil {
		return nil, err
	}
	c.Name = name
	return c, nil
}

// SMTP delivers through an SMTP server.
type SMTP struct {
	// Name is the display name of the site's own sender address (From).
	Name     string
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

// Send delivers m on a connection of its own.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	msg, err := s.message(m)
	if err != nil {
		return err
	}
	c, err := s.client()
	if err != nil {
		return err
	}
	return s.failed(c.DialAndSendWithContext(ctx, msg))
}

func (s *SMTP) message(m Message) (*gomail.Msg, error) {
	if err := m.Check(); err != nil {
		return nil, err
	}
	msg := gomail.NewMsg()
	from, name := s.From, m.FromName
	if m.From != "" {
		from = m.From
	} else if name == "" {
		name = s.Name // the site's own address, under its own name
	}
	if name != "" {
		// net/mail quotes a name with specials and encodes one that is not
		// ASCII (base64 when it holds specials, as RFC 2047 5(3) wants).
		from = (&netmail.Address{Name: name, Address: from}).String()
	}
	if err := msg.From(from); err != nil {
		return nil, fmt.Errorf("mail: sender address: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("mail: recipient address: %w", err)
	}
	if m.Envelope != "" {
		if err := msg.EnvelopeFrom(m.Envelope); err != nil {
			return nil, fmt.Errorf("mail: return path: %w", err)
		}
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	if m.MessageID != "" {
		msg.SetMessageIDWithValue(m.MessageID)
	} else {
		// Under the sender's domain, not the machine's host name, which
		// says nothing to the reader and may be private.
		msg.SetMessageIDWithValue(newMessageID(from))
	}
	for _, h := range m.Headers {
		msg.SetGenHeader(gomail.Header(h.Name), h.Value)
	}
	if m.BodyType != "" {
		// Written whole by the caller: go-mail adds its transfer
		// encoding header (8bit, which 7-bit text also is) and nothing
		// else.
		msg.SetBodyString(gomail.ContentType(m.BodyType), m.Body, gomail.WithPartEncoding(gomail.NoEncoding))
	} else {
		msg.SetBodyString(gomail.TypeTextPlain, m.Body)
	}
	return msg, nil
}

func (s *SMTP) client(extra ...gomail.Option) (*gomail.Client, error) {
	opts := append([]gomail.Option{gomail.WithPort(s.Port), gomail.WithTLSPolicy(s.TLS), gomail.WithTimeout(20 * time.Second)}, extra...)
	if s.User != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthPlain), gomail.WithUsername(s.User), gomail.WithPassword(s.Password))
	}
	c, err := gomail.NewClient(s.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("mail: %w", err)
	}
	return c, nil
}

// failed wraps a sending error with the server's address, and keeps the
// server's reply code where there is one (see ReplyCode).
func (s *SMTP) failed(err error) error {
	if err == nil {
		return nil
	}
	err = fmt.Errorf("mail: sending through %s: %w", net.JoinHostPort(s.Host, strconv.Itoa(s.Port)), err)
	if code := ReplyCode(err); code != 0 {
		return &ReplyError{Code: code, Err: err}
	}
	return err
}

// Conn is one open connection to the SMTP server, for sending many
// messages in a row, as a mailing does, without a new connection,
// greeting and farewell for each. It is not safe for concurrent use.
type Conn struct {
	s *SMTP
	c *gomail.Client
}

// Open connects to the server and greets it.
//
// The connection sends no NOOP before each message to check that it is
// still up (go-mail's default, one more round trip per message): the
// messages follow each other closely, and a connection that went down
// fails the next MAIL command instead, which the caller handles as any
// failure of the connection.
func (s *SMTP) Open(ctx context.Context) (*Conn, error) {
	c, err := s.client(gomail.WithoutNoop())
	if err != nil {
		return nil, err
	}
	if err := c.DialWithContext(ctx); err != nil {
		return nil, s.failed(err)
	}
	return &Conn{s: s, c: c}, nil
}

// Send delivers m on the open connection. After an error other than a
// refusal of this one message, close the connection and open another.
func (c *Conn) Send(ctx context.Context, m Message) error {
	msg, err := c.s.message(m)
	if err != nil {
		return err
	}
	return c.s.failed(c.c.Send(msg))
}

// Close says goodbye and closes the connection.
func (c *Conn) Close() error { return c.c.Close() }

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
			"to", m.To, "from", m.From, "from_name", m.FromName, "subject", m.Subject, "body", m.Body)
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

// newMessageID makes a Message-ID value (without its angle brackets, as
// go-mail adds them) under the domain of the address from, which may
// carry a display name.
func newMessageID(from string) string {
	domain := "localhost"
	if a, err := netmail.ParseAddress(from); err == nil {
		if _, d, ok := strings.Cut(a.Address, "@"); ok && d != "" {
			domain = d
		}
	}
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b) + "@" + domain
}
