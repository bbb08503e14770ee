package lists_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"plenary/internal/dsr"
	"plenary/internal/inventory"
	"plenary/internal/lists"
	"plenary/internal/people"
	"plenary/internal/policy"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestThreadRowsFollowThePostings checks issue 9's per-thread rows on both
// engines: after each kind of write to list_posts (a new thread, a reply,
// replies that arrive before their parent and are threaded again when it
// comes, postings held for a moderator or for the terms and then released,
// a refusal, removals by staff, the erasure of a person's postings by the
// rights code, the sweep of held postings, and straight SQL inserts,
// updates and deletes as a bench or a repair would write them),
// list_threads holds exactly what a GROUP BY over the published postings
// computes, and the page of threads and the lists' counts follow it.
func TestThreadRowsFollowThePostings(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		open := e.list(t, "wg-open", lists.PostOpen)
		moderated := e.list(t, "wg-mod", lists.PostModerated)
		staff := lists.Actor{ID: 7, Label: "Sam"}
		ids := map[string]int64{} // message id → posting id
		post := func(t *testing.T, list, from, mid, inReplyTo string, accept bool, person int64) lists.Result {
			t.Helper()
			e.now = e.now.Add(time.Minute)
			channel := policy.ChannelWeb // the form's box accepts the terms; mail cannot
			if !accept {
				channel = policy.ChannelEmail
			}
			res, err := e.svc.Post(ctx, lists.Draft{List: list, Name: "Writer", Email: from, PersonID: person, Subject: "About " + mid,
				Body: "Text of " + mid, MessageID: mid, InReplyTo: inReplyTo, References: inReplyTo, AcceptTerms: accept, Channel: channel})
			if err != nil {
				t.Fatal(err)
			}
			ids[mid] = res.Posting.ID
			return res
		}
		ps := &people.Service{DB: db, Audit: e.svc.Audit, Policy: e.svc.Policy}
		su, err := ps.SignUp(ctx, peopleForm("Eraser", "eraser@example.net"), "hash-of-password", e.now)
		if err != nil {
			t.Fatal(err)
		}
		eraser := su.Person.ID
		var termsToken string
		var batchFirst int64

		steps := []struct {
			name string
			do   func(t *testing.T)
		}{
			{"a new thread", func(t *testing.T) { post(t, "wg-open", "ann@example.net", "<a1@x>", "", true, 0) }},
			{"a reply", func(t *testing.T) { post(t, "wg-open", "bob@example.net", "<a2@x>", "<a1@x>", true, 0) }},
			{"a second thread with a reply", func(t *testing.T) {
				post(t, "wg-open", "cat@example.net", "<b1@x>", "", true, 0)
				post(t, "wg-open", "ann@example.net", "<b2@x>", "<b1@x>", true, 0)
			}},
			{"replies before their parent", func(t *testing.T) {
				post(t, "wg-open", "dan@example.net", "<c2@x>", "<c1@x>", true, 0)
				post(t, "wg-open", "eve@example.net", "<c3@x>", "<c2@x>", true, 0)
				post(t, "wg-open", "eve@example.net", "<c4@x>", "<c1@x>", true, 0)
			}},
			{"the late parent threads them again", func(t *testing.T) {
				post(t, "wg-open", "ann@example.net", "<c1@x>", "<a2@x>", true, 0)
			}},
			{"the erased person writes in three threads", func(t *testing.T) {
				post(t, "wg-open", "eraser@example.net", "<e1@x>", "<a1@x>", true, eraser)
				post(t, "wg-open", "eraser@example.net", "<e2@x>", "<b2@x>", true, eraser)
				post(t, "wg-open", "eraser@example.net", "<e3@x>", "", true, eraser)
			}},
			{"held for a moderator", func(t *testing.T) {
				post(t, "wg-mod", "ann@example.net", "<m1@x>", "", true, 0)
				post(t, "wg-mod", "ann@example.net", "<m2@x>", "", true, 0)
			}},
			{"approved", func(t *testing.T) {
				if err := e.svc.Moderate(ctx, staff, "wg-mod", ids["<m1@x>"], true, ""); err != nil {
					t.Fatal(err)
				}
			}},
			{"a held reply, approved", func(t *testing.T) {
				post(t, "wg-mod", "bob@example.net", "<m3@x>", "<m1@x>", true, 0)
				e.now = e.now.Add(time.Minute)
				if err := e.svc.Moderate(ctx, staff, "wg-mod", ids["<m3@x>"], true, ""); err != nil {
					t.Fatal(err)
				}
			}},
			{"refused", func(t *testing.T) {
				if err := e.svc.Moderate(ctx, staff, "wg-mod", ids["<m2@x>"], false, ""); err != nil {
					t.Fatal(err)
				}
			}},
			{"held for the terms", func(t *testing.T) {
				termsToken = post(t, "wg-open", "fay@example.net", "<f1@x>", "<b1@x>", false, 0).TermsToken
				post(t, "wg-open", "fay@example.net", "<f2@x>", "", false, 0)
			}},
			{"the terms accepted", func(t *testing.T) {
				e.now = e.now.Add(time.Minute)
				if n, err := e.svc.AcceptTerms(ctx, termsToken); err != nil || n.Total() != 2 {
					t.Fatalf("%d released, %v", n, err)
				}
			}},
			{"the newest posting of a thread removed by staff", func(t *testing.T) {
				if _, err := e.svc.Remove(ctx, staff, "wg-open", ids["<f1@x>"], "Off topic"); err != nil {
					t.Fatal(err)
				}
			}},
			{"the root of a thread removed by staff", func(t *testing.T) {
				if _, err := e.svc.Remove(ctx, staff, "wg-open", ids["<b1@x>"], "Off topic"); err != nil {
					t.Fatal(err)
				}
			}},
			{"the only posting of a thread removed by staff", func(t *testing.T) {
				if _, err := e.svc.Remove(ctx, staff, "wg-open", ids["<f2@x>"], "Off topic"); err != nil {
					t.Fatal(err)
				}
			}},
			{"a person's postings erased", func(t *testing.T) {
				o, err := dsr.PurgeChild(ctx, db, e.svc.Audit, inventory.Default(), dsr.Actor{ID: 9001, Label: "Pat"}, eraser, "under 13")
				if err != nil || o.Deleted["list_posts"] != 3 {
					t.Fatalf("%+v, %v", o, err)
				}
			}},
			{"held postings swept", func(t *testing.T) {
				post(t, "wg-open", "gus@example.net", "<g1@x>", "<a1@x>", false, 0)
				e.now = e.now.AddDate(1, 0, 0)
				if n, _, err := lists.SweepHeld(ctx, db, e.now, 30); err != nil || n != 1 {
					t.Fatalf("%d swept, %v", n, err)
				}
			}},
			{"a batch inserted straight, some without a thread_id, some at one time", func(t *testing.T) {
				var c int64
				if err := db.QueryRow(ctx, "SELECT MIN(id) FROM list_contributors").Scan(&c); err != nil {
					t.Fatal(err)
				}
				var vals []string
				var args []any
				at := e.now.Add(time.Hour)
				for i := range 30 {
					var thread any // the first ten start threads with no thread_id
					if i >= 10 && i < 20 {
						thread = ids["<a1@x>"]
					}
					status := lists.Published
					if i%7 == 6 {
						status = lists.HeldModeration
					}
					vals = append(vals, "(?, ?, ?, '', CAST(? AS BIGINT), 'Batch', 'Body', ?, ?, ?)")
					args = append(args, open.ID, c, fmt.Sprintf("<batch%d@x>", i), thread, status, at, at)
				}
				if _, err := db.Exec(ctx, "INSERT INTO list_posts (list_id, contributor_id, message_id, in_reply_to, thread_id, subject, body, status, created_at, published_at) VALUES "+
					strings.Join(vals, ", "), args...); err != nil {
					t.Fatal(err)
				}
				if err := db.QueryRow(ctx, "SELECT MIN(id) FROM list_posts WHERE message_id LIKE '<batch%'").Scan(&batchFirst); err != nil {
					t.Fatal(err)
				}
			}},
			{"an update splitting a thread in two", func(t *testing.T) {
				if _, err := db.Exec(ctx, `UPDATE list_posts SET thread_id = CASE WHEN id % 2 = 0 THEN CAST(? AS BIGINT) ELSE CAST(? AS BIGINT) END
					WHERE list_id = ? AND thread_id = ?`, batchFirst, batchFirst+1, open.ID, ids["<a1@x>"]); err != nil {
					t.Fatal(err)
				}
			}},
			{"an update swapping two threads' postings", func(t *testing.T) {
				if _, err := db.Exec(ctx, `UPDATE list_posts SET thread_id = CASE WHEN thread_id = ? THEN CAST(? AS BIGINT) ELSE CAST(? AS BIGINT) END
					WHERE thread_id IN (?, ?)`, batchFirst, batchFirst+1, batchFirst, batchFirst, batchFirst+1); err != nil {
					t.Fatal(err)
				}
			}},
			{"a publication date changed straight", func(t *testing.T) {
				if _, err := db.Exec(ctx, "UPDATE list_posts SET published_at = ? WHERE id = ?", e.now.Add(48*time.Hour), ids["<a2@x>"]); err != nil {
					t.Fatal(err)
				}
			}},
			{"postings unpublished and published straight", func(t *testing.T) {
				if _, err := db.Exec(ctx, "UPDATE list_posts SET status = ? WHERE id IN (?, ?)", lists.HeldModeration, ids["<a2@x>"], batchFirst+3); err != nil {
					t.Fatal(err)
				}
				if _, err := db.Exec(ctx, "UPDATE list_posts SET status = ? WHERE id = ?", lists.Published, batchFirst+6); err != nil {
					t.Fatal(err)
				}
			}},
			{"a thread's root deleted straight", func(t *testing.T) {
				if _, err := db.Exec(ctx, "DELETE FROM list_posts WHERE id = ?", batchFirst); err != nil {
					t.Fatal(err)
				}
			}},
			{"every posting of a list deleted straight", func(t *testing.T) {
				if _, err := db.Exec(ctx, "DELETE FROM list_posts WHERE list_id = ?", moderated.ID); err != nil {
					t.Fatal(err)
				}
			}},
		}
		for _, step := range steps {
			step.do(t)
			checkThreadRows(t, db, step.name, []lists.List{open, moderated})
		}
	})
}

