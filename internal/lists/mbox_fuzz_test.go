package lists_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"plenary/internal/lists"
)

// FuzzMboxReader: whatever bytes an imported file holds, the reader ends
// (at most one message a line), never hands out more bytes than the file
// has, and reports separator lines in increasing order. Two messages
// written out in the mboxrd form, whatever their bodies, come back byte
// for byte: a body line that looks like a separator is neither split on
// nor changed.
func FuzzMboxReader(f *testing.F) {
	f.Add([]byte("From a@example.org Mon Jan  2 15:04:05 2006\nSubject: one\n\nbody\n\nFrom b@example.org Mon Jan  2 15:04:06 2006\n\n>From the past\n"), []byte("Subject: x\n\nFrom here on\n\n>From quoted"), []byte(""))
	f.Add([]byte("\n\nFrom x\r\n\r\nFrom y\r\n"), []byte("a\r\n\r\nFrom b\r"), []byte(">>From c\n\nFrom d"))
	f.Add([]byte("not an mbox"), []byte("\n\n\n"), []byte("From "))
	f.Add([]byte{0x1f, 0x8b, 0, 0}, []byte{0xff, 0xfe}, []byte{'\n'})
	// The real archives, when they are beside the repository; their first
	// 8 KB, so that each run of the target stays quick.
	for _, name := range []string{"ietf-ancp-2010-03.mbox", "3GPP_TSG_SA_WG4_EVS.mbox"} {
		if b, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "testdata", "mbox", name)); err == nil {
			f.Add(b[:min(len(b), 8<<10)], []byte(""), []byte(""))
		}
	}
	f.Fuzz(func(t *testing.T, file, body1, body2 []byte) {
		readAll(t, file)

		var mbox bytes.Buffer
		for _, body := range [][]byte{body1, body2} {
			mbox.WriteString("From sender@example.org Mon Jan  2 15:04:05 2006\n")
			for i, line := range bytes.SplitAfter(body, []byte("\n")) {
				if len(line) == 0 && i > 0 {
					break
				}
				if bytes.HasPrefix(bytes.TrimLeft(line, ">"), []byte("From ")) {
					mbox.WriteByte('>')
				}
				mbox.Write(line)
			}
			mbox.WriteString("\n\n")
		}
		got := readAll(t, mbox.Bytes())
		if len(got) != 2 {
			t.Fatalf("two messages written, %d read from %q", len(got), mbox.Bytes())
		}
		for i, want := range [][]byte{body1, body2} {
			want = append(append([]byte(nil), want...), '\n')
			if !bytes.Equal(got[i].Raw, want) {
				t.Errorf("message %d: read %q, wrote %q", i+1, got[i].Raw, want)
			}
		}
	})
}

func readAll(t *testing.T, file []byte) []lists.MboxMessage {
	t.Helper()
	r, err := lists.NewMboxReader(bytes.NewReader(file))
	if err != nil {
		return nil
	}
	var out []lists.MboxMessage
	total, lastLine := 0, 0
	for {
		m, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			break
		}
		out = append(out, m)
		if len(out) > bytes.Count(file, []byte("\n"))+1 {
			t.Fatalf("%d messages from a file of %d lines", len(out), bytes.Count(file, []byte("\n"))+1)
		}
		if m.Line <= lastLine {
			t.Fatalf("message %d at line %d, after one at line %d", len(out), m.Line, lastLine)
		}
		lastLine = m.Line
		total += len(m.Raw)
	}
	if total > len(file) {
		t.Fatalf("%d bytes of messages from a file of %d", total, len(file))
	}
	return out
}
