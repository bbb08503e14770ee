package web

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"mime/multipart"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"plenary/internal/documents"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// testDrafts is the real test data.
const testDrafts = "../../../shared/testdata/drafts"

func draftFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testDrafts, name))
	if errors.Is(err, fs.ErrNotExist) {
		// The real drafts live beside the repository, in ../shared, as
		// on the project's machines and in CI; a bare clone has none.
		t.Skipf("test draft %s not found in %s (the real drafts live beside the repository in ../shared/testdata)", name, testDrafts)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ownDraft is a short plain-text draft written for these tests, laid out
// as xml2rfc lays out a text draft. Tests about what surrounds a draft
// (disclosures, revisions and their diff, the audit trail) use it, so
// they run in a clone that has no real drafts beside it; the tests of
// parsing and rendering use the real ones. scope is the last sentence of
// the introduction, the one a new revision changes.
func ownDraft(name, rev, scope string) []byte {
	return []byte(`Network Working Group                                          A. Example
Internet-Draft                                          Example Networks
Intended status: Informational                          2 November 2026
Expires: 6 May 2027


                   Notes on Keeping Test Drafts Small
                          ` + name + `-` + rev + `

Abstract

   This memo exists only so that tests of a participant portal have a
   draft to post, revise, compare and name in a disclosure.

1.  Introduction

   A draft used in a test should be short enough to read at a glance.
   ` + scope + `

2.  Normative References

   [RFC2119]  Bradner, S., "Key words for use in RFCs to Indicate
              Requirement Levels", BCP 14, RFC 2119, March 1997.

Author's Address

   Alex Example
   Example Networks
   Email: alex@example.net
`)
}

// upload builds the submission form's multipart body.
func upload(t *testing.T, xml, txt []byte, accept string) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range []struct {
		field string
		b     []byte
	}{{"xml", xml}, {"txt", txt}} {
		if f.b == nil {
			continue
		}
		w, err := mw.CreateFormFile(f.field, "draft."+f.field)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(f.b); err != nil {
			t.Fatal(err)
		}
	}
	if accept != "" {
		if err := mw.WriteField("accept_terms", accept); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf, mw.FormDataContentType()
}

// TestDraftSubmissionPages submits the real drafts through the form as a
// signed-in participant and reads them back on the public pages (PUB1):
// the form says the draft and its personal data become public before
// anything is posted; the text is shown as submitted and the XML is
// rendered; the list searches; the account page lists the person's
// submissions; the home page shows the latest.
func TestDraftSubmissionPages(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		a := newAccountSite(t, siteOptions{DB: db})
		a.signUp(t, "Sue Submitter", "sue@example.net")
		b := a.signIn(t, "sue@example.net")

		form := b.get("/drafts/submit")
		for _, want := range []string{"A posted draft is public, forever", "will be public and kept forever", `name="accept_terms"`, `enctype="multipart/form-data"`} {
			if !strings.Contains(form.Body, want) {
				t.Errorf("the submission form lacks %q", want)
			}
		}

		txt := draftFile(t, "draft-ietf-idr-rt-derived-community-00.txt")
		body, ct := upload(t, nil, txt, "1")
		res := b.do("POST", "/drafts/submit", body, ct)
		if res.Status != 303 || res.Header.Get("Location") != "/drafts/draft-ietf-idr-rt-derived-community/00" {
			t.Fatalf("submission: %d %s\n%.3000s", res.Status, res.Header.Get("Location"), res.Body)
		}
		quicXML := draftFile(t, "rfc9001.canonical.xml")
		body, ct = upload(t, quicXML, nil, "1")
		if res := b.do("POST", "/drafts/submit", body, ct); res.Status != 303 {
			t.Fatalf("XML submission: %d\n%.3000s", res.Status, res.Body)
		}

		page := a.get(t, "/drafts/draft-ietf-idr-rt-derived-community")
		for _, want := range []string{"Extended Communities Derived from Route Targets", "Keyur Patel (Arrcus)", "draft-ietf-idr-rt-derived-community-00",
			"Expires</dt><dd>", "This document specifies a way to derive an Extended Community", "[RFC4360]  Sangli, S., Tappan, D., and Y. Rekhter", `href="/drafts/draft-ietf-idr-rt-derived-community-00.txt"`} {
			if !strings.Contains(page.Body, want) {
				t.Errorf("the draft page lacks %q", want)
			}
		}
		if src := a.get(t, "/drafts/draft-ietf-idr-rt-derived-community-00.txt"); src.Body != string(txt) || !strings.HasPrefix(src.Header.Get("Content-Type"), "text/plain") {
			t.Errorf("the text download differs from what was submitted (%s)", src.Header.Get("Content-Type"))
		}
		quic := a.get(t, "/drafts/draft-ietf-quic-tls-34")
		for _, want := range []string{`<section id="section-4.1.1">`, `<a href="#section-1">1. Introduction</a>`, `<dt id="TLS13">[TLS13]</dt>`, "Martin Thomson<br>Mozilla"} {
			if !strings.Contains(quic.Body, want) {
				t.Errorf("the rendered XML draft lacks %q", want)
			}
		}
		if a.get(t, "/drafts/draft-ietf-quic-tls/34").Status != 200 || a.get(t, "/drafts/draft-ietf-quic-tls/33").Status != 404 || a.get(t, "/drafts/draft-nothing-00.xml").Status != 404 {
			t.Error("revision addresses do not answer as they should")
		}
		list := a.get(t, "/drafts")
		if i, j := strings.Index(list.Body, "draft-ietf-quic-tls-34"), strings.Index(list.Body, "draft-ietf-idr-rt-derived-community-00"); i < 0 || j < 0 || i > j {
			t.Errorf("the list is not newest first")
		}
		if s := a.get(t, "/drafts?q=thomson"); !strings.Contains(s.Body, "draft-ietf-quic-tls") || strings.Contains(s.Body, "draft-ietf-idr-rt") {
			t.Error("searching by author does not find the right draft")
		}
		if home := a.get(t, "/"); !strings.Contains(home.Body, `<a href="/drafts/draft-ietf-quic-tls">draft-ietf-quic-tls-34</a>`) {
			t.Error("the home page does not show the latest drafts")
		}
		// Revision -01 of the text draft, with one paragraph changed, and
		// the diff between the two.
		next := strings.ReplaceAll(string(txt), "draft-ietf-idr-rt-derived-community-00", "draft-ietf-idr-rt-derived-community-01")
		next = strings.Replace(next, "   Route Target and describes some example use cases.", "   Route Target and describes three example use cases.", 1)
		body, ct = upload(t, nil, []byte(next), "1")
		if res := b.do("POST", "/drafts/submit", body, ct); res.Status != 303 || res.Header.Get("Location") != "/drafts/draft-ietf-idr-rt-derived-community/01" {
			t.Fatalf("revision -01: %d\n%.3000s", res.Status, res.Body)
		}
		diff := a.get(t, "/drafts/draft-ietf-idr-rt-derived-community/diff?from=00&to=01")
		for _, want := range []string{"<del>-    Route Target and describes some example use cases.</del>", "<ins>+    Route Target and describes three example use cases.</ins>", "unchanged lines"} {
			if !strings.Contains(diff.Body, want) {
				t.Errorf("the diff lacks %q\n%.3000s", want, diff.Body)
			}
		}
		if a.get(t, "/drafts/draft-ietf-idr-rt-derived-community/diff?from=07&to=01").Status != 404 {
			t.Error("a diff with a revision that does not exist is not a 404")
		}
		if old := a.get(t, "/drafts/draft-ietf-idr-rt-derived-community-00"); !strings.Contains(old.Body, "Replaced by a newer revision") {
			t.Error("the replaced revision does not say so")
		}

		// The JSON API, with its stable field names.
		api := a.get(t, "/api/drafts/draft-ietf-idr-rt-derived-community")
		var got struct {
			Name, Rev, Title, Status string
			Authors                  []struct{ Name, Email, Affiliation string }
			Revisions                []struct{ Rev string }
			References               []string
			TextURL                  string `json:"text_url"`
		}
		if err := json.Unmarshal([]byte(api.Body), &got); err != nil || api.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("API answer %v: %s", err, api.Body)
		}
		if got.Name != "draft-ietf-idr-rt-derived-community" || got.Rev != "01" || got.Status != "Active" || len(got.Revisions) != 2 ||
			len(got.Authors) != 3 || got.Authors[2].Email != "keyur@arrcus.com" || !strings.HasSuffix(got.TextURL, "/drafts/draft-ietf-idr-rt-derived-community-01.txt") {
			t.Errorf("API draft %+v", got)
		}
		if !strings.Contains(a.get(t, "/api/drafts?q=quic").Body, `"name": "draft-ietf-quic-tls"`) || a.get(t, "/api/drafts/draft-none").Status != 404 {
			t.Error("the API list or its 404 is wrong")
		}

		feed := a.get(t, "/drafts/atom.xml")
		var atom struct {
			Entries []struct {
				Title   string   `xml:"title"`
				Authors []string `xml:"author>name"`
			} `xml:"entry"`
		}
		if err := xml.Unmarshal([]byte(feed.Body), &atom); err != nil || !strings.HasPrefix(feed.Header.Get("Content-Type"), "application/atom+xml") {
			t.Fatalf("feed %v: %.500s", err, feed.Body)
		}
		if len(atom.Entries) != 2 || atom.Entries[0].Title != "draft-ietf-idr-rt-derived-community-01: Extended Communities Derived from Route Targets" || len(atom.Entries[0].Authors) != 3 {
			t.Errorf("feed entries %+v", atom.Entries)
		}

		if acct := b.get("/account"); !strings.Contains(acct.Body, `<a href="/drafts/draft-ietf-quic-tls/34">draft-ietf-quic-tls-34</a>`) {
			t.Error("the account page does not list the person's submissions")
		}
	})
}

