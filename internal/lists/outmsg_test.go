package lists_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"math/rand"
	"mime"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	gomessage "github.com/emersion/go-message/mail"

	"plenary/internal/jobs"
	"plenary/internal/lists"
	"plenary/internal/mail"
	"plenary/internal/policy"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// distribute runs the due distribution jobs through a real SMTP server
// (the sink) and returns what each subscriber received, parsed, by the
// posting's Message-ID.
func distribute(t *testing.T, db *store.DB, got *sink, sinkAddr string, jobsWanted int) map[string]map[string]received {
	t.Helper()
	ctx := context.Background()
	sender, err := mail.ParseURL("smtp://"+sinkAddr+"?tls=none&from=site@lists.example.org", "")
	if err != nil {
		t.Fatal(err)
	}
	d := &lists.Distributor{DB: db, Mail: sender, Domain: "lists.example.org", BaseURL: "https://site.example"}
	r := &jobs.Runner{Queue: &jobs.Queue{DB: db, Worker: "test"}, Handlers: map[string]jobs.Handler{lists.DistributeKind: d.Handle}}
	if n, err := r.RunDue(ctx); err != nil || n != jobsWanted {
		t.Fatalf("ran %d distribution jobs, %v; want %d", n, err, jobsWanted)
	}
	got.mu.Lock()
	defer got.mu.Unlock()
	out := map[string]map[string]received{}
	for addr, msgs := range got.got {
		out[addr] = map[string]received{}
		for _, raw := range msgs {
			m := parseReceived(t, raw)
			out[addr][m.header.Get("Message-ID")] = m
		}
	}
	return out
}

// received is a copy as a subscriber's mail program reads it.
type received struct {
	raw    string
	header netmail.Header
	text   string
	files  map[string][]byte // by file name
	types  map[string]string // the attachments' content types
	ctype  string
}

// parseReceived reads a message with net/mail (its header) and go-message
// (its parts, transfer encodings undone).
func parseReceived(t *testing.T, raw string) received {
	t.Helper()
	m, err := netmail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		t.Fatalf("net/mail cannot read the copy: %v\n%s", err, raw)
	}
	out := received{raw: raw, header: m.Header, files: map[string][]byte{}, types: map[string]string{}}
	mr, err := gomessage.CreateReader(strings.NewReader(raw))
	if err != nil {
		t.Fatalf("go-message cannot read the copy: %v\n%s", err, raw)
	}
	out.ctype, _, _ = mr.Header.ContentType()
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("reading the copy's parts: %v\n%s", err, raw)
		}
		b, err := io.ReadAll(p.Body)
		if err != nil {
			t.Fatalf("reading a part: %v", err)
		}
		switch h := p.Header.(type) {
		case *gomessage.InlineHeader:
			out.text += strings.ReplaceAll(string(b), "\r\n", "\n")
		case *gomessage.AttachmentHeader:
			name, err := h.Filename()
			if err != nil {
				t.Fatalf("an attachment's name: %v", err)
			}
			out.files[name] = b
			out.types[name], _, _ = h.ContentType()
		}
	}
	return out
}

// listIDPhrase reads List-Id's phrase as a mail program does: the field
// made an address (the id gains an @) for net/mail, which unquotes quoted
// strings and decodes encoded words; "" when there is none.
func listIDPhrase(t *testing.T, field, id string) string {
	t.Helper()
	if !strings.HasSuffix(field, "<"+id+">") {
		t.Fatalf("List-Id %q does not end in <%s>", field, id)
	}
	a, err := netmail.ParseAddress(strings.TrimSuffix(field, "<"+id+">") + "<" + id + "@x>")
	if err != nil {
		t.Fatalf("List-Id %q does not parse as phrase <id>: %v", field, err)
	}
	return a.Name
}

