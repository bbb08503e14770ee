package meetings_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"plenary/internal/mail"
	"plenary/internal/meetings"
	"plenary/internal/outbox"
	"plenary/internal/payments"
	"plenary/internal/secrets"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// mailbox is the real durable outbox with a sender that keeps what it
// is given: delivered returns every message the use cases stored.
type mailbox struct {
	db   *store.DB
	box  *outbox.Outbox
	sent *mail.Outbox
}

func newMailbox(t *testing.T, db *store.DB) *mailbox {
	t.Helper()
	keys, err := secrets.FromBytes([]byte("notices test master key, 32 bytes or more"))
	if err != nil {
		t.Fatal(err)
	}
	sent := &mail.Outbox{}
	return &mailbox{db: db, sent: sent, box: &outbox.Outbox{DB: db, Sealer: keys.Sealer(outbox.KeyPurpose), Mail: sent}}
}

// delivered delivers whatever is stored and returns everything sent so far.
func (m *mailbox) delivered(t *testing.T) []mail.Message {
	t.Helper()
	ctx := context.Background()
	rows, err := m.db.Query(ctx, "SELECT id FROM mail_outbox ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		if err := m.box.Deliver(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	return m.sent.Messages()
}

// TestRefundTellsTheRegistrant: finance's refund mails the registrant,
// once, the amount with its currency, the day and that the place is
// released, with the link to their page; a refund whose record failed
// after the processor made it mails nobody until the reconcile job
// records it, and then once. On both engines.
func TestRefundTellsTheRegistrant(t *testing.T) {
	staff := meetings.Staff{ID: 7, Name: "Fin"}
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		proc := &fakeProc{}
		c, _ := checkoutsFor(t, db, proc)
		mb := newMailbox(t, db)
		c.Outbox, c.Org = mb.box, "Example Org"
		token, pid := paidRegistration(t, db, c, proc, "5")
		before := len(mb.delivered(t))

		if err := c.Refund(ctx, staff, pid, time.Date(2027, 3, 2, 10, 0, 0, 0, time.UTC)); err != nil {
			t.Fatal(err)
		}
		if err := c.Refund(ctx, staff, pid, time.Date(2027, 3, 2, 11, 0, 0, 0, time.UTC)); !errors.Is(err, meetings.ErrNotRefundable) {
			t.Fatalf("second refund: %v", err)
		}
		got := mb.delivered(t)[before:]
		if len(got) != 1 {
			t.Fatalf("%d messages after the refund, want 1: %+v", len(got), got)
		}
		m := got[0]
		if m.To != "racer@example.net" || !strings.Contains(m.Subject, "refunded") || !strings.Contains(m.Subject, "IETF 200") {
			t.Errorf("the refund notice goes to %q with subject %q", m.To, m.Subject)
		}
		for _, want := range []string{"USD 350.00", "2 March 2027", "place is released", "https://site.example/registrations/" + token} {
			if !strings.Contains(m.Body, want) {
				t.Errorf("the refund notice does not say %q:\n%s", want, m.Body)
			}
		}

		// The processor makes the refund and recording it fails: nobody is
		// told yet; the reconcile job records it and tells them once.
		token2, pid2 := paidRegistration(t, db, c, proc, "5")
		before = len(mb.delivered(t))
		cctx, cancel := context.WithCancel(ctx)
		cut := c
		cut.Proc = cutRefund{fakeProc: proc, cancel: cancel}
		if err := cut.Refund(cctx, staff, pid2, now.Add(time.Hour)); err == nil {
			t.Fatal("the cut-off refund reported success")
		}
		cancel()
		if got := mb.delivered(t)[before:]; len(got) != 0 {
			t.Errorf("a refund not recorded told the registrant: %+v", got)
		}
		if r, err := c.Reconcile(ctx, now.Add(2*time.Hour), time.Minute); err != nil || r.Refunded != 1 {
			t.Fatalf("reconcile: %+v %v", r, err)
		}
		if _, err := c.Reconcile(ctx, now.Add(3*time.Hour), time.Minute); err != nil {
			t.Fatal(err)
		}
		got = mb.delivered(t)[before:]
		if len(got) != 1 || !strings.Contains(got[0].Body, "registrations/"+token2) || !strings.Contains(got[0].Body, "USD 350.00") {
			t.Errorf("after the reconcile job recorded the refund: %+v, want one notice for the second registration", got)
		}
	})
}

// takeLate takes a card at the checkout at url and leaves its payment
// being confirmed, as a card that asks its bank does; confirmLate then
// settles it paid.
func (p *fakeProc) takeLate(url string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	id, _ := strings.CutPrefix(url, "https://pay.example/")
	s, ok := p.sessions[id]
	if !ok || s.status != payments.Open {
		return false
	}
	s.status = payments.Settling
	return true
}

