package analytics

import (
	"encoding/binary"
	"errors"
	"math"
	"math/bits"
)

// Sketch is a HyperLogLog sketch of one day's visitor hashes: a fixed
// array of small registers from which the number of distinct visitors is
// estimated, within about 1.6% (and exactly, in practice, for a few
// hundred visitors, where it counts empty registers instead). Sketches of
// the same day made by several instances with the same day's key merge
// into the sketch of the union, so the site-wide figure counts a visitor
// who reached two instances once. A register keeps only how many leading
// zeros some hash had: with the key gone, nothing in it tells whether a
// given address visited.
type Sketch struct {
	reg [sketchRegisters]uint8
}

const (
	sketchBits      = 12
	sketchRegisters = 1 << sketchBits
	// sketchVersion is the first byte of a stored sketch.
	sketchVersion = 1
)

// Add records a visitor hash. The low three bits, which carry flags in a
// visitor set, are not used.
func (s *Sketch) Add(h uint64) {
	h &^= 7
	idx := h >> (64 - sketchBits)
	// The remaining bits, with a stop bit so that the count is bounded.
	w := h<<sketchBits | 1<<(sketchBits-1)
	rho := uint8(bits.LeadingZeros64(w) + 1)
	if rho > s.reg[idx] {
		s.reg[idx] = rho
	}
}

// Merge takes o's visitors into s.
func (s *Sketch) Merge(o *Sketch) {
	for i, r := range o.reg {
		if r > s.reg[i] {
			s.reg[i] = r
		}
	}
}

// Estimate returns the estimated number of distinct visitors added.
func (s *Sketch) Estimate() int64 {
	m := float64(sketchRegisters)
	sum, zeros := 0.0, 0
	for _, r := range s.reg {
		sum += math.Ldexp(1, -int(r))
		if r == 0 {
			zeros++
		}
	}
	alpha := 0.7213 / (1 + 1.079/m)
	e := alpha * m * m / sum
	if e <= 2.5*m && zeros > 0 {
		// Small range: count the empty registers (linear counting).
		e = m * math.Log(m/float64(zeros))
	}
	return int64(math.Round(e))
}

// MarshalBinary encodes the sketch: a version byte, then the registers
// as runs (a zero register is common in a small site's sketch), each run
// a count and a value.
func (s *Sketch) MarshalBinary() ([]byte, error) {
	out := []byte{sketchVersion}
	for i := 0; i < len(s.reg); {
		j := i
		for j < len(s.reg) && s.reg[j] == s.reg[i] {
			j++
		}
		out = binary.AppendUvarint(out, uint64(j-i))
		out = append(out, s.reg[i])
		i = j
	}
	return out, nil
}

// errSketch is a stored sketch that does not decode.
var errSketch = errors.New("analytics: a stored visitor sketch is corrupt")

// UnmarshalBinary decodes what MarshalBinary wrote.
func (s *Sketch) UnmarshalBinary(b []byte) error {
	if len(b) == 0 || b[0] != sketchVersion {
		return errSketch
	}
	b = b[1:]
	i := 0
	for len(b) > 0 {
		n, k := binary.Uvarint(b)
		if k <= 0 || len(b) < k+1 || n == 0 || n > uint64(len(s.reg)-i) || b[k] > 64 {
			return errSketch
		}
		for j := 0; j < int(n); j++ {
			s.reg[i+j] = b[k]
		}
		i += int(n)
		b = b[k+1:]
	}
	if i != len(s.reg) {
		return errSketch
	}
	return nil
}

// sketches returns a sketch of every visitor in the set and one of the
// human visitors (as counts counts them).
func (v *visitorSet) sketches(robots map[uint64]struct{}) (all, human *Sketch) {
	all, human = new(Sketch), new(Sketch)
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
			all.Add(e)
			if uint8(e)&visHuman != 0 {
				if _, robot := notHuman[e&^3]; !robot {
					human.Add(e)
				}
			}
		}
		sh.mu.Unlock()
	}
	return all, human
}
