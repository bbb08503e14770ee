package web

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"

	"plenary/internal/auth"
)

// countingHasher is a cheap real argon2id Hasher whose derivations count
// themselves and, while hold is set, wait for release: a stand-in for a
// slow 64 MiB hash.
type countingHasher struct {
	*auth.Hasher
	calls   atomic.Int32
	hold    atomic.Bool
	started chan struct{}
	release chan struct{}
}

func newCountingHasher(slots int, wait time.Duration) *countingHasher {
	c := &countingHasher{started: make(chan struct{}, 10), release: make(chan struct{})}
	c.Hasher = &auth.Hasher{Time: 1, Memory: 64, Threads: 1, KeyLen: 32, Slots: slots, Wait: wait,
		Key: func(password, salt []byte, passes, memory uint32, threads uint8, keyLen uint32) []byte {
			c.calls.Add(1)
			if c.hold.Load() {
				c.started <- struct{}{}
				select {
				case <-c.release:
				case <-time.After(5 * time.Second):
				}
			}
			return argon2.IDKey(password, salt, passes, memory, threads, keyLen)
		}}
	return c
}

// TestBogusResetLinkCostsNoHash: a password posted to a reset link that is
// unknown or used up is refused before it is hashed, so junk links cannot
// make the server hash; and one client can try only so often.
func TestBogusResetLinkCostsNoHash(t *testing.T) {
	h := newCountingHasher(0, 0)
	a := newAccountSite(t, siteOptions{Now: quarterHourClock(), Routes: func(s *Server) { s.Hasher = h.Hasher }})
	a.makeStaff(t, "Ada", "ada@example.org")
	b := a.browser(t)
	if res := b.post("/reset", url.Values{"email": {"ada@example.org"}}); res.Status != 200 {
		t.Fatalf("reset request: %d", res.Status)
	}
	used := a.mailedToken(t, "ada@example.org", "reset")
	if res := b.post("/reset/"+used, url.Values{"password": {"a brand new passphrase"}}); res.Status != 200 {
		t.Fatalf("reset: %d %.300s", res.Status, res.Body)
	}
	tests := []struct {
		name, token, password string
		status                int
	}{
		{"unknown link", "nonsense-token-that-is-long-enough", "an attacker's passphrase", http.StatusNotFound},
		{"used link", used, "an attacker's passphrase", http.StatusGone},
		{"unknown link, short password", "nonsense-token-that-is-long-enough", "short", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := h.calls.Load()
			res := a.browser(t).post("/reset/"+tt.token, url.Values{"password": {tt.password}})
			if res.Status != tt.status {
				t.Errorf("%d, want %d", res.Status, tt.status)
			}
			if n := h.calls.Load() - before; n != 0 {
				t.Errorf("%d hashes for a link that sets nothing, want 0", n)
			}
		})
	}
	// 4 tries so far from this client; the limit is 10 per quarter hour.
	var last response
	for range 7 {
		last = a.browser(t).post("/reset/nonsense-token-that-is-long-enough", url.Values{"password": {"an attacker's passphrase"}})
	}
	if last.Status != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" {
		t.Errorf("11th try at a reset link from one client: %d, Retry-After %q; want 429 with Retry-After", last.Status, last.Header.Get("Retry-After"))
	}
}

// TestBusyHashingAnswers503: when every hashing slot stays taken, a
// sign-in waits briefly, then gets 503 with Retry-After and a way back to
// the form, over real HTTP; the sign-in holding the slot still succeeds.
func TestBusyHashingAnswers503(t *testing.T) {
	h := newCountingHasher(1, 100*time.Millisecond)
	a := newAccountSite(t, siteOptions{Routes: func(s *Server) { s.Hasher = h.Hasher }})
	a.makeStaff(t, "Ada", "ada@example.org")
	a.makeStaff(t, "Bob", "bob@example.org")
	h.hold.Store(true)
	var wg sync.WaitGroup
	var first response
	wg.Go(func() {
		first = a.browser(t).post("/login", url.Values{"email": {"ada@example.org"}, "password": {testPassword}})
	})
	<-h.started
	paths := []struct {
		path string
		form url.Values
	}{
		{"/login", url.Values{"email": {"bob@example.org"}, "password": {testPassword}}},
		{"/signup", url.Values{"name": {"Cy"}, "email": {"cy@example.org"}, "password": {testPassword}, "age_ok": {"1"}, "consent": {"1"}}},
	}
	for _, p := range paths {
		start := time.Now()
		res := a.browser(t).post(p.path, p.form)
		if res.Status != http.StatusServiceUnavailable || res.Header.Get("Retry-After") != "5" {
			t.Errorf("POST %s with the only slot taken: %d, Retry-After %q; want 503 and 5", p.path, res.Status, res.Header.Get("Retry-After"))
		}
		if !strings.Contains(res.Body, `action="`+p.path+`"`) || !strings.Contains(res.Body, "try again") {
			t.Errorf("POST %s: the 503 page offers no way back to the form: %.500s", p.path, res.Body)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("POST %s waited %v before giving up", p.path, d)
		}
	}
	h.hold.Store(false)
	close(h.release)
	wg.Wait()
	if first.Status != http.StatusSeeOther {
		t.Errorf("the sign-in that held the slot: %d %.300s", first.Status, first.Body)
	}
	if res := a.browser(t).post("/login", url.Values{"email": {"bob@example.org"}, "password": {testPassword}}); res.Status != http.StatusSeeOther {
		t.Errorf("sign-in once the slot is free: %d", res.Status)
	}
}