func (p *fakeProc) confirmLate(url string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	id, _ := strings.CutPrefix(url, "https://pay.example/")
	if s, ok := p.sessions[id]; ok && s.status == payments.Settling {
		s.status = payments.Paid
		p.charges++
	}
}

// TestPaymentTellsTheRegistrant: a payment that arrives mails the
// registrant, once, that the registration is complete, with the amount,
// the day and the receipt's link; a payment being confirmed by the
// processor is neither expired nor released by the reconcile job however
// long it takes, nor can it be paid again; once it is confirmed the
// reconcile job records it and the registrant is told once. On both
// engines.
func TestPaymentTellsTheRegistrant(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		proc := &fakeProc{}
		c, log := checkoutsFor(t, db, proc)
		mb := newMailbox(t, db)
		c.Outbox, c.Org = mb.box, "Example Org"
		m := openMeeting(t, db, log, "5")
		v := version(t, db)

		r, err := register(t, db, log, m, v, 0, now)
		if err != nil {
			t.Fatal(err)
		}
		url, err := c.StartPayment(ctx, r.Token, now)
		if err != nil {
			t.Fatal(err)
		}
		ev, ok := proc.pay(url)
		if !ok {
			t.Fatal("the checkout took no card")
		}
		for i := range 2 {
			if err := c.Apply(ctx, ev, now); i == 1 && !errors.Is(err, payments.ErrReplayed) || i == 0 && err != nil {
				t.Fatalf("webhook %d: %v", i+1, err)
			}
		}
		got := mb.delivered(t)
		if len(got) != 1 {
			t.Fatalf("%d messages after the payment, want 1: %+v", len(got), got)
		}
		if got[0].To != "racer@example.net" || !strings.Contains(got[0].Subject, "complete") {
			t.Errorf("the payment's confirmation: to %q, subject %q", got[0].To, got[0].Subject)
		}
		for _, want := range []string{"USD 350.00", "1 March 2027", "registration is complete", "https://site.example/registrations/" + r.Token + "/receipt"} {
			if !strings.Contains(got[0].Body, want) {
				t.Errorf("the payment's confirmation does not say %q:\n%s", want, got[0].Body)
			}
		}

		// Being confirmed: not expired, not released, not paid twice.
		late, err := register(t, db, log, m, v, 0, now)
		if err != nil {
			t.Fatal(err)
		}
		lateURL, err := c.StartPayment(ctx, late.Token, now)
		if err != nil || !proc.takeLate(lateURL) {
			t.Fatalf("starting the late payment: %v", err)
		}
		if state := c.AtProcessor(ctx, mustByToken(t, db, late.Token)); state != payments.Settling {
			t.Errorf("the processor's state of the late payment: %q, want settling", state)
		}
		if _, err := c.StartPayment(ctx, late.Token, now.Add(time.Minute)); !errors.Is(err, meetings.ErrSettling) {
			t.Errorf("paying again while the payment is confirmed: %v, want ErrSettling", err)
		}
		if r, err := c.Reconcile(ctx, now.Add(2*time.Hour), time.Minute); err != nil || r.Expired != 0 || r.Released != 0 {
			t.Errorf("reconcile while the payment is confirmed, past the expiry: %+v %v; want nothing expired or released", r, err)
		}
		if n := len(mb.delivered(t)); n != 1 {
			t.Errorf("%d messages while the payment is confirmed, want still 1", n)
		}
		proc.confirmLate(lateURL)
		if r, err := c.Reconcile(ctx, now.Add(3*time.Hour), time.Minute); err != nil || r.Settled != 1 {
			t.Errorf("reconcile once confirmed: %+v %v; want one settled", r, err)
		}
		if _, err := c.Reconcile(ctx, now.Add(4*time.Hour), time.Minute); err != nil {
			t.Fatal(err)
		}
		if got := mustByToken(t, db, late.Token); got.Status != meetings.Paid {
			t.Errorf("the late payment's registration: %q, want paid", got.Status)
		}
		got = mb.delivered(t)
		if len(got) != 2 || !strings.Contains(got[1].Body, late.Token+"/receipt") || !strings.Contains(got[1].Body, "1 March 2027") {
			t.Errorf("after the late payment: %+v, want a second confirmation, for it", got)
		}
	})
}

func mustByToken(t *testing.T, db *store.DB, token string) meetings.Registration {
	t.Helper()
	r, err := meetings.ByToken(context.Background(), db, token)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
