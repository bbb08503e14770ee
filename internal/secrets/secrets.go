// Package secrets holds the site's master key and derives the keys that
// features need from it: field encryption (AES-GCM) for payment records,
// the audit log's HMAC chain, token signing. The master key comes from
// configuration, or is generated once into the data directory with mode
// 0600. Instances that share one PostgreSQL must be given the same key.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// KeyFile is the name of the generated key inside the data directory.
const KeyFile = "secret.key"

// Keys derives purpose-bound keys from one master key.
type Keys struct {
	master []byte
}

// FromBytes wraps a master key of at least 32 bytes.
func FromBytes(master []byte) (*Keys, error) {
	if len(master) < 32 {
		return nil, errors.New("the secret key must be at least 32 bytes")
	}
	return &Keys{master: append([]byte(nil), master...)}, nil
}

// Load returns the configured key (base64, at least 32 bytes once decoded)
// or, when none is configured, the key in dataDir/secret.key, creating it
// on first start.
func Load(dataDir, configured string) (*Keys, error) {
	if configured != "" {
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(configured))
		if err != nil {
			return nil, fmt.Errorf("the secret key is not base64: %w", err)
		}
		return FromBytes(b)
	}
	path := filepath.Join(dataDir, KeyFile)
	b, err := os.ReadFile(path)
	if err == nil {
		if err := CheckPrivate(path); err != nil {
			return nil, err
		}
		dec, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
		if err != nil {
			return nil, fmt.Errorf("reading %s: not base64: %w", path, err)
		}
		return FromBytes(dec)
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("generating secret key: %w", err)
	}
	// O_EXCL: when two processes start together, one creates the key and
	// the other reads it back rather than overwriting it.
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if errors.Is(err, os.ErrExist) {
		return Load(dataDir, "")
	}
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", path, err)
	}
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	return FromBytes(key)
}

// Derive returns a 32-byte key for one purpose. Keys for different
// purposes are independent: learning one reveals nothing of the others.
func (k *Keys) Derive(purpose string) []byte {
	m := hmac.New(sha256.New, k.master)
	m.Write([]byte("plenary/" + purpose))
	return m.Sum(nil)
}

// Sealer encrypts and decrypts short fields with AES-256-GCM.
type Sealer struct {
	aead cipher.AEAD
}

// Sealer returns a field sealer for one purpose, such as "payments".
func (k *Keys) Sealer(purpose string) *Sealer {
	block, err := aes.NewCipher(k.Derive("seal/" + purpose))
	if err != nil {
		panic(err) // a 32-byte key never fails
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return &Sealer{aead: aead}
}

// Seal encrypts plaintext; context binds the ciphertext to where it is
// stored (say "payments.last4:42"), so it cannot be moved to another row.
func (s *Sealer) Seal(plaintext []byte, context string) []byte {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(err)
	}
	return s.aead.Seal(nonce, nonce, plaintext, []byte(context))
}

// Open decrypts what Seal produced with the same context.
func (s *Sealer) Open(sealed []byte, context string) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("sealed value is too short")
	}
	out, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte(context))
	if err != nil {
		return nil, errors.New("sealed value fails authentication: wrong key or altered data")
	}
	return out, nil
}

// CheckPrivate returns an error naming path when the file exists and its
// group or others may read or write it. The key file and the files holding
// personal data (the SQLite database, the audit checkpoints) must be the
// owner's alone; plenary refuses to start from one that is not, rather
// than go on serving from it. Windows has no such mode bits.
func CheckPrivate(path string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("checking the mode of %s: %w", path, err)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("%s is readable or writable by group or others (mode %04o): run chmod 600 %s, then start again", path, perm, path)
	}
	return nil
}
