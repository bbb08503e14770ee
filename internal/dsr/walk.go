// Package dsr carries out data-subject rights from the data inventory's
// declarations: it finds every row about a person by each table's declared
// subject link, exports them (R2), removes them by each table's declared
// removal action (R4), and scans every store for what is left. It has no
// table-specific code: a table that declares its link and removal action
// in internal/inventory is exported, removed and scanned with the rest.
package dsr

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"plenary/internal/inventory"
	"plenary/internal/store"
)

// Subject is the person a request is about: the account number and the
// addresses they have proved are theirs, which find what they sent
// without being signed in (an inquiry).
type Subject struct {
	Person    int64
	Addresses []string // confirmed addresses, lower case
}

// LoadSubject reads a person's confirmed addresses. Only confirmed ones
// count: anyone can type an address they do not own into a form, and
// export or removal by an unproven address would hand over or erase a
// stranger's data.
func LoadSubject(ctx context.Context, q store.Querier, person int64) (Subject, error) {
	rows, err := q.Query(ctx, `SELECT address_key FROM person_emails
		WHERE person_id = ? AND verified_at IS NOT NULL ORDER BY id`, person)
	if err != nil {
		return Subject{}, fmt.Errorf("reading the person's confirmed addresses: %w", err)
	}
	defer rows.Close()
	s := Subject{Person: person}
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return Subject{}, err
		}
		s.Addresses = append(s.Addresses, strings.ToLower(a))
	}
	return s, rows.Err()
}

// walker builds the predicates that select a subject's rows in each table.
type walker struct {
	rights map[string]inventory.Rights
	s      Subject
}

func newWalker(inv *inventory.Inventory, s Subject) walker {
	w := walker{rights: map[string]inventory.Rights{}, s: s}
	for _, r := range inv.Rights() {
		w.rights[r.Table] = r
	}
	return w
}

// where returns the condition, with its arguments, that selects the rows
// of table about the subject; "" when no row can be tied to anyone.
// Identifiers come from the inventory, never from input.
func (w walker) where(table string) (string, []any) {
	var parts []string
	var args []any
	for _, l := range w.rights[table].Links {
		switch {
		case l.Column != "":
			parts = append(parts, l.Column+" = ?")
			args = append(args, w.s.Person)
		case l.Reference != "":
			parts = append(parts, l.Reference+" = ?")
			args = append(args, fmt.Sprintf("person:%d", w.s.Person))
		case l.Address != "":
			if len(w.s.Addresses) == 0 {
				continue
			}
			marks := strings.TrimSuffix(strings.Repeat("?, ", len(w.s.Addresses)), ", ")
			parts = append(parts, "LOWER("+l.Address+") IN ("+marks+")")
			for _, a := range w.s.Addresses {
				args = append(args, a)
			}
		case l.Parent != "":
			cond, pargs := w.where(l.Parent)
			if cond == "" {
				continue
			}
			parts = append(parts, l.Through+" IN (SELECT id FROM "+l.Parent+" WHERE "+cond+")")
			args = append(args, pargs...)
		}
	}
	if len(parts) == 0 {
		return "", nil
	}
	return "(" + strings.Join(parts, " OR ") + ")", args
}

// Table is one table's rows about the subject.
type Table struct {
	Table       string     `json:"table"`
	Description string     `json:"description"`
	OnRemoval   string     `json:"on_removal"`
	Columns     []string   `json:"columns"`
	Rows        [][]string `json:"rows"`
	// Unlinked says why the table cannot be searched by person.
	Unlinked string `json:"not_linked,omitempty"`
}

// exportColumns are a table's declared columns minus one-way hashes of
// secrets (password, session and link tokens, the audit chain): they say
// nothing to the person and would help someone who got hold of the file.
func exportColumns(inv *inventory.Inventory, table string) []string {
	var cols []string
	for _, it := range inv.Items() {
		if it.Kind != inventory.Column || it.Table != table {
			continue
		}
		if it.Name == "hash" || strings.HasSuffix(it.Name, "_hash") {
			continue
		}
		cols = append(cols, it.Name)
	}
	return cols
}

