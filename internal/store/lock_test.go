package store

import "testing"

// TestLockKeysMatchEarlierReleases: the named locks that replaced the
// hand-written advisory lock numbers keep those numbers, so an instance of
// an earlier release and one of this release still exclude each other.
func TestLockKeysMatchEarlierReleases(t *testing.T) {
	tests := []struct {
		name string
		want int64
	}{
		{"plenary", 0x706c656e617279},
		{"audit", 0x6175646974},
		{"policy", 0x706f6c696379},
	}
	for _, tt := range tests {
		if got := lockKey(tt.name); got != tt.want {
			t.Errorf("lockKey(%q) = %#x, want %#x", tt.name, got, tt.want)
		}
	}
	if lockKey("retention:sessions") == lockKey("retention:auth_tokens") {
		t.Error("two long lock names share a key")
	}
}
