package e2e

import (
	"context"
	"fmt"
	"mime"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/chromedp"

	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// mailbox is a real SMTP server on a random local port that keeps every
// message it receives, decoded, for the tests to read.
type mailbox struct {
	Addr string
	mu   sync.Mutex
	msgs []received
	got  chan struct{}
}

type received struct {
	From, To, Subject, Body string
}

func startMailbox(t testing.TB) *mailbox {
	t.Helper()
	mb := &mailbox{got: make(chan struct{}, 100)}
	mb.Addr = startSMTPSink(t, func(d delivery) error {
		subject, _ := new(mime.WordDecoder).DecodeHeader(d.Header.Get("Subject"))
		mb.mu.Lock()
		mb.msgs = append(mb.msgs, received{From: d.From, To: d.To, Subject: subject, Body: d.Body})
		mb.mu.Unlock()
		mb.got <- struct{}{}
		return nil
	})
	return mb
}

// wait returns the next message to addr, failing after ten seconds.
func (mb *mailbox) wait(t testing.TB, addr string) received {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		mb.mu.Lock()
		for i, m := range mb.msgs {
			if strings.EqualFold(m.To, addr) {
				mb.msgs = append(mb.msgs[:i], mb.msgs[i+1:]...)
				mb.mu.Unlock()
				return m
			}
		}
		mb.mu.Unlock()
		select {
		case <-mb.got:
		case <-deadline:
			t.Fatalf("no mail to %s within ten seconds", addr)
		}
	}
}

func (mb *mailbox) count() int {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return len(mb.msgs)
}

var verifyLink = regexp.MustCompile(`https?://[^\s]+/verify/[A-Za-z0-9_-]+`)

// waitFor polls a JavaScript condition until it holds, for pages reached
// by a form submission.
func waitFor(t testing.TB, ctx context.Context, what, js string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("main")))
			t.Fatalf("waiting for %s: %v\n%s", what, err, html)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func h1Contains(s string) string {
	return fmt.Sprintf(`(document.querySelector("h1")||{textContent:""}).textContent.includes(%q)`, s)
}