// TestDraftRevisionDiff posts three revisions of a draft and compares
// them: the diff page marks the changed line and folds the rest, a
// revision that does not exist is a 404, and the older revision says it
// was replaced. The diff is reached from the pages: the draft's page
// links to what its latest revision changed (/diff without ?from=, which
// compares the latest two), each revision to what it changed from the one
// before; a draft with one revision says there is nothing to compare yet.
// It uses a draft of the tests' own, so it runs in any clone.
func TestDraftRevisionDiff(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		a := newAccountSite(t, siteOptions{DB: db})
		a.signUp(t, "Rita Reviser", "rita@example.net")
		b := a.signIn(t, "rita@example.net")
		post := func(rev, scope string) {
			t.Helper()
			body, ct := upload(t, nil, ownDraft("draft-example-small-notes", rev, scope), "1")
			if res := b.do("POST", "/drafts/submit", body, ct); res.Status != 303 || res.Header.Get("Location") != "/drafts/draft-example-small-notes/"+rev {
				t.Fatalf("posting revision %s: %d %s\n%.2000s", rev, res.Status, res.Header.Get("Location"), res.Body)
			}
		}
		has := func(path string, status int, want, not []string) {
			t.Helper()
			res := a.get(t, path)
			if res.Status != status {
				t.Errorf("%s: %d, want %d\n%.2000s", path, res.Status, status, res.Body)
			}
			for _, w := range want {
				if !strings.Contains(res.Body, w) {
					t.Errorf("%s lacks %q\n%.4000s", path, w, res.Body)
				}
			}
			for _, n := range not {
				if strings.Contains(res.Body, n) {
					t.Errorf("%s shows %q", path, n)
				}
			}
		}

		post("00", "It says nothing about larger drafts.")
		// One revision: no link to a diff, and the diff's address says
		// there is nothing to compare yet, rather than a 404.
		has("/drafts/draft-example-small-notes", 200, nil, []string{"/diff", "changes from"})
		has("/drafts/draft-example-small-notes/diff", 200,
			[]string{"is the first revision of draft-example-small-notes, so there is nothing before it to compare it with. Once a newer revision is posted"}, []string{"<pre class=\"diff\">"})

		post("01", "It says a little about larger drafts too.")
		changed := []string{"<del>-    It says nothing about larger drafts.</del>", "<ins>+    It says a little about larger drafts too.</ins>", "unchanged lines"}
		has("/drafts/draft-example-small-notes/diff?from=00&to=01", 200, changed, []string{"Alex Example"})
		// Without ?from= (and ?to=), the latest revision against the one
		// before; the draft's page and its latest revision's link there.
		has("/drafts/draft-example-small-notes/diff", 200, append(changed, "From <a href=\"/drafts/draft-example-small-notes/00\">-00</a>"), nil)
		has("/drafts/draft-example-small-notes/diff?from=00", 200, changed, nil)
		for _, page := range []string{"/drafts/draft-example-small-notes", "/drafts/draft-example-small-notes/01", "/drafts/draft-example-small-notes-01"} {
			has(page, 200, []string{`<a href="/drafts/draft-example-small-notes/diff">What -01 changed from -00</a>`,
				`<a href="/drafts/draft-example-small-notes/diff?from=00&amp;to=01">changes from -00</a>`}, nil)
		}
		// The first revision has nothing before it.
		has("/drafts/draft-example-small-notes/00", 200, []string{`<a href="/drafts/draft-example-small-notes/diff?from=00&amp;to=01">changes from -00</a>`}, []string{"What -00 changed"})
		has("/drafts/draft-example-small-notes/diff?to=00", 200, []string{"is the first revision of draft-example-small-notes"}, []string{"Once a newer revision is posted"})

		post("02", "It says a lot about larger drafts.")
		// The replaced -01 links to its own changes, not the latest's.
		has("/drafts/draft-example-small-notes/01", 200, []string{"Replaced by a newer revision",
			`<a href="/drafts/draft-example-small-notes/diff?from=00&amp;to=01">What -01 changed from -00</a>`,
			`<a href="/drafts/draft-example-small-notes/diff?from=01&amp;to=02">changes from -01</a>`}, nil)
		has("/drafts/draft-example-small-notes/diff", 200, []string{"<del>-    It says a little about larger drafts too.</del>", "<ins>+    It says a lot about larger drafts.</ins>"}, nil)
		has("/drafts/draft-example-small-notes/diff?to=01", 200, changed, nil)

		for _, q := range []string{"?from=07&to=01", "?from=00&to=03", "?to=05"} {
			has("/drafts/draft-example-small-notes/diff"+q, 404, nil, nil)
		}
		has("/drafts/draft-example-no-such-draft/diff", 404, nil, nil)
		if old := a.get(t, "/drafts/draft-example-small-notes-00"); !strings.Contains(old.Body, "Replaced by a newer revision") {
			t.Error("the replaced revision does not say so")
		}
	})
}

