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
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"plenary/internal/inventory"
	"plenary/internal/policy"
	"plenary/internal/secrets"
	"plenary/internal/store"
)

// Subject is the person a request is about: the account number and the
// addresses they have proved are theirs, which find what they sent
// without being signed in (an inquiry).
type Subject struct {
	Person    int64
	Addresses []string // confirmed addresses, lower case
}

// LoadSubject reads the addresses whose mailbox the person proved: typed
// by them and confirmed by the link mailed to each (people.Email's
// MailboxProven). Anyone can type an address they do not own into a form,
// and an address staff entered is confirmed from the primary address,
// which shows the person wants it, not that its mailbox is theirs: export
// or removal by such an address would hand over or erase a stranger's
// data (as /account, which shows inquiries and registrations by the same
// rule).
func LoadSubject(ctx context.Context, q store.Querier, person int64) (Subject, error) {
	rows, err := q.Query(ctx, `SELECT address_key FROM person_emails
		WHERE person_id = ? AND verified_at IS NOT NULL AND origin = 'self' ORDER BY id`, person)
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
		case l.Column != "" && l.When != "":
			parts = append(parts, "("+l.Column+" = ? AND "+l.When+")")
			args = append(args, w.s.Person)
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

// Ledger returns the consent entries about the subject that their own
// copy of their data holds (R2): tied to the account, or to what they
// sent from an address whose mailbox they proved, by the inventory's
// links. The account page shows the same, so what it calls "everything
// you agreed to" is that.
func Ledger(ctx context.Context, q store.Querier, inv *inventory.Inventory, s Subject) ([]policy.Consent, error) {
	cond, args := newWalker(inv, s).where("consent_ledger")
	if cond == "" {
		return nil, nil
	}
	return policy.EntriesWhere(ctx, q, cond, args...)
}

// Table is one table's rows about the subject.
type Table struct {
	Table       string `json:"table"`
	Description string `json:"description"`
	OnRemoval   string `json:"on_removal"`
	// Category is the kind of data a removal request decides it with;
	// IfKept says what happens to it when the account is removed but the
	// removal of this kind is declined.
	Category string     `json:"removal_category"`
	IfKept   string     `json:"if_kept,omitempty"`
	Columns  []string   `json:"columns"`
	Rows     [][]string `json:"rows"`
	// Files are the binary values among Rows (an attachment to a
	// posting): the row's cell holds the file's Path instead of its bytes.
	Files []File `json:"files,omitempty"`
	// Unlinked says why the table cannot be searched by person.
	Unlinked string `json:"not_linked,omitempty"`
}

// File is a binary value in a subject's row: a file they sent. An export
// never inlines its bytes: the page names it with its size, and the
// download carries it as a file of its own at Path in the zip.
type File struct {
	Row    int    `json:"row"`    // index in Table.Rows
	Column string `json:"column"` // the column that holds it
	Name   string `json:"name"`   // the row's file name, as sent; "" when it has none
	Size   int    `json:"size"`   // in bytes
	Path   string `json:"path"`   // where the download holds it
	Data   []byte `json:"-"`
}

// File returns the file in cell (row, col), or nil when the cell is text;
// for the export page.
func (t Table) File(row, col int) *File {
	if col < 0 || col >= len(t.Columns) {
		return nil
	}
	for i := range t.Files {
		if t.Files[i].Row == row && t.Files[i].Column == t.Columns[col] {
			return &t.Files[i]
		}
	}
	return nil
}

// exportColumns are a table's declared columns minus one-way hashes of
// secrets (password, session and link tokens, the audit chain): they say
// nothing to the person and would help someone who got hold of the file.
// sealed maps each column encrypted with a site key to its key's purpose.
func exportColumns(inv *inventory.Inventory, table string) (cols []string, sealed map[string]string) {
	sealed = map[string]string{}
	for _, it := range inv.Items() {
		if it.Kind != inventory.Column || it.Table != table {
			continue
		}
		if it.Name == "hash" || strings.HasSuffix(it.Name, "_hash") {
			continue
		}
		cols = append(cols, it.Name)
		if it.Sealed != "" {
			sealed[it.Name] = it.Sealed
		}
	}
	return cols, sealed
}

// collect reads every declared table's rows about the subject. Values
// sealed with a site key are opened with keys (the person's own copy;
// the caller audits it); binary values become Files.
func collect(ctx context.Context, q store.Querier, inv *inventory.Inventory, keys *secrets.Keys, s Subject) ([]Table, error) {
	w := newWalker(inv, s)
	var out []Table
	for _, r := range inv.Rights() {
		cols, sealed := exportColumns(inv, r.Table)
		t := Table{Table: r.Table, Description: inventory.TableName(r.Table), OnRemoval: r.Removal.Why,
			Category: r.Category, IfKept: r.Detached.Why, Columns: cols}
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
		binary := make([]bool, len(t.Columns))
		if types, err := rows.ColumnTypes(); err == nil && len(types) == len(binary) {
			for i, ct := range types {
				switch strings.ToUpper(ct.DatabaseTypeName()) {
				case "BLOB", "BYTEA":
					binary[i] = true
				}
			}
		}
		all, err := store.Collect(rows, store.Values)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", r.Table, err)
		}
		idCol, nameCol := slices.Index(t.Columns, "id"), slices.Index(t.Columns, "filename")
		paths := map[string]bool{}
		for n, vals := range all {
			row := make([]string, len(vals))
			for i, v := range vals {
				b, isBytes := v.([]byte)
				switch {
				case sealed[t.Columns[i]] != "":
					row[i] = open(keys, sealed[t.Columns[i]], r.Table, t.Columns[i], v, cell(vals, idCol))
				case isBytes && len(b) > 0 && (binary[i] || !utf8.Valid(b)):
					f := File{Row: n, Column: t.Columns[i], Name: text(cell(vals, nameCol)), Size: len(b), Data: b}
					f.Path = filePath(r.Table, t.Columns[i], text(cell(vals, idCol)), n, f.Name, paths)
					t.Files = append(t.Files, f)
					row[i] = f.Path
				default:
					row[i] = text(v)
				}
			}
			t.Rows = append(t.Rows, row)
		}
		out = append(out, t)
	}
	return out, nil
}

