package dsr_test

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"plenary/internal/dsr"
	"plenary/internal/lists"
	"plenary/internal/mail"
	"plenary/internal/people"
	"plenary/internal/policy"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

var confirmRE = regexp.MustCompile(`/lists/[a-z0-9-]+/confirm/([a-z0-9]+)`)

// TestAddressOnlySubscriberIsFoundAfterUnsubscribing is C5 with R2 and
// R4 on both engines: someone subscribes to a discussion group with an
// address alone, confirms and unsubscribes, which deletes the
// subscription's row. Later they open an account with that address. Their
// export still lists the consent and its withdrawal, tied to the address;
// an approved removal keeps both entries as the inventory says (the
// ledger is append-only proof) and the scan reports them as kept.
func TestAddressOnlySubscriberIsFoundAfterUnsubscribing(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		box := &mail.Outbox{}
		svc := &lists.Service{DB: db, Audit: f.log, Policy: f.people.Policy, Mail: box,
			Domain: "lists.example.org", BaseURL: "https://site.example", Org: "Test Org", Now: func() time.Time { return now }}
		if _, err := svc.Create(ctx, lists.Actor{Label: "test"}, lists.NewList{Name: "wg-c5", Description: "C5", Posting: lists.PostOpen}); err != nil {
			t.Fatal(err)
		}
		subscribe := func(addr string) lists.Subscription {
			t.Helper()
			if err := svc.Subscribe(ctx, "wg-c5", addr, 0); err != nil {
				t.Fatal(err)
			}
			m, _ := box.Last(addr)
			link := confirmRE.FindStringSubmatch(m.Body)
			if link == nil {
				t.Fatalf("no confirmation link to %s:\n%s", addr, m.Body)
			}
			sub, err := svc.Confirm(ctx, link[1])
			if err != nil {
				t.Fatal(err)
			}
			return sub
		}
		sub := subscribe("Sam@Example.net")
		subscribe("other@example.net") // a bystander who stays subscribed
		if _, err := svc.Unsubscribe(ctx, sub.Token, policy.ChannelWeb); err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM list_subscriptions WHERE id = ?", sub.ID); n != 0 {
			t.Fatalf("the subscription's row is still there after unsubscribing")
		}

		su, err := f.people.SignUp(ctx, people.SignUpForm{Name: "Sam Subscriber", Email: "sam@example.net", Password: "a long enough password", AgeOK: true, Consent: true}, "hash", now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.people.ConfirmAddress(ctx, su.Token, now); err != nil {
			t.Fatal(err)
		}
		sam := su.Person.ID

		e, err := dsr.MakeExport(ctx, db, f.log, f.inv, nil, dsr.Actor{ID: sam, Label: "the person"}, sam, "json", now)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, tb := range e.Tables {
			if tb.Table != "consent_ledger" {
				continue
			}
			purpose, granted, channel, email := slices.Index(tb.Columns, "purpose"), slices.Index(tb.Columns, "granted"), slices.Index(tb.Columns, "channel"), slices.Index(tb.Columns, "email")
			if purpose < 0 || granted < 0 || channel < 0 || email < 0 {
				t.Fatalf("the export's consent ledger lacks a column: %v", tb.Columns)
			}
			for _, r := range tb.Rows {
				if strings.Contains(r[purpose], "wg-c5") {
					given := map[string]string{"1": "given", "true": "given", "0": "withdrawn", "false": "withdrawn"}[r[granted]]
					got = append(got, given+" "+r[channel]+" "+r[email])
				}
			}
		}
		want := []string{"given web Sam@example.net", "withdrawn web Sam@example.net"}
		if !slices.Equal(got, want) {
			t.Fatalf("the export lists the subscription's ledger entries as %q, want %q", got, want)
		}

		id, err := dsr.RequestRemoval(ctx, db, f.log, sam, "", now)
		if err != nil {
			t.Fatal(err)
		}
		d, err := dsr.Decide(ctx, db, f.log, f.inv, dsr.Actor{ID: 9001, Label: "Pat Privacy"}, id, every(true), "nothing requires keeping it", now)
		if err != nil {
			t.Fatal(err)
		}
		// The account's own entries (sign-up) and the two of the
		// subscription stay, as the inventory declares.
		if n := d.Outcome.Kept["consent_ledger"]; n < 2 {
			t.Errorf("the removal accounted for %d ledger entries, want the subscription's two among them", n)
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM consent_ledger WHERE LOWER(email) = 'sam@example.net'"); n != 2 {
			t.Errorf("%d ledger entries keep the address after the removal, want 2 (the ledger is append-only)", n)
		}
		sendDecision(t, f, "sam@example.net") // then the reply address goes
		hits, err := (&dsr.Scanner{DB: db, Inv: f.inv, DataDir: t.TempDir()}).Scan(ctx, []string{"sam@example.net"})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hits {
			if h.Kept == "" {
				t.Errorf("after the removal the scan finds %s, not declared as kept", h.Place())
			}
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM list_subscriptions WHERE email = 'other@example.net'"); n != 1 {
			t.Error("the bystander's subscription is gone")
		}
	})
}
