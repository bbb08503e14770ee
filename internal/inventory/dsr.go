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
	return append(append(notPersonal("removal_requests", "id", "status"),
		col("person_id", Identity, "your account, in a removal request", why, "your account"),
		col("note", Content, "your note to a removal request", why, "typed by you"),
		col("requested_at", Content, "when you asked for removal", why, "set by the site"),
		col("decided_at", Content, "when it was decided", why, "set by the site"),
		col("decided_by", Content, "who decided it", why, "set by the site"),
		col("reason", Content, "the reason for the decision", why, "typed by staff"),
		// Per-category decisions, the reply address and staff-entered
		// requests (R4).
		col("entered_by", Content, "who entered a request you sent by mail", why, "set by the site"),
		col("verified", Content, "how staff checked that a request by mail came from you", why, "typed by staff"),
		Item{Kind: Column, Table: "removal_requests", Name: "reply_to", Personal: true, Category: Contact,
			Label: "the address the decision is mailed to", Purpose: "to tell you the decision", Origin: "your primary address",
			Visible: vis, Retention: Retention{Forever: true, Rule: "only until the decision is mailed to you; then it is emptied"}},
		Item{Kind: Column, Table: "removal_decisions", Name: "reason", Personal: true, Category: Content,
			Label: "the decision and its reason for each kind of data", Purpose: why, Origin: "typed by staff",
			Visible: vis, Retention: removalRetention},
	), notPersonal("removal_decisions", "request_id", "category", "approved", "done_at")...)
}
