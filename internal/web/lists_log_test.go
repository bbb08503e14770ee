package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"plenary/internal/lists"
)

// TestListLinksStayOutOfTheAccessLog: the links a discussion group mails
// (confirm a subscription, leave it, accept the terms) carry a token after
// the list's name, /lists/NAME/ACTION/TOKEN. Whoever holds one confirms,
// ends or publishes in the name of the person it was mailed to, so, as for
// /reset/TOKEN (TestMailedTokensStayOutOfTheAccessLog), the access log
// records neither the page's own request nor the button's POST with the
// token, nor the page's address sent as the referrer of its stylesheet, and
// the page asks the browser to send no referrer at all. They used to be
// logged whole, with Referrer-Policy: same-origin.
func TestListLinksStayOutOfTheAccessLog(t *testing.T) {
	a := newAccountSite(t, siteOptions{Args: []string{"--mail-domain", "lists.example.org"}})
	ctx := context.Background()
	svc := a.Server.listService()
	if _, err := svc.Create(ctx, lists.Actor{Label: "test"}, lists.NewList{Name: "wg-log", Description: "Logged", Posting: lists.PostOpen}); err != nil {
		t.Fatal(err)
	}
	b := a.browser(t)
	if res := b.post("/lists/wg-log/subscribe", url.Values{"email": {"lou@example.net"}}); res.Status != 200 {
		t.Fatalf("subscribing: %d %.300s", res.Status, res.Body)
	}
	confirm := a.mailedListLink(t, "lou@example.net")
	if err := listMailHandler(svc).Receive(ctx, inboundFrom("bo@example.net", "wg-log", "By mail", "Hello.")); err != nil {
		t.Fatal(err)
	}
	terms := a.mailedListLink(t, "bo@example.net")
	var token string
	if err := a.DB.QueryRow(ctx, "SELECT token FROM list_subscriptions WHERE email = 'lou@example.net'").Scan(&token); err != nil {
		t.Fatal(err)
	}
	unsubscribe := "/lists/wg-log/unsubscribe/" + token
	stylesheet := regexp.MustCompile(`href="(/static/[^"]+\.css)"`)

	requests := 1 // the subscription
	var secrets []string
	for _, link := range []string{confirm, terms, unsubscribe} {
		secrets = append(secrets, link[strings.LastIndexByte(link, '/')+1:])
		page := b.get(link)
		if page.Status != 200 {
			t.Fatalf("%s: %d %.300s", link, page.Status, page.Body)
		}
		if got := page.Header.Get("Referrer-Policy"); got != "no-referrer" {
			t.Errorf("%s: Referrer-Policy %q, want no-referrer", link, got)
		}
		css := stylesheet.FindStringSubmatch(page.Body)
		if css == nil {
			t.Fatalf("%s links no stylesheet", link)
		}
		// A browser that sends the referrer all the same.
		b.header.Set("Referer", a.URL+link)
		b.get(css[1])
		b.header.Del("Referer")
		if res := b.post(link, nil); res.Status != 200 {
			t.Fatalf("pressing the button of %s: %d %.300s", link, res.Status, res.Body)
		}
		requests += 3
	}
	if len(secrets[0]) < 20 || len(secrets[1]) < 20 {
		t.Fatalf("the mailed links hold no tokens: %q", secrets)
	}

	lines := a.waitForLines(t, requests)
	all := strings.Join(lines, "\n")
	for _, tok := range secrets {
		if strings.Contains(all, tok) {
			t.Errorf("the access log holds the token %s:\n%s", tok, all)
		}
	}
	for _, want := range []string{
		`"GET /lists/wg-log/confirm/[token] `, `"POST /lists/wg-log/confirm/[token] `,
		`"GET /lists/wg-log/terms/[token] `, `"POST /lists/wg-log/terms/[token] `,
		`"GET /lists/wg-log/unsubscribe/[token] `, `"POST /lists/wg-log/unsubscribe/[token] `,
		`"` + a.URL + `/lists/wg-log/confirm/[token]"`, `"` + a.URL + `/lists/wg-log/terms/[token]"`, `"` + a.URL + `/lists/wg-log/unsubscribe/[token]"`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("the access log lacks %s:\n%s", want, all)
		}
	}
}

