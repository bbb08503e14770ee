package store_test

import (
	"context"
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
