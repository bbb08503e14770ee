package inventory

// usageItems declares the daily usage aggregates. They are counts only —
// the ingestion job reads access-log lines and keeps no address, user
// agent or single visit — so nothing here is personal data.
func usageItems() []Item {
	var items []Item
	items = append(items, notPersonal("usage_days", "day", "instance", "requests", "human_requests", "bot_requests",
		"visitors", "human_visitors", "pages", "static_files", "not_found", "bytes")...)
	// Scale-out visitor counting: sketches merge across instances; the
	// day's hash key is kept a few days, then deleted by the ingester. A
	// small day's sketch lists its visitors' keyed hashes (so it counts
	// them exactly): while the key lasts they say no more than the access
	// log file the day was counted from, which is kept longer; once it is
	// deleted they say nothing of anyone.
	items = append(items, notPersonal("usage_days", "visitor_sketch", "human_sketch")...)
	items = append(items, notPersonal("usage_day_keys", "day", "secret")...)
	items = append(items, notPersonal("usage_counts", "day", "instance", "dimension", "name", "requests", "visitors")...)
	// A group's sketch, the same as the day's but per page, browser or
	// hour; deleted with the day's key, when the rows are settled into
	// one site-wide row per group. While the key lasts, the page a
	// visitor's hash is listed under says no more than the log line the
	// row was counted from.
	items = append(items, notPersonal("usage_counts", "visitor_sketch")...)
	items = append(items, notPersonal("usage_sources", "instance", "day", "file", "lines", "invalid", "ingested_at")...)
	return items
}
