package dsr_test

import (
	"context"
	"strings"
	"testing"

	"plenary/internal/documents"
	"plenary/internal/dsr"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// coauthoredXML is a small xml2rfc source naming two authors, the person
// first.
func coauthoredXML(name, rev, person, addr string) []byte {
	return []byte(`<?xml version="1.0" encoding="utf-8"?>
<rfc version="3" docName="` + name + `-` + rev + `" ipr="trust200902">
<front>
<title>Crystal Structures</title>
<author fullname="` + person + `"><organization>Lab</organization><address><email>` + addr + `</email></address></author>
<author fullname="Carol Coauthor"><organization>Other Lab</organization><address><email>carol@other.example</email></address></author>
<date year="2026" month="4" day="2"/>
<abstract><t>On crystals.</t></abstract>
</front>
<middle><section><name>Intro</name><t>Text.</t></section></middle>
</rfc>
`)
}

// TestRemovalRebuildsTheDraftAuthorList: the list of drafts keeps a copy
// of each draft's author names, for listing and search. After a removal
// that pseudonymizes the person as an author (account approved, drafts
// declined), after one that removes them (everything approved, with an
// IPR disclosure and a liaison statement naming them as contact) and
// after a child's purge, the copy is made again from the author list in
// the same transaction: the scan finds nothing in the drafts table, and
// nothing at all outside the declined records; the list shows the
// pseudonym or the remaining co-author, and searching for the person's
// name finds no draft (R4, CH2).
func TestRemovalRebuildsTheDraftAuthorList(t *testing.T) {
	cases := []struct {
		name string
		// declined says whether the drafts removal is declined, so
		// that records kept under a pseudonym are allowed hits.
		declined bool
		remove   func(t *testing.T, f *fixture, person int64)
		authors  string // the list's author names afterwards
	}{
		{"account approved, drafts declined", true, func(t *testing.T, f *fixture, person int64) {
			decide(t, f, person, map[string]bool{"account": true, "inquiries": true, "registrations": true})
		}, "A former participant, Carol Coauthor"},
		{"everything approved", false, func(t *testing.T, f *fixture, person int64) {
			decide(t, f, person, map[string]bool{"account": true, "inquiries": true, "registrations": true, "postings": true, "drafts": true})
		}, "Carol Coauthor"},
		{"child purge", false, func(t *testing.T, f *fixture, person int64) {
			if _, err := dsr.PurgeChild(context.Background(), f.db, f.log, f.inv, dsr.Actor{ID: 9001, Label: "Ada Admin"}, person, "told by a parent"); err != nil {
				t.Fatal(err)
			}
		}, "Carol Coauthor"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			storetest.Engines(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				f := setup(t, db)
				ros := f.participant(t, "Rosalind Franklin", "ros@example.org", "rosalind@lab.example")
				who := documents.Submitter{ID: ros, Name: "Rosalind Franklin"}
				for _, rev := range []string{"00", "01"} {
					up := documents.Upload{XML: coauthoredXML("draft-franklin-crystals", rev, "Rosalind Franklin", "ros@example.org"), AcceptTerms: true}
					if _, err := documents.Submit(ctx, db, f.log, who, documents.Submission{Upload: up, VersionID: f.version, Transfer: "test transfer statement"}, now); err != nil {
						t.Fatal(err)
					}
				}
				// Bob's draft names neither; its copy must stay as it is.
				bobXML := strings.ReplaceAll(string(coauthoredXML("draft-bystander-notes", "00", "Bob Bystander", "bob@other.example")), "Carol Coauthor", "Dan Other")
				if _, err := documents.Submit(ctx, db, f.log, documents.Submitter{ID: 0, Name: "staff"}, documents.Submission{Upload: documents.Upload{XML: []byte(bobXML), AcceptTerms: true}, VersionID: f.version, Transfer: "t"}, now); err != nil {
					t.Fatal(err)
				}
				d, err := documents.SubmitIPR(ctx, db, f.log, who, documents.IPRSubmission{
					Form: documents.IPRForm{Kind: documents.IPRSpecific, Title: "Lab statement about draft-franklin-crystals", Holder: "Lab Inc.",
						ContactName: "Rosalind Franklin", ContactEmail: "rosalind@lab.example", ContactInfo: "1 Lab Road", ShowContact: true,
						Drafts: "draft-franklin-crystals", Patents: "US 1 B1", Licensing: "royalty-free", AcceptTerms: true},
					VersionID: f.version, Transfer: "test transfer statement"}, now)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := documents.DecideIPR(ctx, db, f.log, documents.Submitter{ID: 9000, Name: "Sam Secretariat"}, d.ID, "post", "", now); err != nil {
					t.Fatal(err)
				}
				if _, err := documents.PostLiaisonDemo(ctx, db, 0, documents.LiaisonForm{From: "Other SDO", To: "lab", Title: "On crystals", Purpose: "information",
					Body: "Text.", ContactName: "Rosalind Franklin", ContactEmail: "ROS@example.org"}, now); err != nil {
					t.Fatal(err)
				}
				if got := listed(t, db, ""); got["draft-franklin-crystals"] != "Rosalind Franklin, Carol Coauthor" {
					t.Fatalf("before the removal the list shows %q", got["draft-franklin-crystals"])
				}

				c.remove(t, f, ros)

				got := listed(t, db, "")
				if got["draft-franklin-crystals"] != c.authors {
					t.Errorf("the list shows the authors %q, want %q", got["draft-franklin-crystals"], c.authors)
				}
				if got["draft-bystander-notes"] != "Bob Bystander, Dan Other" {
					t.Errorf("the bystander's draft lists %q", got["draft-bystander-notes"])
				}
				if found := listed(t, db, "rosalind"); len(found) != 0 {
					t.Errorf("searching the drafts for the name finds %v", found)
				}
				if found := listed(t, db, "former participant"); c.declined != (len(found) == 1) {
					t.Errorf("searching the drafts for the pseudonym finds %v", found)
				}
				s := &dsr.Scanner{DB: db, Inv: f.inv}
				hits, err := s.Scan(ctx, []string{"ros@example.org", "rosalind@lab.example", "Rosalind Franklin"})
				if err != nil {
					t.Fatal(err)
				}
				// The audit log is kept (and names the person as the
				// submitter of the draft and the disclosure); a record of
				// the declined drafts category may stay with its content.
				for _, h := range hits {
					declinedRecord := strings.HasPrefix(h.Kept, "when the removal of drafts is declined")
					if h.Table == "drafts" || h.Kept == "" || (declinedRecord && !c.declined) {
						t.Errorf("left after the removal: %s", h.Place())
					}
				}
			})
		})
	}
}

// decide requests the person's removal and decides it with approve.
func decide(t *testing.T, f *fixture, person int64, approve map[string]bool) {
	t.Helper()
	ctx := context.Background()
	id, err := dsr.RequestRemoval(ctx, f.db, f.log, person, "", now)
	if err != nil {
		t.Fatal(err)
	}
	ds := every(false)
	for i := range ds {
		ds[i].Approve = approve[ds[i].Category]
		if !ds[i].Approve {
			ds[i].Reason = "kept as a public record"
		}
	}
	if _, err := dsr.Decide(ctx, f.db, f.log, f.inv, dsr.Actor{ID: 9002, Label: "Pat Privacy"}, id, ds, "as asked", now); err != nil {
		t.Fatal(err)
	}
	sendDecision(t, f, "ros@example.org")
}

// listed is the drafts list for text: each name with its author names.
func listed(t *testing.T, db *store.DB, text string) map[string]string {
	t.Helper()
	l, err := documents.List(context.Background(), db, text, 100)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, s := range l {
		out[s.Name] = s.Authors
	}
	return out
}
