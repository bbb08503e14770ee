package inventory

// jobItems declares the job queue. A job names its work by kind and by the
// ids it applies to (a mailing, a list message); personal data stays in the
// tables those ids point to, where it is declared, so nothing here is about
// a person.
func jobItems() []Item {
	return notPersonal("jobs", "id", "kind", "unique_key", "payload", "run_at", "attempts", "max_attempts",
		"locked_by", "locked_until", "finished_at", "failed", "last_error", "created_at")
}
