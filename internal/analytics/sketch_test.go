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
		{"hundreds", [3][2]int{{0, 300}, {100, 400}, {200, 500}}, 500, 0},
		// Each instance's list is small, their union is not.
		{"lists into registers", [3][2]int{{0, 400}, {300, 700}, {600, 1000}}, 1000, 1000 * 3 / 100},
		{"thousands", [3][2]int{{0, 12000}, {6000, 20000}, {10000, 30000}}, 30000, 30000 * 5 / 100},
		// One instance's registers merge with the others' lists.
		{"registers and lists", [3][2]int{{0, 2000}, {1900, 2100}, {2050, 2300}}, 2300, 2300 * 3 / 100},
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
				if err := back.UnmarshalBinary(b); err != nil || !back.Equal(&s) {
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
	for _, bad := range [][]byte{
		nil, {3}, {1}, {1, 0, 0}, {1, 0x80, 0x40, 1}, {1, 200, 3}, // registers
		{2, 0x80}, // a list whose gap is cut off
		{2, 8, 0}, // the same hash twice
		{2, 8, 3}, // a hash with flag bits
		{2, 0x88, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0x88, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, // past 2^64
	} {
		if err := s.UnmarshalBinary(bad); err == nil {
			t.Errorf("corrupt sketch %x decoded", bad)
		}
	}
	long := []byte{2}
	for range sparseMax + 1 {
		long = append(long, 8)
	}
	if err := s.UnmarshalBinary(long); err == nil {
		t.Errorf("a list of %d hashes decoded; a list holds at most %d", sparseMax+1, sparseMax)
	}
}

// TestSmallDaysAreCountedExactly: whatever the day's key, a small day's
// visitors merged across instances are counted exactly. With registers
// alone, two of ten visitors share one about one key in a hundred and the
// day shows nine.
func TestSmallDaysAreCountedExactly(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for key := range 5000 {
		visitors := make([]uint64, 10+key%(sparseMax-10))
		for i := range visitors {
			visitors[i] = r.Uint64()
		}
		var a, b, merged Sketch
		for i, h := range visitors {
			if i%2 == 0 || i%3 == 0 {
				a.Add(h)
			}
			if i%2 == 1 || i%3 == 0 {
				b.Add(h)
			}
		}
		merged.Merge(&a)
		merged.Merge(&b)
		if got := merged.Estimate(); got != int64(len(visitors)) {
			t.Fatalf("key %d: %d visitors counted as %d", key, len(visitors), got)
		}
	}
}
