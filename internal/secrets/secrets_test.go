package secrets

import (
	"bytes"
	"os"
	"path/filepath"
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
