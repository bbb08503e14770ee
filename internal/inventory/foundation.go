package inventory

// foundationItems declares the tables every plenary site has from the
// start: migrations bookkeeping, privacy statement versions and home-page
// announcements. None of them is about a person.
func foundationItems() []Item {
	var items []Item
	items = append(items, notPersonal("schema_migrations", "name", "applied_at")...)
	items = append(items, notPersonal("policy_versions", "id", "published_at", "material", "summary", "source", "template", "body")...)
	items = append(items, notPersonal("announcements", "id", "title", "body", "link", "starts_at", "ends_at")...)
	return items
}

// defaultProcessors lists the outside parties plenary can hand data to. The
// configuration turns them on; with none configured, data stays on the
// organization's own servers.
func defaultProcessors() []Processor {
	return meetingProcessors()
}
