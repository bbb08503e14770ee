package lists

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"plenary/internal/store"
)

// Search over the archives (G1): FTS5 on SQLite, tsvector under a GIN
// index on PostgreSQL, both kept in step with list_posts by triggers
// (migration 0045), so whatever writes postings fills the index. Only
// published postings are indexed; only lists the reader may read are
// searched; a list left out of site-wide search is searched only when the
// search names it.

// PageSize is how many results a search page shows.
const PageSize = 20

// MaxTerms bounds the words and phrases one search may hold.
const MaxTerms = 16

// Query is one search.
type Query struct {
	Text   string    // words, "phrases" and -excluded words
	List   string    // a list's name, or "" for every list
	Author string    // part of an author's name, or ""
	From   time.Time // postings published on or after this day (zero: any)
	To     time.Time // postings published before the end of this day (zero: any)
	ByDate bool      // newest first instead of best match first
	Page   int       // from 1
	// Mask is for a reader who is not signed in: the hits' addresses are
	// masked (Posting.Masked) before their snippets are cut and marked,
	// so neither a cut nor a mark can leave part of an address whole.
	Mask bool
}

// SearchTerms is a search text taken apart.
type SearchTerms struct {
	Words    []string   // single words
	Phrases  [][]string // words that must follow each other
	Excluded []string   // words that must not appear
}

// Empty reports whether nothing is asked for.
func (t SearchTerms) Empty() bool { return len(t.Words) == 0 && len(t.Phrases) == 0 }

// ParseTerms takes a search text apart: "quoted phrases", -excluded words
// and words. Punctuation separates words, as the indexes do.
func ParseTerms(text string) SearchTerms {
	var t SearchTerms
	n := 0
	for rest := strings.TrimSpace(text); rest != "" && n < MaxTerms; rest = strings.TrimSpace(rest) {
		if rest[0] == '"' {
			end := strings.IndexByte(rest[1:], '"')
			var phrase string
			if end < 0 {
				phrase, rest = rest[1:], ""
			} else {
				phrase, rest = rest[1:end+1], rest[end+2:]
			}
			switch ws := words(phrase); len(ws) {
			case 0:
			case 1:
				t.Words = append(t.Words, ws[0])
				n++
			default:
				t.Phrases = append(t.Phrases, ws)
				n++
			}
			continue
		}
		tok := rest
		if i := strings.IndexFunc(rest, unicode.IsSpace); i >= 0 {
			tok, rest = rest[:i], rest[i:]
		} else {
			rest = ""
		}
		neg := strings.HasPrefix(tok, "-")
		ws := words(strings.TrimPrefix(tok, "-"))
		switch {
		case len(ws) == 0:
		case neg && len(ws) == 1:
			t.Excluded = append(t.Excluded, ws[0])
			n++
		case len(ws) == 1:
			t.Words = append(t.Words, ws[0])
			n++
		default: // a hyphenated or dotted word: its parts in order
			t.Phrases = append(t.Phrases, ws)
			n++
		}
	}
	return t
}

// words splits s into lower-case words of letters and digits.
func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// fts5 writes the terms as an FTS5 query: every word and phrase quoted, so
// nothing a reader types is taken as FTS5 syntax.
func (t SearchTerms) fts5() string {
	var pos []string
	for _, w := range t.Words {
		pos = append(pos, `"`+w+`"`)
	}
	for _, p := range t.Phrases {
		pos = append(pos, `"`+strings.Join(p, " ")+`"`)
	}
	q := "(" + strings.Join(pos, " AND ") + ")"
	for _, w := range t.Excluded {
		q += ` NOT "` + w + `"`
	}
	return q
}

// websearch writes the terms for PostgreSQL's websearch_to_tsquery, whose
// syntax cannot fail.
func (t SearchTerms) websearch() string {
	var parts []string
	for _, w := range t.Words { // quoted, so that "or" is a word
		parts = append(parts, `"`+w+`"`)
	}
	for _, p := range t.Phrases {
		parts = append(parts, `"`+strings.Join(p, " ")+`"`)
	}
	for _, w := range t.Excluded {
		parts = append(parts, "-"+w)
	}
	return strings.Join(parts, " ")
}

