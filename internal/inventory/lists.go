package inventory

// Discussion groups (G1, PUB1, D1). Postings and their authors' names and
// addresses are public record once published; subscriptions last until
// the subscriber leaves; what waits for a confirmation or a decision
// expires.
var (
	listPendingRetention = Retention{
		Key:  "list_pending",
		Days: 7,
		Rule: "until you unsubscribe, when the subscription is deleted at once; a request you do not confirm with the link mailed to you is deleted after 7 days, and a subscription whose mail kept bouncing as said below",
	}
	// Delivery records say which postings went to which subscription and
	// what the mail server answered when it refused one. They keep a
	// distribution that is resumed after a crash from sending a copy
	// twice, which only matters for days, and they prove for a while that
	// a copy went out; then they go, whether or not the subscription
	// lasts.
	listDeliveryRetention = Retention{
		Key:  "list_delivery",
		Days: 90,
		Rule: "for 90 days after the posting was sent to you (or refused by your mail server), then deleted; sooner, all at once, when you unsubscribe",
	}
	// A subscription disabled because mail to it kept bouncing goes, with
	// its address, some time after it stopped, unless its subscriber
	// subscribes again before then; the consent ledger notes the end.
	listDisabledRetention = Retention{
		Key:  "list_disabled",
		Days: 30,
		Rule: "for 30 days after mail to your subscription stopped because it kept bouncing, unless you subscribe again before then; then the subscription is deleted with its address and delivery records, and the consent record notes that it ended",
	}
	// The address a subscription with an address alone was for, kept in
	// the consent ledger with the entries of that subscription.
	listConsentAddressRetention = Retention{
		Forever: true,
		Rule:    "as long as the site runs, as the rest of the consent ledger: it is the proof that you asked for a discussion group's messages at that address, and when you stopped; it stays after you unsubscribe and after a removal request, because the ledger is append-only",
	}
	listHeldRetention = Retention{
		Key:  "list_held",
		Days: 30,
		Rule: "while a posting waits for you to accept the contribution terms or for a moderator, at most 30 days; then it is deleted unpublished",
	}
	listPublicRetention = Retention{
		Forever: true,
		Rule:    "as part of the public record of the discussion, attributed to you",
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
		col("list_deliveries", "subscription_id", Content, "which postings were sent to your subscription", "to send each posting to you once, and to show that it was sent", "set by the site", staff, listDeliveryRetention),
		col("list_deliveries", "sent_at", Content, "when a posting was sent to you", "to send each posting to you once", "set by the site", staff, listDeliveryRetention),
		// Refused copies (migration 0044).
		col("list_deliveries", "refused", Content, "the mail server's answer when it refused a posting to you", "to stop sending to an address that does not work", "the mail server", staff, listDeliveryRetention),
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
		{Kind: Column, Table: "consent_ledger", Name: "email", Personal: true, Category: Consent,
			Label: "the address a subscription was for, when you subscribed with an address alone", Purpose: "to prove who asked for a discussion group's messages, and when they stopped, after the subscription itself is deleted",
			Origin: "typed by you on the list's page", Visible: staff, Retention: listConsentAddressRetention},
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

// listSearchItems declares the search index of postings, the threads of
// each list and the tombstones of removed postings (G1, R4, issue 9). The
// index holds no text of its own that could be read back: on SQLite it is
// contentless, on PostgreSQL it holds the stemmed words of published
// postings, which are public; it follows list_posts through triggers. A
// tombstone keeps no text and no author.
func listSearchItems() []Item {
	items := notPersonal("list_search", "post_id", "subject", "body")
	// On PostgreSQL the index's rows also carry copies of their posting's
	// list, author number and date (migration 0076), kept by the same
	// trigger and gone with the posting, so that a filtered search reads
	// one table; the person behind the number is in list_contributors.
	for _, it := range notPersonal("list_search", "list_id", "contributor_id", "published_at") {
		it.Engine = "postgres"
		items = append(items, it)
	}
	// One row per thread of a list for the page of threads (issue 9):
	// ids, a count and the time of the thread's latest published
	// posting, all public on that page already. It follows list_posts
	// through triggers, so an erasure or a removal of postings changes it
	// with them; it is neither exported nor erased on its own.
	items = append(items, notPersonal("list_threads", "list_id", "thread_id", "posts", "last_at", "last_id")...)
	items = append(items, notPersonal("lists", "searchable")...)
	items = append(items, notPersonal("list_tombstones", "post_id", "list_id", "thread_id", "message_hash", "posted_at", "removed_at", "reason")...)
	return items
}
