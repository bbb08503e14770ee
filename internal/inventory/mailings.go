package inventory

// mailingItems declares participant mailings (D1): each participant's
// choice to receive announcements, the announcements, and for each one the
// recipients fixed when it was sent. The history of each choice is in the
// consent ledger (declared with the people).
func mailingItems() []Item {
	self := []Audience{Self, Secretariat, Admin}
	subscription := Retention{
		Job:  "unconfirmed_signups",
		Rule: "while your account exists; the history of your choices stays in the consent ledger",
	}
	recipients := Retention{
		Key:  "mailing",
		Job:  "mailing",
		Days: 90,
		Rule: "for 90 days after the mailing finished, so staff can see who did not receive it and why and the unsubscribe link in it keeps working; then deleted",
	}
	staffRecord := Retention{
		Job:  "unconfirmed_signups",
		Rule: "as long as the mailing is kept, as the record of what the organization sent; removed with the staff member's account",
	}
	col := func(table, name string, cat Category, label, purpose, origin string, vis []Audience, ret Retention) Item {
		return Item{Kind: Column, Table: table, Name: name, Personal: true, Category: cat,
			Label: label, Purpose: purpose, Origin: origin, Visible: vis, Retention: ret}
	}
	const why = "to send announcements only to participants who asked for them and confirmed"
	items := []Item{
		col("mailing_subscriptions", "person_id", Consent, "whether you asked to receive announcements by e-mail", why, "your choice on your account page", self, subscription),
		col("mailing_subscriptions", "state", Consent, "whether you receive announcements (asked, confirmed or stopped)", why, "your choice, and the confirmation link you follow", self, subscription),
		col("mailing_subscriptions", "requested_at", Consent, "when you asked to receive announcements", why, "set by the site", self, subscription),
		col("mailing_subscriptions", "confirmed_at", Consent, "when you confirmed it by the mailed link", why, "set when you confirm", self, subscription),
		col("mailing_subscriptions", "opted_out_at", Consent, "when you stopped announcements", "to stop mail at once when you ask", "set when you unsubscribe by link (mailed to you again if you reply \"unsubscribe\"), phone or post", self, subscription),
		col("mailing_subscriptions", "opt_out_channel", Consent, "how you stopped them (web, e-mail reply, phone or post)", "to show how an opt-out arrived", "the channel you used", self, subscription),
		col("mailing_subscriptions", "confirm_token_hash", Session, "a one-way hash of the confirmation link mailed to you", "to check the link once when you follow it", "created when you ask for announcements", []Audience{Security}, Retention{Job: "mailing_confirmations", Rule: "until the link is used, or two days later when it expires, then cleared"}),
		col("mailing_subscriptions", "confirm_expires_at", Session, "when that confirmation link expires", "to make the link expire", "set by the site", []Audience{Security}, Retention{Job: "mailing_confirmations", Rule: "until the link is used, or two days later when it expires, then cleared"}),
		col("mailing_recipients", "person_id", Contact, "which announcements were sent to you", "to send each announcement once and report who did not receive it", "fixed when staff send an announcement", self, recipients),
		col("mailing_recipients", "address", Contact, "the address an announcement was sent to", "to send each announcement once and report who did not receive it", "your primary address when the announcement was sent", self, recipients),
		col("mailing_recipients", "state", Contact, "whether your copy was sent, and when", "to send each copy once, also when sending is interrupted", "set while sending", self, recipients),
		col("mailing_recipients", "sent_at", Contact, "when your copy was handed to the mail server", "to send each copy once", "set while sending", self, recipients),
		col("mailing_recipients", "reason", Contact, "why your copy could not be delivered, as the mail server said", "to tell staff exactly who did not get an announcement and why", "the mail server's answer", self, recipients),
		col("mailing_recipients", "attempts", Contact, "how often delivery of your copy was tried", "to retry a deferred copy a limited number of times", "set while sending", self, recipients),
		col("mailing_recipients", "next_try_at", Contact, "when a deferred copy is tried again", "to retry a deferred copy later", "set while sending", self, recipients),
		col("mailing_recipients", "token_hash", Session, "a one-way hash of the unsubscribe link in your copy", "to make the one-click unsubscribe link work, once", "derived from a secret key when your copy is sent", []Audience{Security}, recipients),
		col("mailing_recipients", "unsubscribed_at", Consent, "when you used the unsubscribe link in a copy", "to refuse a link used twice", "set when you unsubscribe", self, recipients),
		col("mailings", "created_by", Identity, "which staff member wrote an announcement", "to know who wrote and sent what the organization mailed", "set when staff write an announcement", []Audience{Secretariat, Admin}, staffRecord),
		col("mailings", "sent_by", Identity, "which staff member sent an announcement", "to know who wrote and sent what the organization mailed", "set when staff send an announcement", []Audience{Secretariat, Admin}, staffRecord),
	}
	items = append(items, notPersonal("mailings", "id", "subject", "body", "created_at", "state", "sent_at", "finished_at")...)
	items = append(items, notPersonal("mailing_recipients", "id", "mailing_id", "claim")...)
	return items
}
