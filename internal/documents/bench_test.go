package documents_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"plenary/internal/documents"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// BenchmarkParseAndRenderRFC9001 reads the metadata of the real RFC 9001
// source and renders it to HTML, as a submission and a page view do.
func BenchmarkParseAndRenderRFC9001(b *testing.B) {
	src, err := os.ReadFile(filepath.Join(drafts, "rfc9001.canonical.xml"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		c, err := documents.Check(documents.Upload{XML: src, AcceptTerms: true}, none)
		if err != nil || c.Problems != nil {
			b.Fatal(err, c.Problems)
		}
		if _, err := documents.RenderXML(c.XML); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDraftSearch times one page of the drafts list searched on
// 20,000 drafts, on each engine. As in bench/drafts, draft i is one of the
// four real samples (its title, group and authors) renamed with one of 16
// topics; the rows are written straight into drafts. The searches: a
// topic (one word, one draft in 16), two words of a title and two authors
// (one draft in four, words in any order), a word that matches nothing
// (the whole table is scanned), and the eight words a search takes at
// most, all of one sample (one draft in four, every word tested on it).
// Run with:
//
//	PLENARY_TEST_POSTGRES=postgres://… go test ./internal/documents -run '^$' -bench DraftSearch
func BenchmarkDraftSearch(b *testing.B) {
	const n = 20000
	topics := []string{"quic", "tls", "routing", "dns", "mail", "http", "yang", "mpls", "bgp", "ipv6", "privacy", "multicast", "sip", "oauth", "uuid", "mobile"}
	samples := []struct{ name, title, group, authors string }{
		{"draft-idr-rt-derived-community", "Extended Communities Derived from Route Targets", "idr", "Zhaohui Zhang, Jeffrey Haas, Keyur Patel"},
		{"draft-mip4-multiple-tunnel-support", "Flow Binding Support for Mobile IP", "mip4", "Sri Gundavelli, Kent Leung, George Tsirtsis, Hesham Soliman, Alexandru Petrescu"},
		{"draft-uuidrev-rfc4122bis", "Universally Unique IDentifiers (UUID)", "uuidrev", "Kyzer R. Davis, Brad G. Peabody, P. Leach"},
		{"draft-quic-tls", "Using TLS to Secure QUIC", "quic", "Martin Thomson, Sean Turner"},
	}
	for _, engine := range []struct {
		name string
		open func(testing.TB) *store.DB
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}} {
		b.Run(engine.name, func(b *testing.B) {
			ctx := context.Background()
			db := engine.open(b)
			start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			for from := 0; from < n; from += 1000 {
				err := db.Tx(ctx, func(tx *store.Tx) error {
					for i := from; i < from+1000; i++ {
						s, topic := samples[i%len(samples)], topics[i%len(topics)]
						if _, err := tx.Exec(ctx, "INSERT INTO drafts (name, rev, title, grp, authors, posted_at) VALUES (?, '00', ?, ?, ?, ?)",
							fmt.Sprintf("%s-%s%d", s.name, topic, i), s.title+" ("+topic+")", s.group, s.authors, start.Add(time.Duration(i)*time.Minute)); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			for _, q := range []string{"yang", "derived communities", "zhang haas", "nothing-matches-this", "haas zhang patel targets route derived communities extended"} {
				b.Run(strings.ReplaceAll(q, " ", "_"), func(b *testing.B) {
					for b.Loop() {
						if _, err := documents.ListPage(ctx, db, q, 201, 0); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}
