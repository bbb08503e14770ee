package inventory_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"plenary/internal/inventory"
	"plenary/internal/roles"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestSchemaIsDeclared fails when a table column exists in the live schema
// of either engine without a declaration in the inventory, or when the
// inventory declares a column the schema lacks.
func TestSchemaIsDeclared(t *testing.T) {
	inv := inventory.Default()
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		cols, err := db.Columns(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		live := map[string]bool{}
		for _, c := range cols {
			key := c.Table + "." + c.Name
			live[key] = true
			if _, ok := inv.Lookup(key); !ok {
				t.Errorf("column %s is not declared in internal/inventory: declare it as personal (with category, purpose, audience, retention) or as not personal", key)
			}
		}
		for _, it := range inv.Items() {
			if it.Kind == inventory.Column && !live[it.Key()] && (it.Engine == "" || it.Engine == db.Dialect().String()) {
				t.Errorf("inventory declares %s but the schema has no such column", it.Key())
			}
		}
	})
}

func TestNewRejectsIncompleteDeclarations(t *testing.T) {
	tests := []struct {
		name string
		item inventory.Item
		want string
	}{
		{"no category", inventory.Item{Kind: inventory.Column, Table: "t", Name: "c", Personal: true}, "no category"},
		{"no purpose", inventory.Item{Kind: inventory.Column, Table: "t", Name: "c", Personal: true, Category: inventory.Contact}, "no label or purpose"},
		{"no audience", inventory.Item{Kind: inventory.Column, Table: "t", Name: "c", Personal: true, Category: inventory.Contact, Label: "l", Purpose: "p"}, "nobody may see"},
		{"no retention", inventory.Item{Kind: inventory.Column, Table: "t", Name: "c", Personal: true, Category: inventory.Contact, Label: "l", Purpose: "p", Visible: []inventory.Audience{inventory.Self}}, "no retention"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := inventory.New([]inventory.Item{tt.item}, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v, want an error containing %q", err, tt.want)
			}
		})
	}
	dup := inventory.Item{Kind: inventory.Cookie, Name: "x"}
	if _, err := inventory.New([]inventory.Item{dup, dup}, nil); err == nil {
		t.Error("a duplicate declaration was accepted")
	}
}

// TestAccessLogDeclaresNoLinkingFields keeps C2 visible in the inventory:
// the access log must not declare anything that identifies an account.
func TestAccessLogDeclaresNoLinkingFields(t *testing.T) {
	for _, it := range inventory.Default().Personal(inventory.LogField) {
		for _, bad := range []string{"account", "session", "cookie", "email", "user_id"} {
			if strings.Contains(it.Name, bad) {
				t.Errorf("access log declares %s, which would link log lines to people", it.Name)
			}
		}
	}
}

func TestEveryPersonalTableHasAName(t *testing.T) {
	for _, table := range inventory.Default().PersonalTables() {
		if inventory.TableName(table) == table {
			t.Errorf("table %s holds personal data but has no plain name in internal/inventory/tables.go", table)
		}
	}
}

// TestRulesFollowKept: every page and the statement put a retention rule
// after "kept" ("Kept until you unsubscribe…"), so a rule that starts by
// saying it again reads "kept kept". The rule says how long, not that.
func TestRulesFollowKept(t *testing.T) {
	for _, it := range inventory.Default().Items() {
		rule := strings.ToLower(it.Retention.Rule)
		for _, start := range []string{"kept", "keep", "stored", "retained", "deleted", "removed"} {
			if strings.HasPrefix(rule, start+" ") {
				t.Errorf("%s: the rule %q starts with %q; the pages write \"kept\" before it", it.Key(), it.Retention.Rule, start)
			}
		}
	}
}

