package inventory

// Retention rules for participant data.
var (
	accountRetention = Retention{
		Job:  "unconfirmed_signups",
		Rule: "while your account exists; removed with it when you ask for removal and staff approve, and a week after sign-up if the address was never confirmed (sooner, if someone signs up with that address again before it is)",
	}
	changeRetention = Retention{
		Key:  "person_changes",
		Days: 365,
		Rule: "for one year after the change, so that a correction can be checked or undone; then the old and new values are deleted",
	}
	sessionRetention = Retention{
		Job: "sessions",
		Rule: "until you sign out or the session expires (" + DurationText(SessionCookie.lifetime) + " for a session, " +
			DurationText(RememberCookie.lifetime) + " when you asked to be remembered), then deleted",
	}
	tokenRetention = Retention{
		Job:  "auth_tokens",
		Rule: "until the link is used or expires (two days for address confirmation, one hour for a password reset, 15 minutes for a sign-in link), then deleted",
	}
	rateRetention = Retention{
		Job:  "rate_limits",
		Rule: "for the 15-minute window it counts, then deleted",
	}
	consentRetention = Retention{
		Forever: true,
		Rule:    "as long as the site runs: the ledger is append-only, because it is the proof of what you agreed to and when; if your account is removed, its entries keep only a number that no longer leads to you",
	}
)