func peopleForm(name, addr string) people.SignUpForm {
	return people.SignUpForm{Name: name, Email: addr, Password: "a long enough password", AgeOK: true, Consent: true}
}

// checkThreadRows compares list_threads with a GROUP BY of list_posts
// written here, the pages of threads with that order, and each list's
// count and latest date with the postings'.
func checkThreadRows(t *testing.T, db *store.DB, step string, ls []lists.List) {
	t.Helper()
	ctx := context.Background()
	want := tableRows(t, db, `SELECT list_id, COALESCE(thread_id, id), COUNT(*), MAX(published_at), MAX(id) FROM list_posts
		WHERE status = 'published' GROUP BY list_id, COALESCE(thread_id, id) ORDER BY 1, 2`)
	got := tableRows(t, db, "SELECT list_id, thread_id, posts, last_at, last_id FROM list_threads ORDER BY 1, 2")
	if !slices.Equal(got, want) {
		t.Fatalf("after %s: list_threads\n%s\nwant\n%s", step, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, l := range ls {
		order := tableRows(t, db, `SELECT COALESCE(thread_id, id) FROM list_posts WHERE list_id = ? AND status = 'published'
			GROUP BY COALESCE(thread_id, id) ORDER BY MAX(published_at) DESC, MAX(id) DESC`, l.ID)
		var pages []string
		for page := 1; ; page++ {
			threads, more, err := lists.ThreadPage(ctx, db, l, page)
			if err != nil {
				t.Fatal(err)
			}
			for _, th := range threads {
				pages = append(pages, fmt.Sprint(th.ID))
				n := count(t, db, "SELECT COUNT(*) FROM list_posts WHERE status = 'published' AND COALESCE(thread_id, id) = ?", th.ID)
				if len(th.Postings) != n {
					t.Errorf("after %s: thread %d of %s shows %d postings, has %d", step, th.ID, l.Name, len(th.Postings), n)
				}
			}
			if len(threads) < lists.ThreadsPerPage && more || len(threads) == lists.ThreadsPerPage && !more && len(pages) < len(order) {
				t.Errorf("after %s: page %d of %s has %d threads, more %v", step, page, l.Name, len(threads), more)
			}
			if !more {
				break
			}
		}
		if !slices.Equal(pages, order) {
			t.Errorf("after %s: pages of %s\n%v\nwant\n%v", step, l.Name, pages, order)
		}
		got, err := lists.Get(ctx, db, l.Name)
		if err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_posts WHERE list_id = ? AND status = 'published'", l.ID); got.Postings != n {
			t.Errorf("after %s: %s counts %d postings, has %d", step, l.Name, got.Postings, n)
		}
		last := tableRows(t, db, "SELECT MAX(published_at) FROM list_posts WHERE list_id = ? AND status = 'published'", l.ID)[0]
		if s := timeString(got.LastPost); s != last {
			t.Errorf("after %s: %s's latest posting at %s, want %s", step, l.Name, s, last)
		}
	}
}

// tableRows reads a query's rows as strings, times in UTC whichever way
// the engine returns them.
func tableRows(t *testing.T, db *store.DB, query string, args ...any) []string {
	t.Helper()
	rows, err := db.Query(context.Background(), query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	all, err := store.Collect(rows, store.Values)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	var out []string
	for _, vals := range all {
		var parts []string
		for _, v := range vals {
			parts = append(parts, valueString(v))
		}
		out = append(out, strings.Join(parts, " "))
	}
	return out
}

func valueString(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case []byte:
		return valueString(string(x))
	case string:
		for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano, "2006-01-02 15:04:05.999999999"} {
			if p, err := time.Parse(layout, x); err == nil {
				return p.UTC().Format(time.RFC3339Nano)
			}
		}
		return x
	}
	return fmt.Sprint(v)
}

