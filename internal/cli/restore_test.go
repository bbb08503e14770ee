package cli_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestBackupRestoresBothEngines is S3 on each engine: a backup of a
// running installation (PostgreSQL: a portable dump from one snapshot) is
// restored by `plenary restore` into a new data directory (and, for
// PostgreSQL, an empty schema); the restored copy holds the same rows,
// its audit log verifies with the restored key, and new rows number on
// after the restored ones. A restore over a data directory that is not
// empty, or of the wrong engine's backup, is refused with nothing done.
func TestBackupRestoresBothEngines(t *testing.T) {
	cliEngines(t, func(t *testing.T, flags []string, open func() *store.DB) {
		ctx := context.Background()
		for _, who := range []string{"first@example.org", "second@example.org"} {
			if code, _, stderr := runWithStdin(t, "a long enough passphrase\n", append([]string{"user", "add", "--email", who, "--name", "Someone", "--role", "admin"}, flags...)...); code != 0 {
				t.Fatalf("user add: %s", stderr)
			}
		}
		backup := filepath.Join(t.TempDir(), "backup")
		code, out, stderr := run(t, append([]string{"backup", "--to", backup}, flags...)...)
		if code != 0 || !strings.Contains(out, "backup written to") {
			t.Fatalf("backup: %d %q %q", code, out, stderr)
		}
		counts := func(db *store.DB) map[string]int {
			m := map[string]int{}
			for _, table := range []string{"people", "person_emails", "person_roles", "audit_log", "consent_ledger", "policy_versions"} {
				var n int
				if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
					t.Fatalf("%s: %v", table, err)
				}
				m[table] = n
			}
			return m
		}
		db := open()
		want := counts(db)
		db.Close()

		pg := len(flags) > 2
		newData := filepath.Join(t.TempDir(), "restored")
		args := []string{"restore", "--from", backup, "--data", newData}
		var dsn string
		if pg {
			if code, _, stderr := run(t, args...); code == 0 || !strings.Contains(stderr, "PostgreSQL backup") {
				t.Errorf("a PostgreSQL backup restored without --db: %d %q", code, stderr)
			}
			dsn = storetest.PostgresURL(t)
			args = append(args, "--db", dsn)
		}
		code, out, stderr = run(t, args...)
		if code != 0 || !strings.Contains(out, "restored") {
			t.Fatalf("restore: %d %q %q", code, out, stderr)
		}
		rdb := openRestored(t, dsn, newData)
		if got := counts(rdb); !equalCounts(got, want) {
			t.Errorf("restored counts %v, want %v", got, want)
		}
		rdb.Close()
		verify := []string{"audit", "verify", "--data", newData}
		add := []string{"user", "add", "--email", "third@example.org", "--name", "Someone Else", "--data", newData}
		if pg {
			verify = append(verify, "--db", dsn)
			add = append(add, "--db", dsn)
		}
		if code, out, stderr := run(t, verify...); code != 0 || !strings.Contains(out, "audit log intact") {
			t.Errorf("audit verify on the restored copy: %d %q %q", code, out, stderr)
		}
		if code, _, stderr := runWithStdin(t, "a long enough passphrase\n", add...); code != 0 {
			t.Errorf("adding an account to the restored copy: %s", stderr)
		}
		if code, _, stderr := run(t, args...); code == 0 || !strings.Contains(stderr, "not empty") {
			t.Errorf("a restore over a used data directory: %d %q", code, stderr)
		}
	})
}

func openRestored(t *testing.T, dsn, data string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn, data)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func equalCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
