package inventory

import (
	"fmt"
	"strings"
)

// removedAddress is the SQL of the address a pseudonym puts in a row in
// place of a person's: unique to the row, under the top-level domain
// "invalid", which RFC 2606 reserves so that it reaches no one.
const removedAddress = "'removed-' || CAST(id AS TEXT) || '@invalid'"

// IsRemovedAddress reports whether addr is an address a pseudonym made
// (removedAddress): a page shows it to no one, as it names nobody.
func IsRemovedAddress(addr string) bool {
	return strings.HasSuffix(strings.ToLower(addr), "@invalid")
}

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
	// When, with Column, is an extra SQL condition a row must meet to be
	// the person's to see (a disclosure they may not yet be told of is
	// not); identifiers and all come from this file, never from input.
	When string
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

// Rights is one personal table's subject links and removal actions.
type Rights struct {
	Table string
	// Category is the removal category the table belongs to: a removal
	// request is decided category by category (R4).
	Category string
	Links    []Link
	// Removal is what happens to the rows when the removal of the
	// table's category is approved.
	Removal Removal
	// Detached is what happens to them when the account is removed but
	// the removal of this category is declined: the rows stay, cut from
	// the person (a pseudonym for the author of a posting). Tables of the
	// account category have none.
	Detached Removal
	// Rebuild lists the copies other tables keep of this table's rows,
	// recomputed in the same transaction whenever a removal or purge
	// changes the rows, so that no copy keeps what was removed.
	Rebuild []Rebuild
}

// Rebuild is a column that copies data of another table's rows (a
// denormalized column, such as a draft's author names kept for the list
// and search): after a removal deletes or pseudonymizes the rows it is
// made from, it is computed again from what is left. The SQL comes from
// this file, never from input.
type Rebuild struct {
	// Table and Column hold the copy.
	Table, Column string
	// Key is an SQL expression over a row of the declaring table giving
	// the id of the Table row whose copy includes it.
	Key string
	// Value is the SQL expression that computes Column again for a row
	// of Table, which it names by its table name.
	Value string
}

// The removal categories, as people understand their data. Account comes
// first; its removal runs last, after the others, because it deletes the
// addresses that find the rest.
const (
	CategoryAccount       = "account"
	CategoryInquiries     = "inquiries"
	CategoryRegistrations = "registrations"
	CategoryPostings      = "postings"
	CategoryDrafts        = "drafts"
)

// RemovalCategory is one category of a removal request.
type RemovalCategory struct {
	Name  string
	Label string
}

// RemovalCategories lists every category, in the order staff decide them.
func RemovalCategories() []RemovalCategory {
	return []RemovalCategory{
		{CategoryAccount, "Your account and what comes with it: addresses, roles, sign-ins, subscriptions, announcements and the consent record"},
		{CategoryInquiries, "Inquiries sent from your addresses and their answers"},
		{CategoryRegistrations, "Meeting registrations and their payment records"},
		{CategoryPostings, "Your discussion-group postings"},
		{CategoryDrafts, "Internet-Drafts you posted or are named an author of, and IPR disclosures and liaison statements that name you as contact"},
	}
}

