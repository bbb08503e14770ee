package web

import (
	"testing"

	"plenary/internal/policy"
)

func TestDiffHunksFoldsLongUnchangedRuns(t *testing.T) {
	var lines []policy.DiffLine
	for range 10 {
		lines = append(lines, policy.DiffLine{Op: ' ', Text: "same"})
	}
	lines = append(lines, policy.DiffLine{Op: '-', Text: "old"}, policy.DiffLine{Op: '+', Text: "new"})
	for range 5 {
		lines = append(lines, policy.DiffLine{Op: ' ', Text: "same"})
	}
	got := diffHunks(lines)
	// 7 folded, 3 context, 2 changes, 3 context, 2 folded
	if len(got) != 1+3+2+3+1 || got[0].Skipped != 7 || got[4].Op != '-' || got[5].Op != '+' || got[9].Skipped != 2 {
		t.Fatalf("diffHunks = %+v", got)
	}
	if got := diffHunks(lines[:11]); got[0].Skipped != 7 || len(got) != 5 {
		t.Fatalf("a change at the end: %+v", got)
	}
	if got := diffHunks(lines[:3]); len(got) != 1 || got[0].Skipped != 3 {
		t.Fatalf("no change: %+v", got)
	}
}
