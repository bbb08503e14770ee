package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"plenary/internal/audit"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// cliEngines runs fn with the flags that point a command at a fresh SQLite
// data directory, and at a fresh PostgreSQL schema too when
// PLENARY_TEST_POSTGRES is set; open opens the same database.
func cliEngines(t *testing.T, fn func(t *testing.T, flags []string, open func() *store.DB)) {
	t.Run("sqlite", func(t *testing.T) {
		clearEnv(t)
		data := t.TempDir()
		fn(t, []string{"--data", data}, func() *store.DB { return openDB(t, "", data) })
	})
	if os.Getenv(storetest.EnvPostgres) == "" {
		t.Logf("postgres: skipped, %s is not set", storetest.EnvPostgres)
		return
	}
	t.Run("postgres", func(t *testing.T) {
		clearEnv(t)
		data := t.TempDir()
		url := storetest.PostgresURL(t)
		fn(t, []string{"--data", data, "--db", url}, func() *store.DB { return openDB(t, url, "") })
	})
}

func openDB(t *testing.T, dsn, data string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn, data)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestSweepCommand is U3 on the command line, on both engines: `plenary
// sweep` (and its old name `plenary logs maintain`) counts finished day
// files into aggregates, then removes the files and rows past their rules,
// saying as it goes what it counted and removed and, at the end, what each
// job removed per table; the aggregates stay.
func TestSweepCommand(t *testing.T) {
	cliEngines(t, func(t *testing.T, flags []string, open func() *store.DB) {
		ctx := context.Background()
		data := flags[1]
		logs := filepath.Join(data, "logs")
		if err := os.MkdirAll(logs, 0o700); err != nil {
			t.Fatal(err)
		}
		old := time.Now().AddDate(0, 0, -40).Format("2006-01-02")
		recent := time.Now().AddDate(0, 0, -2).Format("2006-01-02")
		for _, day := range []string{old, recent} {
			d, err := time.Parse("2006-01-02", day)
			if err != nil {
				t.Fatal(err)
			}
			line := "192.0.2.1 - - [" + d.Format("02/Jan/2006") + ":10:00:00 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"Mozilla/5.0 Firefox/128.0\"\n"
			if err := os.WriteFile(filepath.Join(logs, "access-box-"+day+".log"), []byte(line), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if code, _, stderr := run(t, append([]string{"migrate"}, flags...)...); code != 0 {
			t.Fatalf("migrate: %s", stderr)
		}
		db := open()
		now := time.Now().UTC()
		if _, err := db.Exec(ctx, "INSERT INTO rate_limits (bucket, window_start, hits) VALUES ('b', ?, 1), ('b', ?, 1)", now.Add(-3*time.Hour), now); err != nil {
			t.Fatal(err)
		}

		code, stdout, stderr := run(t, append([]string{"sweep", "--instance", "box", "--access-log-retention", "30"}, flags...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		for _, want := range []string{"counted access-box-" + old + ".log", "counted access-box-" + recent + ".log", "removed access-box-" + old + ".log", "sessions: removed sessions=0"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("progress lacks %q:\n%s", want, stderr)
			}
		}
		for _, want := range []string{"access_log", "removed access-log files=1", "rate_limits", "removed rate_limits=1", "kept 30 days"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("summary lacks %q:\n%s", want, stdout)
			}
		}
		if _, err := os.Stat(filepath.Join(logs, "access-box-"+recent+".log")); err != nil {
			t.Errorf("a file within retention was removed: %v", err)
		}
		var days int
		if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM usage_days").Scan(&days); err != nil {
			t.Fatal(err)
		}
		if days != 2 {
			t.Errorf("%d aggregate days kept, want 2 (aggregates outlive raw files)", days)
		}
		entries, err := (&audit.Log{DB: db}).List(ctx, audit.Filter{Action: "retention."})
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 2 || entries[0].Label != "cli" {
			t.Errorf("audit entries of the sweep = %+v, want one per job that removed something", entries)
		}

		code, stdout, _ = run(t, append([]string{"logs", "maintain", "--instance", "box", "--access-log-retention", "forever"}, flags...)...)
		if code != 0 || !strings.Contains(stdout, "removed access-log files=0") || !strings.Contains(stdout, "kept forever") {
			t.Errorf("second run under the old name: %d %q", code, stdout)
		}
	})
}

// TestAuditVerifyFindsTruncation is issue 8's item 4 on the command line,
// on both engines: once a checkpoint of the head has been written (by the
// sweep here, by serve every minute), deleting the newest entries, or all
// of them, makes `plenary audit verify` fail; it used to say "intact".
func TestAuditVerifyFindsTruncation(t *testing.T) {
	for _, tt := range []struct {
		name, sql, want string
	}{
		{"end cut", "DELETE FROM audit_log WHERE seq >= 2", "ends at number 1"},
		{"all deleted", "DELETE FROM audit_log", "ends at number 0"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cliEngines(t, func(t *testing.T, flags []string, open func() *store.DB) {
				ctx := context.Background()
				for _, email := range []string{"a@example.org", "b@example.org", "c@example.org"} {
					code, _, stderr := runWithStdin(t, "a long passphrase\n", append([]string{"user", "add", "--email", email, "--name", "Someone"}, flags...)...)
					if code != 0 {
						t.Fatalf("user add: %s", stderr)
					}
				}
				if code, _, stderr := run(t, append([]string{"sweep"}, flags...)...); code != 0 {
					t.Fatalf("sweep: %s", stderr)
				}
				code, stdout, stderr := run(t, append([]string{"audit", "verify"}, flags...)...)
				if code != 0 || !strings.Contains(stdout, "intact: 3 entries, head number 3") || !strings.Contains(stdout, "matches 1 checkpoints") {
					t.Fatalf("before: exit %d, %s %s", code, stdout, stderr)
				}
				st, err := os.Stat(filepath.Join(flags[1], audit.CheckpointFile))
				if err != nil || st.Mode().Perm() != 0o600 {
					t.Errorf("checkpoint file: %v, want mode 0600", err)
				}
				if _, err := open().Exec(ctx, tt.sql); err != nil {
					t.Fatal(err)
				}
				code, stdout, stderr = run(t, append([]string{"audit", "verify"}, flags...)...)
				if code != 1 || !strings.Contains(stderr, "NOT intact") || !strings.Contains(stderr, tt.want) || !strings.Contains(stderr, "newest entries were removed") {
					t.Errorf("after %s: exit %d, stdout %q, stderr %q", tt.sql, code, stdout, stderr)
				}
			})
		})
	}
}

