package analytics

import (
	"encoding/binary"
	"errors"
	"math"
	"math/bits"
	"slices"
)

// Sketch is a HyperLogLog sketch of one day's visitor hashes, from which
// the number of distinct visitors is estimated. Sketches of the same day
// made by several instances with the same day's key merge into the
// sketch of the union, so the site-wide figure counts a visitor who
// reached two instances once.
//
// A small day is kept exactly: up to sparseMax visitors the sketch is the
// sorted list of their hashes, and its estimate is the list's length. Only
// a larger day becomes the fixed array of registers, estimated within
// about 1.6%. (A day of ten visitors counted in registers shows nine about
// one day in a hundred, when two hashes share a register; a secretariat
// comparing two small figures would rightly call that wrong.)
//
// Either form holds only hashes under the day's key, or how many leading
// zeros some of them had: once the key is deleted, nothing in a sketch
// tells whether a given address visited.
type Sketch struct {
	// sparse holds the distinct hashes, sorted, while the sketch is small
	// (reg is nil). The registers are made only when needed: a day has a
	// sketch for each of its pages, most of them small.
	sparse []uint64
	reg    *[sketchRegisters]uint8
}

const (
	sketchBits      = 12
	sketchRegisters = 1 << sketchBits
	// sparseMax is the most hashes kept as a list; about where the list
	// stops being smaller, stored, than the registers.
	sparseMax = 512
	// The first byte of a stored sketch: registers, or the sparse list.
	sketchDense  = 1
	sketchSparse = 2
)

// Add records a visitor hash. The low three bits, which carry flags in a
// visitor set, are not used.
func (s *Sketch) Add(h uint64) {
	h &^= 7
	if s.reg != nil {
		s.addRegister(h)
		return
	}
	i, found := slices.BinarySearch(s.sparse, h)
	if found {
		return
	}
	s.sparse = slices.Insert(s.sparse, i, h)
	if len(s.sparse) > sparseMax {
		s.toDense()
	}
}

func (s *Sketch) addRegister(h uint64) {
	idx := h >> (64 - sketchBits)
	// The remaining bits, with a stop bit so that the count is bounded.
	w := h<<sketchBits | 1<<(sketchBits-1)
	rho := uint8(bits.LeadingZeros64(w) + 1)
	if rho > s.reg[idx] {
		s.reg[idx] = rho
	}
}

// toDense moves the listed hashes into the registers.
func (s *Sketch) toDense() {
	s.reg = new([sketchRegisters]uint8)
	for _, h := range s.sparse {
		s.addRegister(h)
	}
	s.sparse = nil
}

// Merge takes o's visitors into s.
func (s *Sketch) Merge(o *Sketch) {
	if o.reg == nil {
		for _, h := range o.sparse {
			s.Add(h)
		}
		return
	}
	if s.reg == nil {
		s.toDense()
	}
	for i, r := range o.reg {
		if r > s.reg[i] {
			s.reg[i] = r
		}
	}
}

// Equal reports whether s and o hold the same visitors in the same form.
func (s *Sketch) Equal(o *Sketch) bool {
	if (s.reg == nil) != (o.reg == nil) || (s.reg != nil && *s.reg != *o.reg) {
		return false
	}
	return slices.Equal(s.sparse, o.sparse)
}

// Estimate returns the number of distinct visitors added: exact while
// the sketch is a list, estimated from the registers after.
func (s *Sketch) Estimate() int64 {
	if s.reg == nil {
		return int64(len(s.sparse))
	}
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

// MarshalBinary encodes the sketch. A list is its form byte, then the
// gaps between the sorted hashes. Registers are their form byte, then
// runs (a zero register is common), each a count and a value.
func (s *Sketch) MarshalBinary() ([]byte, error) {
	if s.reg == nil {
		out := []byte{sketchSparse}
		var prev uint64
		for _, h := range s.sparse {
			out = binary.AppendUvarint(out, h-prev)
			prev = h
		}
		return out, nil
	}
	out := []byte{sketchDense}
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
	*s = Sketch{}
	if len(b) == 0 {
		return errSketch
	}
	switch b[0] {
	case sketchSparse:
		return s.unmarshalSparse(b[1:])
	case sketchDense:
		s.reg = new([sketchRegisters]uint8)
		return s.unmarshalDense(b[1:])
	}
	return errSketch
}

func (s *Sketch) unmarshalSparse(b []byte) error {
	var prev uint64
	for len(b) > 0 {
		gap, k := binary.Uvarint(b)
		// Hashes are distinct, ascending and without flag bits; the list
		// is no longer than a list may grow.
		if k <= 0 || (gap == 0 && len(s.sparse) > 0) || gap&7 != 0 || prev+gap < prev || len(s.sparse) == sparseMax {
			*s = Sketch{}
			return errSketch
		}
		prev += gap
		s.sparse = append(s.sparse, prev)
		b = b[k:]
	}
	return nil
}

func (s *Sketch) unmarshalDense(b []byte) error {
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
