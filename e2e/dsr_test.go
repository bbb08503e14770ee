package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestRemovalInBrowser walks R2, R4 and U4 in a real browser on the demo
// site, on both engines: a participant opens the copy of their data and
// asks for removal; an admin decides it kind by kind (postings kept, the
// rest removed) with reasons and looks at the disclosure register; then
// `plenary dsr scan` finds the participant nowhere outside the declared
// kept records.
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
		// Decided kind by kind: the postings stay (under a pseudonym), the
		// rest goes.
		actions := []chromedp.Action[chromedp.Void]{chromedp.SendKeys(chromedp.CSS(`main form input[name="reason"]`), "No record requires keeping it.")}
		for _, c := range []string{"account", "inquiries", "registrations", "drafts"} {
			actions = append(actions, chromedp.Click(chromedp.CSS(`main form input[name="decision-`+c+`"][value="approve"]`)))
		}
		actions = append(actions,
			chromedp.Click(chromedp.CSS(`main form input[name="decision-postings"][value="decline"]`)),
			chromedp.SendKeys(chromedp.CSS(`main form input[name="reason-postings"]`), "The archive is a public record."),
			chromedp.Click(chromedp.CSS(`main form button[value="each"]`)),
		)
		if err := chromedp.Do(admin, actions...); err != nil {
			t.Fatal(err)
		}
		waitFor(t, admin, "the approval notice", `document.body.textContent.includes("The approved removals are carried out")`)
		waitFor(t, admin, "the decision per kind", `document.body.textContent.includes("postings: kept (The archive is a public record.)")`)
		screenshot(t, admin, "admin-removals")

		// The disclosure register, with the demo's example entry.
		if err := chromedp.Do(admin, chromedp.Click(chromedp.CSS(`header a[href="/admin/disclosures"]`))); err != nil {
			t.Fatal(err)
		}
		waitFor(t, admin, "the disclosure register", h1Contains("Disclosures required by law"))
		waitFor(t, admin, "the demo entry", `document.body.textContent.includes("Example District Court")`)
		screenshot(t, admin, "admin-disclosures")

		if err := chromedp.Do(tim, chromedp.Navigate(srv.URL+"/account")); err != nil {
			t.Fatal(err)
		}
		waitFor(t, tim, "the sign-in page", h1Contains("Sign in"))

		// The decision is mailed by the job queue, which then forgets the
		// address; the scan waits for that, a few seconds at most.
		args := append([]string{"dsr", "scan", "--email", "tim@demo.example", "--name", "Tim Participant", "--data", srv.DataDir}, db...)
		var stdout string
		for try := 0; ; try++ {
			code, out, stderr := run(t, args...)
			if code != 0 && code != 1 {
				t.Fatalf("dsr scan: exit %d %s", code, stderr)
			}
			stdout = out
			if !strings.Contains(out, "column reply_to") || try == 30 {
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
		for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
			if line != "nothing found" && !strings.Contains(line, "(kept: ") {
				t.Errorf("left after the removal: %s", line)
			}
		}
	})
}
