package web

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestREADMEPageTableNamesEveryRoute keeps the README's page table whole:
// every route pattern of routes.go (its path; GET and POST of one path
// share a row) is named, in backquotes, in a row of the table under
// "## Pages", which also says who may use it. A query written after the
// path (`/lists/search?q=…`) counts; a row that names only a longer or
// shorter path does not.
func TestREADMEPageTableNamesEveryRoute(t *testing.T) {
	src, err := os.ReadFile("routes.go")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, pages, ok := strings.Cut(string(readme), "\n## Pages\n")
	if !ok {
		t.Fatal("README.md has no Pages section")
	}
	if i := strings.Index(pages, "\n## "); i >= 0 {
		pages = pages[:i]
	}
	named := map[string]bool{}
	code := regexp.MustCompile("`([^`]+)`")
	for _, line := range strings.Split(pages, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(line, " | ")
		if len(cells) < 3 || strings.TrimSpace(strings.Trim(cells[len(cells)-1], "| ")) == "" {
			t.Errorf("README.md's page row %.80q does not say who may use it", line)
		}
		for _, m := range code.FindAllStringSubmatch(line, -1) {
			path, _, _ := strings.Cut(m[1], "?")
			named[path] = true
		}
	}
	routes := regexp.MustCompile(`s\.handle\("(?:[A-Z]+) ([^"]+)"`).FindAllStringSubmatch(string(src), -1)
	if len(routes) < 50 {
		t.Fatalf("found only %d routes in routes.go", len(routes))
	}
	for _, m := range routes {
		path := strings.TrimSuffix(m[1], "{$}")
		if !named[path] {
			t.Errorf("README.md's page table does not name %s (route %q)", path, m[0])
		}
	}
}
