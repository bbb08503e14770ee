package lists_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"plenary/internal/lists"
	"plenary/internal/people"
	"plenary/internal/policy"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestDisabledSubscriptionsAndDeliveryRecordsExpire is U3 and C5 on both
// engines. A subscription disabled after bounces is deleted once it has
// been disabled longer than its days, with its delivery and bounce
// records, a withdrawal in the consent ledger on the bounce channel (tied
// to the address, or to the account of a signed-in subscriber) and an
// audit entry; one re-enabled in time stays. Delivery records go by age
// whether or not their subscription lasts.
func TestDisabledSubscriptionsAndDeliveryRecordsExpire(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		e.list(t, "wg-s", lists.PostOpen)
		gone := e.subscribe(t, "wg-s", "gone@example.net")
		back := e.subscribe(t, "wg-s", "back@example.net")
		stay := e.subscribe(t, "wg-s", "stay@example.net")
		p, _, err := people.Create(ctx, db, people.New{Name: "Pat", Email: "pat@example.org", Origin: people.OriginSelf, Verified: true}, e.now)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Subscribe(ctx, "wg-s", "pat@example.org", p.ID); err != nil {
			t.Fatal(err)
		}
		pat, err := e.svc.Confirm(ctx, e.link(t, "pat@example.org"))
		if err != nil || pat.PersonID != p.ID {
			t.Fatalf("the signed-in subscription: %+v, %v", pat, err)
		}
		res, err := e.svc.Post(ctx, lists.Draft{List: "wg-s", Name: "Ann", Email: "ann@example.net", Subject: "Hello", Body: "text", AcceptTerms: true, Channel: policy.ChannelWeb})
		if err != nil {
			t.Fatal(err)
		}
		for _, sub := range []lists.Subscription{gone, back, stay, pat} {
			if _, err := db.Exec(ctx, "INSERT INTO list_deliveries (post_id, subscription_id, sent_at) VALUES (?, ?, ?)", res.Posting.ID, sub.ID, e.now); err != nil {
				t.Fatal(err)
			}
		}
		for _, sub := range []lists.Subscription{gone, back, pat} {
			token := strings.TrimSuffix(strings.TrimPrefix(lists.BounceAddress("wg-s", sub.ID, sub.Token, "x"), "wg-s-bounces+"), "@x")
			for range lists.BounceLimit {
				if err := e.svc.RecordBounce(ctx, "wg-s", token, "5.1.1"); err != nil {
					t.Fatal(err)
				}
			}
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_subscriptions WHERE disabled_at IS NOT NULL"); n != 3 {
			t.Fatalf("%d disabled subscriptions, want 3", n)
		}
		// back subscribes again within the days and confirms: enabled.
		e.now = e.now.AddDate(0, 0, 10)
		if err := e.svc.Subscribe(ctx, "wg-s", "back@example.net", 0); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Confirm(ctx, e.link(t, "back@example.net")); err != nil {
			t.Fatal(err)
		}

		aud := e.svc.Audit
		sweep := func(at time.Time) (disabled, deliveries int64) {
			t.Helper()
			err := db.Tx(ctx, func(tx *store.Tx) error {
				var err error
				if deliveries, err = lists.SweepDeliveries(ctx, tx, at, 90); err != nil {
					return err
				}
				disabled, err = lists.SweepDisabled(ctx, tx, aud, at, 30)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return disabled, deliveries
		}
		start := e.now.AddDate(0, 0, -10)
		if d, n := sweep(start.AddDate(0, 0, 29)); d != 0 || n != 0 {
			t.Fatalf("29 days on, the sweep removed %d subscriptions and %d delivery records, want none", d, n)
		}
		if d, n := sweep(start.AddDate(0, 0, 31)); d != 2 || n != 0 {
			t.Fatalf("31 days on, the sweep removed %d subscriptions and %d delivery records, want 2 and 0", d, n)
		}
		for _, sub := range []lists.Subscription{gone, pat} {
			if n := count(t, db, "SELECT COUNT(*) FROM list_subscriptions WHERE id = ?", sub.ID); n != 0 {
				t.Errorf("subscription of %s is still there", sub.Email)
			}
			for _, table := range []string{"list_deliveries", "list_bounces"} {
				if n := count(t, db, "SELECT COUNT(*) FROM "+table+" WHERE subscription_id = ?", sub.ID); n != 0 {
					t.Errorf("%d rows of %s are left of %s's subscription", n, table, sub.Email)
				}
			}
			if n := count(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'lists.remove-disabled' AND subject = ?", "subscription:"+itoa(sub.ID)); n != 1 {
				t.Errorf("%d audit entries for the removal of %s's subscription, want 1", n, sub.Email)
			}
		}
		purpose := lists.PurposeSubscription("wg-s")
		want := []ledgerRow{{purpose, true, policy.ChannelWeb}, {purpose, false, policy.ChannelBounce}}
		if got := ledger(t, db, "subscription_id", gone.ID); !slices.Equal(got, want) {
			t.Errorf("ledger of the address-only subscription = %v, want %v", got, want)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM consent_ledger WHERE email = 'gone@example.net'"); n != 2 {
			t.Errorf("%d ledger entries name gone@example.net, want 2", n)
		}
		if got := ledger(t, db, "person_id", p.ID); !slices.Equal(got, want) {
			t.Errorf("ledger of the signed-in subscriber = %v, want %v", got, want)
		}
		for _, sub := range []lists.Subscription{back, stay} {
			if n := count(t, db, "SELECT COUNT(*) FROM list_subscriptions WHERE id = ? AND disabled_at IS NULL", sub.ID); n != 1 {
				t.Errorf("the subscription of %s is gone or disabled", sub.Email)
			}
		}
		if d, n := sweep(start.AddDate(0, 0, 91)); d != 0 || n != 2 {
			t.Fatalf("91 days on, the sweep removed %d subscriptions and %d delivery records, want 0 and 2", d, n)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_subscriptions"); n != 2 {
			t.Errorf("%d subscriptions after the sweeps, want 2 (back and stay)", n)
		}
		if r, err := aud.Verify(ctx, nil); err != nil || !r.OK() {
			t.Errorf("audit chain: %+v, %v", r, err)
		}
	})
}
