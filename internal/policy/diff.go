package policy

import (
	"sort"
	"strings"
)

// DiffLine is one line of a line-by-line comparison of two versions.
type DiffLine struct {
	Op   byte // ' ' unchanged, '-' removed, '+' added
	Text string
}

// Diff compares two texts line by line: the statement's versions, and
// two revisions of a draft. It is the longest common subsequence where
// that fits in a bounded table, and otherwise the texts are first cut at
// lines that occur once in each (the patience method), so that two long
// drafts differing in every page footer still show only what changed.
func Diff(old, new string) []DiffLine {
	a := strings.Split(strings.TrimRight(old, "\n"), "\n")
	b := strings.Split(strings.TrimRight(new, "\n"), "\n")
	if old == "" {
		a = nil
	}
	if new == "" {
		b = nil
	}
	return diffLines(a, b)
}

func diffLines(a, b []string) []DiffLine {
	// Trim the common head and tail first: versions usually differ in a
	// few places, and what is left for the quadratic table is small.
	var head, tail []DiffLine
	for len(a) > 0 && len(b) > 0 && a[0] == b[0] {
		head = append(head, DiffLine{' ', a[0]})
		a, b = a[1:], b[1:]
	}
	for len(a) > 0 && len(b) > 0 && a[len(a)-1] == b[len(b)-1] {
		tail = append([]DiffLine{{' ', a[len(a)-1]}}, tail...)
		a, b = a[:len(a)-1], b[:len(b)-1]
	}
	var middle []DiffLine
	switch {
	case len(a)*len(b) <= maxDiffCells:
		middle = lcsDiff(a, b)
	default:
		anchors := uniqueAnchors(a, b)
		if len(anchors) == 0 {
			// Two long texts that share no line once in each would need a
			// table of len(a)×len(b) cells; the middle is shown as removed
			// and added whole rather than spending unbounded memory.
			middle = wholeChange(a, b)
			break
		}
		i, j := 0, 0
		for _, an := range anchors {
			middle = append(middle, diffLines(a[i:an.a], b[j:an.b])...)
			middle = append(middle, DiffLine{' ', a[an.a]})
			i, j = an.a+1, an.b+1
		}
		middle = append(middle, diffLines(a[i:], b[j:])...)
	}
	return append(append(head, middle...), tail...)
}

func wholeChange(a, b []string) []DiffLine {
	out := make([]DiffLine, 0, len(a)+len(b))
	for _, l := range a {
		out = append(out, DiffLine{'-', l})
	}
	for _, l := range b {
		out = append(out, DiffLine{'+', l})
	}
	return out
}

// maxDiffCells bounds the LCS table: four million cells is 32 MB, enough
// for two 2,000-line texts that share nothing.
const maxDiffCells = 4 << 20

type anchor struct{ a, b int }

// uniqueAnchors pairs the lines that occur exactly once in a and once in
// b, and keeps the longest run of pairs in the same order in both: lines
// that can only match each other, and that split what is left into
// stretches small enough to compare exactly. Blank lines and page breaks
// repeat, so they never anchor; the text's own sentences do.
func uniqueAnchors(a, b []string) []anchor {
	type seen struct{ inA, inB, atA, atB int }
	count := map[string]*seen{}
	for i, l := range a {
		c := count[l]
		if c == nil {
			c = &seen{}
			count[l] = c
		}
		c.inA++
		c.atA = i
	}
	for j, l := range b {
		if c := count[l]; c != nil {
			c.inB++
			c.atB = j
		}
	}
	var pairs []anchor // in the order of a
	for i, l := range a {
		if c := count[l]; c.inA == 1 && c.inB == 1 {
			pairs = append(pairs, anchor{i, c.atB})
		}
	}
	// The longest increasing run of b positions, by patience sorting:
	// tops[k] is the pair ending the best run of length k+1 found so far.
	var tops []int
	prev := make([]int, len(pairs))
	for p, pr := range pairs {
		k := sort.Search(len(tops), func(k int) bool { return pairs[tops[k]].b >= pr.b })
		if k > 0 {
			prev[p] = tops[k-1]
		} else {
			prev[p] = -1
		}
		if k == len(tops) {
			tops = append(tops, p)
		} else {
			tops[k] = p
		}
	}
	if len(tops) == 0 {
		return nil
	}
	run := make([]anchor, len(tops))
	for k, p := len(tops)-1, tops[len(tops)-1]; k >= 0; k, p = k-1, prev[p] {
		run[k] = pairs[p]
	}
	return run
}

func lcsDiff(a, b []string) []DiffLine {
	// lcs[i][j] is the LCS length of a[i:] and b[j:].
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []DiffLine
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			out = append(out, DiffLine{' ', a[i]})
			i++
			j++
		case lcs[i+1][j] >= lcs[i][j+1]:
			out = append(out, DiffLine{'-', a[i]})
			i++
		default:
			out = append(out, DiffLine{'+', b[j]})
			j++
		}
	}
	for ; i < len(a); i++ {
		out = append(out, DiffLine{'-', a[i]})
	}
	for ; j < len(b); j++ {
		out = append(out, DiffLine{'+', b[j]})
	}
	return out
}
