package demo_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"plenary/internal/demo"
	"plenary/internal/meetings"
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
