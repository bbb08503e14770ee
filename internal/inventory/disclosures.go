package inventory

// disclosureRetention: an entry of the register of disclosures required by
// law stays six years by default, long enough to answer for it, then the
// sweeper dsr.SweepDisclosures deletes it (--retention disclosure=DAYS).
var disclosureRetention = Retention{
	Key:  "disclosure",
	Days: 2190,
	Rule: "for six years after the disclosure, to answer for it; then deleted",
}

// disclosureItems declares the register of disclosures required by law
// (U4), kept by administrators and privacy staff.
func disclosureItems() []Item {
	vis := []Audience{Self, Admin, Privacy}
	col := func(name string, cat Category, label, origin string) Item {
		return Item{Kind: Column, Table: "disclosures", Name: name, Personal: true, Category: cat,
			Label: label, Purpose: "to account for a disclosure the law required", Origin: origin, Visible: vis, Retention: disclosureRetention}
	}
	return append(notPersonal("disclosures", "id", "recorded_by", "recorded_at"),
		col("person_id", Identity, "your account, in a disclosure", "chosen by staff"),
		col("subject", Identity, "who a disclosure was about, without an account", "typed by staff"),
		col("requester", Content, "who required a disclosure", "typed by staff"),
		col("legal_basis", Content, "the law it was required under", "typed by staff"),
		col("disclosed", Content, "what was disclosed", "typed by staff"),
		col("disclosed_at", Content, "when it was disclosed", "typed by staff"),
		col("told_at", Content, "when you were told of it", "typed by staff"),
		col("untold", Content, "why you could not be told yet", "typed by staff"),
	)
}
