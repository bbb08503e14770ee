package web

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestEveryWriteChangesItsCachedPages is the staleness test of the
// versioned page cache (issue 14): for each kind of write a cached public
// page depends on, the page is fetched (and so cached), the write is made
// straight in the database, as another instance or the mail listener would,
// and the page fetched again with the old ETag must be the new one. Time
// boundaries are moved over with the site's clock.
func TestEveryWriteChangesItsCachedPages(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		var mu sync.Mutex
		now := time.Now().UTC()
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
		s := demoSite(t, db, siteOptions{Now: clock})
		ctx := context.Background()
		one := func(query string, args ...any) (v int64) {
			t.Helper()
			if err := db.QueryRow(ctx, query, args...).Scan(&v); err != nil {
				t.Fatalf("%s: %v", query, err)
			}
			return v
		}
		var draft, list string
		if err := db.QueryRow(ctx, "SELECT name FROM drafts ORDER BY id DESC LIMIT 1").Scan(&draft); err != nil {
			t.Fatal(err)
		}
		post := one("SELECT p.id FROM list_posts p WHERE p.status = 'published' ORDER BY p.id LIMIT 1")
		if err := db.QueryRow(ctx, "SELECT l.name FROM lists l JOIN list_posts p ON p.list_id = l.id WHERE p.id = ?", post).Scan(&list); err != nil {
			t.Fatal(err)
		}
		rev := one("SELECT r.id FROM draft_revisions r JOIN drafts d ON d.id = r.draft_id WHERE d.name = ? ORDER BY r.id DESC LIMIT 1", draft)
		meeting := one("SELECT id FROM meetings ORDER BY id LIMIT 1")
		// The meeting publishes its attendee list, with one attendee on it.
		reg := one("SELECT id FROM registrations WHERE meeting_id = ? ORDER BY id LIMIT 1", meeting)
		if _, err := db.Exec(ctx, "UPDATE meetings SET publish_attendees = TRUE WHERE id = ?", meeting); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(ctx, "UPDATE registrations SET list_me = TRUE, status = 'confirmed' WHERE id = ?", reg); err != nil {
			t.Fatal(err)
		}
		current := one("SELECT MAX(id) FROM policy_versions")
		msg := "/lists/" + list + "/msg/" + itoa(post)
		meetingPath := "/meetings/" + itoa(meeting)
		exec := func(query string, args ...any) func() {
			return func() {
				t.Helper()
				if _, err := db.Exec(ctx, query, args...); err != nil {
					t.Fatalf("%s: %v", query, err)
				}
			}
		}
		publish := func() {
			cur, err := s.Policy.Current(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Policy.Publish(ctx, cur.Template+"\nA sentence for the versioned cache test.\n", "Versioned", "test", false, time.Now().Add(time.Second)); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []struct {
			name, path string
			write      func()
			status     int    // of the page after the write; 304: it must not change
			shows      string // in the page after the write ("": only differs)
		}{
			{"announcement posted", "/", exec("INSERT INTO announcements (title, body, link, starts_at, ends_at) VALUES ('Versioned notice', 'b', '/privacy', ?, ?)", now.Add(-time.Hour), now.Add(48*time.Hour)), 200, "Versioned notice"},
			{"announcement starts later", "/", exec("INSERT INTO announcements (title, body, link, starts_at, ends_at) VALUES ('Timed notice', 'b', '/privacy', ?, ?)", now.Add(time.Hour), now.Add(48*time.Hour)), 304, ""},
			{"an hour passes: the announcement shows", "/", func() { advance(2 * time.Hour) }, 200, "Timed notice"},
			{"list described anew", "/", exec("UPDATE lists SET description = 'Versioned description'"), 200, "Versioned description"},
			{"posting removed", "/", exec("UPDATE list_posts SET status = 'removed' WHERE id = (SELECT MAX(id) FROM list_posts WHERE status = 'published' AND id <> ?)", post), 200, ""},
			{"draft retitled", "/", exec("UPDATE drafts SET title = 'Versioned draft summary' WHERE name = ?", draft), 200, "Versioned draft summary"},
			{"IPR disclosure retitled", "/", exec("UPDATE ipr_disclosures SET title = 'Versioned IPR title' WHERE state = 'posted'"), 200, "Versioned IPR title"},
			{"liaison statement retitled", "/", exec("UPDATE liaison_statements SET title = 'Versioned liaison title' WHERE state = 'posted'"), 200, "Versioned liaison title"},
			{"meeting renamed", "/", exec("UPDATE meetings SET name = 'Versioned meeting' WHERE id = ?", meeting), 200, "Versioned meeting"},

			{"statement published: the current one is not any more", "/privacy/versions/" + itoa(current), publish, 200, ""},
			{"statement published", "/privacy", publish, 200, "A sentence for the versioned cache test."},
			{"statement published", "/privacy/versions", publish, 200, ""},

			{"revision retitled", "/drafts/" + draft, exec("UPDATE draft_revisions SET title = 'Versioned revision title' WHERE id = ?", rev), 200, "Versioned revision title"},
			{"author renamed", "/drafts/" + draft, exec("UPDATE draft_authors SET name = 'Versioned Author' WHERE revision_id = ?", rev), 200, "Versioned Author"},
			{"IPR disclosure names the draft", "/drafts/" + draft, exec("UPDATE ipr_documents SET draft_name = ? WHERE disclosure_id = (SELECT MIN(id) FROM ipr_disclosures WHERE state = 'posted')", draft), 200, "Versioned IPR title"},
			{"draft removed", "/drafts/" + draft, func() {
				exec("DELETE FROM draft_authors WHERE revision_id IN (SELECT r.id FROM draft_revisions r JOIN drafts d ON d.id = r.draft_id WHERE d.name = ?)", draft)()
				exec("DELETE FROM draft_revisions WHERE draft_id = (SELECT id FROM drafts WHERE name = ?)", draft)()
				exec("DELETE FROM drafts WHERE name = ?", draft)()
			}, 404, ""},

			{"meeting renamed again", meetingPath, exec("UPDATE meetings SET name = 'Versioned meeting two' WHERE id = ?", meeting), 200, "Versioned meeting two"},
			{"attendee renamed", meetingPath, exec("UPDATE registrations SET name = 'Versioned Attendee' WHERE id = ?", reg), 200, "Versioned Attendee"},
			{"ticket renamed", meetingPath, exec("UPDATE meeting_tickets SET name = 'Versioned ticket' WHERE meeting_id = ?", meeting), 200, ""},
			{"registration opens in an hour", meetingPath, exec("UPDATE meetings SET registration_opens = ?, registration_closes = ? WHERE id = ?", now.Add(3*time.Hour), now.Add(30*24*time.Hour), meeting), 200, ""},
			{"an hour passes: registration is open", meetingPath, func() { advance(2 * time.Hour) }, 200, "Register for"},

			{"posting retitled", msg, exec("UPDATE list_posts SET subject = 'Versioned subject' WHERE id = ?", post), 200, "Versioned subject"},
			// An erasure renames the contributor and touches no posting.
			{"author erased", msg, exec("UPDATE list_contributors SET name = 'Versioned former participant' WHERE id = (SELECT contributor_id FROM list_posts WHERE id = ?)", post), 200, "Versioned former participant"},
			{"attachment added", msg, exec("INSERT INTO list_attachments (post_id, n, filename, content_type, size, data) VALUES (?, 99, 'versioned.txt', 'text/plain', 1, ?)", post, []byte("x")), 200, "versioned.txt"},
			{"archive closed", msg, exec("UPDATE lists SET archive = 'subscribers' WHERE name = ?", list), 403, ""},
		} {
			before := s.get(t, c.path)
			if again := s.get(t, c.path); again.Header.Get("ETag") != before.Header.Get("ETag") || again.Body != before.Body {
				t.Fatalf("%s: %s is not stable before the write", c.name, c.path)
			}
			// The signed-in home keeps what it shows everyone in memory
			// too: asked for before the write, it must follow it.
			signedIn := http.Header{whoHeader: {"Versioned Visitor"}}
			if c.path == "/" {
				s.do(t, "GET", "/", nil, signedIn)
			}
			c.write()
			if c.path == "/" && c.shows != "" {
				if got := s.do(t, "GET", "/", nil, signedIn); !strings.Contains(got.Body, c.shows) || !strings.Contains(got.Body, "Versioned Visitor") {
					t.Errorf("%s: the signed-in home does not show %q", c.name, c.shows)
				}
			}
			after := s.do(t, "GET", c.path, nil, http.Header{"If-None-Match": {before.Header.Get("ETag")}})
			switch {
			case c.status == http.StatusNotModified:
				if after.Status != c.status {
					t.Errorf("%s: %s changed (%d) though what it shows did not", c.name, c.path, after.Status)
				}
			case after.Status != c.status:
				t.Errorf("%s: %s answers %d, want %d", c.name, c.path, after.Status, c.status)
			case after.Body == before.Body:
				t.Errorf("%s: %s did not change", c.name, c.path)
			case c.shows != "" && !strings.Contains(after.Body, c.shows):
				t.Errorf("%s: %s does not show %q", c.name, c.path, c.shows)
			}
		}
	})
}

