package demo

import (
	"reflect"
	"testing"
	"time"
)

// TestDemoPostingsAreDeterministic: the same seed gives the same postings,
// so the demo looks the same on every start.
func TestDemoPostingsAreDeterministic(t *testing.T) {
	now := time.Date(2026, 11, 29, 4, 0, 0, 0, time.UTC)
	for _, name := range []string{"discuss", "wg-http"} {
		a, b := demoPostings(name, 7, now), demoPostings(name, 7, now)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: two runs with the same seed differ", name)
		}
		for i, p := range a {
			if p.At.After(now) || (p.Reply >= 0 && p.At.Before(a[p.Reply].At)) {
				t.Errorf("%s: posting %d is dated %v, after now or before its parent", name, i, p.At)
			}
		}
	}
}
