package demo_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"plenary/internal/demo"
	"plenary/internal/inventory"
	"plenary/internal/policy"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestSeedAddsInquiries: --demo fills the staff inbox with open inquiries,
// a privacy request and one answered and closed, each with its consent
// entry.
func TestSeedAddsInquiries(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		pol := &policy.Service{DB: db, Inventory: inventory.Default(), Facts: policy.Facts{Org: "Demo Org", Contact: "privacy@demo.example"}}
		if _, err := pol.EnsureCurrent(ctx, time.Now()); err != nil {
			t.Fatal(err)
		}
		if ok, err := demo.Seed(ctx, demo.Deps{DB: db, Out: &bytes.Buffer{}, Now: time.Now()}); err != nil || !ok {
			t.Fatalf("Seed = %v, %v", ok, err)
		}
		for _, c := range []struct {
			query string
			want  int
		}{
			{"SELECT COUNT(*) FROM inquiries", 4},
			{"SELECT COUNT(*) FROM inquiries WHERE category = 'privacy' AND closed_at IS NULL", 1},
			{"SELECT COUNT(*) FROM inquiries WHERE closed_at IS NOT NULL", 1},
			{"SELECT COUNT(*) FROM inquiry_messages WHERE direction = 'staff' AND staff_id IS NOT NULL", 1},
			{"SELECT COUNT(*) FROM consent_ledger WHERE inquiry_id IS NOT NULL AND channel = 'web'", 4},
		} {
			var n int
			if err := db.QueryRow(ctx, c.query).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != c.want {
				t.Errorf("%s: %d, want %d", c.query, n, c.want)
			}
		}
	})
}
