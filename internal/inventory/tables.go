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
	// Participant mailings (internal/mailings).
	"mailing_subscriptions": "Your choice to receive announcements",
	"mailing_recipients":    "Announcements sent to you",
	"mailings":              "Announcements staff wrote and sent",
	"list_subscriptions":    "Your discussion-group subscriptions",
	"list_deliveries":       "Which postings were sent to you",
	"list_contributors":     "You as an author of discussion-group postings",
	"list_posts":            "Your discussion-group postings",
	"removal_requests":      "Your requests to remove your data",
	"drafts":                "The list of Internet-Drafts",
	"draft_revisions":       "Internet-Drafts you post",
	"draft_authors":         "The authors named in Internet-Drafts",
	"registrations":         "Your meeting registrations",
	"payments":              "Your payments for meeting registrations",
	// IPR disclosures and liaison statements (issue 11).
	"ipr_disclosures":     "IPR disclosures",
	"liaison_statements":  "Liaison statements",
	"liaison_attachments": "Attachments of liaison statements",
	// The register of disclosures required by law (U4).
	"disclosures": "Disclosures the law required",
	// The durable outbox of account mail.
	"mail_outbox":       "Account mail waiting to be sent",
	"removal_decisions": "The decisions on your removal requests",
	// Discussion groups, the ingest side.
	"list_attachments":   "Attachments to your discussion-group postings",
	"list_post_refs":     "Which messages your postings answer",
	"list_bounces":       "List mail to you that bounced",
	"list_terms_notices": "When you were last mailed the link to accept the contribution terms",
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
