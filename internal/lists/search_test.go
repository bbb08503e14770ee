package lists_test

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"plenary/internal/lists"
	"plenary/internal/policy"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// post publishes a posting on an open list at the env's clock.
func (e *env) post(t *testing.T, list, name, addr, subject, body string) lists.Posting {
	t.Helper()
	res, err := e.svc.Post(context.Background(), lists.Draft{List: list, Name: name, Email: addr, Subject: subject, Body: body,
		AcceptTerms: true, Channel: policy.ChannelWeb})
	if err != nil {
		t.Fatal(err)
	}
	if res.Posting.Status != lists.Published {
		t.Fatalf("posting to %s is %s", list, res.Posting.Status)
	}
	return res.Posting
}

func subjects(r lists.Results) []string {
	var out []string
	for _, h := range r.Hits {
		out = append(out, h.Posting.Subject)
	}
	sort.Strings(out)
	return out
}

// TestSearch runs G1's search on both engines over postings written
// through the ordinary posting path (the index is filled by triggers):
// words, a phrase, an excluded word, an author, a date range, a list left
// out of site-wide search, and a subscriber-only archive that anonymous
// readers' searches never reach.
func TestSearch(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		e.list(t, "wg-transport", lists.PostOpen)
		if _, err := e.svc.Create(ctx, lists.Actor{Label: "test"}, lists.NewList{Name: "wg-test", Description: "Test postings", Posting: lists.PostOpen, NoSearch: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Create(ctx, lists.Actor{Label: "test"}, lists.NewList{Name: "wg-private", Description: "Closed", Posting: lists.PostOpen, Archive: lists.ArchiveSubscribers}); err != nil {
			t.Fatal(err)
		}
		e.now = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		e.post(t, "wg-transport", "Jane Roe", "jane@example.org", "Congestion control for datagrams", "We need congestion control that works with small windows.")
		e.now = time.Date(2026, 4, 10, 9, 0, 0, 0, time.UTC)
		e.post(t, "wg-transport", "Omar Khan", "omar@example.net", "Re: Congestion control for datagrams", "> We need congestion control\nThe control of congestion belongs in the transport.")
		e.post(t, "wg-transport", "Omar Khan", "omar@example.net", "Retransmission timers", "Timers should use backoff, exponentially; see the window discussion.")
		e.post(t, "wg-transport", "Lee Park", "lee@example.com", "Backoff", "A short note on timers.")
		e.now = time.Date(2026, 4, 20, 9, 0, 0, 0, time.UTC)
		e.post(t, "wg-test", "Jane Roe", "jane@example.org", "testing congestion", "Just a congestion test, please ignore.")
		e.post(t, "wg-private", "Jane Roe", "jane@example.org", "Private congestion talk", "Secret congestion plans.")

		anon, err := lists.Readable(ctx, db, 0)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, l := range anon {
			names = append(names, l.Name)
		}
		if strings.Join(names, " ") != "wg-test wg-transport" {
			t.Fatalf("an anonymous reader may read %v", names)
		}
		day := func(s string) time.Time { d, _ := time.Parse("2006-01-02", s); return d }
		for _, tt := range []struct {
			name string
			q    lists.Query
			want string
		}{
			{"words", lists.Query{Text: "congestion datagrams"}, "Congestion control for datagrams|Re: Congestion control for datagrams"},
			{"stemmed word", lists.Query{Text: "timer"}, "Backoff|Retransmission timers"},
			{"phrase", lists.Query{Text: `"control of congestion"`}, "Re: Congestion control for datagrams"},
			{"excluded word", lists.Query{Text: "congestion -windows"}, "Re: Congestion control for datagrams"},
			{"author", lists.Query{Text: "congestion", Author: "jane"}, "Congestion control for datagrams"},
			{"author alone", lists.Query{Author: "OMAR"}, "Re: Congestion control for datagrams|Retransmission timers"},
			{"date range", lists.Query{Text: "congestion", From: day("2026-04-01"), To: day("2026-04-10")}, "Re: Congestion control for datagrams"},
			{"date range, nothing", lists.Query{Text: "congestion", To: day("2026-03-01")}, ""},
			{"excluded list left out", lists.Query{Text: "ignore"}, ""},
			{"excluded list named", lists.Query{Text: "congestion", List: "wg-test"}, "testing congestion"},
			{"private list named", lists.Query{Text: "congestion", List: "wg-private"}, ""},
			{"punctuation only", lists.Query{Text: `"" - ( *`}, ""},
			{"syntax is text", lists.Query{Text: `congestion NEAR( -( "control`}, ""},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r, err := lists.Search(ctx, db, db.Dialect(), anon, tt.q)
				if err != nil {
					t.Fatal(err)
				}
				if got := strings.Join(subjects(r), "|"); got != tt.want {
					t.Errorf("found %q, want %q", got, tt.want)
				}
			})
		}

		// Ranked: the posting with the word in its subject comes first.
		r, err := lists.Search(ctx, db, db.Dialect(), anon, lists.Query{Text: "backoff"})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Hits) != 2 || r.Hits[0].Posting.Subject != "Backoff" {
			t.Fatalf("ranking: %v", subjects(r))
		}
		r, err = lists.Search(ctx, db, db.Dialect(), anon, lists.Query{Text: "congestion control"})
		if err != nil || len(r.Hits) != 2 {
			t.Fatalf("%v %v", subjects(r), err)
		}
		// The snippet marks the words, skips quoted text.
		var marked []string
		snippet := ""
		for _, f := range r.Hits[hitOf(r, "Re: Congestion control for datagrams")].Snippet {
			snippet += f.Text
			if f.Mark {
				marked = append(marked, f.Text)
			}
		}
		if snippet != "The control of congestion belongs in the transport." || strings.Join(marked, ",") != "control,congestion" {
			t.Errorf("snippet %q marks %q", snippet, marked)
		}

		// Everyone who may read the private archive finds in it.
		all, err := lists.All(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		r, err = lists.Search(ctx, db, db.Dialect(), all, lists.Query{Text: "secret"})
		if err != nil || strings.Join(subjects(r), "|") != "Private congestion talk" {
			t.Fatalf("a subscriber's search: %v %v", subjects(r), err)
		}
	})
}

