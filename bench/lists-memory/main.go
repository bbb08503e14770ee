// Command lists-memory measures the resident memory of the real `plenary
// serve` binary over a large discussion-group archive (issue 9: under 300 MB
// with 1,000,000 messages while people search and browse).
//
// It fills a fresh database (SQLite in a temporary data directory, or a
// fresh PostgreSQL schema with -db) with N postings on a few lists, written
// straight into the tables with batched INSERTs (the triggers of migration
// 0045 build the search index, those of 0079 the rows of threads). Bodies
// are paragraphs of the real sample archives in ../shared/testdata/mbox
// recombined with a fixed seed; most postings reply to a recent thread of
// their list. Then it builds and starts
// `plenary serve` on that database, drives searches, list pages (by thread
// and by date), threads, messages and mbox exports of threads and of whole
// lists from several clients at once for a while, and samples VmRSS and
// VmHWM from /proc/PID/status every 50 ms. It prints the peak.
//
//	go run ./bench/lists-memory                                   # 1,000,000 postings, SQLite
//	go run ./bench/lists-memory -db postgres://postgres@127.0.0.1:5432/test
//	go run ./bench/lists-memory -n 100000 -duration 10s            # quicker
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"plenary/bench/benchkit"
	"plenary/internal/store"
)

var (
	n        = flag.Int("n", 1000000, "postings to generate")
	nLists   = flag.Int("lists", 10, "lists the postings are spread over")
	dsn      = flag.String("db", "", "PostgreSQL URL (a schema is created and dropped); empty for SQLite")
	samples  = flag.String("samples", "../shared/testdata/mbox", "directory of sample mbox files")
	duration = flag.Duration("duration", 30*time.Second, "how long the clients run")
	clients  = flag.Int("clients", 8, "concurrent clients")
	keep     = flag.String("keep", "", "data directory to fill and keep (reused when it already holds a filled database)")
	binary   = flag.String("plenary", "", "plenary binary (default: built from ./cmd/plenary)")
)

func main() {
	flag.Parse()
	if err := run(context.Background()); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context) error {
	dir := *keep
	if dir == "" {
		d, err := os.MkdirTemp("", "plenary-bench-memory-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	bin := *binary
	if bin == "" {
		bin = filepath.Join(dir, "plenary")
		if out, err := exec.Command("go", "build", "-o", bin, "./cmd/plenary").CombinedOutput(); err != nil {
			return fmt.Errorf("building plenary: %v\n%s", err, out)
		}
	}
	edsn := *dsn
	if edsn != "" {
		var drop func()
		var err error
		if edsn, drop, err = benchkit.WithSchema(ctx, edsn, dir, "bench_lists_memory"); err != nil {
			return err
		}
		defer drop()
	}
	db, err := store.Open(ctx, edsn, dir)
	if err != nil {
		return err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return err
	}
	var have int
	if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM list_posts").Scan(&have); err != nil {
		db.Close()
		return err
	}
	if have == 0 {
		paras, err := readParagraphs(*samples)
		if err != nil {
			db.Close()
			return err
		}
		start := time.Now()
		if err := fill(ctx, db, paras, *n, *nLists); err != nil {
			db.Close()
			return err
		}
		fmt.Printf("filled %d postings on %d lists in %s (%d sample paragraphs)\n", *n, *nLists, time.Since(start).Round(time.Second), len(paras))
	} else {
		fmt.Printf("reusing %d postings in %s\n", have, dir)
	}
	var total int
	if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM list_posts").Scan(&total); err != nil {
		db.Close()
		return err
	}
	db.Close()
	if fi, err := os.Stat(filepath.Join(dir, "plenary.db")); err == nil {
		fmt.Printf("SQLite database: %d MB\n", fi.Size()>>20)
	}
	return drive(ctx, bin, dir, edsn, total)
}

// readParagraphs returns the paragraphs of the sample messages' text.
func readParagraphs(dir string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.mbox"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no sample mbox in %s (%v)", dir, err)
	}
	sort.Strings(files)
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		inHeader := false
		var para []string
		flush := func() {
			p := strings.TrimSpace(strings.Join(para, "\n"))
			if len(p) > 40 && len(p) < 3000 && !strings.Contains(p, "Content-") {
				out = append(out, p)
			}
			para = para[:0]
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "From "):
				flush()
				inHeader = true
			case inHeader:
				if line == "" {
					inHeader = false
				}
			case strings.TrimSpace(line) == "":
				flush()
			default:
				para = append(para, line)
			}
		}
		flush()
	}
	return out, nil
}

var topics = []string{"codec", "routing", "transport", "security", "naming", "privacy", "congestion", "multicast", "datagram", "registry"}