// rightsDecls declares, for every table that holds personal data, how its
// rows are tied to a person and what an approved removal does with them.
// Parents come before the tables that point at them; removal walks the
// list backwards.
func rightsDecls() []Rights {
	acct := func(table string, links []Link, r Removal) Rights {
		return Rights{Table: table, Category: CategoryAccount, Links: links, Removal: r}
	}
	pseudonym := map[string]string{
		"name":      "'A former participant'",
		"email":     removedAddress,
		"person_id": "NULL",
	}
	return []Rights{
		acct("people", []Link{{Column: "id"}}, Removal{Action: Delete, Why: "your account is deleted"}),
		acct("person_emails", []Link{{Column: "person_id"}}, Removal{Action: Delete, Why: "your addresses are deleted"}),
		acct("person_roles", []Link{{Column: "person_id"}}, Removal{Action: Delete, Why: "your roles are deleted"}),
		acct("person_changes", []Link{{Column: "person_id"}}, Removal{Action: Delete, Why: "the history of your details is deleted"}),
		acct("sessions", []Link{{Column: "person_id"}}, Removal{Action: Delete, Why: "every sign-in and remember-me token ends"}),
		acct("auth_tokens", []Link{{Column: "person_id"}}, Removal{Action: Delete, Why: "links mailed to you stop working"}),
		acct("rate_limits", []Link{{None: "each counter is a one-way hash of an address or IP address with an action, so it cannot be listed by person"}},
			Removal{Action: Keep, Why: "cannot be tied to you; each counter is deleted 15 minutes after its window"}),
		{Table: "inquiries", Category: CategoryInquiries, Links: []Link{{Address: "email"}},
			Removal:  Removal{Action: Delete, Why: "inquiries sent from your confirmed addresses are deleted"},
			Detached: Removal{Action: Keep, Why: "your inquiries stay until their retention period ends, then they are deleted"}},
		{Table: "inquiry_messages", Category: CategoryInquiries, Links: []Link{{Parent: "inquiries", Through: "inquiry_id"}},
			Removal:  Removal{Action: Delete, Why: "the answers and replies of those inquiries are deleted"},
			Detached: Removal{Action: Keep, Why: "the answers and replies stay with their inquiry"}},
		acct("mailing_subscriptions", []Link{{Column: "person_id"}}, Removal{Action: Delete, Why: "your choice about announcements is deleted; the consent record keeps its history"}),
		acct("mailing_recipients", []Link{{Column: "person_id"}}, Removal{Action: Delete, Why: "the record of which announcements were sent to you is deleted"}),
		acct("mailings", []Link{{Column: "created_by"}, {Column: "sent_by"}},
			Removal{Action: Keep, Why: "the record of what the organization sent names the staff member who wrote and sent it; the name goes when that staff account is deleted"}),
		acct("list_subscriptions", []Link{{Column: "person_id"}, {Address: "email"}}, Removal{Action: Delete, Why: "your discussion-group subscriptions end"}),
		acct("list_deliveries", []Link{{Parent: "list_subscriptions", Through: "subscription_id"}}, Removal{Action: Delete, Why: "the record of which postings were sent to you is deleted"}),
		{Table: "list_contributors", Category: CategoryPostings, Links: []Link{{Column: "person_id"}, {Address: "email"}},
			Removal: Removal{Action: Delete, Why: "you are no longer named as an author of postings"},
			Detached: Removal{Action: Pseudonymize, Set: pseudonym,
				Why: "your postings are public records: they stay, attributed to \"A former participant\" instead of your name and address"}},
		{Table: "list_posts", Category: CategoryPostings, Links: []Link{{Parent: "list_contributors", Through: "contributor_id"}},
			Removal:  Removal{Action: Delete, Why: "your postings are deleted from the archive"},
			Detached: Removal{Action: Keep, Why: "postings to discussion groups are public records; they stay in the archive under the pseudonym above"}},
		// Discussion groups, the ingest side.
		{Table: "list_attachments", Category: CategoryPostings, Links: []Link{{Parent: "list_posts", Through: "post_id"}},
			Removal:  Removal{Action: Delete, Why: "the attachments of your postings are deleted with them"},
			Detached: Removal{Action: Keep, Why: "attachments of postings are part of the public record, as the postings are"}},
		{Table: "list_post_refs", Category: CategoryPostings, Links: []Link{{Parent: "list_posts", Through: "post_id"}},
			Removal:  Removal{Action: Delete, Why: "which messages your postings answered is deleted with them"},
			Detached: Removal{Action: Keep, Why: "which messages a posting answers is part of the public record, as the postings are"}},
		acct("list_bounces", []Link{{Parent: "list_subscriptions", Through: "subscription_id"}}, Removal{Action: Delete, Why: "the record of bounced list mail to you is deleted"}),
		acct("list_terms_notices", []Link{{Parent: "list_contributors", Through: "contributor_id"}}, Removal{Action: Delete, Why: "when the link to accept the contribution terms was last mailed to you is deleted"}),
		{Table: "drafts", Category: CategoryDrafts, Links: []Link{{None: "its author names are a copy, for the list of drafts, of the names printed in the drafts themselves; each author is found through draft_authors"}},
			Removal:  Removal{Action: Keep, Why: "Internet-Drafts are public records that stay listed for good; their author names are made again from the author list below"},
			Detached: Removal{Action: Keep, Why: "Internet-Drafts are public records that stay listed for good; their author names are made again from the author list below"}},
		{Table: "draft_revisions", Category: CategoryDrafts, Links: []Link{{Column: "submitter_id"}},
			// Blanked rather than deleted: the list of drafts and their
			// revision history stay whole, without the content.
			Removal: Removal{Action: Pseudonymize, Set: map[string]string{
				"abstract": "'Removed at the request of its author.'", "xml_source": "''", "txt_source": "''", "refs": "''", "submitter_id": "NULL"},
				Why: "the text of the revisions you posted is removed; the draft's name, title and date stay listed"},
			Detached: Removal{Action: Pseudonymize, Set: map[string]string{"submitter_id": "NULL"},
				Why: "a posted draft is a public record: it stays, no longer tied to your account"}},
		{Table: "draft_authors", Category: CategoryDrafts, Links: []Link{{Column: "person_id"}, {Address: "email"}},
			Removal: Removal{Action: Delete, Why: "you are no longer listed as an author of drafts"},
			Detached: Removal{Action: Pseudonymize, Set: map[string]string{
				"name": "'A former participant'", "email": "''", "affiliation": "''", "person_id": "NULL"},
				Why: "the drafts stay as public records; the author list names \"A former participant\" instead of you"},
			// drafts.authors copies the author names of each draft's
			// latest revision, in order, for the list and search.
			Rebuild: []Rebuild{{Table: "drafts", Column: "authors",
				Key: "(SELECT draft_id FROM draft_revisions WHERE draft_revisions.id = draft_authors.revision_id)",
				Value: `COALESCE((SELECT string_agg(a.name, ', ' ORDER BY a.position) FROM draft_authors a
					JOIN draft_revisions r ON r.id = a.revision_id WHERE r.draft_id = drafts.id AND r.rev = drafts.rev), '')`}}},
		{Table: "registrations", Category: CategoryRegistrations, Links: []Link{{Column: "person_id"}, {Address: "email"}},
			Removal: Removal{Action: Delete, Why: "your meeting registrations are deleted"},
			Detached: Removal{Action: Pseudonymize, Set: map[string]string{
				"name":           "'A former participant'",
				"email":          removedAddress,
				"postal_address": "''",
				"affiliation":    "''",
				"list_me":        "FALSE",
				"person_id":      "NULL",
			}, Why: "your meeting registrations stay for the organization's books, without your name, addresses or affiliation, and off any attendee list"}},
		{Table: "payments", Category: CategoryRegistrations, Links: []Link{{Parent: "registrations", Through: "registration_id"}},
			Removal:  Removal{Action: Delete, Why: "the payment records of those registrations are deleted"},
			Detached: Removal{Action: Keep, Why: "the minimal payment record bookkeeping requires (amount, status, the processor's reference and the card's last four digits, encrypted and seen by finance only) stays with the registration"}},
		// IPR disclosures and liaison statements (issue 11): public
		// records that stay; the contact person can be cut from them.
		{Table: "ipr_disclosures", Category: CategoryDrafts, Links: []Link{{Column: "submitter_id"}, {Address: "contact_email"}},
			Removal: Removal{Action: Pseudonymize, Set: map[string]string{
				"contact_name":  "'A former contact'",
				"contact_email": removedAddress,
				"contact_info":  "''",
			}, Why: "a disclosure is a public record and stays under its holder's name, without the contact name and details it gave (the staff decide, as a disclosure you sent may name another contact)"},
			Detached: Removal{Action: Keep, Why: "a disclosure is a public record and stays as posted, its contact included, when the removal of documents is declined"}},
		{Table: "liaison_statements", Category: CategoryDrafts, Links: []Link{{Address: "contact_email"}},
			Removal: Removal{Action: Pseudonymize, Set: map[string]string{
				"contact_name":  "'A former contact'",
				"contact_email": removedAddress,
			}, Why: "a liaison statement is a public record and stays, without your name and address as its contact; the staff member who entered it is kept by account number"},
			Detached: Removal{Action: Keep, Why: "a liaison statement is a public record and stays as posted, its contact included, when the removal of documents is declined"}},
		{Table: "liaison_attachments", Category: CategoryDrafts, Links: []Link{{Parent: "liaison_statements", Through: "statement_id"}},
			Removal:  Removal{Action: Keep, Why: "the attachments are the sending organization's documents, part of the public record"},
			Detached: Removal{Action: Keep, Why: "the attachments are the sending organization's documents, part of the public record"}},
		// An entry of a discussion-group subscription made with an address
		// alone keeps that address (migration 0078), since its
		// subscription's row is gone once it ends.
		// Besides the account: the entries that came with what the
		// person sent from an address they proved, with no account then
		// (an inquiry, a registration, a subscription or a first posting).
		acct("consent_ledger", []Link{{Column: "person_id"}, {Parent: "inquiries", Through: "inquiry_id"}, {Address: "email"},
			{Parent: "registrations", Through: "registration_id"}, {Parent: "list_subscriptions", Through: "subscription_id"},
			{Parent: "list_contributors", Through: "contributor_id"}},
			Removal{Action: Keep, Why: "the ledger is append-only proof of consent: its entries stay, with a number that no longer leads to you once your account is deleted; the entries of a discussion-group subscription you made with an address alone keep that address, as the proof that you asked for mail to it and when you stopped"}),
		acct("removal_requests", []Link{{Column: "person_id"}}, Removal{Action: Pseudonymize, Set: map[string]string{"note": "''"},
			Why: "the record that your request was answered stays, without your note and with a number that no longer leads to you"}),
		acct("removal_decisions", []Link{{Parent: "removal_requests", Through: "request_id"}},
			Removal{Action: Keep, Why: "the decision on each kind of data stays as the record that your request was answered"}),
		acct("audit_log", []Link{{Reference: "subject"}, {Column: "actor_id"}},
			Removal{Action: Keep, Why: "the audit log is the accountability record of staff access to restricted data; it is kept for its retention period and refers to you by number only"}),
		// The register of disclosures required by law (U4). An entry the
		// person may not be told of yet stays out of their copy.
		acct("disclosures", []Link{{Column: "person_id", When: "told_at IS NOT NULL"}},
			Removal{Action: Keep, Why: "the register of disclosures required by law is kept for its retention period and refers to you by number only"}),
		// The durable outbox of account mail.
		acct("mail_outbox", []Link{{None: "each message is encrypted whole, address included, so it cannot be listed by person"}},
			Removal{Action: Keep, Why: "cannot be tied to you; each message is deleted once sent, or after two days"}),
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
		problems = append(problems, checkCategory(r)...)
		for _, b := range r.Rebuild {
			if b.Table == "" || b.Column == "" || b.Key == "" || b.Value == "" {
				problems = append(problems, fmt.Sprintf("%s declares a rebuild without its table, column, key or value: %+v", r.Table, b))
			}
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

// checkCategory: a table belongs to a known removal category; outside the
// account category it says what happens to its rows when the account goes
// but the category's removal is declined.
func checkCategory(r Rights) []string {
	known := false
	for _, c := range RemovalCategories() {
		known = known || c.Name == r.Category
	}
	if !known {
		return []string{r.Table + " names no removal category"}
	}
	d := r.Detached
	switch {
	case r.Category == CategoryAccount && d.Action != "":
		return []string{r.Table + " is part of the account and cannot be detached from it"}
	case r.Category == CategoryAccount:
		return nil
	case d.Action != Keep && d.Action != Pseudonymize, d.Why == "":
		return []string{r.Table + " does not say, with why, what happens to its rows when the account goes and its category stays"}
	case d.Action == Keep && len(d.Set) > 0:
		return []string{r.Table + " sets columns but does not pseudonymize"}
	}
	return nil
}

// Follow declares a table whose rows are made from another table's and
// kept in step with them by the database (a search index): it is nobody's
// on its own, and goes when its source row goes. The residue scan marks
// what it finds there as it marks the source row, so that the index of a
// posting kept as a public record is not reported as something left over.
type Follow struct {
	Table string
	Key   string // the column holding the source row's id
	Of    string // the source table, which declares rights
}

func followDecls() []Follow {
	return []Follow{{Table: "list_search", Key: "post_id", Of: "list_posts"}}
}

// setFollows checks that each source declares rights and each follower
// does not (it would then be exported and removed on its own), and
// installs them.
func (inv *Inventory) setFollows(fs []Follow) error {
	for _, f := range fs {
		if _, ok := inv.RightsFor(f.Of); !ok || f.Key == "" {
			return fmt.Errorf("data inventory: %s follows %s, which declares no rights, or names no key", f.Table, f.Of)
		}
		if _, ok := inv.RightsFor(f.Table); ok {
			return fmt.Errorf("data inventory: %s follows %s but declares rights of its own", f.Table, f.Of)
		}
	}
	inv.follows = fs
	return nil
}

// Follows returns the declaration of table as a follower of another.
func (inv *Inventory) Follows(table string) (Follow, bool) {
	for _, f := range inv.follows {
		if f.Table == table {
			return f, true
		}
	}
	return Follow{}, false
}
