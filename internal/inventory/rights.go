package inventory

import (
	"fmt"
	"strings"
)

// Link says how rows of a table are tied to one person. Exactly one field
// is set. The data-subject rights walker (internal/dsr) reads these to find
// everything about a person, for export (R2) and for removal (R4), so a new
// table is covered by declaring its link here rather than by new code.
type Link struct {
	// Column holds the person's account number (people.id).
	Column string
	// Address holds an e-mail address: rows match the person's confirmed
	// addresses, whatever the capitalization. This is how data from
	// people who wrote without an account (an inquiry) is found.
	Address string
	// Reference holds a text naming the person as "person:ID" (the audit
	// log's subject).
	Reference string
	// Parent and Through: the row belongs to the row of table Parent whose
	// id is in column Through, and so to that row's person.
	Parent, Through string
	// None says why rows cannot be tied to anyone (hashed buckets).
	None string
}

func (l Link) set() int {
	n := 0
	for _, s := range []string{l.Column, l.Address, l.Reference, l.Through, l.None} {
		if s != "" {
			n++
		}
	}
	return n
}

// Action is what an approved removal does to a table's rows about the
// person.
type Action string

const (
	// Delete removes the rows.
	Delete Action = "delete"
	// Pseudonymize keeps the rows but cuts them from the person: the
	// columns in Set get the given values, and the account number they
	// keep leads nowhere once the account is deleted (ids are never
	// reused).
	Pseudonymize Action = "pseudonymize"
	// Keep leaves the rows as a record the organization must keep; Why
	// says which.
	Keep Action = "keep"
)

// Removal is a table's removal action.
type Removal struct {
	Action Action
	// Set maps a column to its SQL replacement value, for Pseudonymize.
	Set map[string]string
	// Why explains the action in plain words (shown on the request page,
	// in the export and in the scan's report).
	Why string
}

// Rights is one personal table's subject links and removal action.
type Rights struct {
	Table   string
	Links   []Link
	Removal Removal
}

// rightsDecls declares, for every table that holds personal data, how its
// rows are tied to a person and what an approved removal does with them.
// Parents come before the tables that point at them; removal walks the
// list backwards.
func rightsDecls() []Rights {
	return []Rights{
		{Table: "people", Links: []Link{{Column: "id"}},
			Removal: Removal{Action: Delete, Why: "your account is deleted"}},
		{Table: "person_emails", Links: []Link{{Column: "person_id"}},
			Removal: Removal{Action: Delete, Why: "your addresses are deleted"}},
		{Table: "person_roles", Links: []Link{{Column: "person_id"}},
			Removal: Removal{Action: Delete, Why: "your roles are deleted"}},
		{Table: "person_changes", Links: []Link{{Column: "person_id"}},
			Removal: Removal{Action: Delete, Why: "the history of your details is deleted"}},
		{Table: "sessions", Links: []Link{{Column: "person_id"}},
			Removal: Removal{Action: Delete, Why: "every sign-in and remember-me token ends"}},
		{Table: "auth_tokens", Links: []Link{{Column: "person_id"}},
			Removal: Removal{Action: Delete, Why: "links mailed to you stop working"}},
		{Table: "rate_limits", Links: []Link{{None: "each counter is a one-way hash of an address or IP address with an action, so it cannot be listed by person"}},
			Removal: Removal{Action: Keep, Why: "cannot be tied to you; each counter is deleted 15 minutes after its window"}},
		{Table: "inquiries", Links: []Link{{Address: "email"}},
			Removal: Removal{Action: Delete, Why: "inquiries sent from your confirmed addresses are deleted"}},
		{Table: "inquiry_messages", Links: []Link{{Parent: "inquiries", Through: "inquiry_id"}},
			Removal: Removal{Action: Delete, Why: "the answers and replies of those inquiries are deleted"}},
		{Table: "mailing_subscriptions", Links: []Link{{Column: "person_id"}},
			Removal: Removal{Action: Delete, Why: "your choice about announcements is deleted; the consent record keeps its history"}},
		{Table: "mailing_recipients", Links: []Link{{Column: "person_id"}},
			Removal: Removal{Action: Delete, Why: "the record of which announcements were sent to you is deleted"}},
		{Table: "mailings", Links: []Link{{Column: "created_by"}, {Column: "sent_by"}},
			Removal: Removal{Action: Keep, Why: "the record of what the organization sent names the staff member who wrote and sent it; the name goes when that staff account is deleted"}},
		{Table: "list_subscriptions", Links: []Link{{Column: "person_id"}, {Address: "email"}},
			Removal: Removal{Action: Delete, Why: "your discussion-group subscriptions end"}},
		{Table: "list_deliveries", Links: []Link{{Parent: "list_subscriptions", Through: "subscription_id"}},
			Removal: Removal{Action: Delete, Why: "the record of which postings were sent to you is deleted"}},
		{Table: "list_contributors", Links: []Link{{Column: "person_id"}, {Address: "email"}},
			Removal: Removal{Action: Pseudonymize, Set: map[string]string{
				"name":      "'A former participant'",
				"email":     "'removed-' || CAST(id AS TEXT) || '@invalid'",
				"person_id": "NULL",
			}, Why: "your postings are public records: they stay, attributed to \"A former participant\" instead of your name and address"}},
		{Table: "list_posts", Links: []Link{{Parent: "list_contributors", Through: "contributor_id"}},
			Removal: Removal{Action: Keep, Why: "postings to discussion groups are public records; they stay in the archive under the pseudonym above"}},
		{Table: "drafts", Links: []Link{{None: "its author names are a copy, for the list of drafts, of the names printed in the drafts themselves; each author is found through draft_authors"}},
			Removal: Removal{Action: Keep, Why: "Internet-Drafts are public records that stay readable for good"}},
		{Table: "draft_revisions", Links: []Link{{Column: "submitter_id"}},
			Removal: Removal{Action: Keep, Why: "a posted draft is a public record; it names who posted it by account number only, which leads nowhere once the account is deleted"}},
		{Table: "draft_authors", Links: []Link{{Column: "person_id"}, {Address: "email"}},
			Removal: Removal{Action: Keep, Why: "the authors of a draft are part of the public record, as printed in the draft itself"}},
		{Table: "registrations", Links: []Link{{Column: "person_id"}, {Address: "email"}},
			Removal: Removal{Action: Pseudonymize, Set: map[string]string{
				"name":           "'A former participant'",
				"email":          "'removed-' || CAST(id AS TEXT) || '@invalid'",
				"postal_address": "''",
				"affiliation":    "''",
				"list_me":        "FALSE",
				"person_id":      "NULL",
			}, Why: "your meeting registrations stay for the organization's books, without your name, addresses or affiliation, and off any attendee list"}},
		{Table: "payments", Links: []Link{{Parent: "registrations", Through: "registration_id"}},
			Removal: Removal{Action: Keep, Why: "the minimal payment record bookkeeping requires (amount, status, the processor's reference and the card's last four digits, encrypted and seen by finance only) stays with the registration"}},
		{Table: "consent_ledger", Links: []Link{{Column: "person_id"}, {Parent: "inquiries", Through: "inquiry_id"}},
			Removal: Removal{Action: Pseudonymize, Why: "the ledger is append-only proof of consent: its entries stay, with a number that no longer leads to you once your account is deleted"}},
		{Table: "removal_requests", Links: []Link{{Column: "person_id"}},
			Removal: Removal{Action: Pseudonymize, Set: map[string]string{"note": "''"},
				Why: "the record that your request was answered stays, without your note and with a number that no longer leads to you"}},
		{Table: "audit_log", Links: []Link{{Reference: "subject"}, {Column: "actor_id"}},
			Removal: Removal{Action: Keep, Why: "the audit log is the accountability record of staff access to restricted data; it is kept for its retention period and refers to you by number only"}},
	}
}

