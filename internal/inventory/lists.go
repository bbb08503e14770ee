package inventory

// Discussion groups (G1, PUB1, D1). Postings and their authors' names and
// addresses are public record once published; subscriptions last until
// the subscriber leaves; what waits for a confirmation or a decision
// expires.
var (
	listPendingRetention = Retention{
		Key:  "list_pending",
		Days: 7,
		Rule: "until you confirm the subscription with the link mailed to you, or for 7 days if you do not; a subscription is deleted as soon as you unsubscribe",
	}
	listHeldRetention = Retention{
		Key:  "list_held",
		Days: 30,
		Rule: "while a posting waits for you to accept the contribution terms or for a moderator, at most 30 days; then it is deleted unpublished",
	}
	listPublicRetention = Retention{
		Forever: true,
		Rule:    "kept as part of the public record of the discussion, attributed to you",
	}
)

func listItems() []Item {
	staff := []Audience{Secretariat, Admin}
	col := func(table, name string, cat Category, label, purpose, origin string, visible []Audience, r Retention) Item {
		return Item{Kind: Column, Table: table, Name: name, Personal: true, Category: cat,
			Label: label, Purpose: purpose, Origin: origin, Visible: visible, Retention: r}
	}
	self := append([]Audience{Self}, staff...)
	public := []Audience{Public}
	send := "to send you the discussion group's messages, and for nothing else"
	items := []Item{
		col("list_subscriptions", "email", Contact, "the address you subscribed to a discussion group", send, "typed by you on the list's page", self, listPendingRetention),
		col("list_subscriptions", "person_id", Identity, "your account, when you subscribed one of its addresses while signed in", "to show your subscriptions on your account page", "your sign-in", self, listPendingRetention),
		col("list_subscriptions", "confirmed_at", Consent, "when you confirmed the subscription", "to prove you asked for the messages (double opt-in)", "the confirmation page", self, listPendingRetention),
		col("list_subscriptions", "created_at", Content, "when you asked to subscribe", "to expire unconfirmed requests", "set by the site", self, listPendingRetention),
		col("list_deliveries", "subscription_id", Content, "which postings were sent to your subscription", "to send each posting to you once", "set by the site", staff, listPendingRetention),
		col("list_deliveries", "sent_at", Content, "when a posting was sent to you", "to send each posting to you once", "set by the site", staff, listPendingRetention),
		col("list_contributors", "email", Contact, "the address you post to discussion groups from", "to attribute your postings to you in the public archive", "the address you posted from", public, listPublicRetention),
		col("list_contributors", "name", Identity, "your name as the author of postings", "to attribute your postings to you in the public archive", "your account, or the address you posted from", public, listPublicRetention),
		col("list_contributors", "person_id", Identity, "your account, when you post while signed in", "to ask for the contribution terms only once", "your sign-in", self, listPublicRetention),
		col("list_contributors", "accepted_at", Consent, "when you accepted the contribution terms", "to prove you agreed that postings are public and attributed (PUB1)", "the posting form or the link mailed to you", self, listPublicRetention),
		col("list_contributors", "created_at", Content, "when you first posted", "to keep the public record", "set by the site", self, listPublicRetention),
		col("list_posts", "subject", Content, "the subject of each posting", "to publish the discussion", "written by you", public, listPublicRetention),
		col("list_posts", "body", Content, "the text of each posting", "to publish the discussion", "written by you", public, listPublicRetention),
		col("list_posts", "contributor_id", Content, "who wrote each posting", "to attribute postings to their authors", "set by the site", public, listPublicRetention),
		col("list_posts", "status", Content, "whether a posting is published or held", "to hold postings for the terms or a moderator", "set by the site", staff, listHeldRetention),
		col("list_posts", "created_at", Content, "when a posting arrived", "to expire held postings and date the record", "set by the site", public, listPublicRetention),
		col("list_posts", "published_at", Content, "when a posting was published", "to date the public record", "set by the site", public, listPublicRetention),
		col("list_posts", "message_id", Content, "the message identifier of each posting", "to thread replies", "your mail program, or the site", public, listPublicRetention),
		col("list_posts", "in_reply_to", Content, "which posting a posting answers", "to thread replies", "your mail program, or the site", public, listPublicRetention),
		{Kind: Column, Table: "consent_ledger", Name: "subscription_id", Personal: true, Category: Consent,
			Label: "the subscription an agreement came with, when you subscribed with an address alone", Purpose: "to prove you asked for a discussion group's messages, and when you stopped",
			Origin: "the subscription pages, the unsubscribe link or address", Visible: staff, Retention: consentRetention},
		{Kind: Column, Table: "consent_ledger", Name: "contributor_id", Personal: true, Category: Consent,
			Label: "the contributor an acceptance of the contribution terms came from, when you posted without an account", Purpose: "to prove you agreed that postings are public and attributed (PUB1)",
			Origin: "the link mailed to you with your first posting", Visible: staff, Retention: consentRetention},
	}
	items = append(items, notPersonal("lists", "id", "name", "description", "posting", "archive", "created_at")...)
	items = append(items, notPersonal("list_subscriptions", "id", "list_id", "token")...)
	items = append(items, notPersonal("list_contributors", "id", "token")...)
	items = append(items, notPersonal("list_posts", "id", "list_id", "thread_id")...)
	items = append(items, notPersonal("list_deliveries", "post_id")...)
	return items
}
