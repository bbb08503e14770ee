package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"
)

// Hasher hashes passwords with argon2id. The parameters are written into
// every hash, so they can be raised later without locking anyone out.
//
// Each hash takes Memory KiB and a core for a while, so a burst of
// sign-ins (or of junk posted to any form that hashes) could exhaust the
// server. A Hasher therefore runs at most Slots hashes at once; a hash
// that finds no free slot within Wait gives up with a *BusyError instead
// of queueing without bound. Use one Hasher for the whole process: the
// bound is per Hasher.
type Hasher struct {
	Time    uint32 // passes over memory
	Memory  uint32 // KiB
	Threads uint8
	KeyLen  uint32
	// Slots is how many hashes may run at once; 0 means one per core
	// (GOMAXPROCS).
	Slots int
	// Wait is how long a hash waits for a free slot; 0 means 2 seconds.
	Wait time.Duration
	// Key derives the key; nil means argon2.IDKey. Tests wrap argon2.IDKey
	// to count or slow down hashes.
	Key func(password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte

	once  sync.Once
	slots chan struct{}
}

// BusyError means every hashing slot stayed taken for the whole wait: the
// server is under more sign-in load than it can hash. Nothing was checked
// or changed; the client should try again after RetryAfter.
type BusyError struct {
	RetryAfter time.Duration
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("auth: every password hashing slot is busy; retry after %v", e.RetryAfter)
}

// derive runs one key derivation in a free slot.
func (h *Hasher) derive(password, salt []byte, passes, memory uint32, threads uint8, keyLen uint32) ([]byte, error) {
	h.once.Do(func() {
		n := h.Slots
		if n <= 0 {
			n = runtime.GOMAXPROCS(0)
		}
		h.slots = make(chan struct{}, n)
	})
	wait := h.Wait
	if wait <= 0 {
		wait = 2 * time.Second
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case h.slots <- struct{}{}:
	case <-timer.C:
		// A slot frees up within about one hash's time; a few seconds
		// spread the retries of many clients.
		return nil, &BusyError{RetryAfter: 5 * time.Second}
	}
	defer func() { <-h.slots }()
	key := h.Key
	if key == nil {
		key = argon2.IDKey
	}
	return key(password, salt, passes, memory, threads, keyLen), nil
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

// Hash returns the encoded hash of password, or a *BusyError when no
// hashing slot came free in time:
// $argon2id$v=19$m=MEM,t=TIME,p=THREADS$SALT$HASH (base64, no padding).
func (h *Hasher) Hash(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key, err := h.derive([]byte(password), salt, h.Time, h.Memory, h.Threads, h.KeyLen)
	if err != nil {
		return "", err
	}
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, h.Memory, h.Time, h.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// ErrBadHash means a stored hash could not be read.
var ErrBadHash = errors.New("auth: malformed password hash")

// Verify reports whether password matches encoded, using the parameters
// recorded in encoded. An empty encoded (an account with no password yet)
// never matches, but costs the same time as a real check, so a response's
// timing does not tell whether an address has an account. When no hashing
// slot came free in time it returns a *BusyError.
func (h *Hasher) Verify(password, encoded string) (bool, error) {
	if encoded == "" {
		if _, err := h.Hash(password); err != nil {
			return false, err
		}
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
	got, err := h.derive([]byte(password), salt, time, mem, threads, uint32(len(want)))
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
