// Package store opens plenary's database — embedded SQLite by default,
// PostgreSQL when several instances share one — and gives the domain packages
// one small API over both: queries written with ? placeholders, transactions
// as closures, and embedded migrations that run on start.
package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"plenary/internal/secrets"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"modernc.org/sqlite"               // registers the "sqlite" driver
)

// Dialect names the SQL engine behind a DB.
type Dialect int

const (
	SQLite Dialect = iota
	Postgres
)

func (d Dialect) String() string {
	if d == Postgres {
		return "postgres"
	}
	return "sqlite"
}

// Querier is what DB and Tx have in common, so domain code can run the same
// statements inside or outside a transaction.
type Querier interface {
	Exec(ctx context.Context, query string, args ...any) (sql.Result, error)
	Query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) *sql.Row
	Dialect() Dialect
}

// DB is an open plenary database.
type DB struct {
	dialect Dialect
	// write takes every statement that changes data. On SQLite it holds a
	// single connection, because SQLite allows one writer at a time and a
	// queue in Go is kinder than SQLITE_BUSY. On PostgreSQL it is the same
	// pool as read.
	write *sql.DB
	read  *sql.DB
	desc  string
	// stmts keeps read statements prepared on SQLite; nil on PostgreSQL
	// (stmtcache.go).
	stmts *stmtCache
}

// Open opens the database named by dsn. An empty dsn, a plain file path or a
// "sqlite:" URL selects SQLite (a relative path is taken inside dataDir);
// "postgres://" or "postgresql://" selects PostgreSQL.
func Open(ctx context.Context, dsn, dataDir string) (*DB, error) {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return openPostgres(ctx, dsn)
	case strings.Contains(dsn, "://"):
		return nil, fmt.Errorf("unsupported database URL %q: use a file path, sqlite:PATH or postgres://", redact(dsn))
	default:
		path := strings.TrimPrefix(dsn, "sqlite:")
		if path == "" {
			path = "plenary.db"
		}
		if !filepath.IsAbs(path) && dataDir != "" {
			path = filepath.Join(dataDir, path)
		}
		return openSQLite(ctx, path)
	}
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating directory for SQLite database: %w", err)
	}
	if err := prepareSQLiteFiles(path); err != nil {
		return nil, err
	}
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(NORMAL)"} {
		q.Add("_pragma", p)
	}
	q.Set("_time_format", "sqlite")
	q.Set("_txlock", "immediate")
	dsn := "file:" + path + "?" + q.Encode()
	write, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("opening SQLite database %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	read, err := sql.Open("sqlite", dsn)
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("opening SQLite database %s: %w", path, err)
	}
	read.SetMaxOpenConns(8)
	// Idle connections keep their prepared statements (stmtcache.go).
	read.SetMaxIdleConns(8)
	db := &DB{dialect: SQLite, write: write, read: read, desc: "sqlite:" + path, stmts: newStmtCache(read)}
	if err := db.Ping(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("opening SQLite database %s: %w", path, err)
	}
	return db, nil
}

// postgresConns is how many connections one instance keeps to PostgreSQL
// at most; several instances share the server's max_connections (100 by
// default).
const postgresConns = 20

func openPostgres(ctx context.Context, dsn string) (*DB, error) {
	pool, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("opening PostgreSQL %s: %w", redact(dsn), err)
	}
	pool.SetMaxOpenConns(postgresConns)
	// As many idle as open: database/sql keeps two by default, so under
	// load every other query closed its connection and the next opened a
	// new one, a PostgreSQL backend started per query (bench/README.md,
	// "PostgreSQL connections"). Idle ones still close after a while.
	pool.SetMaxIdleConns(postgresConns)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	db := &DB{dialect: Postgres, write: pool, read: pool, desc: redact(dsn)}
	if err := db.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connecting to PostgreSQL %s: %w", redact(dsn), err)
	}
	return db, nil
}

