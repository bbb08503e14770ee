package secrets

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestLoadGeneratesOnceWithPrivateMode(t *testing.T) {
	dir := t.TempDir()
	k1, err := Load(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", st.Mode().Perm())
	}
	k2, err := Load(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(k1.Derive("x"), k2.Derive("x")) {
		t.Error("second start derived a different key")
	}
	if bytes.Equal(k1.Derive("x"), k1.Derive("y")) {
		t.Error("two purposes share a key")
	}
}

func TestLoadRejectsBadConfiguredKey(t *testing.T) {
	for _, bad := range []string{"not base64!", "c2hvcnQ="} {
		if _, err := Load(t.TempDir(), bad); err == nil {
			t.Errorf("Load accepted %q", bad)
		}
	}
}

func TestSealerBindsContext(t *testing.T) {
	k, _ := FromBytes(bytes.Repeat([]byte{7}, 32))
	s := k.Sealer("payments")
	sealed := s.Seal([]byte("4242"), "row:1")
	if bytes.Contains(sealed, []byte("4242")) {
		t.Fatal("plaintext visible in sealed value")
	}
	got, err := s.Open(sealed, "row:1")
	if err != nil || string(got) != "4242" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := s.Open(sealed, "row:2"); err == nil {
		t.Error("sealed value opened under another row's context")
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := s.Open(sealed, "row:1"); err == nil {
		t.Error("altered sealed value opened")
	}
}

// TestLoadRefusesKeyOthersCanRead is issue 8's item 11 for the key file: a
// secret.key that group or others can read stops the start with an error
// naming the file, instead of the site running on a key others may hold.
func TestLoadRefusesKeyOthersCanRead(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes on Windows")
	}
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660} {
		dir := t.TempDir()
		if _, err := Load(dir, ""); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, KeyFile)
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, err := Load(dir, "")
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("mode %04o: Load = %v, want an error naming %s", mode, err, path)
		}
	}
}