func TestParseTerms(t *testing.T) {
	got := lists.ParseTerms(`Congestion "Control of  it" -Window foo-bar "" x`)
	want := lists.SearchTerms{Words: []string{"congestion", "x"}, Phrases: [][]string{{"control", "of", "it"}, {"foo", "bar"}}, Excluded: []string{"window"}}
	if strings.Join(got.Words, ",") != strings.Join(want.Words, ",") || len(got.Phrases) != 2 ||
		strings.Join(got.Phrases[0], " ") != "control of it" || strings.Join(got.Phrases[1], " ") != "foo bar" ||
		strings.Join(got.Excluded, ",") != "window" {
		t.Errorf("ParseTerms = %+v", got)
	}
}

func hitOf(r lists.Results, subject string) int {
	for i, h := range r.Hits {
		if h.Posting.Subject == subject {
			return i
		}
	}
	return 0
}

// TestSearchFiltersFollowThePosting changes a posting's author, date and
// status behind the domain's back, as an erasure or a repair by hand
// would, and checks that filtered searches see each change at once: on
// PostgreSQL the filters read copies of those columns kept in the index's
// rows (migration 0076), which must never lag the posting.
func TestSearchFiltersFollowThePosting(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		e.list(t, "wg-quic", lists.PostOpen)
		e.now = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		p := e.post(t, "wg-quic", "Ann Author", "ann@example.org", "Flow control", "Stream limits and zebrafish credits.")
		e.post(t, "wg-quic", "Bo Writer", "bo@example.org", "Something else", "Unrelated text.")
		readable, err := lists.Readable(ctx, db, 0)
		if err != nil {
			t.Fatal(err)
		}
		found := func(q lists.Query) bool {
			t.Helper()
			q.Text = "zebrafish"
			r, err := lists.Search(ctx, db, db.Dialect(), readable, q)
			if err != nil {
				t.Fatal(err)
			}
			return len(r.Hits) == 1 && r.Hits[0].ID == p.ID
		}
		date := func(s string) time.Time { d, _ := time.Parse("2006-01-02", s); return d }
		exec := func(query string, args ...any) {
			t.Helper()
			if _, err := db.Exec(ctx, query, args...); err != nil {
				t.Fatal(err)
			}
		}
		var bo int64
		if err := db.QueryRow(ctx, "SELECT id FROM list_contributors WHERE email = 'bo@example.org'").Scan(&bo); err != nil {
			t.Fatal(err)
		}
		steps := []struct {
			name   string
			change func()
			q      lists.Query
			want   bool
		}{
			{"by its author", nil, lists.Query{Author: "Ann"}, true},
			{"not by another", nil, lists.Query{Author: "Bo Writer"}, false},
			{"in its month", nil, lists.Query{From: date("2026-03-01"), To: date("2026-03-31")}, true},
			{"after a new author, by the new one", func() { exec("UPDATE list_posts SET contributor_id = ? WHERE id = ?", bo, p.ID) }, lists.Query{Author: "Bo Writer"}, true},
			{"after a new author, not by the old one", nil, lists.Query{Author: "Ann"}, false},
			{"after a new date, not in the old month", func() {
				exec("UPDATE list_posts SET published_at = ? WHERE id = ?", time.Date(2019, 5, 5, 0, 0, 0, 0, time.UTC), p.ID)
			}, lists.Query{From: date("2026-03-01"), To: date("2026-03-31")}, false},
			{"after a new date, in the new month", nil, lists.Query{From: date("2019-05-01"), To: date("2019-05-31")}, true},
			{"once held, not at all", func() { exec("UPDATE list_posts SET status = ? WHERE id = ?", lists.HeldModeration, p.ID) }, lists.Query{Author: "Bo Writer"}, false},
			{"published again, by its author", func() { exec("UPDATE list_posts SET status = ? WHERE id = ?", lists.Published, p.ID) }, lists.Query{Author: "Bo Writer"}, true},
			{"published again, on its list", nil, lists.Query{List: "wg-quic", From: date("2019-05-01")}, true},
		}
		for _, s := range steps {
			if s.change != nil {
				s.change()
			}
			if got := found(s.q); got != s.want {
				t.Errorf("%s: found %v, want %v", s.name, got, s.want)
			}
		}
	})
}

