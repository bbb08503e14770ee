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

// TestListMboxInBatches: a list's mbox is read in batches (so that a list
// of any size is never held in memory at once); every published posting
// is in it once, in order of arrival, across the batches' edges, and a
// posting of another list or one held back is not. start runs once,
// before the first byte.
func TestListMboxInBatches(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		l := e.list(t, "wg-big", lists.PostOpen)
		e.list(t, "wg-other", lists.PostOpen)
		e.now = time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
		const n = 450 // past two batch edges
		for i := 1; i <= n; i++ {
			e.post(t, "wg-big", "Ann Lee", "ann@example.org", fmt.Sprintf("Posting %03d", i), "Text.")
			if i == 300 {
				e.post(t, "wg-other", "Ann Lee", "ann@example.org", "Elsewhere", "Text.")
				held := e.post(t, "wg-big", "Ann Lee", "ann@example.org", "Held back", "Text.")
				if _, err := db.Exec(ctx, "UPDATE list_posts SET status = 'held' WHERE id = ?", held.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
		var out strings.Builder
		starts := 0
		if err := lists.ListMbox(ctx, db, l, true, &out, func() {
			if out.Len() != 0 {
				t.Error("start ran after writing")
			}
			starts++
		}); err != nil {
			t.Fatal(err)
		}
		var subjects []string
		for _, line := range strings.Split(out.String(), "\n") {
			if s, ok := strings.CutPrefix(line, "Subject: "); ok {
				subjects = append(subjects, s)
			}
		}
		if starts != 1 || len(subjects) != n {
			t.Fatalf("start ran %d times; %d postings in the mbox, want %d", starts, len(subjects), n)
		}
		for i, s := range subjects {
			if want := fmt.Sprintf("Posting %03d", i+1); s != want {
				t.Fatalf("posting %d is %q, want %q", i+1, s, want)
			}
		}
	})
}
