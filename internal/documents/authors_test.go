package documents_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"plenary/internal/auth"
	"plenary/internal/documents"
	"plenary/internal/inventory"
	"plenary/internal/people"
	"plenary/internal/policy"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// authoredBy is a small valid xml2rfc v3 source for draft name-rev with
// one author.
func authoredBy(name, rev, author, addr string) string {
	return `<?xml version="1.0" encoding="utf-8"?>
<rfc version="3" docName="` + name + `-` + rev + `" ipr="trust200902">
<front>
<title>A Test Thing</title>
<author fullname="` + author + `"><organization>Example Org</organization><address><email>` + addr + `</email></address></author>
<date year="2026" month="11" day="2"/>
<abstract><t>It is a thing for tests.</t></abstract>
</front>
<middle><section><name>Intro</name><t>Text.</t></section></middle>
</rfc>
`
}

// TestDraftAuthorsAddressGoesToWhoeverProvesIt (issue: a draft-author
// record blocked its address for good): the record a draft makes for its
// author's address yields to a sign-up with that address, or to an
// account adding it, once the confirmation link mailed to the address is
// followed. Until then the record keeps it and nothing opens; the newest
// claim is the only one; then the address is the prover's, confirmed,
// and every author row that names it is linked to them, while the drafts
// name their authors as before. The record goes when it has no address
// left, and otherwise keeps the others.
func TestDraftAuthorsAddressGoesToWhoeverProvesIt(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		ctx := context.Background()
		pol := &policy.Service{DB: db, Inventory: inventory.Default(), Facts: policy.Facts{Org: "Test Org", Country: "Iceland", Contact: "privacy@example.org"}}
		svc := &people.Service{DB: db, Audit: e.log, Policy: pol}
		post := func(xml string, hours int) documents.Revision {
			t.Helper()
			sub := e.sub
			sub.Upload = documents.Upload{XML: []byte(xml), AcceptTerms: true}
			rev, err := documents.Submit(ctx, db, e.log, e.submitter, sub, e.now.Add(time.Duration(hours)*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			return rev
		}
		authorOf := func(name, rev string) documents.Author {
			t.Helper()
			d, err := documents.Get(ctx, db, name, rev)
			if err != nil || len(d.Latest.Authors) != 1 {
				t.Fatalf("%s-%s: %+v %v", name, rev, d.Latest.Authors, err)
			}
			return d.Latest.Authors[0]
		}
		signUp := func(name, addr, hash string) people.SignedUp {
			t.Helper()
			out, err := svc.SignUp(ctx, people.SignUpForm{Name: name, Email: addr, Password: "a long enough passphrase", AgeOK: true, Consent: true}, hash, e.now)
			if err != nil {
				t.Fatal(err)
			}
			return out
		}

		post(authoredBy("draft-test-tess", "00", "Tess Author", "tess@example.org"), 1)
		record, _, err := people.FindByEmail(ctx, db, "tess@example.org")
		if err != nil || record.HasPassword || authorOf("draft-test-tess", "00").PersonID != record.ID {
			t.Fatalf("the author's record: %+v %v", record, err)
		}

		// A stranger signs up with the address, then its owner: each is a
		// new account with a link mailed to the address, not "you already
		// have an account"; the newer ends the older.
		stranger := signUp("Mallory", "tess@example.org", "mallory's hash")
		owner := signUp("Tess Author", "Tess@example.org", "tess's hash")
		for _, s := range []people.SignedUp{stranger, owner} {
			if s.Existing || s.Token == "" || s.Person.ID == record.ID || s.Email.Address != "tess@example.org" {
				t.Fatalf("a sign-up with a draft author's address: %+v", s)
			}
		}
		if _, err := people.Get(ctx, db, stranger.Person.ID); !errors.Is(err, people.ErrNotFound) {
			t.Errorf("the stranger's sign-up was not replaced: %v", err)
		}
		if _, err := svc.ConfirmAddress(ctx, stranger.Token, e.now); !errors.Is(err, auth.ErrTokenUnknown) {
			t.Errorf("the replaced sign-up's link: %v, want %v", err, auth.ErrTokenUnknown)
		}
		// Not proved yet: the record keeps the address and a new revision
		// links to it; no reset link goes out.
		post(authoredBy("draft-test-tess", "01", "Tess Author", "tess@example.org"), 2)
		if p, _, _ := people.FindByEmail(ctx, db, "tess@example.org"); p.ID != record.ID || authorOf("draft-test-tess", "01").PersonID != record.ID {
			t.Errorf("before the link is followed the address belongs to %d, want the record %d", p.ID, record.ID)
		}
		if link, err := svc.RequestReset(ctx, "tess@example.org", e.now); err != nil || link.Token != "" {
			t.Errorf("a reset link for the unproven address: %+v %v", link, err)
		}

		if _, err := svc.ConfirmAddress(ctx, owner.Token, e.now); err != nil {
			t.Fatal(err)
		}
		p, got, err := people.FindByEmail(ctx, db, "tess@example.org")
		if err != nil || p.ID != owner.Person.ID || p.PasswordHash() != "tess's hash" || p.Name != "Tess Author" {
			t.Errorf("the address belongs to %+v (%v), want Tess's new account", p, err)
		}
		if !got.Verified() || !got.Primary || got.Origin != people.OriginSelf || !got.MailboxProven() || !got.Active {
			t.Errorf("the address after the owner's link: %+v; want her confirmed primary address, typed by her", got)
		}
		for _, rev := range []string{"00", "01"} {
			if a := authorOf("draft-test-tess", rev); a.PersonID != owner.Person.ID || a.Name != "Tess Author" || a.Email != "tess@example.org" {
				t.Errorf("revision %s's author: %+v, want linked to %d", rev, a, owner.Person.ID)
			}
		}
		if list, err := documents.List(ctx, db, "draft-test-tess", 10); err != nil || len(list) != 1 || list[0].Authors != "Tess Author" {
			t.Errorf("the list of drafts: %+v %v", list, err)
		}
		if _, err := people.Get(ctx, db, record.ID); !errors.Is(err, people.ErrNotFound) {
			t.Errorf("the record, left with no address, is still there: %v", err)
		}
		if link, err := svc.RequestReset(ctx, "tess@example.org", e.now); err != nil || link.To != "tess@example.org" {
			t.Errorf("a reset link for the proven address: %+v %v", link, err)
		}

		// An account that proved its mailbox adds another author's address.
		post(authoredBy("draft-test-bea", "00", "Bea Author", "bea@lab.example"), 3)
		bea, _, err := people.FindByEmail(ctx, db, "bea@lab.example")
		if err != nil {
			t.Fatal(err)
		}
		// Staff entered another address of Bea's on her record: the record
		// keeps it when the draft's address goes.
		staff := people.Request{Person: bea.ID, Actor: people.Actor{ID: 999, Label: "Sam Staff", Roles: []auth.Role{auth.Secretariat}}, Staff: true, Reason: "asked by phone"}
		if _, err := svc.AddAddress(ctx, staff, "bea@home.example", people.OriginStaff, e.now); err != nil {
			t.Fatal(err)
		}
		sue := people.Request{Person: e.submitter.ID, Actor: people.Actor{ID: e.submitter.ID, Label: e.submitter.Name}}
		c, err := svc.AddAddress(ctx, sue, "bea@lab.example", people.OriginSelf, e.now)
		if err != nil || c.Taken || c.To != "bea@lab.example" || c.Token == "" {
			t.Fatalf("adding a draft author's address = %+v, %v; want a link mailed to it", c, err)
		}
		if _, err := svc.ConfirmAddress(ctx, c.Token, e.now); err != nil {
			t.Fatal(err)
		}
		_, added, err := people.FindByEmail(ctx, db, "bea@lab.example")
		if err != nil || added.PersonID != e.submitter.ID || added.Primary || !added.Verified() {
			t.Errorf("the added address: %+v %v", added, err)
		}
		if a := authorOf("draft-test-bea", "00"); a.PersonID != e.submitter.ID {
			t.Errorf("the author row is linked to %d, want %d", a.PersonID, e.submitter.ID)
		}
		kept, err := people.Emails(ctx, db, bea.ID)
		if err != nil || len(kept) != 1 || kept[0].Address != "bea@home.example" || !kept[0].Primary {
			t.Errorf("the record's addresses: %+v %v; want the staff-entered one, now primary", kept, err)
		}
		h, _ := people.History(ctx, db, bea.ID)
		released := 0
		for _, c := range h {
			if c.Field == "unconfirmed address released" && c.Old+c.New == "" {
				released++
			}
		}
		if released != 1 {
			t.Errorf("the record's history: %+v; want one release that names no address", h)
		}

		// A draft naming an address held by an unconfirmed sign-up is
		// linked to no one until the address is confirmed.
		pat := signUp("Pat", "pat@example.org", "pat's hash")
		post(authoredBy("draft-test-pat", "00", "Pat Author", "pat@example.org"), 4)
		if a := authorOf("draft-test-pat", "00"); a.PersonID != 0 {
			t.Errorf("the author row is linked to the unconfirmed sign-up %d", a.PersonID)
		}
		if _, err := svc.ConfirmAddress(ctx, pat.Token, e.now); err != nil {
			t.Fatal(err)
		}
		if a := authorOf("draft-test-pat", "00"); a.PersonID != pat.Person.ID {
			t.Errorf("once confirmed, the author row is linked to %d, want %d", a.PersonID, pat.Person.ID)
		}
	})
}
