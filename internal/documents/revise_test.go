package documents_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"plenary/internal/documents"
	"plenary/internal/people"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
	"plenary/internal/validate"
)

// smallDraft is a short plain-text draft by one author, given as
// "First Last <address>", written here so that the test runs in any
// clone.
func smallDraft(name, rev, author string) []byte {
	full, addr, _ := strings.Cut(author, " <")
	first, last, _ := strings.Cut(full, " ")
	header := first[:1] + ". " + last
	return []byte(`Network Working Group` + strings.Repeat(" ", 72-21-len(header)) + header + `
Internet-Draft                                          Example Networks
Intended status: Informational                          2 November 2026
Expires: 6 May 2027


                   Notes on Who May Revise a Draft
                          ` + name + `-` + rev + `

Abstract

   This memo exists so that a test can post it and its revisions.

1.  Introduction

   A revision is posted by the draft's own authors.

Author's Address

   ` + full + `
   Example Networks
   Email: ` + strings.TrimSuffix(addr, ">") + `
`)
}

// TestOnlyItsAuthorsReviseADraft: a participant who is neither an author
// of a draft's latest revision nor its earlier submitter cannot post the
// next revision (which would put words under the authors' names), and
// nothing is stored; an address of the author's that staff added, not
// proved by its mailbox, does not count. The earlier submitter, an author
// signed in with the address the draft gives, and the secretariat may.
func TestOnlyItsAuthorsReviseADraft(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		ctx := context.Background()
		person := func(name, addr string, origin people.Origin) documents.Submitter {
			t.Helper()
			p, _, err := people.Create(ctx, db, people.New{Name: name, Email: addr, Origin: origin, Verified: true}, e.now)
			if err != nil {
				t.Fatal(err)
			}
			return documents.Submitter{ID: p.ID, Name: name}
		}
		bea := person("Bea Author", "bea@example.net", people.OriginSelf)
		tim := person("Tim Other", "tim@example.net", people.OriginSelf)
		// Staff added Cy's draft address to Tim's account: it is confirmed
		// from Tim's own address, which proves nothing about the mailbox.
		staffAdded := person("Cy Coauthor", "cy-staff@example.net", people.OriginStaff)
		sec := person("Sam Secretariat", "sam@example.org", people.OriginSelf)
		sec.Secretariat = true

		submit := func(who documents.Submitter, draft, author, rev string) error {
			sub := e.sub
			sub.Upload = documents.Upload{Txt: smallDraft(draft, rev, author), AcceptTerms: true}
			_, err := documents.Submit(ctx, db, e.log, who, sub, e.now.Add(time.Duration(count(t, db, "SELECT COUNT(*) FROM draft_revisions"))*time.Hour))
			return err
		}
		const beas, cys = "Bea Author <bea@example.net>", "Cy Coauthor <cy-staff@example.net>"
		for _, first := range []struct{ draft, author string }{{"draft-author-revise", beas}, {"draft-author-staff", cys}} {
			if err := submit(e.submitter, first.draft, first.author, "00"); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []struct {
			who           string
			as            documents.Submitter
			draft, author string
			rev           string
			ok            bool
			what          string
		}{
			{"a participant who is not an author", tim, "draft-author-revise", beas, "01", false, "draft-author-revise-00 is another author's draft"},
			{"the author's address that staff added", staffAdded, "draft-author-staff", cys, "01", false, "draft-author-staff-00 is another author's draft"},
			{"the submitter of -00", e.submitter, "draft-author-revise", beas, "01", true, ""},
			{"the author signed in with the draft's address", bea, "draft-author-revise", beas, "02", true, ""},
			{"a participant who is not an author, later", tim, "draft-author-revise", beas, "03", false, "draft-author-revise-02 is another author's draft"},
			{"the secretariat", sec, "draft-author-revise", beas, "03", true, ""},
		} {
			before := count(t, db, "SELECT COUNT(*) FROM draft_revisions")
			err := submit(c.as, c.draft, c.author, c.rev)
			if c.ok {
				if err != nil {
					t.Errorf("%s posting -%s: %v", c.who, c.rev, err)
				}
				continue
			}
			ve, isForm := validate.From(err)
			if !isForm || !strings.Contains(ve.For("xml"), c.what) || !strings.Contains(ve.For("xml"), "Nothing was stored.") {
				t.Errorf("%s posting -%s: %v, want refused with %q", c.who, c.rev, err, c.what)
			}
			if n := count(t, db, "SELECT COUNT(*) FROM draft_revisions"); n != before {
				t.Errorf("%s posting -%s stored a revision", c.who, c.rev)
			}
		}
		d, err := documents.Get(ctx, db, "draft-author-revise", "")
		if err != nil || d.Latest.Rev != "03" {
			t.Errorf("latest revision %+v, %v; want -03", d.Latest.Rev, err)
		}
	})
}

// TestTextReferencesInDocumentOrder: the references of a text draft are
// listed in the order the text gives them, normative then informative,
// every time it is read.
func TestTextReferencesInDocumentOrder(t *testing.T) {
	txt := strings.Replace(string(smallDraft("draft-example-refs", "00", "Bea Author <bea@example.net>")), "Author's Address", `2.  Normative References

   [RFC2119]  Bradner, S., "Key words for use in RFCs to Indicate
              Requirement Levels", BCP 14, RFC 2119, March 1997.

   [RFC8174]  Leiba, B., "Ambiguity of Uppercase vs Lowercase in RFC
              2119 Key Words", BCP 14, RFC 8174, May 2017.

3.  Informative References

   [RFC9110]  Fielding, R., Ed., "HTTP Semantics", STD 97, RFC 9110,
              June 2022.

Author's Address`, 1)
	for range 20 {
		c, err := documents.Check(documents.Upload{Txt: []byte(txt), AcceptTerms: true}, none)
		if err != nil || c.Problems != nil {
			t.Fatalf("checking the draft: %v %v", err, c.Problems)
		}
		if got := strings.Join(c.Meta.References, " "); got != "RFC2119 RFC8174 RFC9110" {
			t.Fatalf("references %q, want them in the text's order", got)
		}
	}
}
