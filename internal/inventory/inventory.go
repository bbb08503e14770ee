// Package inventory declares every piece of personal data plenary holds:
// each table column, cookie, access-log field and outside processor, with
// why it is kept, who may see it and for how long. The privacy page, the
// cookie page, export, erasure, retention and access checks are all derived
// from this one list, so the statement cannot drift from the code; a test
// compares it with the live schema of both database engines.
package inventory

import (
	"fmt"
	"sort"
	"strings"

	"plenary/internal/roles"
)

// Kind says where a piece of data lives.
type Kind string

const (
	Column   Kind = "column"    // a database column
	Cookie   Kind = "cookie"    // a cookie set in the visitor's browser
	LogField Kind = "log field" // a field of the access log files
)

// Category groups personal data the way the privacy page and the erasure
// shredders do.
type Category string

const (
	Contact  Category = "contact"  // e-mail, postal address, phone
	Identity Category = "identity" // name, affiliation, account credentials
	Payment  Category = "payment"  // payment records
	Network  Category = "network"  // IP address, user agent, request details
	Content  Category = "content"  // what a person writes: postings, inquiries, submissions
	Consent  Category = "consent"  // records of what a person agreed to
	Session  Category = "session"  // sign-in state
)

// Audience names who may see a piece of data: the public, the person it is
// about, or a staff role. A staff audience is the role itself (the same
// value auth checks routes against), so the inventory cannot name a role
// the site does not have.
type Audience string

const (
	Public      Audience = "public"
	Self        Audience = "the person it is about"
	Secretariat          = Audience(roles.Secretariat)
	Finance              = Audience(roles.Finance)
	Security             = Audience(roles.Security)
	Admin                = Audience(roles.Admin)
	Privacy              = Audience(roles.Privacy)
)

// StaffAudience is the audience made of the holders of a staff role.
func StaffAudience(r roles.Role) Audience { return Audience(r) }

// Role returns the staff role an audience stands for, and false for the
// public and for the person the data is about.
func (a Audience) Role() (roles.Role, bool) {
	r := roles.Role(a)
	return r, r.Staff()
}

// Retention says how long a piece of data stays. Key, when set, names the
// configuration setting (--retention KEY=DAYS) that can change Days; the
// job named by JobName, registered in internal/retention, removes what has
// outlived the rule (a test there fails when the job does not exist).
type Retention struct {
	Key     string // configuration key, e.g. "access_log"; empty when fixed
	Days    int    // default lifetime in days; 0 with Forever false means "while the record exists"
	Forever bool   // kept without limit (public record, or an operator's choice)
	Rule    string // the rule in plain words, shown on the privacy page
	// Job names the retention job that enforces the rule; empty means
	// the job named like Key.
	Job string
}

// JobName is the retention job that enforces the rule: Job, or the job
// named like the configuration key; "" for a rule kept forever.
func (r Retention) JobName() string {
	switch {
	case r.Forever:
		return ""
	case r.Job != "":
		return r.Job
	}
	return r.Key
}

// Item is one declared piece of data.
type Item struct {
	Kind     Kind
	Table    string // for columns
	Name     string // column, cookie or log field name
	Personal bool
	// The rest applies to personal data only.
	Category  Category
	Label     string // what it is, in plain words ("your e-mail address")
	Purpose   string // why it is kept
	Origin    string // how it arrives
	Visible   []Audience
	Retention Retention
	Lifetime  string // cookies: how long the browser keeps it
	Optional  bool   // cookies: set only at the visitor's request
	// Engine names the one database engine whose schema has this column
	// ("postgres"), for the rare copy only that engine needs; empty: both.
	Engine string
	// Sealed, for a column whose values are encrypted, names the purpose
	// of the site key they are sealed with (secrets.Keys.Sealer); each
	// value is bound to its row by SealContext. The person's own copy of
	// their data opens it.
	Sealed string
}

// SealContext binds a sealed value to the row and column it is stored
// in, such as "payments.last4:42", so that it cannot be moved to another
// row; the code that seals a declared column and the export that opens
// it both take it from here.
func SealContext(table, column string, id int64) string {
	return fmt.Sprintf("%s.%s:%d", table, column, id)
}

// Key identifies an item: "table.column", "cookie:name" or "log:name".
func (it Item) Key() string {
	switch it.Kind {
	case Column:
		return it.Table + "." + it.Name
	case Cookie:
		return "cookie:" + it.Name
	default:
		return "log:" + it.Name
	}
}

// Processor is an outside party that receives personal data.
type Processor struct {
	Name       string
	Purpose    string
	Location   string
	Categories []Category
	// Enabled reports whether the operator's configuration uses it; only
	// enabled processors are listed and may receive data.
	Enabled bool
}

