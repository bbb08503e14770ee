package web

import "plenary/internal/policy"

// diffRow is one line of a statement comparison as the page shows it: a
// changed or context line, or, when Skipped > 0, a marker standing for that
// many unchanged lines left out.
type diffRow struct {
	Op      byte
	Text    string
	Skipped int
}

// diffContext is how many unchanged lines are shown around each change.
const diffContext = 3

// diffHunks keeps the changed lines of a comparison with a few unchanged
// lines around each, and folds longer unchanged runs into one marker, so a
// one-line change does not show the whole statement twice. It only shapes
// the display; the lines themselves are policy.Diff's.
func diffHunks(lines []policy.DiffLine) []diffRow {
	keep := make([]bool, len(lines))
	for i, l := range lines {
		if l.Op == ' ' {
			continue
		}
		for j := max(0, i-diffContext); j <= min(len(lines)-1, i+diffContext); j++ {
			keep[j] = true
		}
	}
	var out []diffRow
	for i := 0; i < len(lines); {
		if keep[i] {
			out = append(out, diffRow{Op: lines[i].Op, Text: lines[i].Text})
			i++
			continue
		}
		j := i
		for j < len(lines) && !keep[j] {
			j++
		}
		if j-i == 1 {
			out = append(out, diffRow{Op: lines[i].Op, Text: lines[i].Text})
		} else {
			out = append(out, diffRow{Skipped: j - i})
		}
		i = j
	}
	return out
}
