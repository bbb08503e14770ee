package documents

import (
	"fmt"
	"html"
	"html/template"
	"regexp"
	"strings"
)

// Rendered is a revision as HTML: its body, and the table of contents.
type Rendered struct {
	Body     template.HTML
	Sections []TOCEntry
}

// TOCEntry is one section in the table of contents.
type TOCEntry struct {
	Number, Title, Anchor string
	Depth                 int
}

// RenderXML renders an xml2rfc v3 source as HTML. Every piece of text and
// every attribute is escaped; links go only to http(s) addresses and to
// anchors in the page. Sections get stable anchors from their numbers
// ("section-2.1", "appendix-A"), and a section's own anchor attribute
// where it has one, so links into a draft survive later revisions.
func RenderXML(src string) (Rendered, error) {
	var p problems
	rfc := parseXML([]byte(src), &p)
	if rfc == nil {
		return Rendered{}, fmt.Errorf("rendering a draft: %w", p.errs.Err())
	}
	r := renderer{}
	if front := rfc.child("front"); front != nil {
		if ab := front.child("abstract"); ab != nil {
			r.b.WriteString(`<section id="abstract"><h2>Abstract</h2>`)
			r.kids(ab)
			r.b.WriteString("</section>\n")
		}
	}
	if mid := rfc.child("middle"); mid != nil {
		r.sections(mid, "section-", "", 0)
	}
	if back := rfc.child("back"); back != nil {
		r.back(back)
	}
	if front := rfc.child("front"); front != nil {
		r.authors(front)
	}
	return Rendered{Body: template.HTML(r.b.String()), Sections: r.toc}, nil
}

type renderer struct {
	b   strings.Builder
	toc []TOCEntry
}

var safeID = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// anchorOf makes an attribute value fit to be an id.
func anchorOf(s string) string { return safeID.ReplaceAllString(s, "-") }

func (r *renderer) esc(s string) { r.b.WriteString(html.EscapeString(s)) }

// sections renders the section children of n, numbered under prefix.
func (r *renderer) sections(n *node, idPrefix, numPrefix string, depth int) {
	i := 0
	for _, k := range n.kids {
		if k.name != "section" {
			continue
		}
		i++
		num := numPrefix + fmt.Sprint(i)
		if idPrefix == "appendix-" && depth == 0 {
			num = string(rune('A' + (i-1)%26))
		}
		r.section(k, idPrefix, num, depth)
	}
}

func (r *renderer) section(n *node, idPrefix, num string, depth int) {
	id := idPrefix + num
	title := textOf(n.child("name"))
	if title == "" {
		title = n.attr("title")
	}
	r.toc = append(r.toc, TOCEntry{Number: num, Title: title, Anchor: id, Depth: depth})
	level := min(depth+2, 6)
	fmt.Fprintf(&r.b, `<section id="%s">`, id)
	if a := n.attr("anchor"); a != "" {
		fmt.Fprintf(&r.b, `<span id="%s"></span>`, html.EscapeString(anchorOf(a)))
	}
	fmt.Fprintf(&r.b, `<h%d><a class="selfref" href="#%s">%s.</a> `, level, id, html.EscapeString(num))
	if nm := n.child("name"); nm != nil {
		r.kids(nm)
	} else {
		r.esc(title)
	}
	fmt.Fprintf(&r.b, "</h%d>\n", level)
	for _, k := range n.kids {
		if k.name == "name" || k.name == "section" {
			continue
		}
		r.node(k)
	}
	r.sections(n, idPrefix, num+".", depth+1)
	r.b.WriteString("</section>\n")
}

func (r *renderer) back(back *node) {
	refNum := 0
	appendix := 0
	for _, k := range back.kids {
		switch k.name {
		case "references":
			refNum++
			r.references(k, fmt.Sprintf("references-%d", refNum), 0)
		case "section":
			appendix++
			num := string(rune('A' + (appendix-1)%26))
			r.section(k, "appendix-", num, 0)
		}
	}
}

