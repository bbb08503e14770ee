package mail_test

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"plenary/internal/mail"
)

// box is a handler that owns "reply+ok…" addresses and keeps what it is
// given; "reply+refuse" refuses and "reply+broken" fails.
type box struct {
	mu  sync.Mutex
	got []mail.Inbound
}

func (b *box) Accepts(_ context.Context, local string) bool {
	return strings.HasPrefix(local, "reply+ok") || local == "reply+refuse" || local == "reply+broken"
}

func (b *box) Receive(_ context.Context, m mail.Inbound) error {
	switch m.Local {
	case "reply+refuse":
		return mail.Refuse("This conversation is closed")
	case "reply+broken":
		return errors.New("database is down")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.got = append(b.got, m)
	return nil
}

func (b *box) take() []mail.Inbound {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.got
	b.got = nil
	return out
}

// startListener runs the inbound listener on a random local port.
func startListener(t *testing.T, maxBytes int64) (string, *box) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &box{}
	r := &mail.Router{}
	r.Handle("reply", b)
	l := &mail.Listener{Domain: "lists.example.org", MaxBytes: maxBytes, MaxRecipients: 3, Router: r}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("listener ended with %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("the listener did not stop")
		}
	})
	return ln.Addr().String(), b
}

// send speaks SMTP to addr as a real client does and returns the error
// of the first refused command.
func send(t *testing.T, addr, from string, to []string, msg string) error {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.example.net"); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail(from, nil); err != nil {
		return err
	}
	for _, rcpt := range to {
		if err := c.Rcpt(rcpt, nil); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte(msg)); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

