package lists_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"plenary/internal/lists"
	"plenary/internal/mail"
	"plenary/internal/policy"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestRemoveLeavesATombstone checks R4 in the domain on both engines: a
// removal needs a reason; it erases the posting's text and its tie to its
// author in one transaction with its audit entry, takes it out of the search
// index (the trigger), the thread and the mbox, keeps a tombstone with the
// reason and dates, and the same Message-ID is not taken back.
func TestRemoveLeavesATombstone(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		l := e.list(t, "wg-tomb", lists.PostOpen)
		first := e.post(t, "wg-tomb", "Ann Author", "ann@example.net", "Zebra crossing", "Striped words here.")
		e.now = e.now.Add(time.Hour)
		second := e.post(t, "wg-tomb", "Bob", "bob@example.net", "Other topic", "Nothing striped.")

		if _, err := e.svc.Remove(ctx, lists.Actor{Label: "test"}, "wg-tomb", first.ID, " "); err == nil || !strings.Contains(err.Error(), "The reason") {
			t.Fatalf("a removal without a reason: %v", err)
		}
		if _, err := e.svc.Remove(ctx, lists.Actor{Label: "test"}, "other", first.ID, "x"); !errors.Is(err, lists.ErrNoPost) {
			t.Fatalf("a removal through another list: %v", err)
		}
		e.now = time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
		tomb, err := e.svc.Remove(ctx, lists.Actor{ID: 7, Label: "Sam"}, "wg-tomb", first.ID, "Defamatory content")
		if err != nil {
			t.Fatal(err)
		}
		got, err := lists.TombstoneOf(ctx, db, l, first.ID)
		if err != nil || got.Reason != "Defamatory content" || !got.RemovedAt.Equal(e.now) || got.PostedAt == nil || got.ThreadID != first.ThreadID || tomb.PostID != first.ID {
			t.Fatalf("tombstone %+v, %v", got, err)
		}
		if _, err := lists.TombstoneOf(ctx, db, l, second.ID); !errors.Is(err, lists.ErrNoPost) {
			t.Errorf("a live posting has a tombstone: %v", err)
		}
		var n int
		for _, q := range []string{
			"SELECT COUNT(*) FROM list_posts WHERE body LIKE '%Striped words%' OR subject LIKE '%Zebra%'",
			"SELECT COUNT(*) FROM list_tombstones WHERE reason LIKE '%Zebra%' OR message_hash LIKE '%@%'",
		} {
			if err := db.QueryRow(ctx, q).Scan(&n); err != nil || n != 0 {
				t.Errorf("%s: %d %v", q, n, err)
			}
		}
		if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM audit_log WHERE action = 'lists.remove' AND subject = ?", fmt.Sprintf("posting:%d", first.ID)).Scan(&n); err != nil || n != 1 {
			t.Errorf("%d audit entries, %v", n, err)
		}
		all, _ := lists.All(ctx, db)
		if r, err := lists.Search(ctx, db, db.Dialect(), all, lists.Query{Text: "striped"}); err != nil || len(r.Hits) != 1 || r.Hits[0].Posting.ID != second.ID {
			t.Errorf("search after the removal: %v %v", subjects(r), err)
		}
		var mbox strings.Builder
		if err := lists.ListMbox(ctx, db, l, false, &mbox, nil); err != nil || strings.Contains(mbox.String(), "Zebra") || !strings.Contains(mbox.String(), "Other topic") {
			t.Errorf("mbox after the removal: %v\n%s", err, mbox.String())
		}
		if _, err := e.svc.Remove(ctx, lists.Actor{Label: "test"}, "wg-tomb", first.ID, "again"); !errors.Is(err, lists.ErrNoPost) {
			t.Errorf("removing twice: %v", err)
		}
		_, err = e.svc.Post(ctx, lists.Draft{List: "wg-tomb", Name: "Ann Author", Email: "ann@example.net", Subject: "Zebra crossing", Body: "Again.",
			MessageID: first.MessageID, AcceptTerms: true, Channel: policy.ChannelWeb})
		var refused *mail.Refusal
		if !errors.As(err, &refused) || !strings.Contains(refused.Message, "removed") {
			t.Errorf("the removed message posted again: %v", err)
		}
	})
}