// TestAnonymousSearchConfirmsNoAddress: the index holds postings as they
// were written, addresses included, while a reader who is not signed in
// sees them masked. Such a reader's search must not tell them that an
// address appears in the archive: not by a hit on a word found only in an
// address, nor by an author filter matching the unmasked name, nor by an
// excluded word making a posting vanish. Signed-in readers, who see the
// addresses, find them.
func TestAnonymousSearchConfirmsNoAddress(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		e.list(t, "wg-quiet", lists.PostOpen)
		e.post(t, "wg-quiet", "Ana Lima", "ana@example.org", "Routing question", "Ask zebulon.quist@vendor.example about routing; he wrote the draft.")
		e.post(t, "wg-quiet", "ulrich@vendor.example", "ulrich@vendor.example", "Routing answer", "Routing works as specified.")
		e.post(t, "wg-quiet", "Ana Lima", "ana@example.org", "Routing, again", "Nothing about anyone here.")
		readable, err := lists.Readable(ctx, db, 0)
		if err != nil {
			t.Fatal(err)
		}
		checkMaskedSearches(t, db, readable, []maskedSearch{
			{"a local part", lists.Query{Text: "zebulon"}, "", "Routing question", ""},
			{"a whole address", lists.Query{Text: "zebulon.quist@vendor.example"}, "", "Routing question", ""},
			{"a visible word", lists.Query{Text: "routing"}, "Routing answer|Routing question|Routing, again", "Routing answer|Routing question|Routing, again", "Routing answer|Routing question|Routing, again"},
			{"an address word and a visible one", lists.Query{Text: "routing quist"}, "", "Routing question", ""},
			{"the domain, which the mask shows", lists.Query{Text: "vendor"}, "Routing question", "Routing question", ""},
			{"excluding a local part", lists.Query{Text: "routing -zebulon"}, "Routing answer|Routing question|Routing, again", "Routing answer|Routing, again", "Routing answer|Routing question|Routing, again"},
			{"an author named by an address", lists.Query{Author: "ulrich"}, "", "Routing answer", "-"},
			{"an author by name", lists.Query{Author: "lima"}, "Routing question|Routing, again", "Routing question|Routing, again", "-"},
		})

		// More matches than a page holds, each only inside an address:
		// the anonymous reader gets no hit and no next page.
		for i := range lists.PageSize + 1 {
			e.post(t, "wg-quiet", "Ana Lima", "ana@example.org", "Schedule "+itoa(int64(i)), "Copying zebulon.quist@vendor.example again.")
		}
		for _, mask := range []bool{true, false} {
			r, err := lists.Search(ctx, db, db.Dialect(), readable, lists.Query{Text: "zebulon", Mask: mask})
			if err != nil {
				t.Fatal(err)
			}
			want := db.Dialect() == store.SQLite && !mask // PostgreSQL finds no part of an address
			if got := len(r.Hits) > 0 && r.More; got != want || mask && (len(r.Hits) > 0 || r.More) {
				t.Errorf("masked %v: %d hits, more %v", mask, len(r.Hits), r.More)
			}
		}
	})
}