// collect reads every declared table's rows about the subject.
func collect(ctx context.Context, q store.Querier, inv *inventory.Inventory, s Subject) ([]Table, error) {
	w := newWalker(inv, s)
	var out []Table
	for _, r := range inv.Rights() {
		t := Table{Table: r.Table, Description: inventory.TableName(r.Table), OnRemoval: r.Removal.Why,
			Columns: exportColumns(inv, r.Table)}
		cond, args := w.where(r.Table)
		if cond == "" {
			for _, l := range r.Links {
				t.Unlinked += l.None
			}
			out = append(out, t)
			continue
		}
		rows, err := q.Query(ctx, "SELECT "+strings.Join(t.Columns, ", ")+" FROM "+r.Table+" WHERE "+cond+" ORDER BY 1", args...)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", r.Table, err)
		}
		for rows.Next() {
			vals := make([]any, len(t.Columns))
			ptrs := make([]any, len(vals))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return nil, fmt.Errorf("reading %s: %w", r.Table, err)
			}
			row := make([]string, len(vals))
			for i, v := range vals {
				row[i] = text(v)
			}
			t.Rows = append(t.Rows, row)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("reading %s: %w", r.Table, err)
		}
		out = append(out, t)
	}
	return out, nil
}

// text renders a database value for people to read.
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case []byte:
		return string(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	case string:
		return x
	default:
		return fmt.Sprint(x)
	}
}

// Outcome is what a removal did, table by table: counts only, so that it
// can be recorded without the data it removed.
type Outcome struct {
	Deleted      map[string]int64
	Pseudonymous map[string]int64
	Kept         map[string]int64
}

// Summary is the outcome in one line, for the audit log.
func (o Outcome) Summary() string {
	var parts []string
	for _, r := range []struct {
		what string
		m    map[string]int64
	}{{"deleted", o.Deleted}, {"pseudonymized", o.Pseudonymous}, {"kept", o.Kept}} {
		var ts []string
		for t, n := range r.m {
			if n > 0 {
				ts = append(ts, fmt.Sprintf("%s %d", t, n))
			}
		}
		if len(ts) > 0 {
			slices.Sort(ts)
			parts = append(parts, r.what+": "+strings.Join(ts, ", "))
		}
	}
	if len(parts) == 0 {
		return "nothing held"
	}
	return strings.Join(parts, "; ")
}

// remove runs every table's removal action for the subject on tx, children
// before the parents they are found through.
func remove(ctx context.Context, tx *store.Tx, inv *inventory.Inventory, s Subject) (Outcome, error) {
	o := Outcome{Deleted: map[string]int64{}, Pseudonymous: map[string]int64{}, Kept: map[string]int64{}}
	w := newWalker(inv, s)
	rights := inv.Rights()
	for i := len(rights) - 1; i >= 0; i-- {
		r := rights[i]
		cond, args := w.where(r.Table)
		if cond == "" {
			continue
		}
		var res sql.Result
		var err error
		switch r.Removal.Action {
		case inventory.Delete:
			res, err = tx.Exec(ctx, "DELETE FROM "+r.Table+" WHERE "+cond, args...)
			if err == nil {
				o.Deleted[r.Table], err = res.RowsAffected()
			}
		case inventory.Pseudonymize:
			if len(r.Removal.Set) == 0 {
				o.Pseudonymous[r.Table], err = count(ctx, tx, r.Table, cond, args)
				break
			}
			var sets []string
			for col, val := range r.Removal.Set {
				sets = append(sets, col+" = "+val)
			}
			slices.Sort(sets)
			res, err = tx.Exec(ctx, "UPDATE "+r.Table+" SET "+strings.Join(sets, ", ")+" WHERE "+cond, args...)
			if err == nil {
				o.Pseudonymous[r.Table], err = res.RowsAffected()
			}
		case inventory.Keep:
			o.Kept[r.Table], err = count(ctx, tx, r.Table, cond, args)
		}
		if err != nil {
			return Outcome{}, fmt.Errorf("removing from %s: %w", r.Table, err)
		}
	}
	return o, nil
}

func count(ctx context.Context, q store.Querier, table, cond string, args []any) (int64, error) {
	var n int64
	err := q.QueryRow(ctx, "SELECT COUNT(*) FROM "+table+" WHERE "+cond, args...).Scan(&n)
	return n, err
}
