// Package storetest gives each test its own freshly migrated database:
// SQLite always, and PostgreSQL too when PLENARY_TEST_POSTGRES holds a URL
// such as postgres://postgres@127.0.0.1:5432/test. Each PostgreSQL test gets
// a schema of its own, dropped when the test ends.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"plenary/internal/store"
)

// EnvPostgres names the variable that turns PostgreSQL tests on.
const EnvPostgres = "PLENARY_TEST_POSTGRES"

// Engines runs fn once per available engine, as subtests named "sqlite" and
// "postgres", each with a new migrated database.
func Engines(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	if os.Getenv(EnvPostgres) == "" {
		t.Logf("postgres: skipped, %s is not set", EnvPostgres)
		return
	}
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// SQLite returns a migrated SQLite database in the test's temporary directory.
func SQLite(t testing.TB) *store.DB {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(ctx, filepath.Join(dir, "test.db"), dir)
	if err != nil {
		t.Fatalf("opening SQLite: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrating SQLite: %v", err)
	}
	return db
}

// Postgres returns a migrated database in a new PostgreSQL schema; the test
// is skipped when PLENARY_TEST_POSTGRES is unset.
func Postgres(t testing.TB) *store.DB {
	t.Helper()
	dsn := PostgresURL(t)
	ctx := context.Background()
	db, err := store.Open(ctx, dsn, "")
	if err != nil {
		t.Fatalf("opening PostgreSQL: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrating PostgreSQL: %v", err)
	}
	return db
}

// PostgresURL creates an empty schema and returns a URL whose connections
// use it; the schema is dropped when the test ends. Tests that start the
// real binary against PostgreSQL pass this URL as --db.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		t.Skipf("%s is not set", EnvPostgres)
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "plenary_test_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("opening %s: %v", EnvPostgres, err)
	}
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		t.Fatalf("creating schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
		}
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parsing %s: %v", EnvPostgres, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// FindInTables reads every row of every table and reports, for each
// value of values found in a row (case-insensitively), "TABLE holds KEY".
// Tests use it to prove that something typed was kept nowhere.
func FindInTables(t testing.TB, db *store.DB, values map[string]string) []string {
	t.Helper()
	ctx := context.Background()
	cols, err := db.Columns(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	seen := map[string]bool{}
	for _, c := range cols {
		if seen[c.Table] {
			continue
		}
		seen[c.Table] = true
		found = append(found, findInTable(t, db, c.Table, values)...)
	}
	return found
}

func findInTable(t testing.TB, db *store.DB, table string, values map[string]string) []string {
	t.Helper()
	var found []string
	reported := map[string]bool{}
	eachRow(t, db, table, func(text string) {
		row := strings.ToLower(text)
		for key, v := range values {
			if !reported[key] && strings.Contains(row, strings.ToLower(v)) {
				reported[key] = true
				found = append(found, table+" holds "+key)
			}
		}
	})
	return found
}

// TableText renders every row of table as text, a line a row, for tests
// that check what a table holds in clear.
func TableText(t testing.TB, db *store.DB, table string) string {
	t.Helper()
	var b strings.Builder
	eachRow(t, db, table, func(row string) {
		b.WriteString(row)
		b.WriteByte('\n')
	})
	return b.String()
}

// eachRow hands fn every row of table as text: its values, bytes as they
// are, one space after each, as someone reading the database would see
// them.
func eachRow(t testing.TB, db *store.DB, table string, fn func(row string)) {
	t.Helper()
	rows, err := db.Query(context.Background(), "SELECT * FROM "+table)
	if err != nil {
		t.Fatalf("reading %s: %v", table, err)
	}
	all, err := store.Collect(rows, store.Values)
	if err != nil {
		t.Fatalf("reading %s: %v", table, err)
	}
	for _, vals := range all {
		var b strings.Builder
		for _, v := range vals {
			if raw, ok := v.([]byte); ok {
				b.Write(raw)
			} else {
				fmt.Fprint(&b, v)
			}
			b.WriteByte(' ')
		}
		fn(b.String())
	}
}
