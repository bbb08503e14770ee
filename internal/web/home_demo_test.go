package web

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"plenary/internal/demo"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestDemoBannerLeadsToTheDemoSection: the demo's announcement links to a
// section of the home page that is really there and says how to sign in;
// a site without the demo has neither.
func TestDemoBannerLeadsToTheDemoSection(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, siteOptions{DB: db})
		res := s.get(t, "/")
		for _, not := range []string{`id="demo"`, `href="/#demo"`, demo.Password} {
			if strings.Contains(res.Body, not) {
				t.Errorf("a site without the demo shows %q", not)
			}
		}
		if ok, err := demo.Seed(context.Background(), demo.Deps{DB: db, Out: io.Discard, Now: time.Now()}); err != nil || !ok {
			t.Fatalf("Seed = %v, %v", ok, err)
		}
		res = s.get(t, "/")
		if res.Status != 200 {
			t.Fatalf("status %d", res.Status)
		}
		for _, want := range []string{
			`<a href="/#demo">What the demo holds and how to sign in</a>`,
			`<section class="demo" id="demo"`,
			"plenary-demo-password", "admin@demo.example", "secretariat@demo.example", "security@demo.example", "tim@demo.example",
			`href="/login"`, `href="/admin/analytics"`,
		} {
			if !strings.Contains(res.Body, want) {
				t.Errorf("home page lacks %q", want)
			}
		}
	})
}
