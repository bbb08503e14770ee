package mail_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"plenary/internal/mail"
)

// badMessages are messages no sender may pass on: addresses that are not
// one plain address, and CR, LF or other control bytes where they would
// end a header and start another (header injection).
var badMessages = []struct {
	name string
	msg  mail.Message
}{
	{"empty address", mail.Message{To: "", Subject: "Hi", Body: "x"}},
	{"no domain", mail.Message{To: "ada", Subject: "Hi", Body: "x"}},
	{"two addresses", mail.Message{To: "ada@example.org, eve@example.org", Subject: "Hi", Body: "x"}},
	{"display name", mail.Message{To: "Ada <ada@example.org>", Subject: "Hi", Body: "x"}},
	{"spaces around", mail.Message{To: " ada@example.org ", Subject: "Hi", Body: "x"}},
	{"LF in address", mail.Message{To: "ada@example.org\nBcc: eve@example.org", Subject: "Hi", Body: "x"}},
	{"CRLF in address", mail.Message{To: "ada@example.org\r\nBcc: eve@example.org", Subject: "Hi", Body: "x"}},
	{"NUL in address", mail.Message{To: "ada@example.org\x00", Subject: "Hi", Body: "x"}},
	{"invalid UTF-8 address", mail.Message{To: "ad\xffa@example.org", Subject: "Hi", Body: "x"}},
	{"CRLF in subject", mail.Message{To: "ada@example.org", Subject: "Hi\r\nBcc: eve@example.org", Body: "x"}},
	{"LF in subject", mail.Message{To: "ada@example.org", Subject: "Hi\nBcc: eve@example.org", Body: "x"}},
	{"CR in subject", mail.Message{To: "ada@example.org", Subject: "Hi\rBcc: eve@example.org", Body: "x"}},
	{"NUL in subject", mail.Message{To: "ada@example.org", Subject: "Hi\x00", Body: "x"}},
	{"invalid UTF-8 subject", mail.Message{To: "ada@example.org", Subject: "Hi \xff", Body: "x"}},
	{"empty subject", mail.Message{To: "ada@example.org", Subject: " ", Body: "x"}},
	{"NUL in body", mail.Message{To: "ada@example.org", Subject: "Hi", Body: "a\x00b"}},
	{"invalid UTF-8 body", mail.Message{To: "ada@example.org", Subject: "Hi", Body: "a\xffb"}},
	{"CRLF in an extra header", mail.Message{To: "ada@example.org", Subject: "Hi", Body: "x", Headers: []mail.Header{{Name: "List-Unsubscribe", Value: "<https://x.example/u>\r\nBcc: eve@example.org"}}}},
	{"an extra header that names recipients", mail.Message{To: "ada@example.org", Subject: "Hi", Body: "x", Headers: []mail.Header{{Name: "bcc", Value: "eve@example.org"}}}},
	{"a header name with a space", mail.Message{To: "ada@example.org", Subject: "Hi", Body: "x", Headers: []mail.Header{{Name: "X Bad", Value: "1"}}}},
	{"a header name with a colon", mail.Message{To: "ada@example.org", Subject: "Hi", Body: "x", Headers: []mail.Header{{Name: "Bcc:", Value: "eve@example.org"}}}},
	{"CRLF in the sender's name", mail.Message{To: "ada@example.org", Subject: "Hi", Body: "x", FromName: "Ann via wg\r\nBcc: eve@example.org"}},
	{"invalid UTF-8 sender's name", mail.Message{To: "ada@example.org", Subject: "Hi", Body: "x", FromName: "Ann \xff"}},
	{"CRLF in the body's type", mail.Message{To: "ada@example.org", Subject: "Hi", Body: "\n--b--\n", BodyType: "multipart/mixed; boundary=b\r\nBcc: eve@example.org"}},
	{"a body type that is not multipart", mail.Message{To: "ada@example.org", Subject: "Hi", Body: "\n--b--\n", BodyType: "text/html; boundary=b"}},
	{"a multipart type without its boundary", mail.Message{To: "ada@example.org", Subject: "Hi", Body: "\n--b--\n", BodyType: "multipart/mixed"}},
	{"a multipart body that does not close", mail.Message{To: "ada@example.org", Subject: "Hi", Body: "\n--b\n\nx", BodyType: "multipart/mixed; boundary=b"}},
	{"NUL in a multipart body", mail.Message{To: "ada@example.org", Subject: "Hi", Body: "\n--b\n\n\x00\n--b--\n", BodyType: "multipart/mixed; boundary=b"}},
	{"a message id with brackets", mail.Message{To: "ada@example.org", Subject: "Hi", Body: "x", MessageID: "a@b>\r\nBcc: eve@example.org"}},
}

