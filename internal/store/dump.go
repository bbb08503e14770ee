package store

import (
	"bufio"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// DumpFormat names the portable dump of a PostgreSQL installation: gzip'd
// JSON lines, a header, then each table (parents before the tables that
// refer to them) with its columns and their types followed by its rows,
// then an end line so that a cut-short file is refused.
const DumpFormat = "plenary-postgres-dump/1"

type dumpLine struct {
	Format     string   `json:"format,omitempty"`
	Migrations []string `json:"migrations,omitempty"`
	Table      string   `json:"table,omitempty"`
	Columns    []string `json:"columns,omitempty"`
	Types      []string `json:"types,omitempty"`
	Row        []any    `json:"row,omitempty"`
	End        bool     `json:"end,omitempty"`
	Tables     int      `json:"tables,omitempty"`
	Rows       int64    `json:"rows,omitempty"`
}

const migrationsTable = "schema_migrations"

// DumpStats says what a dump or a load held.
type DumpStats struct {
	Tables int
	Rows   int64
}

// Dump writes every table of a PostgreSQL installation's schema to w from
// one REPEATABLE READ snapshot, so the copy is consistent while the site
// keeps running; it needs no PostgreSQL tool.
func (db *DB) Dump(ctx context.Context, w io.Writer) (DumpStats, error) {
	var st DumpStats
	if db.dialect != Postgres {
		return st, errors.New("dump is for PostgreSQL; a SQLite installation is copied with Snapshot")
	}
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return st, fmt.Errorf("beginning the snapshot: %w", err)
	}
	defer tx.Rollback()
	tables, err := tableOrder(ctx, tx)
	if err != nil {
		return st, err
	}
	migrations, err := stringsOf(ctx, tx, `SELECT name FROM `+migrationsTable+` ORDER BY name`)
	if err != nil {
		return st, fmt.Errorf("reading the applied migrations: %w", err)
	}
	zw := gzip.NewWriter(w)
	enc := json.NewEncoder(zw)
	if err := enc.Encode(dumpLine{Format: DumpFormat, Migrations: migrations}); err != nil {
		return st, err
	}
	for _, table := range tables {
		if table == migrationsTable {
			continue
		}
		cols, types, err := columnsOf(ctx, tx, table)
		if err != nil {
			return st, err
		}
		if err := enc.Encode(dumpLine{Table: table, Columns: cols, Types: types}); err != nil {
			return st, err
		}
		quoted := make([]string, len(cols))
		for i, c := range cols {
			quoted[i] = quoteIdent(c)
		}
		rows, err := tx.QueryContext(ctx, "SELECT "+strings.Join(quoted, ", ")+" FROM "+quoteIdent(table))
		if err != nil {
			return st, fmt.Errorf("reading %s: %w", table, err)
		}
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return st, fmt.Errorf("reading %s: %w", table, err)
			}
			row := make([]any, len(vals))
			for i, v := range vals {
				switch x := v.(type) {
				case time.Time:
					row[i] = x.UTC().Format(time.RFC3339Nano)
				case []byte:
					row[i] = base64.StdEncoding.EncodeToString(x)
				default:
					row[i] = x
				}
			}
			if err := enc.Encode(dumpLine{Row: row}); err != nil {
				rows.Close()
				return st, err
			}
			st.Rows++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return st, fmt.Errorf("reading %s: %w", table, err)
		}
		st.Tables++
	}
	if err := enc.Encode(dumpLine{End: true, Tables: st.Tables, Rows: st.Rows}); err != nil {
		return st, err
	}
	if err := zw.Close(); err != nil {
		return st, fmt.Errorf("finishing the dump: %w", err)
	}
	return st, tx.Commit()
}

