package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestListsCreate makes discussion groups from the command line on both
// engines, refusing bad names, policies and a name taken twice.
func TestListsCreate(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, _ *store.DB) {
		ctx := context.Background()
		dir := t.TempDir()
		dsn := ""
		if strings.HasSuffix(t.Name(), "postgres") {
			dsn = storetest.PostgresURL(t)
		}
		base := []string{"--data", dir, "--base-url", "https://site.example.org"}
		if dsn != "" {
			base = append(base, "--db", dsn)
		}
		for _, tt := range []struct {
			name string
			args []string
			code int
			want string
		}{
			{"no name", []string{"create", "--description", "x"}, 2, "usage: plenary lists create NAME"},
			{"bad name", []string{"create", "Bad Name", "--description", "x"}, 2, "lower-case letters"},
			{"no description", []string{"create", "wg-a"}, 2, "The description"},
			{"bad policy", []string{"create", "wg-a", "--description", "x", "--posting", "anyone"}, 2, "open, subscribers or moderated"},
			{"created", []string{"create", "wg-a", "--description", "HTTP work", "--posting", "moderated", "--archive", "subscribers"}, 0,
				"created list wg-a: address wg-a@site.example.org, posting moderated, archive subscribers"},
			{"taken", []string{"create", "wg-a", "--description", "again"}, 1, "exists already"},
		} {
			var out, errb bytes.Buffer
			code := Run(ctx, append(append([]string{"lists"}, tt.args...), base...), Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb})
			if code != tt.code || !strings.Contains(out.String()+errb.String(), tt.want) {
				t.Errorf("%s: exit %d %q, want %d with %q", tt.name, code, out.String()+errb.String(), tt.code, tt.want)
			}
		}
	})
}