// prepareSQLiteFiles creates the database file with mode 0600 before SQLite
// opens it, because SQLite creates a missing file 0644 (less the umask) and
// gives its -wal and -shm files the mode of the database file: a data
// directory the operator made 0755 would otherwise hold a world-readable
// copy of every participant. A database, WAL or shared-memory file that
// group or others can already read stops the start with the file's name,
// rather than serving from it.
func prepareSQLiteFiles(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case err == nil:
		if err := f.Close(); err != nil {
			return fmt.Errorf("creating SQLite database %s: %w", path, err)
		}
		// The umask can only take bits away from 0600, but a chmod makes
		// the mode not depend on it at all.
		if err := os.Chmod(path, 0o600); err != nil {
			return fmt.Errorf("creating SQLite database %s: %w", path, err)
		}
	case !errors.Is(err, fs.ErrExist):
		return fmt.Errorf("creating SQLite database %s: %w", path, err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := secrets.CheckPrivate(p); err != nil {
			return err
		}
	}
	return nil
}

// redact hides a password in a database URL before it is printed.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// String describes the database without secrets, for logs.
func (db *DB) String() string { return db.desc }

// Dialect reports the engine.
func (db *DB) Dialect() Dialect { return db.dialect }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.read.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Close closes every connection.
func (db *DB) Close() error {
	if db.stmts != nil {
		db.stmts.close()
	}
	err := db.write.Close()
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

// Exec runs a statement that changes data.
func (db *DB) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return db.write.ExecContext(ctx, Rebind(db.dialect, query), args...)
}

// Query runs a read-only query.
func (db *DB) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if db.stmts != nil {
		return db.stmts.query(ctx, Rebind(db.dialect, query), args...)
	}
	return db.read.QueryContext(ctx, Rebind(db.dialect, query), args...)
}

// QueryRow runs a read-only query that returns at most one row.
func (db *DB) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if db.stmts != nil {
		return db.stmts.queryRow(ctx, Rebind(db.dialect, query), args...)
	}
	return db.read.QueryRowContext(ctx, Rebind(db.dialect, query), args...)
}

// Tx runs fn in a transaction: committed when fn returns nil, rolled back
// when it returns an error or panics. On SQLite the transaction takes the
// write lock at BEGIN, so two writers never deadlock half-way.
func (db *DB) Tx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	sqlTx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("beginning transaction: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			sqlTx.Rollback()
			panic(p)
		}
		if err != nil {
			sqlTx.Rollback()
			return
		}
		if cerr := sqlTx.Commit(); cerr != nil {
			err = fmt.Errorf("committing transaction: %w", cerr)
		}
	}()
	return fn(&Tx{tx: sqlTx, dialect: db.dialect})
}

// Tx is an open transaction; see DB.Tx.
type Tx struct {
	tx      *sql.Tx
	dialect Dialect
}

func (tx *Tx) Dialect() Dialect { return tx.dialect }

func (tx *Tx) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return tx.tx.ExecContext(ctx, Rebind(tx.dialect, query), args...)
}

func (tx *Tx) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return tx.tx.QueryContext(ctx, Rebind(tx.dialect, query), args...)
}

func (tx *Tx) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return tx.tx.QueryRowContext(ctx, Rebind(tx.dialect, query), args...)
}

// Lock takes a lock named name until the transaction ends, so instances
// sharing one PostgreSQL do one thing at a time (migrate, extend the audit
// chain, publish a statement). On SQLite it does nothing: every write
// transaction already holds the database's single write lock from BEGIN.
func (tx *Tx) Lock(ctx context.Context, name string) error {
	if tx.dialect != Postgres {
		return nil
	}
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(?)", lockKey(name)); err != nil {
		return fmt.Errorf("taking the %s lock: %w", name, err)
	}
	return nil
}

// lockKey turns a lock name into PostgreSQL's 64-bit advisory lock key. A
// name of up to eight bytes is its bytes read as a number, so "audit" and
// "plenary" keep the keys earlier releases used and an old and a new
// instance running side by side still exclude each other; a longer name is
// hashed.
func lockKey(name string) int64 {
	if len(name) <= 8 {
		var b [8]byte
		copy(b[8-len(name):], name)
		return int64(binary.BigEndian.Uint64(b[:]))
	}
	h := fnv.New64a()
	h.Write([]byte(name))
	return int64(h.Sum64())
}

