package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"plenary/internal/audit"
	"plenary/internal/auth"
	"plenary/internal/people"
	"plenary/internal/store"
)

// TestLogsLookupCommand is C3 on the command line: only an account with
// the security role may look, a reason is required, and the look-up lands
// in the audit log, which `plenary audit verify` then finds intact.
func TestLogsLookupCommand(t *testing.T) {
	clearEnv(t)
	data := t.TempDir()
	if code, _, stderr := run(t, "migrate", "--data", data); code != 0 {
		t.Fatalf("migrate: %s", stderr)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, "", data)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if _, _, err := people.Create(ctx, db, people.New{Name: "Sam Security", Email: "sam@example.org", Origin: people.OriginSelf, Verified: true, AgeAttested: true, Roles: []auth.Role{auth.Security}}, now); err != nil {
		t.Fatal(err)
	}
	if _, _, err := people.Create(ctx, db, people.New{Name: "Pat Participant", Email: "pat@example.org", Origin: people.OriginSelf, Verified: true, AgeAttested: true}, now); err != nil {
		t.Fatal(err)
	}
	db.Close()
	os.MkdirAll(filepath.Join(data, "logs"), 0o700)
	line := "198.51.100.77 - - [10/Mar/2026:10:00:00 +0000] \"GET /join HTTP/1.1\" 200 5 \"-\" \"spam-bot/1.0\"\n"
	if err := os.WriteFile(filepath.Join(data, "logs", "access-x-2026-03-10.log"), []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	base := []string{"logs", "lookup", "--data", data, "--ip", "198.51.100.77", "--from", "2026-03-10", "--to", "2026-03-11"}
	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   string
		stderrIn string
	}{
		{"security staff", []string{"--as", "sam@example.org", "--reason", "misuse", "--note", "ticket 9: join-form spam"}, 0, "spam-bot/1.0", "1 matching lines"},
		{"participant refused", []string{"--as", "pat@example.org", "--reason", "misuse", "--note", "ticket 9: join-form spam"}, 1, "", "does not have the security role"},
		{"nobody", []string{"--reason", "misuse", "--note", "ticket 9: join-form spam"}, 2, "", "--as"},
		{"unknown person", []string{"--as", "who@example.org", "--reason", "misuse", "--note", "ticket 9: join-form spam"}, 1, "", "no account"},
		{"no reason", []string{"--as", "sam@example.org", "--note", "ticket 9: join-form spam"}, 2, "", "Choose a reason"},
	}
	for _, tt := range tests {
		code, stdout, stderr := run(t, append(append([]string{}, base...), tt.args...)...)
		if code != tt.code || !strings.Contains(stdout, tt.stdout) || !strings.Contains(stderr, tt.stderrIn) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit %d, %q, %q", tt.name, code, stdout, stderr, tt.code, tt.stdout, tt.stderrIn)
		}
		if tt.code != 0 && strings.Contains(stdout, "spam-bot") {
			t.Errorf("%s: a refused look-up printed log lines", tt.name)
		}
	}
	code, stdout, stderr := run(t, "audit", "verify", "--data", data)
	if code != 0 || !strings.Contains(stdout, "intact: 1 entries") {
		t.Fatalf("audit verify: exit %d, %s %s", code, stdout, stderr)
	}
	db, err = store.Open(ctx, "", data)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	entries, err := (&audit.Log{DB: db}).List(ctx, audit.Filter{Action: "logs."})
	if err != nil || len(entries) != 1 || !strings.Contains(entries[0].Label, "Sam Security") || !strings.Contains(entries[0].Detail, "reason=misuse") {
		t.Errorf("audit entries = %+v, %v", entries, err)
	}
}
