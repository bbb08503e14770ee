package documents_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"plenary/internal/documents"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestSearchMatchesEveryWord: a search finds the drafts that contain
// every word typed, in any order and in any of the searched fields (name,
// title, group, authors), not only the whole phrase; wildcards typed are
// taken literally; past MaxSearchWords the words are left out.
func TestSearchMatchesEveryWord(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		posted := time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)
		for i, d := range []struct{ name, title, group, authors string }{
			{"draft-ietf-idr-rt-derived-community", "Extended Communities Derived from Route Targets", "idr", "Zhaohui Zhang, Jeffrey Haas, Keyur Patel"},
			{"draft-ietf-quic-tls", "Using TLS to Secure QUIC", "quic", "Martin Thomson, Sean Turner"},
			{"draft-ietf-uuidrev-rfc4122bis", "Universally Unique IDentifiers (UUID)", "uuidrev", "Kyzer R. Davis, Brad G. Peabody, P. Leach"},
		} {
			if _, err := db.Exec(ctx, "INSERT INTO drafts (name, rev, title, grp, authors, posted_at) VALUES (?, '00', ?, ?, ?, ?)",
				d.name, d.title, d.group, d.authors, posted.Add(time.Duration(i)*time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		const (
			idr  = "draft-ietf-idr-rt-derived-community"
			quic = "draft-ietf-quic-tls"
			uuid = "draft-ietf-uuidrev-rfc4122bis"
		)
		for _, c := range []struct{ q, want string }{
			{"", uuid + "," + quic + "," + idr},
			{"   ", uuid + "," + quic + "," + idr},
			{"derived communities", idr},            // title words, not the phrase
			{"Zhang Haas", idr},                     // two authors
			{"haas   ZHANG", idr},                   // any order, any case, any spacing
			{"route targets", idr},                  // the phrase still matches
			{"quic thomson", quic},                  // name or group, and an author
			{"tls", quic},                           // one word
			{"derived thomson", ""},                 // each word in another draft
			{"communities nothing", ""},             // one word missing
			{"rt_derived", ""},                      // _ is a letter, not a wildcard
			{"100%", ""},                            // % too
			{"ietf", uuid + "," + quic + "," + idr}, // newest first
			// Eight words are looked for; the ninth, which matches
			// nothing, is left out.
			{"zhang haas patel extended communities derived route targets nothing", idr},
			{"zhang haas patel extended communities derived route nothing targets", ""},
		} {
			list, err := documents.List(ctx, db, c.q, 50)
			if err != nil {
				t.Fatalf("search %q: %v", c.q, err)
			}
			var names []string
			for _, s := range list {
				names = append(names, s.Name)
			}
			if got := strings.Join(names, ","); got != c.want {
				t.Errorf("search %q: %q, want %q", c.q, got, c.want)
			}
		}
	})
}
