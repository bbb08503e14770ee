package lists_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"plenary/internal/lists"
	"plenary/internal/mail"
	"plenary/internal/people"
	"plenary/internal/policy"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestConcurrentFirstPostingsOfOneAddress: one person's first postings,
// sent at the same moment (two tabs, or two instances behind a proxy,
// as bench/crash found on PostgreSQL), are all taken, under one
// contributor, instead of one of them failing on the unique address.
func TestConcurrentFirstPostingsOfOneAddress(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		e.list(t, "wg-race", lists.PostOpen)
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				_, errs[i] = e.svc.Post(ctx, lists.Draft{List: "wg-race", Name: "Racer", Email: "racer@example.net",
					Subject: fmt.Sprintf("Posting %d", i), Body: "b", AcceptTerms: true, Channel: policy.ChannelWeb})
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("posting %d: %v", i, err)
			}
		}
		if got := count(t, db, "SELECT COUNT(*) FROM list_contributors WHERE email = ?", "racer@example.net"); got != 1 {
			t.Errorf("%d contributors for one address, want 1", got)
		}
		if got := count(t, db, "SELECT COUNT(*) FROM list_posts"); got != n {
			t.Errorf("%d postings stored, want %d", got, n)
		}
	})
}

// TestConcurrentCrossPostsInEitherOrder: cross-posts naming the same two
// lists in opposite orders, at the same moment, all land on both lists.
// On PostgreSQL each posting locks its list for list_threads; taken in
// the order the message names them, two such transactions deadlock and
// one is refused.
func TestConcurrentCrossPostsInEitherOrder(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		e.list(t, "wg-east", lists.PostOpen)
		e.list(t, "wg-west", lists.PostOpen)
		const n = 12
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			names := []string{"wg-east", "wg-west"}
			if i%2 == 1 {
				names = []string{"wg-west", "wg-east"}
			}
			wg.Go(func() {
				_, errs[i] = e.svc.PostEach(ctx, lists.Draft{Name: "Crosser", Email: fmt.Sprintf("crosser%d@example.net", i),
					Subject: fmt.Sprintf("Cross-post %d", i), Body: "b", AcceptTerms: true, Channel: policy.ChannelEmail}, names)
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("cross-post %d: %v", i, err)
			}
		}
		if got := count(t, db, "SELECT COUNT(*) FROM list_posts WHERE status = ?", lists.Published); got != 2*n {
			t.Errorf("%d postings published, want %d", got, 2*n)
		}
	})
}

// TestConcurrentSameMessageIsOneDuplicateAnswer: one message to three
// lists arriving on several connections at once, naming the lists in
// different orders, is taken once; every other copy gets the
// permanent "posted already" refusal, also when it passed the duplicate
// check before the first one committed (PostgreSQL's unique index then
// answers), never a temporary failure that makes the sender try again.
func TestConcurrentSameMessageIsOneDuplicateAnswer(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		names := []string{"wg-dup", "wg-dup2", "wg-dup3"}
		for _, l := range names {
			e.list(t, l, lists.PostOpen)
		}
		e.post(t, "wg-dup", "Warm", "warm@example.net", "Warm-up", "So the sender has accepted the terms.")
		const n = 12
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			order := []string{names[i%3], names[(i+1)%3], names[(i+2)%3]}
			wg.Go(func() {
				_, errs[i] = e.svc.PostEach(ctx, lists.Draft{Name: "Warm", Email: "warm@example.net", MessageID: "<same@example.net>",
					Subject: "Once", Body: "b", Channel: policy.ChannelEmail}, order)
			})
		}
		wg.Wait()
		taken := 0
		for i, err := range errs {
			var refused *mail.Refusal
			switch {
			case err == nil:
				taken++
			case errors.As(err, &refused) && strings.Contains(refused.Message, "posted already"):
			default:
				t.Errorf("copy %d: %v, want taken or refused as posted already", i, err)
			}
		}
		if taken != 1 {
			t.Errorf("%d copies taken, want 1", taken)
		}
	})
}

// TestPostingWithoutADisplayNameKeepsTheAddressHidden: a message whose From
// has no display name is attributed to the masked local part, not the
// whole one, which beside the masked address would spell it out.
func TestPostingWithoutADisplayNameKeepsTheAddressHidden(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		e.list(t, "wg-noname", lists.PostOpen)
		p := e.post(t, "wg-noname", "", "zed.secret@private.example", "No name", "Hello.")
		if strings.Contains(p.Author, "secret") || p.Author != "ze…" {
			t.Errorf("author %q, want the masked local part ze…", p.Author)
		}
	})
}

// TestForgedNameGivesWayToTheAccount: a message that claims someone's
// address with a made-up name (anyone can write a From) names the
// contributor until the address's signed-in owner posts; from then on
// their postings, the forged one too, carry the account's name.
func TestForgedNameGivesWayToTheAccount(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		e.list(t, "wg-names", lists.PostOpen)
		if _, err := e.svc.Post(ctx, lists.Draft{List: "wg-names", Name: "Totally Fake Name", Email: "tim@example.net", Subject: "Forged",
			Body: "b", Channel: policy.ChannelEmail}); err != nil {
			t.Fatal(err)
		}
		p, _, err := people.Create(ctx, db, people.New{Name: "Tim Berners", Email: "tim@example.net", Origin: people.OriginSelf, Verified: true}, e.now)
		if err != nil {
			t.Fatal(err)
		}
		tim := p.ID
		res, err := e.svc.Post(ctx, lists.Draft{List: "wg-names", Name: "Tim Berners", Email: "tim@example.net", PersonID: tim, Subject: "Real",
			Body: "b", AcceptTerms: true, Channel: policy.ChannelWeb})
		if err != nil {
			t.Fatal(err)
		}
		if res.Posting.Author != "Tim Berners" {
			t.Errorf("the account holder's posting is by %q, want Tim Berners", res.Posting.Author)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_contributors WHERE name = 'Totally Fake Name'"); n != 0 {
			t.Errorf("the forged name is still on %d contributors", n)
		}
	})
}
