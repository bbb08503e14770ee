package inventory

// cookieItems declares every cookie plenary can set. Anonymous visitors
// get none; these appear only once someone signs in or asks to be
// remembered.
func cookieItems() []Item {
	return nil
}
