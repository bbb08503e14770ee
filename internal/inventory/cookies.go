package inventory

import (
	"fmt"
	"time"
)

// CookieDecl is the declaration of one cookie plenary sets (K1). Its
// fields are unexported so that no other package can make one up: the web
// layer sets a cookie only from a declaration this package hands out, and
// takes the cookie's name and lifetime from it.
type CookieDecl struct {
	name     string
	label    string
	purpose  string
	origin   string
	lifetime time.Duration
	// browserSession: the browser drops the cookie when it closes (no
	// Max-Age), and the site honours it for lifetime at most.
	browserSession bool
	optional       bool
}

// Name is the cookie's name.
func (c *CookieDecl) Name() string { return c.name }

// Lifetime is how long the site honours the cookie's token.
func (c *CookieDecl) Lifetime() time.Duration { return c.lifetime }

// MaxAge is how long the browser keeps the cookie: the lifetime, or 0 for
// a cookie that lasts until the browser closes.
func (c *CookieDecl) MaxAge() time.Duration {
	if c.browserSession {
		return 0
	}
	return c.lifetime
}

// Optional reports whether the cookie is set only at the visitor's request.
func (c *CookieDecl) Optional() bool { return c.optional }

// LifetimeText says in words how long the cookie lasts, from the declared
// Duration, for the cookie page.
func (c *CookieDecl) LifetimeText() string {
	if c.browserSession {
		return "until you close the browser or sign out (the site ends it after " + DurationText(c.lifetime) + " at most)"
	}
	return DurationText(c.lifetime) + ", or until you sign out"
}

// DurationText writes d in whole days, hours or minutes, the largest unit
// that divides it: "30 days", "1 day", "12 hours".
func DurationText(d time.Duration) string {
	unit := func(n int64, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return fmt.Sprintf("%d %ss", n, one)
	}
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return unit(int64(d/(24*time.Hour)), "day")
	case d >= time.Hour && d%time.Hour == 0:
		return unit(int64(d/time.Hour), "hour")
	case d >= time.Minute && d%time.Minute == 0:
		return unit(int64(d/time.Minute), "minute")
	}
	return unit(int64(d/time.Second), "second")
}

// The cookies plenary sets. Anonymous visitors get none; these appear only
// once someone signs in or asks to be remembered.
var (
	SessionCookie = &CookieDecl{
		name:           "plenary_session",
		label:          "a random sign-in token",
		purpose:        "keeps you signed in while your browser is open; the site keeps only a one-way hash of it",
		origin:         "set when you sign in",
		lifetime:       24 * time.Hour,
		browserSession: true,
	}
	RememberCookie = &CookieDecl{
		name:     "plenary_remember",
		label:    "a random token that signs you in again",
		purpose:  "keeps you signed in between visits, only when you tick \"remember me\"; never set when your browser sends Global Privacy Control or Do Not Track",
		origin:   "set when you sign in and ask to be remembered",
		lifetime: 30 * 24 * time.Hour,
		optional: true,
	}
)

// cookieDecls lists every cookie declaration, in the order the cookie page
// shows them.
func cookieDecls() []*CookieDecl { return []*CookieDecl{SessionCookie, RememberCookie} }

// cookieItems turns the cookie declarations into inventory items (K1).
func cookieItems() []Item {
	var out []Item
	for _, c := range cookieDecls() {
		out = append(out, Item{
			Kind: Cookie, Name: c.name, Personal: true, Category: Session,
			Label:     c.label,
			Purpose:   c.purpose,
			Origin:    c.origin,
			Visible:   []Audience{Self},
			Retention: sessionRetention,
			Lifetime:  c.LifetimeText(),
			Optional:  c.optional,
		})
	}
	return out
}

// CookieDeclared reports whether plenary declares a cookie of this name;
// the test servers check every Set-Cookie against it.
func (inv *Inventory) CookieDeclared(name string) bool {
	it, ok := inv.byKey["cookie:"+name]
	return ok && it.Kind == Cookie
}
