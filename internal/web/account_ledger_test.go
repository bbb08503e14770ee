package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"plenary/internal/auth"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestAccountShowsConsentGivenBeforeTheAccount: a visitor subscribes to a
// discussion group with their address alone, confirms, and leaves it;
// later they sign up with that address and prove it. "What you agreed
// to" on /account shows the subscription and its end, as their export
// does: the entries are theirs, though no account held them then.
func TestAccountShowsConsentGivenBeforeTheAccount(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		a := newAccountSite(t, siteOptions{DB: db, Args: []string{"--mail-domain", "lists.example.org"}})
		a.makeStaff(t, "Sam Secretariat", "sam@example.org", auth.Secretariat)
		staff := a.signIn(t, "sam@example.org")
		if res := staff.post("/admin/lists", url.Values{"name": {"wg-before"}, "description": {"Before accounts"}, "posting": {"open"}, "archive": {"public"}}); res.Status != http.StatusSeeOther {
			t.Fatalf("creating a list: %d", res.Status)
		}
		visitor := a.browser(t)
		if res := visitor.post("/lists/wg-before/subscribe", url.Values{"email": {"vic@example.net"}}); res.Status != 200 {
			t.Fatalf("subscribing: %d", res.Status)
		}
		confirm := a.mailedListLink(t, "vic@example.net")
		if res := visitor.post(confirm, nil); res.Status != 200 {
			t.Fatalf("confirming: %d", res.Status)
		}
		if res := visitor.post(strings.Replace(confirm, "/confirm/", "/unsubscribe/", 1), nil); res.Status != 200 {
			t.Fatalf("leaving: %d %.300s", res.Status, res.Body)
		}

		a.signUp(t, "Vic Visitor", "vic@example.net")
		vic := a.signIn(t, "vic@example.net")
		page := vic.get("/account")
		const purpose = "receiving the discussion group wg-before by e-mail"
		given := strings.Count(page.Body, purpose+`</td><td data-label="Given or withdrawn">given</td>`)
		withdrawn := strings.Count(page.Body, purpose+`</td><td data-label="Given or withdrawn">withdrawn</td>`)
		if given != 1 || withdrawn != 1 {
			t.Errorf("/account shows the subscription made before the account given %d and withdrawn %d times, want once each", given, withdrawn)
		}
		export := vic.get("/account/export?format=json")
		if !strings.Contains(export.Body, "wg-before") {
			t.Error("the export does not hold the subscription's entries either")
		}
	})
}