func cell(vals []any, i int) any {
	if i < 0 {
		return nil
	}
	return vals[i]
}

// NotOpened stands in an export for a sealed value that could not be
// decrypted: never the ciphertext, which says nothing to the person.
const NotOpened = "(encrypted; it could not be decrypted for this copy)"

// open decrypts a sealed value of table.column in the row whose id is id.
func open(keys *secrets.Keys, purpose, table, column string, v, id any) string {
	b, ok := v.([]byte)
	if v == nil || (ok && len(b) == 0) {
		return ""
	}
	n, isID := id.(int64)
	if keys == nil || !ok || !isID {
		return NotOpened
	}
	plain, err := keys.Sealer(purpose).Open(b, inventory.SealContext(table, column, n))
	if err != nil || !utf8.Valid(plain) {
		return NotOpened
	}
	return string(plain)
}

// filePath is where the download holds a file: files/TABLE/ID-NAME, the
// name cut to its last element and to letters, digits, '.', '-' and '_',
// so that no name can reach outside the folder; a name seen before gets
// its column, then its row number, added.
func filePath(table, column, id string, row int, name string, seen map[string]bool) string {
	if id == "" {
		id = strconv.Itoa(row + 1)
	}
	base := safeName(name)
	if base == "" {
		base = column + ".bin"
	}
	p := "files/" + table + "/" + id + "-" + base
	for i := 2; seen[p]; i++ {
		p = "files/" + table + "/" + id + "-" + column + "-" + strconv.Itoa(i) + "-" + base
	}
	seen[p] = true
	return p
}

// safeName is the last element of a file name as sent, every character
// other than an ASCII letter, digit, '.', '-' or '_' made '_', without
// leading dots, at most 100 bytes.
func safeName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	var b strings.Builder
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	s := strings.TrimLeft(b.String(), ".")
	if len(s) > 100 {
		s = s[len(s)-100:]
	}
	return s
}

// text renders a database value for people to read. Binary values never
// reach it: collect makes them Files.
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
	// Rebuilt counts, by "table.column", the copies computed again
	// (inventory.Rebuild).
	Rebuilt map[string]int64
}

