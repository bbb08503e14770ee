package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

func TestRebind(t *testing.T) {
	tests := []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"SELECT * FROM t WHERE a = ? AND b = ?", "SELECT * FROM t WHERE a = $1 AND b = $2"},
		{"SELECT '?' , ?", "SELECT '?' , $1"},
		{"SELECT 'it''s ?', ?", "SELECT 'it''s ?', $1"},
		{`SELECT "odd?name" FROM t WHERE a = ?`, `SELECT "odd?name" FROM t WHERE a = $1`},
		// An apostrophe in a comment opens no string, and a ? there is
		// no placeholder.
		{"SELECT a -- don't ask why?\nFROM t WHERE b = ?", "SELECT a -- don't ask why?\nFROM t WHERE b = $1"},
		{"SELECT a /* isn't it? */ FROM t WHERE b = ? /* ? */", "SELECT a /* isn't it? */ FROM t WHERE b = $1 /* ? */"},
		{"SELECT 5 - ? -- ends here", "SELECT 5 - $1 -- ends here"},
		{"SELECT a FROM t WHERE b = ? -- last words?", "SELECT a FROM t WHERE b = $1 -- last words?"},
		// Dollar-quoted bodies, as migration 0004's trigger function uses.
		{"CREATE FUNCTION f() RETURNS text AS $$ SELECT 'a?' || ? $$ LANGUAGE sql; SELECT ?", "CREATE FUNCTION f() RETURNS text AS $$ SELECT 'a?' || ? $$ LANGUAGE sql; SELECT $1"},
		{"SELECT $body$ don't? $body$, ?", "SELECT $body$ don't? $body$, $1"},
		{"SELECT $1::text, ?", "SELECT $1::text, $1"},
	}
	for _, tt := range tests {
		if got := store.Rebind(store.Postgres, tt.in); got != tt.want {
			t.Errorf("Rebind(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := store.Rebind(store.SQLite, tt.in); got != tt.in {
			t.Errorf("SQLite Rebind changed %q to %q", tt.in, got)
		}
	}
}

// TestUniqueViolationByCode: a broken UNIQUE or PRIMARY KEY rule is
// recognised on both engines from the engine's error code, and an error
// that only says so in its text is not.
func TestUniqueViolationByCode(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.Exec(ctx, "CREATE TABLE uniq_test (k TEXT PRIMARY KEY, u TEXT UNIQUE, n TEXT NOT NULL)"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(ctx, "INSERT INTO uniq_test (k, u, n) VALUES ('a', 'x', 'n')"); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name string
			sql  string
			want bool
		}{
			{"primary key", "INSERT INTO uniq_test (k, u, n) VALUES ('a', 'y', 'n')", true},
			{"unique column", "INSERT INTO uniq_test (k, u, n) VALUES ('b', 'x', 'n')", true},
			{"not null", "INSERT INTO uniq_test (k, u, n) VALUES ('c', 'z', NULL)", false},
		}
		for _, tt := range tests {
			_, err := db.Exec(ctx, tt.sql)
			if err == nil {
				t.Fatalf("%s: the insert was accepted", tt.name)
			}
			if got := store.IsUniqueViolation(fmt.Errorf("adding a row: %w", err)); got != tt.want {
				t.Errorf("%s: IsUniqueViolation(%v) = %t, want %t", tt.name, err, got, tt.want)
			}
		}
	})
	for _, err := range []error{nil, errors.New("UNIQUE constraint failed: people.email"), errors.New("duplicate key (SQLSTATE 23505)")} {
		if store.IsUniqueViolation(err) {
			t.Errorf("IsUniqueViolation(%v) = true for an error that only says so in words", err)
		}
	}
}

