package inventory

// removalRetention: a removal request is the record that a person's
// request was answered, which the organization must be able to show.
var removalRetention = Retention{
	Forever: true,
	Rule:    "as the record that your request was answered; once a removal is approved it keeps only the decision, its reason and a number that no longer leads to you",
}

// dsrItems declares removal requests (R4).
func dsrItems() []Item {
	vis := []Audience{Self, Admin, Privacy}
	col := func(name string, cat Category, label, purpose, origin string) Item {
		return Item{Kind: Column, Table: "removal_requests", Name: name, Personal: true, Category: cat,
			Label: label, Purpose: purpose, Origin: origin, Visible: vis, Retention: removalRetention}
	}
	return append(notPersonal("removal_requests", "id", "status"),
		col("person_id", Identity, "the account a removal request is about", "to carry out or answer your request", "your account"),
		col("note", Content, "the note you added to a removal request", "to understand your request", "typed by you on your account page"),
		col("requested_at", Content, "when you asked for removal", "to answer requests in order and within the time the law allows", "set by the site"),
		col("decided_at", Content, "when your request was decided", "to show that it was answered in time", "set by the site"),
		col("decided_by", Content, "the staff member who decided it", "to hold staff accountable for the decision", "set by the site"),
		col("reason", Content, "the reason given for the decision", "to tell you why, and to show it later", "typed by the staff member who decided"),
	)
}
