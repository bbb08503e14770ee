package store

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps SQLite's read statements prepared (issue 14). SQLite
// parses a statement's text every time it is prepared, and a profile of
// the public pages under load put a fifth of their CPU time in that
// parser; database/sql's *sql.Stmt prepares each text once per connection
// and reuses it. PostgreSQL needs none of this: pgx caches its prepared
// statements per connection itself.
//
// The cache holds at most stmtCacheMax texts; queries past that (built
// with a varying number of placeholders, say) run unprepared as before.
type stmtCache struct {
	mu    sync.RWMutex
	pool  *sql.DB
	stmts map[string]*sql.Stmt
}

const stmtCacheMax = 512

func newStmtCache(pool *sql.DB) *stmtCache {
	return &stmtCache{pool: pool, stmts: map[string]*sql.Stmt{}}
}

// stmt returns the prepared statement for query, or nil when it cannot be
// kept (the cache is full, or preparing failed: running it unprepared then
// gives the caller the error in the usual place).
func (c *stmtCache) stmt(ctx context.Context, query string) *sql.Stmt {
	c.mu.RLock()
	st, ok := c.stmts[query]
	c.mu.RUnlock()
	if ok {
		return st
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.stmts[query]; ok {
		return st
	}
	if len(c.stmts) >= stmtCacheMax {
		return nil
	}
	st, err := c.pool.PrepareContext(context.WithoutCancel(ctx), query)
	if err != nil {
		return nil
	}
	c.stmts[query] = st
	return st
}

func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.stmts {
		st.Close()
		delete(c.stmts, q)
	}
	return nil
}

func (c *stmtCache) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := c.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return c.pool.QueryContext(ctx, query, args...)
}

func (c *stmtCache) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if st := c.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return c.pool.QueryRowContext(ctx, query, args...)
}
