package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"plenary/internal/lists"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestListLinksBelongToTheirList checks the mailed links' pages and POSTs
// against the list their address names, on both engines: a link of
// another list, a made-up token or a list that does not exist answers
// 404 with a way on and changes nothing; an expired confirmation link
// answers 410; a spent unsubscribe link claims no success; the right
// links still work.
func TestListLinksBelongToTheirList(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := newAccountSite(t, siteOptions{DB: db, Args: []string{"--mail-domain", "lists.example.org"}})
		svc := a.Server.listService()
		for _, name := range []string{"discuss", "wg-http", "sandbox"} {
			if _, err := svc.Create(ctx, lists.Actor{Label: "test"}, lists.NewList{Name: name, Description: "The " + name + " list", Posting: "open", Archive: "public"}); err != nil {
				t.Fatal(err)
			}
		}
		subscribe := func(list, addr string, confirm bool) string {
			t.Helper()
			if err := svc.Subscribe(ctx, list, addr, 0); err != nil {
				t.Fatal(err)
			}
			var token string
			if err := db.QueryRow(ctx, "SELECT s.token FROM list_subscriptions s JOIN lists l ON l.id = s.list_id WHERE l.name = ? AND s.email = ?", list, addr).Scan(&token); err != nil {
				t.Fatal(err)
			}
			if confirm {
				if _, err := svc.Confirm(ctx, token); err != nil {
					t.Fatal(err)
				}
			}
			return token
		}
		httpTok := subscribe("wg-http", "hal@example.net", true)
		sandboxTok := subscribe("sandbox", "sam@example.net", false)
		oldTok := subscribe("discuss", "old@example.net", false)
		if _, err := db.Exec(ctx, "UPDATE list_subscriptions SET created_at = ? WHERE token = ?", time.Now().UTC().AddDate(0, 0, -lists.PendingDays-1), oldTok); err != nil {
			t.Fatal(err)
		}
		if err := listMailHandler(svc).Receive(ctx, inboundFrom("bo@example.net", "wg-http", "By mail", "Hello.")); err != nil {
			t.Fatal(err)
		}
		var termsTok string
		if err := db.QueryRow(ctx, "SELECT token FROM list_contributors WHERE email = 'bo@example.net'").Scan(&termsTok); err != nil {
			t.Fatal(err)
		}
		state := func() string {
			t.Helper()
			return strings.Join([]string{
				strings.Repeat("s", count(t, db, "SELECT COUNT(*) FROM list_subscriptions")),
				strings.Repeat("c", count(t, db, "SELECT COUNT(*) FROM list_subscriptions WHERE confirmed_at IS NOT NULL")),
				strings.Repeat("a", count(t, db, "SELECT COUNT(*) FROM list_contributors WHERE accepted_at IS NOT NULL")),
				strings.Repeat("p", count(t, db, "SELECT COUNT(*) FROM list_posts WHERE status = 'published'")),
			}, "/")
		}
		before := state()
		visitor := a.browser(t)
		oneClick := func(path string) response {
			return a.do(t, "POST", path, strings.NewReader("List-Unsubscribe=One-Click"), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
		}
		for _, c := range []struct {
			path   string
			status int
			wayOn  string
		}{
			{"/lists/nosuch/unsubscribe/forged", 404, `action="/lists"`},
			{"/lists/nosuch/confirm/forged", 404, `action="/lists"`},
			{"/lists/nosuch/terms/forged", 404, `action="/lists"`},
			{"/lists/discuss/unsubscribe/forged", 404, `action="/lists/discuss"`},
			{"/lists/discuss/unsubscribe/" + httpTok, 404, `action="/lists/discuss"`},
			{"/lists/wg-http/confirm/" + sandboxTok, 404, `action="/lists/wg-http"`},
			{"/lists/sandbox/unsubscribe/" + sandboxTok + "x", 404, `action="/lists/sandbox"`},
			{"/lists/discuss/terms/" + termsTok, 404, `action="/lists/discuss"`},
			{"/lists/discuss/confirm/" + oldTok, 410, `action="/lists/discuss"`},
		} {
			for _, res := range []response{visitor.get(c.path), visitor.post(c.path, nil), oneClick(c.path)} {
				if res.Status != c.status || !strings.Contains(res.Body, "nothing was changed") && !strings.Contains(res.Body, "Nothing was changed") ||
					!strings.Contains(res.Body, c.wayOn) || strings.Contains(res.Body, "You are") || strings.Contains(res.Body, "Thank you") {
					t.Errorf("%s: %d %.600s", c.path, res.Status, res.Body)
				}
			}
			if got := state(); got != before {
				t.Fatalf("%s changed the store: %s, was %s", c.path, got, before)
			}
		}

		// The right links work, once.
		if res := visitor.get("/lists/sandbox/confirm/" + sandboxTok); res.Status != 200 || !strings.Contains(res.Body, "sam@example.net") {
			t.Errorf("the sandbox's own confirmation page: %d", res.Status)
		}
		if res := visitor.post("/lists/sandbox/confirm/"+sandboxTok, nil); res.Status != 200 || !strings.Contains(res.Body, "You are subscribed") {
			t.Errorf("the sandbox's own confirmation: %d %.300s", res.Status, res.Body)
		}
		if res := visitor.get("/lists/wg-http/terms/" + termsTok); res.Status != 200 {
			t.Errorf("the terms page of the posting's list: %d", res.Status)
		}
		if res := oneClick("/lists/wg-http/unsubscribe/" + httpTok); res.Status != 200 || !strings.Contains(res.Body, "You are unsubscribed") || !strings.Contains(res.Body, "wg-http@lists.example.org") {
			t.Errorf("the one-click POST of wg-http's own link: %d %.300s", res.Status, res.Body)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_subscriptions WHERE token = ?", httpTok); n != 0 {
			t.Errorf("the one-click POST left the subscription")
		}
		if res := oneClick("/lists/wg-http/unsubscribe/" + httpTok); res.Status != 404 || strings.Contains(res.Body, "You are unsubscribed") {
			t.Errorf("a spent one-click link: %d %.300s", res.Status, res.Body)
		}
	})
}