// TestServeWritesAuditCheckpoints: serve writes a signed checkpoint of the
// audit head to DATA/audit-checkpoints and the same line to its log, and a
// later start on a log cut short of it says so in the log at once.
func TestServeWritesAuditCheckpoints(t *testing.T) {
	clearEnv(t)
	data := t.TempDir()
	if code, _, stderr := runWithStdin(t, "a long passphrase\n", "user", "add", "--data", data, "--email", "a@example.org", "--name", "Someone"); code != 0 {
		t.Fatalf("user add: %s", stderr)
	}
	s := serve(t, "--data", data)
	line := waitFor(t, s, "audit checkpoint")
	s.Stop(t)
	file, err := os.ReadFile(filepath.Join(data, audit.CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	cp := strings.TrimSpace(string(file))
	if !strings.Contains(cp, " seq=1 ") || !strings.Contains(line, cp) {
		t.Errorf("checkpoint file %q, log line %q: want the same checkpoint of entry 1 in both", cp, line)
	}

	if _, err := openDB(t, "", data).Exec(context.Background(), "DELETE FROM audit_log"); err != nil {
		t.Fatal(err)
	}
	s = serve(t, "--data", data)
	waitFor(t, s, "audit log is shorter than its checkpoints")
}

// waitFor returns the first line of the server's log containing text.
func waitFor(t *testing.T, s *serving, text string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for _, l := range strings.Split(s.Stderr.String(), "\n") {
			if strings.Contains(l, text) {
				return l
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the server never logged %q:\n%s", text, s.Stderr)
	return ""
}

// TestBackupKeepsAuditCheckpoints: a backup carries the audit checkpoints
// taken before its snapshot, so the restored copy verifies against them,
// and a checkpoint written after the backup does not make the backup look
// cut short.
func TestBackupKeepsAuditCheckpoints(t *testing.T) {
	clearEnv(t)
	data := t.TempDir()
	if code, _, stderr := runWithStdin(t, "a long passphrase\n", "user", "add", "--data", data, "--email", "a@example.org", "--name", "Someone"); code != 0 {
		t.Fatalf("user add: %s", stderr)
	}
	if code, _, stderr := run(t, "sweep", "--data", data); code != 0 {
		t.Fatalf("sweep: %s", stderr)
	}
	to := filepath.Join(t.TempDir(), "backup")
	if code, _, stderr := run(t, "backup", "--data", data, "--to", to); code != 0 {
		t.Fatalf("backup: %s", stderr)
	}
	if code, _, stderr := runWithStdin(t, "a long passphrase\n", "user", "add", "--data", data, "--email", "b@example.org", "--name", "Someone Else"); code != 0 {
		t.Fatalf("user add: %s", stderr)
	}
	if code, _, stderr := run(t, "sweep", "--data", data); code != 0 {
		t.Fatalf("sweep: %s", stderr)
	}
	st, err := os.Stat(filepath.Join(to, audit.CheckpointFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("the backup's checkpoint file: %v, want mode 0600", err)
	}
	code, stdout, stderr := run(t, "audit", "verify", "--data", to)
	if code != 0 || !strings.Contains(stdout, "intact: 1 entries") || !strings.Contains(stdout, "matches 1 checkpoints") {
		t.Errorf("verifying the backup: exit %d, %s %s", code, stdout, stderr)
	}
	code, _, stderr = run(t, "audit", "verify", "--data", to, "--checkpoints", filepath.Join(data, audit.CheckpointFile))
	if code != 1 || !strings.Contains(stderr, "newest entries were removed") {
		t.Errorf("the backup against the live checkpoints: exit %d, %s", code, stderr)
	}
}
