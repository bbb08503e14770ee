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
		{"no reason", []string{"--as", "sam@example.org", "--note", "ticket 9: join-form spam"}, 2, "", "choose a reason"},
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

// TestLogsMaintain is U3 on the command line: finished day files are
// counted into aggregates, then files past the retention rule are removed
// and named, and the aggregates stay.
func TestLogsMaintain(t *testing.T) {
	clearEnv(t)
	data := t.TempDir()
	logs := filepath.Join(data, "logs")
	os.MkdirAll(logs, 0o700)
	old := time.Now().AddDate(0, 0, -40).Format("2006-01-02")
	recent := time.Now().AddDate(0, 0, -2).Format("2006-01-02")
	for _, day := range []string{old, recent} {
		d, _ := time.Parse("2006-01-02", day)
		line := "192.0.2.1 - - [" + d.Format("02/Jan/2006") + ":10:00:00 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"Mozilla/5.0 Firefox/128.0\"\n"
		if err := os.WriteFile(filepath.Join(logs, "access-box-"+day+".log"), []byte(line), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, stderr := run(t, "logs", "maintain", "--data", data, "--instance", "box", "--access-log-retention", "30")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "removed access-box-"+old+".log") || !strings.Contains(stdout, "ingested 2 day files") || !strings.Contains(stderr, "counted access-box-"+recent+".log") {
		t.Errorf("stdout %q stderr %q", stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(logs, "access-box-"+recent+".log")); err != nil {
		t.Errorf("a file within retention was removed: %v", err)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, "", data)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var days int
	db.QueryRow(ctx, "SELECT COUNT(*) FROM usage_days").Scan(&days)
	if days != 2 {
		t.Errorf("%d aggregate days kept, want 2 (aggregates outlive raw files)", days)
	}
	code, stdout, _ = run(t, "logs", "maintain", "--data", data, "--instance", "box", "--access-log-retention", "forever")
	if code != 0 || !strings.Contains(stdout, "ingested 0 day files") || !strings.Contains(stdout, "kept forever") {
		t.Errorf("second run: %d %q", code, stdout)
	}
}
