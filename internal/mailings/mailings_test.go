package mailings_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"plenary/internal/audit"
	"plenary/internal/auth"
	"plenary/internal/inventory"
	"plenary/internal/jobs"
	"plenary/internal/mail"
	"plenary/internal/mailings"
	"plenary/internal/people"
	"plenary/internal/policy"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

var t0 = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

var site = mailings.Site{Org: "Test Org", BaseURL: "https://plenary.example", ReplyTo: "announce@plenary.example"}

func newEnv(t *testing.T, db *store.DB) mailings.Env {
	t.Helper()
	ps := &policy.Service{DB: db, Inventory: inventory.Default(), Facts: policy.Facts{Org: "Test Org", Country: "Switzerland", Contact: "privacy@example.org"}}
	if _, err := ps.EnsureCurrent(context.Background(), t0.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	return mailings.Env{DB: db, Audit: &audit.Log{DB: db, Key: []byte("test audit key, 32 bytes long..")}, Policy: ps, Key: []byte("test mailing key, 32 bytes long.")}
}

func person(t *testing.T, db *store.DB, name, addr string, verified bool) mailings.Actor {
	t.Helper()
	p, _, err := people.Create(context.Background(), db, people.New{Name: name, Email: addr, Origin: people.OriginSelf, Verified: verified, Roles: []auth.Role{auth.Participant}}, t0.Add(-2*time.Hour))
	if err != nil {
		t.Fatalf("creating %s: %v", addr, err)
	}
	return mailings.Actor{ID: p.ID, Name: name}
}

// subscribe opts a person in and confirms, as the web pages do.
func subscribe(t *testing.T, env mailings.Env, a mailings.Actor) {
	t.Helper()
	ctx := context.Background()
	tok, _, err := mailings.OptIn(ctx, env, a, true, t0)
	if err != nil {
		t.Fatalf("opt-in of %s: %v", a.Name, err)
	}
	if _, err := mailings.Confirm(ctx, env, tok, t0.Add(time.Minute)); err != nil {
		t.Fatalf("confirming %s: %v", a.Name, err)
	}
}

func state(t *testing.T, db *store.DB, id int64) string {
	t.Helper()
	s, err := mailings.Get(context.Background(), db, id)
	if err != nil {
		t.Fatal(err)
	}
	return s.State
}

type ledgerLine struct {
	purpose string
	granted bool
	channel string
	by      int64
}

func ledger(t *testing.T, db *store.DB, id int64) []ledgerLine {
	t.Helper()
	entries, err := policy.Entries(context.Background(), db, id)
	if err != nil {
		t.Fatal(err)
	}
	var out []ledgerLine
	for _, e := range entries {
		out = append(out, ledgerLine{e.Purpose, e.Granted, e.Channel, e.RecordedBy})
	}
	return out
}

func equalLedger(a, b []ledgerLine) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestOptInIsUntickedByDefaultAndConfirmedByPOST covers D1 and C5: no
// opt-in without the box ticked; a ticked box only asks (pending) until
// the mailed link is confirmed; checking the link changes nothing; the
// link works once; each step is in the consent ledger.
func TestOptInIsUntickedByDefaultAndConfirmedByPOST(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		env := newEnv(t, db)
		ann := person(t, db, "Ann", "ann@example.org", true)
		if _, _, err := mailings.OptIn(ctx, env, ann, false, t0); !errors.Is(err, mailings.ErrNotChecked) {
			t.Fatalf("opt-in with the box unticked: %v, want ErrNotChecked", err)
		}
		if got := state(t, db, ann.ID); got != mailings.StateNone {
			t.Fatalf("after an unticked opt-in the state is %q", got)
		}
		if got := ledger(t, db, ann.ID); len(got) != 0 {
			t.Fatalf("an unticked opt-in wrote to the ledger: %v", got)
		}
		tok, addr, err := mailings.OptIn(ctx, env, ann, true, t0)
		if err != nil || addr != "ann@example.org" {
			t.Fatalf("opt-in: %q, %v", addr, err)
		}
		if got := state(t, db, ann.ID); got != mailings.StatePending {
			t.Fatalf("after opt-in the state is %q, want pending", got)
		}
		// The page behind the link checks it, many times, changing nothing.
		for range 3 {
			if id, err := mailings.ConfirmPending(ctx, db, tok, t0.Add(time.Minute)); err != nil || id != ann.ID {
				t.Fatalf("checking the link: %d, %v", id, err)
			}
		}
		if got := state(t, db, ann.ID); got != mailings.StatePending {
			t.Fatalf("checking the link changed the state to %q", got)
		}
		if _, err := mailings.Confirm(ctx, env, "forged-"+tok, t0.Add(time.Minute)); !errors.Is(err, mailings.ErrLinkUnknown) {
			t.Errorf("a forged link: %v, want ErrLinkUnknown", err)
		}
		if id, err := mailings.Confirm(ctx, env, tok, t0.Add(time.Minute)); err != nil || id != ann.ID {
			t.Fatalf("confirming: %d, %v", id, err)
		}
		if got := state(t, db, ann.ID); got != mailings.StateConfirmed {
			t.Fatalf("after confirming the state is %q", got)
		}
		if _, err := mailings.Confirm(ctx, env, tok, t0.Add(2*time.Minute)); !errors.Is(err, mailings.ErrLinkUnknown) && !errors.Is(err, mailings.ErrLinkUsed) {
			t.Errorf("the link used twice: %v, want refused", err)
		}
		want := []ledgerLine{
			{mailings.PurposeRequested, true, policy.ChannelWeb, 0},
			{mailings.PurposeMailings, true, policy.ChannelWeb, 0},
		}
		if got := ledger(t, db, ann.ID); !equalLedger(got, want) {
			t.Errorf("ledger %v, want %v", got, want)
		}

		// A link followed too late does nothing.
		bob := person(t, db, "Bob", "bob@example.org", true)
		tok, _, err = mailings.OptIn(ctx, env, bob, true, t0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := mailings.Confirm(ctx, env, tok, t0.Add(mailings.ConfirmTTL+time.Second)); !errors.Is(err, mailings.ErrLinkExpired) {
			t.Errorf("an expired link: %v, want ErrLinkExpired", err)
		}
		// Nobody can opt in an address they have not confirmed.
		eve := person(t, db, "Eve", "eve@example.org", false)
		if _, _, err := mailings.OptIn(ctx, env, eve, true, t0); !errors.Is(err, mailings.ErrNoAddress) {
			t.Errorf("opt-in with an unconfirmed address: %v, want ErrNoAddress", err)
		}
	})
}