// TestContentVersionReadsAreSharedYetFresh: concurrent requests share their
// reads of the counters, yet each sees every commit made before it asked.
// A writer bumps a counter, then asks for the counters itself while many
// readers ask in a loop; were it to join a read already under way (begun
// before its commit), it would sometimes get the old value.
func TestContentVersionReadsAreSharedYetFresh(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, siteOptions{DB: db}).Server
		ctx := context.Background()
		if _, err := db.Exec(ctx, "INSERT INTO content_versions (area, version) VALUES ('freshness_test', 0)"); err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		var readers sync.WaitGroup
		var calls atomic.Int64
		stopReaders := sync.OnceFunc(func() { close(stop); readers.Wait() })
		defer stopReaders() // before the site's clean-up closes the database
		for range 16 {
			readers.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					if _, err := s.contentVersions(ctx); err != nil {
						t.Error(err)
						return
					}
					calls.Add(1)
				}
			})
		}
		for want := int64(1); want <= 200; want++ {
			if _, err := db.Exec(ctx, "UPDATE content_versions SET version = ? WHERE area = 'freshness_test'", want); err != nil {
				t.Fatal(err)
			}
			vs, err := s.contentVersions(ctx)
			if err != nil {
				t.Fatal(err)
			}
			calls.Add(1)
			if got := vs["freshness_test"]; got != want {
				t.Fatalf("after committing version %d, the counters read %d", want, got)
			}
		}
		stopReaders()
		if reads := s.versionReads.reads.Load(); reads >= calls.Load() {
			t.Errorf("%d calls made %d queries: the reads were not shared", calls.Load(), reads)
		} else {
			t.Logf("%d calls, %d queries", calls.Load(), reads)
		}
	})
}