// fill writes n postings over k lists with batched INSERTs, ids given, so
// that replies name their thread without reading anything back.
func fill(ctx context.Context, db *store.DB, paras []string, n, k int) error {
	now := time.Now().UTC()
	r := rand.New(rand.NewPCG(20261129, 10))
	var listIDs []int64
	for i := 0; i < k; i++ {
		id, err := store.Insert(ctx, db, "INSERT INTO lists (name, description, posting, archive, created_at) VALUES (?, ?, ?, ?, ?)",
			fmt.Sprintf("wg%d", i), "Memory bench list "+strconv.Itoa(i), "open", "public", now)
		if err != nil {
			return err
		}
		listIDs = append(listIDs, id)
	}
	const authors = 3000
	err := db.Tx(ctx, func(tx *store.Tx) error {
		for i := 0; i < authors; i++ {
			if _, err := tx.Exec(ctx, "INSERT INTO list_contributors (id, email, name, token, accepted_at, created_at) VALUES (?, ?, ?, ?, ?, ?)",
				i+1, fmt.Sprintf("person%d@example.org", i), fmt.Sprintf("Person %s %d", topics[i%len(topics)], i), fmt.Sprintf("bench-%d", i), now, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("adding contributors: %w", err)
	}
	type thread struct {
		root    int64
		subject string
		lastMID string
	}
	recent := make([][]thread, k) // per list, the threads still getting replies
	start := time.Date(2006, 1, 1, 0, 0, 0, 0, time.UTC)
	step := 20 * 365 * 24 * time.Hour / time.Duration(n)
	const batch = 400
	cols := "(id, list_id, contributor_id, message_id, in_reply_to, thread_id, subject, base_subject, body, status, created_at, published_at)"
	for i := 0; i < n; i += batch {
		end := min(i+batch, n)
		var sb strings.Builder
		sb.WriteString("INSERT INTO list_posts " + cols + " VALUES ")
		args := make([]any, 0, (end-i)*12)
		for j := i; j < end; j++ {
			id := int64(j + 1)
			li := r.IntN(k)
			mid := fmt.Sprintf("<m%d@bench.example>", id)
			var subject, reply string
			tid := id
			if rs := recent[li]; len(rs) > 0 && r.IntN(10) < 7 {
				t := &rs[r.IntN(len(rs))]
				tid, subject, reply = t.root, "Re: "+t.subject, t.lastMID
				t.lastMID = mid
			} else {
				subject = fmt.Sprintf("%s: %s", topics[r.IntN(len(topics))], firstWords(paras[r.IntN(len(paras))], 6))
				recent[li] = append(recent[li], thread{root: id, subject: subject, lastMID: mid})
				if len(recent[li]) > 40 {
					recent[li] = recent[li][1:]
				}
			}
			var body []string
			for p := 0; p < 1+r.IntN(4); p++ {
				body = append(body, paras[r.IntN(len(paras))])
			}
			at := start.Add(time.Duration(j) * step)
			if j > i {
				sb.WriteString(", ")
			}
			sb.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, 'published', ?, ?)")
			args = append(args, id, listIDs[li], 1+r.IntN(authors), mid, reply, tid, subject, strings.TrimPrefix(subject, "Re: "), strings.Join(body, "\n\n"), at, at)
		}
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, sb.String(), args...)
			return err
		}); err != nil {
			return fmt.Errorf("filling: %w", err)
		}
		if i%100000 == 0 && i > 0 {
			fmt.Printf("  %d postings\n", i)
		}
	}
	if db.Dialect() == store.Postgres {
		for _, t := range []string{"list_posts", "list_contributors"} {
			if _, err := db.Exec(ctx, "SELECT setval(pg_get_serial_sequence('"+t+"', 'id'), (SELECT MAX(id) FROM "+t+"))"); err != nil {
				return err
			}
		}
		// VACUUM too: the visibility map for index-only scans and the
		// GIN index's pending list merged, as autovacuum would do later.
		if _, err := db.Exec(ctx, "VACUUM ANALYZE"); err != nil {
			return err
		}
	} else if _, err := db.Exec(ctx, "ANALYZE"); err != nil {
		return err
	}
	return nil
}

func firstWords(s string, k int) string {
	f := strings.Fields(s)
	return strings.Join(f[:min(k, len(f))], " ")
}