// run sends every due mailing with sender and returns how many jobs ran.
func run(t *testing.T, ctx context.Context, env mailings.Env, worker string, m mail.Sender, tune func(*mailings.Sender)) *jobs.Runner {
	t.Helper()
	s := &mailings.Sender{Env: env, Mail: m, Site: site, Rate: 10000, Worker: worker, Deferral: 5 * time.Millisecond}
	if tune != nil {
		tune(s)
	}
	return &jobs.Runner{Queue: &jobs.Queue{DB: env.DB, Worker: worker, Lease: time.Minute}, Handlers: map[string]jobs.Handler{mailings.JobKind: s.Handle}}
}

func draft(t *testing.T, env mailings.Env, staff mailings.Actor) int64 {
	t.Helper()
	id, err := mailings.CreateDraft(context.Background(), env, staff, mailings.Input{Subject: "Plenary in Geneva", Body: "The plenary meets on 4 May.\r\nAgenda follows."}, t0)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

var unsubscribeLink = regexp.MustCompile(`https://plenary\.example/unsubscribe/([A-Za-z0-9_-]+)`)

// TestOnlyConfirmedSubscribersGetTheMailing covers D1: the mailing goes to
// confirmed subscribers only, each copy with RFC 8058 headers and a
// visible link, and the report names the subscriber it could not reach.
func TestOnlyConfirmedSubscribersGetTheMailing(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		env := newEnv(t, db)
		staff := person(t, db, "Sam Secretariat", "sam@example.org", true)
		confirmed := person(t, db, "Ann", "ann@example.org", true)
		subscribe(t, env, confirmed)
		pending := person(t, db, "Pat", "pat@example.org", true)
		if _, _, err := mailings.OptIn(ctx, env, pending, true, t0); err != nil {
			t.Fatal(err)
		}
		left := person(t, db, "Lee", "lee@example.org", true)
		subscribe(t, env, left)
		if err := mailings.OptOut(ctx, env, left, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		person(t, db, "Nat", "nat@example.org", true) // never asked
		lost := person(t, db, "Lou", "lou@example.org", true)
		subscribe(t, env, lost)
		// Lou's address became unusable after confirming.
		if _, err := db.Exec(ctx, "UPDATE person_emails SET verified_at = NULL WHERE person_id = ?", lost.ID); err != nil {
			t.Fatal(err)
		}
		if n, err := mailings.Confirmed(ctx, db); err != nil || n != 2 {
			t.Fatalf("Confirmed = %d, %v; want 2 (Ann, Lou)", n, err)
		}

		id := draft(t, env, staff)
		n, err := mailings.Send(ctx, env, staff, id, t0.Add(2*time.Hour))
		if err != nil || n != 2 {
			t.Fatalf("Send: %d recipients, %v; want 2", n, err)
		}
		if _, err := mailings.Send(ctx, env, staff, id, t0.Add(2*time.Hour)); !errors.Is(err, mailings.ErrNotDraft) {
			t.Errorf("sending twice: %v, want ErrNotDraft", err)
		}
		box := &mail.Outbox{}
		if _, err := run(t, ctx, env, "w1", box, nil).RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		msgs := box.Messages()
		if len(msgs) != 1 || msgs[0].To != "ann@example.org" {
			t.Fatalf("sent %d messages (%v), want one to ann@example.org", len(msgs), msgs)
		}
		m := msgs[0]
		if m.Subject != "Plenary in Geneva" || !strings.Contains(m.Body, "The plenary meets on 4 May.\nAgenda follows.") {
			t.Errorf("message %q / %q", m.Subject, m.Body)
		}
		link := unsubscribeLink.FindStringSubmatch(m.Body)
		if link == nil {
			t.Fatalf("no visible unsubscribe link in %q", m.Body)
		}
		headers := map[string]string{}
		for _, h := range m.Headers {
			headers[h.Name] = h.Value
		}
		if got, want := headers["List-Unsubscribe"], "<"+link[0]+">, <mailto:announce@plenary.example?subject=unsubscribe>"; got != want {
			t.Errorf("List-Unsubscribe %q, want %q", got, want)
		}
		if got := headers["List-Unsubscribe-Post"]; got != "List-Unsubscribe=One-Click" {
			t.Errorf("List-Unsubscribe-Post %q", got)
		}
		mm, err := mailings.GetMailing(ctx, db, id)
		if err != nil || mm.State != mailings.Finished {
			t.Fatalf("mailing state %q, %v; want finished", mm.State, err)
		}
		p, err := mailings.ProgressOf(ctx, db, id)
		if err != nil || p != (mailings.Progress{Total: 2, Sent: 1, Failed: 1}) {
			t.Errorf("progress %+v, %v", p, err)
		}
		f, err := mailings.Failures(ctx, db, id, 100)
		if err != nil || len(f) != 1 || f[0].Name != "Lou" || f[0].Reason != "no confirmed primary e-mail address" {
			t.Errorf("failures %+v, %v", f, err)
		}
		// Only the hash of the link is stored.
		if hits := storetest.FindInTables(t, db, map[string]string{"unsubscribe token": link[1]}); len(hits) != 0 {
			t.Errorf("the unsubscribe token is stored in clear: %v", hits)
		}
	})
}

