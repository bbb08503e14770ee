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

// TestReplyToTheAnnouncementAddressMailsTheLink is D1's e-mail channel
// end to end: a mail client's "unsubscribe" (the mailto of
// List-Unsubscribe, whose subject says it) and a reply saying it in its
// text, delivered over SMTP to the real inbound listener, each have their
// sender mailed the unsubscribe link of the announcement they got (a From
// can be forged, so the mail alone ends nothing); a reply that does not
// ask mails nothing.
func TestReplyToTheAnnouncementAddressMailsTheLink(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		env := newEnv(t, db)
		staff := person(t, db, "Sam", "sam@example.org", true)
		ann := person(t, db, "Ann", "ann@example.org", true)
		bob := person(t, db, "Bob", "bob@example.org", true)
		cat := person(t, db, "Cat", "cat@example.org", true)
		for _, a := range []mailings.Actor{ann, bob, cat} {
			subscribe(t, env, a)
		}
		if _, err := mailings.Send(context.Background(), env, staff, draft(t, env, staff), t0); err != nil {
			t.Fatal(err)
		}
		if _, err := run(t, context.Background(), env, "w1", &mail.Outbox{}, nil).RunDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		box := &mail.Outbox{}
		router := &mail.Router{}
		router.Handle("announce", &mailings.ReplyHandler{Env: env, Mailbox: "announce",
			Reply: mailings.ReplyMail{Mail: box, BaseURL: "https://plenary.example", Org: "Test Org"}})
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
			who    mailings.Actor
			mailed bool
		}{{ann, true}, {bob, false}, {cat, true}} {
			if got := state(t, db, c.who.ID); got != mailings.StateConfirmed {
				t.Errorf("%s: %q; the mail alone must change nothing", c.who.Name, got)
			}
			m, ok := box.Last(strings.ToLower(c.who.Name) + "@example.org")
			if ok != c.mailed || ok && !unsubscribeLink.MatchString(m.Body) {
				t.Errorf("%s mailed a link: %v (%q), want %v", c.who.Name, ok, m.Body, c.mailed)
			}
		}
	})
}
