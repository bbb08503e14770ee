package e2e

import (
	"io"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// delivery is one message an SMTP sink received: its envelope, its header
// and its text body, quoted-printable decoded.
type delivery struct {
	From, To string
	Header   mail.Header
	Body     string
}

// startSMTPSink starts a real SMTP server on a random port of 127.0.0.1
// that hands each message it receives to keep, and stops it when the test
// ends. The mail boxes of the browser and failover tests are built on it,
// each keeping what it needs.
func startSMTPSink(t testing.TB, keep func(delivery) error) (addr string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &sinkSession{keep: keep}, nil }))
	s.Domain = "mail.test"
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	return ln.Addr().String()
}

type sinkSession struct {
	keep     func(delivery) error
	from, to string
}

func (s *sinkSession) Reset()        {}
func (s *sinkSession) Logout() error { return nil }
func (s *sinkSession) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}
func (s *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = to
	return nil
}

func (s *sinkSession) Data(r io.Reader) error {
	m, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	var body io.Reader = m.Body
	if strings.EqualFold(m.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body = quotedprintable.NewReader(m.Body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	return s.keep(delivery{From: s.from, To: s.to, Header: m.Header, Body: string(b)})
}