// Inventory is the complete declaration.
type Inventory struct {
	items      []Item
	byKey      map[string]Item
	Processors []Processor
	rights     []Rights
	follows    []Follow
}

// New builds an inventory from items and checks it: every personal item
// needs a category, label, purpose, audience and retention rule, and no key
// may be declared twice.
func New(items []Item, processors []Processor) (*Inventory, error) {
	inv := &Inventory{byKey: make(map[string]Item, len(items)), Processors: processors}
	var problems []string
	for _, it := range items {
		k := it.Key()
		if _, dup := inv.byKey[k]; dup {
			problems = append(problems, k+" is declared twice")
		}
		if it.Personal {
			switch {
			case it.Category == "":
				problems = append(problems, k+" has no category")
			case it.Label == "" || it.Purpose == "":
				problems = append(problems, k+" has no label or purpose")
			case len(it.Visible) == 0:
				problems = append(problems, k+" says nobody may see it")
			case it.Retention.Rule == "":
				problems = append(problems, k+" has no retention rule")
			}
		}
		inv.byKey[k] = it
		inv.items = append(inv.items, it)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("data inventory: %s", strings.Join(problems, "; "))
	}
	return inv, nil
}

// Default is plenary's own inventory: every domain's declarations together.
func Default() *Inventory {
	var items []Item
	for _, part := range [][]Item{
		foundationItems(),
		accessLogItems(),
		cookieItems(),
		usageItems(),
		peopleItems(),
		auditItems(),
		jobItems(),
		inquiryItems(),
		mailingItems(),
		listItems(),
		listIngestItems(), // discussion groups: attachments, threading, imports, bounces
		dsrItems(),
		documentItems(),
		meetingItems(),
		// IPR disclosures and liaison statements (issue 11).
		iprLiaisonItems(),
		// The register of disclosures required by law (U4).
		disclosureItems(),
		listSearchItems(),     // discussion-group search and tombstones
		contentVersionItems(), // page cache counters (issue 14)
		outboxItems(),         // the durable outbox of account mail
	} {
		items = append(items, part...)
	}
	inv, err := New(items, defaultProcessors())
	if err == nil {
		err = inv.SetRights(rightsDecls())
	}
	if err == nil {
		err = inv.setFollows(followDecls())
	}
	if err != nil {
		// The declarations are code; a mistake in them is a programming
		// error that the package tests catch before anything ships.
		panic(err)
	}
	return inv
}

// Items returns every declaration, in declaration order.
func (inv *Inventory) Items() []Item { return append([]Item(nil), inv.items...) }

// Lookup finds an item by key.
func (inv *Inventory) Lookup(key string) (Item, bool) {
	it, ok := inv.byKey[key]
	return it, ok
}

// Personal returns the personal items of one kind.
func (inv *Inventory) Personal(kind Kind) []Item {
	var out []Item
	for _, it := range inv.items {
		if it.Personal && it.Kind == kind {
			out = append(out, it)
		}
	}
	return out
}

// Cookies returns every declared cookie.
func (inv *Inventory) Cookies() []Item {
	var out []Item
	for _, it := range inv.items {
		if it.Kind == Cookie {
			out = append(out, it)
		}
	}
	return out
}

// Categories lists the categories of personal data held, sorted.
func (inv *Inventory) Categories() []Category {
	seen := map[Category]bool{}
	for _, it := range inv.items {
		if it.Personal {
			seen[it.Category] = true
		}
	}
	out := make([]Category, 0, len(seen))
	for c := range seen {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// EnabledProcessors lists the processors the configuration uses.
func (inv *Inventory) EnabledProcessors() []Processor {
	var out []Processor
	for _, p := range inv.Processors {
		if p.Enabled {
			out = append(out, p)
		}
	}
	return out
}

// notPersonal declares columns that hold no personal data.
func notPersonal(table string, columns ...string) []Item {
	out := make([]Item, len(columns))
	for i, c := range columns {
		out[i] = Item{Kind: Column, Table: table, Name: c}
	}
	return out
}

// RetentionDays returns the lifetime in days that the items under a
// retention key declare (-1 for forever), so sweepers take their defaults
// from the same declaration the privacy page shows. It panics on a key no
// item declares: a sweeper for an undeclared store is a programming error.
func (inv *Inventory) RetentionDays(key string) int {
	for _, it := range inv.items {
		if it.Retention.Key == key {
			if it.Retention.Forever {
				return -1
			}
			return it.Retention.Days
		}
	}
	panic("inventory: no item has retention key " + key)
}

// RetentionKeys lists the retention keys that configuration may set.
func (inv *Inventory) RetentionKeys() []string {
	seen := map[string]bool{}
	var out []string
	for _, it := range inv.items {
		if k := it.Retention.Key; k != "" && !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
