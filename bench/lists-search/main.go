// Command lists-search measures the latency of discussion-group search
// (internal/lists.Search, as /lists/search runs it) on SQLite and on
// PostgreSQL, side by side with `notmuch search` over the same messages as
// a maildir.
//
// It generates N postings (default 100,000) deterministically from the real
// sample archives in ../shared/testdata/mbox: subjects, authors and
// paragraphs of the samples recombined with a fixed seed, dated over ten
// years. The same postings go into a fresh SQLite database, a fresh
// PostgreSQL schema (with -db) and a maildir indexed by `notmuch new` under
// a temporary NOTMUCH_CONFIG. Then a fixed set of 50 queries (words,
// phrases, an author, a date range) runs on each, several rounds, and the
// p50 and p95 per engine are printed.
//
//	go run ./bench/lists-search -db postgres://postgres@127.0.0.1:5432/test
//	go run ./bench/lists-search -n 10000 -rounds 3 -notmuch=false
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"mime"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"plenary/bench/benchkit"
	"plenary/internal/lists"
	"plenary/internal/store"
)

func main() {
	n := flag.Int("n", 100000, "postings to generate")
	dsn := flag.String("db", "", "PostgreSQL URL (a schema is created and dropped); empty to skip PostgreSQL")
	samples := flag.String("samples", "../shared/testdata/mbox", "directory of sample mbox files")
	rounds := flag.Int("rounds", 5, "times each query runs per engine")
	withNotmuch := flag.Bool("notmuch", true, "run notmuch search on the same messages")
	slowest = flag.Int("slowest", 0, "print the N slowest queries of each engine")
	keep = flag.String("keep", "", "directory for the SQLite database and maildir, kept (and reused when filled) instead of a temporary one; the PostgreSQL schema bench_lists_search_kept is kept too")
	flag.Parse()
	if err := run(*n, *dsn, *samples, *rounds, *withNotmuch); err != nil {
		log.Fatal(err)
	}
}

var (
	slowest *int
	keep    *string
)

type sample struct {
	name, email, subject string
	paras                []string
}

type posting struct {
	name, email, subject, body string
	at                         time.Time
	mid                        string
}

// readSamples reads every message of every mbox in dir: its author, its
// subject and its text's paragraphs (quoted lines and headers of
// attachments left as they are: they are text people search too).
func readSamples(dir string) ([]sample, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.mbox"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no sample mbox in %s (%v)", dir, err)
	}
	sort.Strings(files)
	var out []sample
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		for _, raw := range splitMbox(b) {
			m, err := mail.ReadMessage(bytes.NewReader(raw))
			if err != nil {
				continue
			}
			from, err := mail.ParseAddress(m.Header.Get("From"))
			if err != nil {
				from = &mail.Address{Name: "Anonymous", Address: "anon@example.org"}
			}
			if from.Name == "" {
				from.Name, _, _ = strings.Cut(from.Address, "@")
			}
			subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
			body, _ := io.ReadAll(m.Body)
			var paras []string
			for _, p := range strings.Split(strings.ReplaceAll(string(body), "\r\n", "\n"), "\n\n") {
				if p = strings.TrimSpace(p); len(p) > 20 && len(p) < 4000 {
					paras = append(paras, p)
				}
			}
			if len(paras) == 0 || subject == "" {
				continue
			}
			out = append(out, sample{name: from.Name, email: strings.ToLower(from.Address), subject: subject, paras: paras})
		}
	}
	return out, nil
}

