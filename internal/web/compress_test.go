package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"

	"plenary/internal/auth"
)

// TestTextAnswersAreCompressed: feeds, mbox files, draft sources, the
// JSON API and the public lists come compressed to a client that accepts
// brotli or gzip, and decompress to exactly what a client that accepts
// neither gets; a refused coding, a HEAD request and an error page are
// sent as they are.
func TestTextAnswersAreCompressed(t *testing.T) {
	a := newAccountSite(t, siteOptions{Args: []string{"--mail-domain", "lists.example.org"}})
	a.makeStaff(t, "Sam Secretariat", "sam@example.org", auth.Secretariat)
	staff := a.signIn(t, "sam@example.org")
	if res := staff.post("/admin/lists", url.Values{"name": {"wg-zip"}, "description": {"Compression"}, "posting": {"open"}, "archive": {"public"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("creating the list: %d %.300s", res.Status, res.Body)
	}
	a.signUp(t, "Cora Compressor", "cora@example.org")
	cora := a.signIn(t, "cora@example.org")
	msg := cora.post("/lists/wg-zip/post", url.Values{"subject": {"Repeated words"}, "body": {strings.Repeat("The same words again and again. ", 200)}, "accept_terms": {"1"}})
	if msg.Status != http.StatusSeeOther {
		t.Fatalf("posting: %d %.300s", msg.Status, msg.Body)
	}
	body, ct := upload(t, nil, ownDraft("draft-example-small-notes", "00", "It is short."), "1")
	if res := cora.do("POST", "/drafts/submit", body, ct); res.Status != http.StatusSeeOther {
		t.Fatalf("posting a draft: %d %.300s", res.Status, res.Body)
	}
	thread := strings.Replace(msg.Header.Get("Location"), "/msg/", "/thread/", 1) + "/mbox"

	fetch := func(method, path, accept string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, a.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		// Set by hand, so the client neither asks for gzip by itself nor
		// decompresses what comes back.
		req.Header.Set("Accept-Encoding", accept)
		res, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return res, b
	}
	decode := func(enc string, b []byte) []byte {
		t.Helper()
		var r io.Reader
		switch enc {
		case "br":
			r = brotli.NewReader(bytes.NewReader(b))
		case "gzip":
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("not gzip: %v", err)
			}
			r = zr
		default:
			return b
		}
		out, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("decoding %s: %v", enc, err)
		}
		return out
	}
	for _, path := range []string{"/lists/wg-zip/atom.xml", "/lists/wg-zip/mbox", thread, "/drafts", "/drafts/atom.xml",
		"/drafts/draft-example-small-notes-00.txt", "/api/drafts", "/api/drafts/draft-example-small-notes", "/ipr", "/liaisons"} {
		plainRes, plain := fetch("GET", path, "identity")
		if plainRes.StatusCode != http.StatusOK || plainRes.Header.Get("Content-Encoding") != "" {
			t.Fatalf("%s without compression: %d, Content-Encoding %q", path, plainRes.StatusCode, plainRes.Header.Get("Content-Encoding"))
		}
		for _, c := range []struct{ accept, want string }{{"gzip", "gzip"}, {"br;q=1, gzip;q=0.5", "br"}, {"gzip;q=0, br;q=0", ""}} {
			res, b := fetch("GET", path, c.accept)
			if got := res.Header.Get("Content-Encoding"); got != c.want {
				t.Errorf("%s with Accept-Encoding %q: Content-Encoding %q, want %q", path, c.accept, got, c.want)
				continue
			}
			if c.want != "" && !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") {
				t.Errorf("%s: a compressed answer without Vary: Accept-Encoding", path)
			}
			if got := decode(c.want, b); !bytes.Equal(got, plain) {
				t.Errorf("%s in %q: decompresses to %d bytes that differ from the %d sent plain", path, c.want, len(got), len(plain))
			}
		}
	}
	if res, _ := fetch("HEAD", "/lists/wg-zip/mbox", "gzip"); res.Header.Get("Content-Encoding") != "" {
		t.Error("a HEAD request was answered with a compressed body's headers")
	}
	if res, _ := fetch("GET", "/api/drafts/draft-none-such", "gzip"); res.StatusCode != http.StatusNotFound || res.Header.Get("Content-Encoding") != "" {
		t.Errorf("an error answer: %d, Content-Encoding %q; want a plain 404", res.StatusCode, res.Header.Get("Content-Encoding"))
	}
}