// Fragment is a piece of a snippet: text, marked when it matched. Pages
// escape the text and add the marks themselves.
type Fragment struct {
	Text string
	Mark bool
}

// Hit is one posting found.
type Hit struct {
	Posting
	Subject []Fragment
	Snippet []Fragment
}

// Results is a page of hits.
type Results struct {
	Terms SearchTerms
	Hits  []Hit
	Page  int
	More  bool // a next page exists
}

// Readable returns the lists whose archive the person (0: nobody signed
// in) may read.
func Readable(ctx context.Context, q store.Querier, person int64) ([]List, error) {
	all, err := All(ctx, q)
	if err != nil {
		return nil, err
	}
	subscribed := map[int64]bool{}
	if person != 0 {
		subs, err := SubscriptionsOf(ctx, q, person)
		if err != nil {
			return nil, err
		}
		for _, s := range subs {
			if s.Confirmed() {
				subscribed[s.ListID] = true
			}
		}
	}
	var out []List
	for _, l := range all {
		if l.Archive == ArchivePublic || subscribed[l.ID] {
			out = append(out, l)
		}
	}
	return out, nil
}

// Search runs q over the lists given (those the reader may read, from
// Readable): all of them that are searchable, or the one q names.
func Search(ctx context.Context, db store.Querier, dialect store.Dialect, readable []List, q Query) (res Results, _ error) {
	res = Results{Terms: ParseTerms(q.Text), Page: q.Page}
	// For a reader who is not signed in, excluded words are checked on
	// the masked text, in Go: excluded by the index, a posting that holds
	// the word only inside an address would vanish, and the difference
	// between two searches would confirm the address.
	var excluded []string
	if q.Mask {
		excluded, res.Terms.Excluded = res.Terms.Excluded, nil
		defer func() { res.Terms.Excluded = excluded }()
	}
	if res.Page < 1 {
		res.Page = 1
	}
	var ids []string
	for _, l := range readable {
		if q.List != "" && l.Name != strings.ToLower(q.List) || q.List == "" && !l.Searchable {
			continue
		}
		ids = append(ids, fmt.Sprint(l.ID))
	}
	if len(ids) == 0 || res.Terms.Empty() && strings.TrimSpace(q.Author) == "" && q.From.IsZero() && q.To.IsZero() {
		return res, nil
	}
	// With an author or dates, postings come newest first: the filters
	// pick few postings, looked up by their indexes, and the words are
	// checked on those. Otherwise the best matches come first; deep pages,
	// past the window, rank every match.
	if strings.TrimSpace(q.Author) != "" || !q.From.IsZero() || !q.To.IsZero() || res.Terms.Empty() {
		q.ByDate = true
	}
	var authors []string
	if a := strings.TrimSpace(q.Author); a != "" {
		// The authors first: a handful of numbers for the index query.
		var err error
		if authors, err = authorsNamed(ctx, db, a); err != nil || len(authors) == 0 {
			return res, err
		}
	}
	// A search over every list needs no list filter: the index holds
	// only published postings, so the words alone pick them, and the
	// ranking step reads the index without a look-up per match.
	var lists int
	if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM lists").Scan(&lists); err != nil {
		return res, fmt.Errorf("counting lists: %w", err)
	}
	every := len(ids) == lists
	// rows runs the search for limit postings past the first offset.
	rows := func(offset, limit int) ([]Posting, error) {
		windowed := !q.ByDate && offset+limit <= RankWindow
		var ps []Posting
		var err error
		if windowed && dialect == store.Postgres {
			ps, err = searchNewestFirst(ctx, db, ids, every, authors, q, res, offset, limit)
		} else {
			ps, err = search(ctx, db, dialect, ids, every, authors, q, res, windowed, 0, offset, limit)
		}
		if err != nil {
			return nil, fmt.Errorf("searching the archives: %w", err)
		}
		return ps, nil
	}
	stems := res.Terms.stems()
	hit := func(p Posting) Hit {
		return Hit{Posting: p, Subject: Highlight(p.Subject, stems), Snippet: Snippet(p.Body, stems)}
	}
	if !q.Mask {
		ps, err := rows((res.Page-1)*PageSize, PageSize+1)
		if err != nil {
			return res, err
		}
		if len(ps) > PageSize {
			ps, res.More = ps[:PageSize], true
		}
		for _, p := range ps {
			res.Hits = append(res.Hits, hit(p))
		}
		return res, nil
	}
	// A reader who is not signed in pages through the hits they may see:
	// the matches that would confirm an address are left out before the
	// pages are cut, so that no short page with a next one, and no empty
	// page after a full one, tells that some were left out. The matches
	// are read from the first, in batches, and only within the window
	// (RankWindow), by date too: that bounds the work of a deep page, and
	// an anonymous reader's pages end with the window's.
	skip := (res.Page - 1) * PageSize
	seen := 0 // matches the reader may see, read so far
	for offset := 0; offset < RankWindow && seen <= skip+PageSize; {
		limit := min(max(skip+PageSize+1-seen, PageSize+1), maskBatch, RankWindow-offset)
		ps, err := rows(offset, limit)
		if err != nil {
			return res, err
		}
		for _, p := range ps {
			masked := p.Masked()
			if revealsAddress(p, masked, res.Terms, q.Author) || holdsAny(masked, excluded) {
				continue
			}
			seen++
			switch {
			case seen <= skip:
			case len(res.Hits) < PageSize:
				res.Hits = append(res.Hits, hit(masked))
			default:
				res.More = true
			}
		}
		if len(ps) < limit {
			break
		}
		offset += len(ps)
	}
	return res, nil
}

