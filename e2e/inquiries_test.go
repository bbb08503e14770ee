package e2e

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/emersion/go-smtp"
)

var inboundLine = regexp.MustCompile(`msg="plenary takes mail" addr=(\S+)`)

// inboundAddr waits for the server's inbound mail listener and returns
// its address.
func inboundAddr(t *testing.T, srv *server) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := inboundLine.FindStringSubmatch(srv.output()); m != nil {
			return m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("the inbound mail listener did not start:\n%s", srv.output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sendPlain delivers msg over plain SMTP, as a mail server on the same
// network would to plenary's listener, which offers no STARTTLS.
func sendPlain(addr, from, to, msg string) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello("mx.example.net"); err != nil {
		return err
	}
	if err := c.Mail(from, nil); err != nil {
		return err
	}
	if err := c.Rcpt(to, nil); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte(msg)); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// TestInquiryInBrowser covers R1, U5 and K3 end to end on each engine: a
// visitor whose browser refuses every cookie sends an inquiry through
// /contact in headless Chromium; the secretariat sees it in the inbox and
// answers; the answer arrives through a real SMTP server from the
// inquiry's reply address; the visitor's reply, sent by SMTP to plenary's
// own listener (--smtp-listen), shows up in the thread.
func TestInquiryInBrowser(t *testing.T) {
	findChromium(t)
	engines(t, func(t *testing.T, db []string) {
		mb := startMailbox(t)
		srv := startServer(t, append(db, "--demo", "--org-country", "Iceland",
			"--smtp", "smtp://"+mb.Addr+"?tls=none&from=noreply@plenary.test", "--smtp-listen", "127.0.0.1:0")...)
		inbound := inboundAddr(t, srv)

		visitor := newBrowser(t, browserOptions{BlockCookies: true})
		if err := chromedp.Do(visitor, chromedp.Navigate(srv.URL+"/")); err != nil {
			t.Fatal(err)
		}
		if enabled, err := chromedp.Run(visitor, chromedp.Evaluate[bool](`navigator.cookieEnabled`)); err != nil || enabled {
			t.Fatalf("cookies are not blocked: %v %v", enabled, err)
		}
		if err := chromedp.Do(visitor, chromedp.Click(chromedp.CSS(`header a[href="/contact"]`))); err != nil {
			t.Fatal(err)
		}
		waitFor(t, visitor, "the contact form", h1Contains("Contact"))
		disclosure, err := chromedp.Run(visitor, chromedp.Text(chromedp.CSS("#transfer")))
		if err != nil {
			t.Fatalf("reading the contact form's disclosure: %v", err)
		}
		if !strings.Contains(disclosure, "in Iceland") {
			t.Errorf("the contact form does not say where data is processed: %q", disclosure)
		}
		err = chromedp.Do(visitor,
			chromedp.SendKeys(chromedp.CSS("#name"), "Zoë Browser"),
			chromedp.SendKeys(chromedp.CSS("#email"), "zoe@example.net"),
			chromedp.SetValue(chromedp.CSS("#category"), "meetings"),
			chromedp.SendKeys(chromedp.CSS("#message"), "Is there remote participation at the next meeting?"),
			chromedp.Click(chromedp.CSS(`input[name="consent"]`)),
			chromedp.Click(chromedp.CSS(`form[action="/contact"] button[type="submit"]`)),
		)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, visitor, "the thank-you page", h1Contains("your inquiry was sent"))
		screenshot(t, visitor, "contact-sent")
		if got := browserCookies(t, visitor); len(got) != 0 {
			t.Errorf("the visitor's browser holds cookies %v", got)
		}

		staff := newBrowser(t, browserOptions{})
		signIn(t, staff, srv, "secretariat@demo.example")
		if err := chromedp.Do(staff, chromedp.Click(chromedp.CSS(`header a[href="/admin/inquiries"]`))); err != nil {
			t.Fatal(err)
		}
		waitFor(t, staff, "the inbox", h1Contains("Inquiries"))
		list, err := chromedp.Run(staff, chromedp.Text(chromedp.CSS("main table")))
		if err != nil {
			t.Fatalf("reading the inbox: %v", err)
		}
		if !strings.Contains(list, "Zoë Browser") || !strings.Contains(list, "Meetings and registration") {
			t.Fatalf("the inbox does not list the inquiry:\n%s", list)
		}
		clicked, err := chromedp.Run(staff, chromedp.Evaluate[bool](`(() => {
			for (const tr of document.querySelectorAll("main tbody tr")) {
				if (tr.textContent.includes("Zoë Browser")) { tr.querySelector("a").click(); return true; }
			}
			return false;
		})()`))
		if err != nil || !clicked {
			t.Fatalf("opening the inquiry: %v %v", clicked, err)
		}
		waitFor(t, staff, "the inquiry", h1Contains("Meetings and registration"))
		page, err := chromedp.Run(staff, chromedp.Text(chromedp.CSS("main")))
		if err != nil {
			t.Fatalf("reading the inquiry page: %v", err)
		}
		if !strings.Contains(page, "zoe@example.net") || !strings.Contains(page, "remote participation") {
			t.Fatalf("the inquiry page lacks the inquiry:\n%s", page)
		}
		err = chromedp.Do(staff,
			chromedp.SendKeys(chromedp.CSS("#body"), "Yes: every session is streamed, and remote participants can speak."),
			chromedp.Click(chromedp.CSS(`form[action$="/reply"] button[type="submit"]`)),
		)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, staff, "the sent notice", `document.body.textContent.includes("Your answer was sent")`)

		answer := mb.wait(t, "zoe@example.net")
		if !regexp.MustCompile(`^inquiry\+[a-z2-7]{30,}@plenary\.test$`).MatchString(answer.From) || !strings.Contains(answer.Body, "every session is streamed") {
			t.Fatalf("answer from %q: %q", answer.From, answer.Body)
		}

		reply := "From: Zoë <zoe@example.net>\r\nTo: " + answer.From + "\r\nSubject: Re: " + answer.Subject +
			"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nWonderful, thank you. See you there.\r\n"
		if err := sendPlain(inbound, "zoe@example.net", answer.From, reply); err != nil {
			t.Fatalf("replying by mail: %v", err)
		}
		if err := sendPlain(inbound, "zoe@example.net", "someone@elsewhere.example", reply); err == nil {
			t.Error("the listener relayed mail for another domain")
		}
		if err := chromedp.Do(staff, chromedp.Reload()); err != nil {
			t.Fatal(err)
		}
		waitFor(t, staff, "the reply in the thread", `document.body.textContent.includes("Wonderful, thank you. See you there.")`)
		screenshot(t, staff, "admin-inquiry")
	})
}
