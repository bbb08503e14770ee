package mail

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
	"unicode/utf8"
)

// mboxSeeds returns up to n messages from each real mbox file beside the
// repository (../shared/testdata/mbox), split at their "From " lines, so
// the fuzzer starts from the headers and MIME structures real lists carry.
// Without the files it returns nothing and the inline seeds remain.
func mboxSeeds(n int) [][]byte {
	var out [][]byte
	for _, name := range []string{"3GPP_TSG_SA_WG4_EVS.mbox", "ietf-ancp-2010-03.mbox", "numpy-discussion-2001-November.mbox"} {
		b, err := os.ReadFile("../../../shared/testdata/mbox/" + name)
		if err != nil {
			continue
		}
		got := 0
		for msg := range bytes.SplitSeq(b, []byte("\nFrom ")) {
			// Drop the separator line itself; what follows is the message.
			if i := bytes.IndexByte(msg, '\n'); i >= 0 && got < n {
				if m := msg[i+1:]; len(m) < 8<<10 {
					out = append(out, bytes.Clone(m))
					got++
				}
			}
		}
	}
	return out
}

// FuzzParseMessage checks the inbound mail parser against any bytes: it
// never panics; a refusal wraps ErrMalformed and returns nothing else; an
// accepted message has a sender address, a subject and text that are
// valid UTF-8 without control characters (line ends are \n), and text no
// larger than a charset conversion can make of the bytes it came from.
// The same bytes always give the same answer.
func FuzzParseMessage(f *testing.F) {
	for _, s := range []string{
		"From: a@example.org\r\nSubject: hi\r\n\r\nbody\r\n",
		"From: =?utf-8?q?J=C3=BCrgen?= <j@example.org>\nSubject: =?iso-8859-1?q?caf=E9?=\n\nline\n",
		"From: a@example.org\nContent-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: text/html\n\n<p>x</p>\n--b\nContent-Type: text/plain; charset=windows-1252\nContent-Transfer-Encoding: quoted-printable\n\ncaf=E9\n--b--\n",
		"From: a@example.org\nContent-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: multipart/mixed; boundary=y\n\n--y\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\naGVsbG8=\n--y--\n--x--\n",
		"From: a@example.org\nContent-Type: text/plain; charset=shift_jis\n\n\x82\xa0\n",
		"From: a@example.org\nContent-Type: text/plain\nContent-Disposition: attachment\n\nx\n",
		"From: a@example.org\nSubject: nul\x00\n\nx",
		"From: a@example.org, b@example.org\n\nx",
		"Subject: no sender\n\nx",
		"From: a@example.org\nContent-Transfer-Encoding: uuencode\n\nx",
		"",
	} {
		f.Add([]byte(s))
	}
	for _, m := range mboxSeeds(15) {
		f.Add(m)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		orig := bytes.Clone(raw)
		in, err := ParseMessage(raw)
		if !bytes.Equal(raw, orig) {
			t.Fatal("ParseMessage modified its input")
		}
		in2, err2 := ParseMessage(raw)
		if in != in2 || (err == nil) != (err2 == nil) {
			t.Fatalf("two parses of the same bytes differ: %+v, %v / %+v, %v", in, err, in2, err2)
		}
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("refusal %v does not wrap ErrMalformed", err)
			}
			if in != (Inbound{}) {
				t.Fatalf("refused message still returned %+v", in)
			}
			return
		}
		if in.From == "" || !strings.Contains(in.From, "@") {
			t.Fatalf("accepted message has sender %q", in.From)
		}
		for name, s := range map[string]string{"subject": in.Subject, "text": in.Text} {
			if !utf8.ValidString(s) {
				t.Fatalf("%s %q is not UTF-8", name, s)
			}
			for _, r := range s {
				if name == "text" && (r == '\n' || r == '\t' || r == '\r') {
					continue
				}
				if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
					t.Fatalf("%s %q holds control character %U", name, s, r)
				}
			}
		}
		if strings.Contains(in.Text, "\r\n") {
			t.Fatalf("text %q keeps CRLF line ends", in.Text)
		}
		// Every decoded byte comes from at least one raw byte; no charset
		// makes more than four bytes of UTF-8 of one byte.
		if len(in.Text) > 4*len(raw) || len(in.Subject) > 4*len(raw) {
			t.Fatalf("%d raw bytes gave %d bytes of text", len(raw), len(in.Text))
		}
	})
}
