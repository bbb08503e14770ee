package lists_test

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"mime"
	"strings"
	"testing"
	"unicode/utf16"

	"plenary/internal/lists"

	"github.com/emersion/go-message"
)

func TestMaskAddresses(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"no address here", "no address here"},
		{"write to flefauch@cisco.com.", "write to fl…@cisco.com."},
		{"Stefaan.De_Cnodder@alcatel-lucent.com wrote:", "St…@alcatel-lucent.com wrote:"},
		{"> On Monday, Jane <a@b.example> wrote:", "> On Monday, Jane <a…@b.example> wrote:"},
		{"mailto:jane.doe@example.org?subject=hi", "mailto:ja…@example.org?subject=hi"},
		{"https://x.example/cgi?to=jane@example.org&x=1", "https://x.example/cgi?to=ja…@example.org&x=1"},
		{"(bob@example.net), carol+lists@sub.example.co.uk;", "(b…@example.net), ca…@sub.example.co.uk;"},
		{"...jane@example.org...", "...ja…@example.org..."},
		{"josé.garcía@ejemplo.es", "jo…@ejemplo.es"},
		{"@handle and a@ and @b.example", "@handle and a@ and @b.example"},
		{"a@b.example,c@d.example", "a…@b.example,c…@d.example"},
		// A quoted local part, masked as others are, without its quotes.
		{`write to "john.smith"@example.com.`, "write to jo…@example.com."},
		{`"john smith"@example.com and "j"@x.example`, "jo…@example.com and j…@x.example"},
		{`<"o\"neil"@example.com>`, "<o\"…@example.com>"},
		{`"" @ and ""@x.example`, `"" @ and ""@x.example`},
		// A domain literal.
		{"bob.secret@[192.0.2.7] wrote", "bo…@[192.0.2.7] wrote"},
		{"<bob.secret@[IPv6:2001:db8::1]>", "<bo…@[IPv6:2001:db8::1]>"},
		{"bob@[not a literal]", "bob@[not a literal]"},
		// "%40" for "@" in a link.
		{"mailto:george.secret%40example.org", "mailto:ge…%40example.org"},
		{"https://x.example/cgi?to=george.secret%40example.org&x=1", "https://x.example/cgi?to=ge…%40example.org&x=1"},
		{"a rise of 50%40 points", "a rise of 50%40 points"},
		// "=" in a local part, and ending a query parameter.
		{"frank=secret@example.org", "fr…@example.org"},
		{"(frank=secret@example.org)", "(fr…@example.org)"},
		{"mailto:?to=frank=secret@example.org", "mailto:?to=fr…@example.org"},
		{"https://x.example/?a=1&cc=jane@example.org", "https://x.example/?a=1&cc=ja…@example.org"},
		{"x;to=jane@example.org", "x;to=ja…@example.org"},
		// A header field's parameter keeps its name.
		{"attachment; filename=jane@example.org.txt", "attachment; filename=ja…@example.org.txt"},
		{"attachment; filename*=utf-8''jane%40example.org.txt", "attachment; filename*=utf-8''ja…%40example.org.txt"},
	} {
		got := lists.MaskAddresses(c.in)
		if got != c.want {
			t.Errorf("MaskAddresses(%q) = %q, want %q", c.in, got, c.want)
		}
		if again := lists.MaskAddresses(got); again != got {
			t.Errorf("masking %q again gave %q", got, again)
		}
	}
}

