package policy_test

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"plenary/internal/inventory"
	"plenary/internal/policy"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newService(db *store.DB) *policy.Service {
	return &policy.Service{
		DB: db, Inventory: inventory.Default(), AnnounceFor: 30 * 24 * time.Hour,
		Facts: policy.Facts{Org: "Test Standards Body", Country: "Utopia", Contact: "privacy@test.example"},
	}
}

// withPersonalColumn is the default inventory plus one new kind of
// personal data, as a release that adds a feature would have.
func withPersonalColumn(t *testing.T) *inventory.Inventory {
	t.Helper()
	items := append(inventory.Default().Items(), inventory.Item{
		Kind: inventory.Column, Table: "people", Name: "phone", Personal: true,
		Category: inventory.Contact, Label: "your telephone number", Purpose: "to call you back",
		Visible: []inventory.Audience{inventory.Self, inventory.Secretariat}, Retention: inventory.Retention{Rule: "while your account exists"},
	})
	inv, err := inventory.New(items, nil)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// TestEnsureCurrent checks that the first start publishes the statement
// once, later starts with the same release publish nothing, and a change of
// configuration or inventory publishes a new version, material only when
// it adds a kind of personal data.
func TestEnsureCurrent(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newService(db)
		if _, err := s.Current(ctx); !errors.Is(err, policy.ErrNoVersion) {
			t.Fatalf("Current before anything was published: %v", err)
		}
		pub, err := s.EnsureCurrent(ctx, t0)
		if err != nil || !pub {
			t.Fatalf("first EnsureCurrent = %v, %v; want a first version", pub, err)
		}
		for i := range 2 {
			pub, err = s.EnsureCurrent(ctx, t0.Add(time.Duration(i+1)*time.Hour))
			if err != nil || pub {
				t.Fatalf("EnsureCurrent with nothing changed = %v, %v", pub, err)
			}
		}
		vs, err := s.List(ctx)
		if err != nil || len(vs) != 1 {
			t.Fatalf("List = %d versions, %v", len(vs), err)
		}
		first := vs[0]
		if first.Source != "builtin" || first.Material || !first.PublishedAt.Equal(t0) || !strings.Contains(first.Summary, "First") {
			t.Errorf("first version %+v", first)
		}
		for _, want := range []string{"# Privacy statement of Test Standards Body", "in Utopia", "privacy@test.example", "the cookie page (/privacy/cookies)", "- the IP address your request came from"} {
			if !strings.Contains(first.Body, want) {
				t.Errorf("first version does not say %q", want)
			}
		}

		// A new contact address is a change of wording, not of what is done.
		s.Facts.Contact = "dpo@test.example"
		if pub, err := s.EnsureCurrent(ctx, t0.Add(24*time.Hour)); err != nil || !pub {
			t.Fatalf("EnsureCurrent after a contact change = %v, %v", pub, err)
		}
		cur, _ := s.Current(ctx)
		if cur.Material || !strings.Contains(cur.Body, "dpo@test.example") {
			t.Errorf("contact change: material %v", cur.Material)
		}

		// A new kind of personal data is material.
		s.Inventory = withPersonalColumn(t)
		if pub, err := s.EnsureCurrent(ctx, t0.Add(48*time.Hour)); err != nil || !pub {
			t.Fatalf("EnsureCurrent after an inventory change = %v, %v", pub, err)
		}
		cur, _ = s.Current(ctx)
		if !cur.Material || !strings.Contains(cur.Body, "; your telephone number.") || !strings.Contains(cur.Body, "; to call you back.") {
			t.Errorf("inventory change: material %v, body lacks the new line", cur.Material)
		}
		if vs, _ := s.List(ctx); len(vs) != 3 {
			t.Errorf("%d versions, want 3", len(vs))
		}

		// Retention changed by configuration shows in the statement.
		s.Facts.RetentionDays = func(key string, def int) int {
			if key == "access_log" {
				return 14
			}
			return def
		}
		if pub, _ := s.EnsureCurrent(ctx, t0.Add(72*time.Hour)); !pub {
			t.Fatal("a retention change published nothing")
		}
		cur, _ = s.Current(ctx)
		if !strings.Contains(cur.Body, "Retention: for 14 days.") {
			t.Errorf("retention not in the statement:\n%s", cur.Body)
		}
	})
}

