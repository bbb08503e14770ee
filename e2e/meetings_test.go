package e2e

import (
	"net"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// freeAddr returns a loopback address with a port free at the moment, for
// a server whose --base-url must name its own port before it starts.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestMeetingRegistrationAndPaymentInBrowser registers for the demo
// meeting in headless Chromium, signed in as a demo participant, and pays
// on the test processor's own page, on another origin (P1): a declined
// card (4000000000000002) brings the browser back to a clear message with
// the registration unpaid; the good card brings it back to a
// confirmation. The confirmation mail reaches a real SMTP server, and the
// printable receipt is on /account (issue 10).
func TestMeetingRegistrationAndPaymentInBrowser(t *testing.T) {
	findChromium(t)
	engines(t, func(t *testing.T, db []string) {
		mb := startMailbox(t)
		addr := freeAddr(t)
		srv := startServer(t, append(db, "--demo", "--addr", addr, "--base-url", "http://"+addr,
			"--smtp", "smtp://"+mb.Addr+"?tls=none&from=noreply@plenary.test")...)
		ctx := newBrowser(t, browserOptions{})
		signIn(t, ctx, srv, "tim@demo.example")

		// From the meetings page to the demo meeting's form.
		err := chromedp.Do(ctx,
			chromedp.Navigate(srv.URL+"/meetings"),
			chromedp.Click(chromedp.CSS(`main a[href^="/meetings/"]`)),
		)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, "the meeting's page", `document.querySelector('a[href$="/register"]') !== null`)
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`main a[href$="/register"]`))); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, "the registration form", `document.querySelector('form input[name="ticket"]') !== null`)
		// Signed in, the form starts with Tim's name and address.
		waitFor(t, ctx, "the form holding Tim's address", `document.querySelector("#email").value === "tim@demo.example"`)
		err = chromedp.Do(ctx,
			chromedp.SendKeys(chromedp.CSS("#postal_address"), "7 Harbour Lane\nPorto"),
			chromedp.Click(chromedp.Search(`//label[contains(., "Full: EUR 450.00")]/input`)),
			chromedp.Click(chromedp.CSS(`#age_ok`)),
			chromedp.Click(chromedp.CSS(`#consent`)),
			chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)),
		)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, "the registration's page", h1Contains("Your registration for"))
		waitFor(t, ctx, "the unpaid state", `document.body.textContent.includes("waiting for payment")`)
		regPath, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname`))
		if err != nil || !strings.HasPrefix(regPath, "/registrations/") {
			t.Fatalf("the registration's page is at %q (%v)", regPath, err)
		}
		if m := mb.wait(t, "tim@demo.example"); !strings.Contains(m.Body, regPath) {
			t.Errorf("the confirmation mail lacks the registration's link:\n%s", m.Body)
		}
		screenshot(t, ctx, "registration-unpaid")

		// pay goes to the processor's page, checks it is on another
		// origin, types the card there and waits to be back.
		pay := func(number string) {
			t.Helper()
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`form[action$="/pay"] button[type="submit"]`))); err != nil {
				t.Fatal(err)
			}
			waitFor(t, ctx, "the test processor's page", `document.querySelector('input[name="cvc"]') !== null`)
			here, err := chromedp.Run(ctx, chromedp.Location())
			if err != nil {
				t.Fatal(err)
			}
			u, err := url.Parse(here)
			if err != nil || u.Host == addr || !strings.HasPrefix(u.Path, "/checkout/") {
				t.Fatalf("the card is typed at %s, not on the processor's own origin", here)
			}
			screenshot(t, ctx, "processor-"+number[len(number)-4:])
			err = chromedp.Do(ctx,
				chromedp.SendKeys(chromedp.CSS("#name"), "Tim Participant"),
				chromedp.SendKeys(chromedp.CSS("#number"), number),
				chromedp.SendKeys(chromedp.CSS("#exp_month"), "11"),
				chromedp.SendKeys(chromedp.CSS("#exp_year"), "2031"),
				chromedp.SendKeys(chromedp.CSS("#cvc"), "123"),
				chromedp.Click(chromedp.CSS(`form button[type="submit"]`)),
			)
			if err != nil {
				t.Fatal(err)
			}
			waitFor(t, ctx, "the way back to the registration", `location.host === `+strconv.Quote(addr)+` && location.pathname === `+strconv.Quote(regPath))
		}

		pay("4000000000000002")
		waitFor(t, ctx, "the decline message", `document.body.textContent.includes("Your card was declined")`)
		text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
		if err != nil || !strings.Contains(text, "waiting for payment") || strings.Contains(text, "paid, you are registered") {
			t.Errorf("after the declined card the registration is not plainly unpaid: %q (%v)", text, err)
		}
		screenshot(t, ctx, "registration-declined")

		pay("4242424242424242")
		waitFor(t, ctx, "the confirmation", `document.body.textContent.includes("paid, you are registered")`)
		screenshot(t, ctx, "registration-paid")

		// The receipt, from the account page.
		err = chromedp.Do(ctx,
			chromedp.Navigate(srv.URL+"/account"),
			chromedp.Click(chromedp.CSS(`a[href="`+regPath+`/receipt"]`)),
		)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, "the receipt", h1Contains("Receipt R-"))
		receipt, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"EUR 450.00", "Tim Participant", "7 Harbour Lane", "Plenary meeting"} {
			if !strings.Contains(receipt, want) {
				t.Errorf("the receipt lacks %q:\n%s", want, receipt)
			}
		}
		screenshot(t, ctx, "receipt")
	})
}