// Insert runs an INSERT and returns the new row's id column. Both engines
// support RETURNING, so this is one statement on either.
func Insert(ctx context.Context, q Querier, query string, args ...any) (int64, error) {
	var id int64
	if err := q.QueryRow(ctx, query+" RETURNING id", args...).Scan(&id); err != nil {
		return 0, err
	}
	return id, nil
}

// Rebind turns ? placeholders into PostgreSQL's $1, $2, … and leaves SQLite
// queries as they are. A question mark is a placeholder only in SQL text:
// inside a quoted string or identifier, a -- or /* */ comment, or a
// PostgreSQL dollar-quoted body ($$ … $$, $tag$ … $tag$) it is kept.
func Rebind(d Dialect, query string) string {
	if d != Postgres || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	for i := 0; i < len(query); {
		c := query[i]
		// skip is how many bytes from i are not SQL text.
		skip := 0
		switch {
		case c == '\'' || c == '"':
			// A doubled quote inside ('it''s') closes and reopens the
			// string, which comes to the same.
			if j := strings.IndexByte(query[i+1:], c); j >= 0 {
				skip = j + 2
			} else {
				skip = len(query) - i
			}
		case c == '-' && strings.HasPrefix(query[i:], "--"):
			if j := strings.IndexByte(query[i:], '\n'); j >= 0 {
				skip = j + 1
			} else {
				skip = len(query) - i
			}
		case c == '/' && strings.HasPrefix(query[i:], "/*"):
			if j := strings.Index(query[i+2:], "*/"); j >= 0 {
				skip = j + 4
			} else {
				skip = len(query) - i
			}
		case c == '$':
			if tag, ok := dollarTag(query[i:]); ok {
				if j := strings.Index(query[i+len(tag):], tag); j >= 0 {
					skip = len(tag) + j + len(tag)
				} else {
					skip = len(query) - i
				}
			}
		case c == '?':
			n++
			fmt.Fprintf(&b, "$%d", n)
			i++
			continue
		}
		if skip == 0 {
			skip = 1
		}
		b.WriteString(query[i : i+skip])
		i += skip
	}
	return b.String()
}

// dollarTag returns the opening tag of a dollar-quoted string at the start
// of s ("$$" or "$name$"), and false when s starts with a $ that opens none
// (a $1 parameter, say).
func dollarTag(s string) (string, bool) {
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '$':
			return s[:i+1], true
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80 || (i > 1 && c >= '0' && c <= '9'):
		default:
			return "", false
		}
	}
	return "", false
}

// SQLite's extended result codes for a broken uniqueness rule.
const (
	sqliteConstraintPrimaryKey = 1555
	sqliteConstraintUnique     = 2067
)

// IsUniqueViolation reports whether err is a unique-constraint failure on
// either engine, so callers can turn it into a helpful message. It reads
// the engine's error code (SQLSTATE 23505 on PostgreSQL, SQLite's extended
// codes), never the message, whose wording changes between versions.
func IsUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		code := liteErr.Code()
		return code == sqliteConstraintUnique || code == sqliteConstraintPrimaryKey
	}
	return false
}

// Snapshot writes a consistent copy of a SQLite database to path, which
// must not exist, while the database stays in use.
func (db *DB) Snapshot(ctx context.Context, path string) error {
	if db.dialect != SQLite {
		return errors.New("snapshots are for SQLite; use pg_dump for PostgreSQL")
	}
	// VACUUM INTO accepts an empty file; creating it first gives the copy
	// mode 0600 rather than SQLite's default 0644.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("creating snapshot file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("creating snapshot file: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return fmt.Errorf("creating snapshot file: %w", err)
	}
	if _, err := db.write.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
		return fmt.Errorf("writing snapshot: %w", err)
	}
	return nil
}
