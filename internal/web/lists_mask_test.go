package web

import (
	"encoding/base64"
	"mime"
	"net/http"
	"net/mail"
	"net/url"
	"strings"
	"testing"

	"plenary/internal/lists"
	"plenary/internal/policy"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestListOutputsMaskEveryAddress posts a message whose subject, text and
// quoted text hold addresses, and reads it back through every output of
// the archive, on both engines: an anonymous reader finds each address
// masked the same way, a signed-in participant finds them whole.
func TestListOutputsMaskEveryAddress(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		a := newAccountSite(t, siteOptions{DB: db, Args: []string{"--mail-domain", "lists.example.org"}})
		if _, err := a.Server.listService().Create(t.Context(), lists.Actor{Label: "test"},
			lists.NewList{Name: "wg-mask", Description: "Masking", Posting: "open", Archive: "public"}); err != nil {
			t.Fatal(err)
		}
		a.signUp(t, "Francois Le Faucheur", "flefauch@cisco.com")
		author := a.signIn(t, "flefauch@cisco.com")
		res := author.post("/lists/wg-mask/post", url.Values{"subject": {"Routing question (flefauch@cisco.com)"}, "accept_terms": {"1"},
			"body": {"Please ask Stefaan.De_Cnodder@alcatel-lucent.com about routing, or mailto:jane.doe@example.org.\n\n" +
				"> On Monday, Jane <a@b.example> wrote:\n> routing is hard; write to flefauch@cisco.com\n"}})
		if res.Status != http.StatusSeeOther {
			t.Fatalf("posting: %d %.300s", res.Status, res.Body)
		}
		msg := res.Header.Get("Location")
		id := strings.TrimPrefix(msg, "/lists/wg-mask/msg/")
		a.signUp(t, "Rita Reader", "rita@example.org")
		reader := a.signIn(t, "rita@example.org")
		anon := a.browser(t)

		whole := []string{"flefauch@cisco.com", "Stefaan.De_Cnodder@alcatel-lucent.com", "a@b.example", "mailto:jane.doe@example.org"}
		masked := []string{"fl…@cisco.com", "St…@alcatel-lucent.com", "a…@b.example", "mailto:ja…@example.org"}
		for _, path := range []string{"/lists/wg-mask", "/lists/wg-mask?view=date", msg, "/lists/wg-mask/thread/" + id,
			"/lists/search?q=routing", "/lists/search?q=Stefaan", "/lists/search?q=flefauch", "/lists/search?q=routing&author=Francois",
			"/lists/wg-mask/atom.xml", "/lists/wg-mask/mbox", "/lists/wg-mask/thread/" + id + "/mbox"} {
			// Where the output shows only the subject, only its address
			// can be checked for.
			show := whole
			hidden := masked
			if path == "/lists/wg-mask" || path == "/lists/wg-mask?view=date" || path == "/lists/wg-mask/thread/"+id {
				show, hidden = whole[:1], masked[:1]
			}
			got := anon.get(path)
			if got.Status != 200 {
				t.Fatalf("%s: %d", path, got.Status)
			}
			// Those two words appear only inside addresses: an anonymous
			// reader's search for them finds nothing, which confirms no
			// address. PostgreSQL's parser keeps an address as one word,
			// so there a signed-in reader's finds nothing either.
			if path == "/lists/search?q=Stefaan" || path == "/lists/search?q=flefauch" {
				if strings.Contains(got.Body, "Routing question") {
					t.Errorf("anonymous %s finds the posting by a word of an address", path)
				}
				hidden = nil
				if db.Dialect() == store.Postgres {
					show = nil
				}
			}
			for _, w := range whole {
				if strings.Contains(strings.ToLower(got.Body), strings.ToLower(w)) || strings.Contains(got.Body, strings.Replace(w, "@", "</mark>@", 1)) {
					t.Errorf("anonymous %s shows %s:\n%s", path, w, got.Body)
				}
			}
			body := strings.ReplaceAll(strings.ReplaceAll(got.Body, "<mark>", ""), "</mark>", "")
			for _, m := range hidden {
				if strings.Contains(path, "search") && m == "a…@b.example" {
					continue // quoted text is not in snippets
				}
				if !strings.Contains(body, m) && !strings.Contains(body, strings.ReplaceAll(m, "<", "&lt;")) {
					t.Errorf("anonymous %s lacks %s", path, m)
				}
			}
			got = reader.get(path)
			body = strings.ReplaceAll(strings.ReplaceAll(got.Body, "<mark>", ""), "</mark>", "")
			for _, w := range show {
				if strings.Contains(path, "search") && w == "a@b.example" {
					continue
				}
				if !strings.Contains(body, w) {
					t.Errorf("signed-in %s lacks %s", path, w)
				}
			}
		}
	})
}

