package policy

import "strings"

// DiffLine is one line of a line-by-line comparison of two versions.
type DiffLine struct {
	Op   byte // ' ' unchanged, '-' removed, '+' added
	Text string
}

// Diff compares two statement bodies line by line using the longest common
// subsequence, which is exact and fast enough for documents of a few
// hundred lines.
func Diff(old, new string) []DiffLine {
	a := strings.Split(strings.TrimRight(old, "\n"), "\n")
	b := strings.Split(strings.TrimRight(new, "\n"), "\n")
	if old == "" {
		a = nil
	}
	if new == "" {
		b = nil
	}
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
	// Two long texts changed throughout would need a table of
	// len(a)×len(b) cells; past maxDiffCells the middle is shown as
	// removed and added whole rather than spending unbounded memory.
	if len(a)*len(b) > maxDiffCells {
		out := head
		for _, l := range a {
			out = append(out, DiffLine{'-', l})
		}
		for _, l := range b {
			out = append(out, DiffLine{'+', l})
		}
		return append(out, tail...)
	}
	return append(append(head, lcsDiff(a, b)...), tail...)
}

// maxDiffCells bounds the LCS table: four million cells is 32 MB, enough
// for two 2,000-line statements that share nothing.
const maxDiffCells = 4 << 20

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
