package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/chromedp"
)

// publicPages are the pages anyone reads, with text each must show.
var publicPages = []struct {
	path, title, heading string
}{
	{"/", "Home · Example Standards Organization", "Example Standards Organization"},
	{"/privacy", "Privacy · Example Standards Organization", "Privacy statement of Example Standards Organization"},
	{"/privacy/cookies", "Cookies · Example Standards Organization", "Cookies"},
	{"/privacy/versions", "Privacy statement versions · Example Standards Organization", "Privacy statement versions"},
	{"/contact", "Contact · Example Standards Organization", "Contact"},
}

// TestNoCookieBrowsing checks K3 and C1 in a real browser, on each engine:
// the public pages render with their stylesheet in a browser that blocks
// every cookie, a browser that accepts cookies ends the visit holding none,
// and each page view is in the access log with the browser's user agent.
func TestNoCookieBrowsing(t *testing.T) {
	findChromium(t)
	engines(t, func(t *testing.T, db []string) {
		srv := startServer(t, db...)
		for _, mode := range []struct {
			name  string
			block bool
		}{{"cookies blocked", true}, {"cookies allowed", false}} {
			t.Run(mode.name, func(t *testing.T) {
				ctx := newBrowser(t, browserOptions{BlockCookies: mode.block})
				if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/healthz")); err != nil {
					t.Fatal(err)
				}
				enabled, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`navigator.cookieEnabled`))
				if err != nil {
					t.Fatal(err)
				}
				if enabled == mode.block {
					t.Fatalf("navigator.cookieEnabled = %v in a browser with cookies blocked=%v", enabled, mode.block)
				}
				for _, p := range publicPages {
					if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+p.path)); err != nil {
						t.Fatalf("loading %s: %v", p.path, err)
					}
					title, err := chromedp.Run(ctx, chromedp.Title())
					if err != nil {
						t.Fatal(err)
					}
					heading, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
					if err != nil {
						t.Fatal(err)
					}
					if title != p.title || strings.TrimSpace(heading) != p.heading {
						t.Errorf("%s: title %q, heading %q; want %q, %q", p.path, title, heading, p.title, p.heading)
					}
					// The stylesheet loaded and the Content-Security-Policy
					// let it apply.
					styled, err := chromedp.Run(ctx, chromedp.Evaluate[bool](
						`document.styleSheets.length === 1 && document.styleSheets[0].cssRules.length > 10 && getComputedStyle(document.querySelector("header.site")).borderBottomStyle === "solid"`))
					if err != nil || !styled {
						t.Errorf("%s: stylesheet not applied (%v)", p.path, err)
					}
					if p.path == "/privacy" && !mode.block {
						screenshot(t, ctx, "privacy")
					}
				}
				// Follow a link the way a reader does.
				if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/privacy/versions"), chromedp.Click(chromedp.CSS(`td a[href^="/privacy/versions/"]`))); err != nil {
					t.Fatal(err)
				}
				if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("article.statement"))); err != nil {
					t.Fatal(err)
				}
				loc, err := chromedp.Run(ctx, chromedp.Location())
				if err != nil {
					t.Fatalf("reading the address: %v", err)
				}
				if !strings.Contains(loc, "/privacy/versions/") {
					t.Errorf("following the first version's link went to %s", loc)
				}
				docCookie, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.cookie`))
				if err != nil || docCookie != "" {
					t.Errorf("document.cookie = %q (%v)", docCookie, err)
				}
				jar, err := chromedp.CallBrowser(ctx, storage.GetCookies, storage.GetCookiesParams{})
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range jar.Cookies {
					t.Errorf("the browser holds a cookie after reading the site: %s for %s", c.Name, c.Domain)
				}
			})
		}
		// Every page view is in the log, with the browser's user agent.
		srv.waitForLog(t, `"GET /privacy/versions/1 HTTP/1.1" 200`)
		var views int
		for _, l := range srv.logLines(t) {
			if strings.Contains(l, `"GET /privacy HTTP/1.1" 200 `) && strings.Contains(l, "Chrome/") {
				views++
			}
		}
		if views != 2 {
			t.Errorf("%d logged views of /privacy by Chromium, want 2:\n%s", views, strings.Join(srv.logLines(t), "\n"))
		}
	})
}