// TestUnsubscribeLinkOnlyOnPOSTOnceAndLedgered covers D1: checking the
// link (what a GET does) changes nothing; using it (the POST) opts out,
// with a ledger entry; a replayed or forged link is refused.
func TestUnsubscribeLinkOnlyOnPOSTOnceAndLedgered(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		env := newEnv(t, db)
		staff := person(t, db, "Sam", "sam@example.org", true)
		ann := person(t, db, "Ann", "ann@example.org", true)
		subscribe(t, env, ann)
		id := draft(t, env, staff)
		if _, err := mailings.Send(ctx, env, staff, id, t0); err != nil {
			t.Fatal(err)
		}
		box := &mail.Outbox{}
		if _, err := run(t, ctx, env, "w1", box, nil).RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		m, ok := box.Last("ann@example.org")
		if !ok {
			t.Fatal("Ann got nothing")
		}
		tok := unsubscribeLink.FindStringSubmatch(m.Body)[1]
		for range 2 {
			u, err := mailings.PeekUnsubscribe(ctx, db, tok)
			if err != nil || u.PersonID != ann.ID || u.Address != "ann@example.org" {
				t.Fatalf("PeekUnsubscribe: %+v, %v", u, err)
			}
		}
		if got := state(t, db, ann.ID); got != mailings.StateConfirmed {
			t.Fatalf("checking the link changed the state to %q", got)
		}
		if _, err := mailings.Unsubscribe(ctx, env, tok+"x", t0); !errors.Is(err, mailings.ErrLinkUnknown) {
			t.Errorf("forged link: %v, want ErrLinkUnknown", err)
		}
		if _, err := mailings.Unsubscribe(ctx, env, tok, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if got := state(t, db, ann.ID); got != mailings.StateOptedOut {
			t.Fatalf("after unsubscribing the state is %q", got)
		}
		if _, err := mailings.Unsubscribe(ctx, env, tok, t0.Add(2*time.Hour)); !errors.Is(err, mailings.ErrLinkUsed) {
			t.Errorf("replayed link: %v, want ErrLinkUsed", err)
		}
		got := ledger(t, db, ann.ID)
		if last := got[len(got)-1]; last != (ledgerLine{mailings.PurposeMailings, false, policy.ChannelWeb, 0}) || len(got) != 3 {
			t.Errorf("ledger %v: want three entries ending with the withdrawal by web", got)
		}
	})
}

