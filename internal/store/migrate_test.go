package store_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestConcurrentMigrate starts several instances' migrations at once on
// one empty PostgreSQL schema, as a deploy of several instances does: all
// succeed and each migration is applied once.
func TestConcurrentMigrate(t *testing.T) {
	dsn := storetest.PostgresURL(t)
	ctx := context.Background()
	const n = 4
	dbs := make([]*store.DB, n)
	for i := range dbs {
		db, err := store.Open(ctx, dsn, "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	applied := make([][]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, db := range dbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			applied[i], errs[i] = db.Migrate(ctx)
		}()
	}
	wg.Wait()
	total := 0
	for i := range dbs {
		if errs[i] != nil {
			t.Errorf("instance %d: %v", i, errs[i])
		}
		total += len(applied[i])
	}
	var rows int
	if err := dbs[0].QueryRow(ctx, "SELECT COUNT(*) FROM schema_migrations").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if total != rows || rows == 0 {
		t.Errorf("instances applied %d migrations in all, schema_migrations has %d rows", total, rows)
	}
}

// TestEveryTriggerSurvivesTheMigrations: every trigger a migration creates
// and no later one drops is in the migrated schema. On SQLite a table built
// anew (the only way to drop a constraint there) loses the triggers of
// the old table without a word, and the rebuild must create them again,
// also those of migrations written after it was; a lost trigger leaves a
// derived table (search index, list_threads, content versions) silently
// out of step.
func TestEveryTriggerSurvivesTheMigrations(t *testing.T) {
	created := regexp.MustCompile(`(?i)CREATE\s+(?:OR\s+REPLACE\s+)?TRIGGER\s+(?:IF\s+NOT\s+EXISTS\s+)?([a-z_0-9]+)`)
	dropped := regexp.MustCompile(`(?i)DROP\s+TRIGGER\s+(?:IF\s+EXISTS\s+)?([a-z_0-9]+)`)
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		files, err := filepath.Glob("migrations/*.sql")
		if err != nil || len(files) == 0 {
			t.Fatalf("no migration files: %v", err)
		}
		sort.Strings(files)
		want := map[string]string{} // trigger: the migration that made it
		for _, f := range files {
			name := strings.TrimSuffix(filepath.Base(f), ".sql")
			if _, engine, ok := strings.Cut(name, "."); ok && engine != db.Dialect().String() {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			// Statement by statement, in order, comments left out.
			var sql strings.Builder
			for _, line := range strings.Split(string(b), "\n") {
				if !strings.HasPrefix(strings.TrimSpace(line), "--") {
					sql.WriteString(line + "\n")
				}
			}
			text := sql.String()
			type event struct {
				at     int
				name   string
				create bool
			}
			var events []event
			for _, m := range created.FindAllStringSubmatchIndex(text, -1) {
				events = append(events, event{m[0], strings.ToLower(text[m[2]:m[3]]), true})
			}
			for _, m := range dropped.FindAllStringSubmatchIndex(text, -1) {
				events = append(events, event{m[0], strings.ToLower(text[m[2]:m[3]]), false})
			}
			sort.Slice(events, func(i, j int) bool { return events[i].at < events[j].at })
			for _, ev := range events {
				if ev.create {
					want[ev.name] = name
				} else {
					delete(want, ev.name)
				}
			}
		}
		query := "SELECT name FROM sqlite_master WHERE type = 'trigger'"
		if db.Dialect() == store.Postgres {
			query = `SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
				WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace`
		}
		rows, err := db.Query(context.Background(), query)
		if err != nil {
			t.Fatal(err)
		}
		live := map[string]bool{}
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
			live[strings.ToLower(n)] = true
		}
		rows.Close()
		if len(want) == 0 {
			t.Fatal("the migrations create no trigger: the test reads them wrong")
		}
		for trig, from := range want {
			if !live[trig] {
				t.Errorf("trigger %s (migration %s) is missing from the migrated schema", trig, from)
			}
		}
	})
}
