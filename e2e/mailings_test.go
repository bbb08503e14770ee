package e2e

import (
	"mime"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// headerMailbox is a real SMTP server that keeps each message with its
// envelope sender, its header and its decoded subject, for checking what a
// mail client would see (RFC 8058 fields) and the return path mail goes
// out with.
type headerMailbox struct {
	Addr string
	mu   sync.Mutex
	msgs []mailed
	got  chan struct{}
}

type mailed struct {
	delivery
	Subject string
}

func startHeaderMailbox(t testing.TB) *headerMailbox {
	t.Helper()
	mb := &headerMailbox{got: make(chan struct{}, 100)}
	mb.Addr = startSMTPSink(t, func(d delivery) error {
		subject, _ := new(mime.WordDecoder).DecodeHeader(d.Header.Get("Subject"))
		mb.mu.Lock()
		mb.msgs = append(mb.msgs, mailed{delivery: d, Subject: subject})
		mb.mu.Unlock()
		select {
		case mb.got <- struct{}{}:
		default:
		}
		return nil
	})
	return mb
}

// wait takes the first message to addr whose subject contains subject,
// failing the test after thirty seconds (list copies wait for the job
// runner, which looks for work every five).
func (mb *headerMailbox) wait(t testing.TB, addr, subject string) mailed {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		mb.mu.Lock()
		for i, m := range mb.msgs {
			if strings.EqualFold(m.To, addr) && strings.Contains(m.Subject, subject) {
				mb.msgs = append(mb.msgs[:i], mb.msgs[i+1:]...)
				mb.mu.Unlock()
				return m
			}
		}
		mb.mu.Unlock()
		select {
		case <-mb.got:
		case <-deadline:
			t.Fatalf("no mail to %s about %q within thirty seconds; the mailbox holds %q", addr, subject, mb.about(""))
		}
	}
}

// about lists the messages (to anyone) whose subject or body contains s.
func (mb *headerMailbox) about(s string) []string {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	var found []string
	for _, m := range mb.msgs {
		if strings.Contains(m.Subject, s) || strings.Contains(m.Body, s) {
			found = append(found, m.To+": "+m.Subject)
		}
	}
	return found
}

var (
	mailingConfirmLink = regexp.MustCompile(`https://plenary\.test(/mailings/confirm/[A-Za-z0-9_-]+)`)
	listUnsubscribe    = regexp.MustCompile(`^<https://plenary\.test(/unsubscribe/[A-Za-z0-9_-]+)>, <mailto:announce@plenary\.test\?subject=unsubscribe>$`)
)

