package policy

import (
	"fmt"
	"slices"
	"strings"

	"plenary/internal/inventory"
)

// itemView is one inventory item in the words the statement uses.
type itemView struct {
	Label, Purpose, Visible, Retention string
}

type processorView struct {
	Name, Location, Purpose string
}

type statementData struct {
	Org, Country, Contact   string
	CookiesURL, VersionsURL string
	ContactURL              string
	LogFields               []itemView
	LogRetention            string
	Collected               []recordView
	Processors              []processorView
	ThirdPartyCookies       string
	MailingAddress          string
	Secretariat             string
	MailingRetention        string
}

func (s *Service) statementData() statementData {
	f := s.Facts
	d := statementData{
		Org: f.Org, Country: f.Country, Contact: f.Contact,
		CookiesURL:        "/privacy/cookies",
		VersionsURL:       "/privacy/versions",
		ContactURL:        "/contact",
		ThirdPartyCookies: strings.Join(f.ThirdPartyCookies, ", "),
		MailingAddress:    f.MailingAddress,
		Secretariat:       f.Secretariat,
	}
	if it, ok := s.Inventory.Lookup("mailing_recipients.address"); ok {
		d.MailingRetention = RetentionText(it.Retention, f.RetentionDays)
	}
	for _, it := range s.Inventory.Personal(inventory.LogField) {
		d.LogFields = append(d.LogFields, itemView{Label: it.Label})
		d.LogRetention = RetentionText(it.Retention, f.RetentionDays)
	}
	d.Collected = s.records(f)
	for _, p := range s.Inventory.EnabledProcessors() {
		d.Processors = append(d.Processors, processorView{Name: p.Name, Location: p.Location, Purpose: p.Purpose})
	}
	return d
}

// RetentionText says how long data under rule r stays, with the operator's
// configured number of days where the rule has a key.
func RetentionText(r inventory.Retention, days func(key string, def int) int) string {
	if r.Key == "" || days == nil {
		return r.Rule
	}
	n := days(r.Key, r.Days)
	switch {
	case n < 0:
		return "indefinitely, by the operator's choice"
	case n == r.Days:
		return r.Rule
	case n == 1:
		return "for 1 day"
	default:
		return fmt.Sprintf("for %d days", n)
	}
}

// AudienceText names who may see something, in plain words: "anyone"
// alone when the public may (it takes in you and staff), otherwise "you",
// staff with their roles, or both: "you and staff with the secretariat or
// admin role".
func AudienceText(aud []inventory.Audience) string {
	if slices.Contains(aud, inventory.Public) {
		return "anyone"
	}
	var parts, staff []string
	for _, a := range aud {
		switch a {
		case inventory.Self:
			parts = append(parts, "you")
		default:
			staff = append(staff, string(a))
		}
	}
	if len(staff) > 0 {
		parts = append(parts, "staff with the "+orList(staff)+" role")
	}
	return strings.Join(parts, " and ")
}

// orList joins words as a sentence does: "a", "a or b", "a, b or c".
func orList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// recordView is one kind of record in the statement (a table): the items
// it holds, why, who sees them and how long they stay. The page's
// inventory table gives the same facts item by item.
type recordView struct {
	Name, Items, Purposes, Visible, Retention string
}

func (s *Service) records(f Facts) []recordView {
	var out []recordView
	for _, table := range s.Inventory.PersonalTables() {
		var items, purposes, rules []string
		// Who sees the record's items that are published, and who the
		// rest: "anyone" alone would claim that all of it is public.
		var published bool
		var rest []inventory.Audience
		for _, it := range s.Inventory.Personal(inventory.Column) {
			if it.Table != table {
				continue
			}
			items = appendNew(items, it.Label)
			purposes = appendNew(purposes, it.Purpose)
			rules = appendNew(rules, RetentionText(it.Retention, f.RetentionDays))
			if slices.Contains(it.Visible, inventory.Public) {
				published = true
				continue
			}
			for _, a := range it.Visible {
				if !slices.Contains(rest, a) {
					rest = append(rest, a)
				}
			}
		}
		visible := AudienceText(rest)
		switch {
		case published && len(rest) > 0:
			visible = "anyone where it is published, otherwise by " + visible
		case published:
			visible = AudienceText([]inventory.Audience{inventory.Public})
		}
		out = append(out, recordView{
			Name: inventory.TableName(table), Items: strings.Join(items, "; "), Purposes: strings.Join(purposes, "; "),
			Visible: visible, Retention: strings.Join(rules, "; "),
		})
	}
	return out
}

func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}