func (r *renderer) references(n *node, id string, depth int) {
	title := textOf(n.child("name"))
	if title == "" {
		title = "References"
	}
	r.toc = append(r.toc, TOCEntry{Title: title, Anchor: id, Depth: depth})
	fmt.Fprintf(&r.b, `<section id="%s"><h%d>`, id, min(depth+2, 6))
	r.esc(title)
	fmt.Fprintf(&r.b, "</h%d>\n<dl class=\"references\">\n", min(depth+2, 6))
	sub := 0
	for _, k := range n.kids {
		switch {
		case k.name == "references":
			sub++
			r.b.WriteString("</dl>\n")
			r.references(k, fmt.Sprintf("%s-%d", id, sub), depth+1)
			r.b.WriteString("<dl class=\"references\">\n")
		case k.name == "reference" || k.name == "referencegroup":
			r.reference(k)
		case k.name == "include" && k.space == xincludeSpace:
			a := includeAnchor(k.attr("href"))
			fmt.Fprintf(&r.b, `<dt id="%s">[%s]</dt><dd>Included from `, html.EscapeString(anchorOf(a)), html.EscapeString(a))
			r.link(k.attr("href"), k.attr("href"))
			r.b.WriteString(" (not fetched).</dd>\n")
		}
	}
	r.b.WriteString("</dl></section>\n")
}

func (r *renderer) reference(n *node) {
	a := n.attr("anchor")
	fmt.Fprintf(&r.b, `<dt id="%s">[%s]</dt><dd>`, html.EscapeString(anchorOf(a)), html.EscapeString(a))
	front := n.child("front")
	if front != nil {
		var names []string
		for _, au := range front.children("author") {
			nm := au.attr("fullname")
			if nm == "" {
				nm = textOf(au.child("organization"))
			}
			if nm != "" {
				names = append(names, nm)
			}
		}
		if len(names) > 0 {
			r.esc(strings.Join(names, ", ") + ", ")
		}
		r.b.WriteString("&#34;")
		title := textOf(front.child("title"))
		if t := n.attr("target"); t != "" {
			r.link(t, title)
		} else {
			r.esc(title)
		}
		r.b.WriteString("&#34;")
	}
	for _, si := range n.children("seriesInfo") {
		r.esc(", " + si.attr("name") + " " + si.attr("value"))
	}
	if front != nil {
		if d := front.child("date"); d != nil {
			if s := strings.TrimSpace(d.attr("month") + " " + d.attr("year")); s != "" {
				r.esc(", " + s)
			}
		}
	}
	r.b.WriteString(".</dd>\n")
}

func (r *renderer) authors(front *node) {
	as := front.children("author")
	if len(as) == 0 {
		return
	}
	r.toc = append(r.toc, TOCEntry{Title: "Authors' Addresses", Anchor: "authors"})
	r.b.WriteString(`<section id="authors"><h2>Authors' Addresses</h2>` + "\n")
	for _, a := range as {
		r.b.WriteString(`<address class="author">`)
		name := a.attr("fullname")
		if name == "" {
			name = strings.TrimSpace(a.attr("initials") + " " + a.attr("surname"))
		}
		r.esc(name)
		if org := textOf(a.child("organization")); org != "" {
			r.b.WriteString("<br>")
			r.esc(org)
		}
		if addr := a.child("address"); addr != nil {
			if em := textOf(addr.child("email")); em != "" {
				r.b.WriteString("<br>Email: ")
				r.esc(em)
			}
		}
		r.b.WriteString("</address>\n")
	}
	r.b.WriteString("</section>\n")
}

func (r *renderer) kids(n *node) {
	for _, k := range n.kids {
		r.node(k)
	}
}

// link writes an <a> for http(s) addresses and plain text for any other.
func (r *renderer) link(href, text string) {
	if text == "" {
		text = href
	}
	if strings.HasPrefix(href, "https://") || strings.HasPrefix(href, "http://") {
		fmt.Fprintf(&r.b, `<a href="%s" rel="nofollow">%s</a>`, html.EscapeString(href), html.EscapeString(text))
		return
	}
	r.esc(text)
}

