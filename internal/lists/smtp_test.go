package lists_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"plenary/internal/jobs"
	"plenary/internal/lists"
	"plenary/internal/mail"
	"plenary/internal/policy"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// sink is a real SMTP server that keeps what it is given, per recipient:
// the messages in got, and the return path (MAIL FROM) of each in from.
type sink struct {
	mu   sync.Mutex
	got  map[string][]string
	from map[string][]string
}

type sinkSession struct {
	s        *sink
	mailFrom string
	to       []string
}

func (ss *sinkSession) Reset()        { ss.mailFrom, ss.to = "", nil }
func (ss *sinkSession) Logout() error { return nil }
func (ss *sinkSession) Mail(from string, _ *smtp.MailOptions) error {
	ss.mailFrom = from
	return nil
}
func (ss *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}
func (ss *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	for _, to := range ss.to {
		ss.s.got[to] = append(ss.s.got[to], string(b))
		ss.s.from[to] = append(ss.s.from[to], ss.mailFrom)
	}
	return err
}

func startSink(t *testing.T) (string, *sink) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &sink{got: map[string][]string{}, from: map[string][]string{}}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &sinkSession{s: s}, nil }))
	srv.Domain = "sink.test"
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String(), s
}

// startInbound runs plenary's inbound listener with the lists' handler,
// as serve wires it.
func startInbound(t *testing.T, svc *lists.Service) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &mail.Router{}
	r.HandleRest(&lists.MailHandler{Service: svc})
	l := &mail.Listener{Domain: svc.Domain, MaxBytes: 1 << 20, Router: r}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Error("the listener did not stop")
		}
	})
	return ln.Addr().String()
}

// smtpSend speaks SMTP as a real client and returns the first refusal.
func smtpSend(t *testing.T, addr, from, to, msg string) error {
	t.Helper()
	return smtpSendTo(t, addr, from, []string{to}, msg)
}

func smtpCode(err error) int {
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code
	}
	return 0
}

