package policy

import (
	"strings"

	"plenary/internal/inventory"
)

// RetentionGroup is the inventory items kept under one retention rule, for
// the privacy page: the rule is stated once, then every item under it, so
// the page stays short enough to read without losing an item.
type RetentionGroup struct {
	Records string // plain names of the records the items belong to
	Rule    string // how long, in words, with the operator's settings
	// Purpose is set when every item of the group shares it (Items is
	// then one row), Visible when every row shares it; each is then
	// stated once too.
	Purpose, Visible string
	Items            []GroupItem
}

// GroupItem is the declared items of a group that share a purpose and an
// audience, in one row.
type GroupItem struct {
	Labels           []string
	Purpose, Visible string
}

// RetentionGroups sorts items into groups by the retention rule they are
// kept under (as the operator's settings make it read), in the order each
// rule first appears.
func RetentionGroups(items []inventory.Item, days func(key string, def int) int) []RetentionGroup {
	var out []RetentionGroup
	var names [][]string
	index := map[string]int{}
	for _, it := range items {
		rule := RetentionText(it.Retention, days)
		i, ok := index[rule]
		if !ok {
			i = len(out)
			index[rule] = i
			out = append(out, RetentionGroup{Rule: rule})
			names = append(names, nil)
		}
		g := &out[i]
		names[i] = appendNew(names[i], recordName(it))
		row := GroupItem{Labels: []string{it.Label}, Purpose: it.Purpose, Visible: AudienceText(it.Visible)}
		merged := false
		for j := range g.Items {
			if g.Items[j].Purpose == row.Purpose && g.Items[j].Visible == row.Visible {
				g.Items[j].Labels = append(g.Items[j].Labels, it.Label)
				merged = true
				break
			}
		}
		if !merged {
			g.Items = append(g.Items, row)
		}
	}
	for i := range out {
		g := &out[i]
		g.Records = joinNames(names[i])
		// What every row shares, the page states once, above them.
		g.Visible = g.Items[0].Visible
		for _, row := range g.Items[1:] {
			if row.Visible != g.Visible {
				g.Visible = ""
			}
		}
		if len(g.Items) == 1 {
			g.Purpose = g.Items[0].Purpose
		}
	}
	return out
}

// recordName names where an item lives, in plain words.
func recordName(it inventory.Item) string {
	switch it.Kind {
	case inventory.LogField:
		return "The access log"
	case inventory.Cookie:
		return "Cookies"
	}
	return inventory.TableName(it.Table)
}

// joinNames makes one heading of several record names: "Your account,
// your e-mail addresses and your roles".
func joinNames(names []string) string {
	var b strings.Builder
	for i, n := range names {
		switch {
		case i == 0:
		case i == len(names)-1:
			b.WriteString(" and ")
		default:
			b.WriteString(", ")
		}
		if i > 0 && n != "" {
			n = strings.ToLower(n[:1]) + n[1:]
		}
		b.WriteString(n)
	}
	return b.String()
}