// Load fills a freshly migrated, empty PostgreSQL schema from a dump, in
// one transaction: either everything is restored or nothing is. It
// refuses a dump made by a newer release (a migration this one does not
// know) and a schema that already holds data.
func (db *DB) Load(ctx context.Context, r io.Reader) (DumpStats, error) {
	var st DumpStats
	if db.dialect != Postgres {
		return st, errors.New("a PostgreSQL dump is loaded into PostgreSQL")
	}
	zr, err := gzip.NewReader(bufio.NewReader(r))
	if err != nil {
		return st, fmt.Errorf("reading the dump: %w", err)
	}
	dec := json.NewDecoder(zr)
	dec.UseNumber()
	var head dumpLine
	if err := dec.Decode(&head); err != nil || head.Format != DumpFormat {
		return st, fmt.Errorf("not a plenary PostgreSQL dump (%s expected)", DumpFormat)
	}
	err = db.Tx(ctx, func(tx *Tx) error {
		known, err := stringsOf(ctx, tx.tx, `SELECT name FROM `+migrationsTable)
		if err != nil {
			return fmt.Errorf("reading the applied migrations: %w", err)
		}
		for _, m := range head.Migrations {
			if !slices.Contains(known, m) {
				return fmt.Errorf("the dump was made by a newer release (migration %s); restore it with that release", m)
			}
		}
		var table string
		var cols, types []string
		var stmt *sql.Stmt
		finish := func() error {
			if table == "" {
				return nil
			}
			stmt.Close()
			st.Tables++
			if slices.Contains(cols, "id") {
				// Identity columns continue after the restored ids.
				if _, err := tx.tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence($1, 'id'), MAX(id)) FROM `+quoteIdent(table)+` HAVING MAX(id) IS NOT NULL`, table); err != nil {
					return fmt.Errorf("continuing the numbering of %s: %w", table, err)
				}
			}
			return nil
		}
		for {
			var l dumpLine
			if err := dec.Decode(&l); err != nil {
				return fmt.Errorf("the dump is cut short or damaged: %w", err)
			}
			switch {
			case l.End:
				if err := finish(); err != nil {
					return err
				}
				if l.Tables != st.Tables || l.Rows != st.Rows {
					return fmt.Errorf("the dump says %d tables and %d rows but holds %d and %d", l.Tables, l.Rows, st.Tables, st.Rows)
				}
				return nil
			case l.Table != "":
				if err := finish(); err != nil {
					return err
				}
				table, cols, types = l.Table, l.Columns, l.Types
				var n int64
				if err := tx.tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+quoteIdent(table)).Scan(&n); err != nil {
					return fmt.Errorf("table %s of the dump: %w", table, err)
				}
				if n > 0 {
					return fmt.Errorf("table %s already holds data: restore into an empty database or schema", table)
				}
				quoted := make([]string, len(cols))
				marks := make([]string, len(cols))
				for i, c := range cols {
					quoted[i] = quoteIdent(c)
					marks[i] = fmt.Sprintf("$%d", i+1)
				}
				stmt, err = tx.tx.PrepareContext(ctx, "INSERT INTO "+quoteIdent(table)+" ("+strings.Join(quoted, ", ")+") VALUES ("+strings.Join(marks, ", ")+")")
				if err != nil {
					return fmt.Errorf("restoring %s: %w", table, err)
				}
			case l.Row != nil:
				if table == "" || len(l.Row) != len(cols) {
					return errors.New("the dump is damaged: a row outside a table or of the wrong width")
				}
				args := make([]any, len(cols))
				for i, v := range l.Row {
					if args[i], err = fromDump(v, types[i]); err != nil {
						return fmt.Errorf("restoring %s.%s: %w", table, cols[i], err)
					}
				}
				if _, err := stmt.ExecContext(ctx, args...); err != nil {
					return fmt.Errorf("restoring a row of %s: %w", table, err)
				}
				st.Rows++
			}
		}
	})
	return st, err
}

// fromDump turns a dumped JSON value back into the column's type.
func fromDump(v any, typ string) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch x := v.(type) {
	case json.Number:
		if strings.Contains(typ, "int") {
			return x.Int64()
		}
		return x.Float64()
	case string:
		switch {
		case strings.HasPrefix(typ, "timestamp"):
			return time.Parse(time.RFC3339Nano, x)
		case typ == "bytea":
			return base64.StdEncoding.DecodeString(x)
		}
		return x, nil
	}
	return v, nil
}

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func stringsOf(ctx context.Context, q queryer, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func columnsOf(ctx context.Context, q queryer, table string) (cols, types []string, err error) {
	rows, err := q.QueryContext(ctx, `SELECT column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`, table)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the columns of %s: %w", table, err)
	}
	defer rows.Close()
	for rows.Next() {
		var c, t string
		if err := rows.Scan(&c, &t); err != nil {
			return nil, nil, err
		}
		cols = append(cols, c)
		types = append(types, t)
	}
	return cols, types, rows.Err()
}

// tableOrder lists the schema's tables, each after the tables its foreign
// keys point to, so that a load inserts parents first.
func tableOrder(ctx context.Context, q queryer) ([]string, error) {
	tables, err := stringsOf(ctx, q, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
			AND table_name NOT IN ('content_versions', 'list_search', 'list_threads') ORDER BY table_name`) // derived: the restore's triggers rebuild them
	if err != nil {
		return nil, fmt.Errorf("listing tables: %w", err)
	}
	rows, err := q.QueryContext(ctx, `SELECT t.relname, r.relname FROM pg_constraint c
		JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class r ON r.oid = c.confrelid
		WHERE c.contype = 'f' AND t.relnamespace = current_schema()::regnamespace`)
	if err != nil {
		return nil, fmt.Errorf("reading foreign keys: %w", err)
	}
	parents := map[string][]string{}
	for rows.Next() {
		var t, r string
		if err := rows.Scan(&t, &r); err != nil {
			rows.Close()
			return nil, err
		}
		if t != r {
			parents[t] = append(parents[t], r)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []string
	done := map[string]bool{}
	var visit func(t string, depth int) error
	visit = func(t string, depth int) error {
		if done[t] {
			return nil
		}
		if depth > len(tables) {
			return fmt.Errorf("foreign keys form a cycle through %s", t)
		}
		for _, p := range parents[t] {
			if err := visit(p, depth+1); err != nil {
				return err
			}
		}
		done[t] = true
		out = append(out, t)
		return nil
	}
	for _, t := range tables {
		if err := visit(t, 0); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
