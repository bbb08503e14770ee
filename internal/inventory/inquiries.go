package inventory

// inquiryRetention is how long an inquiry and its thread stay: the
// sweeper inquiries.SweepInquiries deletes them this many days after they
// are closed (--retention inquiry=DAYS).
var inquiryRetention = Retention{
	Key:  "inquiry",
	Days: 180,
	Rule: "until it is answered and closed, and then for 180 days in case you write again about it; then the inquiry and every message of its thread are deleted",
}

// inquiryItems declares the contact form's inquiries and their threads
// (C4, U5, R1). Contact details are seen only by the staff who answer
// inquiries: the secretariat, and administrators alone for privacy
// questions and requests.
func inquiryItems() []Item {
	staff := []Audience{Secretariat, Admin}
	col := func(table, name string, cat Category, label, purpose, origin string) Item {
		return Item{Kind: Column, Table: table, Name: name, Personal: true, Category: cat,
			Label: label, Purpose: purpose, Origin: origin, Visible: staff, Retention: inquiryRetention}
	}
	answer := "to answer your inquiry, and for nothing else"
	items := []Item{
		col("inquiries", "name", Identity, "your name, as you typed it on the contact form", answer, "typed by you on the contact form"),
		col("inquiries", "email", Contact, "the e-mail address you want the answer sent to", answer, "typed by you on the contact form"),
		col("inquiries", "category", Content, "the kind of question you chose (privacy questions and requests are read by administrators only)", "to send your inquiry to the staff who can answer it", "chosen by you on the contact form"),
		col("inquiries", "message", Content, "your message", answer, "typed by you on the contact form"),
		col("inquiries", "closed_at", Content, "when your inquiry was closed", "to delete it when its retention ends", "set when staff close it"),
		col("inquiries", "closed_by", Content, "the staff member who closed it", "to show staff who handled it", "set when staff close it"),
		col("inquiries", "created_at", Content, "when you sent your inquiry", "to answer inquiries in order", "set by the site"),
		col("inquiries", "updated_at", Content, "when the inquiry last changed", "to show staff which inquiries have news", "set by the site"),
		col("inquiry_messages", "body", Content, "the answers staff sent you and your replies to them by e-mail", answer, "written by staff, or your reply by e-mail to an answer"),
		col("inquiry_messages", "direction", Content, "whether a message of the thread came from staff or from you", answer, "set by the site"),
		col("inquiry_messages", "staff_id", Content, "the staff member who wrote an answer", "to show who answered", "set by the site"),
		col("inquiry_messages", "created_at", Content, "when each message of the thread was sent", answer, "set by the site"),
		{Kind: Column, Table: "consent_ledger", Name: "inquiry_id", Personal: true, Category: Consent,
			Label: "the inquiry an agreement came with, when you wrote without an account", Purpose: "to prove what you agreed to when you sent an inquiry",
			Origin: "the contact form", Visible: staff, Retention: consentRetention},
	}
	// reply_token is a random value in the address staff answer from; it
	// says nothing about anyone.
	items = append(items, notPersonal("inquiries", "id", "reply_token")...)
	items = append(items, notPersonal("inquiry_messages", "id", "inquiry_id")...)
	return items
}