// TestOptOutByReplyPhoneAndPost covers D1's other channels: a reply with
// "unsubscribe", and staff recording a call or letter, each naming its
// channel in the ledger; a staff form answers every problem at once.
//
// Anyone can put any address in From, so a reply opts no one out by
// itself: its sender, if an announcement went to them, is mailed the link
// of their latest copy, at the address that copy went to, once a day at
// most; the subscription ends when they use it.
func TestOptOutByReplyPhoneAndPost(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		env := newEnv(t, db)
		staff := person(t, db, "Sam", "sam@example.org", true)
		ann := person(t, db, "Ann", "ann@example.org", true)
		bob := person(t, db, "Bob", "bob@example.org", true)
		cat := person(t, db, "Cat", "cat@example.org", true)
		for _, a := range []mailings.Actor{ann, bob, cat} {
			subscribe(t, env, a)
		}
		person(t, db, "Dan", "dan@example.org", true) // subscribed to nothing, sent nothing
		id := draft(t, env, staff)
		if _, err := mailings.Send(ctx, env, staff, id, t0); err != nil {
			t.Fatal(err)
		}
		if _, err := run(t, ctx, env, "w1", &mail.Outbox{}, nil).RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		// Eve subscribed after it went: no copy, so no link of one.
		eve := person(t, db, "Eve", "eve@example.org", true)
		subscribe(t, env, eve)
		box := &mail.Outbox{}
		reply := mailings.ReplyMail{Mail: box, BaseURL: "https://plenary.example", Org: "Test Org"}
		replies := []struct {
			from, text string
			at         time.Duration
			want       bool
		}{
			{"ann@example.org", "Thanks for the agenda!", 0, false},
			{"stranger@example.org", "unsubscribe", 0, false},
			{"not an address", "unsubscribe", 0, false},
			{"dan@example.org", "unsubscribe", 0, false},
			// A forged From: Ann is mailed her link, and stays subscribed.
			{"ANN@example.org", "Please UNSUBSCRIBE me from these.", time.Hour, true},
			{"ann@example.org", "unsubscribe", 2 * time.Hour, false}, // the same day: not again
			{"ann@example.org", "unsubscribe", 26 * time.Hour, true},
			{"eve@example.org", "unsubscribe", 0, true},
		}
		for _, r := range replies {
			got, err := mailings.UnsubscribeByReply(ctx, env, reply, r.from, r.text, t0.Add(r.at))
			if err != nil || got != r.want {
				t.Errorf("reply from %q saying %q: %v, %v; want %v", r.from, r.text, got, err, r.want)
			}
		}
		if got := state(t, db, ann.ID); got != mailings.StateConfirmed {
			t.Errorf("Ann after a reply in her name: %q; a reply alone changes nothing", got)
		}
		if n := len(box.Messages()); n != 3 {
			t.Errorf("%d mails sent, want Ann's link twice, a day apart, and Eve's", n)
		}
		if m, ok := box.Last("eve@example.org"); !ok || !strings.Contains(m.Body, "https://plenary.example/account\n") || strings.Contains(m.Body, "/unsubscribe/") {
			t.Errorf("Eve, who has no copy yet, is mailed %q; want the account page", m.Body)
		}
		m, ok := box.Last("ann@example.org")
		if !ok || !strings.Contains(m.Body, "Nothing changes until you do.") {
			t.Fatalf("Ann's link: %+v", m)
		}
		tok := unsubscribeLink.FindStringSubmatch(m.Body)[1]
		if _, err := mailings.Unsubscribe(ctx, env, tok, t0.Add(27*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if got := state(t, db, ann.ID); got != mailings.StateOptedOut {
			t.Errorf("Ann after using the mailed link: %q", got)
		}

		_, err := mailings.RecordOptOut(ctx, env, staff, "nobody", "web", "", t0)
		var fe *mailings.FormError
		if !errors.As(err, &fe) || len(fe.Problems) != 3 {
			t.Fatalf("a bad staff form: %v, want three problems at once", err)
		}
		if _, err := mailings.RecordOptOut(ctx, env, staff, "zed@example.org", policy.ChannelPhone, "called", t0); !errors.Is(err, mailings.ErrUnknownPerson) {
			t.Errorf("unknown address: %v", err)
		}
		if _, err := mailings.RecordOptOut(ctx, env, staff, "bob@example.org", policy.ChannelPhone, "phoned on 3 May", t0); err != nil {
			t.Fatal(err)
		}
		if _, err := mailings.RecordOptOut(ctx, env, staff, "cat@example.org", policy.ChannelPost, "letter of 2 May", t0); err != nil {
			t.Fatal(err)
		}
		if _, err := mailings.RecordOptOut(ctx, env, staff, "cat@example.org", policy.ChannelPost, "second letter", t0); !errors.Is(err, mailings.ErrNotSubscribed) {
			t.Errorf("recording twice: %v, want ErrNotSubscribed", err)
		}
		for _, c := range []struct {
			who  mailings.Actor
			want ledgerLine
		}{
			{ann, ledgerLine{mailings.PurposeMailings, false, policy.ChannelWeb, 0}}, // by the mailed link
			{bob, ledgerLine{mailings.PurposeMailings, false, policy.ChannelPhone, staff.ID}},
			{cat, ledgerLine{mailings.PurposeMailings, false, policy.ChannelPost, staff.ID}},
		} {
			got := ledger(t, db, c.who.ID)
			if got[len(got)-1] != c.want {
				t.Errorf("%s's last ledger entry %v, want %v", c.who.Name, got[len(got)-1], c.want)
			}
		}
		var detail string
		if err := db.QueryRow(ctx, "SELECT detail FROM audit_log WHERE action = ? AND actor_id = ? ORDER BY id DESC LIMIT 1", "mailings.opt-out", staff.ID).Scan(&detail); err != nil || detail != "by post: letter of 2 May" {
			t.Errorf("audit detail %q, %v", detail, err)
		}
	})
}