// TestSnippetNeverLeaksAnAddress cuts and marks masked postings around
// searched words in and next to addresses: no fragment, nor the text the
// fragments make together, holds a whole address.
func TestSnippetNeverLeaksAnAddress(t *testing.T) {
	body := strings.Repeat("filler words before the point ", 12) + "Ask flefauch@cisco.com or Stefaan.De_Cnodder@alcatel-lucent.com about cisco routing.\n" +
		"> mailto:a@b.example wrote: routing " + strings.Repeat("after ", 60)
	p := lists.Posting{Subject: "Re: routing (flefauch@cisco.com)", Body: body, Author: "flefauch@cisco.com", Email: "flefauch@cisco.com"}.Masked()
	for _, words := range [][]string{{"flefauch"}, {"cisco"}, {"stefaan", "cnodder"}, {"routing"}, {"alcatel"}, nil} {
		for _, frags := range [][]lists.Fragment{lists.Snippet(p.Body, words), lists.Highlight(p.Subject, words)} {
			var all strings.Builder
			for _, f := range frags {
				all.WriteString(f.Text)
				for _, whole := range []string{"flefauch@", "Stefaan.De_Cnodder@", "a@b", "De_Cnodder@"} {
					if strings.Contains(f.Text, whole) {
						t.Errorf("%v: fragment %q holds an address", words, f.Text)
					}
				}
			}
			for _, whole := range []string{"flefauch", "Stefaan", "Cnodder", "a@b"} {
				if strings.Contains(all.String(), whole) {
					t.Errorf("%v: snippet %q holds %q", words, all.String(), whole)
				}
			}
		}
	}
	if p.Author != "fl…@cisco.com" || p.Email != "fl…@cisco.com" {
		t.Errorf("masked author %q <%s>", p.Author, p.Email)
	}
}

// TestMaskedContents: text attachments reach anonymous readers with their
// addresses masked, whatever their declared text type or charset; files
// with a structure of their own come as they are, even when their bytes
// look like text.
func TestMaskedContents(t *testing.T) {
	latin1 := "Caf\xe9 list: zoe.hidden@inner.example\n"
	for _, c := range []struct {
		name, ctype, in, want string
	}{
		{"plain text", "text/plain", "Participants: zoe.hidden@inner.example, bo@x.example\n", "Participants: zo…@inner.example, b…@x.example\n"},
		{"Latin-1 text", "text/plain; charset=iso-8859-1", latin1, "Caf\xe9 list: zo…@inner.example\n"},
		{"a forwarded message", "message/rfc822", "From: Zoe <zoe.hidden@inner.example>\r\nTo: list@x.example\r\n\r\nhi\r\n", "From: Zoe <zo…@inner.example>\r\nTo: li…@x.example\r\n\r\nhi\r\n"},
		{"CSV", "text/csv", "name,email\nZoe,zoe.hidden@inner.example\n", "name,email\nZoe,zo…@inner.example\n"},
		{"an untyped text file", "application/octet-stream", "diff: zoe.hidden@inner.example\n", "diff: zo…@inner.example\n"},
		{"an untyped binary file", "application/octet-stream", "\x00\x01zoe.hidden@inner.example", "\x00\x01zoe.hidden@inner.example"},
		{"an untyped file, not UTF-8", "", "\xff\xfezoe.hidden@inner.example", "\xff\xfezoe.hidden@inner.example"},
		{"an ASCII PDF", "application/pdf", "%PDF-1.4\n(zoe.hidden@inner.example) Tj\n", "%PDF-1.4\n(zoe.hidden@inner.example) Tj\n"},
		{"no address", "text/plain", "nothing to hide", "nothing to hide"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := string(lists.MaskedContents(c.ctype, []byte(c.in))); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
			a := lists.Attachment{Filename: "f", ContentType: c.ctype, Data: []byte(c.in), Size: int64(len(c.in))}.Masked()
			if string(a.Data) != c.want || a.Size != int64(len(c.want)) {
				t.Errorf("Attachment.Masked: %q (%d bytes)", a.Data, a.Size)
			}
		})
	}
}

// TestMaskedContentsUTF16: a text file in UTF-16 (what a spreadsheet's
// "Unicode text" export writes) holds its addresses two bytes a
// character, which a mask looking for "@" between ASCII letters never
// sees: the file must come masked too, with or without a byte-order mark,
// served typed or untyped, and still in UTF-16.
func TestMaskedContentsUTF16(t *testing.T) {
	text := "name\temail\nZoe\tzoe.hidden@inner.example\n"
	masked := "name\temail\nZoe\tzo…@inner.example\n"
	for _, c := range []struct {
		name, ctype string
		bom         bool
		order       binary.AppendByteOrder
	}{
		{"little-endian with a mark, untyped", "application/octet-stream", true, binary.LittleEndian},
		{"big-endian with a mark, as text", "text/plain", true, binary.BigEndian},
		{"little-endian, no mark, as CSV", "text/csv", false, binary.LittleEndian},
		{"big-endian, no mark, untyped", "", false, binary.BigEndian},
	} {
		t.Run(c.name, func(t *testing.T) {
			enc := func(s string) []byte {
				var b []byte
				if c.bom {
					b = c.order.AppendUint16(b, 0xfeff)
				}
				for _, u := range utf16.Encode([]rune(s)) {
					b = c.order.AppendUint16(b, u)
				}
				return b
			}
			if got := lists.MaskedContents(c.ctype, enc(text)); !bytes.Equal(got, enc(masked)) {
				t.Errorf("got %q, want %q", got, enc(masked))
			}
		})
	}
}

