package lists

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"strings"
	"time"

	"plenary/internal/store"
)

// WriteMboxOf writes postings as an mbox file (mboxrd: a body line
// starting with "From ", after any ">", gains one ">"). Each message has
// its In-Reply-To and References, so mail programs thread it; a posting
// with attachments is a multipart/mixed message whose text is the first
// part and whose attachments follow as base64 parts with their file
// names. Subjects and names that are not ASCII are RFC 2047 encoded
// words; the text is UTF-8. With mask, the authors' addresses are
// obfuscated as on the archive's pages for anonymous readers.
func WriteMboxOf(ctx context.Context, q store.Querier, ps []Posting, mask bool, w io.Writer) error {
	bw := bufio.NewWriter(w)
	const chunk = 200
	for from := 0; from < len(ps); from += chunk {
		part := ps[from:min(from+chunk, len(ps))]
		refs, withFiles, err := mboxExtras(ctx, q, part)
		if err != nil {
			return err
		}
		for _, p := range part {
			var files []Attachment
			if withFiles[p.ID] {
				if files, err = attachmentData(ctx, q, p.ID); err != nil {
					return err
				}
			}
			if err := writeMboxMessage(bw, p, refs[p.ID], files, mask); err != nil {
				return err
			}
		}
	}
	return bw.Flush()
}

// mboxExtras reads the References of postings and which of them have
// attachments kept.
func mboxExtras(ctx context.Context, q store.Querier, ps []Posting) (map[int64]string, map[int64]bool, error) {
	refs, files := map[int64]string{}, map[int64]bool{}
	if len(ps) == 0 {
		return refs, files, nil
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(ps)), ", ")
	args := make([]any, len(ps))
	for i, p := range ps {
		args[i] = p.ID
	}
	rows, err := q.Query(ctx, "SELECT id, refs FROM list_posts WHERE id IN ("+marks+")", args...)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the references of postings: %w", err)
	}
	for rows.Next() {
		var id int64
		var r string
		if err := rows.Scan(&id, &r); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("reading the references of postings: %w", err)
		}
		refs[id] = r
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	rows, err = q.Query(ctx, "SELECT DISTINCT post_id FROM list_attachments WHERE size >= 0 AND post_id IN ("+marks+")", args...)
	if err != nil {
		return nil, nil, fmt.Errorf("finding postings with attachments: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, nil, fmt.Errorf("finding postings with attachments: %w", err)
		}
		files[id] = true
	}
	return refs, files, rows.Err()
}