// TestSMTPRoundTrip is the acceptance on both engines: a real
// SMTP client posts to NAME@ through plenary's inbound listener; the first
// posting waits for its author to accept the terms (PUB1); once accepted,
// the distribution job delivers it and a threaded reply through a real
// SMTP server to every confirmed subscriber once, with RFC 2369, 2919 and
// 8058 header fields; mail to NAME-unsubscribe@ mails the subscriber the
// link that ends the subscription; mail
// for another domain or an unknown list is refused with 550.
func TestSMTPRoundTrip(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		e.now = time.Now().UTC().Add(-time.Hour) // jobs are due by the real clock
		e.list(t, "wg-smtp", lists.PostOpen)
		tokens := map[string]string{}
		for _, a := range []string{"one@example.net", "two@example.net"} {
			tokens[a] = e.subscribe(t, "wg-smtp", a).Token
		}
		in := startInbound(t, e.svc)
		sinkAddr, got := startSink(t)

		if err := smtpSend(t, in, "ann@example.net", "someone@elsewhere.example", "From: ann@example.net\nSubject: x\n\nx\n"); smtpCode(err) != 550 {
			t.Errorf("relaying: %v", err)
		}
		if err := smtpSend(t, in, "ann@example.net", "no-such-list@lists.example.org", "From: ann@example.net\nSubject: x\n\nx\n"); smtpCode(err) != 550 {
			t.Errorf("an unknown list: %v", err)
		}
		first := "From: Ann <ann@example.net>\nTo: wg-smtp@lists.example.org\nSubject: =?utf-8?q?Caf=C3=A9_agenda?=\nMessage-ID: <first@example.net>\n" +
			"Content-Type: text/plain; charset=utf-8\n\nShall we meet?\n"
		if err := smtpSend(t, in, "ann@example.net", "wg-smtp@LISTS.example.org", first); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_posts WHERE status = 'held-terms' AND subject = 'Café agenda'"); n != 1 {
			t.Fatalf("%d postings held for the terms, want 1", n)
		}
		if _, err := e.svc.AcceptTerms(ctx, e.link(t, "ann@example.net")); err != nil {
			t.Fatal(err)
		}
		reply := "From: one@example.net\nSubject: Re: Café agenda\nMessage-ID: <reply@example.net>\nIn-Reply-To: <first@example.net>\n" +
			"References: <first@example.net>\nContent-Type: text/plain; charset=utf-8\n\nYes, Tuesday.\n"
		if err := smtpSend(t, in, "one@example.net", "wg-smtp@lists.example.org", reply); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.AcceptTerms(ctx, e.link(t, "one@example.net")); err != nil {
			t.Fatal(err)
		}

		sender, err := mail.ParseURL("smtp://"+sinkAddr+"?tls=none&from=site@lists.example.org", "")
		if err != nil {
			t.Fatal(err)
		}
		d := &lists.Distributor{DB: db, Mail: sender, Domain: "lists.example.org", BaseURL: "https://site.example"}
		r := &jobs.Runner{Queue: &jobs.Queue{DB: db, Worker: "test"}, Handlers: map[string]jobs.Handler{lists.DistributeKind: d.Handle}}
		if n, err := r.RunDue(ctx); err != nil || n != 2 {
			t.Fatalf("ran %d distribution jobs, %v; want 2", n, err)
		}
		if n, err := r.RunDue(ctx); err != nil || n != 0 {
			t.Fatalf("a second run found %d jobs, %v", n, err)
		}
		got.mu.Lock()
		defer got.mu.Unlock()
		if len(got.got) != 2 {
			t.Fatalf("delivered to %d addresses, want 2: %v", len(got.got), got.got)
		}
		for addr, msgs := range got.got {
			if len(msgs) != 2 {
				t.Fatalf("%s got %d messages, want 2", addr, len(msgs))
			}
			// Long header fields arrive folded; unfold them to compare.
			all := strings.ReplaceAll(strings.ReplaceAll(strings.Join(msgs, "\n=====\n"), "\r\n", "\n"), "\n ", " ")
			for _, want := range []string{
				"List-Id: The wg-smtp group <wg-smtp.lists.example.org>",
				"List-Unsubscribe: <https://site.example/lists/wg-smtp/unsubscribe/" + tokens[addr] + ">,",
				"<mailto:wg-smtp-unsubscribe@lists.example.org>",
				"List-Unsubscribe-Post: List-Unsubscribe=One-Click",
				"List-Archive: <https://site.example/lists/wg-smtp>",
				"Message-ID: <first@example.net>",
				"Message-ID: <reply@example.net>",
				"In-Reply-To: <first@example.net>",
				"Reply-To: wg-smtp@lists.example.org",
				"Shall we meet?",
				"Yes, Tuesday.",
			} {
				if !strings.Contains(all, want) {
					t.Errorf("%s's messages lack %q:\n%s", addr, want, all)
				}
			}
		}
		threads, err := lists.Threads(ctx, db, "wg-smtp")
		if err != nil || len(threads) != 1 || len(threads[0].Postings) != 2 {
			t.Fatalf("the archive is not one thread of two: %+v, %v", threads, err)
		}

		if err := smtpSend(t, in, "two@example.net", "wg-smtp-unsubscribe@lists.example.org", "From: two@example.net\nSubject: unsubscribe\n\nunsubscribe\n"); err != nil {
			t.Fatal(err)
		}
		if m, ok := e.outbox.Last("two@example.net"); !ok || !strings.Contains(m.Body, "https://site.example/lists/wg-smtp/unsubscribe/"+tokens["two@example.net"]) {
			t.Errorf("two@ was not mailed the unsubscribe link: %+v", m)
		}
		if _, err := e.svc.Unsubscribe(ctx, tokens["two@example.net"], policy.ChannelWeb); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_subscriptions WHERE email = 'two@example.net'"); n != 0 {
			t.Errorf("two@ is still subscribed after the link's button")
		}
	})
}
