package store_test

import (
	"strconv"
	"strings"
	"testing"

	"plenary/internal/store"
)

// FuzzRebind checks Rebind on any query text. SQLite queries come back as
// they are. On PostgreSQL the answer is the query with some of its
// question marks — n of them — replaced in order by $1 … $n and nothing
// else changed: putting the question marks back (the k-th placeholder,
// found left to right after the (k-1)-th) gives the query again, and the
// length grows by exactly the digits added. A query with no quote,
// comment or dollar sign in it has every question mark replaced. The
// answer does not depend on anything but the text.
func FuzzRebind(f *testing.F) {
	for _, s := range []string{
		"SELECT id FROM people WHERE email = ? AND name = ?",
		"SELECT '?' || ? FROM t WHERE x = 'it''s ?' AND y = \"col?\"",
		"SELECT ? -- what ?\n, ? /* ? */ , ?",
		"DO $$ BEGIN RAISE NOTICE '?'; END $$; SELECT $tag$ ? $tag$, ?, $1",
		"SELECT '? unterminated",
		"SELECT /* ? unterminated",
		"SELECT $ ? $a ? $$",
		"INSERT INTO x VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
		"?",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		if got := store.Rebind(store.SQLite, q); got != q {
			t.Fatalf("SQLite query changed: %q → %q", q, got)
		}
		out := store.Rebind(store.Postgres, q)
		if again := store.Rebind(store.Postgres, q); again != out {
			t.Fatalf("two rebinds differ: %q, %q", out, again)
		}
		// Walk q and out together: each byte is the same, or a ? in q
		// stands as $k in out with k the next number.
		i, j, k := 0, 0, 0
		for i < len(q) {
			next := "$" + strconv.Itoa(k+1)
			if q[i] == '?' && strings.HasPrefix(out[j:], next) && (j >= len(out) || out[j] != '?') {
				// Taken as the next placeholder only if out does not keep
				// the ? here.
				k++
				i++
				j += len(next)
				continue
			}
			if j >= len(out) || out[j] != q[i] {
				t.Fatalf("at byte %d of %q: rebind gave %q", i, q, out)
			}
			i++
			j++
		}
		if j != len(out) {
			t.Fatalf("rebind of %q added a tail: %q", q, out)
		}
		if !strings.ContainsAny(q, `'"-/$`) && k != strings.Count(q, "?") {
			t.Fatalf("plain query %q: %d of %d marks replaced: %q", q, k, strings.Count(q, "?"), out)
		}
		if strings.Count(out, "?") != strings.Count(q, "?")-k {
			t.Fatalf("%q → %q: question marks neither kept nor replaced", q, out)
		}
	})
}
