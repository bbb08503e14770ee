package policy

import (
	"fmt"
	"strings"
	"testing"
)

// TestDiffOfLongUnrelatedTexts keeps the diff bounded: two long texts that
// share only their first and last lines are shown as one block removed and
// one added, with the common lines kept, instead of a table of millions of
// cells.
func TestDiffOfLongUnrelatedTexts(t *testing.T) {
	var a, b strings.Builder
	a.WriteString("same head\n")
	b.WriteString("same head\n")
	for i := range 3000 {
		fmt.Fprintf(&a, "old line %d\n", i)
		fmt.Fprintf(&b, "new line %d\n", i)
	}
	a.WriteString("same tail\n")
	b.WriteString("same tail\n")
	d := Diff(a.String(), b.String())
	if len(d) != 6002 {
		t.Fatalf("%d diff lines, want 6002", len(d))
	}
	if d[0] != (DiffLine{' ', "same head"}) || d[len(d)-1] != (DiffLine{' ', "same tail"}) {
		t.Errorf("common head or tail lost: %v … %v", d[0], d[len(d)-1])
	}
	if d[1].Op != '-' || d[3001].Op != '+' {
		t.Errorf("middle not shown as removed then added: %v, %v", d[1], d[3001])
	}
}

// TestDiffOfLongDraftsChangedOnEveryPage: a new revision of a long draft
// changes the date in every page's footer and one sentence. The diff shows
// exactly those lines, however long the draft, and its kept, removed and
// added lines give back both texts.
func TestDiffOfLongDraftsChangedOnEveryPage(t *testing.T) {
	draft := func(expires, sentence string) string {
		var b strings.Builder
		for page := 1; page <= 60; page++ {
			for line := range 50 {
				if page == 31 && line == 20 {
					fmt.Fprintf(&b, "   %s\n", sentence)
					continue
				}
				if line%7 == 0 {
					b.WriteString("\n") // blank lines repeat, so never anchor
					continue
				}
				fmt.Fprintf(&b, "   Text of page %d, line %d, which says something of its own.\n", page, line)
			}
			fmt.Fprintf(&b, "Example                 Expires %s                [Page %d]\n\f\n", expires, page)
		}
		return b.String()
	}
	old := draft("6 May 2027", "The old wording of the one changed sentence.")
	new := draft("9 June 2027", "The new wording of the one changed sentence.")
	if n := strings.Count(old, "\n"); n*n <= maxDiffCells {
		t.Fatalf("the drafts have %d lines: too few to need more than the plain table", n)
	}
	d := Diff(old, new)
	removed, added := 0, 0
	var olds, news []string
	for _, l := range d {
		switch l.Op {
		case '-':
			removed++
			olds = append(olds, l.Text)
		case '+':
			added++
			news = append(news, l.Text)
		default:
			olds, news = append(olds, l.Text), append(news, l.Text)
		}
	}
	if removed != 61 || added != 61 {
		t.Errorf("%d lines removed and %d added, want 61 of each (60 footers and one sentence)", removed, added)
	}
	if strings.Join(olds, "\n") != strings.TrimRight(old, "\n") || strings.Join(news, "\n") != strings.TrimRight(new, "\n") {
		t.Error("the diff does not give back both texts")
	}
}