// TestListCopiesAsMailProgramsReadThem is issue 9's review on both
// engines: postings by real SMTP (the first with an attachment, an author
// name with quotes and a non-ASCII letter) and a reply from the web reach
// subscribers through a real SMTP server, and each copy, parsed with
// net/mail and go-message, has: From "Author via list" at the list's
// address and nowhere the author's address; Reply-To the list; List-Help,
// List-Subscribe, List-Owner next to List-Post, List-Archive,
// List-Unsubscribe(-Post) and List-Id; In-Reply-To and References that
// thread it (the web reply, which names only its parent, gets the
// parent's chain from the archive); and the attachment byte for byte in a
// multipart/mixed copy whose text is the posting's.
func TestListCopiesAsMailProgramsReadThem(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		e.now = time.Now().UTC().Add(-time.Hour) // jobs are due by the real clock
		e.list(t, "wg-out", lists.PostOpen)
		tokens := map[string]string{}
		for _, a := range []string{"one@example.net", "two@example.net"} {
			tokens[a] = e.subscribe(t, "wg-out", a).Token
		}
		in := startInbound(t, e.svc)
		sinkAddr, got := startSink(t)

		// Bytes that would trip a careless writer: NUL, 0xff, CR LF, a
		// line that looks like a boundary and one like an mbox "From ".
		data := make([]byte, 4096)
		rand.New(rand.NewSource(9)).Read(data)
		data = append(data, []byte("\x00\xff\r\n--=_plenary_\r\nFrom me\n")...)
		var b64 strings.Builder
		enc := base64.StdEncoding.EncodeToString(data)
		for len(enc) > 76 {
			b64.WriteString(enc[:76] + "\n")
			enc = enc[76:]
		}
		b64.WriteString(enc + "\n")
		annName := `Ann "the chair" Åberg`
		first := "From: " + mime.BEncoding.Encode("utf-8", annName) + " <ann@example.net>\nTo: wg-out@lists.example.org\n" +
			"Subject: Agenda\nMessage-ID: <first@example.net>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=B\n\n" +
			"--B\nContent-Type: text/plain; charset=utf-8\n\nThe agenda is attached; café at ten.\n" +
			"--B\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=\"agenda v2.pdf\"\nContent-Transfer-Encoding: base64\n\n" +
			b64.String() + "--B--\n"
		if err := smtpSend(t, in, "ann@example.net", "wg-out@lists.example.org", first); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.AcceptTerms(ctx, e.link(t, "ann@example.net")); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_contributors WHERE email = 'ann@example.net' AND name = ?", annName); n != 1 {
			t.Fatalf("Ann's name was not kept as %q", annName)
		}
		reply := "From: Bob <bob@example.net>\nSubject: Re: Agenda\nMessage-ID: <reply@example.net>\nIn-Reply-To: <first@example.net>\n" +
			"References: <first@example.net>\n\nFine by me.\n"
		if err := smtpSend(t, in, "bob@example.net", "wg-out@lists.example.org", reply); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.AcceptTerms(ctx, e.link(t, "bob@example.net")); err != nil {
			t.Fatal(err)
		}
		// From the web: the form names the parent only.
		res, err := e.svc.Post(ctx, lists.Draft{List: "wg-out", Name: "Cat", Email: "cat@example.net", Subject: "Re: Agenda", Body: "Me too.",
			InReplyTo: "<reply@example.net>", AcceptTerms: true, Channel: policy.ChannelWeb})
		if err != nil || res.Posting.Status != lists.Published {
			t.Fatalf("the web reply: %+v, %v", res, err)
		}
		web := res.Posting.MessageID

		copies := distribute(t, db, got, sinkAddr, 3)
		if len(copies) != 2 {
			t.Fatalf("delivered to %d addresses, want 2", len(copies))
		}
		type want struct {
			from, inReplyTo, references, text string
		}
		wants := map[string]want{
			"<first@example.net>": {annName + " via wg-out", "", "", "The agenda is attached; café at ten."},
			"<reply@example.net>": {"Bob via wg-out", "<first@example.net>", "<first@example.net>", "Fine by me."},
			web:                   {"Cat via wg-out", "<reply@example.net>", "<first@example.net> <reply@example.net>", "Me too."},
		}
		for addr, byID := range copies {
			if len(byID) != 3 {
				t.Fatalf("%s got %d distinct copies, want 3", addr, len(byID))
			}
			for id, w := range wants {
				c, ok := byID[id]
				if !ok {
					t.Fatalf("%s did not get %s", addr, id)
				}
				h := c.header
				from, err := netmail.ParseAddress(h.Get("From"))
				if err != nil || from.Name != w.from || from.Address != "wg-out@lists.example.org" {
					t.Errorf("%s: From %q reads as %+v, %v; want %q <wg-out@lists.example.org>", id, h.Get("From"), from, err, w.from)
				}
				for _, a := range []string{"ann@", "bob@", "cat@"} {
					if strings.Contains(c.raw, a) {
						t.Errorf("%s: the copy shows the author's address %s…:\n%s", id, a, c.raw)
					}
				}
				for name, value := range map[string]string{
					"Reply-To":              "wg-out@lists.example.org",
					"List-Id":               "The wg-out group <wg-out.lists.example.org>",
					"List-Help":             "<https://site.example/lists/wg-out>",
					"List-Subscribe":        "<https://site.example/lists/wg-out>",
					"List-Owner":            "<https://site.example/contact>",
					"List-Post":             "<mailto:wg-out@lists.example.org>",
					"List-Archive":          "<https://site.example/lists/wg-out>",
					"List-Unsubscribe":      "<https://site.example/lists/wg-out/unsubscribe/" + tokens[addr] + ">, <mailto:wg-out-unsubscribe@lists.example.org>",
					"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
					"In-Reply-To":           w.inReplyTo,
					"References":            w.references,
				} {
					// net/mail keeps folded fields' line breaks; a mail
					// program unfolds them.
					if v := strings.Join(strings.Fields(h.Get(name)), " "); v != value {
						t.Errorf("%s to %s: %s is %q, want %q", id, addr, name, v, value)
					}
				}
				if !strings.Contains(c.text, w.text) || !strings.HasPrefix(c.text, "From: "+strings.TrimSuffix(w.from, " via wg-out")+"\n") {
					t.Errorf("%s: the text is %q", id, c.text)
				}
			}
			c := byID["<first@example.net>"]
			if testing.Verbose() && addr == "one@example.net" {
				t.Logf("the copy of the first posting as received:\n%s", c.raw[:min(len(c.raw), 3000)])
			}
			if c.ctype != "multipart/mixed" || len(c.files) != 1 || !bytes.Equal(c.files["agenda v2.pdf"], data) || c.types["agenda v2.pdf"] != "application/pdf" {
				t.Errorf("the attachment did not arrive whole: %s with %d files, agenda v2.pdf of %d bytes (%s), want %d\n%s",
					c.ctype, len(c.files), len(c.files["agenda v2.pdf"]), c.types["agenda v2.pdf"], len(data), c.raw)
			}
			if r := byID["<reply@example.net>"]; r.ctype != "text/plain" || len(r.files) != 0 {
				t.Errorf("a posting without attachments went as %s with %d files", r.ctype, len(r.files))
			}
		}
	})
}

