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
	// Key is the column Row is a value of: "id", or for a search index
	// the column naming the row it indexes.
	Key  string
	File string
	Line int
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
			p += " row " + h.Key + " " + h.Row
		}
	}
	if h.Kept != "" {
		p += " (kept: " + h.Kept + ")"
	}
	return p
}

// accessLogKept is how the scan marks access-log lines.
const accessLogKept = "access log: not linked to accounts, deleted when its retention ends"

// OthersRecord is how the scan marks a row that holds the identifier but
// is not the person's: a posting that quotes their address, a draft that
// names them. Their request reaches what is theirs (as the export finds
// it), not every mention of them in what others wrote.
const OthersRecord = "not linked to their account (another person's record that mentions them, or sent from an address they have not proved is theirs), so their request does not reach it"

// orOthers ends the mark of a record that stays when the removal of its
// kind is declined, for a scan with no account to tell whose it is.
const orOthers = "; or another person's record that mentions them (with no account to compare, the scan cannot tell which)"

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
	// Subject, when set, is the person whose identifiers are searched,
	// while their account exists: a hit in a row the inventory's links
	// do not tie to them is marked OthersRecord. Without it (the account
	// is gone) the scan cannot tell their kept records from others'.
	Subject *Subject
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
	owned, err := s.ownedRows(ctx, hasID)
	if err != nil {
		return nil, err
	}
	var hits []Hit
	for i, c := range cols {
		s.progress("table %s column %s (%d of %d columns)", c.Table, c.Name, i+1, len(cols))
		key, keyName, source := "NULL", "", c.Table
		if hasID[c.Table] {
			key, keyName = `"id"`, "id"
		}
		// A row of a search index is marked as the row it indexes.
		f, follows := s.Inv.Follows(c.Table)
		if follows {
			key, keyName, source = `"`+f.Key+`"`, f.Key, f.Of
		}
		kept := ""
		declined := ""
		if r, ok := s.Inv.RightsFor(source); ok && r.Removal.Action == inventory.Keep {
			kept = r.Removal.Why
		} else if ok && r.Detached.Action == inventory.Keep {
			declined = "when the removal of " + r.Category + " is declined, " + r.Detached.Why
		} else if _, cut := r.Detached.Set[c.Name]; ok && r.Detached.Action == inventory.Pseudonymize && (!cut || follows) {
			// A column the pseudonym leaves as it is: the content of
			// a public record that stays when its removal is declined.
			declined = "when the removal of " + r.Category + " is declined, " + r.Detached.Why
		}
		if declined != "" {
			kept = declined
			if s.Subject == nil {
				kept += orOthers
			}
		}
		mine, linked := owned[source]
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
				h := Hit{Identifier: id, Table: c.Table, Column: c.Name, Row: text(row), Key: keyName, Kept: kept}
				if linked && !mine[h.Row] {
					h.Kept = OthersRecord
				}
				hits = append(hits, h)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, fmt.Errorf("searching %s.%s: %w", c.Table, c.Name, err)
			}
		}
	}
	return hits, nil
}

// ownedRows returns, for each table with an id column whose rows the
// inventory links to a person, the ids of the subject's rows; nil without
// a subject. A table the links cannot search by person is left out, so
// its hits keep their mark.
func (s *Scanner) ownedRows(ctx context.Context, hasID map[string]bool) (map[string]map[string]bool, error) {
	if s.Subject == nil {
		return nil, nil
	}
	w := newWalker(s.Inv, *s.Subject)
	owned := map[string]map[string]bool{}
	for _, r := range s.Inv.Rights() {
		cond, args := w.where(r.Table)
		if !hasID[r.Table] || !searchable(r) {
			continue
		}
		mine := map[string]bool{}
		if cond != "" {
			// Names and the condition come from the inventory.
			rows, err := s.DB.Query(ctx, `SELECT id FROM "`+r.Table+`" WHERE `+cond, args...)
			if err != nil {
				return nil, fmt.Errorf("finding the person's rows of %s: %w", r.Table, err)
			}
			ids, err := store.Collect(rows, store.Scalar[any])
			if err != nil {
				return nil, fmt.Errorf("finding the person's rows of %s: %w", r.Table, err)
			}
			for _, id := range ids {
				mine[text(id)] = true
			}
		}
		owned[r.Table] = mine
	}
	return owned, nil
}

// searchable reports whether some link of r ties a row to a person.
func searchable(r inventory.Rights) bool {
	for _, l := range r.Links {
		if l.None == "" {
			return true
		}
	}
	return false
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
