package documents

import (
	"cmp"
	"maps"
	"regexp"
	"slices"
	"strings"
)

var (
	textName    = regexp.MustCompile(`\b(draft-[a-z0-9][a-z0-9-]*-[0-9]{2})(\.txt)?\b`)
	textDate    = regexp.MustCompile(`(\b[0-9]{1,2} )?\b(January|February|March|April|May|June|July|August|September|October|November|December)( [0-9]{1,2},)? [0-9]{4}\s*$`)
	textRef     = regexp.MustCompile(`^\s{1,8}\[([A-Za-z0-9][A-Za-z0-9._/+-]*)\]`)
	textEmail   = regexp.MustCompile(`(?i)^e-?mail:\s*(\S+@\S+)$`)
	textSection = regexp.MustCompile(`^(?:[0-9]+(?:\.[0-9]+)*\.?|[A-Z]\.)?\s*(.*)$`)
)

// metaFromText reads a draft's metadata from its plain-text rendering, the
// way xml2rfc lays out the first page, the abstract, the references and
// the authors' addresses.
func metaFromText(src string, probs *problems) Meta {
	var m Meta
	lines := strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n")
	nameAt := -1
	for i, l := range lines {
		if sm := textName.FindStringSubmatch(l); sm != nil {
			m.Name, m.Rev = splitName(sm[1])
			m.NameLine, nameAt = i+1, i
			break
		}
	}
	if nameAt < 0 {
		probs.add("txt", 1, "the text names no draft: its first page must carry the name and revision as draft-…-NN")
		return m
	}
	// The header block is the first run of non-blank lines; its last
	// right-hand column is the date.
	start := 0
	for start < len(lines) && strings.TrimSpace(lines[start]) == "" {
		start++
	}
	end := start
	for end < len(lines) && strings.TrimSpace(lines[end]) != "" {
		if dm := textDate.FindString(lines[end]); dm != "" && len(lines[end]) > 40 {
			m.Date = strings.TrimSpace(dm)
		}
		end++
	}
	// The title is the centred lines between the header and the name.
	var title []string
	for i := end; i < nameAt && i < len(lines); i++ {
		if t := strings.TrimSpace(lines[i]); t != "" {
			title = append(title, t)
		}
	}
	m.Title = strings.Join(title, " ")
	if m.Title == "" {
		probs.add("txt", nameAt+1, "the text has no title above the draft's name")
	}
	sections := topSections(lines)
	if ab, ok := sections["abstract"]; ok {
		m.Abstract = paragraphs(lines[ab.from:ab.to])
	} else {
		probs.add("txt", nameAt+1, "the text has no Abstract section")
	}
	// In the order the sections come in the text (a map's order is
	// random): normative references before informative ones, as written.
	titles := slices.SortedFunc(maps.Keys(sections), func(a, b string) int { return cmp.Compare(sections[a].from, sections[b].from) })
	for _, title := range titles {
		if sec := sections[title]; strings.Contains(title, "references") {
			for _, l := range lines[sec.from:sec.to] {
				if rm := textRef.FindStringSubmatch(l); rm != nil {
					m.References = append(m.References, rm[1])
				}
			}
		}
	}
	for _, title := range titles {
		if sec := sections[title]; strings.HasPrefix(title, "author") && strings.Contains(title, "address") {
			m.Authors = textAuthors(lines, sec)
		}
	}
	if len(m.Authors) == 0 {
		probs.add("txt", nameAt+1, "the text has no Authors' Addresses section naming its authors")
	}
	return m
}

type span struct{ from, to int }

// topSections finds the unindented headings after the first page and the
// lines each one holds, page headers and footers left out by the caller's
// line tests. Keys are the heading without its number, in lower case.
func topSections(lines []string) map[string]span {
	out := map[string]span{}
	cur, from := "", 0
	for i, l := range lines {
		if l == "" || l[0] == ' ' || strings.HasPrefix(l, "Internet-Draft") || strings.Contains(l, "[Page ") || l[0] == '\f' {
			continue
		}
		if cur != "" {
			if _, seen := out[cur]; !seen {
				out[cur] = span{from, i}
			}
		}
		cur = strings.ToLower(textSection.FindStringSubmatch(strings.TrimSpace(l))[1])
		from = i + 1
	}
	if cur != "" {
		if _, seen := out[cur]; !seen {
			out[cur] = span{from, len(lines)}
		}
	}
	return out
}

// paragraphs joins indented lines into paragraphs separated by a blank line.
func paragraphs(lines []string) string {
	var paras []string
	var cur []string
	flush := func() {
		if len(cur) > 0 {
			paras = append(paras, strings.Join(strings.Fields(strings.Join(cur, " ")), " "))
			cur = nil
		}
	}
	for _, l := range lines {
		if t := strings.TrimSpace(l); t == "" {
			flush()
		} else {
			cur = append(cur, t)
		}
	}
	flush()
	return strings.Join(paras, "\n\n")
}

// textAuthors reads the authors' blocks: a name line, an affiliation line,
// postal lines, and an Email: line, blocks apart by blank lines.
func textAuthors(lines []string, sec span) []Author {
	var out []Author
	var cur *Author
	blank := 0
	for i := sec.from; i < sec.to; i++ {
		l := strings.TrimSpace(lines[i])
		if l == "" || strings.HasPrefix(lines[i], "Internet-Draft") || strings.Contains(l, "[Page ") {
			blank++
			continue
		}
		if cur == nil || blank >= 2 {
			out = append(out, Author{Line: i + 1})
			cur = &out[len(out)-1]
			cur.Name = strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(l, "(editor)"), ", Ed."))
			blank = 0
			continue
		}
		blank = 0
		if em := textEmail.FindStringSubmatch(l); em != nil {
			cur.Email = em[1]
		} else if cur.Affiliation == "" && !strings.Contains(l, ":") {
			cur.Affiliation = l
		}
	}
	return out
}