// TestAttachmentNamesAreMaskedForAnonymousReaders: an address in an
// attachment's file name is masked on the posting's page, in the
// download's Content-Disposition and in the mbox for anonymous readers;
// signed-in participants see it whole.
func TestAttachmentNamesAreMaskedForAnonymousReaders(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		a := newAccountSite(t, siteOptions{DB: db, Args: []string{"--mail-domain", "lists.example.org"}})
		svc := a.Server.listService()
		if _, err := svc.Create(t.Context(), lists.Actor{Label: "test"}, lists.NewList{Name: "wg-att", Description: "Files", Posting: "open", Archive: "public"}); err != nil {
			t.Fatal(err)
		}
		res, err := svc.Post(t.Context(), lists.Draft{List: "wg-att", Name: "Carol", Email: "carol@example.net", Subject: "Notes", Body: "Attached.",
			AcceptTerms: true, Channel: policy.ChannelWeb,
			Attachments: []lists.Attachment{{N: 1, Filename: "carol.private@attach.example.txt", ContentType: "text/plain", Size: int64(len(attachedNotes)), Data: []byte(attachedNotes)}}})
		if err != nil {
			t.Fatal(err)
		}
		msg := "/lists/wg-att/msg/" + itoa(res.Posting.ID)
		a.signUp(t, "Rita Reader", "rita@example.org")
		reader := a.signIn(t, "rita@example.org")
		anon := a.browser(t)
		for _, path := range []string{msg, msg + "/att/1", "/lists/wg-att/mbox"} {
			got := anon.get(path)
			all := got.Body + " " + got.Header.Get("Content-Disposition")
			// However the name is encoded (%-escapes, RFC 2231, encoded
			// words), the local part must not be in it.
			if got.Status != 200 || strings.Contains(all, "carol.private") || !strings.Contains(all, "attach.example") {
				t.Errorf("anonymous %s: %d, name shown %q", path, got.Status, all[:min(len(all), 400)])
			}
		}
		if got := reader.get(msg); !strings.Contains(got.Body, "carol.private@attach.example.txt") {
			t.Errorf("a signed-in reader does not see the file's name whole")
		}
		// The file's text: masked in the download and in the mbox (where
		// it is base64) for anonymous readers, whole for the signed-in.
		for _, c := range []struct {
			who  *browser
			want string
		}{{anon, "Minutes taker: da…@inner.example"}, {reader, attachedNotes}} {
			if got := c.who.get(msg + "/att/1"); got.Body != c.want || got.Header.Get("Content-Length") != itoa(int64(len(c.want))) {
				t.Errorf("download: %q (Content-Length %s), want %q", got.Body, got.Header.Get("Content-Length"), c.want)
			}
			if got := base64Parts(t, c.who.get("/lists/wg-att/mbox").Body); len(got) != 1 || got[0] != c.want {
				t.Errorf("the mbox's attachment: %q, want %q", got, c.want)
			}
		}
	})
}

const attachedNotes = "Minutes taker: dave.secret@inner.example"

