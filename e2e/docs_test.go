package e2e

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"plenary/internal/config"
)

// TestDocsPromisesNameRealTests keeps docs/promises.md honest: every row
// has a known status, a kept or partial promise names tests, and every
// test named exists in the package directory given.
func TestDocsPromisesNameRealTests(t *testing.T) {
	b, err := os.ReadFile("../docs/promises.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := 0
	seen := map[string]bool{}
	for line := range strings.SplitSeq(string(b), "\n") {
		cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
		if !strings.HasPrefix(line, "| ") || strings.Contains(line, "----") || strings.TrimSpace(cells[0]) == "ID" {
			continue
		}
		if len(cells) != 4 {
			// A stray or missing | would otherwise hide the row, and
			// its tests, from every check below.
			t.Errorf("a row has %d cells, not 4 (ID, status, where, tests): %.80s", len(cells), line)
			continue
		}
		rows++
		id, status, tests := strings.TrimSpace(cells[0]), strings.TrimSpace(cells[1]), strings.TrimSpace(cells[3])
		if seen[id] {
			t.Errorf("%s has two rows", id)
		}
		seen[id] = true
		switch status {
		case "kept", "partial":
			if tests == "-" || tests == "" {
				t.Errorf("%s is %s but names no test", id, status)
			}
		case "open":
			continue
		default:
			t.Errorf("%s has status %q; want kept, partial or open", id, status)
			continue
		}
		for pair := range strings.SplitSeq(tests, ";") {
			dir, name, ok := strings.Cut(strings.TrimSpace(pair), " ")
			if !ok || !strings.HasPrefix(dir, "./") || !strings.HasPrefix(name, "Test") {
				t.Errorf("%s: %q is not \"./package-dir TestName\"", id, pair)
				continue
			}
			if !testExists(t, filepath.Join("..", dir), name) {
				t.Errorf("%s names %s %s, which does not exist", id, dir, name)
			}
		}
	}
	if rows < 30 {
		t.Errorf("docs/promises.md has %d rows; want one per promise", rows)
	}
}

func testExists(t *testing.T, dir, name string) bool {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*_test.go"))
	decl := regexp.MustCompile(`(?m)^func ` + regexp.QuoteMeta(name) + `\(t \*testing\.T\)`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if decl.Match(b) {
			return true
		}
	}
	return false
}

// TestREADMEListsEveryFlag keeps the README's configuration table true:
// every flag and its PLENARY_* variable appear in it.
func TestREADMEListsEveryFlag(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	config.Flags(fs)
	fs.VisitAll(func(f *flag.Flag) {
		env := "PLENARY_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if !strings.Contains(readme, "`--"+f.Name+"`") || !strings.Contains(readme, "`"+env+"`") {
			t.Errorf("README.md's configuration table lacks --%s / %s (%s)", f.Name, env, f.Usage)
		}
	})
}
