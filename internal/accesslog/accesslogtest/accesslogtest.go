// Package accesslogtest reads what the access log wrote, for tests in any
// package that need to check a request's line.
package accesslogtest

import (
	"os"
	"strings"
	"testing"

	"plenary/internal/accesslog"
)

// Lines returns every non-empty line of every access-log file in dir,
// oldest day first.
func Lines(t testing.TB, dir string) []string {
	t.Helper()
	files, err := accesslog.Files(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for l := range strings.SplitSeq(strings.TrimSuffix(string(b), "\n"), "\n") {
			if l != "" {
				out = append(out, l)
			}
		}
	}
	return out
}
