package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"plenary/internal/auth"
	"plenary/internal/lists"
	"plenary/internal/people"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestStaffEnteredAddressOpensNoListData: an address staff enter on an
// account is confirmed by a link mailed to the person's primary address,
// which shows they want it there, not that they read its mailbox. Mo has
// staff enter Vera's address (asked by phone) and confirms it from his own
// mailbox; Vera, who has no account, subscribes to a list whose archive is
// for subscribers only and writes by mail. Mo must not see or end her
// subscription on /account, must not read the archive through it, and her
// posting by mail must not become his: not on /account, not in his
// export with the link to accept the terms for her, not postable under
// from the web. It used to be all of these.
func TestStaffEnteredAddressOpensNoListData(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := newAccountSite(t, siteOptions{DB: db, Args: []string{"--mail-domain", "lists.example.org"}})
		a.makeStaff(t, "Sam Staff", "sam@org.example", auth.Secretariat)
		sec := a.signIn(t, "sam@org.example")
		for _, l := range []url.Values{
			{"name": {"secretwg"}, "description": {"Closed work"}, "posting": {"open"}, "archive": {"subscribers"}},
			{"name": {"wg-open"}, "description": {"Open work"}, "posting": {"open"}, "archive": {"public"}},
		} {
			if res := sec.post("/admin/lists", l); res.Status != http.StatusSeeOther {
				t.Fatalf("creating %s: %d %.300s", l.Get("name"), res.Status, res.Body)
			}
		}
		// Vera subscribes from the web; Olga writes to the list by mail.
		vera := a.browser(t)
		if res := vera.post("/lists/secretwg/subscribe", url.Values{"email": {"vera@example.net"}}); res.Status != 200 {
			t.Fatalf("subscribing: %d %.300s", res.Status, res.Body)
		}
		if res := vera.post(a.mailedListLink(t, "vera@example.net"), nil); res.Status != 200 {
			t.Fatalf("confirming: %d %.300s", res.Status, res.Body)
		}
		h := listMailHandler(a.Server.listService())
		if err := h.Receive(ctx, inboundFrom("olga@example.net", "secretwg", "CONFIDENTIAL merger plan", "Only for the group.")); err != nil {
			t.Fatal(err)
		}
		if res := a.browser(t).post(a.mailedListLink(t, "olga@example.net"), nil); res.Status != 200 || !strings.Contains(res.Body, "Your posting is published.") {
			t.Fatalf("accepting the terms: %d %.300s", res.Status, res.Body)
		}
		var msgID, subID int64
		if err := db.QueryRow(ctx, "SELECT id FROM list_posts WHERE subject = 'CONFIDENTIAL merger plan' AND status = 'published'").Scan(&msgID); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow(ctx, "SELECT id FROM list_subscriptions WHERE email = 'vera@example.net' AND confirmed_at IS NOT NULL").Scan(&subID); err != nil {
			t.Fatal(err)
		}

		// Staff enter Vera's address on Mo's account; Mo confirms it
		// with the link mailed to his own primary address.
		mid := a.signUp(t, "Mo Curious", "mo@example.org")
		if res := sec.post("/admin/people/"+itoa(mid)+"/emails", url.Values{"email": {"vera@example.net"}, "origin": {"staff"}, "reason": {"asked by phone"}}); res.Status != http.StatusSeeOther {
			t.Fatalf("adding the address: %d %.300s", res.Status, res.Body)
		}
		mo := a.signIn(t, "mo@example.org")
		if res := mo.post("/verify/"+a.mailedToken(t, "mo@example.org", "verify"), nil); res.Status/100 != 2 && res.Status/100 != 3 {
			t.Fatalf("confirming the staff-entered address from the primary: %d %.300s", res.Status, res.Body)
		}
		_, e, err := people.FindByEmail(ctx, db, "vera@example.net")
		if err != nil || !e.Verified() || e.PersonID != mid {
			t.Fatalf("the staff-entered address is not confirmed on Mo's account (%+v, %v), so the case was not tried", e, err)
		}

		// Vera's first posting, by mail after that: held until she
		// accepts the terms with the link mailed to her.
		if err := h.Receive(ctx, inboundFrom("vera@example.net", "wg-open", "Vera's held first words", "Words before the terms.")); err != nil {
			t.Fatal(err)
		}
		var token string
		if err := db.QueryRow(ctx, "SELECT token FROM list_contributors WHERE email = 'vera@example.net'").Scan(&token); err != nil {
			t.Fatal(err)
		}

		acct := mo.get("/account")
		if acct.Status != 200 || strings.Contains(acct.Body, "secretwg") || strings.Contains(acct.Body, fmt.Sprintf("/account/lists/%d/unsubscribe", subID)) {
			t.Errorf("Mo's /account lists Vera's subscription: %d", acct.Status)
		}
		if strings.Contains(acct.Body, "Vera&#39;s held first words") || strings.Contains(acct.Body, "Vera's held first words") || strings.Contains(acct.Body, "CONFIDENTIAL") {
			t.Error("Mo's /account lists Vera's postings")
		}
		if res := mo.get(fmt.Sprintf("/lists/secretwg/msg/%d", msgID)); res.Status != http.StatusForbidden || strings.Contains(res.Body, "Only for the group") {
			t.Errorf("Mo reading the subscribers-only archive: %d", res.Status)
		}
		if res := mo.get("/lists/secretwg"); strings.Contains(res.Body, "CONFIDENTIAL") {
			t.Error("the list page shows Mo the subscribers-only archive")
		}
		if res := mo.get("/lists/secretwg/mbox"); res.Status != http.StatusForbidden || strings.Contains(res.Body, "CONFIDENTIAL") {
			t.Errorf("Mo downloading the subscribers-only archive: %d", res.Status)
		}
		if res := mo.post(fmt.Sprintf("/account/lists/%d/unsubscribe", subID), nil); res.Status != http.StatusNotFound {
			t.Errorf("Mo ending Vera's subscription: %d, want 404", res.Status)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_subscriptions WHERE id = ?", subID); n != 1 {
			t.Error("Vera's subscription is gone")
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_contributors WHERE email = 'vera@example.net' AND person_id IS NULL"); n != 1 {
			t.Error("Vera's postings by mail are linked to an account")
		}
		if export := mo.get("/account/export?format=json"); export.Status != 200 || strings.Contains(export.Body, token) || strings.Contains(export.Body, "held first words") {
			t.Errorf("Mo's export holds Vera's posting or her link to accept the terms: %d", export.Status)
		}

		// Made his primary address, Vera's still posts nothing from the
		// web in her name, nor accepts the terms for her.
		if res := mo.post(fmt.Sprintf("/account/emails/%d/primary", e.ID), nil); res.Status != http.StatusSeeOther {
			t.Fatalf("making the address primary: %d %.300s", res.Status, res.Body)
		}
		res := mo.post("/lists/wg-open/post", url.Values{"subject": {"In Vera's name"}, "body": {"Mo's words."}, "accept_terms": {"1"}})
		if res.Status != http.StatusConflict || !strings.Contains(res.Body, "not shown that its mailbox is yours") {
			t.Errorf("Mo posting from the web under Vera's address: %d %.300s", res.Status, res.Body)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_contributors WHERE email = 'vera@example.net' AND person_id IS NULL AND accepted_at IS NULL AND name <> 'Mo Curious'"); n != 1 {
			t.Error("Mo's web posting took over Vera's sender record")
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_posts WHERE subject = 'In Vera''s name'"); n != 0 {
			t.Error("Mo's web posting under Vera's address was kept")
		}
		if res := a.browser(t).get("/lists/wg-open"); strings.Contains(res.Body, "held first words") {
			t.Error("Vera's held posting was published without her accepting the terms")
		}
		var status string
		if err := db.QueryRow(ctx, "SELECT status FROM list_posts WHERE subject = 'Vera''s held first words'").Scan(&status); err != nil || status != "held-terms" {
			t.Errorf("Vera's first posting is %q (%v), want still held for the terms", status, err)
		}
	})
}

// TestReleasedTextSaysWhatBecameOfThePostings: the page after accepting
// the contribution terms says which waiting postings were published and
// which wait for moderators.
func TestReleasedTextSaysWhatBecameOfThePostings(t *testing.T) {
	const mods = " the list's moderators, who will tell you by mail what they decide."
	for _, c := range []struct {
		n    lists.Released
		want string
	}{
		{lists.Released{}, "No posting of yours was waiting for it."},
		{lists.Released{Published: 1}, "Your posting is published."},
		{lists.Released{Moderated: 1}, "Your posting now waits for" + mods},
		{lists.Released{Published: 3}, "Your 3 postings are published."},
		{lists.Released{Moderated: 2}, "Your 2 postings now wait for" + mods},
		{lists.Released{Published: 2, Moderated: 1}, "2 of your postings are published; 1 waits for" + mods},
		{lists.Released{Published: 1, Moderated: 2}, "1 of your postings is published; 2 wait for" + mods},
	} {
		if got := releasedText(c.n); got != c.want {
			t.Errorf("%+v: %q, want %q", c.n, got, c.want)
		}
	}
}
