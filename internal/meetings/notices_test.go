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