// TestMailingOptInAndOneClickUnsubscribeInBrowser covers D1 end to end on
// each engine: a participant opts in on the account page in Chromium and
// confirms through the link in a real mail; the secretariat writes and
// sends an announcement; it arrives through a real SMTP server with RFC
// 8058 headers; a mail client's one-click POST (no cookie, body
// List-Unsubscribe=One-Click) unsubscribes, and replaying it is refused.
func TestMailingOptInAndOneClickUnsubscribeInBrowser(t *testing.T) {
	findChromium(t)
	engines(t, func(t *testing.T, db []string) {
		mb := startHeaderMailbox(t)
		srv := startServer(t, append(db, "--demo", "--base-url", "https://plenary.test", "--mailing-rate", "100",
			"--smtp", "smtp://"+mb.Addr+"?tls=none&from=noreply@plenary.test")...)

		tim := newBrowser(t, browserOptions{})
		signIn(t, tim, srv, "tim@demo.example")
		err := chromedp.Do(tim,
			chromedp.Navigate(srv.URL+"/account"),
			chromedp.Click(chromedp.CSS(`input[name="optin"]`)),
			chromedp.Click(chromedp.CSS(`form[action="/account/mailings"] button[type="submit"]`)),
		)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, tim, "the opt-in notice", `document.body.textContent.includes("We sent a confirmation link to your primary address")`)
		confirm := mb.wait(t, "tim@demo.example", "Confirm that you want announcements")
		link := mailingConfirmLink.FindStringSubmatch(confirm.Body)
		if link == nil {
			t.Fatalf("no confirmation link in %q", confirm.Body)
		}
		if err := chromedp.Do(tim, chromedp.Navigate(srv.URL+link[1])); err != nil {
			t.Fatal(err)
		}
		waitFor(t, tim, "the confirmation page", h1Contains("Confirm announcements"))
		if err := chromedp.Do(tim, chromedp.Click(chromedp.CSS(`main form button[type="submit"]`))); err != nil {
			t.Fatal(err)
		}
		waitFor(t, tim, "the confirmed page", h1Contains("Announcements confirmed"))

		sam := newBrowser(t, browserOptions{})
		signIn(t, sam, srv, "secretariat@demo.example")
		err = chromedp.Do(sam,
			chromedp.Navigate(srv.URL+"/admin/mailings"),
			chromedp.SendKeys(chromedp.CSS("#subject"), "Autumn plenary registration"),
			chromedp.SendKeys(chromedp.CSS("#body"), "Registration for the autumn plenary is open."),
			chromedp.Click(chromedp.CSS(`form[action="/admin/mailings"] button[type="submit"]`)),
		)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, sam, "the preview", h1Contains("Autumn plenary registration"))
		screenshot(t, sam, "admin-mailing-preview")
		if err := chromedp.Do(sam, chromedp.Click(chromedp.CSS(`form[action$="/send"] button[type="submit"]`))); err != nil {
			t.Fatal(err)
		}
		waitFor(t, sam, "the progress", `document.body.textContent.includes("The mailing is being sent")`)

		msg := mb.wait(t, "tim@demo.example", "Autumn plenary registration")
		if got := msg.Header.Get("List-Unsubscribe-Post"); got != "List-Unsubscribe=One-Click" {
			t.Errorf("List-Unsubscribe-Post %q", got)
		}
		lu := listUnsubscribe.FindStringSubmatch(msg.Header.Get("List-Unsubscribe"))
		if lu == nil {
			t.Fatalf("List-Unsubscribe %q", msg.Header.Get("List-Unsubscribe"))
		}
		if !strings.Contains(msg.Body, "https://plenary.test"+lu[1]) || !strings.Contains(msg.Body, "Registration for the autumn plenary is open.") {
			t.Errorf("the body lacks the text or the visible link: %q", msg.Body)
		}
		// Grace and Ada, subscribed in the demo, get it too; nobody else does.
		mb.wait(t, "grace@demo.example", "Autumn plenary registration")
		mb.wait(t, "admin@demo.example", "Autumn plenary registration")

		// What a mail client does for one-click unsubscribe: a POST
		// with no cookie, no Origin, only the RFC 8058 body.
		oneClick := func() int {
			res, err := http.Post(srv.URL+lu[1], "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if c := res.Header.Values("Set-Cookie"); len(c) != 0 {
				t.Errorf("the one-click answer sets cookies: %v", c)
			}
			return res.StatusCode
		}
		if code := oneClick(); code != http.StatusOK {
			t.Fatalf("one-click POST: %d", code)
		}
		if code := oneClick(); code != http.StatusGone {
			t.Errorf("replayed one-click POST: %d, want 410", code)
		}
		if err := chromedp.Do(tim, chromedp.Navigate(srv.URL+"/account")); err != nil {
			t.Fatal(err)
		}
		waitFor(t, tim, "the opt-out on the account page", `document.querySelector("#mailings").parentElement.textContent.includes("You stopped announcements")`)
		screenshot(t, tim, "account-mailings")

		deadline := time.Now().Add(20 * time.Second)
		for {
			if err := chromedp.Do(sam, chromedp.Reload()); err != nil {
				t.Fatal(err)
			}
			text, _ := chromedp.Run(sam, chromedp.Text(chromedp.CSS("main")))
			if strings.Contains(text, "3 of 3 sent") && strings.Contains(text, "Finished") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the mailing did not finish: %s", text)
			}
			time.Sleep(200 * time.Millisecond)
		}
		mb.mu.Lock()
		defer mb.mu.Unlock()
		for _, m := range mb.msgs {
			if strings.Contains(m.Header.Get("Subject"), "Autumn plenary") {
				t.Errorf("an extra copy went to %s", m.To)
			}
		}
	})
}
