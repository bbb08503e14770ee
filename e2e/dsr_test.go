package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestRemovalInBrowser walks R2 and R4 in a real browser on the demo site,
// on both engines: a participant opens the copy of their data and asks for
// removal; an admin approves it with a reason; then `plenary dsr scan`
// finds the participant nowhere outside the declared kept records.
func TestRemovalInBrowser(t *testing.T) {
	findChromium(t)
	engines(t, func(t *testing.T, db []string) {
		srv := startServer(t, append(db, "--demo")...)
		tim := newBrowser(t, browserOptions{})
		signIn(t, tim, srv, "tim@demo.example")
		if err := chromedp.Do(tim, chromedp.Click(chromedp.CSS(`main a[href="/account/export"]`))); err != nil {
			t.Fatal(err)
		}
		waitFor(t, tim, "the copy of the data", h1Contains("Your data"))
		text, _ := chromedp.Run(tim, chromedp.Text(chromedp.CSS("main")))
		for _, want := range []string{"tim@demo.example", "Tim Participant", "not part of this copy"} {
			if !strings.Contains(text, want) {
				t.Errorf("the copy lacks %q", want)
			}
		}
		screenshot(t, tim, "account-export")
		err := chromedp.Do(tim,
			chromedp.Navigate(srv.URL+"/account"),
			chromedp.SendKeys(chromedp.CSS("#removal-note"), "Please remove my account."),
			chromedp.Click(chromedp.CSS(`form[action="/account/removal"] input[name="confirm"]`)),
			chromedp.Click(chromedp.CSS(`form[action="/account/removal"] button[type="submit"]`)),
		)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, tim, "the pending notice", `document.body.textContent.includes("Your request for removal is with our staff")`)

		admin := newBrowser(t, browserOptions{})
		signIn(t, admin, srv, "admin@demo.example")
		err = chromedp.Do(admin,
			chromedp.Click(chromedp.CSS(`header a[href="/admin/removals"]`)),
		)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, admin, "the removal queue", h1Contains("Removal requests"))
		err = chromedp.Do(admin,
			chromedp.SendKeys(chromedp.CSS(`main form input[name="reason"]`), "No record requires keeping it."),
			chromedp.Click(chromedp.CSS(`main form button[value="approve"]`)),
		)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, admin, "the approval notice", `document.body.textContent.includes("The removal is carried out")`)
		screenshot(t, admin, "admin-removals")

		if err := chromedp.Do(tim, chromedp.Navigate(srv.URL+"/account")); err != nil {
			t.Fatal(err)
		}
		waitFor(t, tim, "the sign-in page", h1Contains("Sign in"))

		args := append([]string{"dsr", "scan", "--email", "tim@demo.example", "--name", "Tim Participant", "--data", srv.DataDir}, db...)
		code, stdout, stderr := run(t, args...)
		if code != 0 && code != 1 {
			t.Fatalf("dsr scan: exit %d %s", code, stderr)
		}
		for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
			if line != "nothing found" && !strings.Contains(line, "(kept: ") {
				t.Errorf("left after the removal: %s", line)
			}
		}
	})
}