func splitMbox(b []byte) [][]byte {
	var out [][]byte
	var cur []byte
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Bytes()
		if bytes.HasPrefix(line, []byte("From ")) {
			if len(cur) > 0 {
				out = append(out, cur)
			}
			cur = nil
			continue
		}
		cur = append(cur, line...)
		cur = append(cur, '\n')
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// generate makes n postings from the samples with a fixed seed.
func generate(ss []sample, n int) []posting {
	r := rand.New(rand.NewPCG(20261129, 9))
	start := time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC)
	span := 10 * 365 * 24 * time.Hour
	out := make([]posting, n)
	for i := range out {
		s := ss[r.IntN(len(ss))]
		a := ss[r.IntN(len(ss))]
		var body []string
		for k := 0; k < 1+r.IntN(4); k++ {
			o := ss[r.IntN(len(ss))]
			body = append(body, o.paras[r.IntN(len(o.paras))])
		}
		subject := s.subject
		if r.IntN(3) == 0 && !strings.HasPrefix(strings.ToLower(subject), "re:") {
			subject = "Re: " + subject
		}
		out[i] = posting{name: a.name, email: a.email, subject: subject, body: strings.Join(body, "\n\n"),
			at: start.Add(time.Duration(i) * (span / time.Duration(n))), mid: fmt.Sprintf("<bench-%d@lists.bench.example>", i)}
	}
	return out
}

// queries are the 50 fixed searches.
func queries(ss []sample) []lists.Query {
	words := []string{"codec", "bandwidth", "array", "python", "numeric", "meeting", "draft", "access", "proposal", "performance",
		"memory", "test", "release", "error", "network", "speech", "function", "document", "comments", "agenda"}
	pairs := []string{"speech codec", "array function", "access node", "draft comments", "test results",
		"network protocol", "release version", "memory error", "meeting agenda", "python module"}
	phrases := []string{`"access node"`, `"multicast"`, `"numeric python"`, `"the draft"`, `"test plan"`,
		`"working group"`, `"I think"`, `"let me know"`, `"floating point"`, `"last call"`}
	var qs []lists.Query
	for _, w := range words {
		qs = append(qs, lists.Query{Text: w})
	}
	for _, p := range pairs {
		qs = append(qs, lists.Query{Text: p})
	}
	for _, p := range phrases {
		qs = append(qs, lists.Query{Text: p})
	}
	// Authors: the five most frequent names in the samples.
	count := map[string]int{}
	for _, s := range ss {
		count[s.name]++
	}
	var names []string
	for n := range count {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		if count[names[i]] != count[names[j]] {
			return count[names[i]] > count[names[j]]
		}
		return names[i] < names[j]
	})
	for i := 0; i < 5 && i < len(names); i++ {
		qs = append(qs, lists.Query{Text: words[i], Author: names[i]})
	}
	for i := 0; i < 5; i++ {
		from := time.Date(2017+i, 3, 1, 0, 0, 0, 0, time.UTC)
		qs = append(qs, lists.Query{Text: words[10+i], From: from, To: from.AddDate(0, 6, 0)})
	}
	// As an anonymous reader searches: the hits' addresses masked.
	for i := range qs {
		qs[i].Mask = true
	}
	return qs
}

