package demo_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"plenary/internal/demo"
	"plenary/internal/inventory"
	"plenary/internal/lists"
	"plenary/internal/policy"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestSeedAddsDiscussionGroups: --demo creates two public lists with a few
// hundred postings in threads of varied depth over months, from a couple
// of dozen authors, replies quoting their parents, some long bodies and a
// few attachments; each archive reaches a second page, search finds the
// postings, and each author's acceptance of the terms is in the ledger.
func TestSeedAddsDiscussionGroups(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Now().UTC()
		pol := &policy.Service{DB: db, Inventory: inventory.Default(), Facts: policy.Facts{Org: "Demo Org", Contact: "privacy@demo.example"}}
		if _, err := pol.EnsureCurrent(ctx, now); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if ok, err := demo.Seed(ctx, demo.Deps{DB: db, Out: &bytes.Buffer{}, Now: now}); err != nil || !ok {
			t.Fatalf("Seed = %v, %v", ok, err)
		}
		t.Logf("the demo's seed took %v", time.Since(start))

		total, deepest, branching, childless, quoting, replies, long := 0, 0, 0, 0, 0, 0, 0
		authors := map[string]bool{}
		oldest := now
		for _, name := range []string{"discuss", "wg-http"} {
			threads, err := lists.Threads(ctx, db, name)
			if err != nil {
				t.Fatal(err)
			}
			for _, th := range threads {
				byID := map[string]lists.Posting{}
				children := map[string]int{}
				for _, p := range th.Postings {
					byID[p.MessageID] = p
					children[p.InReplyTo]++
				}
				if len(th.Postings) == 1 {
					childless++
				}
				for _, p := range th.Postings {
					total++
					authors[p.Email] = true
					if p.PublishedAt != nil && p.PublishedAt.Before(oldest) {
						oldest = *p.PublishedAt
					}
					if strings.Count(strings.TrimSpace(p.Body), "\n\n") >= 3 {
						long++
					}
					if children[p.MessageID] >= 2 {
						branching++
					}
					depth := 0
					for q := p; q.InReplyTo != ""; q = byID[q.InReplyTo] {
						depth++
					}
					deepest = max(deepest, depth)
					if p.InReplyTo == "" {
						continue
					}
					replies++
					parent := byID[p.InReplyTo]
					var quoted []string
					for _, line := range strings.Split(p.Body, "\n") {
						if strings.HasPrefix(line, "> ") {
							quoted = append(quoted, strings.TrimPrefix(line, "> "))
						}
					}
					if len(quoted) > 0 && strings.Contains(p.Body, parent.Author+" wrote:") && strings.Contains(parent.Body, strings.Join(quoted, "\n")) {
						quoting++
					}
				}
			}
			l, err := lists.Get(ctx, db, name)
			if err != nil {
				t.Fatal(err)
			}
			first, more, err := lists.ThreadPage(ctx, db, l, 1)
			if err != nil {
				t.Fatal(err)
			}
			second, _, err := lists.ThreadPage(ctx, db, l, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(first) != lists.ThreadsPerPage || !more || len(second) == 0 {
				t.Errorf("%s: the archive's first page has %d threads (more: %t), the second %d; want a second page", name, len(first), more, len(second))
			}
		}
		t.Logf("%d postings by %d authors, %d replies, deepest %d levels, %d threads without replies, %d postings answered twice or more, %d long ones, oldest %v",
			total, len(authors), replies, deepest, childless, branching, long, oldest.Format(time.DateOnly))
		if total < 300 || total > 400 {
			t.Errorf("%d postings in the two public lists, want a few hundred (300 to 400)", total)
		}
		if len(authors) < 20 {
			t.Errorf("%d authors, want a couple of dozen", len(authors))
		}
		if deepest < 5 || branching < 10 || childless == 0 {
			t.Errorf("threads: deepest reply %d levels down, %d postings with two or more replies, %d without replies; want varied depth", deepest, branching, childless)
		}
		if quoting != replies {
			t.Errorf("%d of %d replies quote their parent with an attribution line", quoting, replies)
		}
		if long < 20 {
			t.Errorf("%d postings have three paragraphs or more, want some long ones", long)
		}
		if now.Sub(oldest) < 150*24*time.Hour {
			t.Errorf("the oldest posting is from %v, want months ago", oldest)
		}
		var n int
		if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM list_attachments").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 3 {
			t.Errorf("%d attachments, want 3", n)
		}
		if err := db.QueryRow(ctx, "SELECT COUNT(DISTINCT contributor_id) FROM consent_ledger WHERE contributor_id IS NOT NULL AND purpose = ?", lists.PurposeTerms).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != len(authors) {
			t.Errorf("%d authors accepted the terms in the ledger, want %d (one per author)", n, len(authors))
		}
		all, err := lists.All(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		res, err := lists.Search(ctx, db, db.Dialect(), all, lists.Query{Text: "implementations", Page: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Hits) != lists.PageSize || !res.More {
			t.Errorf("searching the demo's postings for a common word found %d (more: %t), want a full page and more", len(res.Hits), res.More)
		}
	})
}
