package lists

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"path"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // the charsets mail uses, decoded to UTF-8
	gomail "github.com/emersion/go-message/mail"
	"golang.org/x/net/html"
	"golang.org/x/text/encoding/charmap"
)

// Parsed is one mail message as the archive keeps it: what ParseMessage
// reads from a message arriving by mail or from an imported mbox file.
// The raw message is not kept: its Received and X-Originating-IP lines
// name machines and addresses of people other than the author, which the
// archive has no purpose for; what an mbox export needs to thread and
// date the message (Date, Message-ID, In-Reply-To, References) is kept.
type Parsed struct {
	FromName    string
	FromAddress string
	// Subject is decoded from encoded words, in UTF-8.
	Subject string
	// Date is the Date header, zero when missing or unreadable.
	Date time.Time
	// MessageID, InReplyTo and each of References keep their angle
	// brackets, as the postings table does.
	MessageID  string
	InReplyTo  string
	References []string
	// Text is the message's text in UTF-8 with \n line ends: its
	// text/plain parts, or its HTML part turned into text when it has no
	// plain one.
	Text        string
	Attachments []Attachment
	// AutoSubmitted is the Auto-Submitted header (RFC 3834) in lower
	// case, without comments or parameters: "auto-replied",
	// "auto-generated", "no", or "" when absent.
	AutoSubmitted string
	// ListIDs are the identifiers of the List-Id headers (RFC 2919),
	// without angle brackets, in lower case; XLoop the values of the
	// X-Loop headers, in lower case. They tell a message that went
	// through a list already.
	ListIDs []string
	XLoop   []string
}

// Attachment is a part of a message that is not its text.
type Attachment struct {
	N           int // 1, 2, … in the order of the message
	Filename    string
	ContentType string
	Size        int64
	Data        []byte
}

// ErrUnreadable marks a message ParseMessage cannot take.
var ErrUnreadable = errors.New("the message cannot be read")

// Limits of one message.
const (
	maxParts     = 200
	maxPartDepth = 8
	// MaxAttachment is the largest attachment kept; a larger one is
	// listed with its name and size but its bytes are dropped.
	MaxAttachment = 10 << 20
)