// TestVersionsStayReadable checks V1: every version, its date and its diff
// to the one before stay readable.
func TestVersionsStayReadable(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newService(db)
		if _, err := s.EnsureCurrent(ctx, t0); err != nil {
			t.Fatal(err)
		}
		tmpl := policy.BuiltinTemplate() + "\n## Meetings\n\nWe keep attendance lists of {{.Org}} meetings.\n"
		v2, err := s.Publish(ctx, tmpl, "  Added a section on meetings.  ", "statement-2026.md", true, t0.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if v2.Summary != "Added a section on meetings." || v2.Source != "statement-2026.md" || !v2.Material {
			t.Errorf("published %+v", v2)
		}
		v3, err := s.Publish(ctx, strings.Replace(tmpl, "attendance lists", "attendance lists and blue sheets", 1), "Blue sheets.", "statement-2026b.md", false, t0.Add(2*time.Hour))
		if err != nil {
			t.Fatal(err)
		}

		vs, err := s.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, v := range vs {
			ids = append(ids, v.ID)
		}
		if len(vs) != 3 || vs[0].ID != v3.ID || vs[1].ID != v2.ID {
			t.Fatalf("List order %v, want newest first ending in %d, %d", ids, v3.ID, v2.ID)
		}
		got, err := s.Get(ctx, v2.ID)
		if err != nil || got.Body != v2.Body || !got.PublishedAt.Equal(t0.Add(time.Hour)) || got.Template != tmpl {
			t.Errorf("Get(%d) = %+v, %v", v2.ID, got, err)
		}
		if _, err := s.Get(ctx, 9999); !errors.Is(err, policy.ErrNoVersion) {
			t.Errorf("Get of a missing version: %v", err)
		}
		prev, ok, err := s.Previous(ctx, v3)
		if err != nil || !ok || prev.ID != v2.ID {
			t.Fatalf("Previous(v3) = %d, %v, %v", prev.ID, ok, err)
		}
		if _, ok, _ := s.Previous(ctx, vs[2]); ok {
			t.Error("the first version has a previous one")
		}
		var added, removed []string
		for _, d := range policy.Diff(prev.Body, v3.Body) {
			switch d.Op {
			case '+':
				added = append(added, d.Text)
			case '-':
				removed = append(removed, d.Text)
			}
		}
		if !reflect.DeepEqual(added, []string{"We keep attendance lists and blue sheets of Test Standards Body meetings."}) ||
			!reflect.DeepEqual(removed, []string{"We keep attendance lists of Test Standards Body meetings."}) {
			t.Errorf("diff added %q removed %q", added, removed)
		}

		// A later start keeps the operator's template rather than going
		// back to the built-in one.
		if pub, err := s.EnsureCurrent(ctx, t0.Add(3*time.Hour)); err != nil || pub {
			t.Errorf("EnsureCurrent after publishing = %v, %v", pub, err)
		}
		s.Facts.Org = "Renamed Body"
		if _, err := s.EnsureCurrent(ctx, t0.Add(4*time.Hour)); err != nil {
			t.Fatal(err)
		}
		cur, _ := s.Current(ctx)
		if cur.Source != "statement-2026b.md" || !strings.Contains(cur.Body, "blue sheets of Renamed Body meetings") {
			t.Errorf("re-rendered version lost the published template: source %q", cur.Source)
		}
	})
}