// Rights returns every table's rights declaration, parents first.
func (inv *Inventory) Rights() []Rights { return append([]Rights(nil), inv.rights...) }

// RightsFor returns the declaration for table.
func (inv *Inventory) RightsFor(table string) (Rights, bool) {
	for _, r := range inv.rights {
		if r.Table == table {
			return r, true
		}
	}
	return Rights{}, false
}

// checkRights returns the problems of the rights declarations: a table
// without a link or a removal action, a link that names no column or more
// than one kind, a parent declared after its child or not at all, and a
// personal table with no declaration.
func checkRights(rights []Rights, personalTables []string) []string {
	var problems []string
	seen := map[string]bool{}
	for _, r := range rights {
		if seen[r.Table] {
			problems = append(problems, "rights for "+r.Table+" are declared twice")
		}
		if len(r.Links) == 0 {
			problems = append(problems, r.Table+" declares no subject link")
		}
		for _, l := range r.Links {
			if l.set() != 1 || (l.Parent == "") != (l.Through == "") {
				problems = append(problems, fmt.Sprintf("%s has a subject link that is not exactly one kind: %+v", r.Table, l))
			}
			if l.Parent != "" && !seen[l.Parent] {
				problems = append(problems, r.Table+" links through "+l.Parent+", which must be declared before it")
			}
		}
		switch r.Removal.Action {
		case Delete, Keep:
			if len(r.Removal.Set) > 0 {
				problems = append(problems, r.Table+" sets columns but does not pseudonymize")
			}
		case Pseudonymize:
		default:
			problems = append(problems, r.Table+" declares no removal action")
		}
		if r.Removal.Why == "" {
			problems = append(problems, r.Table+" does not say why its removal action is right")
		}
		seen[r.Table] = true
	}
	for _, t := range personalTables {
		if !seen[t] {
			problems = append(problems, "personal table "+t+" declares no subject link and removal action (internal/inventory/rights.go)")
		}
	}
	return problems
}

// SetRights checks rights against the inventory's personal tables and
// installs them.
func (inv *Inventory) SetRights(rights []Rights) error {
	if problems := checkRights(rights, inv.PersonalTables()); len(problems) > 0 {
		return fmt.Errorf("data inventory rights: %s", strings.Join(problems, "; "))
	}
	inv.rights = append([]Rights(nil), rights...)
	return nil
}