// TestAnonymousSearchConfirmsNoAddressByAdjacencyOrStem: a word the reader
// sees elsewhere in a posting does not make every match of it a visible
// one. A phrase of visible words ("jane doe example org", or the address
// typed whole, which is taken apart into that phrase) matches in the index
// only where the words follow each other inside the address; a word the
// index stems as it stems an address's local part ("policies" for
// "policy@") matches what the reader never sees. Either would confirm the
// address. Phrases the reader sees still find the posting, and signed-in
// readers find every one.
func TestAnonymousSearchConfirmsNoAddressByAdjacencyOrStem(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		e.list(t, "wg-adjacent", lists.PostOpen)
		e.post(t, "wg-adjacent", "Ana Lima", "ana@example.org", "Signature", "Thanks,\nJane Doe\n\nJane Doe <jane.doe@example.org>")
		e.post(t, "wg-adjacent", "Ana Lima", "ana@example.org", "Contact", "Questions go to policy@example.org.")
		readable, err := lists.Readable(ctx, db, 0)
		if err != nil {
			t.Fatal(err)
		}
		checkMaskedSearches(t, db, readable, []maskedSearch{
			{"the address typed whole", lists.Query{Text: "jane.doe@example.org"}, "", "Signature", ""},
			{"the address as a phrase", lists.Query{Text: `"jane doe example org"`}, "", "Signature", ""},
			{"the local part as a dotted word", lists.Query{Text: "jane.doe"}, "Signature", "Signature", "Signature"},
			{"a phrase the reader sees", lists.Query{Text: `"jane doe"`}, "Signature", "Signature", "Signature"},
			{"another form of a local part", lists.Query{Text: "policies"}, "", "Contact", ""},
			{"a word the reader sees", lists.Query{Text: "questions"}, "Contact", "Contact", "Contact"},
		})
	})
}

