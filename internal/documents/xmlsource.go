package documents

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// node is one element of an xml2rfc source, or (name "") a run of text.
// The tree is built once and both the metadata and the HTML rendering are
// read from it.
type node struct {
	name  string // local name; "" for text
	space string
	attrs []xml.Attr
	kids  []*node
	text  string
	line  int
}

func (n *node) attr(name string) string {
	for _, a := range n.attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// child returns the first child element called name, or nil.
func (n *node) child(name string) *node {
	for _, k := range n.kids {
		if k.name == name {
			return k
		}
	}
	return nil
}

func (n *node) children(name string) []*node {
	var out []*node
	for _, k := range n.kids {
		if k.name == name {
			out = append(out, k)
		}
	}
	return out
}

// textOf is the text inside n, with runs of white space made one space.
func textOf(n *node) string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	var walk func(*node)
	walk = func(n *node) {
		if n.name == "" {
			b.WriteString(n.text)
			return
		}
		for _, k := range n.kids {
			walk(k)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// Limits that bound what one source can cost to read: the size limit
// bounds the rest, these keep a hostile nesting from exhausting the stack.
const (
	maxDepth    = 100
	maxEntities = 64
	maxEntity   = 200
)

// xincludeSpace is the XInclude namespace; its include elements are never
// followed (nothing is fetched or read), only named as references.
const xincludeSpace = "http://www.w3.org/2001/XInclude"

// entityDecl matches an internal entity with a literal value; external
// ones (SYSTEM, PUBLIC) are refused.
var (
	entityDecl   = regexp.MustCompile(`<!ENTITY\s+(%\s+)?([A-Za-z_][A-Za-z0-9._-]*)\s+("([^"]*)"|'([^']*)'|SYSTEM|PUBLIC)`)
	charRef      = regexp.MustCompile(`^&#(x[0-9A-Fa-f]+|[0-9]+);$`)
	charRefInner = regexp.MustCompile(`&#(x[0-9A-Fa-f]+|[0-9]+);`)
)

// parseXML reads an xml2rfc v3 source into a tree. Every problem is added
// to probs with its line; the tree is nil when the source cannot be read.
// The decoder never resolves anything outside the file: encoding/xml does
// not fetch DTDs or external entities, an internal entity is replaced by
// its literal value once (never expanded again, so no entity can grow into
// a billion laughs), and XIncludes stay elements.
func parseXML(src []byte, probs *problems) *node {
	lines := newLineIndex(src)
	d := xml.NewDecoder(bytes.NewReader(src))
	d.Strict = true
	// Only UTF-8 (and its ASCII subset) is taken: a charset reader that
	// refuses the rest makes another encoding a clear problem.
	d.CharsetReader = func(label string, r io.Reader) (io.Reader, error) {
		if strings.EqualFold(label, "us-ascii") || strings.EqualFold(label, "ascii") {
			return r, nil
		}
		return nil, fmt.Errorf("the source says it is in %q; only UTF-8 is taken", label)
	}
	d.Entity = map[string]string{}
	root := &node{name: "#document"}
	stack := []*node{root}
	for {
		off := d.InputOffset()
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				probs.add("xml", se.Line, "the XML is not well-formed: "+se.Msg)
			} else {
				probs.add("xml", lines.at(d.InputOffset()), "the XML cannot be read: "+err.Error())
			}
			return nil
		}
		line := lines.at(off)
		top := stack[len(stack)-1]
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) > maxDepth {
				probs.add("xml", line, fmt.Sprintf("the XML nests deeper than %d elements", maxDepth))
				return nil
			}
			n := &node{name: t.Name.Local, space: t.Name.Space, attrs: t.Attr, line: line}
			top.kids = append(top.kids, n)
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			top.kids = append(top.kids, &node{text: string(t), line: line})
		case xml.Directive:
			if !readDoctype(string(t), d.Entity, line, probs) {
				return nil
			}
		}
	}
	var rfc *node
	for _, k := range root.kids {
		if k.name != "" {
			rfc = k
		}
	}
	if rfc == nil || rfc.name != "rfc" {
		probs.add("xml", 1, "this is not an xml2rfc source: its outermost element must be <rfc>")
		return nil
	}
	if v := rfc.attr("version"); v != "3" {
		probs.add("xml", rfc.line, "only xml2rfc version 3 sources are taken: the <rfc> element needs version=\"3\"")
	}
	return rfc
}