// TestDraftSubmissionRefusals sends broken uploads: each answer lists
// every problem with its file and line, and nothing is stored.
func TestDraftSubmissionRefusals(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		a := newAccountSite(t, siteOptions{DB: db})
		a.signUp(t, "Sue Submitter", "sue@example.net")
		b := a.signIn(t, "sue@example.net")
		txt := draftFile(t, "draft-ietf-idr-rt-derived-community-00.txt")
		xml := draftFile(t, "draft-ietf-uuidrev-rfc4122bis-11.xml")
		people0 := count(t, db, "SELECT COUNT(*) FROM people")
		for _, c := range []struct {
			name     string
			xml, txt []byte
			accept   string
			status   int
			want     []string
		}{
			{"disagreeing files, terms not accepted", xml, txt, "", 400, []string{
				"Text rendering, line 14: the text is draft-ietf-idr-rt-derived-community-00 but the XML source (line 11) is draft-ietf-uuidrev-rfc4122bis-11",
				"accept the contribution terms"}},
			{"NUL byte", nil, append([]byte("abc\n\x00"), txt...), "1", 400, []string{"Text rendering, line 2: the file holds a NUL byte"}},
			{"invalid UTF-8", []byte("<?xml version=\"1.0\"?>\n<rfc>\xc3\x28</rfc>"), nil, "1", 400, []string{"XML source, line 2: the file is not valid UTF-8"}},
			{"hostile entity", []byte("<?xml version=\"1.0\"?>\n<!DOCTYPE rfc [<!ENTITY x SYSTEM \"http://169.254.169.254/\">]>\n<rfc version=\"3\">&x;</rfc>"), nil, "1", 400,
				[]string{"XML source, line 2: external entity &amp;x; is not read"}},
			{"too large", bytes.Repeat([]byte("a"), documents.MaxXML+1), nil, "1", 400, []string{"XML source: the file is 4194305 bytes"}},
			{"bad bytes in the terms field", nil, txt, "\xff", 400, []string{"not valid text"}},
		} {
			t.Run(c.name, func(t *testing.T) {
				body, ct := upload(t, c.xml, c.txt, c.accept)
				res := b.do("POST", "/drafts/submit", body, ct)
				if res.Status != c.status {
					t.Fatalf("status %d, want %d\n%.2000s", res.Status, c.status, res.Body)
				}
				for _, w := range c.want {
					if !strings.Contains(res.Body, w) {
						t.Errorf("the answer lacks %q\n%.3000s", w, res.Body)
					}
				}
			})
		}
		if n := count(t, db, "SELECT COUNT(*) FROM draft_revisions") + count(t, db, "SELECT COUNT(*) FROM drafts"); n != 0 {
			t.Errorf("refused uploads stored %d rows", n)
		}
		if count(t, db, "SELECT COUNT(*) FROM people") != people0 {
			t.Error("refused uploads added participant records")
		}
		if res := a.do(t, "POST", "/drafts/submit", strings.NewReader("x"), nil); res.Status == 200 || res.Status == 303 {
			t.Errorf("an anonymous submission answered %d", res.Status)
		}
	})
}

