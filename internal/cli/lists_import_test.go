package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestListsImport runs `plenary lists import` on both engines with a real
// archive, a file holding a message without a sender, and a file that is
// not mbox: the bad message is reported with its position, the bad file
// named, the rest imported; the exit status is 1 for the bad file; a
// second run imports nothing and counts the duplicates. Standard error is
// not a terminal here, so progress comes as plain lines.
func TestListsImport(t *testing.T) {
	real := filepath.Join("..", "..", "..", "shared", "testdata", "mbox", "ietf-ancp-2010-03.mbox")
	if _, err := os.Stat(real); err != nil {
		t.Skipf("the real archives are not here (%v)", err)
	}
	storetest.Engines(t, func(t *testing.T, _ *store.DB) {
		ctx := context.Background()
		dir := t.TempDir()
		base := []string{"--data", dir, "--base-url", "https://site.example.org"}
		if strings.HasSuffix(t.Name(), "postgres") {
			base = append(base, "--db", storetest.PostgresURL(t))
		}
		bad := filepath.Join(dir, "bad.mbox")
		os.WriteFile(bad, []byte("From a Mon Mar  1 06:46:11 2010\nSubject: who wrote this?\n\nnobody\n\nFrom b Mon Mar  1 06:46:11 2010\nFrom: b@example.org\nSubject: ok\nMessage-ID: <ok@example.org>\n\nfine\n"), 0o600)
		junk := filepath.Join(dir, "junk.txt")
		os.WriteFile(junk, []byte("hello\n"), 0o600)
		run := func(args ...string) (int, string, string) {
			var out, errb bytes.Buffer
			code := Run(ctx, append(args, base...), Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb})
			return code, out.String(), errb.String()
		}
		if code, out, errs := run("lists", "create", "arch", "--description", "Old archive"); code != 0 {
			t.Fatalf("create: %d %s %s", code, out, errs)
		}
		if code, _, errs := run("lists", "import", "nolist", real); code != 1 || !strings.Contains(errs, "There is no such discussion group.") {
			t.Errorf("an unknown list: %d %q", code, errs)
		}
		if code, _, errs := run("lists", "import", "arch"); code != 2 || !strings.Contains(errs, "no mbox file given") {
			t.Errorf("no file: %d %q", code, errs)
		}
		code, out, errs := run("lists", "import", "arch", real, bad, junk)
		if code != 1 || !strings.Contains(out, "imported 37 messages into arch from 3 files") || !strings.Contains(out, "skipped 0 already in the archive and 1 that could not be read") {
			t.Errorf("import: %d %q", code, out)
		}
		for _, want := range []string{
			"skipped " + bad + ": message 1 (line 1): it has no From header\n",
			"plenary lists import: " + junk + ": this is not an mbox file",
			"100.0%  38 messages read, 37 imported, 0 duplicates, 1 unreadable",
		} {
			if !strings.Contains(errs, want) {
				t.Errorf("standard error lacks %q:\n%s", want, errs)
			}
		}
		code, out, _ = run("lists", "import", "arch", real)
		if code != 0 || !strings.Contains(out, "imported 0 messages into arch from 1 files") || !strings.Contains(out, "skipped 36 already in the archive") {
			t.Errorf("a second run: %d %q", code, out)
		}
	})
}

// TestListsCreateRefusesSiteMailboxes, on both engines: `plenary lists
// create` refuses a name that is the site's own mailbox (announce@, the
// default announcement address, or the one --mailing-address or
// PLENARY_MAILING_ADDRESS sets), saying which, and creates nothing.
func TestListsCreateRefusesSiteMailboxes(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		dir := t.TempDir()
		base := []string{"--data", dir, "--base-url", "https://site.example.org"}
		if strings.HasSuffix(t.Name(), "postgres") {
			base = append(base, "--db", storetest.PostgresURL(t))
		}
		run := func(args ...string) (int, string) {
			var out, errb bytes.Buffer
			code := Run(context.Background(), append(args, base...), Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb})
			return code, errb.String()
		}
		if code, errs := run("lists", "create", "announce", "--description", "News"); code != 2 || !strings.Contains(errs, "announce@") {
			t.Errorf("creating announce: %d %q", code, errs)
		}
		if code, errs := run("lists", "create", "news", "--description", "News", "--mailing-address", "news@site.example.org"); code != 2 || !strings.Contains(errs, "news@") {
			t.Errorf("creating news with --mailing-address news@: %d %q", code, errs)
		}
		t.Setenv("PLENARY_MAILING_ADDRESS", "digest@site.example.org")
		if code, errs := run("lists", "create", "digest", "--description", "Digest"); code != 2 || !strings.Contains(errs, "digest@") {
			t.Errorf("creating digest with PLENARY_MAILING_ADDRESS digest@: %d %q", code, errs)
		}
		_ = db
	})
}
