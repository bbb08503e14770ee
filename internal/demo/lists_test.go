package demo_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"plenary/internal/demo"
	"plenary/internal/inventory"
	"plenary/internal/lists"
	"plenary/internal/policy"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestSeedAddsDiscussionGroups: --demo creates two public lists with
// threaded postings, each author's acceptance of the terms in the ledger.
func TestSeedAddsDiscussionGroups(t *testing.T) {
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
			list          string
			threads, msgs int
		}{{"discuss", 3, 12}, {"wg-http", 4, 15}} {
			threads, err := lists.Threads(ctx, db, c.list)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, th := range threads {
				n += len(th.Postings)
			}
			if len(threads) != c.threads || n != c.msgs {
				t.Errorf("%s: %d threads of %d postings, want %d of %d", c.list, len(threads), n, c.threads, c.msgs)
			}
		}
		var n int
		if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM consent_ledger WHERE contributor_id IS NOT NULL AND purpose = ?", lists.PurposeTerms).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 5 {
			t.Errorf("%d acceptances of the terms, want 5 (one per author)", n)
		}
	})
}
