package mail_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"plenary/internal/mail"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		url, from string
		ok        bool
		host      string
		port      int
		user      string
	}{
		{"smtp://mail.example:2525?from=site@example.org", "", true, "mail.example", 2525, ""},
		{"smtp://u:p@mail.example", "d@example.org", true, "mail.example", 25, "u"},
		{"smtp://mail.example?tls=none", "d@example.org", true, "mail.example", 25, ""},
		{"smtp://mail.example?tls=sometimes", "d@example.org", false, "", 0, ""},
		{"smtp://mail.example", "", false, "", 0, ""},
		{"http://mail.example", "d@example.org", false, "", 0, ""},
		{"smtp://mail.example:0", "d@example.org", false, "", 0, ""},
		{"smtp://", "d@example.org", false, "", 0, ""},
	}
	for _, tt := range tests {
		s, err := mail.ParseURL(tt.url, tt.from)
		if (err == nil) != tt.ok {
			t.Errorf("ParseURL(%q) error = %v, want ok=%v", tt.url, err, tt.ok)
			continue
		}
		if err == nil && (s.Host != tt.host || s.Port != tt.port || s.User != tt.user) {
			t.Errorf("ParseURL(%q) = %+v", tt.url, s)
		}
		if err != nil && strings.Contains(err.Error(), ":p@") {
			t.Errorf("error shows the password: %v", err)
		}
	}
}

func TestLogSenderWritesTheMessage(t *testing.T) {
	var buf bytes.Buffer
	s, err := mail.New("", "", "", slog.New(slog.NewTextHandler(&buf, nil)))
	if err != nil {
		t.Fatal(err)
	}
	s.Send(context.Background(), mail.Message{To: "a@example.org", Subject: "Hi", Body: "link https://x.example/verify/abc"})
	if !strings.Contains(buf.String(), "verify/abc") || !strings.Contains(buf.String(), "a@example.org") {
		t.Errorf("log: %s", buf.String())
	}
}

type session struct{ got chan string }

func (s *session) Reset()                                    {}
func (s *session) Logout() error                             { return nil }
func (s *session) Mail(string, *smtp.MailOptions) error      { return nil }
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error { return nil }
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	s.got <- string(b)
	return err
}

// TestSMTPDelivers sends through a real SMTP server. The site's own mail
// comes from its address under the organization's name, with a
// Message-ID under the address's domain rather than the machine's name.
func TestSMTPDelivers(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1)
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{got: got}, nil }))
	srv.Domain = "mail.test"
	go srv.Serve(ln)
	defer srv.Close()
	s, err := mail.New("smtp://"+ln.Addr().String()+"?tls=none&from=site@example.org", "", "Test Standards Body", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), mail.Message{To: "ada@example.org", Subject: "Confirm", Body: "Hello Ada"}); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		for _, want := range []string{"To: <ada@example.org>", "Subject: Confirm", "Hello Ada", `From: "Test Standards Body" <site@example.org>`} {
			if !strings.Contains(m, want) {
				t.Errorf("message lacks %q:\n%s", want, m)
			}
		}
		if !regexp.MustCompile(`(?m)^Message-ID: <[0-9a-f]{32}@example\.org>\r?$`).MatchString(m) {
			t.Errorf("the Message-ID is not under the sender's domain:\n%s", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no message")
	}
}