// tokenRoutes are the routes whose path holds a mailed or handed-out
// token, written down here: every one must reach the access log as
// "[token]". A new route with a {token} fails
// TestEveryTokenRouteStaysOutOfTheAccessLog until it is added.
var tokenRoutes = map[string]string{
	"GET /verify/{token}":                    "/verify/",
	"POST /verify/{token}":                   "/verify/",
	"GET /reset/{token}":                     "/reset/",
	"POST /reset/{token}":                    "/reset/",
	"GET /signin/{token}":                    "/signin/",
	"POST /signin/{token}":                   "/signin/",
	"GET /mailings/confirm/{token}":          "/mailings/confirm/",
	"POST /mailings/confirm/{token}":         "/mailings/confirm/",
	"GET /unsubscribe/{token}":               "/unsubscribe/",
	"POST /unsubscribe/{token}":              "/unsubscribe/",
	"GET /lists/{name}/confirm/{token}":      "/lists/wg-x/confirm/",
	"POST /lists/{name}/confirm/{token}":     "/lists/wg-x/confirm/",
	"GET /lists/{name}/unsubscribe/{token}":  "/lists/wg-x/unsubscribe/",
	"POST /lists/{name}/unsubscribe/{token}": "/lists/wg-x/unsubscribe/",
	"GET /lists/{name}/terms/{token}":        "/lists/wg-x/terms/",
	"POST /lists/{name}/terms/{token}":       "/lists/wg-x/terms/",
	"GET /registrations/{token}":             "/registrations/",
	"POST /registrations/{token}/pay":        "/registrations/",
	"POST /registrations/{token}/check":      "/registrations/",
	"GET /registrations/{token}/receipt":     "/registrations/",
	"POST /registrations/{token}/cancel":     "/registrations/",
	"POST /registrations/{token}/refund":     "/registrations/",
}

// TestEveryTokenRouteStaysOutOfTheAccessLog sends a request to each route
// of tokenRoutes with a token of its own, and one more with that address as
// its referrer, and reads the access log: no token is in it, each request
// is logged with "[token]" in its place, and each GET page asks for no
// referrer.
func TestEveryTokenRouteStaysOutOfTheAccessLog(t *testing.T) {
	s := newSite(t, siteOptions{})
	for _, r := range s.Server.Routes() {
		if _, ok := tokenRoutes[r.Pattern]; strings.Contains(r.Pattern, "{token}") && !ok {
			t.Errorf("route %q holds a token and is not in tokenRoutes: write down how its path begins", r.Pattern)
		}
	}
	var secrets, wants []string
	n := 0
	for pattern, prefix := range tokenRoutes {
		method, rest, _ := strings.Cut(pattern, " ")
		tok := fmt.Sprintf("sEcReT%02dtOkEn", len(secrets))
		_, tail, _ := strings.Cut(rest, "{token}")
		path := prefix + tok + tail
		secrets = append(secrets, tok)
		wants = append(wants, `"`+method+" "+prefix+"[token]"+tail+" ", `"`+s.URL+prefix+"[token]"+tail+`"`)
		res := s.do(t, method, path, nil, nil)
		if got := res.Header.Get("Referrer-Policy"); method == "GET" && got != "no-referrer" {
			t.Errorf("%s: Referrer-Policy %q, want no-referrer", pattern, got)
		}
		s.do(t, "GET", "/privacy", nil, http.Header{"Referer": {s.URL + path}})
		n += 2
	}
	all := strings.Join(s.waitForLines(t, n), "\n")
	for _, tok := range secrets {
		if strings.Contains(all, tok) {
			t.Errorf("the access log holds the token %s", tok)
		}
	}
	for _, want := range wants {
		if !strings.Contains(all, want) {
			t.Errorf("the access log lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("the access log:\n%s", all)
	}
}
