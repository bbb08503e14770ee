package analytics

import (
	"math/rand/v2"
	"testing"
)

// TestSketchMergesOverlappingVisitors: three sketches of overlapping sets
// of visitors merge to about the size of the union, not the sum, exactly
// for small sets; a stored sketch decodes to the same one; corrupt bytes
// are refused.
func TestSketchMergesOverlappingVisitors(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	hashes := make([]uint64, 30000)
	for i := range hashes {
		hashes[i] = r.Uint64()
	}
	for _, tc := range []struct {
		name           string
		ranges         [3][2]int // the visitors each instance saw
		union, maxDiff int64
	}{
		{"small", [3][2]int{{0, 6}, {3, 9}, {8, 10}}, 10, 0},
		{"hundreds", [3][2]int{{0, 300}, {100, 400}, {200, 500}}, 500, 2},
		{"thousands", [3][2]int{{0, 12000}, {6000, 20000}, {10000, 30000}}, 30000, 30000 * 5 / 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var merged Sketch
			var sum int64
			for _, rg := range tc.ranges {
				var s Sketch
				for _, h := range hashes[rg[0]:rg[1]] {
					s.Add(h)
				}
				sum += s.Estimate()
				b, _ := s.MarshalBinary()
				var back Sketch
				if err := back.UnmarshalBinary(b); err != nil || back != s {
					t.Fatalf("stored sketch does not decode to itself: %v", err)
				}
				merged.Merge(&back)
			}
			got := merged.Estimate()
			if d := got - tc.union; d > tc.maxDiff || -d > tc.maxDiff {
				t.Errorf("merged estimate %d, union %d (sum of instances %d)", got, tc.union, sum)
			}
		})
	}
	var s Sketch
	for _, bad := range [][]byte{nil, {2}, {1}, {1, 0, 0}, {1, 0x80, 0x40, 1}, {1, 200, 3}} {
		if err := s.UnmarshalBinary(bad); err == nil {
			t.Errorf("corrupt sketch %x decoded", bad)
		}
	}
}
