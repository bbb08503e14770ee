package demo_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"plenary/internal/audit"
	"plenary/internal/demo"
	"plenary/internal/meetings"
	"plenary/internal/payments"
	"plenary/internal/people"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestDemoHasARegistrantsSide: the demo's upcoming meeting has, for
// grace@demo.example, a paid registration with a receipt on her account
// page, and finance a refund request to decide.
func TestDemoHasARegistrantsSide(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := demo.Seed(ctx, demo.Deps{DB: db, Out: &bytes.Buffer{}, Now: time.Now()}); err != nil {
			t.Fatal(err)
		}
		grace, _, err := people.FindByEmail(ctx, db, "grace@demo.example")
		if err != nil {
			t.Fatal(err)
		}
		own, err := meetings.ForAccount(ctx, db, grace.ID, nil)
		if err != nil || len(own) != 1 || !own[0].HasReceipt() || own[0].RefundRequestedAt == nil {
			t.Fatalf("Grace's registrations: %+v, %v; want one paid, with a receipt and a refund request", own, err)
		}
		receipts, err := meetings.Receipts(ctx, db, own[0].Token)
		if err != nil || len(receipts) != 1 || receipts[0].Payment.Price() != "EUR 450.00" {
			t.Errorf("Grace's receipts: %+v, %v", receipts, err)
		}
		reqs, err := meetings.RefundRequests(ctx, db)
		if err != nil || len(reqs) != 1 || reqs[0].Registrant != "Grace Hopper" {
			t.Errorf("refund requests: %+v, %v", reqs, err)
		}
	})
}

// TestDemoRefundGoesThroughTheTestProcessor: the demo's seeded payments
// are unknown to a test processor just started, which refuses to refund
// them; given back what plenary holds as paid there (as serve does at
// start), it refunds Grace Hopper's, and finance's list is empty after.
func TestDemoRefundGoesThroughTheTestProcessor(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		at := time.Now()
		if _, err := demo.Seed(ctx, demo.Deps{DB: db, Out: &bytes.Buffer{}, Now: at}); err != nil {
			t.Fatal(err)
		}
		reqs, err := meetings.RefundRequests(ctx, db)
		if err != nil || len(reqs) != 1 {
			t.Fatalf("refund requests: %+v, %v", reqs, err)
		}
		log := &audit.Log{DB: db, Key: []byte("demo test audit key, 32 bytes ok")}
		fin := meetings.Staff{ID: 1, Name: "Fin"}

		fresh := meetings.Checkouts{DB: db, Audit: log, Proc: &payments.TestProcessor{}}
		var failed *meetings.RefundFailure
		if err := fresh.Refund(ctx, fin, reqs[0].PaymentID, at); !errors.As(err, &failed) || !failed.Refused {
			t.Fatalf("a refund at a processor that does not know the payment: %v, want a refusal", err)
		}

		tp := &payments.TestProcessor{}
		paid, err := meetings.PaidAt(ctx, db, payments.TestProcessorName)
		if err != nil || len(paid) != 2 {
			t.Fatalf("payments paid at the test processor: %+v, %v; want Amara's and Grace's", paid, err)
		}
		for _, o := range paid {
			tp.AddPaid(o)
		}
		c := meetings.Checkouts{DB: db, Audit: log, Proc: tp}
		if err := c.Refund(ctx, fin, reqs[0].PaymentID, at.Add(time.Minute)); err != nil {
			t.Fatalf("refunding Grace's payment: %v", err)
		}
		if tp.Refunds() != 1 {
			t.Errorf("the test processor made %d refunds, want 1", tp.Refunds())
		}
		if reqs, err := meetings.RefundRequests(ctx, db); err != nil || len(reqs) != 0 {
			t.Errorf("refund requests after the refund: %+v, %v", reqs, err)
		}
	})
}
