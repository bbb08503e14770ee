package inventory

// Discussion groups, the ingest side: attachments of postings, the
// message ids a posting names for threading, imported archives, and
// bounces of list mail.
var listBounceRetention = Retention{
	Key:  "list_bounce",
	Days: 30,
	Rule: "30 days after the bounce, then deleted; a subscription that bounced 3 times within 14 days stops receiving until you subscribe again, and is deleted if you do not within 30 days",
}

func listIngestItems() []Item {
	staff := []Audience{Secretariat, Admin}
	self := append([]Audience{Self}, staff...)
	public := []Audience{Public}
	col := func(table, name string, cat Category, label, purpose, origin string, visible []Audience, r Retention) Item {
		return Item{Kind: Column, Table: table, Name: name, Personal: true, Category: cat,
			Label: label, Purpose: purpose, Origin: origin, Visible: visible, Retention: r}
	}
	items := []Item{
		col("list_posts", "refs", Content, "the earlier messages a posting answers", "to thread replies", "your mail program", public, listPublicRetention),
		col("list_posts", "base_subject", Content, "a posting's subject without \"Re:\"", "to thread replies", "set by the site", public, listPublicRetention),
		col("list_posts", "imported_at", Content, "when a posting came from an imported archive", "to tell historical records apart", "set by the site", public, listPublicRetention),
		col("list_post_refs", "ref", Content, "the earlier messages a posting answers", "to thread replies that arrive before their parent", "your mail program", public, listPublicRetention),
		col("list_attachments", "filename", Content, "the file name of an attachment to a posting", "to publish the discussion", "your mail program", public, listPublicRetention),
		col("list_attachments", "content_type", Content, "an attachment's type", "to publish the discussion", "your mail program", public, listPublicRetention),
		col("list_attachments", "size", Content, "an attachment's size", "to publish the discussion", "your mail program", public, listPublicRetention),
		col("list_attachments", "data", Content, "an attachment to a posting", "to publish the discussion", "sent by you", public, listPublicRetention),
		col("list_subscriptions", "disabled_at", Contact, "when mail to your subscription stopped because it bounced", "to stop sending to an address that does not work", "bounces of list mail", self, listDisabledRetention),
		col("list_bounces", "received_at", Contact, "when list mail to you bounced", "to stop sending to an address that does not work", "bounces of list mail", staff, listBounceRetention),
		col("list_subscriptions", "unsubscribe_mailed_at", Contact, "when the site last mailed you the link to leave a discussion group, because a message to its -unsubscribe address named your address", "to mail that link at most once a day, whoever's address a message claims to come from", "set by the site", self, listPendingRetention),
		col("list_terms_notices", "sent_at", Contact, "when the site last mailed you the link to accept the contribution terms for a list", "to mail that link at most once a day, whoever's address a message claims to come from", "set by the site", staff, listHeldRetention),
		col("list_bounces", "status", Contact, "the delivery status a bounce gave", "to stop sending to an address that does not work", "bounces of list mail", staff, listBounceRetention),
	}
	items = append(items, notPersonal("list_post_refs", "post_id")...)
	items = append(items, notPersonal("list_attachments", "id", "post_id", "n")...)
	items = append(items, notPersonal("list_bounces", "id", "subscription_id")...)
	items = append(items, notPersonal("list_terms_notices", "list_id", "contributor_id")...)
	return items
}
