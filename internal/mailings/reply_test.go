package mailings_test

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"

	"plenary/internal/mail"
	"plenary/internal/mailings"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestReplyToTheAnnouncementAddressUnsubscribes is D1's e-mail channel end
// to end: a mail client's "unsubscribe" (the mailto of List-Unsubscribe,
// whose subject says it) and a reply saying it in its text, delivered over
// SMTP to the real inbound listener, each end their sender's subscription;
// a reply that does not ask changes nothing.
func TestReplyToTheAnnouncementAddressUnsubscribes(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		env := newEnv(t, db)
		ann := person(t, db, "Ann", "ann@example.org", true)
		bob := person(t, db, "Bob", "bob@example.org", true)
		cat := person(t, db, "Cat", "cat@example.org", true)
		for _, a := range []mailings.Actor{ann, bob, cat} {
			subscribe(t, env, a)
		}
		router := &mail.Router{}
		router.Handle("announce", &mailings.ReplyHandler{Env: env, Mailbox: "announce"})
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ctx, stop := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			l := &mail.Listener{Domain: "plenary.example", MaxBytes: 1 << 20, Router: router}
			if err := l.Serve(ctx, ln); err != nil {
				t.Error(err)
			}
		}()
		t.Cleanup(func() { stop(); <-done })

		deliver := func(from, subject, body string) {
			t.Helper()
			c, err := smtp.Dial(ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			msg := "From: " + from + "\r\nTo: announce@plenary.example\r\nSubject: " + subject + "\r\nMessage-ID: <" + from + "@client>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + strings.ReplaceAll(body, "\n", "\r\n") + "\r\n"
			if err := c.SendMail(from, []string{"announce@plenary.example"}, strings.NewReader(msg)); err != nil {
				t.Fatalf("delivering from %s: %v", from, err)
			}
		}
		deliver("ann@example.org", "unsubscribe", "")
		deliver("bob@example.org", "Re: The agenda", "Thanks, see you there.")
		deliver("cat@example.org", "Re: The agenda", "Please unsubscribe me.\n\n> The agenda is out.")

		for _, c := range []struct {
			who  mailings.Actor
			want string
		}{{ann, mailings.StateOptedOut}, {bob, mailings.StateConfirmed}, {cat, mailings.StateOptedOut}} {
			if got := state(t, db, c.who.ID); got != c.want {
				t.Errorf("%s: %q, want %q", c.who.Name, got, c.want)
			}
		}
	})
}
