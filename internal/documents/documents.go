// Package documents keeps the organization's public documents: the
// Internet-Drafts participants submit, each revision with its source, its
// text rendering and the metadata read from them (PUB1). A draft is a
// public record kept forever, and so is the personal data in it (its
// authors' names, addresses and affiliations): the submitter is told so,
// and accepts the contribution terms, before anything is posted. The
// package knows nothing of HTTP.
package documents

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"plenary/internal/validate"
)

// Limits on a submission.
const (
	MaxXML = 4 << 20 // bytes of the XML source
	MaxTxt = 2 << 20 // bytes of the text rendering
	// MaxName is the longest draft name, revision included.
	MaxName = 60
)

// ExpiryDays is how long a revision stays active when no newer one
// replaces it.
const ExpiryDays = 185

// Author is one author as a revision names them.
type Author struct {
	Name        string
	Email       string
	Affiliation string
	PersonID    int64
	Line        int `json:"-"`
}

// Meta is what plenary reads from a draft's source or text.
type Meta struct {
	Name       string // without the revision: draft-ietf-quic-tls
	Rev        string // two digits: 34
	NameLine   int    // where the name was found
	Title      string
	Abstract   string
	Authors    []Author
	Date       string
	Group      string
	References []string
}

// problems collects problems with the line each was found on.
type problems struct{ errs validate.Errors }

func (p *problems) add(field string, line int, msg string) {
	if line > 0 {
		msg = fmt.Sprintf("%s, line %d: %s", fileLabel(field), line, msg)
	} else {
		msg = fmt.Sprintf("%s: %s", fileLabel(field), msg)
	}
	p.errs.Add(field, msg)
}

func fileLabel(field string) string {
	switch field {
	case "xml":
		return "XML source"
	case "txt":
		return "Text rendering"
	}
	return "Submission"
}

var (
	// A draft's name: "draft-", then lower-case words of letters and
	// digits joined by single hyphens; the revision is two digits.
	nameForm = regexp.MustCompile(`^draft-[a-z0-9]+(-[a-z0-9]+)+$`)
	revForm  = regexp.MustCompile(`^[0-9]{2}$`)
)

// splitName parts "draft-x-y-07" into "draft-x-y" and "07"; the revision
// is "" when the name has none.
func splitName(full string) (string, string) {
	full = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(full), ".txt"))
	i := strings.LastIndexByte(full, '-')
	if i < 0 || !revForm.MatchString(full[i+1:]) {
		return full, ""
	}
	return full[:i], full[i+1:]
}

// SplitName parts a full draft name into name and revision, and reports
// whether it has both in their proper form.
func SplitName(full string) (name, rev string, ok bool) {
	name, rev = splitName(full)
	return name, rev, rev != "" && nameForm.MatchString(name) && len(name)+3 <= MaxName
}

// checkName adds the problems of a name read from field.
func checkName(m Meta, field string, probs *problems) {
	switch {
	case m.Name == "":
		return // already reported as missing
	case m.Rev == "":
		probs.add(field, m.NameLine, fmt.Sprintf("the name %q has no revision: it must end in two digits, such as -00", m.Name))
	case !nameForm.MatchString(m.Name):
		probs.add(field, m.NameLine, fmt.Sprintf("the name %q is not in the form draft-source-group-topic-NN: only lower-case letters, digits and single hyphens, starting with draft-", m.Name))
	case len(m.Name)+3 > MaxName:
		probs.add(field, m.NameLine, fmt.Sprintf("the name is %d characters long with its revision; at most %d are allowed", len(m.Name)+3, MaxName))
	}
}

// NextRev is the revision that follows rev; "00" for a new draft.
func NextRev(last string) string {
	if last == "" {
		return "00"
	}
	n, _ := strconv.Atoi(last)
	return fmt.Sprintf("%02d", n+1)
}

// Upload is what a submitter sends: the XML source, the text rendering,
// or both, and whether they accepted the terms.
type Upload struct {
	XML, Txt    []byte
	AcceptTerms bool
}

