package lists

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"mime"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/emersion/go-message"
	"golang.org/x/text/encoding/charmap"
)

// Masking for anonymous readers. The author's address is not the only one
// a posting shows: people quote each other ("On …, jane@example.org
// wrote:"), sign with their address, paste mailto: links. Every output an
// anonymous reader gets (the archive's pages, search snippets, the feed,
// the mbox) passes the posting through Masked, so each address is
// masked the same way (MaskAddress) wherever it appears.

// Masked returns p as an anonymous reader sees it: every e-mail address
// in its subject, text and author's name masked, and the author's
// address too.
func (p Posting) Masked() Posting {
	p.Subject = MaskAddresses(p.Subject)
	p.Body = MaskAddresses(p.Body)
	p.Author = MaskAddresses(p.Author)
	if p.Email != "" {
		p.Email = MaskAddress(p.Email)
	}
	return p
}

// Masked returns a with every address in its file name masked, for a
// reader who is not signed in, and in its contents when they are text
// (MaskedContents).
func (a Attachment) Masked() Attachment {
	a.Filename = MaskAddresses(a.Filename)
	a.Data = MaskedContents(a.ContentType, a.Data)
	a.Size = int64(len(a.Data))
	return a
}

// MaskedContents returns an attachment's bytes as a reader who is not
// signed in gets them: with every address masked when the file is text
// (a forwarded message's headers, a pasted list of participants, a
// diff), as they came otherwise. Text is a text/ or message/ type, or an
// untyped file whose bytes are UTF-8 without a NUL, or UTF-16
// (utf16Order), which is masked as such. Formats with their
// own structure (PDF, office documents, archives, images) are never
// rewritten: a PDF can be plain ASCII, and changing the length of its
// text would break the offsets it depends on; what they hold is left out
// of the mask, as the README says.
func MaskedContents(contentType string, data []byte) []byte {
	t, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(contentType)), ";")
	t = strings.TrimSpace(t)
	switch {
	case strings.HasPrefix(t, "text/"), strings.HasPrefix(t, "message/"):
	case t == "application/octet-stream" || t == "":
		if _, ok := utf16Order(data); !ok && (!utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0) {
			return data
		}
	default:
		return data
	}
	if order, ok := utf16Order(data); ok {
		return maskedUTF16(order, data)
	}
	if bytes.IndexByte(data, '@') < 0 && !bytes.Contains(data, []byte("%40")) && !strings.HasPrefix(t, "message/") {
		return data
	}
	if (t == "message/rfc822" || t == "message/global") && encodedParts(data) {
		if out, ok := maskedMessage(data, 0); ok {
			return out
		}
	}
	if strings.HasPrefix(t, "message/") || t == "text/rfc822-headers" {
		return []byte(MaskAddresses(maskWords(string(data))))
	}
	return []byte(MaskAddresses(string(data)))
}

// encodedParts reports whether a message may hold text whose addresses
// masking the raw bytes cannot see: a part in base64 or quoted-printable,
// a header's encoded words (RFC 2047: "=?utf-8?q?jane=40example.org?="),
// a parameter's %-escapes (RFC 2231, as a file name* parameter). Without
// any, the raw bytes are masked and otherwise kept as they are.
func encodedParts(data []byte) bool {
	l := bytes.ToLower(data)
	return bytes.Contains(l, []byte("content-transfer-encoding")) &&
		(bytes.Contains(l, []byte("base64")) || bytes.Contains(l, []byte("quoted-printable"))) ||
		bytes.Contains(data, []byte("=?")) || bytes.Contains(data, []byte("*="))
}

// maxMessageDepth bounds how deep multiparts and forwarded messages
// within each other are opened; deeper ones are masked as raw text.
const maxMessageDepth = 8

// maskedMessage masks a forwarded message part by part. Masking its raw
// bytes covers the headers and plain text, but not a body in base64 or
// quoted-printable ("=40" for "@"), which is how mail programs often
// forward: each text part is decoded, masked and encoded again (as UTF-8),
// and a message forwarded inside it is opened in turn. Other parts keep
// their bytes. Header fields are masked as a mail program shows them,
// decoded (maskHeader). ok is false when the message does not parse, or
// names a charset or encoding the reader does not know; the caller then
// masks the raw bytes.
func maskedMessage(data []byte, depth int) (out []byte, ok bool) {
	if depth >= maxMessageDepth {
		return nil, false
	}
	if !bytes.Contains(data, []byte("\r\n\r\n")) && !bytes.Contains(data, []byte("\n\n")) {
		return nil, false
	}
	e, err := message.Read(bytes.NewReader(data))
	if err != nil {
		return nil, false
	}
	changed := maskHeader(&e.Header)
	masked, err := maskedEntity(e, depth, &changed)
	if err != nil {
		return nil, false
	}
	if !changed {
		return data, true // nothing to mask: the message as it came
	}
	var b bytes.Buffer
	if err := masked.WriteTo(&b); err != nil {
		return nil, false
	}
	return b.Bytes(), true
}

