package e2e

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// signIn signs a demo account in through the login form.
func signIn(t testing.TB, ctx context.Context, srv *server, email string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/login"),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), "plenary-demo-password"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the account page", h1Contains("Your account"))
}

// TestStaffTrendsAndLogLookupInBrowser walks the two ways staff see the
// access log in a real browser against the demo site: the secretariat's
// trends page shows charts and aggregates with no address or user agent
// (U1), and only security staff may look up raw lines, with a reason, each
// look-up landing in an audit log that `plenary audit verify` finds intact
// (C3, S3).
func TestStaffTrendsAndLogLookupInBrowser(t *testing.T) {
	findChromium(t)
	srv := startServer(t, "--demo")
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(srv.output(), "usage ingestion: counted") {
		if time.Now().After(deadline) {
			t.Fatalf("the demo logs were not ingested:\n%s", srv.output())
		}
		time.Sleep(50 * time.Millisecond)
	}

	ctx := newBrowser(t, browserOptions{})
	signIn(t, ctx, srv, "secretariat@demo.example")
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/admin/analytics")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the trends page", h1Contains("Usage trends"))
	bars, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("figure.chart svg rect").length`))
	if err != nil || bars < 20 {
		t.Errorf("the trends charts have %d bars (%v), want one per day and hour", bars, err)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil {
		t.Fatalf("reading the trends page: %v", err)
	}
	for _, leak := range []string{"198.51.100.", "2001:db8::", "Mozilla/5.0", "Gecko"} {
		if strings.Contains(text, leak) {
			t.Errorf("the trends page shows %q", leak)
		}
	}
	if !strings.Contains(text, "Average daily unique visitors") || !strings.Contains(text, "Firefox") {
		t.Errorf("the trends page lacks its figures:\n%.800s", text)
	}
	screenshot(t, ctx, "admin-analytics")
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/admin/logs/lookup")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the refusal", `document.body.textContent.includes("does not have access")`)

	sec := newBrowser(t, browserOptions{})
	signIn(t, sec, srv, "security@demo.example")
	// Yesterday by UTC, as the form reads its times and the demo names its
	// log files: by the machine's own zone, east of UTC just after its
	// midnight, "yesterday" was the UTC day that the range ends at.
	today := time.Now().UTC()
	err = chromedp.Do(sec,
		chromedp.Navigate(srv.URL+"/admin/logs/lookup"),
		chromedp.SendKeys(chromedp.CSS("#addr"), "198.51.100.0/24"),
		chromedp.SetValue(chromedp.CSS("#from"), today.AddDate(0, 0, -1).Format("2006-01-02")+"T00:00"),
		chromedp.SetValue(chromedp.CSS("#to"), today.Format("2006-01-02")+"T00:00"),
		chromedp.Click(chromedp.CSS(`input[name="reason"][value="diagnosis"]`)),
		chromedp.SendKeys(chromedp.CSS("#note"), "slow pages reported yesterday"),
		chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, sec, "the look-up results", `document.querySelectorAll("table.loglines tbody tr").length > 0`)
	screenshot(t, sec, "admin-logs-lookup")
	url, err := chromedp.Run(sec, chromedp.Evaluate[string](`location.href`))
	if err != nil {
		t.Fatalf("reading the look-up page's address: %v", err)
	}
	if strings.Contains(url, "198.51.100") {
		t.Errorf("the searched address is in the URL %s", url)
	}

	out, err := exec.Command(binary, "audit", "verify", "--data", srv.DataDir).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "audit log intact") {
		t.Fatalf("audit verify: %v\n%s", err, out)
	}
	var entries int
	fmt.Sscanf(string(out)[strings.Index(string(out), "intact: ")+len("intact: "):], "%d", &entries)
	if entries < 1 {
		t.Errorf("audit log has %d entries after a look-up: %s", entries, out)
	}
	for _, l := range srv.logLines(t) {
		if strings.Contains(l, "/admin/logs/lookup") && strings.Contains(l, "198.51.100.0") {
			t.Errorf("the searched range reached the access log: %s", l)
		}
	}
}
