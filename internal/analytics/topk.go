package analytics

import (
	"cmp"
	"slices"
)

// topCounter counts keys of a high-cardinality field (paths, referring
// sites) in bounded memory. It keeps exact counts until it holds 2×limit
// keys, then drops all but the limit most frequent. Every key dropped had at
// most floor hits, so a kept count is short of the truth by at most floor:
// a key that is hit more than floor times is always present, and heavy
// hitters keep their place. While nothing has been dropped, counts are exact.
//
// Pruning in batches, instead of evicting one key per insert as Space-Saving
// does, keeps the per-line cost to one map lookup.
type topCounter struct {
	limit  int
	idx    map[string]int32
	keys   []string
	counts []int64
	floor  int64 // upper bound of the count missed for any key
	pruned bool
}

func newTopCounter(limit int) *topCounter {
	if limit < 1 {
		limit = 1
	}
	return &topCounter{limit: limit, idx: make(map[string]int32)}
}

// add counts k once. It allocates only the first time a key is seen.
func (t *topCounter) add(k []byte) {
	if i, ok := t.idx[string(k)]; ok {
		t.counts[i]++
		return
	}
	t.insert(string(k), 1)
	if len(t.keys) >= 2*t.limit {
		t.prune(t.limit)
	}
}

func (t *topCounter) insert(k string, n int64) {
	t.idx[k] = int32(len(t.keys))
	t.keys = append(t.keys, k)
	t.counts = append(t.counts, n)
}

// prune keeps the keep most frequent keys.
func (t *topCounter) prune(keep int) {
	if len(t.keys) <= keep {
		return
	}
	order := t.sorted()
	if dropped := t.counts[order[keep]]; dropped > t.floor {
		t.floor = dropped
	}
	t.pruned = true
	keys := make([]string, keep)
	counts := make([]int64, keep)
	idx := make(map[string]int32, 2*keep)
	for j, i := range order[:keep] {
		keys[j], counts[j] = t.keys[i], t.counts[i]
		idx[keys[j]] = int32(j)
	}
	t.keys, t.counts, t.idx = keys, counts, idx
}

// sorted returns key indices by count, descending, ties by key so that
// reports are deterministic.
func (t *topCounter) sorted() []int {
	order := make([]int, len(t.keys))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		if c := cmp.Compare(t.counts[b], t.counts[a]); c != 0 {
			return c
		}
		return cmp.Compare(t.keys[a], t.keys[b])
	})
	return order
}

// merge adds o into t. The error bounds add up: a key missed by both
// partials may be missing up to both floors. Merging never drops keys, so
// that a key kept by one partial keeps the counts of all of them; call
// prune once every partial is in.
func (t *topCounter) merge(o *topCounter) {
	for i, k := range o.keys {
		if j, ok := t.idx[k]; ok {
			t.counts[j] += o.counts[i]
		} else {
			t.insert(k, o.counts[i])
		}
	}
	t.floor += o.floor
	t.pruned = t.pruned || o.pruned
}

// total is the sum of the counts kept.
func (t *topCounter) total() int64 {
	var s int64
	for _, c := range t.counts {
		s += c
	}
	return s
}

// addString adds n to k without pruning.
func (t *topCounter) addString(k string, n int64) {
	if i, ok := t.idx[k]; ok {
		t.counts[i] += n
		return
	}
	t.insert(k, n)
}

// remove drops the keys drop matches.
func (t *topCounter) remove(drop func(string) bool) {
	keys, counts := t.keys[:0], t.counts[:0]
	clear(t.idx)
	for i, k := range t.keys {
		if drop(k) {
			continue
		}
		t.idx[k] = int32(len(keys))
		keys = append(keys, k)
		counts = append(counts, t.counts[i])
	}
	t.keys, t.counts = keys, counts
}