// TestLockSerializesOnPostgres: two transactions taking the same named
// lock run one after the other; on SQLite the lock is a no-op.
func TestLockSerializesOnPostgres(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if db.Dialect() == store.SQLite {
			if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.Lock(ctx, "test") }); err != nil {
				t.Fatal(err)
			}
			return
		}
		held := make(chan struct{})
		release := make(chan struct{})
		first := make(chan error, 1)
		go func() {
			first <- db.Tx(ctx, func(tx *store.Tx) error {
				if err := tx.Lock(ctx, "test lock"); err != nil {
					return err
				}
				close(held)
				<-release
				return nil
			})
		}()
		<-held
		second := make(chan error, 1)
		go func() {
			second <- db.Tx(ctx, func(tx *store.Tx) error { return tx.Lock(ctx, "test lock") })
		}()
		select {
		case err := <-second:
			t.Fatalf("the second transaction took the lock while the first held it (err %v)", err)
		case <-time.After(300 * time.Millisecond):
		}
		close(release)
		if err := <-first; err != nil {
			t.Fatal(err)
		}
		if err := <-second; err != nil {
			t.Fatal(err)
		}
	})
}

// TestSQLiteFilesArePrivate is issue 8's item 11: with a data directory
// the operator created 0755, the database, WAL and shared-memory files are
// created 0600; a database that others can read stops the start with an
// error naming it.
func TestSQLiteFilesArePrivate(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes on Windows")
	}
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "plenary.db")
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if perm := st.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s has mode %04o, want 0600", filepath.Base(f), perm)
		}
	}
	snap := filepath.Join(t.TempDir(), "copy.db")
	if err := db.Snapshot(ctx, snap); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(snap); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("snapshot: %v, mode %v; want 0600", err, st.Mode().Perm())
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	for _, f := range []string{path, path + "-wal"} {
		// SQLite removes the WAL on a clean close; an empty one is what
		// a crash can leave.
		if f != path {
			if err := os.WriteFile(f, nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chmod(f, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := store.Open(ctx, "", dir)
		if err == nil || !strings.Contains(err.Error(), f) || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("opening with %s at 0644: err = %v, want a refusal naming the file", filepath.Base(f), err)
		}
		if err := os.Chmod(f, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	db, err = store.Open(ctx, "", dir)
	if err != nil {
		t.Fatalf("reopening with private files: %v", err)
	}
	db.Close()
}

func TestMigrateIsIdempotent(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		applied, err := db.Migrate(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(applied) != 0 {
			t.Errorf("second Migrate applied %v again", applied)
		}
	})
}

func TestTxRollsBackOnError(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Now().UTC()
		boom := errors.New("boom")
		err := db.Tx(ctx, func(tx *store.Tx) error {
			if _, err := store.Insert(ctx, tx, "INSERT INTO announcements (title, body, link, starts_at, ends_at) VALUES (?, ?, ?, ?, ?)", "t", "b", "/", now, now); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Tx returned %v, want boom", err)
		}
		var n int
		if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM announcements").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("rolled-back insert left %d rows", n)
		}
	})
}

func TestTimesRoundTrip(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		at := time.Date(2026, 3, 4, 5, 6, 7, 123456000, time.UTC)
		id, err := store.Insert(ctx, db, "INSERT INTO announcements (title, body, link, starts_at, ends_at) VALUES (?, ?, ?, ?, ?)", "t", "b", "/", at, at.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		var got time.Time
		if err := db.QueryRow(ctx, "SELECT starts_at FROM announcements WHERE id = ? AND ends_at > ?", id, at).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if !got.Equal(at) {
			t.Errorf("read back %v, want %v", got, at)
		}
	})
}

func TestOpenRejectsUnknownScheme(t *testing.T) {
	_, err := store.Open(context.Background(), "mysql://x", t.TempDir())
	if err == nil {
		t.Fatal("mysql:// was accepted")
	}
}

// TestForeignKeys reads the catalogue of both engines the same way.
func TestForeignKeys(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		fks, err := db.ForeignKeys(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		want := map[store.ForeignKey]bool{
			{Table: "sessions", Column: "person_id", RefTable: "people", Cascade: true}:          false,
			{Table: "auth_tokens", Column: "email_id", RefTable: "person_emails", Cascade: true}: false,
			{Table: "consent_ledger", Column: "policy_version_id", RefTable: "policy_versions"}:  false,
		}
		for _, fk := range fks {
			if _, ok := want[fk]; ok {
				want[fk] = true
			}
		}
		for fk, seen := range want {
			if !seen {
				t.Errorf("%+v not found among %+v", fk, fks)
			}
		}
	})
}