// ParseMessage reads one RFC 5322 message with its MIME structure. It is
// lenient where mail in the wild is sloppy (charsets that lie, text that
// is not valid in its charset, headers that are not encoded) and refuses,
// with an error wrapping ErrUnreadable, only what cannot be a message: a
// header that does not parse, no sender address, a part structure too deep
// or too large.
func ParseMessage(raw []byte) (Parsed, error) {
	bad := func(format string, a ...any) (Parsed, error) {
		return Parsed{}, fmt.Errorf("%w: %s", ErrUnreadable, fmt.Sprintf(format, a...))
	}
	if bytes.IndexByte(raw, 0) >= 0 {
		return bad("it holds a NUL byte")
	}
	ent, err := message.Read(bytes.NewReader(raw))
	if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
		return bad("the header does not parse (%s)", cleanLine(strings.TrimPrefix(err.Error(), "message: ")))
	}
	if ent.Header.Len() == 0 {
		return bad("it has no header")
	}
	h := gomail.Header{Header: ent.Header}
	var p Parsed
	from := ent.Header.Get("From")
	if from == "" {
		return bad("it has no From header")
	}
	if addrs, err := h.AddressList("From"); err == nil && len(addrs) > 0 {
		p.FromName, p.FromAddress = addrs[0].Name, addrs[0].Address
	} else if name, addr, ok := looseAddress(from); ok {
		p.FromName, p.FromAddress = name, addr
	} else {
		return bad("the From header holds no address")
	}
	p.FromName = cleanLine(headerText(p.FromName))
	p.FromName = strings.Trim(p.FromName, `"' `)
	if subj, err := h.Subject(); err == nil {
		p.Subject = subj
	} else {
		p.Subject = ent.Header.Get("Subject")
	}
	p.Subject = cleanLine(headerText(p.Subject))
	if d, err := h.Date(); err == nil {
		p.Date = d.UTC()
	} else if d, ok := looseDate(ent.Header.Get("Date")); ok {
		p.Date = d
	}
	if ids := msgIDs(ent.Header.Get("Message-Id")); len(ids) > 0 {
		p.MessageID = ids[0]
	}
	if ids := msgIDs(ent.Header.Get("In-Reply-To")); len(ids) > 0 {
		p.InReplyTo = ids[0]
	}
	p.References = msgIDs(ent.Header.Get("References"))
	// Every Auto-Submitted header counts: a "no" in front must not hide
	// an "auto-replied" behind it.
	for _, v := range ent.Header.Values("Auto-Submitted") {
		v, _, _ = strings.Cut(v, ";")
		v, _, _ = strings.Cut(v, "(")
		v = strings.ToLower(strings.TrimSpace(v))
		if v == "" {
			v = "unknown"
		}
		if p.AutoSubmitted == "" || p.AutoSubmitted == "no" {
			p.AutoSubmitted = v
		}
	}
	for _, v := range ent.Header.Values("List-Id") {
		if i := strings.LastIndexByte(v, '<'); i >= 0 {
			v = v[i+1:]
			v, _, _ = strings.Cut(v, ">")
		}
		if v = strings.ToLower(strings.TrimSpace(v)); v != "" {
			p.ListIDs = append(p.ListIDs, v)
		}
	}
	for _, v := range ent.Header.Values("X-Loop") {
		if v = strings.ToLower(strings.TrimSpace(v)); v != "" {
			p.XLoop = append(p.XLoop, v)
		}
	}

	w := walker{p: &p}
	if err := w.walk(ent, 0, false); err != nil {
		return Parsed{}, fmt.Errorf("%w: %v", ErrUnreadable, err)
	}
	p.Text = cleanText(strings.Join(w.texts, "\n\n"))
	if p.Text == "" && w.html != "" {
		p.Text = cleanText(htmlText(w.html))
	}
	return p, nil
}

// SyntheticID is the Message-ID given to a message that has none: made
// from its bytes, so importing the same file again finds it again.
func SyntheticID(raw []byte) string {
	sum := sha256.Sum256(raw)
	return "<" + hex.EncodeToString(sum[:12]) + "@no-message-id.invalid>"
}

type walker struct {
	p          *Parsed
	attachOnly bool // inside a version of the text that is not read
	texts      []string
	html       string
	parts      int
}