// TestArchivePagesAndNavigation checks the archive's pages on both engines:
// threads a page at a time with the newest activity first, postings by
// date, a thread, a posting's neighbours, and masked addresses.
func TestArchivePagesAndNavigation(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		l := e.list(t, "wg-pages", lists.PostOpen)
		var roots []lists.Posting
		for i := 0; i < lists.ThreadsPerPage+2; i++ {
			e.now = e.now.Add(time.Minute)
			roots = append(roots, e.post(t, "wg-pages", "Ann", "ann@example.net", fmt.Sprintf("Topic %02d", i), "Hello."))
		}
		// A reply to the first topic makes it the most recently active.
		e.now = e.now.Add(time.Minute)
		res, err := e.svc.Post(ctx, lists.Draft{List: "wg-pages", Name: "Bob", Email: "bob@example.net", Subject: "Re: Topic 00", Body: "> Hello.\nHi.",
			InReplyTo: roots[0].MessageID, AcceptTerms: true, Channel: policy.ChannelWeb})
		if err != nil {
			t.Fatal(err)
		}
		reply := res.Posting
		page1, more, err := lists.ThreadPage(ctx, db, l, 1)
		if err != nil || !more || len(page1) != lists.ThreadsPerPage || page1[0].Subject != "Topic 00" || len(page1[0].Postings) != 2 || page1[1].Subject != "Topic 26" {
			t.Fatalf("page 1: %d threads, more %v, first %q, %v", len(page1), more, page1[0].Subject, err)
		}
		page2, more, err := lists.ThreadPage(ctx, db, l, 2)
		if err != nil || more || len(page2) != 2 || page2[0].Subject != "Topic 02" || page2[1].Subject != "Topic 01" {
			t.Fatalf("page 2: %+v, more %v, %v", page2, more, err)
		}
		byDate, more, err := lists.ByDate(ctx, db, l, 1)
		if err != nil || !more || byDate[0].Subject != "Re: Topic 00" || byDate[1].Subject != "Topic 26" {
			t.Fatalf("by date: %v %v", more, err)
		}
		thread, err := lists.ThreadOf(ctx, db, l, reply.ID)
		if err != nil || len(thread) != 2 {
			t.Fatalf("thread: %d %v", len(thread), err)
		}
		nav := lists.Navigate(thread[0], thread)
		if nav.Next == nil || nav.Next.ID != reply.ID || nav.Prev != nil || nav.Parent != nil || len(nav.Replies) != 1 {
			t.Errorf("the first posting's neighbours: %+v", nav)
		}
		nav = lists.Navigate(thread[1], thread)
		if nav.Prev == nil || nav.Parent == nil || nav.Parent.ID != roots[0].ID || nav.Next != nil || len(nav.Replies) != 0 {
			t.Errorf("the reply's neighbours: %+v", nav)
		}
		// More matches than a page: the newest are ranked, page by page.
		readable, _ := lists.All(ctx, db)
		r1, err := lists.Search(ctx, db, db.Dialect(), readable, lists.Query{Text: "hello"})
		if err != nil || len(r1.Hits) != lists.PageSize || !r1.More {
			t.Fatalf("search page 1: %d hits, more %v, %v", len(r1.Hits), r1.More, err)
		}
		r2, err := lists.Search(ctx, db, db.Dialect(), readable, lists.Query{Text: "hello", Page: 2})
		if err != nil || len(r2.Hits) != len(roots)+1-lists.PageSize || r2.More {
			t.Fatalf("search page 2: %d hits, more %v, %v", len(r2.Hits), r2.More, err)
		}
		seen := map[int64]bool{}
		for _, h := range append(r1.Hits, r2.Hits...) {
			seen[h.Posting.ID] = true
		}
		if len(seen) != len(roots)+1 {
			t.Errorf("the two pages hold %d distinct postings, want %d", len(seen), len(roots)+1)
		}
		for addr, want := range map[string]string{"jane@example.org": "ja…@example.org", "bob@example.net": "b…@example.net", "x@y.z": "x…@y.z", "nonsense": "…"} {
			if got := lists.MaskAddress(addr); got != want {
				t.Errorf("MaskAddress(%q) = %q, want %q", addr, got, want)
			}
		}
	})
}

// TestThreadWhoseFirstPostingIsNotPublished: a thread is named by its first
// posting; when that one is held for the terms or removed by staff, its
// published replies are still the thread, found by the first posting's
// number, and a thread with nothing published is no thread.
func TestThreadWhoseFirstPostingIsNotPublished(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		l := e.list(t, "wg-roots", lists.PostOpen)
		held, err := e.svc.Post(ctx, lists.Draft{List: "wg-roots", Name: "New Comer", Email: "new@example.net", Subject: "Held root",
			Body: "Waiting for the terms.", MessageID: "<held-root@example.net>", Channel: policy.ChannelEmail})
		if err != nil || held.Posting.Status != lists.HeldTerms {
			t.Fatalf("held root: %+v %v", held.Posting, err)
		}
		reply, err := e.svc.Post(ctx, lists.Draft{List: "wg-roots", Name: "Old Hand", Email: "old@example.net", Subject: "Re: Held root",
			Body: "Answering.", InReplyTo: "<held-root@example.net>", AcceptTerms: true, Channel: policy.ChannelWeb})
		if err != nil {
			t.Fatal(err)
		}
		if ps, err := lists.ThreadOf(ctx, db, l, held.Posting.ID); err != nil || len(ps) != 1 || ps[0].ID != reply.Posting.ID {
			t.Errorf("thread of a held first posting: %d postings, %v", len(ps), err)
		}
		root := e.post(t, "wg-roots", "Old Hand", "old@example.net", "Removed root", "To be removed.")
		res, err := e.svc.Post(ctx, lists.Draft{List: "wg-roots", Name: "Old Hand", Email: "old@example.net", Subject: "Re: Removed root",
			Body: "Still here.", InReplyTo: root.MessageID, AcceptTerms: true, Channel: policy.ChannelWeb})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Remove(ctx, lists.Actor{Label: "test"}, "wg-roots", root.ID, "Off topic."); err != nil {
			t.Fatal(err)
		}
		if ps, err := lists.ThreadOf(ctx, db, l, root.ID); err != nil || len(ps) != 1 || ps[0].ID != res.Posting.ID {
			t.Errorf("thread of a removed first posting: %d postings, %v", len(ps), err)
		}
		lone := e.post(t, "wg-roots", "Old Hand", "old@example.net", "Lone", "Alone.")
		if _, err := e.svc.Remove(ctx, lists.Actor{Label: "test"}, "wg-roots", lone.ID, "Spam."); err != nil {
			t.Fatal(err)
		}
		if _, err := lists.ThreadOf(ctx, db, l, lone.ID); !errors.Is(err, lists.ErrNoPost) {
			t.Errorf("thread of a removed posting with no replies: %v, want ErrNoPost", err)
		}
	})
}
