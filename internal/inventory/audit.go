package inventory

// auditItems declares the audit log of access to restricted data. Who
// looked at what is itself personal data about the staff member and, in
// the subject and detail, about the person looked up.
func auditItems() []Item {
	ret := Retention{
		Key:  "audit",
		Days: 2190,
		Rule: "six years by default, so that access can be reviewed long after it happened; the operator can change this",
	}
	staff := []Audience{Security, Admin}
	return append(notPersonal("audit_log", "id", "seq", "at", "action", "prev_hash", "hash"),
		Item{Kind: Column, Table: "audit_log", Name: "actor_id", Personal: true, Category: Identity,
			Label: "which staff member accessed restricted data", Purpose: "to hold staff accountable for every access to restricted data",
			Origin: "recorded when staff open restricted records", Visible: staff, Retention: ret},
		Item{Kind: Column, Table: "audit_log", Name: "actor", Personal: true, Category: Identity,
			Label: "the name of the staff member who acted; a participant acting on their own data is named by number only", Purpose: "to hold staff accountable for every access to restricted data",
			Origin: "recorded when staff open restricted records", Visible: staff, Retention: ret},
		Item{Kind: Column, Table: "audit_log", Name: "actor_role", Personal: true, Category: Identity,
			Label: "the staff roles of that member at the time", Purpose: "to hold staff accountable for every access to restricted data, whatever name they go by",
			Origin: "read from the member's account when the access is recorded", Visible: staff, Retention: ret},
		Item{Kind: Column, Table: "audit_log", Name: "subject", Personal: true, Category: Identity,
			Label: "whose record or which log data was accessed", Purpose: "to let you and the organization know who accessed your data and why",
			Origin: "recorded when staff open restricted records", Visible: staff, Retention: ret},
		Item{Kind: Column, Table: "audit_log", Name: "detail", Personal: true, Category: Network,
			Label: "the stated reason for an access and what was asked (for a log look-up, the IP address or time window)", Purpose: "to hold staff accountable for every access to restricted data",
			Origin: "typed by the staff member when accessing restricted data", Visible: staff, Retention: ret},
	)
}
