package auth_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"

	"plenary/internal/auth"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// gatedKey wraps argon2.IDKey: each derivation counts itself, records how
// many run at once, and waits for the gate to open.
type gatedKey struct {
	gate    chan struct{}
	started chan struct{}
	running atomic.Int32
	peak    atomic.Int32
	calls   atomic.Int32
}

func newGatedKey() *gatedKey {
	return &gatedKey{gate: make(chan struct{}), started: make(chan struct{}, 100)}
}

func (g *gatedKey) key(password, salt []byte, passes, memory uint32, threads uint8, keyLen uint32) []byte {
	g.calls.Add(1)
	n := g.running.Add(1)
	for {
		p := g.peak.Load()
		if n <= p || g.peak.CompareAndSwap(p, n) {
			break
		}
	}
	g.started <- struct{}{}
	// A bound, so that a broken semaphore fails the test instead of
	// hanging it.
	select {
	case <-g.gate:
	case <-time.After(3 * time.Second):
	}
	g.running.Add(-1)
	return argon2.IDKey(password, salt, passes, memory, threads, keyLen)
}

// TestHasherBoundsHashesAtOnce: no more than Slots hashes run at once;
// one that finds every slot taken for the whole wait gives up with a
// *BusyError that says when to retry, having derived nothing; once slots
// free up, waiting hashes go through.
func TestHasherBoundsHashesAtOnce(t *testing.T) {
	g := newGatedKey()
	h := &auth.Hasher{Time: 1, Memory: 64, Threads: 1, KeyLen: 32, Slots: 2, Wait: 100 * time.Millisecond, Key: g.key}
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for range 2 {
		wg.Go(func() {
			_, err := h.Hash("a long enough passphrase")
			errs <- err
		})
	}
	<-g.started
	<-g.started
	// Both slots are taken: a third hash and a verification give up.
	start := time.Now()
	_, err := h.Hash("another passphrase")
	var busy *auth.BusyError
	if !errors.As(err, &busy) || busy.RetryAfter <= 0 {
		t.Fatalf("third hash with every slot taken: %v, want a *BusyError with a retry time", err)
	}
	if d := time.Since(start); d < 100*time.Millisecond || d > 2*time.Second {
		t.Errorf("gave up after %v, want about the 100ms wait", d)
	}
	if ok, err := h.Verify("pw", "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"); ok || !errors.As(err, &busy) {
		t.Errorf("verification with every slot taken: %v %v, want a *BusyError", ok, err)
	}
	if n := g.calls.Load(); n != 2 {
		t.Errorf("%d derivations ran, want only the 2 that got a slot", n)
	}
	// A hash that waits less than the wait gets through once a slot frees.
	// The wait is made long first: at 100ms, a machine slow enough to take
	// 80ms to free a slot after the gate opens would fail this. (The hashes
	// holding the slots read Wait before they sent on started.)
	h.Wait = time.Minute
	waiting := make(chan error, 1)
	go func() {
		_, err := h.Hash("patient passphrase")
		waiting <- err
	}()
	time.Sleep(20 * time.Millisecond)
	close(g.gate)
	wg.Wait()
	for range 2 {
		if err := <-errs; err != nil {
			t.Errorf("a hash that had a slot: %v", err)
		}
	}
	if err := <-waiting; err != nil {
		t.Errorf("a hash that waited for a slot: %v", err)
	}
	if p := g.peak.Load(); p != 2 {
		t.Errorf("%d hashes ran at once, want at most (and here exactly) 2", p)
	}
}

// TestHasherSlotsDefaultToCores: with no Slots set, as many hashes run at
// once as the process has cores, and one more waits.
func TestHasherSlotsDefaultToCores(t *testing.T) {
	g := newGatedKey()
	h := &auth.Hasher{Time: 1, Memory: 64, Threads: 1, KeyLen: 32, Wait: 50 * time.Millisecond, Key: g.key}
	cores := int32(runtimeCores())
	var wg sync.WaitGroup
	for range cores {
		wg.Go(func() {
			if _, err := h.Hash("a long enough passphrase"); err != nil {
				t.Error(err)
			}
		})
	}
	for range cores {
		<-g.started
	}
	var busy *auth.BusyError
	if _, err := h.Hash("one too many"); !errors.As(err, &busy) {
		t.Errorf("hash number %d with %d cores: %v, want a *BusyError", cores+1, cores, err)
	}
	close(g.gate)
	wg.Wait()
}

func runtimeCores() int { return runtime.GOMAXPROCS(0) }

// TestLimiterOverCountsNothing: Over reads the count without adding to
// it, and says the allowance is used up once Max attempts were counted.
func TestLimiterOverCountsNothing(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := auth.Limiter{Action: "failures", Max: 2, Window: 15 * time.Minute}
		now := time.Date(2026, 5, 1, 12, 1, 0, 0, time.UTC)
		tests := []struct {
			hitsBefore int
			over       bool
		}{{0, false}, {1, false}, {2, true}}
		hits := 0
		for _, tt := range tests {
			for ; hits < tt.hitsBefore; hits++ {
				if _, _, err := l.Hit(ctx, db, "admin@example.org", now); err != nil {
					t.Fatal(err)
				}
			}
			for range 3 { // asking again changes nothing
				over, wait, err := l.Over(ctx, db, "admin@example.org", now)
				if err != nil || over != tt.over || (over && wait != 14*time.Minute) {
					t.Errorf("after %d hits: Over = %v, %v, %v; want %v (wait 14m when over)", tt.hitsBefore, over, wait, err, tt.over)
				}
			}
		}
		if over, _, _ := l.Over(ctx, db, "admin@example.org", now.Add(15*time.Minute)); over {
			t.Error("the next window is over its limit")
		}
	})
}
