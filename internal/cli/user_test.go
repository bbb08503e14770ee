package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"plenary/internal/auth"
	"plenary/internal/people"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestUserAdd bootstraps the first admin from the command line, with the
// password on standard input, on both engines.
func TestUserAdd(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, _ *store.DB) {
		ctx := context.Background()
		dir := t.TempDir()
		dsn := ""
		if strings.HasSuffix(t.Name(), "postgres") {
			dsn = storetest.PostgresURL(t)
		}
		base := []string{"--data", dir}
		if dsn != "" {
			base = append(base, "--db", dsn)
		}
		run := func(stdin string, args ...string) (int, string) {
			var out, errb bytes.Buffer
			code := Run(ctx, append([]string{"user", "add"}, append(args, base...)...), Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb})
			return code, out.String() + errb.String()
		}
		tests := []struct {
			name, stdin string
			args        []string
			code        int
			want        string
		}{
			{"no password", "", []string{"--email", "a@example.org", "--name", "A"}, 2, "standard input"},
			{"short password", "short\n", []string{"--email", "a@example.org", "--name", "A"}, 2, "too short"},
			{"bad role", "a long passphrase\n", []string{"--email", "a@example.org", "--name", "A", "--role", "king"}, 2, "unknown role"},
			{"bad address", "a long passphrase\n", []string{"--email", "nope", "--name", "A"}, 2, "--email"},
			{"every problem at once", "a long passphrase\n", []string{"--email", "nope", "--name", " "}, 2, "--name: The name is required.; --email: That does not look like an e-mail address"},
			{"blank password", "          \n", []string{"--email", "a@example.org", "--name", "A"}, 2, "not spaces"},
			{"admin", "a long passphrase\n", []string{"--email", "Root@Example.org", "--name", "Rita Root", "--role", "admin,secretariat"}, 0, "created account"},
			{"taken", "a long passphrase\n", []string{"--email", "root@example.org", "--name", "Other"}, 1, "already belongs"},
		}
		for _, tt := range tests {
			code, out := run(tt.stdin, tt.args...)
			if code != tt.code || !strings.Contains(out, tt.want) {
				t.Errorf("%s: exit %d %q, want %d with %q", tt.name, code, out, tt.code, tt.want)
			}
		}
		db, err := store.Open(ctx, dsn, dir)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		p, e, err := people.FindByEmail(ctx, db, "root@example.org")
		if err != nil || p.Name != "Rita Root" || !e.Verified() || e.Origin != people.OriginStaff {
			t.Fatalf("stored %+v %+v %v", p, e, err)
		}
		if ok, _ := auth.DefaultHasher().Verify("a long passphrase", p.PasswordHash()); !ok {
			t.Error("the password from standard input does not sign in")
		}
		id, _ := people.Identity(ctx, db, p.ID)
		if !id.Has(auth.Admin) || !id.Has(auth.Secretariat) || !id.Has(auth.Participant) || id.Has(auth.Finance) {
			t.Errorf("roles %v", id.Roles)
		}
		var n int
		db.QueryRow(ctx, "SELECT COUNT(*) FROM audit_log WHERE action = ?", "people.create").Scan(&n)
		if n != 1 {
			t.Errorf("%d audit entries for the creation", n)
		}
	})
}