// scripted answers each address as told: a list of SMTP codes, one per
// try (0 is acceptance); the last code repeats.
type scripted struct {
	mu    sync.Mutex
	codes map[string][]int
	tries map[string]int
	box   mail.Outbox
}

func (s *scripted) Send(ctx context.Context, m mail.Message) error {
	s.mu.Lock()
	codes := s.codes[m.To]
	i := s.tries[m.To]
	s.tries[m.To]++
	s.mu.Unlock()
	code := 0
	if len(codes) > 0 {
		code = codes[min(i, len(codes)-1)]
	}
	if code != 0 {
		return &mail.ReplyError{Code: code, Err: fmt.Errorf("%d scripted answer for %s", code, m.To)}
	}
	return s.box.Send(ctx, m)
}

// TestDeferredCopiesAreRetriedAndRefusedOnesReported covers the job's
// handling of the server: 4xx answers are tried again later, 5xx answers
// and copies deferred too often are failed with the reason, and the report
// names exactly those.
func TestDeferredCopiesAreRetriedAndRefusedOnesReported(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		env := newEnv(t, db)
		staff := person(t, db, "Sam", "sam@example.org", true)
		names := []string{"ann", "bob", "cat", "dan"}
		for _, n := range names {
			subscribe(t, env, person(t, db, n, n+"@example.org", true))
		}
		id := draft(t, env, staff)
		if _, err := mailings.Send(ctx, env, staff, id, time.Now()); err != nil {
			t.Fatal(err)
		}
		s := &scripted{tries: map[string]int{}, codes: map[string][]int{
			"bob@example.org": {451, 421, 0},
			"cat@example.org": {550},
			"dan@example.org": {452},
		}}
		if _, err := run(t, ctx, env, "w1", s, func(ms *mailings.Sender) { ms.MaxDeferrals = 3 }).RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		for addr, want := range map[string]int{"ann@example.org": 1, "bob@example.org": 3, "cat@example.org": 1, "dan@example.org": 3} {
			if s.tries[addr] != want {
				t.Errorf("%s tried %d times, want %d", addr, s.tries[addr], want)
			}
		}
		var delivered []string
		for _, m := range s.box.Messages() {
			delivered = append(delivered, m.To)
		}
		if strings.Join(delivered, ",") != "ann@example.org,bob@example.org" {
			t.Errorf("delivered to %v, want ann and bob", delivered)
		}
		f, err := mailings.Failures(ctx, db, id, 10)
		if err != nil || len(f) != 2 {
			t.Fatalf("failures %+v, %v", f, err)
		}
		if f[0].Address != "cat@example.org" || !strings.HasPrefix(f[0].Reason, "refused: ") || !strings.Contains(f[0].Reason, "550") {
			t.Errorf("cat's failure %+v", f[0])
		}
		if f[1].Address != "dan@example.org" || !strings.HasPrefix(f[1].Reason, "deferred 3 times, last: ") || !strings.Contains(f[1].Reason, "452") {
			t.Errorf("dan's failure %+v", f[1])
		}
		if m, _ := mailings.GetMailing(ctx, db, id); m.State != mailings.Finished {
			t.Errorf("mailing state %q", m.State)
		}
	})
}