// checkBytes adds the problems of a file's raw bytes: its size, NUL bytes
// and invalid UTF-8, each with its line.
func checkBytes(field string, b []byte, max int, probs *problems) bool {
	if len(b) > max {
		probs.add(field, 0, fmt.Sprintf("the file is %d bytes; at most %d are taken", len(b), max))
		return false
	}
	line := 1
	for i := 0; i < len(b); {
		c := b[i]
		if c == '\n' {
			line++
		}
		if c == 0 {
			probs.add(field, line, "the file holds a NUL byte, so it is not text")
			return false
		}
		if c < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			probs.add(field, line, "the file is not valid UTF-8 here; save it as UTF-8")
			return false
		}
		i += size
	}
	return true
}

// Checked is an upload whose every problem was found: Problems is nil
// when it can be posted.
type Checked struct {
	Meta     Meta
	XML, Txt string
	Problems *validate.Errors
}

// Check reads an upload and finds every problem at once, each with the
// file and line it is in. last is the latest revision posted of the
// draft the upload names ("" when none), looked up by the caller with
// LatestRev; Check runs it after reading the name.
func Check(up Upload, last func(name string) (string, error)) (Checked, error) {
	var p problems
	var c Checked
	if len(up.XML) == 0 && len(up.Txt) == 0 {
		p.add("xml", 0, "choose the draft's XML source, its text rendering, or both")
	}
	var fromXML, fromTxt *Meta
	if len(up.XML) > 0 && checkBytes("xml", up.XML, MaxXML, &p) {
		if rfc := parseXML(up.XML, &p); rfc != nil {
			m := metaFromXML(rfc, &p)
			checkName(m, "xml", &p)
			fromXML = &m
			c.XML = string(up.XML)
		}
	}
	if len(up.Txt) > 0 && checkBytes("txt", up.Txt, MaxTxt, &p) {
		m := metaFromText(string(up.Txt), &p)
		checkName(m, "txt", &p)
		fromTxt = &m
		c.Txt = string(up.Txt)
	}
	switch {
	case fromXML != nil && fromTxt != nil:
		c.Meta = *fromXML
		if fromXML.Name != "" && fromTxt.Name != "" && (fromXML.Name != fromTxt.Name || fromXML.Rev != fromTxt.Rev) {
			p.add("txt", fromTxt.NameLine, fmt.Sprintf("the text is %s-%s but the XML source (line %d) is %s-%s: upload the two of the same revision",
				fromTxt.Name, fromTxt.Rev, fromXML.NameLine, fromXML.Name, fromXML.Rev))
		}
	case fromXML != nil:
		c.Meta = *fromXML
	case fromTxt != nil:
		c.Meta = *fromTxt
	}
	if c.Meta.Name != "" && c.Meta.Rev != "" && nameForm.MatchString(c.Meta.Name) {
		prev, err := last(c.Meta.Name)
		if err != nil {
			return c, err
		}
		field := "xml"
		if fromXML == nil {
			field = "txt"
		}
		// A name new here may start at any revision: its earlier ones
		// may have been posted elsewhere. After that, each revision is
		// the one after the latest posted.
		if want := NextRev(prev); prev != "" && c.Meta.Rev != want {
			p.add(field, c.Meta.NameLine, fmt.Sprintf("this is revision -%s, but the next revision of %s is -%s (-%s is the latest posted)",
				c.Meta.Rev, c.Meta.Name, want, prev))
		}
	}
	if !up.AcceptTerms {
		p.errs.Add("accept_terms", "Please confirm that the draft and the personal data in it will be public, and that you accept the contribution terms.")
	}
	if err := p.errs.Err(); err != nil {
		c.Problems = &p.errs
	}
	return c, nil
}

// Revision is one posted revision of a draft.
type Revision struct {
	ID         int64
	DraftID    int64
	Name       string
	Rev        string
	Title      string
	Abstract   string
	Date       string
	Group      string
	References []string
	Authors    []Author
	XML        string
	Txt        string
	Submitter  int64
	PostedAt   time.Time
}

// FullName is the name with its revision.
func (r Revision) FullName() string { return r.Name + "-" + r.Rev }

// Expires is when the revision stops being active if nothing replaces it.
func (r Revision) Expires() time.Time { return r.PostedAt.AddDate(0, 0, ExpiryDays) }

// Summary is a draft as the list shows it: its latest revision.
type Summary struct {
	Name     string
	Rev      string
	Title    string
	Group    string
	Authors  string
	PostedAt time.Time
}

// Expires is when the latest revision expires.
func (s Summary) Expires() time.Time { return s.PostedAt.AddDate(0, 0, ExpiryDays) }
