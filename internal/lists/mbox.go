package lists

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"time"
)

// MboxMessage is one message read from an mbox file.
type MboxMessage struct {
	// N is its position in the file (1, 2, …) and Line the line of its
	// "From " separator, so a report can point at it.
	N    int
	Line int
	// Envelope is the date of the separator line, zero when unreadable:
	// the date of a message whose Date header is missing.
	Envelope time.Time
	Raw      []byte
	// Err says why the message was cut short (too large); Raw is then
	// incomplete and the message is to be skipped.
	Err error
}

// MaxMboxMessage bounds one message of an imported mbox file; a larger
// one is reported and skipped.
const MaxMboxMessage = 64 << 20

// MboxReader reads an mbox file, plain or gzip-compressed (told apart by
// their first bytes, not by the file's name), message by message. It
// reads the mboxrd and mboxo forms: a body line ">From " loses one ">".
type MboxReader struct {
	br      *bufio.Reader
	line    int
	pending []byte // a separator line read ahead
	pendAt  int
	started bool
	err     error
}

// NewMboxReader returns a reader of r, which may be gzip-compressed.
func NewMboxReader(r io.Reader) (*MboxReader, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	magic, _ := br.Peek(2)
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("reading the gzip header: %w", err)
		}
		br = bufio.NewReaderSize(zr, 1<<16)
	}
	first, _ := br.Peek(512)
	if first = bytes.TrimLeft(first, " \t\r\n"); len(first) > 0 && !bytes.HasPrefix(first, []byte("From ")) {
		return nil, errors.New("this is not an mbox file: it does not start with a \"From \" line")
	}
	return &MboxReader{br: br}, nil
}

// ErrMboxBroken wraps an error reading the file itself (a broken gzip
// stream, an I/O error): what was read before it stands.
var ErrMboxBroken = errors.New("the file is broken")

// Next returns the next message, or io.EOF after the last one.
func (m *MboxReader) Next() (MboxMessage, error) {
	if m.err != nil {
		return MboxMessage{}, m.err
	}
	var sep []byte
	var at int
	if m.pending != nil {
		sep, at, m.pending = m.pending, m.pendAt, nil
	} else {
		for {
			l, err := m.readLine()
			if err != nil {
				m.err = err
				return MboxMessage{}, err
			}
			if bytes.HasPrefix(l, []byte("From ")) {
				sep, at = l, m.line
				break
			}
			// Text before the first separator (or blank lines) is skipped.
		}
	}
	msg := MboxMessage{Line: at, Envelope: envelopeDate(sep)}
	var buf bytes.Buffer
	prevBlank := false
	for {
		l, err := m.readLine()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				m.err = err
				msg.Err = errors.New("the file breaks inside it")
			} else {
				m.err = io.EOF
			}
			break
		}
		if prevBlank && bytes.HasPrefix(l, []byte("From ")) {
			m.pending, m.pendAt = l, m.line
			break
		}
		prevBlank = len(bytes.TrimRight(l, "\r\n")) == 0
		if q := bytes.TrimLeft(l, ">"); len(q) < len(l) && bytes.HasPrefix(q, []byte("From ")) {
			l = l[1:]
		}
		if buf.Len()+len(l) > MaxMboxMessage {
			if msg.Err == nil {
				msg.Err = fmt.Errorf("it is larger than %d MB", MaxMboxMessage>>20)
			}
			continue
		}
		buf.Write(l)
	}
	// The blank line before the next separator belongs to the mbox
	// format, not to the message.
	raw := buf.Bytes()
	if bytes.HasSuffix(raw, []byte("\r\n")) {
		raw = raw[:len(raw)-2]
	} else if bytes.HasSuffix(raw, []byte("\n")) {
		raw = raw[:len(raw)-1]
	}
	msg.Raw = raw
	return msg, nil
}

// Err is the error that ended reading: nil at a clean end of the file.
func (m *MboxReader) Err() error {
	if m.err == nil || errors.Is(m.err, io.EOF) {
		return nil
	}
	return fmt.Errorf("%w at line %d: %v", ErrMboxBroken, m.line, m.err)
}

func (m *MboxReader) readLine() ([]byte, error) {
	l, err := m.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		// A very long line: gather it whole.
		long := append([]byte(nil), l...)
		for errors.Is(err, bufio.ErrBufferFull) {
			l, err = m.br.ReadSlice('\n')
			long = append(long, l...)
		}
		l = long
	}
	if len(l) > 0 {
		m.line++
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		return append([]byte(nil), l...), nil
	}
	return nil, err
}

// envelopeDate reads the date of "From addr Mon Jan  2 15:04:05 2006".
func envelopeDate(sep []byte) time.Time {
	f := bytes.Fields(sep)
	if len(f) < 6 {
		return time.Time{}
	}
	s := string(bytes.Join(f[len(f)-5:], []byte(" ")))
	for _, layout := range []string{"Mon Jan 2 15:04:05 2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}