func timeString(t *time.Time) string {
	if t == nil {
		return "NULL"
	}
	return valueString(*t)
}

// TestThreadRowsUnderConcurrentWriters: replies posted at the same moment
// to one thread, while other transactions take postings of that thread
// out of publication and back and staff remove some, leave list_threads
// equal to the postings' GROUP BY. On PostgreSQL this is what the lock per
// list is for: a count made while another transaction's new posting is
// not yet committed must not overwrite that posting's +1.
func TestThreadRowsUnderConcurrentWriters(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		l := e.list(t, "wg-busy", lists.PostOpen)
		root := e.post(t, "wg-busy", "Ann", "ann@example.net", "A busy thread", "Start.")
		var early []int64
		for i := range 6 {
			early = append(early, e.post(t, "wg-busy", "Ann", "ann@example.net", "Re: A busy thread", fmt.Sprintf("Early %d.", i)).ID)
		}
		const writers, each = 4, 6
		var wg sync.WaitGroup
		errs := make(chan error, writers*each+len(early)*2)
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					_, err := e.svc.Post(ctx, lists.Draft{List: "wg-busy", Name: "Writer", Email: fmt.Sprintf("w%d@example.net", w),
						Subject: "Re: A busy thread", Body: "Reply.", MessageID: fmt.Sprintf("<w%d-%d@x>", w, i), InReplyTo: root.MessageID,
						AcceptTerms: true, Channel: policy.ChannelWeb})
					if err != nil {
						errs <- err
					}
				}
			})
		}
		wg.Go(func() {
			for _, id := range early[:4] {
				for _, status := range []string{lists.HeldModeration, lists.Published} {
					if _, err := db.Exec(ctx, "UPDATE list_posts SET status = ? WHERE id = ?", status, id); err != nil {
						errs <- err
					}
				}
			}
		})
		wg.Go(func() {
			for _, id := range early[4:] {
				if _, err := e.svc.Remove(ctx, lists.Actor{ID: 7, Label: "Sam"}, "wg-busy", id, "Off topic"); err != nil {
					errs <- err
				}
			}
		})
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		checkThreadRows(t, db, "concurrent writers", []lists.List{l})
		if n := count(t, db, "SELECT posts FROM list_threads WHERE thread_id = ?", root.ID); n != 1+4+writers*each {
			t.Errorf("the thread counts %d postings, want %d", n, 1+4+writers*each)
		}
	})
}
