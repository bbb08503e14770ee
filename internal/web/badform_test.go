package web

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"plenary/internal/auth"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// formFields finds every form field a handler in this package reads, so
// that the bad-input walk below covers the fields of routes added later.
func formFields(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob("*.go")
	re := regexp.MustCompile(`(?:PostForm\.Get\(|FormValue\(|PostForm\[)"([a-z_]+)"`)
	seen := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllSubmatch(b, -1) {
			seen[string(m[1])] = true
		}
	}
	var out []string
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	if len(out) < 5 {
		t.Fatalf("found only %d form fields: %v", len(out), out)
	}
	return out
}

// rowCounts counts the rows of every table but the rate-limit counters,
// which each attempt is meant to move.
func rowCounts(t *testing.T, db *store.DB) map[string]int {
	t.Helper()
	ctx := context.Background()
	q := "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '%fts%'"
	if db.Dialect() == store.Postgres {
		q = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
	}
	rows, err := db.Query(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		// Rate-limit counters move with each attempt by design, and the
		// audit log records staff access attempts to a person's record.
		if !strings.Contains(n, "rate") && n != "audit_log" {
			tables = append(tables, n)
		}
	}
	rows.Close()
	// One query for every count: this runs twice for each of hundreds of
	// subtests, and a round trip per table made the test the slowest of
	// the package.
	parts := make([]string, len(tables))
	for i, tb := range tables {
		parts[i] = "SELECT '" + tb + "', COUNT(*) FROM " + tb
	}
	out := map[string]int{}
	if len(parts) == 0 {
		return out
	}
	counts, err := db.Query(ctx, strings.Join(parts, " UNION ALL "))
	if err != nil {
		t.Fatal(err)
	}
	defer counts.Close()
	for counts.Next() {
		var tb string
		var n int
		if err := counts.Scan(&tb, &n); err != nil {
			t.Fatal(err)
		}
		out[tb] = n
	}
	if err := counts.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// takesNoInput lists POST routes that read no field: whatever the form
// holds, they do their one thing.
// Unsubscribing by a link's token is also the RFC 8058 one-click target,
// which a mail program posts to with whatever body it likes; a token that
// names nothing answers as done, since nothing is subscribed.
var takesNoInput = map[string]bool{"POST /logout": true, "POST /admin/audit/verify": true, "POST /lists/{name}/unsubscribe/{token}": true}

// TestEveryPOSTRouteRefusesBadForms walks every POST route the server
// registers and sends it bad forms as a caller with every role: invalid
// UTF-8, 1 MB fields, no fields, repeated fields, a wrong content type and
// a body over --max-body. Each is answered 4xx with a message, and no
// table changes.
func TestEveryPOSTRouteRefusesBadForms(t *testing.T) {
	fields := formFields(t)
	form := func(value func(field string) []string) string {
		v := url.Values{}
		for _, f := range fields {
			v[f] = value(f)
		}
		return v.Encode()
	}
	const maxBody = 2 << 20
	cases := []struct {
		name, contentType, body string
	}{
		{"invalid UTF-8", "application/x-www-form-urlencoded", form(func(f string) []string { return []string{"\xff\xfe" + f + "\xc3"} })},
		{"1 MB fields", "application/x-www-form-urlencoded", form(func(string) []string { return []string{strings.Repeat("a", (maxBody-4096)/len(fields)/3)} })},
		{"missing fields", "application/x-www-form-urlencoded", ""},
		{"repeated fields", "application/x-www-form-urlencoded", form(func(f string) []string { return []string{"", "x@\r\n", f} })},
		{"wrong content type", "application/json", `{"email":"ada@example.org","password":"correct horse battery"}`},
		{"over max body", "application/x-www-form-urlencoded", "email=" + strings.Repeat("a", maxBody+1)},
	}
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, siteOptions{DB: db, Args: []string{"--max-body", "2097152"}})
		for _, route := range s.Server.Routes() {
			method, path := concretePath(route.Pattern)
			if method != "POST" {
				continue
			}
			// Counted once around all of a route's cases: counting every
			// table around each case made this the slowest test of all on
			// PostgreSQL. A change is still pinned to its route.
			before := rowCounts(t, db)
			for _, c := range cases {
				if takesNoInput[route.Pattern] && c.name != "over max body" {
					continue
				}
				t.Run(route.Pattern+"/"+c.name, func(t *testing.T) {
					header := roleHeader(auth.AllRoles...)
					header.Set("Sec-Fetch-Site", "same-origin")
					header.Set("Content-Type", c.contentType)
					res := s.do(t, method, path, strings.NewReader(c.body), header)
					if res.Status < 400 || res.Status > 499 {
						t.Errorf("status %d, want 4xx; body %.300s", res.Status, res.Body)
					}
					if !strings.Contains(res.Body, "<main") && !strings.Contains(res.Body, "<p") {
						t.Errorf("no message in the answer: %.300s", res.Body)
					}
				})
			}
			for tb, n := range rowCounts(t, db) {
				if before[tb] != n {
					t.Errorf("%s: table %s went from %d to %d rows", route.Pattern, tb, before[tb], n)
				}
			}
		}
	})
}
