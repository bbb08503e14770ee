package lists_test

import (
	"bytes"
	"context"
	"testing"

	"plenary/internal/lists"
	"plenary/internal/store/storetest"
)

// TestThreadRowsAfterARestore: a PostgreSQL backup leaves list_threads
// and list_search out (derived data) and the restore's triggers build them
// again from the restored postings. (Before, the search index was dumped,
// and a restore of any published posting failed on it: the triggers had
// filled it already.)
func TestThreadRowsAfterARestore(t *testing.T) {
	db := storetest.Postgres(t)
	ctx := context.Background()
	e := setup(t, db)
	e.list(t, "wg-dump", lists.PostOpen)
	first := e.post(t, "wg-dump", "Ann", "ann@example.net", "First", "Text.")
	e.post(t, "wg-dump", "Bob", "bob@example.net", "Second", "Text.")
	var dump bytes.Buffer
	if _, err := db.Dump(ctx, &dump); err != nil {
		t.Fatal(err)
	}
	restored := storetest.Postgres(t)
	if _, err := restored.Load(ctx, &dump); err != nil {
		t.Fatal(err)
	}
	l, err := lists.Get(ctx, restored, "wg-dump")
	if err != nil {
		t.Fatal(err)
	}
	threads, _, err := lists.ThreadPage(ctx, restored, l, 1)
	if err != nil || len(threads) != 2 || threads[1].ID != first.ID || l.Postings != 2 {
		t.Fatalf("%d threads, %d postings, %v", len(threads), l.Postings, err)
	}
	checkThreadRows(t, restored, "a restore", []lists.List{l})
	all, err := lists.All(ctx, restored)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := lists.Search(ctx, restored, restored.Dialect(), all, lists.Query{Text: "second"}); err != nil || len(r.Hits) != 1 {
		t.Errorf("search after a restore: %v %v", subjects(r), err)
	}
}
