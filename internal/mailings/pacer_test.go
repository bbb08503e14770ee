package mailings

import (
	"context"
	"testing"
	"time"
)

// TestPacerSlowsDownOnDeferralAndRecovers covers the job's rate: sends
// are spaced at the configured rate, a deferral (4xx) halves it, and
// successes bring it back to, never above, the configured rate.
func TestPacerSlowsDownOnDeferralAndRecovers(t *testing.T) {
	p := newPacer(20)
	ctx := context.Background()
	start := time.Now()
	for range 5 {
		if err := p.wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d < 190*time.Millisecond {
		t.Errorf("five sends at 20 a second took %v, want at least 200 ms", d)
	}
	steps := []struct {
		name string
		do   func()
		want float64
	}{
		{"first deferral", p.slowDown, 10},
		{"second deferral", p.slowDown, 5},
	}
	for _, s := range steps {
		s.do()
		if got := p.current(); got != s.want {
			t.Errorf("after the %s the rate is %v, want %v", s.name, got, s.want)
		}
	}
	for range 1000 {
		p.success()
	}
	if got := p.current(); got != 20 {
		t.Errorf("after many successes the rate is %v, want back to 20", got)
	}
}