// TestMaskedForwardedMessages: a forwarded message (message/rfc822) is
// masked part by part, so an address in a base64 or quoted-printable
// body ("=40" for "@"), in a Latin-1 part, or in a message forwarded
// inside it reaches an anonymous reader masked; its other parts keep
// their bytes. One that does not parse is masked as raw text.
func TestMaskedForwardedMessages(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	inner := "From: Quinn <quinn.deep@inner.example>\r\nSubject: inner\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		b64("Deep down: quinn.deep@inner.example\r\n") + "\r\n"
	msg := "From: Zoe <zoe.hidden@inner.example>\r\nTo: wg@x.example\r\nSubject: Fwd\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n" +
		"--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nWrite to pat.private=40corp.example, caf=C3=A9.\r\n" +
		"--b1\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: base64\r\n\r\n" + base64.StdEncoding.EncodeToString([]byte("Caf\xe9: lee.latin@corp.example\r\n")) + "\r\n" +
		"--b1\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64("\x89PNG\r\n\x1a\nbytes kept") + "\r\n" +
		"--b1\r\nContent-Type: message/rfc822\r\n\r\n" + inner +
		"--b1--\r\n"
	out := string(lists.MaskedContents("message/rfc822", []byte(msg)))
	e, err := message.Read(strings.NewReader(out))
	if err != nil {
		t.Fatalf("the masked message does not parse: %v\n%s", err, out)
	}
	var texts []string
	var png []byte
	var walk func(e *message.Entity)
	walk = func(e *message.Entity) {
		for f := e.Header.Fields(); f.Next(); {
			texts = append(texts, f.Value())
		}
		if mr := e.MultipartReader(); mr != nil {
			for {
				p, err := mr.NextPart()
				if err != nil {
					return
				}
				walk(p)
			}
		}
		body, _ := io.ReadAll(e.Body)
		switch ct, _, _ := e.Header.ContentType(); ct {
		case "image/png":
			png = body
		case "message/rfc822":
			in, err := message.Read(bytes.NewReader(body))
			if err != nil {
				t.Fatalf("the inner message does not parse: %v", err)
			}
			walk(in)
		default:
			texts = append(texts, string(body))
		}
	}
	walk(e)
	all := strings.Join(texts, "\n")
	for _, whole := range []string{"zoe.hidden", "pat.private", "lee.latin", "quinn.deep"} {
		if strings.Contains(all, whole) || strings.Contains(out, whole) {
			t.Errorf("%s is left whole:\n%s", whole, all)
		}
	}
	for _, want := range []string{"zo…@inner.example", "Write to pa…@corp.example, café.", "Café: le…@corp.example", "Deep down: qu…@inner.example", "qu…@inner.example"} {
		if !strings.Contains(all, want) {
			t.Errorf("the masked message lacks %q:\n%s", want, all)
		}
	}
	if string(png) != "\x89PNG\r\n\x1a\nbytes kept" {
		t.Errorf("the image part changed: %q", png)
	}
	// Broken MIME still gets its visible addresses masked.
	broken := "From: zoe.hidden@inner.example\r\nContent-Type: multipart/mixed\r\n\r\n--x\r\nzoe.hidden@inner.example\r\n"
	if got := string(lists.MaskedContents("message/rfc822", []byte(broken))); strings.Contains(got, "zoe.hidden") {
		t.Errorf("a broken forwarded message kept the address: %q", got)
	}
}

