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
