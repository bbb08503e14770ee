package mail_test

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/emersion/go-smtp"

	"plenary/internal/mail"
)

// answering is an SMTP session that answers RCPT by the recipient's local
// part: "later" gets 451 (try again later), "never" gets 550, others 250.
type answering struct{ data chan string }

func (s *answering) Reset()                               {}
func (s *answering) Logout() error                        { return nil }
func (s *answering) Mail(string, *smtp.MailOptions) error { return nil }
func (s *answering) Rcpt(to string, _ *smtp.RcptOptions) error {
	switch {
	case strings.HasPrefix(to, "later@"):
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "busy, try later"}
	case strings.HasPrefix(to, "never@"):
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
	}
	return nil
}
func (s *answering) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	s.data <- string(b)
	return err
}

// TestConnSendsManyAndReportsReplyCodes covers what the mailing job needs
// from internal/mail: one connection carries many messages, a refusal
// carries the server's reply code (4xx or 5xx) and the connection stays
// usable after it, and the extra headers and Message-ID arrive as given.
func TestConnSendsManyAndReportsReplyCodes(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns atomic.Int32
	data := make(chan string, 10)
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		conns.Add(1)
		return &answering{data: data}, nil
	}))
	srv.Domain = "mail.test"
	go srv.Serve(ln)
	defer srv.Close()
	s, err := mail.ParseURL("smtp://"+ln.Addr().String()+"?tls=none&from=site@example.org", "")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c, err := s.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	msg := func(to string) mail.Message {
		return mail.Message{To: to, Subject: "News", Body: "Hello", MessageID: "mailing-1-2@site.example",
			Headers: []mail.Header{{Name: "List-Unsubscribe-Post", Value: "List-Unsubscribe=One-Click"}}}
	}
	tests := []struct {
		to   string
		code int
	}{
		{"ada@example.org", 0},
		{"later@example.org", 451},
		{"never@example.org", 550},
		{"bob@example.org", 0},
	}
	for _, tt := range tests {
		err := c.Send(ctx, msg(tt.to))
		if got := mail.ReplyCode(err); got != tt.code || (tt.code == 0) != (err == nil) {
			t.Errorf("send to %s: code %d, err %v; want code %d", tt.to, got, err, tt.code)
		}
		var re *mail.ReplyError
		if tt.code != 0 && !errors.As(err, &re) {
			t.Errorf("send to %s: %T is not a *mail.ReplyError", tt.to, err)
		}
	}
	if err := c.Close(); err != nil {
		t.Error(err)
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for four messages, want 1", n)
	}
	if err := s.Send(ctx, msg("never@example.org")); mail.ReplyCode(err) != 550 {
		t.Errorf("Send to a refused address: %v, want code 550", err)
	}
	for range 2 {
		m := <-data
		for _, want := range []string{"List-Unsubscribe-Post: List-Unsubscribe=One-Click", "Message-ID: <mailing-1-2@site.example>"} {
			if !strings.Contains(m, want) {
				t.Errorf("message lacks %q:\n%s", want, m)
			}
		}
	}
}
