package policy

import "strings"

// Block is one piece of a rendered statement: a heading, a paragraph or a
// list. Statements are written in a small, safe subset of Markdown ("# ",
// "## ", "- " and blank-line paragraphs) and turned into blocks here, so
// the web templates can escape every word and no statement can inject HTML.
type Block struct {
	Kind  string // "h1", "h2", "p" or "ul"
	Text  string
	Items []string
}

// Blocks splits a statement body into blocks.
func Blocks(body string) []Block {
	var out []Block
	var para []string
	flush := func() {
		if len(para) > 0 {
			out = append(out, Block{Kind: "p", Text: strings.Join(para, " ")})
			para = nil
		}
	}
	for _, line := range strings.Split(body, "\n") {
		t := strings.TrimSpace(line)
		switch {
		case t == "":
			flush()
		case strings.HasPrefix(t, "## "):
			flush()
			out = append(out, Block{Kind: "h2", Text: strings.TrimSpace(t[3:])})
		case strings.HasPrefix(t, "# "):
			flush()
			out = append(out, Block{Kind: "h1", Text: strings.TrimSpace(t[2:])})
		case strings.HasPrefix(t, "- "):
			flush()
			if n := len(out); n > 0 && out[n-1].Kind == "ul" {
				out[n-1].Items = append(out[n-1].Items, strings.TrimSpace(t[2:]))
			} else {
				out = append(out, Block{Kind: "ul", Items: []string{strings.TrimSpace(t[2:])}})
			}
		default:
			para = append(para, t)
		}
	}
	flush()
	return out
}