// simple maps xml2rfc elements to the HTML element they become.
var simple = map[string]string{
	"t": "p", "ul": "ul", "ol": "ol", "li": "li", "dl": "dl", "dt": "dt", "dd": "dd",
	"em": "em", "strong": "strong", "tt": "code", "sub": "sub", "sup": "sup",
	"blockquote": "blockquote", "aside": "aside", "table": "table", "thead": "thead",
	"tbody": "tbody", "tfoot": "tfoot", "tr": "tr", "th": "th", "td": "td", "br": "br",
}

func (r *renderer) node(n *node) {
	if n.name == "" {
		r.esc(n.text)
		return
	}
	switch n.name {
	case "name", "cref", "iref", "toc", "seriesInfo":
		return
	case "artwork", "sourcecode":
		if n.attr("type") == "svg" {
			r.b.WriteString(`<p class="note">[This figure is a drawing; see the text rendering or the source.]</p>`)
			return
		}
		cls := "artwork"
		if n.name == "sourcecode" {
			cls = "sourcecode"
		}
		fmt.Fprintf(&r.b, `<pre class="%s">`, cls)
		var raw strings.Builder
		var walk func(*node)
		walk = func(m *node) {
			if m.name == "" {
				raw.WriteString(m.text)
			}
			for _, k := range m.kids {
				walk(k)
			}
		}
		walk(n)
		r.esc(strings.Trim(raw.String(), "\n"))
		r.b.WriteString("</pre>\n")
	case "figure":
		r.b.WriteString("<figure")
		r.idAttr(n)
		r.b.WriteString(">")
		for _, k := range n.kids {
			if k.name != "name" {
				r.node(k)
			}
		}
		if nm := n.child("name"); nm != nil {
			r.b.WriteString("<figcaption>")
			r.kids(nm)
			r.b.WriteString("</figcaption>")
		}
		r.b.WriteString("</figure>\n")
	case "xref":
		target := anchorOf(n.attr("target"))
		fmt.Fprintf(&r.b, `<a href="#%s">`, html.EscapeString(target))
		if t := textOf(n); t != "" {
			r.esc(t)
		} else {
			r.esc("[" + n.attr("target") + "]")
		}
		r.b.WriteString("</a>")
	case "eref":
		r.link(n.attr("target"), textOf(n))
	case "bcp14":
		r.b.WriteString(`<span class="bcp14">`)
		r.kids(n)
		r.b.WriteString("</span>")
	case "note":
		r.b.WriteString(`<aside class="note">`)
		if nm := n.child("name"); nm != nil {
			r.b.WriteString("<strong>")
			r.kids(nm)
			r.b.WriteString("</strong>")
		}
		r.kids(n)
		r.b.WriteString("</aside>\n")
	default:
		tag, ok := simple[n.name]
		if !ok {
			r.kids(n)
			return
		}
		if tag == "br" {
			r.b.WriteString("<br>")
			return
		}
		r.b.WriteString("<" + tag)
		r.idAttr(n)
		if tag == "table" {
			r.b.WriteString(` class="draft-table"`)
		}
		r.b.WriteString(">")
		if tag == "table" {
			if nm := n.child("name"); nm != nil {
				r.b.WriteString("<caption>")
				r.kids(nm)
				r.b.WriteString("</caption>")
			}
		}
		r.kids(n)
		r.b.WriteString("</" + tag + ">")
		if tag == "p" || tag == "ul" || tag == "ol" || tag == "dl" || tag == "table" {
			r.b.WriteString("\n")
		}
	}
}

func (r *renderer) idAttr(n *node) {
	if a := n.attr("anchor"); a != "" {
		fmt.Fprintf(&r.b, ` id="%s"`, html.EscapeString(anchorOf(a)))
	}
}