// drive starts plenary serve and the clients, and samples its memory.
func drive(ctx context.Context, bin, dir, edsn string, total int) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	ln.Close()
	args := []string{"serve", "-data", dir, "-addr", addr}
	if edsn != "" {
		args = append(args, "-db", edsn)
	}
	cmd := exec.Command(bin, args...)
	logf, err := os.Create(filepath.Join(dir, "serve.log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
		}
	}()
	base := "http://" + addr
	client := &http.Client{Timeout: 60 * time.Second}
	for t := time.Now(); ; {
		if resp, err := client.Get(base + "/lists"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Since(t) > 60*time.Second {
			return fmt.Errorf("plenary serve did not answer on %s (see %s/serve.log)", addr, dir)
		}
		time.Sleep(100 * time.Millisecond)
	}
	pid := cmd.Process.Pid
	rss0, _ := memory(pid)
	fmt.Printf("plenary serve (pid %d) up on %s; VmRSS at start %d MB\n", pid, addr, rss0>>20)

	var mu sync.Mutex
	var peak, hwm int64
	stop := make(chan struct{})
	var sampled sync.WaitGroup
	sampled.Add(1)
	go func() {
		defer sampled.Done()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			rss, h := memory(pid)
			mu.Lock()
			peak, hwm = max(peak, rss), max(hwm, h)
			mu.Unlock()
		}
	}()

	words := []string{"codec", "routing", "draft", "the draft", "\"working group\"", "python", "array", "meeting agenda",
		"bandwidth", "test", "error", "security", "\"last call\"", "memory", "proposal", "network protocol"}
	kinds := []string{"search", "list", "bydate", "thread", "message", "threadmbox", "listmbox"}
	type stat struct {
		times []time.Duration
		bytes int64
		errs  int
	}
	stats := map[string]*stat{}
	for _, k := range kinds {
		stats[k] = &stat{}
	}
	deadline := time.Now().Add(*duration)
	var wg sync.WaitGroup
	var listMboxBusy sync.Mutex // one whole-list export at a time
	for c := 0; c < *clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(c), 77))
			for time.Now().Before(deadline) {
				kind := kinds[r.IntN(len(kinds)-1)]
				if r.IntN(40) == 0 && listMboxBusy.TryLock() {
					kind = "listmbox"
				}
				list := fmt.Sprintf("wg%d", r.IntN(*nLists))
				id := 1 + r.IntN(total)
				var path string
				switch kind {
				case "search":
					v := url.Values{"q": {words[r.IntN(len(words))]}}
					if r.IntN(3) == 0 {
						v.Set("page", strconv.Itoa(2+r.IntN(3)))
					}
					path = "/lists/search?" + v.Encode()
				case "list":
					path = fmt.Sprintf("/lists/%s?page=%d", list, 1+r.IntN(200))
				case "bydate":
					path = fmt.Sprintf("/lists/%s?view=date&page=%d", list, 1+r.IntN(200))
				case "thread", "message", "threadmbox":
					// The posting's own list: ask the database-free way,
					// by trying the message page first for its list name.
					path = fmt.Sprintf("/lists/%s/msg/%d", list, id)
					if kind == "thread" {
						path = fmt.Sprintf("/lists/%s/thread/%d", list, id)
					} else if kind == "threadmbox" {
						path = fmt.Sprintf("/lists/%s/thread/%d/mbox", list, id)
					}
				case "listmbox":
					path = fmt.Sprintf("/lists/%s/mbox", list)
				}
				t0 := time.Now()
				resp, err := client.Get(base + path)
				var nb int64
				if err == nil {
					nb, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				took := time.Since(t0)
				if kind == "listmbox" {
					listMboxBusy.Unlock()
				}
				mu.Lock()
				s := stats[kind]
				// A posting asked for under another list is a 404: the
				// page was still looked up, so it counts.
				if err != nil || resp.StatusCode >= 500 {
					s.errs++
				} else {
					s.times = append(s.times, took)
					s.bytes += nb
				}
				mu.Unlock()
			}
		}(c)
	}
	wg.Wait()
	close(stop)
	sampled.Wait()
	rss1, h1 := memory(pid)
	fmt.Printf("\n%d postings, %d clients for %s\n", total, *clients, *duration)
	fmt.Println("| request | count | p50 | p95 | MB sent | errors |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, k := range kinds {
		s := stats[k]
		p50, p95 := benchkit.Percentiles(s.times)
		fmt.Printf("| %s | %d | %s | %s | %.1f | %d |\n", k, len(s.times), p50.Round(100*time.Microsecond), p95.Round(100*time.Microsecond), float64(s.bytes)/1e6, s.errs)
	}
	fmt.Printf("\nVmRSS at start %d MB, peak sampled %d MB, at end %d MB; VmHWM %d MB (goal: under 300 MB)\n",
		rss0>>20, peak>>20, rss1>>20, max(hwm, h1)>>20)
	return nil
}

// memory returns VmRSS and VmHWM of a process, in bytes.
func memory(pid int) (rss, hwm int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rss = v << 10
		case "VmHWM:":
			hwm = v << 10
		}
	}
	return rss, hwm
}
