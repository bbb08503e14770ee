package mail

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/htmlindex"
)

// Inbound is a message received by the listener, decoded to what the
// features that take mail need: who sent it, to which of our addresses,
// the subject and the plain text.
type Inbound struct {
	// Envelope is the SMTP return path (MAIL FROM); empty for a bounce.
	Envelope string
	// From is the address in the From header: the person who wrote it.
	From string
	// To is the recipient at the mail domain this delivery is for.
	To string
	// Local is To's local part in lower case, such as "inquiry+k3x9…".
	Local string
	// Subject is the decoded subject line.
	Subject string
	// Text is the text/plain body in UTF-8 with \n line ends.
	Text      string
	MessageID string
	// InReplyTo and References name the messages this one answers, as
	// their headers say, for threading.
	InReplyTo  string
	References string
}

// ErrMalformed marks a message that cannot be read as mail: the listener
// refuses it with a permanent error and nothing is stored.
var ErrMalformed = errors.New("malformed message")

// maxParts bounds how many MIME parts a message may have, so a crafted
// message cannot make the parser walk millions of empty parts.
const (
	maxParts = 100
	maxDepth = 5
)

// ParseMessage reads a whole RFC 5322 message and returns its sender,
// subject and plain-text body. A message whose headers do not parse, that
// has no From address, no text/plain part, an unknown charset or
// transfer encoding, or text that is not valid in its charset, is
// refused with an error wrapping ErrMalformed that says which.
func ParseMessage(raw []byte) (Inbound, error) {
	bad := func(format string, a ...any) (Inbound, error) {
		return Inbound{}, fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, a...))
	}
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return bad("the header cannot be read (%v)", err)
	}
	dec := &mime.WordDecoder{CharsetReader: charsetReader}
	fromHeader := m.Header.Get("From")
	if fromHeader == "" {
		return bad("there is no From header")
	}
	from, err := (&mail.AddressParser{WordDecoder: dec}).Parse(fromHeader)
	if err != nil {
		return bad("the From header is not one address")
	}
	subject, err := dec.DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		return bad("the subject cannot be decoded (%v)", err)
	}
	if err := checkText(subject, false); err != nil {
		return bad("the subject %v", err)
	}
	parts := 0
	text, found, err := plainText(m.Header, m.Body, 0, &parts)
	if err != nil {
		return Inbound{}, err
	}
	if !found {
		return bad("it has no text/plain part; please send plain text")
	}
	text = strings.ReplaceAll(text, "\r\n", "\n")
	if err := checkText(text, true); err != nil {
		return bad("the text %v", err)
	}
	return Inbound{
		From:       from.Address,
		Subject:    strings.TrimSpace(subject),
		Text:       text,
		MessageID:  strings.TrimSpace(m.Header.Get("Message-Id")),
		InReplyTo:  strings.TrimSpace(m.Header.Get("In-Reply-To")),
		References: strings.TrimSpace(m.Header.Get("References")),
	}, nil
}

// header is what the part walker needs of a header: mail.Header and
// textproto.MIMEHeader both have it.
type header interface{ Get(string) string }

// plainText returns the first text/plain part of a body with the given
// header, decoded to UTF-8, walking into multipart bodies.
func plainText(h header, body io.Reader, depth int, parts *int) (string, bool, error) {
	*parts++
	if *parts > maxParts || depth > maxDepth {
		return "", false, fmt.Errorf("%w: it has too many or too deeply nested parts", ErrMalformed)
	}
	ctype := h.Get("Content-Type")
	if ctype == "" {
		ctype = "text/plain; charset=us-ascii"
	}
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		return "", false, fmt.Errorf("%w: the content type %q cannot be read", ErrMalformed, ctype)
	}
	switch {
	case strings.HasPrefix(mt, "multipart/"):
		boundary := params["boundary"]
		if boundary == "" {
			return "", false, fmt.Errorf("%w: a multipart body has no boundary", ErrMalformed)
		}
		mr := multipart.NewReader(body, boundary)
		for {
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return "", false, nil
			}
			if err != nil {
				return "", false, fmt.Errorf("%w: a multipart body is broken (%v)", ErrMalformed, err)
			}
			text, found, err := plainText(p.Header, p, depth+1, parts)
			if err != nil || found {
				return text, found, err
			}
		}
	case mt == "text/plain":
		if strings.HasPrefix(strings.ToLower(h.Get("Content-Disposition")), "attachment") {
			return "", false, nil
		}
		raw, err := decodeTransfer(h.Get("Content-Transfer-Encoding"), body)
		if err != nil {
			return "", false, err
		}
		text, err := toUTF8(params["charset"], raw)
		return text, err == nil, err
	}
	return "", false, nil
}

func decodeTransfer(enc string, body io.Reader) ([]byte, error) {
	var r io.Reader
	switch strings.ToLower(strings.TrimSpace(enc)) {
	case "", "7bit", "8bit", "binary":
		r = body
	case "quoted-printable":
		r = quotedprintable.NewReader(body)
	case "base64":
		// Mail wraps base64 in lines; the decoder skips the line breaks.
		r = base64.NewDecoder(base64.StdEncoding, body)
	default:
		return nil, fmt.Errorf("%w: the transfer encoding %q is unknown", ErrMalformed, enc)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%w: the %s text cannot be decoded (%v)", ErrMalformed, enc, err)
	}
	return b, nil
}

// toUTF8 converts text in charset to UTF-8. UTF-8 and US-ASCII text must
// already be valid; other charsets are those the WHATWG encoding standard
// names, as mail clients use.
func toUTF8(charset string, b []byte) (string, error) {
	switch cs := strings.ToLower(strings.TrimSpace(charset)); cs {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		if !utf8.Valid(b) {
			return "", fmt.Errorf("%w: the text is not valid %s", ErrMalformed, strings.ToUpper(orDefault(cs, "us-ascii")))
		}
		// Many clients label UTF-8 as ASCII; valid UTF-8 is taken as meant.
		return string(b), nil
	default:
		r, err := charsetReader(cs, bytes.NewReader(b))
		if err != nil {
			return "", err
		}
		out, err := io.ReadAll(r)
		// The decoders replace bytes that are not valid in the charset
		// with U+FFFD; such text is refused rather than stored garbled.
		if err != nil || !utf8.Valid(out) || bytes.ContainsRune(out, utf8.RuneError) {
			return "", fmt.Errorf("%w: the text is not valid %s", ErrMalformed, charset)
		}
		return string(out), nil
	}
}

func charsetReader(charset string, r io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return r, nil
	}
	enc, err := htmlindex.Get(charset)
	if err != nil {
		return nil, fmt.Errorf("%w: the charset %q is unknown", ErrMalformed, charset)
	}
	return enc.NewDecoder().Reader(r), nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// checkText refuses text that is not valid UTF-8 or holds a control
// character (a NUL, an escape) other than line breaks and tabs in a body.
func checkText(s string, body bool) error {
	if !utf8.ValidString(s) {
		return errors.New("is not valid UTF-8")
	}
	for _, r := range s {
		if body && (r == '\n' || r == '\t' || r == '\r') {
			continue
		}
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return errors.New("holds a control character such as NUL")
		}
	}
	return nil
}