// TestInboundListener sends real SMTP to the listener: good messages in
// the encodings mail clients use reach the handler decoded; relaying,
// unknown addresses, oversized messages, too many recipients and broken
// text are refused with a clear SMTP error, and nothing reaches the
// handler.
func TestInboundListener(t *testing.T) {
	addr, b := startListener(t, 4096)
	const to = "reply+ok1@lists.example.org"
	cases := []struct {
		name     string
		to       []string
		msg      string
		wantCode int    // 0: accepted
		wantText string // in the SMTP error, or in the received text
		subject  string
	}{
		{name: "plain UTF-8", to: []string{to},
			msg:      "From: Ada <ada@example.net>\nTo: " + to + "\nSubject: Re: your question\nContent-Type: text/plain; charset=utf-8\n\nThank you, Zoë.\n",
			wantText: "Thank you, Zoë.", subject: "Re: your question"},
		{name: "no content type at all", to: []string{"REPLY+OK2@Lists.Example.Org"},
			msg:      "From: ada@example.net\nSubject: hi\n\nplain ascii\n",
			wantText: "plain ascii", subject: "hi"},
		{name: "quoted-printable Latin-1 in multipart/alternative", to: []string{to},
			msg: "From: =?ISO-8859-1?Q?Andr=E9?= <andre@example.net>\nSubject: =?utf-8?B?UmU6IGNhZsOp?=\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=XYZ\n\n" +
				"--XYZ\nContent-Type: text/plain; charset=ISO-8859-1\nContent-Transfer-Encoding: quoted-printable\n\nD=E9j=E0 vu, caf=E9 cr=E8me.\n" +
				"--XYZ\nContent-Type: text/html; charset=utf-8\n\n<p>ignored</p>\n--XYZ--\n",
			wantText: "Déjà vu, café crème.", subject: "Re: café"},
		{name: "base64 in multipart/mixed with an attachment", to: []string{to},
			msg: "From: bo@example.net\nSubject: b64\nContent-Type: multipart/mixed; boundary=b1\n\n" +
				"--b1\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\nR3LDvMOfZSBhdXMgS8O2bG4=\n" +
				"--b1\nContent-Type: text/plain\nContent-Disposition: attachment; filename=x.txt\n\nnot this\n--b1--\n",
			wantText: "Grüße aus Köln", subject: "b64"},
		{name: "relaying to another domain", to: []string{"someone@elsewhere.example"},
			msg: "From: a@example.net\n\nx\n", wantCode: 550, wantText: "does not relay"},
		{name: "our domain as a subdomain trick", to: []string{"reply+ok@lists.example.org.evil.example"},
			msg: "From: a@example.net\n\nx\n", wantCode: 550, wantText: "does not relay"},
		{name: "unknown mailbox", to: []string{"postmaster+x@lists.example.org"},
			msg: "From: a@example.net\n\nx\n", wantCode: 550, wantText: "no such address"},
		{name: "unknown token", to: []string{"reply+nope@lists.example.org"},
			msg: "From: a@example.net\n\nx\n", wantCode: 550, wantText: "no such address"},
		{name: "too many recipients", to: []string{to, "reply+ok2@lists.example.org", "reply+ok3@lists.example.org", "reply+ok4@lists.example.org"},
			msg: "From: a@example.net\n\nx\n", wantCode: 452, wantText: "too many recipients"},
		{name: "one recipient named often counts once", to: []string{to, to, "REPLY+OK1@lists.example.org", to, to},
			msg: "From: a@example.net\nSubject: repeated\n\nnamed five times\n", wantText: "named five times", subject: "repeated"},
		{name: "one address named past the bound on repeats", to: slices.Repeat([]string{to}, 13),
			msg: "From: a@example.net\n\nx\n", wantCode: 452, wantText: "too many recipients"},
		{name: "oversized", to: []string{to},
			msg: "From: a@example.net\nSubject: big\n\n" + strings.Repeat("0123456789abcdef\n", 300), wantCode: 552},
		{name: "invalid UTF-8", to: []string{to},
			msg: "From: a@example.net\nSubject: x\nContent-Type: text/plain; charset=utf-8\n\nbad \xff\xfe bytes\n", wantCode: 554, wantText: "not valid UTF-8"},
		{name: "invalid UTF-8 after base64", to: []string{to},
			msg: "From: a@example.net\nSubject: x\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n//79\n", wantCode: 554, wantText: "not valid UTF-8"},
		{name: "NUL byte", to: []string{to},
			msg: "From: a@example.net\nSubject: x\n\nnul \x00 here\n", wantCode: 554, wantText: "NUL"},
		{name: "NUL encoded in quoted-printable", to: []string{to},
			msg: "From: a@example.net\nSubject: x\nContent-Transfer-Encoding: quoted-printable\n\nnul =00 here\n", wantCode: 554, wantText: "control character"},
		{name: "no From header", to: []string{to},
			msg: "Subject: anonymous\n\ntext\n", wantCode: 554, wantText: "no From header"},
		{name: "HTML only", to: []string{to},
			msg: "From: a@example.net\nContent-Type: text/html\n\n<p>hi</p>\n", wantCode: 554, wantText: "no text/plain part"},
		{name: "unknown charset", to: []string{to},
			msg: "From: a@example.net\nContent-Type: text/plain; charset=x-klingon\n\nqapla\n", wantCode: 554, wantText: "charset"},
		{name: "broken multipart", to: []string{to},
			msg: "From: a@example.net\nContent-Type: multipart/mixed\n\n--x\n", wantCode: 554, wantText: "no boundary"},
		{name: "malformed header", to: []string{to},
			msg: "this is not a header line\n\nbody\n", wantCode: 554, wantText: "header"},
		{name: "handler refuses", to: []string{"reply+refuse@lists.example.org"},
			msg: "From: a@example.net\n\nx\n", wantCode: 550, wantText: "This conversation is closed"},
		{name: "handler fails", to: []string{"reply+broken@lists.example.org"},
			msg: "From: a@example.net\n\nx\n", wantCode: 451, wantText: "try again later"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := send(t, addr, "bounces@example.net", c.to, crlf(c.msg))
			got := b.take()
			if c.wantCode != 0 {
				var se *smtp.SMTPError
				if !errors.As(err, &se) || se.Code != c.wantCode || !strings.Contains(strings.ToLower(se.Message), strings.ToLower(c.wantText)) {
					t.Fatalf("error %v, want SMTP %d mentioning %q", err, c.wantCode, c.wantText)
				}
				if len(got) != 0 {
					t.Errorf("the handler received %d messages", len(got))
				}
				return
			}
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if len(got) != 1 {
				t.Fatalf("handler got %d messages", len(got))
			}
			m := got[0]
			if !strings.Contains(m.Text, c.wantText) || m.Subject != c.subject || m.Envelope != "bounces@example.net" {
				t.Errorf("received %+v", m)
			}
			if m.Local != strings.ToLower(strings.Split(c.to[0], "@")[0]) || m.To != m.Local+"@lists.example.org" {
				t.Errorf("local %q, to %q", m.Local, m.To)
			}
			if strings.Contains(m.Text, "\r") {
				t.Errorf("text keeps CR: %q", m.Text)
			}
		})
	}
}