// walk visits a part: the text parts give the text; any other part, or a
// text part marked as an attachment, is an attachment. In a
// multipart/alternative only the plain version is read, or the HTML one
// when there is no plain one.
func (w *walker) walk(e *message.Entity, depth int, inAlt bool) error {
	w.parts++
	if w.parts > maxParts || depth > maxPartDepth {
		return errors.New("it has too many or too deeply nested parts")
	}
	mt, params, err := e.Header.ContentType()
	if err != nil || mt == "" {
		mt, params = "text/plain", map[string]string{}
	}
	if strings.HasPrefix(mt, "multipart/") && params["boundary"] == "" {
		// A multipart type without a boundary: read it as text.
		mt = "text/plain"
	} else if mr := e.MultipartReader(); mr != nil {
		var kids []*message.Entity
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
				if len(kids) == 0 && len(w.texts) == 0 {
					return fmt.Errorf("a multipart body is broken (%v)", err)
				}
				break // keep what was read before the break
			}
			// Parts must be read in order, before the next one.
			body, rerr := io.ReadAll(io.LimitReader(part.Body, MaxAttachment+1))
			if rerr != nil && len(body) == 0 && !message.IsUnknownCharset(rerr) {
				body = nil
			}
			kid, _ := message.New(part.Header, bytes.NewReader(nil))
			kid.Body = bytes.NewReader(body)
			kids = append(kids, kid)
		}
		if mt == "multipart/alternative" && !w.attachOnly {
			// The text comes from one version, plain rather than HTML;
			// the other versions give only their attachments (the
			// images of an HTML version).
			chosen := -1
			for _, want := range []string{"text/plain", "text/html"} {
				for i, k := range kids {
					if kt, _, _ := k.Header.ContentType(); chosen < 0 && kt == want && !isAttachment(k) {
						chosen = i
					}
				}
			}
			if chosen < 0 && len(kids) > 0 {
				chosen = len(kids) - 1
			}
			for i, k := range kids {
				w.attachOnly = i != chosen
				err := w.walk(k, depth+1, true)
				w.attachOnly = false
				if err != nil {
					return err
				}
			}
			return nil
		}
		for _, k := range kids {
			if err := w.walk(k, depth+1, false); err != nil {
				return err
			}
		}
		return nil
	}
	body, err := io.ReadAll(io.LimitReader(e.Body, MaxAttachment+1))
	if err != nil && len(body) == 0 {
		// A broken transfer encoding: keep nothing of the part.
		body = nil
	}
	attach := isAttachment(e)
	if w.attachOnly && !attach && (mt == "text/plain" || mt == "text/html") {
		return nil // another version of the text
	}
	switch {
	case mt == "text/plain" && !attach:
		w.texts = append(w.texts, textOf(body, params["charset"]))
		return nil
	case mt == "text/html" && !attach && (inAlt || w.html == ""):
		if w.html == "" {
			w.html = textOf(body, params["charset"])
			return nil
		}
	}
	a := Attachment{N: len(w.p.Attachments) + 1, ContentType: mt, Size: int64(len(body)), Data: body}
	if len(body) > MaxAttachment {
		a.Data, a.Size = nil, -1
	}
	a.Filename = attachmentName(e, a.N, mt)
	w.p.Attachments = append(w.p.Attachments, a)
	return nil
}

func isAttachment(e *message.Entity) bool {
	disp, params, _ := e.Header.ContentDisposition()
	if strings.EqualFold(disp, "attachment") || params["filename"] != "" {
		return true
	}
	_, ctParams, _ := e.Header.ContentType()
	return ctParams["name"] != ""
}