func run(n int, dsn, samples string, rounds int, withNotmuch bool) error {
	ctx := context.Background()
	ss, err := readSamples(samples)
	if err != nil {
		return err
	}
	ps := generate(ss, n)
	qs := queries(ss)
	fmt.Printf("%d postings generated from %d sample messages; %d queries, %d rounds each\n", len(ps), len(ss), len(qs), rounds)
	dir := *keep
	if dir == "" {
		if dir, err = os.MkdirTemp("", "plenary-bench-search-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}

	type result struct {
		engine   string
		fill     time.Duration
		p50, p95 time.Duration
		hits     int
	}
	var results []result
	engines := []struct{ name, dsn string }{{"SQLite", ""}}
	if dsn != "" {
		engines = append(engines, struct{ name, dsn string }{"PostgreSQL", dsn})
	}
	for _, e := range engines {
		edsn := e.dsn
		switch {
		case edsn != "" && *keep != "": // kept, like the SQLite file
			if edsn, err = benchkit.KeptSchema(ctx, edsn, dir, "bench_lists_search_kept"); err != nil {
				return err
			}
		case edsn != "":
			var drop func()
			if edsn, drop, err = benchkit.WithSchema(ctx, edsn, dir, "bench_lists_search"); err != nil {
				return err
			}
			defer drop()
		}
		db, err := store.Open(ctx, edsn, filepath.Join(dir, strings.ToLower(e.name)))
		if err != nil {
			return err
		}
		defer db.Close()
		if _, err := db.Migrate(ctx); err != nil {
			return err
		}
		start := time.Now()
		var filled int
		if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM list_posts").Scan(&filled); err != nil {
			return err
		}
		if filled == 0 { // a kept database is reused as it is
			if err := fill(ctx, db, ps); err != nil {
				return err
			}
		}
		fillTime := time.Since(start)
		if db.Dialect() == store.Postgres {
			db.Exec(ctx, "ANALYZE")
		}
		readable, err := lists.All(ctx, db)
		if err != nil {
			return err
		}
		var times []time.Duration
		hits := 0
		worst := map[int]time.Duration{}
		for round := 0; round < rounds; round++ {
			for qi, q := range qs {
				t0 := time.Now()
				res, err := lists.Search(ctx, db, db.Dialect(), readable, q)
				if err != nil {
					return fmt.Errorf("%s: %q: %w", e.name, q.Text, err)
				}
				took := time.Since(t0)
				times = append(times, took)
				worst[qi] = max(worst[qi], took)
				if round == 0 {
					hits += len(res.Hits)
				}
			}
		}
		p50, p95 := benchkit.Percentiles(times)
		results = append(results, result{e.name, fillTime, p50, p95, hits})
		if *slowest > 0 {
			idx := make([]int, len(qs))
			for i := range idx {
				idx[i] = i
			}
			sort.Slice(idx, func(a, b int) bool { return worst[idx[a]] > worst[idx[b]] })
			for _, i := range idx[:min(*slowest, len(idx))] {
				fmt.Printf("  slow on %s: %s %+v\n", e.name, worst[i].Round(10*time.Microsecond), qs[i])
			}
		}
		fmt.Printf("%-10s filled in %s; p50 %s, p95 %s (%d hits on page 1 over the %d queries)\n", e.name, fillTime.Round(time.Millisecond), p50.Round(10*time.Microsecond), p95.Round(10*time.Microsecond), hits, len(qs))
	}
	if withNotmuch {
		r, err := notmuch(ps, qs, dir, rounds)
		if err != nil {
			return err
		}
		results = append(results, r)
		fmt.Printf("%-10s indexed in %s; p50 %s, p95 %s (%d hits on page 1 over the %d queries)\n", r.engine, r.fill.Round(time.Millisecond), r.p50.Round(10*time.Microsecond), r.p95.Round(10*time.Microsecond), r.hits, len(qs))
	}
	fmt.Println()
	fmt.Println("| engine | fill / index | p50 | p95 | p95 vs notmuch |")
	fmt.Println("|---|---|---|---|---|")
	var nm time.Duration
	for _, r := range results {
		if r.engine == "notmuch" {
			nm = r.p95
		}
	}
	for _, r := range results {
		ratio := "—"
		if nm > 0 {
			ratio = fmt.Sprintf("%.2f×", float64(r.p95)/float64(nm))
		}
		fmt.Printf("| %s | %s | %s | %s | %s |\n", r.engine, r.fill.Round(time.Millisecond), r.p50.Round(10*time.Microsecond), r.p95.Round(10*time.Microsecond), ratio)
	}
	return nil
}

// fill writes the postings on one list, in batches, through plain
// INSERTs: the triggers build the search index as they would for an
// import.
func fill(ctx context.Context, db *store.DB, ps []posting) error {
	now := time.Now().UTC()
	listID, err := store.Insert(ctx, db, "INSERT INTO lists (name, description, posting, archive, created_at) VALUES (?, ?, ?, ?, ?)",
		"bench", "Search bench", lists.PostOpen, lists.ArchivePublic, now)
	if err != nil {
		return err
	}
	authors := map[string]int64{}
	for _, p := range ps {
		if _, ok := authors[p.email]; ok {
			continue
		}
		id, err := store.Insert(ctx, db, "INSERT INTO list_contributors (email, name, token, accepted_at, created_at) VALUES (?, ?, ?, ?, ?)",
			p.email, p.name, "bench-"+fmt.Sprint(len(authors)), now, now)
		if err != nil {
			return err
		}
		authors[p.email] = id
	}
	const batch = 500
	for i := 0; i < len(ps); i += batch {
		end := min(i+batch, len(ps))
		err := db.Tx(ctx, func(tx *store.Tx) error {
			var sb strings.Builder
			sb.WriteString("INSERT INTO list_posts (list_id, contributor_id, message_id, in_reply_to, subject, body, status, created_at, published_at) VALUES ")
			var args []any
			for j, p := range ps[i:end] {
				if j > 0 {
					sb.WriteString(", ")
				}
				sb.WriteString("(?, ?, ?, '', ?, ?, 'published', ?, ?)")
				args = append(args, listID, authors[p.email], p.mid, p.subject, p.body, p.at, p.at)
			}
			_, err := tx.Exec(ctx, sb.String(), args...)
			return err
		})
		if err != nil {
			return fmt.Errorf("filling: %w", err)
		}
	}
	_, err = db.Exec(ctx, "UPDATE list_posts SET thread_id = id WHERE thread_id IS NULL")
	return err
}

// notmuch writes the postings as a maildir, indexes it with `notmuch new`
// under a temporary configuration and times `notmuch search` on the same
// queries, each as one run of the command (as a mail program would).
func notmuch(ps []posting, qs []lists.Query, dir string, rounds int) (r struct {
	engine   string
	fill     time.Duration
	p50, p95 time.Duration
	hits     int
}, err error) {
	r.engine = "notmuch"
	md := filepath.Join(dir, "maildir")
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(md, sub), 0o755); err != nil {
			return r, err
		}
	}
	for i, p := range ps {
		var b bytes.Buffer
		fmt.Fprintf(&b, "From: %s <%s>\nSubject: %s\nDate: %s\nMessage-ID: %s\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n%s\n",
			p.name, p.email, mimeWord(p.subject), p.at.Format(time.RFC1123Z), p.mid, p.body)
		if err := os.WriteFile(filepath.Join(md, "cur", fmt.Sprintf("%d.bench:2,S", i)), b.Bytes(), 0o644); err != nil {
			return r, err
		}
	}
	cfg := filepath.Join(dir, "notmuch-config")
	if err := os.WriteFile(cfg, []byte("[database]\npath="+md+"\n[new]\ntags=\n[search]\nexclude_tags=\n[maildir]\nsynchronize_flags=false\n"), 0o644); err != nil {
		return r, err
	}
	env := append(os.Environ(), "NOTMUCH_CONFIG="+cfg)
	start := time.Now()
	cmd := exec.Command("notmuch", "new", "--quiet")
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		return r, fmt.Errorf("notmuch new: %v\n%s", err, out)
	}
	r.fill = time.Since(start)
	var times []time.Duration
	for round := 0; round < rounds; round++ {
		for _, q := range qs {
			args := []string{"search", "--output=messages", "--limit=20", notmuchQuery(q)}
			cmd := exec.Command("notmuch", args...)
			cmd.Env = env
			t0 := time.Now()
			out, err := cmd.Output()
			if err != nil {
				return r, fmt.Errorf("notmuch %v: %v", args, err)
			}
			times = append(times, time.Since(t0))
			if round == 0 {
				r.hits += bytes.Count(out, []byte("\n"))
			}
		}
	}
	r.p50, r.p95 = benchkit.Percentiles(times)
	return r, nil
}

// notmuchQuery writes q in notmuch's query language: words and quoted
// phrases as typed, from: for the author, date: for the range.
func notmuchQuery(q lists.Query) string {
	parts := []string{q.Text}
	if q.Author != "" {
		parts = append(parts, `from:"`+q.Author+`"`)
	}
	if !q.From.IsZero() {
		parts = append(parts, "date:"+q.From.Format("2006-01-02")+".."+q.To.Format("2006-01-02"))
	}
	return strings.Join(parts, " and ")
}

func mimeWord(s string) string {
	for _, r := range s {
		if r > 126 {
			return "=?utf-8?b?" + base64.StdEncoding.EncodeToString([]byte(s)) + "?="
		}
	}
	return s
}