// maskBatch is how many matches an anonymous search reads at once.
const maskBatch = 500

// RankWindow is how many of the newest matches a search ranks: ranking
// every match of a common word costs time in proportion to the archive,
// ranking the newest ones a fixed amount. A word that matches fewer
// postings (after the filters) has all its matches ranked. On PostgreSQL
// the newest matches are those among the newest postings, the span widened
// until a page is full (searchNewestFirst). Pages past the window rank
// every match.
const RankWindow = 5000

// search runs one query for Search, for limit postings past the first
// offset. Two steps: the best page of ids and scores, from the index and
// the few columns the filters need; then the postings of that page, so
// that no sort carries every match's text.
// Windowed, the first step takes the RankWindow newest matches in the
// index's own order, and ranks those. every: ids are every list.
func search(ctx context.Context, db store.Querier, dialect store.Dialect, ids []string, every bool, authors []string, q Query, res Results, windowed bool, above int64, offset, limit int) ([]Posting, error) {
	var (
		from, score string
		desc        = " DESC"
		where       []string
		args        []any // in the order of the placeholders
		newest      = "p.id DESC"
	)
	// The index holds published postings only: its matches need no
	// status check, and over every list no look-up at all.
	fromIndex := !res.Terms.Empty() && (dialect == store.Postgres || !q.ByDate)
	// On PostgreSQL the index's rows carry their posting's list, author
	// and date (migration 0076): the filters read them there, and the
	// planner intersects the words' GIN index with the filter's B-tree.
	c, idCol := "p.", "p.id"
	if fromIndex && dialect == store.Postgres {
		c, idCol, newest = "s.", "s.post_id", "s.post_id DESC"
	}
	if !every || !fromIndex {
		where = append(where, c+"list_id IN ("+strings.Join(ids, ",")+")")
	}
	if !fromIndex {
		where = append(where, "p.status = 'published'")
	}
	switch {
	case res.Terms.Empty():
		from, score = "list_posts p", "0"
	case dialect == store.Postgres:
		// The query is written out, not joined in, so that the planner
		// sees a constant and uses the GIN index.
		ws := res.Terms.websearch()
		from, score = "list_search s", "ts_rank(s.body, websearch_to_tsquery('english', ?))"
		where = append(where, "s.body @@ websearch_to_tsquery('english', ?)")
		if above > 0 {
			where = append(where, fmt.Sprintf("s.post_id > %d", above))
		}
		if q.ByDate {
			score = "0"
		} else if windowed {
			// Ranked after the window is cut, on the window's rows only.
			score = "s.body"
		} else {
			args = append(args, ws)
		}
		args = append(args, ws)
	case q.ByDate:
		// The matches' numbers once, without their scores; the postings
		// in order of date, by the filters' indexes.
		from, score = "list_posts p", "0"
		where = append(where, "p.id IN (SELECT rowid FROM list_search WHERE list_search MATCH ?)")
		args = append(args, res.Terms.fts5())
	default:
		desc, newest = "", "s.rowid DESC"
		from, score = "list_search s JOIN list_posts p"+sqliteKeys+" ON p.id = s.rowid", "bm25(list_search, 0, 4.0, 1.0)"
		if len(where) == 0 && authors == nil && q.From.IsZero() && q.To.IsZero() {
			// Nothing to check but the words: FTS5 ranks on its own.
			first := "SELECT rowid AS id, " + score + " AS score FROM list_search WHERE list_search MATCH ?"
			if windowed {
				first = "SELECT w.id AS id, w.score AS score FROM (" + first + " ORDER BY rowid DESC LIMIT " + fmt.Sprint(RankWindow) + ") w"
			}
			query := "SELECT " + postColumns + " FROM (" + first + " ORDER BY score, id DESC LIMIT ? OFFSET ?) h" +
				" JOIN list_posts p ON p.id = h.id JOIN lists l ON l.id = p.list_id JOIN list_contributors c ON c.id = p.contributor_id ORDER BY h.score, p.id DESC"
			return scanPosts(db.Query(ctx, query, res.Terms.fts5(), limit, offset))
		}
		where = append(where, "list_search MATCH ?")
		args = append(args, res.Terms.fts5())
	}
	if dialect == store.SQLite && from == "list_posts p" {
		// SQLite is told which index lists the postings in order:
		// without statistics it would read every posting of the list by
		// date for an author's few.
		switch {
		case authors != nil:
			from += " INDEXED BY list_posts_author_date"
		case !q.From.IsZero() || !q.To.IsZero():
			from += " INDEXED BY list_posts_list_date"
		}
	}
	if authors != nil {
		in := "(" + strings.Join(authors, ",") + ")"
		where = append(where, c+"contributor_id IN "+in)
	}
	if !q.From.IsZero() {
		where = append(where, c+"published_at >= ?")
		args = append(args, day(q.From))
	}
	if !q.To.IsZero() {
		where = append(where, c+"published_at < ?")
		args = append(args, day(q.To).AddDate(0, 0, 1))
	}
	inner, outer := "score"+desc+", id DESC", "h.score"+desc+", p.id DESC"
	if q.ByDate {
		inner, outer = c+"published_at DESC, "+idCol+" DESC", "p.published_at DESC, p.id DESC"
	}
	first := "SELECT " + idCol + " AS id, " + score + " AS score FROM " + from + " WHERE " + strings.Join(where, " AND ")
	switch {
	case !windowed:
	case dialect == store.Postgres:
		first = "SELECT w.id AS id, ts_rank(w.score, websearch_to_tsquery('english', ?)) AS score FROM (" +
			first + " ORDER BY " + newest + " LIMIT " + fmt.Sprint(RankWindow) + ") w"
		args = append([]any{res.Terms.websearch()}, args...)
		inner = "score" + desc + ", id DESC"
	default:
		// The index yields its matches newest first, scored one by one
		// as the filters take them, until the window is full.
		var filters []string
		for _, w := range where {
			if w != "list_search MATCH ?" {
				filters = append(filters, w)
			}
		}
		first = "SELECT v.id AS id, v.score AS score FROM (SELECT w.id AS id, w.score AS score FROM (SELECT rowid AS id, " + score +
			" AS score FROM list_search WHERE list_search MATCH ? ORDER BY rowid DESC) w JOIN list_posts p" + sqliteKeys + " ON p.id = w.id WHERE " +
			strings.Join(filters, " AND ") + " LIMIT " + fmt.Sprint(RankWindow) + ") v"
		inner = "score" + desc + ", id DESC"
	}
	args = append(args, limit, offset)
	query := "SELECT " + postColumns + " FROM (" + first + " ORDER BY " + inner + " LIMIT ? OFFSET ?) h" +
		" JOIN list_posts p ON p.id = h.id JOIN lists l ON l.id = p.list_id JOIN list_contributors c ON c.id = p.contributor_id ORDER BY " + outer
	return scanPosts(db.Query(ctx, query, args...))
}