// attachmentName is the part's file name without any directory, made safe
// to offer in a download, or a name made from its number and type.
func attachmentName(e *message.Entity, n int, mt string) string {
	_, dp, _ := e.Header.ContentDisposition()
	_, cp, _ := e.Header.ContentType()
	name := dp["filename"]
	if name == "" {
		name = cp["name"]
	}
	name = headerText(name)
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base(name)
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '"' || r == '/' || r == ';' {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(strings.TrimLeft(name, "."))
	if r := []rune(name); len(r) > 120 {
		name = string(r[len(r)-120:])
	}
	if name == "" || name == "." {
		ext := ".bin"
		if exts, _ := mime.ExtensionsByType(mt); len(exts) > 0 {
			ext = exts[0]
		}
		switch mt {
		case "text/plain":
			ext = ".txt"
		case "message/rfc822":
			ext = ".eml"
		case "text/html":
			ext = ".html"
		}
		name = fmt.Sprintf("attachment-%d%s", n, ext)
	}
	return name
}

// textOf turns the decoded bytes of a text part into UTF-8. go-message
// has converted known charsets already; bytes that still are not UTF-8
// (a part that lied about its charset, or named one nobody knows) are
// read as Windows-1252, which every byte is valid in.
func textOf(b []byte, charset string) string {
	if utf8.Valid(b) {
		return string(b)
	}
	if s, err := charmap.Windows1252.NewDecoder().Bytes(b); err == nil && utf8.Valid(s) {
		return string(s)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// headerText is a header value as UTF-8: encoded words are decoded
// already; raw 8-bit bytes are read as textOf reads a body.
func headerText(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return textOf([]byte(s), "")
}

// cleanLine makes a header value one line of plain text.
func cleanLine(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return ' '
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// cleanText gives text \n line ends and drops control characters other
// than line breaks and tabs, which no message needs and which the
// posting's checks refuse.
func cleanText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r == '\r':
			return '\n'
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

var msgIDRE = regexp.MustCompile(`<[^<>\s]+>`)

// msgIDs reads message identifiers from a header value, as they appear;
// an identifier written without its angle brackets is taken when it is
// the whole value.
func msgIDs(v string) []string {
	v = headerText(v)
	ids := msgIDRE.FindAllString(v, -1)
	if len(ids) == 0 {
		if t := strings.TrimSpace(v); t != "" && !strings.ContainsAny(t, " \t<>") && strings.Contains(t, "@") {
			ids = []string{"<" + t + ">"}
		}
	}
	for i, id := range ids {
		if len(id) > 250 {
			ids[i] = id[:249] + ">"
		}
	}
	return ids
}

var looseAddrRE = regexp.MustCompile(`[^\s<>"(),;:]+@[^\s<>"(),;:]+\.[^\s<>"(),;:]+|[^\s<>"(),;:]+ at [^\s<>"(),;:]+\.[^\s<>"(),;:]+`)

// looseAddress finds an address in a From header that does not parse,
// as old archives write them ("joe at example.org (Joe)").
func looseAddress(v string) (name, addr string, ok bool) {
	v = headerText(v)
	m := looseAddrRE.FindStringIndex(v)
	if m == nil {
		return "", "", false
	}
	addr = strings.Replace(v[m[0]:m[1]], " at ", "@", 1)
	rest := strings.TrimSpace(v[:m[0]] + " " + v[m[1]:])
	rest = strings.Trim(rest, "<>()\" ")
	if dec, err := new(mime.WordDecoder).DecodeHeader(rest); err == nil {
		rest = dec
	}
	return rest, addr, true
}

// looseDate reads dates that net/mail refuses but old mail carries.
func looseDate(v string) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if i := strings.Index(v, "("); i > 0 {
		v = strings.TrimSpace(v[:i])
	}
	v = strings.Join(strings.Fields(v), " ")
	for _, layout := range []string{
		"Mon, 2 Jan 2006 15:04:05 -0700", "Mon, 2 Jan 2006 15:04:05 MST", "2 Jan 2006 15:04:05 -0700",
		"Mon, 2 Jan 2006 15:04 -0700", "Mon, 2 Jan 06 15:04:05 -0700", "Mon Jan 2 15:04:05 2006",
		"Mon, 2 Jan 2006 15:04:05", time.RFC3339,
	} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// htmlText turns an HTML part into plain text: the words in reading order,
// a line break after each block, link targets after their words, and
// nothing of scripts, styles or the head.
func htmlText(src string) string {
	z := html.NewTokenizer(strings.NewReader(src))
	var b strings.Builder
	skip := 0
	var href string
	block := map[string]bool{"p": true, "div": true, "br": true, "li": true, "tr": true, "h1": true, "h2": true, "h3": true,
		"h4": true, "h5": true, "h6": true, "blockquote": true, "pre": true, "table": true, "ul": true, "ol": true, "hr": true}
	for {
		switch z.Next() {
		case html.ErrorToken:
			out := strings.Split(b.String(), "\n")
			var lines []string
			blank := false
			for _, l := range out {
				l = strings.Join(strings.Fields(l), " ")
				if l == "" {
					if !blank && len(lines) > 0 {
						lines = append(lines, "")
					}
					blank = true
					continue
				}
				blank = false
				lines = append(lines, l)
			}
			return strings.TrimSpace(strings.Join(lines, "\n"))
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			tag := string(name)
			switch tag {
			case "script", "style", "head", "title":
				skip++
			case "a":
				href = ""
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					if string(k) == "href" && (bytes.HasPrefix(v, []byte("http")) || bytes.HasPrefix(v, []byte("mailto:"))) {
						href = string(v)
					}
				}
			}
			if block[tag] {
				b.WriteString("\n")
				if tag == "li" {
					b.WriteString("- ")
				}
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			tag := string(name)
			switch tag {
			case "script", "style", "head", "title":
				if skip > 0 {
					skip--
				}
			case "a":
				if href != "" {
					b.WriteString(" <" + href + ">")
				}
				href = ""
			}
			if block[tag] && tag != "br" {
				b.WriteString("\n")
			}
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		}
	}
}
