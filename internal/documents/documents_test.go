package documents_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"plenary/internal/audit"
	"plenary/internal/documents"
	"plenary/internal/inventory"
	"plenary/internal/people"
	"plenary/internal/policy"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
	"plenary/internal/validate"
)

// drafts is the real test data: published drafts and an RFC source.
const drafts = "../../../shared/testdata/drafts"

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(drafts, name))
	if errors.Is(err, fs.ErrNotExist) {
		// The real drafts live beside the repository, in ../shared, as
		// on the project's machines and in CI; a bare clone has none.
		t.Skipf("test draft %s not found in %s (the real drafts live beside the repository in ../shared/testdata)", name, drafts)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func none(string) (string, error) { return "", nil }

// TestRealDraftsMetadata reads the real drafts and checks what is read
// from each against what a person reading the document sees.
func TestRealDraftsMetadata(t *testing.T) {
	cases := []struct {
		file, name, rev, title, date, group string
		authors                             []documents.Author
		abstractStart                       string
		refs                                []string // some of the references
	}{
		{file: "draft-ietf-idr-rt-derived-community-00.txt", name: "draft-ietf-idr-rt-derived-community", rev: "00",
			title: "Extended Communities Derived from Route Targets", date: "7 March 2023",
			authors: []documents.Author{
				{Name: "Zhaohui Zhang", Email: "zzhang@juniper.net", Affiliation: "Juniper Networks"},
				{Name: "Jeff Haas", Email: "jhaas@juniper.net", Affiliation: "Juniper Networks"},
				{Name: "Keyur Patel", Email: "keyur@arrcus.com", Affiliation: "Arrcus"}},
			abstractStart: "This document specifies a way to derive an Extended Community",
			refs:          []string{"RFC4360", "RFC7432", "I-D.ietf-idr-legacy-rtc"}},
		{file: "draft-ietf-mip4-multiple-tunnel-support-07.txt", name: "draft-ietf-mip4-multiple-tunnel-support", rev: "07",
			title: "Flow Binding Support for Mobile IP", date: "December 23, 2013",
			authors: []documents.Author{
				{Name: "Sri Gundavelli", Email: "sgundave@cisco.com", Affiliation: "Cisco"},
				{Name: "Kent Leung", Email: "kleung@cisco.com", Affiliation: "Cisco"},
				{Name: "George Tsirtsis", Email: "tsirtsis@qualcomm.com", Affiliation: "Qualcomm"},
				{Name: "Hesham Soliman", Email: "hesham@elevatemobile.com", Affiliation: "Elevate Technologies"},
				{Name: "Alexandru Petrescu", Email: "alexandru.petrescu@cea.fr", Affiliation: "CEA LIST"}},
			abstractStart: "This specification defines extensions to Mobile IP protocol for allowing a mobile node",
			refs:          []string{"RFC2119", "RFC5213", "RFC6088"}},
		{file: "draft-ietf-uuidrev-rfc4122bis-11.xml", name: "draft-ietf-uuidrev-rfc4122bis", rev: "11",
			title: "Universally Unique IDentifiers (UUID)", date: "2023", group: "uuidrev",
			authors: []documents.Author{
				{Name: "Kyzer R. Davis", Email: "kydavis@cisco.com", Affiliation: "Cisco Systems"},
				{Name: "Brad G. Peabody", Email: "brad@peabody.io", Affiliation: "Uncloud"},
				{Name: "P. Leach", Email: "pjl7@uw.edu", Affiliation: "University of Washington"}},
			abstractStart: "This specification defines the UUIDs (Universally Unique IDentifiers)",
			refs:          []string{"RFC4122", "RFC2119", "ULID"}},
		{file: "rfc9001.canonical.xml", name: "draft-ietf-quic-tls", rev: "34",
			title: "Using TLS to Secure QUIC", date: "May 2021", group: "QUIC",
			authors: []documents.Author{
				{Name: "Martin Thomson", Email: "mt@lowentropy.net", Affiliation: "Mozilla"},
				{Name: "Sean Turner", Email: "sean@sn3rd.com", Affiliation: "sn3rd"}},
			abstractStart: "This document describes how Transport Layer Security (TLS) is used to secure QUIC.",
			refs:          []string{"TLS13", "QUIC-TRANSPORT", "RFC8174"}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			up := documents.Upload{AcceptTerms: true}
			if strings.HasSuffix(c.file, ".xml") {
				up.XML = read(t, c.file)
			} else {
				up.Txt = read(t, c.file)
			}
			got, err := documents.Check(up, none)
			if err != nil {
				t.Fatal(err)
			}
			if got.Problems != nil {
				t.Fatalf("problems with a real draft: %v", got.Problems.List())
			}
			m := got.Meta
			if m.Name != c.name || m.Rev != c.rev || m.Title != c.title || m.Date != c.date || m.Group != c.group {
				t.Errorf("read %q %q %q %q %q", m.Name, m.Rev, m.Title, m.Date, m.Group)
			}
			if !strings.HasPrefix(m.Abstract, c.abstractStart) {
				t.Errorf("abstract %q", m.Abstract)
			}
			if len(m.Authors) != len(c.authors) {
				t.Fatalf("authors %+v", m.Authors)
			}
			for i, a := range c.authors {
				g := m.Authors[i]
				if g.Name != a.Name || g.Email != a.Email || g.Affiliation != a.Affiliation {
					t.Errorf("author %d: %+v, want %+v", i, g, a)
				}
			}
			for _, r := range c.refs {
				if !contains(m.References, r) {
					t.Errorf("reference %s missing from %v", r, m.References)
				}
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// minimal is a small valid xml2rfc v3 source for draft-test-thing-NN.
func minimal(rev string) string {
	return `<?xml version="1.0" encoding="utf-8"?>
<rfc version="3" docName="draft-test-thing-` + rev + `" ipr="trust200902">
<front>
<title>A Test Thing</title>
<author fullname="Tess Author"><organization>Example Org</organization><address><email>tess@example.org</email></address></author>
<date year="2026" month="11" day="2"/>
<abstract><t>It is a thing for tests.</t></abstract>
</front>
<middle><section><name>Intro</name><t>Text.</t></section></middle>
</rfc>
`
}

// TestBrokenUploads checks that every problem of a bad upload is found,
// each with the file and line it is in, and nothing else.
func TestBrokenUploads(t *testing.T) {
	text := string(read(t, "draft-ietf-idr-rt-derived-community-00.txt"))
	cases := []struct {
		name string
		up   documents.Upload
		last string
		want []string // each message must contain one of these, in order
	}{
		{"nothing", documents.Upload{}, "", []string{"choose the draft's XML source", "accept the contribution terms"}},
		{"not well-formed", documents.Upload{XML: []byte("<?xml version=\"1.0\"?>\n<rfc version=\"3\">\n<front>\n</rfc>\n"), AcceptTerms: true}, "",
			[]string{"XML source, line 4: the XML is not well-formed"}},
		{"not xml2rfc", documents.Upload{XML: []byte("<html><body/></html>"), AcceptTerms: true}, "",
			[]string{"XML source, line 1: this is not an xml2rfc source"}},
		{"external entity", documents.Upload{XML: []byte("<?xml version=\"1.0\"?>\n<!DOCTYPE rfc [\n<!ENTITY secret SYSTEM \"file:///etc/passwd\">\n]>\n<rfc version=\"3\">&secret;</rfc>"), AcceptTerms: true}, "",
			[]string{"XML source, line 2: external entity &secret; is not read"}},
		{"entity expansion", documents.Upload{XML: []byte("<?xml version=\"1.0\"?>\n<!DOCTYPE rfc [\n<!ENTITY a \"xxxxxxxxxx\">\n<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n]>\n" +
			strings.Replace(minimal("00")[strings.Index(minimal("00"), "<rfc"):], "Text.", "&b;", 1)), AcceptTerms: true}, "",
			nil}, // b stays "&a;&a;…" literally: accepted, and nothing grows
		{"bad name and no revision", documents.Upload{XML: []byte(strings.ReplaceAll(minimal("00"), "draft-test-thing-00", "Draft_Test")), AcceptTerms: true}, "",
			[]string{`XML source, line 2: the name "Draft_Test" has no revision`}},
		{"bad name form", documents.Upload{XML: []byte(strings.ReplaceAll(minimal("00"), "draft-test-thing-00", "draft-Test--x-00")), AcceptTerms: true}, "",
			[]string{`XML source, line 2: the name "draft-Test--x" is not in the form`}},
		{"revision skips", documents.Upload{XML: []byte(minimal("03")), AcceptTerms: true}, "01",
			[]string{"XML source, line 2: this is revision -03, but the next revision of draft-test-thing is -02 (-01 is the latest posted)"}},
		{"revision taken", documents.Upload{XML: []byte(minimal("01")), AcceptTerms: true}, "01",
			[]string{"this is revision -01, but the next revision of draft-test-thing is -02"}},
		{"text and xml disagree", documents.Upload{XML: []byte(minimal("00")), Txt: []byte(text), AcceptTerms: true}, "",
			[]string{"Text rendering, line 14: the text is draft-ietf-idr-rt-derived-community-00 but the XML source (line 2) is draft-test-thing-00"}},
		{"NUL byte", documents.Upload{Txt: []byte("line one\nline two\x00\n"), AcceptTerms: true}, "",
			[]string{"Text rendering, line 2: the file holds a NUL byte"}},
		{"invalid UTF-8", documents.Upload{XML: []byte("<?xml version=\"1.0\"?>\n\n<rfc \xff/>"), AcceptTerms: true}, "",
			[]string{"XML source, line 3: the file is not valid UTF-8"}},
		{"too big", documents.Upload{Txt: []byte(strings.Repeat("a", documents.MaxTxt+1)), AcceptTerms: true}, "",
			[]string{"Text rendering: the file is 2097153 bytes; at most 2097152 are taken"}},
		{"hostile nesting", documents.Upload{XML: []byte("<?xml version=\"1.0\"?>\n<rfc version=\"3\">\n" + strings.Repeat("<t>", 500) + strings.Repeat("</t>", 500) + "</rfc>"), AcceptTerms: true}, "",
			[]string{"XML source, line 3: the XML nests deeper than 100 elements"}},
		{"other encoding", documents.Upload{XML: []byte("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<rfc version=\"3\"/>"), AcceptTerms: true}, "",
			[]string{"only UTF-8 is taken"}},
		{"no title, no author, no abstract, terms not accepted", documents.Upload{XML: []byte("<?xml version=\"1.0\"?>\n<rfc version=\"3\" docName=\"draft-x-y-00\">\n<front>\n</front>\n</rfc>")}, "",
			[]string{"line 3: the draft has no title", "line 3: the draft names no author", "line 3: the draft has no abstract", "accept the contribution terms"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := documents.Check(c.up, func(string) (string, error) { return c.last, nil })
			if err != nil {
				t.Fatal(err)
			}
			list := got.Problems.List()
			if len(list) != len(c.want) {
				t.Fatalf("got %d problems %v, want %d", len(list), list, len(c.want))
			}
			for i, w := range c.want {
				if !strings.Contains(list[i].Message, w) {
					t.Errorf("problem %d: %q, want it to say %q", i, list[i].Message, w)
				}
			}
		})
	}
}

type env struct {
	db        *store.DB
	log       *audit.Log
	sub       documents.Submission
	submitter documents.Submitter
	now       time.Time
}

func setup(t *testing.T, db *store.DB) *env {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)
	s := &policy.Service{DB: db, Inventory: inventory.Default(), Facts: policy.Facts{Org: "Test Org", Country: "Iceland", Contact: "privacy@example.org"}}
	if _, err := s.EnsureCurrent(ctx, now); err != nil {
		t.Fatal(err)
	}
	v, err := s.Current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := people.Create(ctx, db, people.New{Name: "Sue Submitter", Email: "sue@example.net", Origin: people.OriginSelf, Verified: true}, now)
	if err != nil {
		t.Fatal(err)
	}
	return &env{db: db, log: &audit.Log{DB: db, Key: []byte("test audit key, 32 bytes long..")},
		sub: documents.Submission{VersionID: v.ID, Transfer: s.TransferStatement()}, submitter: documents.Submitter{ID: p.ID, Name: p.Name}, now: now}
}

func count(t *testing.T, db *store.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSubmitRealDrafts posts the real drafts and reads them back: the
// metadata, the authors as participant records with origin "draft
// author" (an address already known keeps its owner), the consent entry
// and the audit entry (PUB1).
func TestSubmitRealDrafts(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		ctx := context.Background()
		// One author already has an account: their record is reused.
		known, _, err := people.Create(ctx, db, people.New{Name: "Jeff Haas", Email: "JHaas@juniper.net", Origin: people.OriginSelf, Verified: true}, e.now)
		if err != nil {
			t.Fatal(err)
		}
		sub := e.sub
		sub.Upload = documents.Upload{Txt: read(t, "draft-ietf-idr-rt-derived-community-00.txt"), AcceptTerms: true}
		rev, err := documents.Submit(ctx, db, e.log, e.submitter, sub, e.now)
		if err != nil {
			t.Fatal(err)
		}
		if rev.FullName() != "draft-ietf-idr-rt-derived-community-00" || rev.Title != "Extended Communities Derived from Route Targets" || len(rev.Authors) != 3 {
			t.Fatalf("posted %+v", rev)
		}
		if rev.Authors[1].PersonID != known.ID {
			t.Errorf("known author got person %d, want %d", rev.Authors[1].PersonID, known.ID)
		}
		p, em, err := people.FindByEmail(ctx, db, "keyur@arrcus.com")
		if err != nil {
			t.Fatal(err)
		}
		if em.Origin != people.OriginDraftAuthor || p.Name != "Keyur Patel" || p.Affiliation != "Arrcus" || p.HasPassword {
			t.Errorf("author record %+v %+v", p, em)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM consent_ledger WHERE person_id = ? AND purpose = ? AND granted = ?", e.submitter.ID, documents.PurposeSubmission, true); n != 1 {
			t.Errorf("%d consent entries for the submission, want 1", n)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = ? AND subject = ?", "documents.submit", "draft:draft-ietf-idr-rt-derived-community-00"); n != 1 {
			t.Errorf("%d audit entries, want 1", n)
		}

		// The XML source of another draft, then its next revision.
		xml := read(t, "draft-ietf-uuidrev-rfc4122bis-11.xml")
		sub.Upload = documents.Upload{XML: xml, AcceptTerms: true}
		if _, err := documents.Submit(ctx, db, e.log, e.submitter, sub, e.now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		sub.Upload = documents.Upload{XML: []byte(strings.ReplaceAll(string(xml), "draft-ietf-uuidrev-rfc4122bis-11", "draft-ietf-uuidrev-rfc4122bis-12")), AcceptTerms: true}
		if _, err := documents.Submit(ctx, db, e.log, e.submitter, sub, e.now.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		d, err := documents.Get(ctx, db, "draft-ietf-uuidrev-rfc4122bis", "")
		if err != nil {
			t.Fatal(err)
		}
		if d.Latest.Rev != "12" || len(d.Revisions) != 2 || d.Revisions[1].Rev != "11" || d.Latest.XML != strings.ReplaceAll(string(xml), "-11", "-12") && !strings.Contains(d.Latest.XML, "rfc4122bis-12") {
			t.Errorf("draft %s-%s with %d revisions", d.Latest.Name, d.Latest.Rev, len(d.Revisions))
		}
		if !d.Latest.Expires().Equal(e.now.Add(2*time.Hour).AddDate(0, 0, 185)) || d.Status(e.now) != "Active" || d.Status(e.now.AddDate(0, 0, 186)) != "Expired" {
			t.Errorf("expiry %v, status %q", d.Latest.Expires(), d.Status(e.now))
		}
		old, err := documents.Get(ctx, db, "draft-ietf-uuidrev-rfc4122bis", "11")
		if err != nil || old.Status(e.now) != "Replaced by a newer revision" {
			t.Errorf("revision 11: %v %q", err, old.Status(e.now))
		}

		// The same revision again is refused, with its line, and stores
		// nothing.
		before := count(t, db, "SELECT COUNT(*) FROM draft_revisions")
		people0 := count(t, db, "SELECT COUNT(*) FROM people")
		_, err = documents.Submit(ctx, db, e.log, e.submitter, sub, e.now.Add(3*time.Hour))
		ve, ok := validate.From(err)
		if !ok || !strings.Contains(ve.For("xml"), "line 11: this is revision -12, but the next revision of draft-ietf-uuidrev-rfc4122bis is -13") {
			t.Errorf("resubmission: %v", err)
		}
		if count(t, db, "SELECT COUNT(*) FROM draft_revisions") != before || count(t, db, "SELECT COUNT(*) FROM people") != people0 {
			t.Error("a refused submission stored something")
		}

		// Newest first; search by name, title, author and group.
		for _, c := range []struct{ q, want string }{
			{"", "draft-ietf-uuidrev-rfc4122bis,draft-ietf-idr-rt-derived-community"},
			{"route targets", "draft-ietf-idr-rt-derived-community"},
			{"PEABODY", "draft-ietf-uuidrev-rfc4122bis"},
			{"uuidrev", "draft-ietf-uuidrev-rfc4122bis"},
			{"idr-rt", "draft-ietf-idr-rt-derived-community"},
			{"100%", ""},
		} {
			list, err := documents.List(ctx, db, c.q, 50)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, s := range list {
				names = append(names, s.Name)
			}
			if got := strings.Join(names, ","); got != c.want {
				t.Errorf("search %q: %q, want %q", c.q, got, c.want)
			}
		}
		mine, err := documents.SubmittedBy(ctx, db, e.submitter.ID)
		if err != nil || len(mine) != 3 {
			t.Errorf("submitted by: %v %d", err, len(mine))
		}
		if _, err := documents.Get(ctx, db, "draft-nothing-here", ""); !errors.Is(err, documents.ErrNotFound) {
			t.Errorf("missing draft: %v", err)
		}
	})
}

// TestSubmitNeedsTerms checks that nothing is posted, and no author
// enters the participant records, until the submitter accepts the terms.
func TestSubmitNeedsTerms(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		sub := e.sub
		sub.Upload = documents.Upload{XML: []byte(minimal("00"))}
		_, err := documents.Submit(context.Background(), db, e.log, e.submitter, sub, e.now)
		ve, ok := validate.From(err)
		if !ok || !ve.Has("accept_terms") {
			t.Fatalf("got %v", err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM drafts") + count(t, db, "SELECT COUNT(*) FROM person_emails WHERE origin = ?", string(people.OriginDraftAuthor)); n != 0 {
			t.Errorf("%d rows stored without the terms accepted", n)
		}
	})
}

// TestRenderXML renders the real RFC 9001 source: sections with stable
// anchors, lists, figures, tables, references and authors, all escaped.
func TestRenderXML(t *testing.T) {
	r, err := documents.RenderXML(string(read(t, "rfc9001.canonical.xml")))
	if err != nil {
		t.Fatal(err)
	}
	body := string(r.Body)
	for _, want := range []string{
		`<section id="section-1">`, `<h2><a class="selfref" href="#section-1">1.</a> Introduction</h2>`,
		`<section id="section-4.1.1">`, `<section id="appendix-A">`,
		`<pre class="artwork">`, `<figure id="tls-full">`, `<figcaption>`, `<table`, `<ul`, `<li>`,
		`<dt id="TLS13">[TLS13]</dt>`, `<a href="#QUIC-TRANSPORT">`,
		`<section id="authors"><h2>Authors' Addresses</h2>`, "Martin Thomson<br>Mozilla<br>Email: mt@lowentropy.net",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("rendering lacks %q", want)
		}
	}
	if len(r.Sections) < 20 || r.Sections[0].Anchor != "section-1" || r.Sections[0].Title != "Introduction" {
		t.Errorf("table of contents %+v", r.Sections[:3])
	}
	hostile := strings.Replace(minimal("00"), "<t>Text.</t>", `<t>&lt;script&gt;alert(1)&lt;/script&gt; <eref target="javascript:alert(1)">x</eref> <xref target="a&quot; onclick=&quot;x"/></t>`, 1)
	h, err := documents.RenderXML(hostile)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script>", "javascript:", `onclick="`} {
		if strings.Contains(string(h.Body), bad) {
			t.Errorf("rendering lets %q through: %s", bad, h.Body)
		}
	}
}
