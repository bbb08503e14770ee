package inventory

// contentVersionItems declares the page cache's counters (issue 14): one
// per table that public pages read, bumped by triggers. A table name and a
// number; nothing about a person.
func contentVersionItems() []Item {
	return notPersonal("content_versions", "area", "version")
}