// TestListIdSurvivesHostileDescriptions: whatever a list's description
// holds (angle brackets, quotes, backslashes, colons, non-ASCII, a line
// break, great length), List-Id as received through a real SMTP server
// parses as a phrase and the list's id, the phrase reads back as the
// description's first line (its white space made single spaces, cut to 80
// characters), and the copy's other fields are intact.
func TestListIdSurvivesHostileDescriptions(t *testing.T) {
	long := strings.Repeat("Long: <x> \"y\" ", 20)
	cases := []struct {
		desc, want string
	}{
		{`Chat about <angle> brackets, "quotes" and: colons`, `Chat about <angle> brackets, "quotes" and: colons`},
		{`Back\slash "and \"escaped\" quotes`, `Back\slash "and \"escaped\" quotes`},
		{"Café: «crème» <brûlée>", "Café: «crème» <brûlée>"},
		{"Ünïcode words only", "Ünïcode words only"},
		{"First line\r\nBcc: evil@example.com", "First line"},
		{"Tab\there and\rcarriage", "Tab here and carriage"},
		{"Ann (the chair); list@example.org, =?utf-8?q?no?=", "Ann (the chair); list@example.org, =?utf-8?q?no?="},
		{long, strings.TrimSpace(string([]rune(long)[:80]))},
		{"日本語の説明とコロン: そして <山括弧>", "日本語の説明とコロン: そして <山括弧>"},
		{"   ", ""},
	}
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		e.now = time.Now().UTC().Add(-time.Hour)
		for i, c := range cases {
			name := fmt.Sprintf("wg-d%d", i)
			e.list(t, name, lists.PostOpen)
			// Straight into the table: the description is as hostile as
			// any the store could hold, whatever the forms let through.
			if _, err := db.Exec(ctx, "UPDATE lists SET description = ? WHERE name = ?", c.desc, name); err != nil {
				t.Fatal(err)
			}
			e.subscribe(t, name, name+"@example.net")
			e.post(t, name, "Ann", "ann@example.net", "Hello "+name, "Hi.")
		}
		sinkAddr, got := startSink(t)
		copies := distribute(t, db, got, sinkAddr, len(cases))
		for i, c := range cases {
			name := fmt.Sprintf("wg-d%d", i)
			var m received
			for _, r := range copies[name+"@example.net"] {
				m = r
			}
			if m.header == nil {
				t.Errorf("%q: no copy arrived", c.desc)
				continue
			}
			field := m.header.Get("List-Id")
			if testing.Verbose() {
				t.Logf("%q: List-Id: %s", c.desc, field)
			}
			if ph := listIDPhrase(t, field, name+".lists.example.org"); ph != c.want {
				t.Errorf("%q: List-Id %q reads as %q, want %q", c.desc, field, ph, c.want)
			}
			if strings.Contains(m.raw, "\nBcc:") || m.header.Get("Bcc") != "" {
				t.Errorf("%q: the description added a header field:\n%s", c.desc, m.raw)
			}
			if m.header.Get("List-Post") != "<mailto:"+name+"@lists.example.org>" || !strings.HasPrefix(m.header.Get("Subject"), "["+name+"]") {
				t.Errorf("%q: the copy's other fields changed:\n%s", c.desc, m.raw)
			}
		}
	})
}
