package inventory

// outboxItems declares the outbox of account mail (internal/outbox): each
// message waits here, sealed with the site's key, until the mail server
// accepts it, and is then deleted.
func outboxItems() []Item {
	ret := Retention{Job: "mail_outbox", Days: 2,
		Rule: "until the mail server accepts the message, then deleted; one never delivered after two days"}
	return append(notPersonal("mail_outbox", "id", "what", "claimed_until", "created_at"),
		Item{Kind: Column, Table: "mail_outbox", Name: "sealed", Personal: true, Category: Contact,
			Label: "a message to you (address, text and its one-time link), encrypted", Purpose: "to send account mail even if the site stops just after your request",
			Origin: "written by the site when you sign up, ask for a link or register", Visible: []Audience{Security}, Retention: ret})
}