func TestMessageCheckRefusesInjection(t *testing.T) {
	for _, tt := range badMessages {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.msg.Check()
			if err == nil || !errors.Is(err, mail.ErrInvalid) {
				t.Fatalf("Check() = %v, want an ErrInvalid", err)
			}
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Errorf("the message itself carries the line break: %q", err)
			}
		})
	}
	good := mail.Message{To: "ada.lovelace+plenary@example.org", Subject: "Bestätigen Sie Ihre Adresse — 确认", Body: "Hello\r\nline two\n\tindented"}
	if err := good.Check(); err != nil {
		t.Errorf("a good message is refused: %v", err)
	}
	named := mail.Message{To: "ada@example.org", From: "wg@lists.example.org", FromName: `Ann "the chair" <Åberg> via wg`, Subject: "Hi",
		BodyType: `multipart/mixed; boundary="=_b"`, Body: "\n--=_b\nContent-Type: text/plain\n\nx\n--=_b--\n"}
	if err := named.Check(); err != nil {
		t.Errorf("a message with a sender's name and a multipart body is refused: %v", err)
	}
}

// TestSendersRefuseInjection sends each bad message through every sender:
// a real SMTP server must receive nothing, the log and the outbox nothing.
func TestSendersRefuseInjection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, len(badMessages))
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{got: got}, nil }))
	srv.Domain = "mail.test"
	go srv.Serve(ln)
	defer srv.Close()
	smtpSender, err := mail.ParseURL("smtp://"+ln.Addr().String()+"?tls=none&from=site@example.org", "")
	if err != nil {
		t.Fatal(err)
	}
	var logged strings.Builder
	outbox := &mail.Outbox{}
	senders := map[string]mail.Sender{
		"smtp":   smtpSender,
		"log":    &mail.LogSender{Log: slog.New(slog.NewTextHandler(&logged, nil))},
		"outbox": outbox,
	}
	for name, s := range senders {
		for _, tt := range badMessages {
			if err := s.Send(context.Background(), tt.msg); !errors.Is(err, mail.ErrInvalid) {
				t.Errorf("%s: %s: Send = %v, want an ErrInvalid", name, tt.name, err)
			}
		}
	}
	// The server sees messages in order: the first it gets must be this
	// good one, sent after all the bad ones.
	if err := smtpSender.Send(context.Background(), mail.Message{To: "ada@example.org", Subject: "The good one", Body: "x"}); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		if !strings.Contains(m, "Subject: The good one") {
			t.Errorf("the SMTP server received a bad message:\n%s", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the good message never arrived")
	}
	if logged.Len() > 0 {
		t.Errorf("the log sender logged: %s", logged.String())
	}
	if n := len(outbox.Messages()); n > 0 {
		t.Errorf("the outbox kept %d messages", n)
	}
}

func TestParseURLRefusesBadSender(t *testing.T) {
	for _, from := range []string{"site@example.org\r\nBcc: eve@example.org", "not an address", "site@example.org\x00", "a@b.example, c@d.example"} {
		if _, err := mail.ParseURL("smtp://mail.example", from); err == nil {
			t.Errorf("sender %q accepted", from)
		}
	}
	if _, err := mail.ParseURL("smtp://mail.example?from=site%40example.org%0D%0ABcc%3A+eve%40example.org", ""); err == nil {
		t.Error("?from= with CRLF accepted")
	}
}
