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
	why := "to answer your request and show that it was answered"
	return append(notPersonal("removal_requests", "id", "status"),
		col("person_id", Identity, "your account, in a removal request", why, "your account"),
		col("note", Content, "your note to a removal request", why, "typed by you"),
		col("requested_at", Content, "when you asked for removal", why, "set by the site"),
		col("decided_at", Content, "when it was decided", why, "set by the site"),
		col("decided_by", Content, "who decided it", why, "set by the site"),
		col("reason", Content, "the reason for the decision", why, "typed by staff"),
	)
}