// TestAccountInBrowser walks a participant's life in headless Chromium on
// each engine: sign up, confirm through the link in a real mail received by
// an SMTP server, sign in, correct the name, sign out (C4, C5, R3, K1).
func TestAccountInBrowser(t *testing.T) {
	findChromium(t)
	engines(t, func(t *testing.T, db []string) {
		mb := startMailbox(t)
		srv := startServer(t, append(db, "--smtp", "smtp://"+mb.Addr+"?tls=none&from=noreply@plenary.test", "--org-country", "Iceland")...)
		ctx := newBrowser(t, browserOptions{})

		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/signup")); err != nil {
			t.Fatal(err)
		}
		disclosure, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#transfer")))
		if err != nil {
			t.Fatalf("reading the sign-up form's disclosure: %v", err)
		}
		if !strings.Contains(disclosure, "in Iceland") {
			t.Errorf("the sign-up form does not say where data is processed: %q", disclosure)
		}
		err = chromedp.Do(ctx,
			chromedp.SendKeys(chromedp.CSS("#name"), "Ada Lovelace"),
			chromedp.SendKeys(chromedp.CSS("#email"), "ada@example.org"),
			chromedp.SendKeys(chromedp.CSS("#password"), "a long enough passphrase"),
			chromedp.Click(chromedp.CSS(`input[name="age_ok"]`)),
			chromedp.Click(chromedp.CSS(`input[name="consent"]`)),
			chromedp.Click(chromedp.CSS(`form[action="/signup"] button[type="submit"]`)),
		)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, "the check-your-mail page", h1Contains("Check your mail"))
		screenshot(t, ctx, "signed-up")

		msg := mb.wait(t, "ada@example.org")
		if msg.From != "noreply@plenary.test" || !strings.Contains(msg.Subject, "Confirm your e-mail address") {
			t.Errorf("mail from %q with subject %q", msg.From, msg.Subject)
		}
		link := verifyLink.FindString(msg.Body)
		if link == "" {
			t.Fatalf("no confirmation link in %q", msg.Body)
		}
		path := link[strings.Index(link, "/verify/"):]
		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+path)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, "the confirmation page", h1Contains("Confirm your address"))
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`main form button[type="submit"]`))); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, "the confirmed page", h1Contains("Address confirmed"))

		err = chromedp.Do(ctx,
			chromedp.Navigate(srv.URL+"/login"),
			chromedp.SendKeys(chromedp.CSS("#email"), "ada@example.org"),
			chromedp.SendKeys(chromedp.CSS("#password"), "a long enough passphrase"),
			chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, "the account page", h1Contains("Your account"))
		cookies := browserCookies(t, ctx)
		if c, ok := cookies["plenary_session"]; !ok || !c.HTTPOnly || c.SameSite != "Lax" {
			t.Errorf("session cookie %+v", c)
		}
		if _, ok := cookies["plenary_remember"]; ok {
			t.Error("a persistent cookie was set without being asked for")
		}

		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(document.querySelector("#name").value = "") === ""`)); err != nil {
			t.Fatal(err)
		}
		err = chromedp.Do(ctx,
			chromedp.SendKeys(chromedp.CSS("#name"), "Ada King"),
			chromedp.Click(chromedp.CSS(`form[action="/account"] button[type="submit"]`)),
		)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, "the saved notice", `document.body.textContent.includes("Your changes are saved")`)
		name, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#name")))
		if err != nil {
			t.Fatalf("reading the name field: %v", err)
		}
		history, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#history + table")))
		if err != nil {
			t.Fatalf("reading the history: %v", err)
		}
		if name != "Ada King" || !strings.Contains(history, "Ada Lovelace") || !strings.Contains(history, "Ada King") {
			t.Errorf("after correcting: name %q, history %q", name, history)
		}
		screenshot(t, ctx, "account")

		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`header form[action="/logout"] button`))); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, "the home page, signed out", `location.pathname === "/" && document.querySelector('header a[href="/login"]') !== null`)
		if _, ok := browserCookies(t, ctx)["plenary_session"]; ok {
			t.Error("the session cookie survived signing out")
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/account")); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, "the sign-in page", h1Contains("Sign in"))
	})
}

func browserCookies(t testing.TB, ctx context.Context) map[string]*networkCookie {
	t.Helper()
	res, err := chromedp.CallBrowser(ctx, storage.GetCookies, storage.GetCookiesParams{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*networkCookie{}
	for _, c := range res.Cookies {
		out[c.Name] = &networkCookie{HTTPOnly: c.HTTPOnly, SameSite: c.SameSite.String()}
	}
	return out
}

type networkCookie struct {
	HTTPOnly bool
	SameSite string
}

// TestUnderageSignUpKeepsNothing covers CH1 end to end: a sign-up without
// the age attestation, typed in a real browser, is refused, and the typed
// name, address and password are in no table, no access-log line and no
// line of the server's own log, and no mail is sent.
func TestUnderageSignUpKeepsNothing(t *testing.T) {
	findChromium(t)
	engines(t, func(t *testing.T, db []string) {
		mb := startMailbox(t)
		srv := startServer(t, append(db, "--smtp", "smtp://"+mb.Addr+"?tls=none&from=noreply@plenary.test")...)
		ctx := newBrowser(t, browserOptions{})
		typed := []string{"Kiddo Xylophonic", "kiddo.xylo@kids.example", "Secret-Qwzx-9876"}
		err := chromedp.Do(ctx,
			chromedp.Navigate(srv.URL+"/signup"),
			chromedp.SendKeys(chromedp.CSS("#name"), typed[0]),
			chromedp.SendKeys(chromedp.CSS("#email"), typed[1]),
			chromedp.SendKeys(chromedp.CSS("#password"), typed[2]),
			chromedp.Click(chromedp.CSS(`input[name="consent"]`)),
			chromedp.Click(chromedp.CSS(`form[action="/signup"] button[type="submit"]`)),
		)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, "the refusal", `document.body.textContent.includes("13 or older to create an account")`)
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
		for _, v := range typed {
			if strings.Contains(loc, v) || strings.Contains(html, v) {
				t.Errorf("the refusal shows %q (location %s)", v, loc)
			}
		}
		srv.waitForLog(t, `"POST /signup HTTP/1.1" 400`)
		srv.stop(t)

		var logs strings.Builder
		for _, l := range srv.logLines(t) {
			logs.WriteString(l + "\n")
		}
		logs.WriteString(srv.output())
		for _, v := range typed {
			if strings.Contains(logs.String(), v) || strings.Contains(logs.String(), strings.ReplaceAll(v, "@", "%40")) {
				t.Errorf("a log holds %q", v)
			}
		}
		dsn := ""
		for i, a := range db {
			if a == "--db" && i+1 < len(db) {
				dsn = db[i+1]
			}
		}
		st, err := store.Open(context.Background(), dsn, srv.DataDir)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if where := findInTables(t, st, typed); where != "" {
			t.Errorf("the database holds what was typed: %s", where)
		}
		if n := mb.count(); n != 0 {
			t.Errorf("%d messages were sent", n)
		}
	})
}

// findInTables scans every row of every table for any of values.
func findInTables(t testing.TB, db *store.DB, values []string) string {
	t.Helper()
	m := map[string]string{}
	for _, v := range values {
		m[v] = v
	}
	if found := storetest.FindInTables(t, db, m); len(found) > 0 {
		return found[0]
	}
	return ""
}
