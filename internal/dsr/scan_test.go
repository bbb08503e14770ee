package dsr_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"plenary/internal/dsr"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestScanTellsTheirRecordsFromOthersMentions: Bob's posting quotes
// Rosalind's address. While her account exists, the scan for her marks
// that posting as another person's record, and her own rows as hers (no
// mark: her request reaches them). After a removal that keeps postings,
// with no account to compare, the posting's mark says the scan cannot
// tell whose it is, instead of calling it her kept record.
func TestScanTellsTheirRecordsFromOthersMentions(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		ros := f.participant(t, "Rosalind Franklin", "ros@example.org", "rosalind@lab.example")
		bob := f.participant(t, "Bob Bystander", "bob@example.org", "bob@other.example")
		publicRecords(t, db, ros, "Rosalind Franklin", "ros@example.org")
		publicRecords(t, db, bob, "Bob Bystander", "bob@example.org")
		if _, err := db.Exec(ctx, "UPDATE list_posts SET body = ? WHERE body = ?", "Write to ros@example.org about it.", "A posting body by "+itoa(bob)); err != nil {
			t.Fatal(err)
		}
		var bobsPost string
		if err := db.QueryRow(ctx, "SELECT CAST(id AS TEXT) FROM list_posts WHERE body LIKE 'Write to%'").Scan(&bobsPost); err != nil {
			t.Fatal(err)
		}
		subject, err := dsr.LoadSubject(ctx, db, ros)
		if err != nil {
			t.Fatal(err)
		}
		s := &dsr.Scanner{DB: db, Inv: f.inv, Subject: &subject}
		hits, err := s.Scan(ctx, []string{"ros@example.org"})
		if err != nil {
			t.Fatal(err)
		}
		marks := map[string]string{}
		for _, h := range hits {
			marks[h.Table+"."+h.Column+" "+h.Row] = h.Kept
		}
		bobs := []string{"list_posts.body " + bobsPost}
		if db.Dialect() == store.Postgres {
			// PostgreSQL's search index keeps the posting's words; the
			// scan marks its row as the posting it indexes.
			bobs = append(bobs, "list_search.body "+bobsPost)
		}
		for _, place := range bobs {
			if m, ok := marks[place]; !ok || m != dsr.OthersRecord {
				t.Errorf("%s, Bob's posting, is marked %q (found: %v), want another person's record", place, m, ok)
			}
		}
		for place, m := range marks {
			if slices.Contains(bobs, place) {
				continue
			}
			if m != "" {
				t.Errorf("%s, her own, is marked %q", place, m)
			}
		}
		for _, own := range []string{"person_emails.address", "list_contributors.email", "draft_authors.email"} {
			found := false
			for place := range marks {
				found = found || strings.HasPrefix(place, own+" ")
			}
			if !found {
				t.Errorf("the scan does not find her in %s: %v", own, marks)
			}
		}

		decide(t, f, ros, map[string]bool{"account": true, "inquiries": true, "registrations": true})
		s.Subject = nil
		hits, err = s.Scan(ctx, []string{"ros@example.org"})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hits {
			switch {
			case slices.Contains(bobs, h.Table+"."+h.Column+" "+h.Row):
				if !strings.HasPrefix(h.Kept, "when the removal of postings is declined") || !strings.Contains(h.Kept, "the scan cannot tell which") {
					t.Errorf("with the account gone, Bob's posting is marked %q", h.Kept)
				}
			case h.Kept == "":
				t.Errorf("left after the removal: %s", h.Place())
			}
		}
	})
}
