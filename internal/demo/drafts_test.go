package demo_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"plenary/internal/demo"
	"plenary/internal/documents"
	"plenary/internal/inventory"
	"plenary/internal/policy"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestSeedPostsRealDrafts: --demo posts three real drafts by a demo
// participant, two revisions each, with her consent entries, their
// authors as participant records from a draft, and the oldest one
// expired; and a posted IPR disclosure and liaison statement.
func TestSeedPostsRealDrafts(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Now()
		pol := &policy.Service{DB: db, Inventory: inventory.Default(), Facts: policy.Facts{Org: "Demo Org", Contact: "privacy@demo.example"}}
		if _, err := pol.EnsureCurrent(ctx, now); err != nil {
			t.Fatal(err)
		}
		if ok, err := demo.Seed(ctx, demo.Deps{DB: db, Out: &bytes.Buffer{}, Now: now}); err != nil || !ok {
			t.Fatalf("Seed = %v, %v", ok, err)
		}
		list, err := documents.List(ctx, db, "", 10)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, s := range list {
			names = append(names, s.Name+"-"+s.Rev)
		}
		if len(names) != 3 || names[0] != "draft-ietf-uuidrev-rfc4122bis-12" || names[2] != "draft-ietf-mip4-multiple-tunnel-support-07" {
			t.Errorf("demo drafts %v", names)
		}
		old, err := documents.Get(ctx, db, "draft-ietf-mip4-multiple-tunnel-support", "")
		if err != nil || old.Status(now) != "Expired" {
			t.Errorf("oldest demo draft: %v %q", err, old.Status(now))
		}
		for _, c := range []struct {
			query string
			want  int
		}{
			{"SELECT COUNT(*) FROM consent_ledger WHERE purpose = '" + documents.PurposeSubmission + "'", 6},
			{"SELECT COUNT(*) FROM draft_revisions", 6},
			{"SELECT COUNT(*) FROM ipr_disclosures WHERE state = 'posted'", 1},
			{"SELECT COUNT(*) FROM liaison_statements WHERE state = 'posted'", 1},
			{"SELECT COUNT(*) FROM liaison_attachments", 1},
			{"SELECT COUNT(*) FROM person_emails WHERE origin = 'draft-author'", 11},
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