// TestMaskedForwardedMessageNestedDeep: parts nested far deeper than any
// mail program writes are not opened one by one; the file is masked as
// raw text, quickly.
func TestMaskedForwardedMessageNestedDeep(t *testing.T) {
	var b strings.Builder
	b.WriteString("From: zoe.hidden@inner.example\r\nMIME-Version: 1.0\r\n")
	const depth = 5000
	for i := range depth {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n--b%d\r\n", i, i)
	}
	b.WriteString("Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nlast zoe.hidden@inner.example\r\n")
	for i := depth - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\r\n", i)
	}
	got := string(lists.MaskedContents("message/rfc822", []byte(b.String())))
	if strings.Contains(got, "zoe.hidden") || !strings.Contains(got, "zo…@inner.example") {
		t.Errorf("the deep message kept an address or lost its text: %.300q", got)
	}
}

// FuzzMaskedContents: whatever a forwarded message or text file holds,
// masking it never panics, and a file whose bytes hold no "@", no "=40",
// no "%40" and no encoded word ("=?") comes as it was.
func FuzzMaskedContents(f *testing.F) {
	f.Add("message/rfc822", []byte("From: a@b.example\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Transfer-Encoding: base64\r\n\r\nYUBiLmV4YW1wbGU=\r\n--x--\r\n"))
	f.Add("message/rfc822", []byte("Content-Transfer-Encoding: quoted-printable\r\n\r\nzoe=40x.example\r\n"))
	f.Add("text/plain", []byte("\xff\xfez\x00@\x00"))
	f.Add("message/rfc822", []byte("Subject: =?utf-8?b?YUBiLmV4YW1wbGU=?=\r\nContent-Disposition: attachment; filename*=utf-8''a%40b.example\r\n\r\nx\r\n"))
	f.Fuzz(func(t *testing.T, ctype string, data []byte) {
		out := lists.MaskedContents(ctype, data)
		l := bytes.ToLower(data)
		if !bytes.Contains(data, []byte("@")) && !bytes.Contains(l, []byte("=40")) && !bytes.Contains(l, []byte("%40")) && !bytes.Contains(l, []byte("=?")) && !bytes.Contains(l, []byte("base64")) && !bytes.Equal(out, data) {
			t.Errorf("a file without an address changed: %q -> %q", data, out)
		}
	})
}

