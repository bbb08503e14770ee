package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestIPRDisclosureInBrowser: on each engine with the demo content, a
// participant reaches the disclosure form from the navigation, is told a
// posted disclosure is public, sends one naming a demo draft with the
// contact kept private; the secretariat posts it from the review queue;
// the draft's page then lists it and its public page hides the contact
// (PUB1).
func TestIPRDisclosureInBrowser(t *testing.T) {
	findChromium(t)
	engines(t, func(t *testing.T, db []string) {
		srv := startServer(t, append(db, "--demo")...)
		b := newBrowser(t, browserOptions{})
		signIn(t, b, srv, "tim@demo.example")
		err := chromedp.Do(b,
			chromedp.Click(chromedp.CSS(`header a[href="/ipr"]`)),
		)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, b, "the list of disclosures", h1Contains("IPR disclosures"))
		if err := chromedp.Do(b, chromedp.Click(chromedp.CSS(`main a[href="/ipr/new"]`))); err != nil {
			t.Fatal(err)
		}
		waitFor(t, b, "the disclosure form", h1Contains("Disclose intellectual property"))
		notice, _ := chromedp.Run(b, chromedp.Text(chromedp.CSS("#public")))
		if !strings.Contains(notice, "public") {
			t.Errorf("the form does not say the disclosure will be public: %q", notice)
		}
		err = chromedp.Do(b,
			chromedp.SendKeys(chromedp.CSS("#title"), "Tim's statement on derived communities"),
			chromedp.SendKeys(chromedp.CSS("#holder"), "Tim Holdings Ltd"),
			chromedp.SendKeys(chromedp.CSS("#contact_name"), "Tim Participant"),
			chromedp.SendKeys(chromedp.CSS("#contact_email"), "tim@demo.example"),
			chromedp.SendKeys(chromedp.CSS("#drafts"), "draft-ietf-idr-rt-derived-community"),
			chromedp.SendKeys(chromedp.CSS("#patents"), "US 1,234,567 B2 (example), granted"),
			chromedp.SetValue(chromedp.CSS("#licensing"), "reasonable"),
			chromedp.Click(chromedp.CSS(`#accept_terms`)),
			chromedp.Click(chromedp.CSS(`form[action="/ipr/new"] button[type="submit"]`)),
		)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, b, "the confirmation on the account page", `document.readyState === "complete" && document.body.textContent.includes("Your disclosure was received.")`)
		screenshot(t, b, "ipr-sent")

		staff := newBrowser(t, browserOptions{})
		signIn(t, staff, srv, "secretariat@demo.example")
		if err := chromedp.Do(staff, chromedp.Navigate(srv.URL+"/admin/ipr")); err != nil {
			t.Fatal(err)
		}
		waitFor(t, staff, "the review queue", h1Contains("IPR disclosures: review"))
		if err := chromedp.Do(staff, chromedp.Click(chromedp.CSS(`form[action="/admin/ipr/2"] button[value="post"]`))); err != nil {
			t.Fatal(err)
		}
		waitFor(t, staff, "the decision", `document.readyState === "complete" && document.body.textContent.includes("The disclosure is posted.")`)

		if err := chromedp.Do(b, chromedp.Navigate(srv.URL+"/drafts/draft-ietf-idr-rt-derived-community")); err != nil {
			t.Fatal(err)
		}
		waitFor(t, b, "the draft page", `document.readyState === "complete"`)
		if err := chromedp.Do(b, chromedp.Click(chromedp.CSS(`main a[href="/ipr/2"]`))); err != nil {
			t.Fatal(err)
		}
		waitFor(t, b, "the disclosure page", `document.readyState === "complete" && `+h1Contains("IPR disclosure 2"))
		page, _ := chromedp.Run(b, chromedp.Text(chromedp.CSS("main")))
		for _, want := range []string{"Tim Holdings Ltd", "US 1,234,567 B2 (example), granted", "Reasonable and non-discriminatory", "the discloser chose to keep the contact private"} {
			if !strings.Contains(page, want) {
				t.Errorf("the disclosure page lacks %q:\n%.1500s", want, page)
			}
		}
		screenshot(t, b, "ipr-posted")
	})
}
