package inventory

// registrationRetention is how long a registration's non-public details
// stay: retention.Jobs' "registration" job shreds them this many days
// after the meeting ends (--retention registration=DAYS).
var registrationRetention = Retention{
	Key:  "registration",
	Days: 90,
	Rule: "until 90 days after the meeting ends; then your postal address, e-mail address and any refund reason are removed from the registration, and your affiliation too unless you asked to be on the public attendee list",
}

// registrationRecord is what stays of a registration for the books.
var registrationRecord = Retention{
	Key:  "registration",
	Days: 90,
	Rule: "for the organization's books, after the other details are removed 90 days after the meeting ends",
}

// PaymentsKey is the purpose of the site key that seals a payment's
// card details (secrets.Keys.Sealer).
const PaymentsKey = "payments"

// TestProcessorName is the built-in test card processor's name in the
// processor list; cli enables it when --test-processor-addr is given.
const TestProcessorName = "the built-in test card processor"

// meetingItems declares meetings, registrations and payments (issue 10,
// P1, P2). A registration is seen by the secretariat, who run meetings;
// a payment's card details by finance alone.
func meetingItems() []Item {
	staff := []Audience{Self, Secretariat, Admin}
	reg := func(name string, cat Category, label, purpose string, r Retention) Item {
		return Item{Kind: Column, Table: "registrations", Name: name, Personal: true, Category: cat, Label: label,
			Purpose: purpose, Origin: "typed by you on the registration form", Visible: staff, Retention: r}
	}
	attend := "to register you for the meeting and reach you about it"
	pay := func(name, label string) Item {
		return Item{Kind: Column, Table: "payments", Name: name, Personal: true, Category: Payment, Label: label,
			Purpose: "to keep the books and to refund you", Origin: "sent by the card processor after you paid on its page",
			Visible: []Audience{Self, Finance}, Retention: registrationRecord}
	}
	sealed := func(it Item) Item { it.Sealed = PaymentsKey; return it }
	items := []Item{
		reg("name", Identity, "your name as you gave it when registering (on the public attendee list only if you ask)", attend, registrationRecord),
		reg("email", Contact, "the e-mail address you registered with", attend, registrationRetention),
		reg("postal_address", Contact, "your postal address, if you gave it", "to send you a receipt or a visa letter", registrationRetention),
		reg("affiliation", Identity, "your affiliation, if you gave it (on the public attendee list only if you ask)", attend, registrationRetention),
		reg("list_me", Consent, "whether you asked to be on the public attendee list", "to publish the attendee list only with those who asked", registrationRecord),
		reg("person_id", Identity, "your account, when you registered signed in", "to show the registration on your account page", registrationRecord),
		reg("meeting_id", Content, "the meeting you registered for", attend, registrationRecord),
		reg("ticket_id", Content, "the ticket you chose", attend, registrationRecord),
		reg("status", Payment, "whether your registration is paid", attend, registrationRecord),
		reg("created_at", Content, "when you registered", attend, registrationRecord),
		reg("shredded_at", Content, "when the registration's details were removed", "to show that retention was applied", registrationRecord),
		// The registrant's own requests (cancel, refund; issue 10, account side).
		reg("cancelled_at", Content, "when you cancelled the registration", attend, registrationRecord),
		reg("refund_requested_at", Payment, "when you asked for a refund", "to refund you", registrationRecord),
		reg("refund_reason", Content, "the reason you gave when asking for a refund, if any", "to refund you", registrationRetention),
		pay("registration_id", "the registration a payment is for"),
		pay("amount", "the amount you paid"),
		pay("currency", "the currency you paid in"),
		pay("status", "whether the payment went through, was declined or refunded"),
		pay("transaction_id", "the processor's number for your payment"),
		sealed(pay("auth_code", "the card's authorization code for your payment, encrypted")),
		sealed(pay("last4", "the last four digits of the card you paid with, encrypted; never the full number or the security code")),
		pay("created_at", "when you started paying"),
		pay("updated_at", "when the payment last changed"),
		{Kind: Column, Table: "consent_ledger", Name: "registration_id", Personal: true, Category: Consent,
			Label: "the registration an agreement came with, when you registered without an account", Purpose: "to prove what you agreed to when you registered",
			Origin: "the registration form", Visible: []Audience{Secretariat, Admin}, Retention: consentRetention},
	}
	// The token is the random part of the registrant's own page address;
	// the checkout id and address are the processor's, naming nobody.
	items = append(items, notPersonal("registrations", "id", "token")...)
	items = append(items, notPersonal("payments", "id", "processor", "checkout_id", "checkout_url")...)
	// Checkout claims and refund requests (issue 10): the idempotency keys
	// a checkout and a refund are asked for with, random, naming nobody.
	items = append(items, notPersonal("payments", "start_key", "refund_key")...)
	// A refund the processor did not make: its answer (about the checkout,
	// in the processor's words), when, how often it was asked, and when it
	// is asked again.
	items = append(items, notPersonal("payments", "refund_error", "refund_failed_at", "refund_retry_at", "refund_attempts")...)
	items = append(items, notPersonal("meetings", "id", "name", "starts_on", "ends_on", "place", "online", "time_zone",
		"registration_opens", "registration_closes", "capacity", "publish_attendees", "created_at")...)
	items = append(items, notPersonal("meeting_tickets", "id", "meeting_id", "name", "fee", "currency")...)
	items = append(items, notPersonal("payment_events", "processor", "event_id", "received_at")...)
	return items
}

// meetingProcessors are the card processors meetings can use; none is on
// until configured.
func meetingProcessors() []Processor {
	return []Processor{{
		Name:       TestProcessorName,
		Purpose:    "to take test card payments for meeting registrations on its own page, in demonstrations; it keeps no card detail",
		Location:   "this site's own server, on a separate address",
		Categories: []Category{Payment},
	}, {
		// Stripe Checkout (issue 10); cli enables it with
		// --stripe-secret-key-file.
		Name:       StripeName,
		Purpose:    "to take card payments for meeting registrations on its own page; it tells this site the amount, the outcome and the card's last four digits",
		Location:   "United States and other countries where Stripe operates",
		Categories: []Category{Payment},
	}}
}

// StripeName is Stripe's name in the processor list.
const StripeName = "Stripe (Stripe Checkout)"

// Enable turns on the processor named name, as the configuration asks.
func (inv *Inventory) Enable(name string) {
	for i := range inv.Processors {
		if inv.Processors[i].Name == name {
			inv.Processors[i].Enabled = true
		}
	}
}
