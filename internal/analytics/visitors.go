package analytics

import "sync"

// visitorSet is one day's set of visitor hashes, shared by all workers of an
// analysis. Sharing it, instead of giving each worker its own copy to union
// at the end, keeps one entry per visitor however many workers run; the
// shards keep the workers from queueing on one lock. Each entry is a single
// word, so memory is about 11 to 21 bytes per visitor.
type visitorSet struct {
	shards [32]struct {
		mu  sync.Mutex
		set u64set
		_   [24]byte // pad each shard to 64 bytes, one cache line
	}
}

// add records hash h with flags (visHuman), OR-ing the flags
// into an entry already present.
func (v *visitorSet) add(h uint64, flags uint8) {
	// Bits 0-1 carry the flags and bit 2 is always set, so that no entry
	// is ever 0, the empty-slot marker. The hash keeps 61 bits.
	key := entryKey(h)
	sh := &v.shards[h>>59]
	sh.mu.Lock()
	sh.set.add(key, flags)
	sh.mu.Unlock()
}

// counts returns the number of visitors, of those with a human agent but
// not among robots (visitors made robots by what they did, see
// FloodPosts).
func (v *visitorSet) counts(robots map[uint64]struct{}) (all, human int64) {
	notHuman := make(map[uint64]struct{}, len(robots))
	for h := range robots {
		notHuman[entryKey(h)] = struct{}{}
	}
	for i := range v.shards {
		sh := &v.shards[i]
		sh.mu.Lock()
		for _, e := range sh.set.slots {
			if e == 0 {
				continue
			}
			all++
			if uint8(e)&visHuman != 0 {
				if _, robot := notHuman[e&^3]; len(notHuman) == 0 || !robot {
					human++
				}
			}
		}
		sh.mu.Unlock()
	}
	return
}

// entryKey is what a visitor's hash is stored as, without its flags.
func entryKey(h uint64) uint64 { return h&^7 | 4 }

// clear drops every hash.
func (v *visitorSet) clear() {
	for i := range v.shards {
		sh := &v.shards[i]
		sh.mu.Lock()
		clear(sh.set.slots)
		sh.set = u64set{}
		sh.mu.Unlock()
	}
}

// u64set is an open-addressing hash set of non-zero words with linear
// probing; the words are already uniformly random, so they index the table
// directly.
type u64set struct {
	slots []uint64
	n     int
}

func (s *u64set) add(key uint64, flags uint8) {
	if 4*(s.n+1) > 3*len(s.slots) {
		s.grow()
	}
	mask := uint64(len(s.slots) - 1)
	for i := (key >> 3) & mask; ; i = (i + 1) & mask {
		e := s.slots[i]
		if e == 0 {
			s.slots[i] = key | uint64(flags)
			s.n++
			return
		}
		if e&^3 == key {
			s.slots[i] = e | uint64(flags)
			return
		}
	}
}

func (s *u64set) grow() {
	old := s.slots
	size := 2 * len(old)
	if size == 0 {
		size = 64
	}
	s.slots = make([]uint64, size)
	mask := uint64(size - 1)
	for _, e := range old {
		if e == 0 {
			continue
		}
		i := (e >> 3) & mask
		for s.slots[i] != 0 {
			i = (i + 1) & mask
		}
		s.slots[i] = e
	}
}