// attachmentData reads the kept attachments of a posting, in order.
func attachmentData(ctx context.Context, q store.Querier, postID int64) ([]Attachment, error) {
	rows, err := q.Query(ctx, "SELECT n, filename, content_type, size, data FROM list_attachments WHERE post_id = ? AND size >= 0 ORDER BY n", postID)
	if err != nil {
		return nil, fmt.Errorf("reading attachments: %w", err)
	}
	defer rows.Close()
	var out []Attachment
	for rows.Next() {
		var a Attachment
		if err := rows.Scan(&a.N, &a.Filename, &a.ContentType, &a.Size, &a.Data); err != nil {
			return nil, fmt.Errorf("reading attachments: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func writeMboxMessage(bw *bufio.Writer, p Posting, refs string, files []Attachment, mask bool) error {
	at := p.CreatedAt.UTC()
	if p.PublishedAt != nil {
		at = p.PublishedAt.UTC()
	}
	addr := p.Email
	if mask {
		// Every address in the message, not only the author's; the
		// From header's stays ASCII.
		p = p.Masked()
		addr = strings.Replace(p.Email, "…", "...", 1)
	}
	var m strings.Builder
	header := func(name, value string) {
		m.WriteString(foldHeader(name + ": " + value))
		m.WriteString("\n")
	}
	header("From", displayName(p.Author)+"<"+addr+">")
	header("Subject", mime.QEncoding.Encode("utf-8", p.Subject))
	header("Date", at.Format(time.RFC1123Z))
	header("Message-ID", p.MessageID)
	if p.InReplyTo != "" {
		header("In-Reply-To", p.InReplyTo)
	}
	if r := references(refs, p.InReplyTo); r != "" {
		header("References", r)
	}
	header("MIME-Version", "1.0")
	parts := make([]string, len(files))
	for i, a := range files {
		if mask {
			a = a.Masked()
		}
		parts[i] = attachmentPart(a)
	}
	ctype, cte, body := mimeBody(p.MessageID, p.Body, parts, false)
	header("Content-Type", ctype)
	if cte != "" {
		header("Content-Transfer-Encoding", cte)
	}
	m.WriteString("\n")
	m.WriteString(body)
	fmt.Fprintf(bw, "From %s %s\n", strings.ReplaceAll(addr, " ", "_"), at.Format("Mon Jan _2 15:04:05 2006"))
	for _, line := range strings.SplitAfter(m.String(), "\n") {
		if strings.HasPrefix(strings.TrimLeft(line, ">"), "From ") {
			bw.WriteByte('>')
		}
		bw.WriteString(line)
	}
	// The blank line that ends a message in an mbox file.
	return bw.WriteByte('\n')
}

// mimeBody is a message's body in MIME form, shared by the mbox export
// and the copies the distribution sends: the text alone as text/plain, or
// with attachment parts (attachmentPart) a multipart/mixed whose text is
// the first part. It returns the Content-Type, the Content-Transfer-Encoding
// of a text/plain body (empty for multipart, whose parts carry theirs) and
// the body. seed makes the boundary (a posting's Message-ID). With
// sevenBit, text that is not ASCII is quoted-printable rather than 8bit,
// for SMTP servers that do not take 8-bit mail.
func mimeBody(seed, text string, parts []string, sevenBit bool) (ctype, cte, body string) {
	text, enc := textBody(text, sevenBit)
	if len(parts) == 0 {
		return "text/plain; charset=utf-8", enc, text
	}
	boundary := mimeBoundary(seed, text)
	var m strings.Builder
	m.WriteString("This is a message in MIME format: its text, then its attachments.\n")
	m.WriteString("\n--" + boundary + "\n")
	m.WriteString("Content-Type: text/plain; charset=utf-8\nContent-Disposition: inline\nContent-Transfer-Encoding: " + enc + "\n\n")
	m.WriteString(text)
	for _, part := range parts {
		m.WriteString("\n--" + boundary + "\n")
		m.WriteString(part)
	}
	m.WriteString("\n--" + boundary + "--\n")
	return mime.FormatMediaType("multipart/mixed", map[string]string{"boundary": boundary}), "", m.String()
}

// attachmentPart is an attachment as a MIME part, its header fields and
// its data in base64 lines; written once, it serves every copy of a
// posting. The base64 alphabet has no "=_", so no boundary of mimeBoundary
// can occur in it.
func attachmentPart(a Attachment) string {
	var m strings.Builder
	header := func(name, value string) {
		m.WriteString(foldHeader(name + ": " + value))
		m.WriteString("\n")
	}
	ct := "application/octet-stream"
	if t, _, err := mime.ParseMediaType(a.ContentType); err == nil && strings.Contains(t, "/") {
		ct = t
	}
	name := strings.Map(func(r rune) rune {
		if r < 32 || r == 127 {
			return -1
		}
		return r
	}, a.Filename)
	if name == "" {
		name = fmt.Sprintf("attachment-%d", a.N)
	}
	header("Content-Type", mime.FormatMediaType(ct, map[string]string{"name": name}))
	header("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	header("Content-Transfer-Encoding", "base64")
	m.WriteString("\n")
	enc := base64.StdEncoding.EncodeToString(a.Data)
	for len(enc) > 76 {
		m.WriteString(enc[:76] + "\n")
		enc = enc[76:]
	}
	if enc != "" {
		m.WriteString(enc + "\n")
	}
	return m.String()
}

// displayName is a name as the phrase before an address (phrase),
// followed by a space; empty when there is no name.
func displayName(name string) string {
	if ph := phrase(name); ph != "" {
		return ph + " "
	}
	return ""
}

// references is the References field: the stored chain, oldest first,
// ending with the parent when the chain does not name it.
func references(refs, inReplyTo string) string {
	ids := strings.Fields(refs)
	if inReplyTo != "" {
		found := false
		for _, id := range ids {
			if id == inReplyTo {
				found = true
			}
		}
		if !found {
			ids = append(ids, inReplyTo)
		}
	}
	return strings.Join(ids, " ")
}

// textBody returns the text as a body ending in a newline, and its
// transfer encoding: 7bit or 8bit as it stands when every line fits the
// 998 octets SMTP allows, quoted-printable when one does not (or, with
// sevenBit, when the text is not ASCII or holds a bare CR).
func textBody(s string, sevenBit bool) (string, string) {
	s = strings.ReplaceAll(strings.TrimRight(s, "\n"), "\r\n", "\n") + "\n"
	long, ascii := false, true
	for _, line := range strings.Split(s, "\n") {
		if len(line) > 998 {
			long = true
		}
	}
	for i := 0; i < len(s); i++ {
		if s[i] > 126 {
			ascii = false
			break
		}
	}
	switch {
	case long, sevenBit && (!ascii || strings.Contains(s, "\r")):
		// (A bare CR, which SMTP servers wary of smuggling refuse,
		// becomes a line break.)
		var b strings.Builder
		qw := quotedprintable.NewWriter(&b)
		qw.Write([]byte(s))
		qw.Close()
		return strings.ReplaceAll(b.String(), "\r\n", "\n"), "quoted-printable"
	case ascii:
		return s, "7bit"
	}
	return s, "8bit"
}

// mimeBoundary is a boundary that the text does not contain; base64
// parts cannot contain it ("=_" is not base64).
func mimeBoundary(messageID, text string) string {
	h := sha256.Sum256([]byte(messageID))
	b := "=_plenary_" + hex.EncodeToString(h[:12])
	for strings.Contains(text, b) {
		b += "_"
	}
	return b
}

// foldHeader folds a header line longer than 78 characters at spaces.
func foldHeader(line string) string {
	if len(line) <= 78 {
		return line
	}
	var b strings.Builder
	n := 0
	for i, word := range strings.Split(line, " ") {
		if i > 0 {
			if n+1+len(word) > 78 && n > 0 {
				b.WriteString("\n ")
				n = 1
			} else {
				b.WriteString(" ")
				n++
			}
		}
		b.WriteString(word)
		n += len(word)
	}
	return b.String()
}