// TestMaskedForwardedEncodedHeaders: a forwarded message's header fields
// reach an anonymous reader as their mail program shows them, decoded:
// a subject or display name in encoded words (RFC 2047), in any charset,
// split over several words or glued to the text beside it, a file name in
// encoded words or RFC 2231 %-escapes, in the message, in one of its
// parts, or in a message forwarded inside it. Decoded, none may show an
// address whole; each shows it masked as the text is. It used to pass the
// encoded words as they came.
func TestMaskedForwardedEncodedHeaders(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	head := "From: Zed <zed@example.net>\r\nTo: wg@x.example\r\nMIME-Version: 1.0\r\n"
	plain := "Content-Type: text/plain; charset=utf-8\r\n\r\nhello\r\n"
	multipart := func(partHeader string) string {
		return head + "Subject: Fwd\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n" +
			"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee attached.\r\n" +
			"--b1\r\n" + partHeader + "\r\n\r\nnotes\r\n--b1--\r\n"
	}
	for _, c := range []struct {
		name, msg, hidden, shown string
	}{
		{"a Latin-1 subject in Q", head + "Subject: =?iso-8859-1?q?R=E9union_avec_jane=2Edoe=40example=2Eorg?=\r\n" + plain,
			"jane.doe", "Réunion avec ja…@example.org"},
		{"a UTF-8 subject with its @ as it is", head + "Subject: =?utf-8?q?R=C3=A9union_avec_jane.doe@example.org?=\r\n" + plain,
			"jane.doe", "Réunion avec ja…@example.org"},
		{"a display name that is an address", "From: =?utf-8?b?" + b64("jane.doe@example.org") + "?= <zed@example.net>\r\nSubject: hi\r\n" + plain,
			"jane.doe", "ja…@example.org"},
		{"a display name in a list of addresses", head + "Cc: =?utf-8?q?jane=2Edoe=40example=2Eorg?= <a@b.example>, Bob <bob@c.example>\r\nSubject: hi\r\n" + plain,
			"jane.doe", "ja…@example.org"},
		{"an address over two words", head + "Subject: =?utf-8?q?Ask_jane.d?=\r\n =?utf-8?q?oe=40example.org?=\r\n" + plain,
			"jane.d", "Ask ja…@example.org"},
		{"a word glued to the domain", head + "Subject: =?utf-8?q?Ask_jane.doe?=@example.org today\r\n" + plain,
			"jane.doe", "Ask ja…@example.org today"},
		{"an unknown charset", head + "Subject: =?x-nobody-knows?q?jane.doe=40example.org?=\r\n" + plain,
			"jane.doe", "ja…@example.org"},
		{"a part's file name in encoded words", multipart("Content-Type: text/plain\r\nContent-Disposition: attachment; filename=\"=?utf-8?q?jane.doe=40example.org.txt?=\""),
			"jane.doe", "ja…@example.org.txt"},
		{"a part's file name in RFC 2231", multipart("Content-Type: text/plain\r\nContent-Disposition: attachment; filename*=utf-8''jane.doe%40example.org.txt"),
			"jane.doe", "ja…@example.org.txt"},
		{"the subject of a message forwarded inside", multipart("Content-Type: message/rfc822\r\n\r\nSubject: =?utf-8?b?" + b64("Notes for jane.doe@example.org") + "?=\r\nFrom: a@b.example"),
			"jane.doe", "Notes for ja…@example.org"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := lists.MaskedContents("message/rfc822", []byte(c.msg))
			texts := decodedHeaders(t, out, 0)
			all := strings.Join(texts, "\n")
			if strings.Contains(all, c.hidden) || strings.Contains(string(out), c.hidden) {
				t.Errorf("%s is left whole, decoded:\n%s\nraw:\n%s", c.hidden, all, out)
			}
			if !strings.Contains(all, c.shown) {
				t.Errorf("the decoded header lacks %q:\n%s\nraw:\n%s", c.shown, all, out)
			}
		})
	}
	// Encoded words that hold no address, and the fields around a masked
	// one, stay as they came, in their order; a message without an
	// address keeps its bytes.
	msg := "From: =?utf-8?q?Zo=C3=A9?= <zoe.hidden@inner.example>\r\nSubject: =?utf-8?q?Caf=C3=A9_at_noon?=\r\n" + plain
	want := "From: =?utf-8?q?Zo=C3=A9?= <zo…@inner.example>\r\nSubject: =?utf-8?q?Caf=C3=A9_at_noon?=\r\n"
	if out := lists.MaskedContents("message/rfc822", []byte(msg)); !strings.Contains(string(out), want) {
		t.Errorf("a message whose encoded words hold no address:\n%s\nwant\n%s", out, want)
	}
	msg = "Subject: =?utf-8?q?Caf=C3=A9_at_noon?=\r\n" + plain
	if out := lists.MaskedContents("message/rfc822", []byte(msg)); string(out) != msg {
		t.Errorf("a message without an address to mask changed:\n%s", out)
	}
}

// decodedHeaders returns every header field of a message and of its parts
// and forwarded messages, decoded as a mail program shows them, file
// names and other parameters included.
func decodedHeaders(t *testing.T, raw []byte, depth int) []string {
	t.Helper()
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil && !message.IsUnknownCharset(err) {
		t.Fatalf("the masked message does not parse: %v\n%s", err, raw)
	}
	var out []string
	var walk func(e *message.Entity)
	walk = func(e *message.Entity) {
		for f := e.Header.Fields(); f.Next(); {
			v, err := f.Text()
			if err != nil {
				v = f.Value()
			}
			out = append(out, f.Key()+": "+v)
		}
		for _, k := range []string{"Content-Type", "Content-Disposition"} {
			if _, params, err := mime.ParseMediaType(e.Header.Get(k)); err == nil {
				for _, p := range params {
					if d, err := new(mime.WordDecoder).DecodeHeader(p); err == nil {
						p = d
					}
					out = append(out, k+" parameter: "+p)
				}
			}
		}
		if mr := e.MultipartReader(); mr != nil {
			for {
				p, err := mr.NextPart()
				if err != nil {
					return
				}
				walk(p)
			}
		}
		if ct, _, _ := e.Header.ContentType(); ct == "message/rfc822" && depth < 3 {
			body, _ := io.ReadAll(e.Body)
			out = append(out, decodedHeaders(t, body, depth+1)...)
		}
	}
	walk(e)
	return out
}