// base64Parts decodes the base64 parts of an mbox file.
func base64Parts(t *testing.T, mbox string) []string {
	t.Helper()
	var out []string
	for _, part := range strings.Split(mbox, "Content-Transfer-Encoding: base64\n\n")[1:] {
		enc, _, _ := strings.Cut(part, "\n\n")
		enc, _, _ = strings.Cut(enc, "\n--")
		data, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(enc, "\n", ""))
		if err != nil {
			t.Fatalf("a base64 part that does not decode: %v: %q", err, enc)
		}
		out = append(out, string(data))
	}
	return out
}

// TestForwardedMessageHeadersAreMaskedForAnonymousReaders: a forwarded
// message whose subject and sender's name are encoded words (RFC 2047)
// shows them decoded in a mail program; an anonymous reader's download of
// it, and the mbox that carries it, must hold no address there once
// decoded. A signed-in participant's copy is the message as posted.
func TestForwardedMessageHeadersAreMaskedForAnonymousReaders(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		a := newAccountSite(t, siteOptions{DB: db, Args: []string{"--mail-domain", "lists.example.org"}})
		svc := a.Server.listService()
		if _, err := svc.Create(t.Context(), lists.Actor{Label: "test"}, lists.NewList{Name: "sandbox", Description: "Forwards", Posting: "open", Archive: "public"}); err != nil {
			t.Fatal(err)
		}
		res, err := svc.Post(t.Context(), lists.Draft{List: "sandbox", Name: "Carol", Email: "carol@example.net", Subject: "Fwd", Body: "Forwarded.",
			AcceptTerms: true, Channel: policy.ChannelWeb,
			Attachments: []lists.Attachment{{N: 1, Filename: "forward.eml", ContentType: "message/rfc822", Size: int64(len(forwardedMessage)), Data: []byte(forwardedMessage)}}})
		if err != nil {
			t.Fatal(err)
		}
		att := "/lists/sandbox/msg/" + itoa(res.Posting.ID) + "/att/1"
		a.signUp(t, "Rita Reader", "rita@example.org")
		reader := a.signIn(t, "rita@example.org")
		anon := a.browser(t)
		mboxPart := func(b *browser) string {
			parts := base64Parts(t, b.get("/lists/sandbox/mbox").Body)
			if len(parts) != 1 {
				t.Fatalf("%d base64 parts in the mbox, want the forwarded message", len(parts))
			}
			return parts[0]
		}
		for name, raw := range map[string]string{"the download": anon.get(att).Body, "the mbox": mboxPart(anon)} {
			m, err := mail.ReadMessage(strings.NewReader(raw))
			if err != nil {
				t.Fatalf("%s does not parse: %v\n%s", name, err, raw)
			}
			dec := new(mime.WordDecoder)
			subject, err1 := dec.DecodeHeader(m.Header.Get("Subject"))
			from, err2 := dec.DecodeHeader(m.Header.Get("From"))
			if err1 != nil || err2 != nil {
				t.Fatalf("%s: the header does not decode: %v, %v", name, err1, err2)
			}
			if subject != "Réunion avec ja…@example.org" || !strings.HasPrefix(from, "ja…@example.org <") || strings.Contains(raw+subject+from, "jane.doe") {
				t.Errorf("%s shows an anonymous reader Subject %q, From %q:\n%s", name, subject, from, raw)
			}
		}
		if got := reader.get(att).Body; got != forwardedMessage {
			t.Errorf("a signed-in reader's download is not the message as posted:\n%s", got)
		}
		if got := mboxPart(reader); got != forwardedMessage {
			t.Errorf("a signed-in reader's mbox does not carry the message as posted:\n%s", got)
		}
	})
}

const forwardedMessage = "From: =?utf-8?b?amFuZS5kb2VAZXhhbXBsZS5vcmc=?= <jane.doe@example.org>\r\n" +
	"To: team@example.org\r\nSubject: =?iso-8859-1?q?R=E9union_avec_jane=2Edoe=40example=2Eorg?=\r\n" +
	"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee you there.\r\n"