// peopleItems declares participants, their addresses, roles and change
// history, sign-in state and the consent ledger (C4, C5, R3).
func peopleItems() []Item {
	self := []Audience{Self, Secretariat, Admin}
	col := func(table, name string, cat Category, label, purpose, origin string, vis []Audience, ret Retention) Item {
		return Item{Kind: Column, Table: table, Name: name, Personal: true, Category: cat,
			Label: label, Purpose: purpose, Origin: origin, Visible: vis, Retention: ret}
	}
	items := []Item{
		col("people", "name", Identity, "your name", "to show who you are in the organization's work, to address you and to attribute your contributions", "typed by you at sign-up or later, or taken from a public contribution", self, accountRetention),
		col("people", "postal_address", Contact, "your postal address, if you give one", "to send you what you ask for by post and to answer requests made by post", "typed by you on your account page", self, accountRetention),
		col("people", "affiliation", Identity, "your affiliation, if you give one", "to show whom you work for alongside your contributions, as is customary in standards work", "typed by you on your account page", self, accountRetention),
		col("people", "password_hash", Identity, "a one-way hash of your password", "to check your password when you sign in; the password itself is never stored", "derived from the password you choose", []Audience{Self}, accountRetention),
		col("people", "age_attested_at", Identity, "when you confirmed you are 13 or older", "to show that sign-up asked for your age, as children under 13 may not have an account", "your answer at sign-up", self, accountRetention),
		col("people", "created_at", Identity, "when your account was created", "to keep the account's history", "set by the site", self, accountRetention),
		col("people", "updated_at", Identity, "when your details last changed", "to keep the account's history", "set by the site", self, accountRetention),
		col("person_emails", "address", Contact, "your e-mail addresses, each with where it came from (you, a meeting registration, a draft you wrote, a list posting, or staff)", "to sign you in, to send what you asked for, and to attribute public contributions", "typed by you, or taken from a public contribution or registration", self, Retention{Job: "unconfirmed_signups", Rule: "while your account exists; an address from a public record (a draft or a list posting) can be deactivated but stays with that record"}),
		col("person_emails", "address_key", Contact, "your e-mail address in lower case", "to find your account by address whatever the capitalization", "derived from your address", self, accountRetention),
		col("person_emails", "verified_at", Contact, "when you confirmed an address", "to send mail only to addresses you proved are yours", "set when you follow the confirmation link", self, accountRetention),
		col("person_emails", "created_at", Contact, "when an address was added", "to keep the account's history", "set by the site", self, accountRetention),
		col("person_roles", "role", Identity, "your roles on the site (participant, or a staff role)", "to decide what you may see and do (least access)", "assigned at sign-up, staff roles by an administrator", []Audience{Self, Admin}, accountRetention),
		col("person_roles", "granted_at", Identity, "when a role was given", "to keep the account's history", "set by the site", []Audience{Self, Admin}, accountRetention),
		col("person_changes", "old_value", Identity, "earlier values of your details, after a correction", "to show you and staff who changed what, and to undo a mistaken correction", "kept when you or staff change a detail", self, changeRetention),
		col("person_changes", "new_value", Identity, "the value a detail was corrected to", "to show you and staff who changed what", "kept when you or staff change a detail", self, changeRetention),
		col("person_changes", "field", Identity, "which detail was changed", "to show you and staff who changed what", "kept when you or staff change a detail", self, changeRetention),
		col("person_changes", "actor_id", Identity, "who made a change (you or a staff member)", "to show you and staff who changed what", "kept when you or staff change a detail", self, changeRetention),
		col("person_changes", "changed_at", Identity, "when a change was made", "to show you and staff who changed what", "kept when you or staff change a detail", self, changeRetention),
		col("sessions", "token_hash", Session, "a one-way hash of your sign-in token", "to recognise your browser as signed in, on every instance of the site", "created when you sign in", []Audience{Security}, sessionRetention),
		col("sessions", "created_at", Session, "when you signed in", "to end sessions after their lifetime", "set when you sign in", []Audience{Security}, sessionRetention),
		col("sessions", "expires_at", Session, "when a sign-in expires", "to end sessions after their lifetime", "set when you sign in", []Audience{Security}, sessionRetention),
		col("sessions", "family", Session, "a random mark shared by the sign-in tokens that descend from one sign-in", "to end all of them at once when a used remember-me token comes back, which means someone copied it", "set when you sign in", []Audience{Security}, sessionRetention),
		col("auth_tokens", "token_hash", Session, "a one-way hash of a link mailed to you (address confirmation, password reset, or a sign-in link after many failed sign-ins)", "to check the link when you follow it, once", "created when the site mails you a link", []Audience{Security}, tokenRetention),
		col("auth_tokens", "created_at", Session, "when such a link was sent", "to make the link expire", "set by the site", []Audience{Security}, tokenRetention),
		col("auth_tokens", "expires_at", Session, "when such a link expires", "to make the link expire", "set by the site", []Audience{Security}, tokenRetention),
		col("auth_tokens", "used_at", Session, "when such a link was used", "to refuse a link used twice", "set when you follow the link", []Audience{Security}, tokenRetention),
		col("rate_limits", "bucket", Network, "a one-way hash of the IP address or e-mail address of recent sign-in, sign-up and reset attempts", "to slow down password guessing and sign-up abuse", "computed from your request", []Audience{Security}, rateRetention),
		col("rate_limits", "window_start", Network, "the 15-minute window of such attempts", "to slow down password guessing and sign-up abuse", "set by the site", []Audience{Security}, rateRetention),
		col("rate_limits", "hits", Network, "how many attempts came in that window", "to slow down password guessing and sign-up abuse", "counted by the site", []Audience{Security}, rateRetention),
		col("consent_ledger", "person_id", Consent, "the account an agreement belongs to", "to prove what you agreed to, and to show you your own record", "your account", self, consentRetention),
		col("consent_ledger", "purpose", Consent, "what you agreed to or withdrew (an account, a mailing, a version of this statement)", "to prove what you agreed to", "your choice on a form, or by e-mail, phone or post", self, consentRetention),
		col("consent_ledger", "granted", Consent, "whether you gave or withdrew agreement", "to prove what you agreed to", "your choice", self, consentRetention),
		col("consent_ledger", "policy_version_id", Consent, "the version of this statement you saw", "to prove which terms you agreed to", "the version current at the time", self, consentRetention),
		col("consent_ledger", "channel", Consent, "how you told us (web, e-mail, phone, post, or through staff), or bounce when the site ended a discussion-group subscription because mail to it kept bouncing", "to prove how agreement was given", "the form or the staff member who recorded it", self, consentRetention),
		col("consent_ledger", "transfer_statement", Consent, "the statement you were shown about where your data is processed and by whom", "to prove what you were told about transfers", "the text on the form you sent", self, consentRetention),
		col("consent_ledger", "recorded_by", Consent, "the staff member who recorded an agreement made by phone or post", "to prove how agreement was given", "set by staff", self, consentRetention),
		col("consent_ledger", "recorded_at", Consent, "when you agreed or withdrew", "to prove when agreement was given", "set by the site", self, consentRetention),
	}
	items = append(items, notPersonal("people", "id")...)
	items = append(items, notPersonal("person_emails", "id", "person_id", "origin", "is_primary", "active")...)
	items = append(items, notPersonal("person_roles", "person_id")...)
	items = append(items, notPersonal("person_changes", "id", "person_id")...)
	items = append(items, notPersonal("sessions", "id", "person_id", "kind")...)
	items = append(items, notPersonal("auth_tokens", "id", "purpose", "person_id", "email_id")...)
	items = append(items, notPersonal("consent_ledger", "id")...)
	return items
}
