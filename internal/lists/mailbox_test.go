package lists_test

import (
	"context"
	"errors"
	"testing"

	"plenary/internal/auth"
	"plenary/internal/dsr"
	"plenary/internal/lists"
	"plenary/internal/mail"
	"plenary/internal/people"
	"plenary/internal/policy"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestStaffEnteredAddressOpensNoListData: an address staff enter on an
// account is confirmed by a link mailed to the person's primary address,
// which shows they want it there, not that they read its mailbox. On the
// lists such an address must count for nothing: not the subscription of
// the stranger who does read it (not listed, not ended, no
// subscribers-only archive through it), not their postings by mail (not
// linked to the account), not a web posting under it. An address the
// person typed and confirmed from its own mailbox, beside it, counts, so
// the test sees the rule and not a lists package that links nothing.
func TestStaffEnteredAddressOpensNoListData(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		if _, err := e.svc.Create(ctx, lists.Actor{Label: "test"}, lists.NewList{Name: "wg-secret", Description: "Closed work", Posting: lists.PostOpen, Archive: lists.ArchiveSubscribers}); err != nil {
			t.Fatal(err)
		}
		e.list(t, "wg-open", lists.PostOpen)
		// Vera has no account; she subscribes and writes by mail.
		vera := e.subscribe(t, "wg-secret", "vera@example.net")

		ps := &people.Service{DB: db, Audit: e.svc.Audit, Policy: e.svc.Policy}
		mo, _, err := people.Create(ctx, db, people.New{Name: "Mo Curious", Email: "mo@example.org", Origin: people.OriginSelf, Verified: true}, e.now)
		if err != nil {
			t.Fatal(err)
		}
		sam, _, err := people.Create(ctx, db, people.New{Name: "Sam Staff", Email: "sam@org.example", Origin: people.OriginSelf, Verified: true,
			Roles: []auth.Role{auth.Participant, auth.Secretariat}}, e.now)
		if err != nil {
			t.Fatal(err)
		}
		// Staff enter Vera's address on Mo's account (asked by phone); Mo
		// confirms it with the link mailed to mo@example.org.
		staff := people.Request{Person: mo.ID, Actor: people.Actor{ID: sam.ID, Label: "Sam Staff", Roles: []auth.Role{auth.Secretariat}}, Staff: true, Reason: "asked by phone"}
		c, err := ps.AddAddress(ctx, staff, "vera@example.net", people.OriginStaff, e.now)
		if err != nil || c.Token == "" {
			t.Fatalf("staff adding the address: %+v, %v", c, err)
		}
		if _, err := ps.ConfirmAddress(ctx, c.Token, e.now); err != nil {
			t.Fatal(err)
		}
		// Mo's own second address, typed and confirmed from its mailbox.
		own := people.Request{Person: mo.ID, Actor: people.Actor{ID: mo.ID, Label: "Mo Curious"}}
		c, err = ps.AddAddress(ctx, own, "mo.work@example.org", people.OriginSelf, e.now)
		if err != nil || c.Token == "" {
			t.Fatalf("adding Mo's own address: %+v, %v", c, err)
		}
		if _, err := ps.ConfirmAddress(ctx, c.Token, e.now); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM person_emails WHERE person_id = ? AND verified_at IS NOT NULL", mo.ID); n != 3 {
			t.Fatalf("Mo has %d confirmed addresses, want 3 (so the case was not tried)", n)
		}
		moSub := e.subscribe(t, "wg-open", "mo.work@example.org")

		subs, err := lists.SubscriptionsOf(ctx, db, mo.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range subs {
			got = append(got, s.List+" "+s.Email)
		}
		if len(got) != 1 || got[0] != "wg-open mo.work@example.org" {
			t.Errorf("Mo's subscriptions = %q, want only [wg-open mo.work@example.org]", got)
		}
		secret, err := lists.Get(ctx, db, "wg-secret")
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := lists.CanRead(ctx, db, secret, mo.ID); err != nil || ok {
			t.Errorf("Mo reads the subscribers-only archive through Vera's subscription: %v, %v", ok, err)
		}
		readable, err := lists.Readable(ctx, db, mo.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range readable {
			if l.Name == "wg-secret" {
				t.Error("search offers Mo the subscribers-only archive through Vera's subscription")
			}
		}
		if _, err := e.svc.UnsubscribeMine(ctx, mo.ID, vera.ID); !errors.Is(err, lists.ErrNoSuchLink) {
			t.Errorf("Mo ending Vera's subscription from /account: %v, want ErrNoSuchLink", err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_subscriptions WHERE id = ?", vera.ID); n != 1 {
			t.Error("Vera's subscription is gone")
		}
		if _, err := e.svc.UnsubscribeMine(ctx, mo.ID, moSub.ID); err != nil {
			t.Errorf("Mo ending his own subscription: %v", err)
		}

		// Subscribing while signed in links Mo's own address, not Vera's.
		if err := e.svc.Subscribe(ctx, "wg-open", "vera@example.net", mo.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Subscribe(ctx, "wg-secret", "mo.work@example.org", mo.ID); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_subscriptions WHERE email = 'vera@example.net' AND person_id IS NOT NULL"); n != 0 {
			t.Errorf("%d of Vera's subscriptions linked to an account", n)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_subscriptions WHERE email = 'mo.work@example.org' AND person_id = ?", mo.ID); n != 1 {
			t.Errorf("%d of Mo's own subscriptions linked to him, want 1", n)
		}

		// Vera's first posting by mail, held for the terms, and one from
		// Mo's own address: Vera's is not linked to Mo, his is.
		h := &lists.MailHandler{Service: e.svc}
		for _, in := range []mail.Inbound{
			{From: "vera@example.net", Local: "wg-open", Subject: "Held for Vera", Text: "Vera's words.", MessageID: "<v1@example.net>"},
			{From: "mo.work@example.org", Local: "wg-open", Subject: "Mo by mail", Text: "Mo's words.", MessageID: "<m1@example.org>"},
		} {
			if err := h.Receive(ctx, in); err != nil {
				t.Fatal(err)
			}
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_contributors WHERE email = 'vera@example.net' AND person_id IS NULL"); n != 1 {
			t.Errorf("Vera's posting by mail is linked to an account (%d unlinked senders of her address, want 1)", n)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_contributors WHERE email = 'mo.work@example.org' AND person_id = ?", mo.ID); n != 1 {
			t.Errorf("Mo's posting by mail from his own address is not linked to him")
		}
		subject, err := dsr.LoadSubject(ctx, db, mo.ID)
		if err != nil {
			t.Fatal(err)
		}
		mine, _, err := lists.PostingsBy(ctx, db, mo.ID, subject.Addresses, lists.AccountPostings)
		if err != nil {
			t.Fatal(err)
		}
		if len(mine) != 1 || mine[0].Email != "mo.work@example.org" {
			t.Errorf("Mo's postings = %+v, want his own one only", mine)
		}

		// With Vera's address made his primary one, Mo cannot post from
		// the web under it: that would speak in her name and accept the
		// terms for her held posting.
		_, err = e.svc.Post(ctx, lists.Draft{List: "wg-open", Name: "Mo Curious", Email: "vera@example.net", PersonID: mo.ID,
			Subject: "From the web", Body: "Mo's words.", AcceptTerms: true, Channel: policy.ChannelWeb})
		if !errors.Is(err, lists.ErrNotYourMailbox) {
			t.Errorf("Mo posting from the web under Vera's address: %v, want ErrNotYourMailbox", err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_contributors WHERE email = 'vera@example.net' AND person_id IS NULL AND name <> 'Mo Curious' AND accepted_at IS NULL"); n != 1 {
			t.Error("Mo's refused web posting changed Vera's sender record")
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_posts"); n != 2 {
			t.Errorf("%d postings after the refused one, want the 2 by mail", n)
		}
	})
}