// Summary is the outcome in one line, for the audit log.
func (o Outcome) Summary() string {
	var parts []string
	for _, r := range []struct {
		what string
		m    map[string]int64
	}{{"deleted", o.Deleted}, {"pseudonymized", o.Pseudonymous}, {"kept", o.Kept}, {"rebuilt", o.Rebuilt}} {
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

// Plan says which removal categories a removal runs: true for an approved
// category, whose tables get their removal action. When the account
// category is approved, every category not approved in the plan is
// detached from the person instead: its rows stay, cut from the account
// (a posting keeps its content under a pseudonym).
type Plan map[string]bool

// All approves every category: a child's purge (CH2).
func All() Plan {
	p := Plan{}
	for _, c := range inventory.RemovalCategories() {
		p[c.Name] = true
	}
	return p
}

// action is what plan does to r's rows; the zero Removal when nothing.
func (p Plan) action(r inventory.Rights) inventory.Removal {
	switch {
	case p[r.Category]:
		return r.Removal
	case p[inventory.CategoryAccount]:
		return r.Detached
	}
	return inventory.Removal{}
}

// remove runs plan's removal actions for the subject on tx, children
// before the parents they are found through.
func remove(ctx context.Context, tx *store.Tx, inv *inventory.Inventory, s Subject, plan Plan) (Outcome, error) {
	o := newOutcome()
	w := newWalker(inv, s)
	rights := inv.Rights()
	for i := len(rights) - 1; i >= 0; i-- {
		r := rights[i]
		act := plan.action(r)
		if act.Action == "" {
			continue
		}
		cond, args := w.where(r.Table)
		if cond == "" {
			continue
		}
		var keys [][]int64
		var err error
		if act.Action == inventory.Delete || len(act.Set) > 0 {
			if keys, err = rebuildKeys(ctx, tx, r, cond, args); err != nil {
				return Outcome{}, err
			}
		}
		var res sql.Result
		switch act.Action {
		case inventory.Delete:
			res, err = tx.Exec(ctx, "DELETE FROM "+r.Table+" WHERE "+cond, args...)
			if err == nil {
				o.Deleted[r.Table], err = res.RowsAffected()
			}
		case inventory.Pseudonymize:
			if len(act.Set) == 0 {
				o.Pseudonymous[r.Table], err = count(ctx, tx, r.Table, cond, args)
				break
			}
			var sets []string
			for col, val := range act.Set {
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
		if err := rebuild(ctx, tx, r, keys, o.Rebuilt); err != nil {
			return Outcome{}, err
		}
	}
	return o, nil
}

func newOutcome() Outcome {
	return Outcome{Deleted: map[string]int64{}, Pseudonymous: map[string]int64{}, Kept: map[string]int64{}, Rebuilt: map[string]int64{}}
}

// rebuildKeys reads, before a removal changes r's rows about the subject,
// the ids of the rows of each table that keeps a copy of them (one list
// per declared rebuild, in order).
func rebuildKeys(ctx context.Context, tx *store.Tx, r inventory.Rights, cond string, args []any) ([][]int64, error) {
	var keys [][]int64
	for _, b := range r.Rebuild {
		rows, err := tx.Query(ctx, "SELECT DISTINCT "+b.Key+" FROM "+r.Table+" WHERE "+cond, args...)
		if err != nil {
			return nil, fmt.Errorf("finding the copies %s.%s keeps of %s: %w", b.Table, b.Column, r.Table, err)
		}
		var ids []int64
		for rows.Next() {
			var id sql.NullInt64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, fmt.Errorf("finding the copies %s.%s keeps of %s: %w", b.Table, b.Column, r.Table, err)
			}
			if id.Valid {
				ids = append(ids, id.Int64)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("finding the copies %s.%s keeps of %s: %w", b.Table, b.Column, r.Table, err)
		}
		keys = append(keys, ids)
	}
	return keys, nil
}

// rebuild computes again, after a removal changed r's rows, the copies
// of them whose row ids rebuildKeys found, a few hundred rows a statement.
func rebuild(ctx context.Context, tx *store.Tx, r inventory.Rights, keys [][]int64, counts map[string]int64) error {
	for i, k := range keys {
		b := r.Rebuild[i]
		ids := k
		for len(ids) > 0 {
			n := min(len(ids), 500)
			args := make([]any, n)
			for j, id := range ids[:n] {
				args[j] = id
			}
			ids = ids[n:]
			marks := strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
			res, err := tx.Exec(ctx, "UPDATE "+b.Table+" SET "+b.Column+" = "+b.Value+" WHERE id IN ("+marks+")", args...)
			if err == nil {
				var m int64
				m, err = res.RowsAffected()
				counts[b.Table+"."+b.Column] += m
			}
			if err != nil {
				return fmt.Errorf("rebuilding %s.%s after removing from %s: %w", b.Table, b.Column, r.Table, err)
			}
		}
	}
	return nil
}

func count(ctx context.Context, q store.Querier, table, cond string, args []any) (int64, error) {
	var n int64
	err := q.QueryRow(ctx, "SELECT COUNT(*) FROM "+table+" WHERE "+cond, args...).Scan(&n)
	return n, err
}