// readDoctype takes the internal entities of a DOCTYPE into ents and
// reports false, with a problem, when it declares one that would be read
// from elsewhere.
func readDoctype(dir string, ents map[string]string, line int, probs *problems) bool {
	if !strings.HasPrefix(dir, "DOCTYPE") {
		return true
	}
	ok := true
	for _, m := range entityDecl.FindAllStringSubmatch(dir, -1) {
		name := m[2]
		switch {
		case m[1] != "":
			probs.add("xml", line, "parameter entity %"+name+" is not taken: declarations are not read from anywhere")
			ok = false
		case m[3] == "SYSTEM" || m[3] == "PUBLIC":
			probs.add("xml", line, "external entity &"+name+"; is not read: plenary never fetches or opens anything a source points to; put the text in the file")
			ok = false
		case len(ents) >= maxEntities:
			probs.add("xml", line, fmt.Sprintf("the DOCTYPE declares more than %d entities", maxEntities))
			return false
		default:
			v := m[4] + m[5]
			if len(v) > maxEntity {
				probs.add("xml", line, "entity &"+name+"; is too long")
				ok = false
				continue
			}
			// A character reference is replaced by its character; any
			// other value is taken literally, never expanded again.
			ents[name] = charRefInner.ReplaceAllStringFunc(v, func(s string) string {
				var r rune
				sub := charRef.FindStringSubmatch(s)
				if strings.HasPrefix(sub[1], "x") {
					fmt.Sscanf(sub[1][1:], "%x", &r)
				} else {
					fmt.Sscanf(sub[1], "%d", &r)
				}
				return string(r)
			})
		}
	}
	if strings.Contains(dir, "SYSTEM") && !entityDecl.MatchString(dir) {
		probs.add("xml", line, "the DOCTYPE points to an external DTD, which is not read; remove it")
		ok = false
	}
	return ok
}

// lineIndex turns byte offsets into line numbers.
type lineIndex struct{ starts []int64 }

func newLineIndex(b []byte) lineIndex {
	li := lineIndex{starts: []int64{0}}
	for i, c := range b {
		if c == '\n' {
			li.starts = append(li.starts, int64(i+1))
		}
	}
	return li
}

// at returns the 1-based line of the byte at off; a token starting right
// after a newline is counted on the line it starts on.
func (li lineIndex) at(off int64) int {
	lo, hi := 0, len(li.starts)
	for lo+1 < hi {
		mid := (lo + hi) / 2
		if li.starts[mid] <= off {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo + 1
}

// metaFromXML reads a draft's metadata from its source.
func metaFromXML(rfc *node, probs *problems) Meta {
	var m Meta
	doc := rfc.attr("docName")
	front := rfc.child("front")
	if front == nil {
		probs.add("xml", rfc.line, "the source has no <front> element, so it has no title or authors")
		return m
	}
	if doc == "" {
		for _, si := range front.children("seriesInfo") {
			if si.attr("name") == "Internet-Draft" {
				doc = si.attr("value")
			}
		}
	}
	if doc == "" {
		probs.add("xml", rfc.line, "the draft's name and revision are missing: give them as docName=\"draft-…-NN\" on <rfc>")
	}
	m.Name, m.Rev = splitName(doc)
	m.NameLine = rfc.line
	if t := front.child("title"); t != nil {
		m.Title = textOf(t)
	}
	if m.Title == "" {
		probs.add("xml", front.line, "the draft has no title: add <title> in <front>")
	}
	for _, a := range front.children("author") {
		au := Author{Name: a.attr("fullname"), Line: a.line}
		if au.Name == "" {
			au.Name = strings.TrimSpace(a.attr("initials") + " " + a.attr("surname"))
		}
		au.Affiliation = textOf(a.child("organization"))
		if addr := a.child("address"); addr != nil {
			au.Email = textOf(addr.child("email"))
		}
		if au.Name == "" && au.Affiliation == "" {
			continue
		}
		m.Authors = append(m.Authors, au)
	}
	if len(m.Authors) == 0 {
		probs.add("xml", front.line, "the draft names no author: add <author fullname=\"…\"> in <front>")
	}
	if dt := front.child("date"); dt != nil {
		month := dt.attr("month")
		if n, err := strconv.Atoi(month); err == nil && n >= 1 && n <= 12 {
			month = time.Month(n).String()
		}
		m.Date = strings.Join(strings.Fields(strings.TrimLeft(dt.attr("day"), "0")+" "+month+" "+dt.attr("year")), " ")
	}
	m.Group = textOf(front.child("workgroup"))
	if ab := front.child("abstract"); ab != nil {
		var paras []string
		for _, k := range ab.kids {
			if t := textOf(k); t != "" {
				paras = append(paras, t)
			}
		}
		m.Abstract = strings.Join(paras, "\n\n")
	}
	if m.Abstract == "" {
		probs.add("xml", front.line, "the draft has no abstract: add <abstract> in <front>")
	}
	var walk func(*node)
	walk = func(n *node) {
		for _, k := range n.kids {
			switch {
			case k.name == "reference":
				if a := k.attr("anchor"); a != "" {
					m.References = append(m.References, a)
				}
				continue
			case k.name == "include" && k.space == xincludeSpace:
				if a := includeAnchor(k.attr("href")); a != "" {
					m.References = append(m.References, a)
				}
				continue
			}
			walk(k)
		}
	}
	if back := rfc.child("back"); back != nil {
		walk(back)
	}
	return m
}

// includeAnchor names the reference an XInclude of a bibliography entry
// stands for ("…/reference.RFC.2119.xml" is RFC2119), from its address
// alone: the address is never fetched.
func includeAnchor(href string) string {
	base := href[strings.LastIndex(href, "/")+1:]
	base = strings.TrimSuffix(base, ".xml")
	base = strings.TrimPrefix(base, "reference.")
	switch {
	case strings.HasPrefix(base, "RFC."):
		return "RFC" + strings.TrimLeft(base[4:], "0")
	case strings.HasPrefix(base, "I-D."):
		return base
	}
	return base
}
