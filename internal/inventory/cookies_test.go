package inventory_test

import (
	"testing"
	"time"

	"plenary/internal/inventory"
)

// TestCookieDeclarations pins what each declared cookie promises: the
// lifetime the site honours, how long the browser keeps it, and the words
// the cookie page derives from the Duration.
func TestCookieDeclarations(t *testing.T) {
	tests := []struct {
		c        *inventory.CookieDecl
		name     string
		lifetime time.Duration
		maxAge   time.Duration
		optional bool
		text     string
	}{
		{inventory.SessionCookie, "plenary_session", 24 * time.Hour, 0, false, "until you close the browser or sign out (the site ends it after 1 day at most)"},
		{inventory.RememberCookie, "plenary_remember", 30 * 24 * time.Hour, 30 * 24 * time.Hour, true, "30 days, or until you sign out"},
	}
	inv := inventory.Default()
	for _, tt := range tests {
		if tt.c.Name() != tt.name || tt.c.Lifetime() != tt.lifetime || tt.c.MaxAge() != tt.maxAge || tt.c.Optional() != tt.optional || tt.c.LifetimeText() != tt.text {
			t.Errorf("%s: %q %v %v %v %q", tt.name, tt.c.Name(), tt.c.Lifetime(), tt.c.MaxAge(), tt.c.Optional(), tt.c.LifetimeText())
		}
		if !inv.CookieDeclared(tt.name) {
			t.Errorf("%s is not in the inventory", tt.name)
		}
	}
	if n := len(inv.Cookies()); n != len(tests) {
		t.Errorf("the inventory declares %d cookies, this test knows %d", n, len(tests))
	}
	if inv.CookieDeclared("plenary_tracking") || inv.CookieDeclared("client_ip") {
		t.Error("an undeclared name counts as a declared cookie")
	}
}

func TestDurationText(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{24 * time.Hour, "1 day"},
		{30 * 24 * time.Hour, "30 days"},
		{36 * time.Hour, "36 hours"},
		{time.Hour, "1 hour"},
		{90 * time.Minute, "90 minutes"},
		{45 * time.Second, "45 seconds"},
	} {
		if got := inventory.DurationText(tt.d); got != tt.want {
			t.Errorf("DurationText(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
