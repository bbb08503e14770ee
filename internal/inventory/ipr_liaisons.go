package inventory

// IPR disclosures and liaison statements (PUB1). A posted one is a public
// record kept forever, as drafts are; one rejected or marked dead stays,
// unpublished, as the record of the decision. The discloser chooses
// whether the holder's contact is shown publicly.
var (
	iprRetention = Retention{
		Forever: true,
		Rule:    "forever: a posted disclosure is a public record; a rejected one stays unpublished as the record of the decision",
	}
	liaisonRetention = Retention{
		Forever: true,
		Rule:    "forever: a posted statement is a public record; one never posted stays unpublished as the record of it",
	}
)

// iprLiaisonItems declares both.
func iprLiaisonItems() []Item {
	col := func(table, name string, cat Category, label, purpose, origin string, vis []Audience, r Retention) Item {
		return Item{Kind: Column, Table: table, Name: name, Personal: true, Category: cat,
			Label: label, Purpose: purpose, Origin: origin, Visible: vis, Retention: r}
	}
	public := []Audience{Public, Self, Secretariat, Admin}
	chosen := []Audience{Self, Secretariat, Admin} // and the public, if the discloser says so
	staff := []Audience{Self, Secretariat, Admin}
	ipr := "to publish the disclosure"
	typed := "typed by the discloser"
	items := []Item{
		col("ipr_disclosures", "holder", Identity, "the patent holder you name", ipr, typed, public, iprRetention),
		col("ipr_disclosures", "contact_name", Identity, "the holder's contact in a disclosure", ipr+", if the discloser chose so", typed, chosen, iprRetention),
		col("ipr_disclosures", "contact_email", Contact, "the contact's e-mail address", ipr+", if the discloser chose so", typed, chosen, iprRetention),
		col("ipr_disclosures", "contact_info", Contact, "the contact's other details", ipr+", if the discloser chose so", typed, chosen, iprRetention),
		col("ipr_disclosures", "submitter_id", Identity, "who sent a disclosure", "to show you your disclosures", "your account", staff, iprRetention),
		col("ipr_disclosures", "patents", Content, "the patents a disclosure names", ipr, typed, public, iprRetention),
		col("ipr_disclosures", "licensing_notes", Content, "a disclosure's licensing notes", ipr, typed, public, iprRetention),
		col("liaison_statements", "contact_name", Identity, "the contact named in a liaison statement", "to publish the statement", "the sending organization", public, liaisonRetention),
		col("liaison_statements", "contact_email", Contact, "the contact's e-mail address", "to publish the statement", "the sending organization", public, liaisonRetention),
		col("liaison_statements", "body", Content, "a liaison statement's text", "to publish the statement", "the sending organization", public, liaisonRetention),
		col("liaison_statements", "entered_by", Identity, "the staff member who entered it", "accountability", "staff account", []Audience{Secretariat, Admin}, liaisonRetention),
		col("liaison_attachments", "data", Content, "a liaison statement's attachments", "to publish the statement", "the sending organization", public, liaisonRetention),
	}
	items = append(items, notPersonal("ipr_disclosures", "id", "kind", "title", "show_contact", "licensing", "updates_id", "state", "reason", "submitted_at", "decided_at")...)
	items = append(items, notPersonal("ipr_documents", "id", "disclosure_id", "draft_name")...)
	items = append(items, notPersonal("liaison_statements", "id", "from_org", "to_group", "title", "purpose", "deadline", "state", "created_at", "decided_at")...)
	items = append(items, notPersonal("liaison_attachments", "id", "statement_id", "filename", "content_type", "size")...)
	return items
}