func TestRouterRefusesDuplicateMailbox(t *testing.T) {
	r := &mail.Router{}
	r.Handle("inquiry", &box{})
	for _, name := range []string{"inquiry", "INQUIRY", "a+b", ""} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("registering %q did not panic", name)
				}
			}()
			r.Handle(name, &box{})
		}()
	}
}

func TestMessageFromOverridesSender(t *testing.T) {
	for _, c := range []struct {
		from string
		ok   bool
	}{{"", true}, {"inquiry+abc@example.org", true}, {"a@b\r\nBcc: x@y", false}, {"Name <a@b.org>", false}} {
		err := mail.Message{To: "x@example.org", Subject: "s", Body: "b", From: c.from}.Check()
		if (err == nil) != c.ok {
			t.Errorf("From %q: %v", c.from, err)
		}
	}
}

// batchBox takes several of its addresses in one call (mail.BatchReceiver)
// and keeps, per call, the local parts it was given.
type batchBox struct {
	mu    sync.Mutex
	calls [][]string
}

func (b *batchBox) Accepts(_ context.Context, local string) bool {
	return strings.HasPrefix(local, "wg-")
}
func (b *batchBox) Receive(context.Context, mail.Inbound) error {
	return errors.New("the listener should call ReceiveBatch")
}
func (b *batchBox) ReceiveRaw(context.Context, mail.Inbound, []byte) error {
	return errors.New("the listener should call ReceiveBatch")
}
func (b *batchBox) ReceiveBatch(_ context.Context, ms []mail.Inbound, _ []byte) error {
	var locals []string
	for _, m := range ms {
		locals = append(locals, m.Local)
		if m.Local == "wg-closed" {
			return mail.Refuse("wg-closed takes no mail")
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls = append(b.calls, locals)
	return nil
}

// TestBatchReceiverGetsEveryAddressOnce: a message to several addresses
// of a BatchReceiver reaches it in one call, each address once however
// many RCPTs name it (in any case), in the order named; its refusal is
// one 550 for the message, before any other handler kept it; a handler of
// plain mailboxes still gets one call per address.
func TestBatchReceiverGetsEveryAddressOnce(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b, plain := &batchBox{}, &box{}
	r := &mail.Router{}
	r.Handle("reply", plain)
	r.HandleRest(b)
	l := &mail.Listener{Domain: "lists.example.org", MaxBytes: 1 << 20, MaxRecipients: 10, Router: r}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go l.Serve(ctx, ln)
	addr := ln.Addr().String()
	msg := crlf("From: ann@example.net\nSubject: s\n\ntext\n")
	if err := send(t, addr, "ann@example.net", []string{"wg-b@lists.example.org", "WG-A@lists.example.org", "wg-b@LISTS.example.org", "reply+ok1@lists.example.org", "reply+ok1@lists.example.org"}, msg); err != nil {
		t.Fatal(err)
	}
	b.mu.Lock()
	calls := b.calls
	b.mu.Unlock()
	if len(calls) != 1 || strings.Join(calls[0], " ") != "wg-b wg-a" {
		t.Errorf("the batch handler was called with %v; want once with wg-b wg-a", calls)
	}
	if got := plain.take(); len(got) != 1 {
		t.Errorf("the plain handler got %d messages for one address named twice, want 1", len(got))
	}
	err = send(t, addr, "ann@example.net", []string{"reply+ok2@lists.example.org", "wg-a@lists.example.org", "wg-closed@lists.example.org"}, msg)
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 550 || !strings.Contains(se.Message, "wg-closed takes no mail") {
		t.Errorf("a refusal by the batch handler: %v, want one 550 with its words", err)
	}
	// The batch handler went first, so the reply address named before it
	// kept nothing either.
	if got := plain.take(); len(got) != 0 {
		t.Errorf("the plain handler kept a message the batch handler refused: %+v", got)
	}
}