// TestAnonymousSearchPagesHideWhatWasLeftOut: the matches left out for a
// reader who is not signed in are left out before the pages are cut. Were
// they cut first, a page of three hits with a next page, or an empty page
// after a full one, would tell that matches were left out, that is, that
// the word is in an address. Each case holds postings that show the word
// and postings that hold it only in an address; the anonymous reader's
// pages are those of the visible ones alone.
func TestAnonymousSearchPagesHideWhatWasLeftOut(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		e.list(t, "wg-pages", lists.PostOpen)
		for _, tt := range []struct {
			name            string
			visible, hidden int
			byDate          bool
		}{
			{"a short page", 3, lists.PageSize, false},
			{"a full page, then only hidden ones", lists.PageSize, 5, false},
			{"hidden ones first, newest first", lists.PageSize + 4, lists.PageSize + 2, true},
		} {
			t.Run(tt.name, func(t *testing.T) {
				word := "quorum" + strings.Repeat("x", len(tt.name)%7) + itoa(int64(tt.visible))
				// The hidden ones first, so that by date they come last, and
				// by rank (shorter postings first) they come first.
				for i := range tt.hidden {
					e.post(t, "wg-pages", "Ana Lima", "ana@example.org", "Hidden "+itoa(int64(i)), "Copy "+word+"@vendor.example.")
				}
				for i := range tt.visible {
					e.post(t, "wg-pages", "Ana Lima", "ana@example.org", "Shown "+itoa(int64(i)), "The "+word+" rule, as agreed at the meeting, holds for the draft. Ask "+word+"@vendor.example.")
				}
				readable, err := lists.Readable(ctx, db, 0)
				if err != nil {
					t.Fatal(err)
				}
				var shown int
				for page := 1; page <= 4; page++ {
					r, err := lists.Search(ctx, db, db.Dialect(), readable, lists.Query{Text: word, ByDate: tt.byDate, Page: page, Mask: true})
					if err != nil {
						t.Fatal(err)
					}
					for _, h := range r.Hits {
						if !strings.HasPrefix(h.Subject[0].Text, "Shown") {
							t.Errorf("page %d: found %q", page, h.Posting.Subject)
						}
					}
					shown += len(r.Hits)
					wantHits := min(max(tt.visible-(page-1)*lists.PageSize, 0), lists.PageSize)
					wantMore := tt.visible > page*lists.PageSize
					if len(r.Hits) != wantHits || r.More != wantMore {
						t.Errorf("page %d: %d hits, more %v; want %d, %v", page, len(r.Hits), r.More, wantHits, wantMore)
					}
				}
				if shown != tt.visible {
					t.Errorf("%d hits over the pages, want %d", shown, tt.visible)
				}
			})
		}
	})
}

// maskedSearch is one search made by an anonymous and a signed-in reader,
// with the subjects each finds ("|"-joined, sorted).
type maskedSearch struct {
	name           string
	q              lists.Query
	anonymous, all string
	// PostgreSQL's parser keeps an address whole, as one token, and a
	// search's words never make one up: there no search, masked or not,
	// finds an address by its parts ("-": as on SQLite).
	onPostgres string
}

// checkMaskedSearches runs each search masked and not, and checks the
// excluded words are still named in the masked results.
func checkMaskedSearches(t *testing.T, db *store.DB, readable []lists.List, cases []maskedSearch) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			for _, mask := range []bool{true, false} {
				q := tt.q
				q.Mask = mask
				r, err := lists.Search(context.Background(), db, db.Dialect(), readable, q)
				if err != nil {
					t.Fatal(err)
				}
				want := tt.all
				if mask {
					want = tt.anonymous
				}
				if db.Dialect() == store.Postgres && tt.onPostgres != "-" {
					want = tt.onPostgres
				}
				if got := strings.Join(subjects(r), "|"); got != want {
					t.Errorf("masked %v: found %q, want %q", mask, got, want)
				}
				if mask && strings.Join(r.Terms.Excluded, " ") != strings.Join(lists.ParseTerms(q.Text).Excluded, " ") {
					t.Errorf("the results name the excluded words %q", r.Terms.Excluded)
				}
			}
		})
	}
}
