package inventory

// draftRetention is the rule of every piece of a draft: a posted
// Internet-Draft is a public record of the standards process, kept
// forever and never swept (PUB1). The submitter is told so, and accepts
// it, before a draft is posted.
var draftRetention = Retention{
	Forever: true,
	Rule:    "forever: a posted Internet-Draft is a public record of the standards process, and the names, addresses and affiliations in it stay with it; you are told so, and accept it, before you post one",
}

// documentItems declares Internet-Drafts: each revision's sources and
// the authors it names, who posted it, and the list row of each draft.
func documentItems() []Item {
	public := []Audience{Public, Self, Secretariat, Admin}
	col := func(table, name string, cat Category, label, purpose, origin string, vis []Audience) Item {
		return Item{Kind: Column, Table: table, Name: name, Personal: true, Category: cat,
			Label: label, Purpose: purpose, Origin: origin, Visible: vis, Retention: draftRetention}
	}
	record := "to publish the draft and credit its authors, as the standards process requires"
	items := []Item{
		col("draft_authors", "name", Identity, "your name as an author of an Internet-Draft", record, "read from the draft you or a co-author posted", public),
		col("draft_authors", "email", Contact, "your e-mail address as an author of an Internet-Draft", record+"; the address also enters the participant records as coming from a draft", "read from the draft you or a co-author posted", public),
		col("draft_authors", "affiliation", Identity, "your affiliation as an author of an Internet-Draft", record, "read from the draft you or a co-author posted", public),
		col("draft_authors", "person_id", Identity, "the participant record an author's address belongs to", "to list a person's drafts with their record", "matched by the address in the draft", []Audience{Self, Secretariat, Admin}),
		col("draft_revisions", "xml_source", Content, "the XML source of a draft you post, with everything in it (authors' names, addresses and affiliations)", "to publish the draft and render it as a web page", "uploaded by you", public),
		col("draft_revisions", "txt_source", Content, "the text rendering of a draft you post, with everything in it", "to publish the draft as it was submitted", "uploaded by you", public),
		col("draft_revisions", "submitter_id", Identity, "who posted each revision of a draft", "to show you your submissions and to answer questions about a posting", "your account when you post", []Audience{Self, Secretariat, Admin}),
		col("draft_revisions", "posted_at", Content, "when each revision of a draft was posted", "to list drafts newest first and to say when a revision expires", "set by the site", public),
		col("drafts", "authors", Identity, "the authors' names of a draft's latest revision", "to list and search drafts by author", "read from the draft", public),
	}
	items = append(items, notPersonal("drafts", "id", "name", "rev", "title", "grp", "posted_at")...)
	items = append(items, notPersonal("draft_revisions", "id", "draft_id", "rev", "title", "abstract", "doc_date", "grp", "refs")...)
	items = append(items, notPersonal("draft_authors", "id", "revision_id", "position")...)
	return items
}
