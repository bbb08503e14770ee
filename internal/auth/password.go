package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Hasher hashes passwords with argon2id. The parameters are written into
// every hash, so they can be raised later without locking anyone out.
type Hasher struct {
	Time    uint32 // passes over memory
	Memory  uint32 // KiB
	Threads uint8
	KeyLen  uint32
}

// DefaultHasher has the parameters plenary uses in production: 64 MiB and
// two passes, the second choice of RFC 9106 scaled to a web server.
func DefaultHasher() *Hasher {
	return &Hasher{Time: 2, Memory: 64 * 1024, Threads: 2, KeyLen: 32}
}

// FastHasher is for tests only: the same algorithm with tiny parameters.
func FastHasher() *Hasher {
	return &Hasher{Time: 1, Memory: 64, Threads: 1, KeyLen: 32}
}

// Hash returns the encoded hash of password:
// $argon2id$v=19$m=MEM,t=TIME,p=THREADS$SALT$HASH (base64, no padding).
func (h *Hasher) Hash(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, h.Time, h.Memory, h.Threads, h.KeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, h.Memory, h.Time, h.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// ErrBadHash means a stored hash could not be read.
var ErrBadHash = errors.New("auth: malformed password hash")

// Verify reports whether password matches encoded, using the parameters
// recorded in encoded. An empty encoded (an account with no password yet)
// never matches, but costs the same time as a real check, so a response's
// timing does not tell whether an address has an account.
func (h *Hasher) Verify(password, encoded string) (bool, error) {
	if encoded == "" {
		h.Hash(password)
		return false, nil
	}
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, ErrBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, ErrBadHash
	}
	var mem, time uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &time, &threads); err != nil || mem == 0 || time == 0 || threads == 0 {
		return false, ErrBadHash
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, ErrBadHash
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, ErrBadHash
	}
	got := argon2.IDKey([]byte(password), salt, time, mem, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
