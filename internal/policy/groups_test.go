package policy_test

import (
	"reflect"
	"testing"

	"plenary/internal/inventory"
	"plenary/internal/policy"
)

// TestRetentionGroups checks how the privacy page groups items: one group
// per rule as configured, in order of first appearance; rows merged when
// they share a purpose and audience; purpose and audience lifted out when
// the whole group shares them.
func TestRetentionGroups(t *testing.T) {
	short := inventory.Retention{Rule: "a week"}
	keyed := inventory.Retention{Key: "k", Days: 30, Rule: "thirty days unless changed"}
	you := []inventory.Audience{inventory.Self}
	staff := []inventory.Audience{inventory.Security}
	col := func(table, label, purpose string, aud []inventory.Audience, r inventory.Retention) inventory.Item {
		return inventory.Item{Kind: inventory.Column, Table: table, Name: label, Personal: true, Label: label, Purpose: purpose, Visible: aud, Retention: r}
	}
	items := []inventory.Item{
		col("people", "a", "p1", you, short),
		col("sessions", "b", "p2", you, keyed),
		col("people", "c", "p1", you, short),
		col("person_emails", "d", "p3", you, short),
		col("sessions", "e", "p2", you, keyed),
		col("person_roles", "f", "p1", you, short),
	}
	days := func(key string, def int) int {
		if key == "k" {
			return 7
		}
		return def
	}
	got := policy.RetentionGroups(items, days)
	want := []policy.RetentionGroup{
		{Records: "Your account, your e-mail addresses and your roles", Rule: "a week", Visible: "you", Items: []policy.GroupItem{
			{Labels: []string{"a", "c", "f"}, Purpose: "p1", Visible: "you"},
			{Labels: []string{"d"}, Purpose: "p3", Visible: "you"},
		}},
		{Records: "Your sign-in sessions", Rule: "for 7 days", Purpose: "p2", Visible: "you", Items: []policy.GroupItem{
			{Labels: []string{"b", "e"}, Purpose: "p2", Visible: "you"},
		}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	mixed := policy.RetentionGroups([]inventory.Item{col("people", "a", "p", you, short), col("people", "b", "p", staff, short)}, nil)
	if len(mixed) != 1 || mixed[0].Visible != "" || mixed[0].Purpose != "" || len(mixed[0].Items) != 2 {
		t.Errorf("a group whose rows differ in audience: %+v", mixed)
	}
}