// stopping delivers messages and cancels the worker's context after
// n of them, as a shutdown or a lost lease would.
type stopping struct {
	mail.Outbox
	mu     sync.Mutex
	n      int
	cancel context.CancelFunc
}

func (s *stopping) Send(ctx context.Context, m mail.Message) error {
	if err := s.Outbox.Send(ctx, m); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n--; s.n == 0 {
		s.cancel()
	}
	return nil
}

// TestInterruptedMailingResumesOnAnotherWorkerOnce covers the promise that
// a mailing interrupted half-way — its worker stopped, and copies left in
// hand by a worker that died — is finished by another worker with each
// recipient getting exactly one copy.
func TestInterruptedMailingResumesOnAnotherWorkerOnce(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		env := newEnv(t, db)
		staff := person(t, db, "Sam", "sam@example.org", true)
		const total = 60
		for i := range total {
			subscribe(t, env, person(t, db, fmt.Sprintf("P%d", i), fmt.Sprintf("p%d@example.org", i), true))
		}
		id := draft(t, env, staff)
		if _, err := mailings.Send(ctx, env, staff, id, time.Now()); err != nil {
			t.Fatal(err)
		}
		ctxA, cancelA := context.WithCancel(ctx)
		a := &stopping{n: 25, cancel: cancelA}
		if _, err := run(t, ctx, env, "instance-a", a, func(s *mailings.Sender) { s.Batch = 10 }).RunOne(ctxA); err != nil {
			t.Fatal(err)
		}
		first := len(a.Messages())
		p, err := mailings.ProgressOf(ctx, db, id)
		if err != nil || first < 25 || first >= total || p.Sent != first || p.Sending != 0 {
			t.Fatalf("after the stop: %d sent by A, progress %+v, %v", first, p, err)
		}
		// A worker that was killed leaves the copies it had claimed in
		// hand, unsent.
		if _, err := db.Exec(ctx, `UPDATE mailing_recipients SET state = 'sending', claim = 'killed/job-1/try-9'
			WHERE id IN (SELECT id FROM mailing_recipients WHERE mailing_id = ? AND state = 'pending' ORDER BY id LIMIT 3)`, id); err != nil {
			t.Fatal(err)
		}
		// Two more instances take up the job at once; one gets it.
		boxes := []*mail.Outbox{{}, {}}
		var wg sync.WaitGroup
		for i, box := range boxes {
			wg.Go(func() {
				if _, err := run(t, ctx, env, fmt.Sprintf("instance-%c", 'b'+i), box, func(s *mailings.Sender) { s.Batch = 7 }).RunDue(ctx); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		count := map[string]int{}
		for _, b := range append([]*mail.Outbox{&a.Outbox}, boxes...) {
			for _, m := range b.Messages() {
				count[m.To]++
			}
		}
		if len(count) != total {
			t.Errorf("%d recipients got the mailing, want %d", len(count), total)
		}
		for addr, n := range count {
			if n != 1 {
				t.Errorf("%s got %d copies", addr, n)
			}
		}
		if p, _ := mailings.ProgressOf(ctx, db, id); p != (mailings.Progress{Total: total, Sent: total}) {
			t.Errorf("final progress %+v", p)
		}
	})
}

// TestSweepRecipients covers the declared retention of recipient records
// (--retention mailing=DAYS): records of mailings finished longer ago are
// deleted, newer ones and unfinished ones kept, and "forever" keeps all.
func TestSweepRecipients(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		env := newEnv(t, db)
		staff := person(t, db, "Sam", "sam@example.org", true)
		subscribe(t, env, person(t, db, "Ann", "ann@example.org", true))
		old, recent, unsent := draft(t, env, staff), draft(t, env, staff), draft(t, env, staff)
		for _, id := range []int64{old, recent, unsent} {
			if _, err := mailings.Send(ctx, env, staff, id, t0); err != nil {
				t.Fatal(err)
			}
		}
		for id, finished := range map[int64]time.Time{old: t0.AddDate(0, 0, -100), recent: t0.AddDate(0, 0, -10)} {
			if _, err := db.Exec(ctx, "UPDATE mailings SET state = ?, finished_at = ? WHERE id = ?", mailings.Finished, finished, id); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := mailings.SweepRecipients(ctx, db, t0, -1); err != nil || n != 0 {
			t.Errorf("sweep with forever removed %d, %v", n, err)
		}
		if n, err := mailings.SweepRecipients(ctx, db, t0, 90); err != nil || n != 1 {
			t.Errorf("sweep removed %d, %v; want 1", n, err)
		}
		for id, want := range map[int64]int{old: 0, recent: 1, unsent: 1} {
			if p, _ := mailings.ProgressOf(ctx, db, id); p.Total != want {
				t.Errorf("mailing %d keeps %d recipients, want %d", id, p.Total, want)
			}
		}
	})
}

// TestSweepConfirmations covers the declared lifetime of a confirmation
// link's hash: cleared once expired, and the link then refused.
func TestSweepConfirmations(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		env := newEnv(t, db)
		ann := person(t, db, "Ann", "ann@example.org", true)
		bob := person(t, db, "Bob", "bob@example.org", true)
		old, _, err := mailings.OptIn(ctx, env, ann, true, t0.Add(-3*24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		fresh, _, err := mailings.OptIn(ctx, env, bob, true, t0)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := mailings.SweepConfirmations(ctx, db, t0); err != nil || n != 1 {
			t.Fatalf("sweep cleared %d, %v; want 1", n, err)
		}
		if _, err := mailings.ConfirmPending(ctx, db, old, t0); !errors.Is(err, mailings.ErrLinkUnknown) {
			t.Errorf("the expired link after the sweep: %v, want ErrLinkUnknown", err)
		}
		if _, err := mailings.ConfirmPending(ctx, db, fresh, t0); err != nil {
			t.Errorf("the fresh link after the sweep: %v", err)
		}
		if got := state(t, db, ann.ID); got != mailings.StatePending {
			t.Errorf("Ann's request after the sweep: %q, want still pending", got)
		}
	})
}
