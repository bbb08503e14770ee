package inventory

// Names of the cookies plenary sets. internal/web uses these constants, so
// a cookie cannot be set without being declared here.
const (
	SessionCookie  = "plenary_session"
	RememberCookie = "plenary_remember"
)

// cookieItems declares every cookie plenary can set (K1). Anonymous
// visitors get none; these appear only once someone signs in or asks to be
// remembered.
func cookieItems() []Item {
	return []Item{
		{
			Kind: Cookie, Name: SessionCookie, Personal: true, Category: Session,
			Label:     "a random sign-in token",
			Purpose:   "keeps you signed in while your browser is open; the site keeps only a one-way hash of it",
			Origin:    "set when you sign in",
			Visible:   []Audience{Self},
			Retention: sessionRetention,
			Lifetime:  "until you close the browser or sign out (the site ends it after a day at most)",
		},
		{
			Kind: Cookie, Name: RememberCookie, Personal: true, Category: Session,
			Label:     "a random token that signs you in again",
			Purpose:   "keeps you signed in between visits, only when you tick \"remember me\"; never set when your browser sends Global Privacy Control or Do Not Track",
			Origin:    "set when you sign in and ask to be remembered",
			Visible:   []Audience{Self},
			Retention: sessionRetention,
			Lifetime:  "30 days, or until you sign out",
			Optional:  true,
		},
	}
}
