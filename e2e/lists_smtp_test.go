package e2e

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// postForm submits a form the way a browser does from a page of the site
// (Sec-Fetch-Site: same-origin), without following a redirect.
func (s *server) postForm(t testing.TB, path string, form url.Values) page {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	return page{Status: res.StatusCode, Header: res.Header, Body: string(b)}
}

// TestListMailThroughServe covers G1 and PUB1 over the real wiring of
// `plenary serve --smtp-listen` (internal/cli/inbound.go), on each engine,
// with a mail domain other than the site's host: a list made with
// `plenary lists create` gets a subscriber by double opt-in; a message to
// NAME@ from someone who never posted is taken (250) and held, and its
// author is mailed the link to accept the contribution terms; accepting
// by the page's POST publishes it in the archive and sends the subscriber
// a copy with RFC 2369/2919/8058 headers and a VERP return path; a reply
// to that return path is taken; mail for another domain, even to the
// list's own name there, is refused with 550 5.7.1 and kept nowhere, as
// is mail to an unknown name at the mail domain (550 5.1.1); and mail to
// NAME-unsubscribe@ is taken and answered with the link that ends the
// subscription.
func TestListMailThroughServe(t *testing.T) {
	const (
		list     = "wg-smtp"
		domain   = "lists.plenary.test"
		poster   = "ada@example.net"
		reader   = "bob@example.org"
		subject  = "Wombat header folding"
		bodyText = "Should the wombat field be folded at 78 columns?"
	)
	engines(t, func(t *testing.T, db []string) {
		start := time.Now()
		mb := startHeaderMailbox(t)
		data := t.TempDir()
		site := append(append([]string{}, db...), "--data", data, "--base-url", "https://plenary.test",
			"--mail-domain", domain, "--mailing-address", "announce@"+domain)
		code, out, errs := run(t, append([]string{"lists", "create", list, "--description", "SMTP end to end", "--posting", "open"}, site...)...)
		if code != 0 || !strings.Contains(out, "address "+list+"@"+domain) {
			t.Fatalf("plenary lists create: %d %q %q", code, out, errs)
		}
		srv := startServer(t, append(site, "--smtp", "smtp://"+mb.Addr+"?tls=none&from=noreply@"+domain,
			"--smtp-listen", "127.0.0.1:0")...)
		inbound := inboundAddr(t, srv)
		if strings.Contains(srv.output(), "replies to announcements cannot be taken in") {
			t.Errorf("the announcement address is at the mail domain, yet the server warns:\n%s", srv.output())
		}

		// A subscriber, by double opt-in on the web.
		if p := srv.postForm(t, "/lists/"+list+"/subscribe", url.Values{"email": {reader}}); p.Status != http.StatusOK || !strings.Contains(p.Body, "Please confirm by e-mail") {
			t.Fatalf("subscribing: %d %.400s", p.Status, p.Body)
		}
		confirm := mb.wait(t, reader, "Confirm your subscription to "+list+"@"+domain)
		link := regexp.MustCompile(`https://plenary\.test(/lists/` + list + `/confirm/[a-z0-9]+)`).FindStringSubmatch(confirm.Body)
		if link == nil {
			t.Fatalf("no confirmation link in %q", confirm.Body)
		}
		if p := srv.postForm(t, link[1], nil); p.Status != http.StatusOK || !strings.Contains(p.Body, "You are subscribed") {
			t.Fatalf("confirming: %d %.400s", p.Status, p.Body)
		}

		// (a) A first posting by mail is taken and held for the terms.
		msg := "From: Ada <" + poster + ">\r\nTo: " + list + "@" + domain + "\r\nSubject: " + subject +
			"\r\nMessage-ID: <wombat-1@example.net>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + bodyText + "\r\n"
		if err := sendPlain(inbound, poster, list+"@"+domain, msg); err != nil {
			t.Fatalf("posting by mail: %v", err)
		}
		terms := mb.wait(t, poster, "Your posting to "+list+"@"+domain+" waits for you")
		termsLink := regexp.MustCompile(`https://plenary\.test(/lists/` + list + `/terms/[a-z0-9]+)`).FindStringSubmatch(terms.Body)
		if termsLink == nil {
			t.Fatalf("no terms link in %q", terms.Body)
		}
		if p := srv.get(t, "/lists/"+list); p.Status != http.StatusOK || strings.Contains(p.Body, subject) {
			t.Fatalf("the archive before the terms are accepted: %d, holds the posting: %v", p.Status, strings.Contains(p.Body, subject))
		}

		// (b) The link's page changes nothing; its button (a POST)
		// accepts, publishes the posting and sends the subscriber a copy.
		if p := srv.get(t, termsLink[1]); p.Status != http.StatusOK || !strings.Contains(p.Body, `action="`+termsLink[1]+`"`) {
			t.Fatalf("the terms page: %d %.600s", p.Status, p.Body)
		}
		if p := srv.get(t, "/lists/"+list); strings.Contains(p.Body, subject) {
			t.Fatal("opening the terms link published the posting")
		}
		if p := srv.postForm(t, termsLink[1], nil); p.Status != http.StatusOK || !strings.Contains(p.Body, "Your posting is published.") {
			t.Fatalf("accepting the terms: %d %.600s", p.Status, p.Body)
		}
		archive := srv.get(t, "/lists/"+list)
		if archive.Status != http.StatusOK || !strings.Contains(archive.Body, subject) {
			t.Fatalf("the archive after the terms were accepted: %d %.2000s", archive.Status, archive.Body)
		}
		msgLink := regexp.MustCompile(`href="(/lists/` + list + `/msg/\d+)"`).FindStringSubmatch(archive.Body)
		if msgLink == nil {
			t.Fatalf("no link to the posting in the archive:\n%.2000s", archive.Body)
		}
		if p := srv.get(t, msgLink[1]); p.Status != http.StatusOK || !strings.Contains(p.Body, bodyText) {
			t.Fatalf("the posting's page: %d %.2000s", p.Status, p.Body)
		}
		dist := mb.wait(t, reader, subject)
		if got, want := dist.Header.Get("List-Id"), "<"+list+"."+domain+">"; !strings.Contains(got, want) {
			t.Errorf("List-Id %q, want it to hold %q", got, want)
		}
		unsub := regexp.MustCompile(`^<https://plenary\.test(/lists/` + list + `/unsubscribe/[a-z0-9]+)>, <mailto:` + list + `-unsubscribe@` + regexp.QuoteMeta(domain) + `>$`).
			FindStringSubmatch(dist.Header.Get("List-Unsubscribe"))
		if unsub == nil {
			t.Errorf("List-Unsubscribe %q", dist.Header.Get("List-Unsubscribe"))
		}
		if got := dist.Header.Get("List-Unsubscribe-Post"); got != "List-Unsubscribe=One-Click" {
			t.Errorf("List-Unsubscribe-Post %q", got)
		}
		if got := dist.Header.Get("List-Post"); got != "<mailto:"+list+"@"+domain+">" {
			t.Errorf("List-Post %q", got)
		}
		if !strings.Contains(dist.Body, bodyText) {
			t.Errorf("the copy's body %q", dist.Body)
		}
		if !regexp.MustCompile(`^` + list + `-bounces\+[a-z0-9]+-[a-z0-9]+@` + regexp.QuoteMeta(domain) + `$`).MatchString(dist.From) {
			t.Errorf("the copy's return path %q is not the list's VERP address", dist.From)
		}
		// The return path is one of the listener's addresses: a report
		// of a failed delivery sent there is taken.
		dsn := "From: MAILER-DAEMON@mx.example.org\r\nTo: " + dist.From + "\r\nSubject: Undelivered Mail\r\n" +
			"Content-Type: text/plain\r\n\r\nDelivery to " + reader + " failed: 550 5.1.1 user unknown\r\n"
		if err := sendPlain(inbound, "", dist.From, dsn); err != nil {
			t.Errorf("a bounce to the return path %s: %v", dist.From, err)
		}

		// (c) Relaying is refused with 550 5.7.1, even to the list's own
		// name at another domain; an unknown name here gets 550 5.1.1.
		// None of them is kept or sent on.
		const relaySubject = "Relay attempt numbat"
		for _, to := range []string{"someone@elsewhere.example", list + "@elsewhere.example", list + "@plenary.test", "no-such-list@" + domain} {
			relay := "From: Mallory <mallory@example.com>\r\nTo: " + to + "\r\nSubject: " + relaySubject +
				"\r\nContent-Type: text/plain\r\n\r\nPlease pass this on.\r\n"
			err := sendPlain(inbound, "mallory@example.com", to, relay)
			want := smtp.EnhancedCode{5, 7, 1}
			if strings.HasSuffix(to, "@"+domain) {
				want = smtp.EnhancedCode{5, 1, 1}
			}
			var se *smtp.SMTPError
			if !errors.As(err, &se) || se.Code != 550 || se.EnhancedCode != want {
				t.Errorf("mail to %s: %v, want 550 %v", to, err, want)
			}
		}

		// (d) Mail to NAME-unsubscribe@ is taken, and the subscriber is
		// mailed the link whose page ends the subscription.
		leave := "From: " + reader + "\r\nTo: " + list + "-unsubscribe@" + domain + "\r\nSubject: unsubscribe\r\n\r\nunsubscribe\r\n"
		if err := sendPlain(inbound, reader, list+"-unsubscribe@"+domain, leave); err != nil {
			t.Fatalf("mail to %s-unsubscribe@%s: %v", list, domain, err)
		}
		bye := mb.wait(t, reader, "Leaving the discussion group "+list+"@"+domain)
		byeLink := regexp.MustCompile(`https://plenary\.test(/lists/` + list + `/unsubscribe/[a-z0-9]+)`).FindStringSubmatch(bye.Body)
		if byeLink == nil {
			t.Fatalf("no unsubscribe link in %q", bye.Body)
		}
		if unsub != nil && byeLink[1] != unsub[1] {
			t.Errorf("the mailed unsubscribe link %s is not the one in List-Unsubscribe, %s", byeLink[1], unsub[1])
		}
		if p := srv.postForm(t, byeLink[1], nil); p.Status != http.StatusOK || !strings.Contains(p.Body, "You are unsubscribed") {
			t.Fatalf("unsubscribing: %d %.600s", p.Status, p.Body)
		}

		// The relayed and refused messages went nowhere: nothing of them
		// reached the outbound mail server or the archive.
		if got := mb.about(relaySubject); len(got) != 0 {
			t.Errorf("refused mail was sent on: %q", got)
		}
		if p := srv.get(t, "/lists/"+list); strings.Contains(p.Body, relaySubject) {
			t.Error("refused mail is in the archive")
		}
		if p := srv.get(t, "/lists/search?q=numbat"); strings.Contains(p.Body, relaySubject) {
			t.Error("refused mail is found by search")
		}
		t.Logf("took %v", time.Since(start).Round(time.Millisecond))
	})
}
