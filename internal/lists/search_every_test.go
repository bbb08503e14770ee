package lists_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"plenary/internal/lists"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestSearchEveryList covers the searches that read the index alone (every
// list searched, so no list to check per match): what leaves the index
// (a held posting, a removed one) is not found, the ranking holds, the
// pages follow each other without gaps or repeats, and a search naming one
// list of two still checks the list.
func TestSearchEveryList(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		e.list(t, "wg-alpha", lists.PostOpen)
		e.list(t, "wg-beta", lists.PostOpen)
		e.now = time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
		for i := 1; i <= 25; i++ {
			list := "wg-alpha"
			if i%5 == 0 {
				list = "wg-beta"
			}
			e.post(t, list, "Ann Lee", "ann@example.org", fmt.Sprintf("Note %02d", i), "Some words about routing tables.")
		}
		e.post(t, "wg-beta", "Bo Chen", "bo@example.org", "Routing", "Tables again.")
		held := e.post(t, "wg-alpha", "Bo Chen", "bo@example.org", "Held routing", "Routing tables, held back.")
		if _, err := db.Exec(ctx, "UPDATE list_posts SET status = 'held' WHERE id = ?", held.ID); err != nil {
			t.Fatal(err)
		}
		gone := e.post(t, "wg-alpha", "Bo Chen", "bo@example.org", "Removed routing", "Routing tables, removed.")
		if _, err := e.svc.Remove(ctx, lists.Actor{Label: "test"}, "wg-alpha", gone.ID, "Off topic."); err != nil {
			t.Fatal(err)
		}
		all, err := lists.Readable(ctx, db, 0)
		if err != nil || len(all) != 2 {
			t.Fatalf("readable %v %v", all, err)
		}

		var seen []string
		for page := 1; page <= 2; page++ {
			r, err := lists.Search(ctx, db, db.Dialect(), all, lists.Query{Text: "routing", Page: page})
			if err != nil {
				t.Fatal(err)
			}
			if page == 1 && (len(r.Hits) != 20 || !r.More || r.Hits[0].Posting.Subject != "Routing") {
				t.Fatalf("page 1: %d hits, more %v, first %q", len(r.Hits), r.More, r.Hits[0].Posting.Subject)
			}
			if page == 2 && (len(r.Hits) != 6 || r.More) {
				t.Fatalf("page 2: %d hits, more %v", len(r.Hits), r.More)
			}
			for _, h := range r.Hits {
				seen = append(seen, h.Posting.Subject)
			}
		}
		joined := strings.Join(seen, "|")
		if len(seen) != 26 || strings.Contains(joined, "Held") || strings.Contains(joined, "Removed") {
			t.Fatalf("found %v", seen)
		}
		for i := 1; i <= 25; i++ {
			if !strings.Contains(joined, fmt.Sprintf("Note %02d", i)) {
				t.Errorf("Note %02d not found on either page: %v", i, seen)
			}
		}
		r, err := lists.Search(ctx, db, db.Dialect(), all, lists.Query{Text: "routing", List: "wg-beta"})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(subjects(r), "|"); got != "Note 05|Note 10|Note 15|Note 20|Note 25|Routing" {
			t.Errorf("one list named: %q", got)
		}
	})
}
