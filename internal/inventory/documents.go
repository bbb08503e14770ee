package inventory

// draftRetention is the rule of every piece of a draft: a posted
// Internet-Draft is a public record of the standards process, kept
// forever and never swept (PUB1). The submitter is told so, and accepts
// it, before a draft is posted.
var draftRetention = Retention{
	Forever: true,
	Rule:    "forever: a posted Internet-Draft is a public record, with the authors' names, addresses and affiliations in it; you accept this before posting",
}

// documentItems declares Internet-Drafts: each revision's sources and
// the authors it names, who posted it, and the list row of each draft.
func documentItems() []Item {
	public := []Audience{Public, Self, Secretariat, Admin}
	col := func(table, name string, cat Category, label, purpose, origin string, vis []Audience) Item {
		return Item{Kind: Column, Table: table, Name: name, Personal: true, Category: cat,
			Label: label, Purpose: purpose, Origin: origin, Visible: vis, Retention: draftRetention}
	}
	record := "to publish the draft and credit its authors"
	from := "read from the draft posted"
	items := []Item{
		col("draft_authors", "name", Identity, "your name as a draft's author", record, from, public),
		col("draft_authors", "email", Contact, "your e-mail address as a draft's author", record, from, public),
		col("draft_authors", "affiliation", Identity, "your affiliation as a draft's author", record, from, public),
		col("drafts", "authors", Identity, "the authors' names in the list of drafts", record, from, public),
		col("draft_revisions", "xml_source", Content, "the XML source of a draft you post", record, "uploaded by you", public),
		col("draft_revisions", "txt_source", Content, "the text of a draft you post", record, "uploaded by you", public),
		col("draft_authors", "person_id", Identity, "the participant record of an author's address", "to list a person's drafts", from, []Audience{Self, Secretariat, Admin}),
		col("draft_revisions", "submitter_id", Identity, "who posted each revision", "to show you your submissions", "your account", []Audience{Self, Secretariat, Admin}),
	}
	items = append(items, notPersonal("drafts", "id", "name", "rev", "title", "grp", "posted_at")...)
	items = append(items, notPersonal("draft_revisions", "id", "draft_id", "rev", "title", "abstract", "doc_date", "grp", "refs", "posted_at")...)
	items = append(items, notPersonal("draft_authors", "id", "revision_id", "position")...)
	return items
}
