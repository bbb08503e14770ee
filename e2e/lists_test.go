package e2e

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

var (
	listConfirmLink = regexp.MustCompile(`https://plenary\.test(/lists/wg-http/confirm/[a-z0-9]+)`)
	listUnsubLink   = regexp.MustCompile(`^<https://plenary\.test(/lists/wg-http/unsubscribe/[a-z0-9]+)>, <mailto:wg-http-unsubscribe@plenary\.test>$`)
)

// TestDiscussionGroupInBrowser walks G1, PUB1 and D1 in headless Chromium
// on each engine, on the demo site with a real SMTP server: a participant
// subscribes to a list, follows the mailed link and confirms with the
// page's button; posts from the web (accepting the contribution terms when
// asked); receives the posting by mail with RFC 2369/8058 headers; finds it
// with the archive search, the words marked; sees the subscription and the
// posting on /account; and leaves by the RFC 8058 one-click POST a mail
// program sends to the List-Unsubscribe link the message carries, after
// which /account no longer shows the subscription.
func TestDiscussionGroupInBrowser(t *testing.T) {
	findChromium(t)
	engines(t, func(t *testing.T, db []string) {
		mb := startHeaderMailbox(t)
		srv := startServer(t, append(db, "--demo", "--base-url", "https://plenary.test",
			"--smtp", "smtp://"+mb.Addr+"?tls=none&from=noreply@plenary.test")...)
		tim := newBrowser(t, browserOptions{})
		signIn(t, tim, srv, "tim@demo.example")

		// Subscribe with the address the form starts with, Tim's own, and
		// confirm through the mailed link's button.
		if err := chromedp.Do(tim, chromedp.Navigate(srv.URL+"/lists/wg-http")); err != nil {
			t.Fatal(err)
		}
		waitFor(t, tim, "the subscribe form holding Tim's address", `document.querySelector("#email").value === "tim@demo.example"`)
		err := chromedp.Do(tim,
			chromedp.Click(chromedp.CSS(`form[action="/lists/wg-http/subscribe"] button[type="submit"]`)),
		)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, tim, "the confirm-by-mail notice", h1Contains("Please confirm by e-mail"))
		confirm := mb.wait(t, "tim@demo.example", "Confirm your subscription")
		link := listConfirmLink.FindStringSubmatch(confirm.Body)
		if link == nil {
			t.Fatalf("no confirmation link in %q", confirm.Body)
		}
		if err := chromedp.Do(tim, chromedp.Navigate(srv.URL+link[1])); err != nil {
			t.Fatal(err)
		}
		waitFor(t, tim, "the confirmation page", h1Contains("Confirm your subscription"))
		if err := chromedp.Do(tim, chromedp.Click(chromedp.CSS(`main form button[type="submit"]`))); err != nil {
			t.Fatal(err)
		}
		waitFor(t, tim, "the subscribed page", h1Contains("You are subscribed"))

		// Post from the web; the terms box is there before a first posting.
		err = chromedp.Do(tim,
			chromedp.Navigate(srv.URL+"/lists/wg-http/post"),
			chromedp.SendKeys(chromedp.CSS("#subject"), "Quokka caching semantics"),
			chromedp.SendKeys(chromedp.CSS("#body"), "Should the quokka directive override max-age?"),
		)
		if err != nil {
			t.Fatal(err)
		}
		ticked, err := chromedp.Run(tim, chromedp.Evaluate[bool](`(() => { const c = document.querySelector("#accept_terms"); if (c) { c.click(); } return !!c; })()`))
		if err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(tim, chromedp.Click(chromedp.CSS(`form[action="/lists/wg-http/post"] button[type="submit"]`))); err != nil {
			t.Fatal(err)
		}
		waitFor(t, tim, "the published posting", h1Contains("Quokka caching semantics"))
		t.Logf("terms box shown and ticked: %v", ticked)
		screenshot(t, tim, "list-message")

		// It is distributed through the real SMTP server.
		msg := mb.wait(t, "tim@demo.example", "Quokka caching semantics")
		if got := msg.Header.Get("List-Unsubscribe-Post"); got != "List-Unsubscribe=One-Click" {
			t.Errorf("List-Unsubscribe-Post %q", got)
		}
		lu := listUnsubLink.FindStringSubmatch(msg.Header.Get("List-Unsubscribe"))
		if lu == nil {
			t.Fatalf("List-Unsubscribe %q", msg.Header.Get("List-Unsubscribe"))
		}

		// Found by search, the word marked.
		err = chromedp.Do(tim,
			chromedp.Navigate(srv.URL+"/lists/search"),
			chromedp.SendKeys(chromedp.CSS("#q"), "quokka directive"),
			chromedp.Click(chromedp.CSS(`main form[role="search"] button[type="submit"]`)),
		)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, tim, "the search result", `[...document.querySelectorAll("ol.results mark")].some(m => m.textContent === "Quokka")`)
		screenshot(t, tim, "list-search")
		if err := chromedp.Do(tim, chromedp.Click(chromedp.CSS(`ol.results li.hit h3 a`))); err != nil {
			t.Fatal(err)
		}
		waitFor(t, tim, "the posting from the results", h1Contains("Quokka caching semantics"))

		// /account shows the subscription and the posting.
		subscribedRows := `[...document.querySelectorAll('form[action^="/account/lists/"]')].filter(f => f.closest("tr").textContent.includes("wg-http")).length`
		if err := chromedp.Do(tim, chromedp.Navigate(srv.URL+"/account")); err != nil {
			t.Fatal(err)
		}
		waitFor(t, tim, "the subscription on /account", subscribedRows+" === 1")
		waitFor(t, tim, "the posting on /account", `[...document.querySelectorAll("table a")].some(a => a.textContent === "Quokka caching semantics" && a.getAttribute("href").startsWith("/lists/wg-http/msg/"))`)

		// The message's link opens a page whose GET changes nothing.
		if err := chromedp.Do(tim, chromedp.Navigate(srv.URL+lu[1])); err != nil {
			t.Fatal(err)
		}
		waitFor(t, tim, "the unsubscribe page", h1Contains("Leave wg-http"))
		screenshot(t, tim, "list-unsubscribe")

		// The mail program's RFC 8058 one-click: a POST of
		// List-Unsubscribe=One-Click to the List-Unsubscribe URL, with no
		// cookie and no form of ours, ends the live subscription.
		oneClick := func() (int, string) {
			t.Helper()
			res, err := http.Post(srv.URL+lu[1], "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, err := io.ReadAll(res.Body)
			if err != nil {
				t.Fatal(err)
			}
			return res.StatusCode, string(b)
		}
		if status, body := oneClick(); status != http.StatusOK || !strings.Contains(body, "You are unsubscribed") {
			t.Fatalf("one-click POST: %d %.300s", status, body)
		}
		if err := chromedp.Do(tim, chromedp.Navigate(srv.URL+"/account")); err != nil {
			t.Fatal(err)
		}
		waitFor(t, tim, "/account without the subscription", `document.querySelector("#postings") !== null && `+subscribedRows+" === 0")
		// The link is spent: the unsubscribe page and a second one-click
		// say nothing was changed, and claim no success.
		if status, body := oneClick(); status != http.StatusNotFound || strings.Contains(body, "You are unsubscribed") {
			t.Errorf("one-click POST of a spent link: %d %.300s", status, body)
		}
		if err := chromedp.Do(tim, chromedp.Navigate(srv.URL+lu[1])); err != nil {
			t.Fatal(err)
		}
		waitFor(t, tim, "the spent link's page", `document.querySelector("main").textContent.includes("nothing was changed")`)
	})
}
