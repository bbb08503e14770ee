package analytics

import "math/bits"

// sipKey is a 128-bit SipHash key. SipHash-2-4 is a keyed pseudo-random
// function: without the key, a hash reveals nothing about its input, which is
// what lets us count visitors by hash without being able to recover an
// address by hashing all 2^32 IPv4 addresses.
type sipKey struct{ k0, k1 uint64 }

func sipRound(v0, v1, v2, v3 uint64) (uint64, uint64, uint64, uint64) {
	v0 += v1
	v1 = bits.RotateLeft64(v1, 13)
	v1 ^= v0
	v0 = bits.RotateLeft64(v0, 32)
	v2 += v3
	v3 = bits.RotateLeft64(v3, 16)
	v3 ^= v2
	v0 += v3
	v3 = bits.RotateLeft64(v3, 21)
	v3 ^= v0
	v2 += v1
	v1 = bits.RotateLeft64(v1, 17)
	v1 ^= v2
	v2 = bits.RotateLeft64(v2, 32)
	return v0, v1, v2, v3
}

// sum64 is SipHash-2-4 of the concatenation a||b, computed without copying
// the two parts into one buffer.
func (k sipKey) sum64(a, b []byte) uint64 {
	v0 := k.k0 ^ 0x736f6d6570736575
	v1 := k.k1 ^ 0x646f72616e646f6d
	v2 := k.k0 ^ 0x6c7967656e657261
	v3 := k.k1 ^ 0x7465646279746573
	total := len(a) + len(b)

	// Feed whole 8-byte words, carrying a partial word across the a/b seam.
	var w uint64
	var n uint // bytes in w
	feed := func(p []byte) {
		for len(p) > 0 {
			if n == 0 && len(p) >= 8 {
				m := uint64(p[0]) | uint64(p[1])<<8 | uint64(p[2])<<16 | uint64(p[3])<<24 |
					uint64(p[4])<<32 | uint64(p[5])<<40 | uint64(p[6])<<48 | uint64(p[7])<<56
				v3 ^= m
				v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
				v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
				v0 ^= m
				p = p[8:]
				continue
			}
			w |= uint64(p[0]) << (8 * n)
			n++
			p = p[1:]
			if n == 8 {
				v3 ^= w
				v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
				v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
				v0 ^= w
				w, n = 0, 0
			}
		}
	}
	feed(a)
	feed(b)
	m := w | uint64(total&0xff)<<56
	v3 ^= m
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0 ^= m
	v2 ^= 0xff
	for i := 0; i < 4; i++ {
		v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	}
	return v0 ^ v1 ^ v2 ^ v3
}
