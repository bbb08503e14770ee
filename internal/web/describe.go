package web

import "strings"

// pageDescriptions holds each page's meta description, by template name:
// one sentence that says what the page is for, shown by search engines
// and link previews. ORG stands for the organization's name.
// TestEveryPageHasADescription fails when a template has none.
var pageDescriptions = map[string]string{
	"home":             "The web site and participant portal of ORG, where its participants take part in its work.",
	"privacy":          "How ORG handles personal data: what this site keeps, why, who may see it, for how long, and how to ask about it.",
	"cookies":          "Every cookie this site of ORG can set, with its purpose and lifetime. Reading the site sets none.",
	"versions":         "Every published version of the privacy statement of ORG, with what changed in each.",
	"version":          "One published version of the privacy statement of ORG and what changed from the one before.",
	"signup":           "Create a participant account with ORG, and see what the account keeps about you before you do.",
	"verify":           "Confirm the e-mail address of your account with ORG.",
	"login":            "Sign in to your participant account with ORG.",
	"reset":            "Ask for a link to set a new password for your account with ORG.",
	"reset_token":      "Choose a new password for your account with ORG.",
	"account":          "Your account with ORG: the data kept about you, your addresses, and your consent record.",
	"acknowledge":      "What changed in the privacy statement of ORG since you last agreed to it.",
	"message":          "A message from the site of ORG about what you just did.",
	"error":            "The site of ORG could not show this page.",
	"admin_people":     "Staff page of ORG for finding and correcting participant records.",
	"admin_analytics":  "Staff page of ORG with usage trends of the site, as totals only.",
	"admin_logs":       "Security staff page of ORG for looking up raw access-log lines, with a reason, audited.",
	"admin_audit":      "The audit log of ORG: who accessed or changed restricted data, and whether the log is intact.",
	"admin_inquiries":  "Staff inbox of ORG for the inquiries sent through the contact form.",
	"admin_inquiry":    "One inquiry sent to ORG, with its thread of answers.",
	"admin_mailings":   "Staff page of ORG for writing announcements to participants who asked for them, and recording opt-outs.",
	"admin_mailing":    "One announcement of ORG: preview, test, send, and who did not receive it.",
	"mailing_confirm":  "Confirm that you want the announcements of ORG by e-mail.",
	"unsubscribe":      "Stop receiving the announcements of ORG by e-mail.",
	"contact":          "Write to ORG: a question, a comment or a privacy request, without an account and without cookies.",
	"logout":           "Sign out of your participant account with ORG.",
	"signin_token":     "Sign in to your account with ORG through the link mailed to you.",
	"lists":            "The discussion groups of ORG: what each is about, how to subscribe and its public archive.",
	"list":             "A discussion group of ORG: subscribe by e-mail, read its archive in threads or by date, post to it.",
	"list_token":       "Confirm a subscription, leave a discussion group or accept the contribution terms at ORG.",
	"list_post":        "Post to a discussion group of ORG; postings are public and attributed.",
	"list_message":     "A posting to a discussion group of ORG.",
	"admin_lists":      "Staff page of ORG for creating discussion groups.",
	"admin_list_queue": "Staff moderation queue of a discussion group of ORG.",
	"export":           "A copy of everything ORG holds about you, from every place the site keeps data.",
	"admin_removals":   "Staff page of ORG for deciding requests to remove a participant's data.",
	"drafts":           "The Internet-Drafts posted to ORG, newest first, searchable by name, title, group and author.",
	"draft":            "An Internet-Draft posted to ORG, with its authors, every revision and when it expires.",
	"draft_diff":       "What changed between two revisions of an Internet-Draft posted to ORG.",
	"draft_submit":     "Submit an Internet-Draft to ORG as xml2rfc v3 XML or plain text; it becomes a public record.",
	"meetings":         "The meetings of ORG, upcoming and past, and how to register for them.",
	"meeting":          "A meeting of ORG: dates, place, tickets, registration and the attendees who asked to be listed.",
	"register":         "Register for a meeting of ORG, and see what registering keeps about you before you do.",
	"registration":     "Your registration for a meeting of ORG, its payment and its receipt.",
	"admin_meetings":   "Staff page of ORG for announcing meetings and their tickets.",
	"admin_payments":   "Finance page of ORG with the payments for meeting registrations, audited.",
	// Meetings, the registrant's side and the secretariat's list (issue 10).
	"receipt":       "A printable receipt of ORG for a payment of a meeting registration.",
	"admin_refunds": "Finance page of ORG with the refunds registrants asked for.",
	"admin_refund":  "Finance page of ORG confirming a refund through the card processor.",
	"admin_meeting": "Staff page of ORG for one meeting: its registrations, their export and the meeting's details.",
	// IPR disclosures and liaison statements (issue 11).
	"ipr_list":       "The IPR disclosures made to ORG: patents that may bear on its documents, and their licensing terms.",
	"ipr_disclosure": "An IPR disclosure made to ORG: the holder, the patents, the drafts named and the licensing declaration.",
	"ipr_gone":       "An IPR disclosure that ORG removed, with the reason and the date.",
	"ipr_submit":     "Disclose patents that may bear on the documents of ORG; a disclosure becomes a public record.",
	"admin_ipr":      "Staff page of ORG for reviewing IPR disclosures before they are posted.",
	"liaisons":       "Liaison statements sent to ORG by other organizations, newest first.",
	"liaison":        "A liaison statement sent to ORG by another organization, with its attachments.",
	"admin_liaisons": "Staff page of ORG for entering liaison statements and posting them.",
	// The disclosure register (U4).
	"admin_disclosures": "Staff register of ORG of disclosures of personal data required by law.",
	// Discussion groups, the reading side.
	"list_search":    "Search the archives of the discussion groups of ORG by words, phrase, group, author and date.",
	"list_thread":    "A thread of a discussion group of ORG, its postings in order of arrival.",
	"list_tombstone": "A posting removed from the archive of a discussion group of ORG, with the reason and date.",
}

// describe returns the meta description of the page rendered from the
// template name.
func describe(name, org string) string {
	d, ok := pageDescriptions[name]
	if !ok {
		// Only a template added without an entry lands here; the test
		// above catches it, and the page still says whose site it is.
		d = "A page of the web site of ORG."
	}
	return strings.ReplaceAll(d, "ORG", org)
}
