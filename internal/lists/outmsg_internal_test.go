package lists

import (
	"fmt"
	"math/rand"
	netmail "net/mail"
	"strings"
	"testing"
)

// TestPhraseReadsBack: whatever text a description or a name holds, its
// phrase stands before an address as net/mail (a mail program's parser)
// reads it, and reads back as the text made one line; it is ASCII, so no
// sender re-encodes it. Hostile strings first, then random ones drawn
// from specials, quotes, backslashes, controls and non-ASCII letters.
func TestPhraseReadsBack(t *testing.T) {
	texts := []string{
		`plain words`, `Chat about <angle> brackets, "quotes" and: colons`, `back\slash`, `"`, `\`, `\"`,
		`a.b`, `Ann (the chair); x@y, z`, "=?utf-8?q?not_a_word?=", "Café <crème>", "Ünïcode", "日本語: <山>",
		"line\r\nBcc: x@y", "tab\tand\x00nul\x7fdel", strings.Repeat("long \"q\" <a> ", 40), "", "  ", "\xff\xfe bad utf-8",
	}
	alphabet := []rune(`abcXYZ 019 "\<>()[],;:@.=?_!*+-/#$%&'^{|}~` + "\t\r\néüß日\u2028\x01")
	rng := rand.New(rand.NewSource(2919))
	for i := 0; i < 2000; i++ {
		r := make([]rune, rng.Intn(60))
		for j := range r {
			r[j] = alphabet[rng.Intn(len(alphabet))]
		}
		texts = append(texts, string(r))
	}
	for _, s := range texts {
		ph := phrase(s)
		for i := 0; i < len(ph); i++ {
			if ph[i] < ' ' || ph[i] > '~' {
				t.Fatalf("phrase(%q) = %q is not printable ASCII", s, ph)
			}
		}
		want := cleanLine(s)
		if want == "" {
			if ph != "" {
				t.Errorf("phrase(%q) = %q, want none", s, ph)
			}
			continue
		}
		a, err := netmail.ParseAddress(ph + " <list@example.org>")
		if err != nil || a.Name != want {
			t.Errorf("phrase(%q) = %q reads as %+v, %v; want %q", s, ph, a, err, want)
		}
	}
}

// TestReferencesField: the chain ends with the parent once, loses what is
// not a Message-ID (so no sender's header can break the copy's), and a
// long one keeps the thread's first id and the nearest ones.
func TestReferencesField(t *testing.T) {
	var long []string
	for i := 1; i <= 30; i++ {
		long = append(long, fmt.Sprintf("<m%d@x>", i))
	}
	want := "<m1@x> " + strings.Join(long[len(long)-maxReferences+1:], " ")
	for _, tt := range []struct{ refs, parent, want string }{
		{"", "", ""},
		{"", "<p@x>", "<p@x>"},
		{"<a@x> <p@x>", "<p@x>", "<a@x> <p@x>"},
		{"<a@x>", "<p@x>", "<a@x> <p@x>"},
		{"<a@x> junk <b@x>\x01 <c d@x> <<e@x>>", "<p@x>", "<a@x> <p@x>"},
		{"<a@x>", "not-an-id", "<a@x>"},
		{strings.Join(long[:29], " "), "<m30@x>", want},
	} {
		if got := referencesField(tt.refs, tt.parent); got != tt.want {
			t.Errorf("referencesField(%q, %q) = %q, want %q", tt.refs, tt.parent, got, tt.want)
		}
	}
}

// TestMIMEBodyForSMTPIsSevenBit: the body of a copy with attachments
// holds no byte above 127 and no bare CR, whatever the text, and its
// attachment parts are the mbox export's.
func TestMIMEBodyForSMTPIsSevenBit(t *testing.T) {
	parts := []string{attachmentPart(Attachment{N: 1, Filename: "résumé\r\n.pdf", ContentType: "application/pdf", Data: []byte{0, 0xff, '\r'}})}
	for _, text := range []string{"plain", "café", "bare\rCR", strings.Repeat("x", 2000)} {
		ctype, cte, body := mimeBody("<id@x>", text, parts, true)
		if !strings.HasPrefix(ctype, "multipart/mixed; boundary=") || cte != "" {
			t.Errorf("%q: %s, %q", text, ctype, cte)
		}
		for i := 0; i < len(body); i++ {
			if body[i] > 127 || body[i] == '\r' {
				t.Fatalf("%q: byte %#x at %d of the body:\n%s", text, body[i], i, body)
			}
		}
		if !strings.Contains(body, parts[0]) {
			t.Errorf("%q: the attachment part is not the export's", text)
		}
	}
}
