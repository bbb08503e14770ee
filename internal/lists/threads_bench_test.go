package lists_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"plenary/internal/lists"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// BenchmarkThreadPage times the page of threads of a list of 100,000
// postings (about 30,000 threads; seven postings in ten reply to one of
// the 40 most recent threads, as bench/lists-memory writes them), page 1
// and page 200, on each engine (issue 9). Run with:
//
//	PLENARY_TEST_POSTGRES=postgres://… go test ./internal/lists -run '^$' -bench ThreadPage
func BenchmarkThreadPage(b *testing.B) {
	const n = 100000
	for _, engine := range []struct {
		name string
		open func(testing.TB) *store.DB
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}} {
		b.Run(engine.name, func(b *testing.B) {
			ctx := context.Background()
			db := engine.open(b)
			l := fillThreads(b, db, n)
			for _, page := range []int{1, 200} {
				b.Run(fmt.Sprintf("page%d", page), func(b *testing.B) {
					for b.Loop() {
						threads, _, err := lists.ThreadPage(ctx, db, l, page)
						if err != nil || len(threads) != lists.ThreadsPerPage {
							b.Fatalf("%d threads, %v", len(threads), err)
						}
					}
				})
			}
		})
	}
}

// BenchmarkInsertPostings times batches of 400 postings inserted straight
// into list_posts, as bench/lists-memory fills its database, to show what
// the triggers of list_threads (and of the search index) cost the import
// path. One op is one batch.
func BenchmarkInsertPostings(b *testing.B) {
	for _, engine := range []struct {
		name string
		open func(testing.TB) *store.DB
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}} {
		b.Run(engine.name, func(b *testing.B) {
			db := engine.open(b)
			f := newFiller(b, db)
			f.add(b, 20000) // a list with threads to reply to
			for b.Loop() {
				f.add(b, 400)
			}
		})
	}
}

// filler writes published postings on one list straight into list_posts,
// in batches, the triggers building the search index and the rows of
// threads; seven in ten reply to one of the 40 most recent threads.
type filler struct {
	db       *store.DB
	list, by int64
	next     int64
	recent   []int64
	r        *rand.Rand
	start    time.Time
}

func newFiller(b *testing.B, db *store.DB) *filler {
	b.Helper()
	ctx := context.Background()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	listID, err := store.Insert(ctx, db, "INSERT INTO lists (name, description, posting, archive, created_at) VALUES ('wg-bench', 'Bench', 'open', 'public', ?)", now)
	if err != nil {
		b.Fatal(err)
	}
	c, err := store.Insert(ctx, db, "INSERT INTO list_contributors (email, name, token, accepted_at, created_at) VALUES ('a@example.net', 'A', 'tok', ?, ?)", now, now)
	if err != nil {
		b.Fatal(err)
	}
	return &filler{db: db, list: listID, by: c, next: 1, r: rand.New(rand.NewPCG(9, 9)), start: now.AddDate(-10, 0, 0)}
}

func (f *filler) add(b *testing.B, n int) {
	b.Helper()
	const batch = 400
	for i := 0; i < n; i += batch {
		var vals []string
		var args []any
		for range min(batch, n-i) {
			id := f.next
			f.next++
			thread := id
			if len(f.recent) > 0 && f.r.IntN(10) < 7 {
				thread = f.recent[f.r.IntN(len(f.recent))]
			} else {
				f.recent = append(f.recent, id)
				if len(f.recent) > 40 {
					f.recent = f.recent[1:]
				}
			}
			at := f.start.Add(time.Duration(id) * time.Minute)
			vals = append(vals, "(?, ?, ?, ?, '', ?, 'A subject', 'A short body', 'published', ?, ?)")
			args = append(args, id, f.list, f.by, fmt.Sprintf("<%d@bench>", id), thread, at, at)
		}
		if _, err := f.db.Exec(context.Background(), "INSERT INTO list_posts (id, list_id, contributor_id, message_id, in_reply_to, thread_id, subject, body, status, created_at, published_at) VALUES "+
			strings.Join(vals, ", "), args...); err != nil {
			b.Fatal(err)
		}
	}
}

// fillThreads writes n postings on one list and returns it.
func fillThreads(b *testing.B, db *store.DB, n int) lists.List {
	b.Helper()
	ctx := context.Background()
	newFiller(b, db).add(b, n)
	if db.Dialect() == store.Postgres {
		if _, err := db.Exec(ctx, "ANALYZE"); err != nil {
			b.Fatal(err)
		}
	}
	l, err := lists.Get(ctx, db, "wg-bench")
	if err != nil {
		b.Fatal(err)
	}
	return l
}
