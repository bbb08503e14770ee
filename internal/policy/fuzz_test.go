package policy_test

import (
	"context"
	"strings"
	"testing"

	"plenary/internal/policy"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// FuzzBlocksDiff: Blocks never panics and keeps every word; Diff(a, b)
// never panics, and its kept and added lines give back b, its kept and
// removed lines give back a.
func FuzzBlocksDiff(f *testing.F) {
	f.Add("# Title\n\nSome text\n- one\n- two\n## Sub\n", "# Title\n\nOther text\n- one\n")
	f.Add("", "\n\n")
	f.Add("a\r\nb\n", "a\nb\r\n")
	f.Add("- \n#\n## \n-", "\xff\x00\n\n\n")
	f.Fuzz(func(t *testing.T, a, b string) {
		if len(a) > 4096 || len(b) > 4096 {
			return
		}
		for _, blk := range policy.Blocks(a) {
			if blk.Kind != "h1" && blk.Kind != "h2" && blk.Kind != "p" && blk.Kind != "ul" {
				t.Fatalf("block kind %q", blk.Kind)
			}
		}
		lines := func(s string) string {
			if s == "" {
				return ""
			}
			return strings.TrimRight(s, "\n")
		}
		var olds, news []string
		for _, l := range policy.Diff(a, b) {
			switch l.Op {
			case ' ':
				olds, news = append(olds, l.Text), append(news, l.Text)
			case '-':
				olds = append(olds, l.Text)
			case '+':
				news = append(news, l.Text)
			default:
				t.Fatalf("op %q", l.Op)
			}
		}
		if got := strings.Join(olds, "\n"); got != lines(a) {
			t.Fatalf("kept and removed lines give %q, not %q", got, lines(a))
		}
		if got := strings.Join(news, "\n"); got != lines(b) {
			t.Fatalf("kept and added lines give %q, not %q", got, lines(b))
		}
	})
}

// TestBadTemplatesPublishNothing: a template that cannot become a
// statement is refused with a message that says why, and neither a version
// nor an announcement is stored.
func TestBadTemplatesPublishNothing(t *testing.T) {
	tests := []struct{ name, tmpl, want string }{
		{"syntax", "# Hello {{.Org", "parsing statement template"},
		{"unclosed action", "# {{if .Org}}x", "parsing statement template"},
		{"missing key", "# {{.Organisation}}", "rendering statement template"},
		{"method on a string", "# {{.Org.Foo}}", "rendering statement template"},
		{"invalid UTF-8", "# Statement \xff\xfe", "not valid UTF-8"},
		{"NUL byte", "# Statement\x00", "control character"},
		{"renders to nothing", "{{/* nothing */}}\n  \n", "empty"},
		{"huge output", `{{define "a"}}xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx{{end}}{{define "b"}}{{template "a"}}{{template "a"}}{{template "a"}}{{template "a"}}{{end}}{{define "c"}}{{template "b"}}{{template "b"}}{{template "b"}}{{template "b"}}{{end}}{{define "d"}}{{template "c"}}{{template "c"}}{{template "c"}}{{template "c"}}{{end}}{{define "e"}}{{template "d"}}{{template "d"}}{{template "d"}}{{template "d"}}{{end}}{{define "f"}}{{template "e"}}{{template "e"}}{{template "e"}}{{template "e"}}{{end}}{{define "g"}}{{template "f"}}{{template "f"}}{{template "f"}}{{template "f"}}{{end}}{{define "h"}}{{template "g"}}{{template "g"}}{{template "g"}}{{template "g"}}{{end}}{{define "i"}}{{template "h"}}{{template "h"}}{{template "h"}}{{template "h"}}{{end}}# {{template "i"}}`, "larger than"},
	}
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newService(db)
		count := func() (n int) {
			var v, a int
			db.QueryRow(ctx, "SELECT COUNT(*) FROM policy_versions").Scan(&v)
			db.QueryRow(ctx, "SELECT COUNT(*) FROM announcements").Scan(&a)
			return v*1000 + a
		}
		before := count()
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := s.Publish(ctx, tt.tmpl, "A change.", "f", true, t0)
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("Publish = %v, want an error about %q", err, tt.want)
				}
				if err != nil && len(err.Error()) > 400 {
					t.Errorf("error is %d bytes long", len(err.Error()))
				}
			})
		}
		if after := count(); after != before {
			t.Errorf("failed publishes changed the stored versions and announcements (%d → %d)", before, after)
		}
	})
}