// maskedEntity returns e with the addresses of its text parts masked.
// depth counts the multiparts and messages it is inside: a crafted file
// of parts nested thousands deep is masked as raw text instead.
// changed is set when anything was masked.
func maskedEntity(e *message.Entity, depth int, changed *bool) (*message.Entity, error) {
	if depth >= maxMessageDepth {
		return nil, errors.New("parts nested too deep to mask")
	}
	if mr := e.MultipartReader(); mr != nil {
		var parts []*message.Entity
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, err
			}
			if maskHeader(&p.Header) {
				*changed = true
			}
			mp, err := maskedEntity(p, depth+1, changed)
			if err != nil {
				return nil, err
			}
			parts = append(parts, mp)
		}
		return message.NewMultipart(e.Header, parts)
	}
	body, err := io.ReadAll(io.LimitReader(e.Body, maxAttachmentMask+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxAttachmentMask {
		return nil, errors.New("a part too large to mask")
	}
	t, params, _ := e.Header.ContentType()
	switch {
	case t == "message/rfc822" || t == "message/global":
		inner, ok := maskedMessage(body, depth+1)
		if !ok {
			inner = []byte(MaskAddresses(maskWords(string(body))))
		}
		*changed = *changed || !bytes.Equal(inner, body)
		body = inner
	case strings.HasPrefix(t, "text/"):
		// Decoded to UTF-8 on reading; written back as UTF-8.
		masked := MaskAddresses(string(body))
		*changed = *changed || masked != string(body)
		body = []byte(masked)
		if params == nil {
			params = map[string]string{}
		}
		params["charset"] = "utf-8"
		e.Header.SetContentType(t, params)
	}
	// The body is decoded; New would decode it again by the header's
	// transfer encoding, which WriteTo then applies on the way out.
	h := e.Header.Copy()
	cte := h.Get("Content-Transfer-Encoding")
	h.Del("Content-Transfer-Encoding")
	out, err := message.New(h, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if cte != "" {
		out.Header.Set("Content-Transfer-Encoding", cte)
	}
	return out, nil
}

// maskHeader masks the addresses in a header's fields (maskField),
// keeping the fields in their order and those it leaves as they came, and
// reports whether it masked any.
func maskHeader(h *message.Header) bool {
	type field struct {
		k, v string
		raw  []byte // the field as it came, when unchanged
	}
	var fs []field
	changed := false
	for f := h.Fields(); f.Next(); {
		v := f.Value()
		if m := maskField(f.Key(), v); m != v {
			fs, changed = append(fs, field{k: f.Key(), v: m}), true
			continue
		}
		raw, err := f.Raw()
		if err != nil {
			raw = nil
		}
		fs = append(fs, field{k: f.Key(), v: v, raw: slices.Clone(raw)})
	}
	if !changed {
		return false
	}
	var out message.Header
	for i := len(fs) - 1; i >= 0; i-- { // each goes on top of those after it
		if fs[i].raw != nil {
			out.AddRaw(fs[i].raw)
		} else {
			out.Add(fs[i].k, fs[i].v)
		}
	}
	*h = out
	return true
}

// maskField returns a header field's value with its addresses masked as a
// mail program shows it: decoded. A display name or subject may be
// written in encoded words (RFC 2047), "=?utf-8?b?amFuZUBleGFtcGxlLm9yZw==?="
// for jane@example.org, and a parameter such as a file name in RFC 2231
// %-escapes; masking the raw value sees neither. What is masked is written
// back in base64 encoded words or, for a parameter, as the standard
// library formats it, which the raw mask cannot undo.
func maskField(key, v string) string {
	switch strings.ToLower(key) {
	case "content-type", "content-disposition":
		if t, params, err := mime.ParseMediaType(v); err == nil {
			changed := false
			for name, p := range params {
				d := decodeWords(p)
				if m := MaskAddresses(d); m != d {
					params[name], changed = m, true
				}
			}
			if f := mime.FormatMediaType(t, params); changed && f != "" {
				return f
			}
		}
	}
	m := MaskAddresses(maskWords(v))
	if d := decodeWords(m); MaskAddresses(d) != d {
		// An address split between encoded words and the text beside
		// them ("=?utf-8?q?jane?=@example.org") shows only once decoded:
		// the whole value is written again as the masked text.
		m = mime.BEncoding.Encode("utf-8", MaskAddresses(d))
	}
	return m
}

// encodedRun matches encoded words (RFC 2047) one after the other, with
// only white space between them, which a reader drops: one text.
var encodedRun = regexp.MustCompile(`=\?[^?\s]+\?[BbQq]\?[^?\s]*\?=(?:[ \t\r\n]*=\?[^?\s]+\?[BbQq]\?[^?\s]*\?=)*`)

// maskWords masks the addresses in the text of each run of encoded words
// in s, and writes a run that held any again as base64 encoded words of
// the masked text (base64 has no "@" for a later mask to find, and no
// "=40" either).
func maskWords(s string) string {
	if !strings.Contains(s, "=?") {
		return s
	}
	return encodedRun.ReplaceAllStringFunc(s, func(run string) string {
		d := decodeWords(run)
		if m := MaskAddresses(d); m != d {
			return mime.BEncoding.Encode("utf-8", m)
		}
		return run
	})
}

// decodeWords decodes the encoded words in s, as a mail program shows
// them; s when they do not decode.
func decodeWords(s string) string {
	if !strings.Contains(s, "=?") {
		return s
	}
	d, err := (&mime.WordDecoder{CharsetReader: anyCharset}).DecodeHeader(s)
	if err != nil {
		return s
	}
	return d
}

// anyCharset reads the charsets go-message knows, and any other as
// Latin-1, which keeps every ASCII byte: a mail program that knows the
// charset shows the address in it, so the mask must see it too, even if
// the text around it comes out garbled in the masked copy.
func anyCharset(charset string, r io.Reader) (io.Reader, error) {
	if message.CharsetReader != nil {
		if cr, err := message.CharsetReader(strings.ToLower(charset), r); err == nil {
			return cr, nil
		}
	}
	return charmap.ISO8859_1.NewDecoder().Reader(r), nil
}

// maxAttachmentMask bounds one part's decoded size while masking; the
// list's message size limit keeps real parts far below it.
const maxAttachmentMask = 32 << 20

// utf16Order tells whether data is UTF-16 text, and in which byte order:
// a spreadsheet's "Unicode text" export is, and its addresses, two bytes
// a character, are never seen by a mask looking for "@" between ASCII
// letters. It is, with a byte-order mark, or when every second byte is
// NUL and the others are not: text in a Latin script, whose addresses are
// the ones to mask. (A declared charset is not read: the download's type
// has lost it, SafeType.)
func utf16Order(data []byte) (binary.ByteOrder, bool) {
	if len(data) < 2 || len(data)%2 != 0 {
		return nil, false
	}
	switch {
	case data[0] == 0xff && data[1] == 0xfe:
		return binary.LittleEndian, true
	case data[0] == 0xfe && data[1] == 0xff:
		return binary.BigEndian, true
	}
	var nul [2]int // NUL bytes at even and at odd offsets
	for i, b := range data {
		if b == 0 {
			nul[i%2]++
		}
	}
	half := len(data) / 2
	switch {
	case nul[1] == half && nul[0] == 0:
		return binary.LittleEndian, true
	case nul[0] == half && nul[1] == 0:
		return binary.BigEndian, true
	}
	return nil, false
}

// maskedUTF16 is MaskedContents for UTF-16 text: decoded, masked, and
// written back in the same order, mark included; as it came when it
// holds no address.
func maskedUTF16(order binary.ByteOrder, data []byte) []byte {
	units := make([]uint16, len(data)/2)
	for i := range units {
		units[i] = order.Uint16(data[2*i:])
	}
	text := string(utf16.Decode(units))
	masked := MaskAddresses(text)
	if masked == text {
		return data
	}
	out := make([]byte, 0, len(data))
	for _, u := range utf16.Encode([]rune(masked)) {
		out = order.(binary.AppendByteOrder).AppendUint16(out, u)
	}
	return out
}

// Masked is Attachment.Masked for the page's list of attachments.
func (a AttachmentInfo) Masked() AttachmentInfo {
	a.Filename = MaskAddresses(a.Filename)
	return a
}

// MaskAddresses masks every e-mail address in text with MaskAddress,
// leaving everything around it (angle brackets, "mailto:", punctuation)
// as it was. It errs towards masking: anything shaped local@domain is
// taken for an address, and so are the forms an address takes in mail
// and links: a quoted local part ("john smith"@example.org, masked as
// jo…@example.org), a domain literal (bob@[192.0.2.7]), and "%40" for
// "@" in a link (mailto:jane%40example.org, masked as ja…%40example.org).
// Masking masked text changes nothing, since the ellipsis ends the local
// part it leaves.
func MaskAddresses(text string) string {
	if !strings.Contains(text, "@") && !strings.Contains(text, "%40") {
		return text
	}
	var b strings.Builder
	done := 0 // text[:done] is written out
	for i := 0; i < len(text); i++ {
		at := 0 // the length of the at sign at i
		switch {
		case text[i] == '@':
			at = 1
		case strings.HasPrefix(text[i:], "%40"):
			at = 3
		default:
			continue
		}
		start, local := localPart(text, done, i)
		end := domainEnd(text, i+at)
		if start == i || end == i+at {
			continue
		}
		b.WriteString(text[done:start])
		b.WriteString(maskedLocal(local) + text[i:end])
		done = end
		i = end - 1
	}
	b.WriteString(text[done:])
	return b.String()
}

// maxLocal bounds how far back a quoted local part is looked for (RFC
// 5321 allows 64 octets).
const maxLocal = 64

// localPart finds the local part that ends before the at sign at i, in
// text[done:i]: where it starts, and its text (a quoted one without its
// quotes). start is i when there is none.
func localPart(text string, done, i int) (start int, local string) {
	if i-1 > done && text[i-1] == '"' {
		// "john.smith"@example.org: back to the opening quote, on
		// the same line.
		for q := i - 2; q >= done && q >= i-2-maxLocal && text[q] != '\n'; q-- {
			if text[q] == '"' && (q == done || text[q-1] != '\\') {
				if q+1 == i-1 {
					break
				}
				return q, strings.ReplaceAll(text[q+1:i-1], `\`, "")
			}
		}
		return i, ""
	}
	start = i
	for start > done {
		r, size := utf8.DecodeLastRuneInString(text[done:start])
		if !localRune(r) && r != '=' {
			break
		}
		start -= size
	}
	// "=" is in a local part (frank=secret@example.org) but also ends the
	// name of a parameter: a link's (?to=jane@example.org, &cc=…, ;to=…)
	// or a header field's (; filename=jane@example.org.txt). In the last
	// parameter, the address starts after its first "=", and after the
	// charset and language of an RFC 2231 value (utf-8''jane%40…).
	param := start
	if k := strings.LastIndexByte(text[start:i], '&'); k >= 0 {
		param = start + k + 1
	}
	if param > start || paramBefore(text, start) {
		if e := strings.IndexByte(text[param:i], '='); e >= 0 {
			start = param + e + 1
			if m := rfc2231Prefix.FindStringIndex(text[start:i]); m != nil {
				start += m[1]
			}
		}
	}
	// A local part does not start or end with a dot; the dots
	// before it are the sentence's.
	for start < i && (text[start] == '.' || text[start] == '=') {
		start++
	}
	return start, text[start:i]
}

// paramBefore reports whether a parameter begins at text[start]: after
// a link's "?" or ";", or a header field's ";" and white space.
func paramBefore(text string, start int) bool {
	j := start - 1
	if j >= 0 && text[j] == '?' {
		return true
	}
	for j >= 0 && (text[j] == ' ' || text[j] == '\t' || text[j] == '\r' || text[j] == '\n') {
		j--
	}
	return j >= 0 && text[j] == ';'
}

// rfc2231Prefix is the charset and language an RFC 2231 value starts with.
var rfc2231Prefix = regexp.MustCompile(`^[A-Za-z0-9_.:-]+'[A-Za-z0-9-]*'`)

// domainEnd returns where the domain that starts at j ends: after its
// last letter or digit, or after the "]" of a domain literal
// ([192.0.2.7], [IPv6:2001:db8::1]). It is j when there is none.
func domainEnd(text string, j int) int {
	if j < len(text) && text[j] == '[' {
		for k := j + 1; k < len(text) && k <= j+maxLocal; k++ {
			c := text[k]
			switch {
			case c == ']':
				if k == j+1 {
					return j
				}
				return k + 1
			case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '.', c == ':':
			default:
				return j
			}
		}
		return j
	}
	end := j
	for end < len(text) {
		r, size := utf8.DecodeRuneInString(text[end:])
		if !domainRune(r) {
			break
		}
		end += size
	}
	// The full stop or hyphen after an address ends the sentence.
	for end > j && (text[end-1] == '.' || text[end-1] == '-') {
		end--
	}
	return end
}

// localRune reports whether r may be in an address's local part: RFC 5322
// atext and dots, and any letter or digit for internationalized ones. The
// atext characters "/?^`{|}" are left out: no real address uses them, and
// a link ("https://x.example/to?jane@example.org") would otherwise be
// taken for part of the address; "=" is taken by localPart, which tells a
// local part's from a query's.
func localRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(".!#$%&'*+_~-", r)
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// domainRune reports whether r may be in a domain: letters, digits,
// hyphens and dots (and any letter, for internationalized names).
func domainRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}