// sqliteKeys has SQLite check a match's list through the narrow index of
// migration 0048 instead of the posting's row, which is mostly text: the
// look-up per match touches a few pages for thousands of matches, not one
// page each.
const sqliteKeys = " INDEXED BY list_posts_search_keys"

// searchNewestFirst is the window on PostgreSQL, whose GIN index yields
// every match at once, in no order: the search looks at the newest postings
// first, a span of numbers four times wider each time, until the page is
// full (limit postings past offset) or the span holds every posting.
func searchNewestFirst(ctx context.Context, db store.Querier, ids []string, every bool, authors []string, q Query, res Results, offset, limit int) ([]Posting, error) {
	var newest int64
	if err := db.QueryRow(ctx, "SELECT COALESCE(MAX(post_id), 0) FROM list_search").Scan(&newest); err != nil {
		return nil, err
	}
	for span := int64(RankWindow) * 2; ; span *= 4 {
		above := newest - span
		ps, err := search(ctx, db, store.Postgres, ids, every, authors, q, res, true, max(above, 0), offset, limit)
		if err != nil || len(ps) >= limit || above <= 0 {
			return ps, err
		}
	}
}

// authorsNamed returns the contributors whose name holds part.
func authorsNamed(ctx context.Context, db store.Querier, part string) ([]string, error) {
	rows, err := db.Query(ctx, `SELECT id FROM list_contributors WHERE LOWER(name) LIKE ? ESCAPE '\' ORDER BY id LIMIT 1000`, "%"+likeEscape(strings.ToLower(part))+"%")
	if err != nil {
		return nil, fmt.Errorf("finding authors: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, fmt.Sprint(id))
	}
	return out, rows.Err()
}

func day(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// scanPosts reads the rows of a query selecting postColumns.
func scanPosts(rows *sql.Rows, err error) ([]Posting, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Posting
	for rows.Next() {
		var p Posting
		var thread sql.NullInt64
		var pub sql.NullTime
		if err := rows.Scan(&p.ID, &p.ListID, &p.List, &p.Author, &p.Email, &p.MessageID, &p.InReplyTo, &thread, &p.Subject, &p.Body, &p.Status, &p.CreatedAt, &pub); err != nil {
			return nil, err
		}
		p.ThreadID = thread.Int64
		if pub.Valid {
			t := pub.Time.UTC()
			p.PublishedAt = &t
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// stems are the searched words cut to a rough stem, to mark the forms the
// stemming indexes matched ("drafts" for "draft", "routing" for "route").
func (t SearchTerms) stems() []string {
	var out []string
	for _, w := range t.Words {
		out = append(out, stem(w))
	}
	for _, p := range t.Phrases {
		for _, w := range p {
			out = append(out, stem(w))
		}
	}
	return out
}

// stem cuts a common English ending off the lower-case word w.
func stem(w string) string {
	if utf8.RuneCountInString(w) > 4 {
		for _, suf := range []string{"ing", "ed", "es", "s", "e"} {
			if s, ok := strings.CutSuffix(w, suf); ok && utf8.RuneCountInString(s) >= 3 {
				return s
			}
		}
	}
	return w
}

// holdsAny reports whether p's subject or text has a word that matches
// one of the words given.
func holdsAny(p Posting, ws []string) bool {
	if len(ws) == 0 {
		return false
	}
	text := words(p.Subject + "\n" + p.Body)
	for _, w := range ws {
		if holdsPhrase(text, []string{w}) {
			return true
		}
	}
	return false
}

// revealsAddress reports whether showing p to a reader who is not signed
// in, as a hit of these terms and author filter, would confirm an address
// the mask hides from them: the index holds the text as posted, so a
// search for "jane" finds the posting that quotes jane@example.org, and
// a search for the whole address finds every posting it appears in. A
// posting in which the mask hid something is shown only when every term
// matches the masked text, each word somewhere and each phrase's words in
// order: a word seen elsewhere in the posting does not make its match
// inside an address a visible one ("jane doe example org" matches
// jane.doe@example.org in the index, whatever "Jane Doe" the signature
// shows), and a word the index stems as it stems a local part
// ("policies", "policy@") matches only what the reader never sees. The
// words are matched as Highlight marks them, more narrowly than the
// index stems: a posting the mask changed may then be missing from an
// anonymous reader's results, which is the side to err on. An author
// filter that matches only the unmasked name makes such a hit too.
func revealsAddress(p, masked Posting, terms SearchTerms, author string) bool {
	if a := strings.ToLower(strings.TrimSpace(author)); a != "" && !strings.Contains(strings.ToLower(masked.Author), a) {
		return true
	}
	if masked.Subject == p.Subject && masked.Body == p.Body || terms.Empty() {
		return false
	}
	visible := words(masked.Subject + "\n" + masked.Body)
	for _, w := range terms.Words {
		if !holdsPhrase(visible, []string{w}) {
			return true
		}
	}
	for _, ph := range terms.Phrases {
		if !holdsPhrase(visible, ph) {
			return true
		}
	}
	return false
}

// holdsPhrase reports whether the words ws hold the phrase's words one
// after the other, each matched as matches does.
func holdsPhrase(ws, phrase []string) bool {
	var stems []string
	for _, w := range phrase {
		stems = append(stems, stem(w))
	}
	for i := 0; i+len(stems) <= len(ws); i++ {
		j := 0
		for j < len(stems) && matches(ws[i+j], stems[j:j+1]) {
			j++
		}
		if j == len(stems) {
			return true
		}
	}
	return false
}

func matches(word string, stems []string) bool {
	w := strings.ToLower(word)
	for _, s := range stems {
		if w == s || utf8.RuneCountInString(s) >= 3 && strings.HasPrefix(w, s) && utf8.RuneCountInString(w) <= utf8.RuneCountInString(s)+4 {
			return true
		}
	}
	return false
}

// Highlight cuts s into fragments, the words matching stems marked.
func Highlight(s string, stems []string) []Fragment {
	var out []Fragment
	add := func(text string, mark bool) {
		if text == "" {
			return
		}
		if n := len(out); n > 0 && out[n-1].Mark == mark {
			out[n-1].Text += text
			return
		}
		out = append(out, Fragment{Text: text, Mark: mark})
	}
	start := -1 // start of the current word
	for i, r := range s + " " {
		inWord := unicode.IsLetter(r) || unicode.IsDigit(r)
		switch {
		case inWord && start < 0:
			start = i
		case !inWord && start >= 0:
			w := s[start:i]
			add(w, matches(w, stems))
			start = -1
			if i < len(s) {
				add(string(r), false)
			}
		case !inWord && i < len(s):
			add(string(r), false)
		}
	}
	return out
}

// SnippetSize is about how many bytes of a posting a snippet shows.
const SnippetSize = 280

// Snippet returns the part of body around its first match outside quoted
// text (or the beginning), with the matches marked.
func Snippet(body string, stems []string) []Fragment {
	lines := strings.Split(body, "\n")
	var own []string
	for _, l := range lines {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, ">") {
			own = append(own, t)
		}
	}
	text := strings.Join(own, " ")
	at := 0
	for i, f := range Highlight(text, stems) {
		if f.Mark {
			break
		}
		at += len(f.Text)
		if i > 10000 {
			break
		}
	}
	if at >= len(text) {
		at = 0
	}
	start := at - SnippetSize/4
	if start < 0 {
		start = 0
	}
	for start > 0 && start < len(text) && !utf8.RuneStart(text[start]) {
		start--
	}
	end := start + SnippetSize
	if end > len(text) {
		end = len(text)
	}
	for end < len(text) && !utf8.RuneStart(text[end]) {
		end++
	}
	s := text[start:end]
	if start > 0 {
		if i := strings.IndexByte(s, ' '); i >= 0 && i < 30 {
			s = s[i+1:]
		}
		s = "… " + s
	}
	if end < len(text) {
		if i := strings.LastIndexByte(s, ' '); i > len(s)-30 {
			s = s[:i]
		}
		s += " …"
	}
	return Highlight(s, stems)
}
