package cli_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"plenary/internal/cli"
)

// runWithStdin runs one plenary command in-process with text on its
// standard input.
func runWithStdin(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb syncBuffer
	code = cli.Run(context.Background(), args, cli.Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb})
	return code, out.String(), errb.String()
}

// TestBackupRestores is the "backups that restore" half of S3: a backup
// taken while the site serves starts as a site of its own with the same
// accounts, statement versions and an audit log that still verifies under
// the copied key.
func TestBackupRestores(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	live := serve(t, "--data", data, "--demo")
	// The demo creates accounts; `user add` is audited, so the log has an entry.
	code, _, stderr := runWithStdin(t, "a long enough passphrase\n", "user", "add", "--data", data, "--email", "rescue@example.org", "--name", "Rescue Admin", "--role", "admin")
	if code != 0 {
		t.Fatalf("user add: %s", stderr)
	}
	backup := filepath.Join(dir, "backup")
	code, out, stderr := run(t, "backup", "--data", data, "--to", backup)
	if code != 0 || !strings.Contains(out, "backup written to") || !strings.Contains(out, "master key") {
		t.Fatalf("backup: %d %q %q", code, out, stderr)
	}
	live.Stop(t)

	code, out, stderr = run(t, "audit", "verify", "--data", backup)
	if code != 0 || !strings.Contains(out, "audit log intact") || strings.Contains(out, "intact: 0 entries") {
		t.Fatalf("audit verify on the backup: %d %q %q", code, out, stderr)
	}
	// The same configuration as the live site: --demo turns the test card
	// processor on, which the statement names.
	restored := serve(t, "--data", backup, "--demo")
	if status, body := get(t, restored.URL+"/privacy/versions"); status != 200 || !strings.Contains(body, "First version") {
		t.Errorf("restored site: %d\n%.500s", status, body)
	}
	code, out, _ = run(t, "policy", "show", "--data", backup)
	if code != 0 || strings.Count(strings.TrimSpace(out), "\n") != 0 {
		t.Errorf("the restored site published a new statement version on start:\n%s", out)
	}
	restored.Stop(t)

	if code, _, stderr := run(t, "backup", "--data", data, "--to", backup); code == 0 || !strings.Contains(stderr, "already exists") {
		t.Errorf("a backup over an existing directory: %d %q", code, stderr)
	}
	if code, _, stderr := run(t, "backup", "--data", data); code != 2 || !strings.Contains(stderr, "--to") {
		t.Errorf("backup without --to: %d %q", code, stderr)
	}
}
