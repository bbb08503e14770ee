package inventory

// tableNames name each table that holds personal data the way the privacy
// statement speaks of it. A personal table without a name here fails
// TestEveryPersonalTableHasAName, so the statement never shows a raw
// table name.
var tableNames = map[string]string{
	"people":           "Your account",
	"person_emails":    "Your e-mail addresses",
	"person_roles":     "Your roles",
	"person_changes":   "The history of changes to your details",
	"sessions":         "Your sign-in sessions",
	"auth_tokens":      "Links mailed to you",
	"rate_limits":      "Recent sign-in and sign-up attempts",
	"consent_ledger":   "What you agreed to",
	"audit_log":        "Records of staff access to restricted data",
	"inquiries":        "Inquiries you send through the contact form",
	"inquiry_messages": "Answers to your inquiry and your replies",
	"registrations":    "Your meeting registrations",
	"payments":         "Your payments for meeting registrations",
}

// TableName is how people are told about a table; the table's own name
// when none is declared.
func TableName(table string) string {
	if n, ok := tableNames[table]; ok {
		return n
	}
	return table
}

// PersonalTables lists the tables with personal columns, in declaration
// order.
func (inv *Inventory) PersonalTables() []string {
	var out []string
	seen := map[string]bool{}
	for _, it := range inv.items {
		if it.Kind == Column && it.Personal && !seen[it.Table] {
			seen[it.Table] = true
			out = append(out, it.Table)
		}
	}
	return out
}
