package dsr

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"plenary/internal/inventory"
	"plenary/internal/store"
)

// Hit is one place where an identifier was found.
type Hit struct {
	Identifier string
	// Table, Column and Row (the row's id, when the table has one) for
	// the database; File and Line for the data directory.
	Table, Column, Row string
	File               string
	Line               int
	// Kept says why the record is allowed to stay: a table whose declared
	// removal action is keep, or an access log (not linked to accounts,
	// deleted by retention). Empty for residue.
	Kept string
}

// Place says where the hit is, in one line.
func (h Hit) Place() string {
	var p string
	if h.File != "" {
		p = fmt.Sprintf("file %s line %d", h.File, h.Line)
	} else {
		p = "table " + h.Table + " column " + h.Column
		if h.Row != "" {
			p += " row id " + h.Row
		}
	}
	if h.Kept != "" {
		p += " (kept: " + h.Kept + ")"
	}
	return p
}

// accessLogKept is how the scan marks access-log lines.
const accessLogKept = "access log: not linked to accounts, deleted when its retention ends"

// Scanner searches every store for a person's identifiers (R4): every
// text of every table of the database, whatever the inventory says, and
// every file under the data directory, plain or gzip.
type Scanner struct {
	DB  *store.DB
	Inv *inventory.Inventory
	// DataDir is searched file by file; the live SQLite database files in
	// it are skipped, as the database is searched through SQL.
	DataDir string
	// LogDir is the access-log directory, whose hits are marked as such.
	LogDir string
	// Progress, when set, hears what is being searched.
	Progress func(what string)
}

func (s *Scanner) progress(format string, args ...any) {
	if s.Progress != nil {
		s.Progress(fmt.Sprintf(format, args...))
	}
}

// Scan returns every hit of the identifiers (compared case-insensitively),
// database first, then files, in a stable order.
func (s *Scanner) Scan(ctx context.Context, identifiers []string) ([]Hit, error) {
	var ids []string
	for _, id := range identifiers {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, errors.New("dsr scan: nothing to search for")
	}
	hits, err := s.scanDB(ctx, ids)
	if err != nil {
		return nil, err
	}
	if s.DataDir != "" {
		fh, err := s.scanFiles(ctx, ids)
		if err != nil {
			return nil, err
		}
		hits = append(hits, fh...)
	}
	return hits, nil
}

func (s *Scanner) scanDB(ctx context.Context, ids []string) ([]Hit, error) {
	cols, err := s.DB.Columns(ctx)
	if err != nil {
		return nil, err
	}
	hasID := map[string]bool{}
	for _, c := range cols {
		if c.Name == "id" {
			hasID[c.Table] = true
		}
	}
	var hits []Hit
	for i, c := range cols {
		s.progress("table %s column %s (%d of %d columns)", c.Table, c.Name, i+1, len(cols))
		key := "NULL"
		if hasID[c.Table] {
			key = `"id"`
		}
		kept := ""
		if r, ok := s.Inv.RightsFor(c.Table); ok && r.Removal.Action == inventory.Keep {
			kept = r.Removal.Why
		} else if ok && r.Detached.Action == inventory.Keep {
			kept = "when the removal of " + r.Category + " is declined, " + r.Detached.Why
		} else if _, cut := r.Detached.Set[c.Name]; ok && r.Detached.Action == inventory.Pseudonymize && !cut {
			// A column the pseudonym leaves as it is: the content of
			// a public record that stays when its removal is declined.
			kept = "when the removal of " + r.Category + " is declined, " + r.Detached.Why
		}
		for _, id := range ids {
			// Names come from the engine's catalogue, quoted; the
			// identifier is a bound argument with LIKE's wildcards
			// escaped, so it matches as plain text.
			q := fmt.Sprintf(`SELECT %s FROM "%s" WHERE LOWER(CAST("%s" AS TEXT)) LIKE ? ESCAPE '\'`, key, c.Table, c.Name)
			rows, err := s.DB.Query(ctx, q, "%"+likeEscape(strings.ToLower(id))+"%")
			if err != nil {
				return nil, fmt.Errorf("searching %s.%s: %w", c.Table, c.Name, err)
			}
			for rows.Next() {
				var row any
				if err := rows.Scan(&row); err != nil {
					rows.Close()
					return nil, err
				}
				hits = append(hits, Hit{Identifier: id, Table: c.Table, Column: c.Name, Row: text(row), Kept: kept})
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, fmt.Errorf("searching %s.%s: %w", c.Table, c.Name, err)
			}
		}
	}
	return hits, nil
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s)
}

// sqliteHeader starts every SQLite database file.
var sqliteHeader = []byte("SQLite format 3\x00")

// liveDatabase reports whether path is a SQLite database or one of its
// companion files (-wal, -shm, -journal) next to one.
func liveDatabase(path string) bool {
	for _, suffix := range []string{"-wal", "-shm", "-journal"} {
		if base, ok := strings.CutSuffix(path, suffix); ok {
			return isSQLite(base)
		}
	}
	return isSQLite(path)
}

func isSQLite(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, len(sqliteHeader))
	if _, err := io.ReadFull(f, head); err != nil {
		return false
	}
	return bytes.Equal(head, sqliteHeader)
}

func (s *Scanner) scanFiles(ctx context.Context, ids []string) ([]Hit, error) {
	var hits []Hit
	lower := make([][]byte, len(ids))
	for i, id := range ids {
		lower[i] = bytes.ToLower([]byte(id))
	}
	err := filepath.WalkDir(s.DataDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !d.Type().IsRegular() || liveDatabase(path) {
			return nil
		}
		s.progress("file %s", path)
		fh, err := s.scanFile(path, ids, lower)
		if err != nil {
			return fmt.Errorf("searching %s: %w", path, err)
		}
		hits = append(hits, fh...)
		return nil
	})
	return hits, err
}

func (s *Scanner) scanFile(path string, ids []string, lower [][]byte) ([]Hit, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			return nil, err
		}
		defer gz.Close()
		r = gz
	}
	kept := ""
	if s.LogDir != "" {
		if rel, err := filepath.Rel(s.LogDir, path); err == nil && !strings.HasPrefix(rel, "..") {
			kept = accessLogKept
		}
	}
	var hits []Hit
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := bytes.ToLower(sc.Bytes())
		for i, id := range lower {
			if bytes.Contains(line, id) {
				hits = append(hits, Hit{Identifier: ids[i], File: path, Line: n, Kept: kept})
			}
		}
	}
	return hits, sc.Err()
}