// TestDraftListPages: the list of drafts and its API are read page by
// page, 200 drafts a page, newest first, with links to the pages on either
// side that keep the search; no draft is left unreachable.
func TestDraftListPages(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		a := newAccountSite(t, siteOptions{DB: db})
		ctx := context.Background()
		start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		err := db.Tx(ctx, func(tx *store.Tx) error {
			for i := range 405 {
				if _, err := tx.Exec(ctx, "INSERT INTO drafts (name, rev, title, grp, authors, posted_at) VALUES (?, '00', ?, '', 'Pat Pager', ?)",
					fmt.Sprintf("draft-pager-%03d", i), fmt.Sprintf("Paging test %d", i), start.Add(time.Duration(i)*time.Hour)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			path        string
			first, last string
			rows        int
			prev, next  string
		}{
			{"/drafts", "draft-pager-404", "draft-pager-205", 200, "", "/drafts?page=2"},
			{"/drafts?page=2", "draft-pager-204", "draft-pager-005", 200, "/drafts", "/drafts?page=3"},
			{"/drafts?page=3", "draft-pager-004", "draft-pager-000", 5, "/drafts?page=2", ""},
			{"/drafts?page=nonsense", "draft-pager-404", "draft-pager-205", 200, "", "/drafts?page=2"},
			{"/drafts?q=pager&page=2", "draft-pager-204", "draft-pager-005", 200, "/drafts?q=pager", "/drafts?page=3&amp;q=pager"},
			{"/drafts?q=nomatch", "", "", 0, "", ""},
		} {
			body := a.get(t, c.path).Body
			if n := strings.Count(body, `<a href="/drafts/draft-pager-`); n != c.rows {
				t.Errorf("%s: %d drafts, want %d", c.path, n, c.rows)
			}
			if i, j := strings.Index(body, c.first+"-00<"), strings.Index(body, c.last+"-00<"); c.rows > 0 && (i < 0 || j < i) {
				t.Errorf("%s: not %s first and %s last", c.path, c.first, c.last)
			}
			for rel, want := range map[string]string{"prev": c.prev, "next": c.next} {
				link := `rel="` + rel + `" href="` + want + `"`
				if has := strings.Contains(body, `rel="`+rel+`"`); has != (want != "") || (want != "" && !strings.Contains(body, link)) {
					t.Errorf("%s: want the %s link %q", c.path, rel, want)
				}
			}
		}
		// Every word is looked for, in any order (documents'
		// TestSearchMatchesEveryWord has the cases), and the page says
		// which words past the eighth it left out.
		if body := a.get(t, "/drafts?q=pager+PAT+test").Body; strings.Count(body, `<a href="/drafts/draft-pager-`) != 200 {
			t.Errorf("words of the authors and title in another order do not find the drafts")
		}
		nine := a.get(t, "/drafts?q=one+two+three+four+five+six+seven+eight+nine+one").Body
		if !strings.Contains(nine, "Only the first 8 words were searched for; these were left out: “nine”.") {
			t.Errorf("the page does not say which words it left out:\n%.3000s", nine)
		}
		if strings.Contains(a.get(t, "/drafts?q=one+two+three+four+five+six+seven+eight").Body, "were left out") {
			t.Error("eight words are said to be too many")
		}
		var api struct {
			Drafts []struct{ Name string }
			Next   string
		}
		for _, c := range []struct {
			path, first string
			rows        int
			next        string
		}{
			{"/api/drafts?page=2", "draft-pager-204", 200, "https://test.example/api/drafts?page=3"},
			{"/api/drafts?page=3", "draft-pager-004", 5, ""},
			{"/api/drafts?q=pager", "draft-pager-404", 200, "https://test.example/api/drafts?page=2&q=pager"},
		} {
			api.Drafts, api.Next = nil, ""
			if err := json.Unmarshal([]byte(a.get(t, c.path).Body), &api); err != nil || len(api.Drafts) != c.rows || api.Drafts[0].Name != c.first || api.Next != c.next {
				t.Errorf("%s: %v, %d drafts from %+v, next %q; want %d from %s, next %q", c.path, err, len(api.Drafts), api.Drafts[:min(1, len(api.Drafts))], api.Next, c.rows, c.first, c.next)
			}
		}
	})
}
