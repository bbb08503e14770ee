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
	"sync"
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

// SQLite returns a migrated SQLite database in the test's temporary
// directory: a copy of one migrated once per test binary.
func SQLite(t testing.TB) *store.DB {
	t.Helper()
	ctx := context.Background()
	file, err := migratedSQLiteFile()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "test.db")
	if err := os.WriteFile(path, file, 0o600); err != nil {
		t.Fatalf("copying the migrated SQLite database: %v", err)
	}
	db, err := store.Open(ctx, path, dir)
	if err != nil {
		t.Fatalf("opening SQLite: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	// Nothing is left to apply, but a copy that missed a migration would
	// get it here rather than fail a test in a puzzling way.
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrating SQLite: %v", err)
	}
	return db
}

// migratedSQLite holds the bytes of an empty database with every
// migration applied. Migrating takes a second under the race detector
// (modernc.org/sqlite is C translated to Go, and the detector checks each
// of its memory accesses) and the web tests alone make hundreds of
// databases; copying the file takes a millisecond.
var migratedSQLite struct {
	once sync.Once
	file []byte
	err  error
}

func migratedSQLiteFile() ([]byte, error) {
	m := &migratedSQLite
	m.once.Do(func() {
		dir, err := os.MkdirTemp("", "plenary-storetest-")
		if err != nil {
			m.err = fmt.Errorf("making a directory for the migrated SQLite database: %w", err)
			return
		}
		defer os.RemoveAll(dir)
		ctx := context.Background()
		path := filepath.Join(dir, "template.db")
		db, err := store.Open(ctx, path, dir)
		if err != nil {
			m.err = fmt.Errorf("opening SQLite: %w", err)
			return
		}
		_, err = db.Migrate(ctx)
		// Closing the last connection checkpoints the write-ahead log into
		// the file and removes the log, so the file alone is the database.
		if cerr := db.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			m.err = fmt.Errorf("migrating SQLite: %w", err)
			return
		}
		if _, err := os.Stat(path + "-wal"); err == nil {
			m.err = fmt.Errorf("the migrated SQLite database kept a write-ahead log after closing")
			return
		}
		m.file, m.err = os.ReadFile(path)
	})
	return m.file, m.err
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
