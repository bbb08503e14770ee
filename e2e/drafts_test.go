package e2e

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestDraftsInBrowser covers PUB1 end to end on each engine: a demo
// participant opens Drafts from the menu, is told on the submission form
// that the draft and its personal data become public, uploads the real
// RFC 9001 source, accepts the terms and sees the draft rendered; then
// posts revision -35 and follows the draft page's link to the diff
// between the two.
func TestDraftsInBrowser(t *testing.T) {
	findChromium(t)
	src, err := os.ReadFile("../../shared/testdata/drafts/rfc9001.canonical.xml")
	if errors.Is(err, fs.ErrNotExist) {
		t.Skip("the real RFC 9001 source is not beside the repository (../shared/testdata/drafts)")
	}
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	first := filepath.Join(dir, "draft-ietf-quic-tls-34.xml")
	next := filepath.Join(dir, "draft-ietf-quic-tls-35.xml")
	if err := os.WriteFile(first, src, 0o644); err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(strings.ReplaceAll(string(src), "draft-ietf-quic-tls-34", "draft-ietf-quic-tls-35"),
		"This document describes how Transport Layer Security (TLS) is used to secure",
		"This document describes how TLS secures", 1)
	if err := os.WriteFile(next, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	engines(t, func(t *testing.T, db []string) {
		srv := startServer(t, append(db, "--demo")...)
		b := newBrowser(t, browserOptions{})
		signIn(t, b, srv, "tim@demo.example")
		if err := chromedp.Do(b, chromedp.Click(chromedp.CSS(`header a[href="/drafts"]`))); err != nil {
			t.Fatal(err)
		}
		waitFor(t, b, "the list of drafts", h1Contains("Internet-Drafts"))
		list, _ := chromedp.Run(b, chromedp.Text(chromedp.CSS("main table")))
		if !strings.Contains(list, "draft-ietf-uuidrev-rfc4122bis-12") {
			t.Errorf("the demo drafts are not listed:\n%s", list)
		}
		for i, file := range []string{first, next} {
			if err := chromedp.Do(b, chromedp.Navigate(srv.URL+"/drafts/submit")); err != nil {
				t.Fatal(err)
			}
			waitFor(t, b, "the submission form", h1Contains("Submit an Internet-Draft"))
			if i == 0 {
				notice, _ := chromedp.Run(b, chromedp.Text(chromedp.CSS("#public")))
				if !strings.Contains(notice, "public") {
					t.Errorf("the form does not say the draft will be public: %q", notice)
				}
			}
			err := chromedp.Do(b,
				chromedp.SetUploadFiles(chromedp.CSS(`#xml`), []string{file}),
				chromedp.Click(chromedp.CSS(`#accept_terms`)),
				chromedp.Click(chromedp.CSS(`form[action="/drafts/submit"] button[type="submit"]`)),
			)
			if err != nil {
				t.Fatal(err)
			}
			waitFor(t, b, "the posted draft", `document.readyState === "complete" && `+h1Contains("Using TLS to Secure QUIC"))
		}
		page, _ := chromedp.Run(b, chromedp.Text(chromedp.CSS("main")))
		for _, want := range []string{"draft-ietf-quic-tls-35", "Martin Thomson (Mozilla)", "1. Introduction", "-34 posted"} {
			if !strings.Contains(page, want) {
				t.Errorf("the draft page lacks %q:\n%.1500s", want, page)
			}
		}
		screenshot(t, b, "draft-posted")
		// The draft's page links to what its latest revision changed.
		if err := chromedp.Do(b, chromedp.Click(chromedp.CSS(`main a[href="/drafts/draft-ietf-quic-tls/diff"]`))); err != nil {
			t.Fatal(err)
		}
		waitFor(t, b, "the diff", `document.readyState === "complete" && `+h1Contains("Changes to draft-ietf-quic-tls"))
		diff, _ := chromedp.Run(b, chromedp.Text(chromedp.CSS("pre.diff")))
		if !strings.Contains(diff, "+ ") || !strings.Contains(diff, "This document describes how TLS secures") {
			t.Errorf("the diff does not show the change:\n%.2000s", diff)
		}
		screenshot(t, b, "draft-diff")
	})
}