// TestAudiencesAreRoles: every audience the inventory names is the public,
// the person the data is about, or a staff role that auth knows, so the
// privacy page cannot promise access to a role the routes do not check.
func TestAudiencesAreRoles(t *testing.T) {
	for _, it := range inventory.Default().Items() {
		for _, a := range it.Visible {
			if a == inventory.Public || a == inventory.Self {
				continue
			}
			r, ok := a.Role()
			if !ok || !slices.Contains(roles.All(), r) {
				t.Errorf("%s is visible to %q, which is neither the public, the person nor a staff role", it.Key(), a)
			}
		}
	}
	if _, ok := inventory.Audience("participant").Role(); ok {
		t.Error("participant counts as a staff audience")
	}
	if inventory.StaffAudience(roles.Admin) != inventory.Admin {
		t.Error("the admin role and the admin audience differ")
	}
}

// TestPersonalTablesDeclareRights: a table holding personal data must say
// how its rows are tied to a person and what removal does to them (R2,
// R4); the data-subject walker has no other way to find them.
func TestPersonalTablesDeclareRights(t *testing.T) {
	personal := inventory.Item{Kind: inventory.Column, Table: "t", Name: "c", Personal: true, Category: inventory.Contact,
		Label: "l", Purpose: "p", Visible: []inventory.Audience{inventory.Self}, Retention: inventory.Retention{Rule: "r"}}
	del := inventory.Removal{Action: inventory.Delete, Why: "deleted"}
	tests := []struct {
		name   string
		rights []inventory.Rights
		want   string
	}{
		{"none", nil, "personal table t declares no subject link"},
		{"no link", []inventory.Rights{{Table: "t", Removal: del}}, "t declares no subject link"},
		{"no action", []inventory.Rights{{Table: "t", Links: []inventory.Link{{Column: "person_id"}}, Removal: inventory.Removal{Why: "w"}}}, "t declares no removal action"},
		{"two kinds in a link", []inventory.Rights{{Table: "t", Links: []inventory.Link{{Column: "person_id", Address: "email"}}, Removal: del}}, "not exactly one kind"},
		{"parent after child", []inventory.Rights{{Table: "t", Links: []inventory.Link{{Parent: "p", Through: "p_id"}}, Removal: del}, {Table: "p", Links: []inventory.Link{{Column: "person_id"}}, Removal: del}}, "must be declared before it"},
		{"no why", []inventory.Rights{{Table: "t", Links: []inventory.Link{{Column: "person_id"}}, Removal: inventory.Removal{Action: inventory.Keep}}}, "does not say why"},
		{"no category", []inventory.Rights{{Table: "t", Links: []inventory.Link{{Column: "person_id"}}, Removal: del}}, "t names no removal category"},
		{"account detached", []inventory.Rights{{Table: "t", Category: "account", Links: []inventory.Link{{Column: "person_id"}}, Removal: del,
			Detached: inventory.Removal{Action: inventory.Keep, Why: "k"}}}, "cannot be detached"},
		{"postings not detached", []inventory.Rights{{Table: "t", Category: "postings", Links: []inventory.Link{{Column: "person_id"}}, Removal: del}}, "when the account goes and its category stays"},
		{"detached deletes", []inventory.Rights{{Table: "t", Category: "postings", Links: []inventory.Link{{Column: "person_id"}}, Removal: del, Detached: del}}, "when the account goes and its category stays"},
		{"ok", []inventory.Rights{{Table: "t", Category: "account", Links: []inventory.Link{{Column: "person_id"}}, Removal: del}}, ""},
		{"ok detached", []inventory.Rights{{Table: "t", Category: "postings", Links: []inventory.Link{{Column: "person_id"}}, Removal: del,
			Detached: inventory.Removal{Action: inventory.Pseudonymize, Set: map[string]string{"c": "''"}, Why: "p"}}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, err := inventory.New([]inventory.Item{personal}, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = inv.SetRights(tt.rights)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("SetRights = %v, want success", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("SetRights = %v, want an error containing %q", err, tt.want)
			}
		})
	}
	// Every table of the live schema with a personal column is covered.
	inv := inventory.Default()
	for _, table := range inv.PersonalTables() {
		if _, ok := inv.RightsFor(table); !ok {
			t.Errorf("personal table %s declares no rights", table)
		}
	}
}