// TestAnnouncementWindow checks V2: publishing announces the new version
// on the home page for the configured time, and only then.
func TestAnnouncementWindow(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newService(db)
		s.AnnounceFor = 10 * 24 * time.Hour
		v, err := s.Publish(ctx, policy.BuiltinTemplate(), "Clearer wording.", "builtin", false, t0)
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			at   time.Time
			show bool
		}{
			{t0.Add(-time.Second), false},
			{t0, true},
			{t0.Add(5 * 24 * time.Hour), true},
			{t0.Add(10*24*time.Hour - time.Second), true},
			{t0.Add(10 * 24 * time.Hour), false},
			{t0.Add(400 * 24 * time.Hour), false},
		}
		for _, tt := range tests {
			ann, err := s.Announcements(ctx, tt.at)
			if err != nil {
				t.Fatal(err)
			}
			if (len(ann) == 1) != tt.show || len(ann) > 1 {
				t.Errorf("at %v: %d announcements, want shown=%v", tt.at, len(ann), tt.show)
				continue
			}
			if tt.show {
				a := ann[0]
				if a.Link != "/privacy/versions/"+itoa(v.ID) || a.Body != "Clearer wording." || !a.StartsAt.Equal(t0) || a.Title != "The privacy statement has changed" {
					t.Errorf("announcement %+v", a)
				}
			}
		}
		// A material change says so in its title; newest first.
		if _, err := s.Publish(ctx, policy.BuiltinTemplate(), "New data.", "builtin", true, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		ann, _ := s.Announcements(ctx, t0.Add(2*time.Hour))
		if len(ann) != 2 || !strings.Contains(ann[0].Title, "affects your data") || ann[1].Body != "Clearer wording." {
			t.Errorf("announcements %+v", ann)
		}
		// With announcing switched off nothing is added.
		s.AnnounceFor = 0
		if _, err := s.Publish(ctx, policy.BuiltinTemplate(), "Quiet.", "builtin", false, t0.Add(3*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if ann, _ := s.Announcements(ctx, t0.Add(4*time.Hour)); len(ann) != 2 {
			t.Errorf("%d announcements after a quiet publish, want 2", len(ann))
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestTemplateErrorsAreClear(t *testing.T) {
	db := storetest.SQLite(t)
	s := newService(db)
	ctx := context.Background()
	tests := []struct {
		name, tmpl, summary, want string
	}{
		{"syntax", "# Hello {{.Org", "x", "parsing statement template"},
		{"unknown field", "# {{.Organisation}}", "x", "rendering statement template"},
		{"no summary", "# {{.Org}}", "  ", "needs a summary"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Publish(ctx, tt.tmpl, tt.summary, "f", false, t0)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Publish = %v, want an error about %q", err, tt.want)
			}
		})
	}
	if vs, _ := s.List(ctx); len(vs) != 0 {
		t.Errorf("failed publishes stored %d versions", len(vs))
	}
}

func TestRenderNormalizesWhitespace(t *testing.T) {
	s := newService(storetest.SQLite(t))
	got, err := s.Render("# A  \r\n\r\n\r\n\n para   \nline\t\n\n\n")
	if err != nil {
		t.Fatal(err)
	}
	if want := "# A\n\n para\nline\n"; got != want {
		t.Errorf("Render = %q, want %q", got, want)
	}
}

func TestBlocks(t *testing.T) {
	tests := []struct {
		name, in string
		want     []policy.Block
	}{
		{"empty", "", nil},
		{"headings and paragraph", "# Title\n\nFirst line\nsecond line.\n## Part\nText.",
			[]policy.Block{{Kind: "h1", Text: "Title"}, {Kind: "p", Text: "First line second line."}, {Kind: "h2", Text: "Part"}, {Kind: "p", Text: "Text."}}},
		{"list after paragraph", "Holds:\n- a\n-  b \n\nAfter.",
			[]policy.Block{{Kind: "p", Text: "Holds:"}, {Kind: "ul", Items: []string{"a", "b"}}, {Kind: "p", Text: "After."}}},
		{"two lists split by a paragraph", "- a\nmid\n- b",
			[]policy.Block{{Kind: "ul", Items: []string{"a"}}, {Kind: "p", Text: "mid"}, {Kind: "ul", Items: []string{"b"}}}},
		{"HTML stays text", "<script>alert(1)</script>",
			[]policy.Block{{Kind: "p", Text: "<script>alert(1)</script>"}}},
		{"no heading without space", "#Not a heading\n###x",
			[]policy.Block{{Kind: "p", Text: "#Not a heading ###x"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := policy.Blocks(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Blocks(%q) =\n %+v\nwant\n %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestDiff(t *testing.T) {
	render := func(ds []policy.DiffLine) string {
		var b strings.Builder
		for _, d := range ds {
			b.WriteByte(d.Op)
			b.WriteString(d.Text)
			b.WriteByte('|')
		}
		return b.String()
	}
	tests := []struct{ old, new, want string }{
		{"", "a\nb\n", "+a|+b|"},
		{"a\nb\n", "a\nb\n", " a| b|"},
		{"a\nb\nc\n", "a\nc\n", " a|-b| c|"},
		{"a\nc\n", "a\nb\nc\n", " a|+b| c|"},
		{"a\nold\nc\n", "a\nnew\nc\n", " a|-old|+new| c|"},
		{"x\n", "", "-x|"},
	}
	for _, tt := range tests {
		if got := render(policy.Diff(tt.old, tt.new)); got != tt.want {
			t.Errorf("Diff(%q, %q) = %q, want %q", tt.old, tt.new, got, tt.want)
		}
	}
}

func TestRetentionAndAudienceText(t *testing.T) {
	r := inventory.Retention{Key: "access_log", Days: 90, Rule: "90 days by default"}
	days := func(n int) func(string, int) int { return func(string, int) int { return n } }
	for _, tt := range []struct {
		days func(string, int) int
		want string
	}{
		{nil, "90 days by default"},
		{days(90), "90 days by default"},
		{days(1), "for 1 day"},
		{days(14), "for 14 days"},
		{days(-1), "indefinitely, by the operator's choice"},
	} {
		if got := policy.RetentionText(r, tt.days); got != tt.want {
			t.Errorf("RetentionText = %q, want %q", got, tt.want)
		}
	}
	if got := policy.RetentionText(inventory.Retention{Rule: "fixed"}, days(3)); got != "fixed" {
		t.Errorf("a rule without a key changed: %q", got)
	}
	// "anyone" takes in you and staff; the roles read as a list does.
	for _, tt := range []struct {
		aud  []inventory.Audience
		want string
	}{
		{[]inventory.Audience{inventory.Public, inventory.Self, inventory.Security, inventory.Admin}, "anyone"},
		{[]inventory.Audience{inventory.Public}, "anyone"},
		{[]inventory.Audience{inventory.Self}, "you"},
		{[]inventory.Audience{inventory.Self, inventory.Security, inventory.Admin}, "you and staff with the security or admin role"},
		{[]inventory.Audience{inventory.Secretariat, inventory.Admin, inventory.Security}, "staff with the secretariat, admin or security role"},
		{[]inventory.Audience{inventory.Finance}, "staff with the finance role"},
	} {
		if got := policy.AudienceText(tt.aud); got != tt.want {
			t.Errorf("AudienceText(%v) = %q, want %q", tt.aud, got, tt.want)
		}
	}
}
