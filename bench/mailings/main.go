// Command mailings measures how fast plenary sends one announcement to many
// confirmed subscribers, and how much memory that takes: it fills a fresh
// database (SQLite in a temporary directory, or the PostgreSQL named by
// -db) with N participants who opted in, starts a local SMTP sink (go-smtp)
// that accepts and counts every message, and runs the real mailing job
// (internal/mailings on internal/jobs) against it, as `plenary serve` does.
//
//	go run ./bench/mailings -n 100000
//	go run ./bench/mailings -n 100000 -db postgres://postgres@127.0.0.1:5432/bench
//
// With -db, the bench creates and drops its own schema in that database.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"plenary/bench/benchkit"
	"plenary/internal/audit"
	"plenary/internal/jobs"
	"plenary/internal/mail"
	"plenary/internal/mailings"
	"plenary/internal/store"
)

func main() {
	n := flag.Int("n", 100000, "number of confirmed subscribers")
	dsn := flag.String("db", "", "PostgreSQL URL (a schema is created and dropped); empty for SQLite in a temporary directory")
	rate := flag.Float64("rate", 100000, "--mailing-rate: most messages a second")
	workers := flag.Int("workers", 4, "copies handed to the SMTP server at once (the job's default is 4)")
	cpu := flag.String("cpuprofile", "", "write a CPU profile to `file`")
	flag.Parse()
	if *cpu != "" {
		f, err := os.Create(*cpu)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if err := run(*n, *dsn, *rate, *workers); err != nil {
		pprof.StopCPUProfile()
		log.Fatal(err)
	}
}

func run(n int, dsn string, rate float64, workers int) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "plenary-bench-mailings-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	engine := "SQLite"
	if dsn != "" {
		engine = "PostgreSQL"
		var drop func()
		if dsn, drop, err = benchkit.WithSchema(ctx, dsn, dir, "bench_mailings"); err != nil {
			return err
		}
		defer drop()
	}
	db, ps, err := benchkit.Open(ctx, dsn, dir)
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	staff, err := fill(ctx, db, n)
	if err != nil {
		return err
	}
	fmt.Printf("%s: %d confirmed subscribers created in %s\n", engine, n, time.Since(start).Round(time.Millisecond))

	sink, sinkAddr, count, err := benchkit.StartSink()
	if err != nil {
		return err
	}
	defer sink.Close()
	sender, err := mail.ParseURL("smtp://"+sinkAddr+"?tls=none", "announce@bench.example")
	if err != nil {
		return err
	}
	env := mailings.Env{DB: db, Audit: &audit.Log{DB: db, Key: []byte("bench audit key, 32 bytes long..")}, Policy: ps, Key: []byte("bench mailing key, 32 bytes long")}
	actor := mailings.Actor{ID: staff, Name: "Bench Secretariat"}
	id, err := mailings.CreateDraft(ctx, env, actor, mailings.Input{Subject: "Bench announcement", Body: strings.Repeat("The plenary meets in May. ", 40)}, time.Now())
	if err != nil {
		return err
	}

	runtime.GC()
	var peakHeap atomic.Uint64
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peakHeap.Load() {
					peakHeap.Store(ms.HeapInuse)
				}
			}
		}
	}()
	start = time.Now()
	recipients, err := mailings.Send(ctx, env, actor, id, time.Now())
	if err != nil {
		return err
	}
	fixed := time.Since(start)
	s := &mailings.Sender{Env: env, Mail: sender, Site: mailings.Site{Org: "Bench Org", BaseURL: "https://bench.example", ReplyTo: "announce@bench.example"},
		Rate: rate, Workers: workers, Worker: "bench"}
	r := &jobs.Runner{Queue: &jobs.Queue{DB: db, Worker: "bench"}, Handlers: map[string]jobs.Handler{mailings.JobKind: s.Handle}}
	if _, err := r.RunDue(ctx); err != nil {
		return err
	}
	elapsed := time.Since(start)
	close(stop)
	p, err := mailings.ProgressOf(ctx, db, id)
	if err != nil {
		return err
	}
	if p.Sent != n || int(count.Load()) != n {
		return fmt.Errorf("sent %d (sink counted %d) of %d: %+v", p.Sent, count.Load(), n, p)
	}
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	fmt.Printf("%s: %d recipients fixed in %s; all %d sent in %s: %.0f messages a minute\n",
		engine, recipients, fixed.Round(time.Millisecond), p.Sent, elapsed.Round(time.Millisecond), float64(p.Sent)/elapsed.Minutes())
	fmt.Printf("%s: peak Go heap in use while sending %.1f MB; peak RSS of the whole process (filling the database and the SMTP sink included) %.1f MB\n",
		engine, float64(peakHeap.Load())/(1<<20), float64(ru.Maxrss)/1024)
	return nil
}

// fill creates n participants with a confirmed address and a confirmed
// subscription, in batches of multi-row inserts, and one staff member.
func fill(ctx context.Context, db *store.DB, n int) (int64, error) {
	now := time.Now().UTC()
	var staff int64
	err := db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		staff, err = store.Insert(ctx, tx, "INSERT INTO people (name, created_at, updated_at) VALUES (?, ?, ?)", "Bench Secretariat", now, now)
		return err
	})
	if err != nil {
		return 0, err
	}
	const batch = 500
	for from := 0; from < n; from += batch {
		to := min(from+batch, n)
		err := db.Tx(ctx, func(tx *store.Tx) error {
			var ids []int64
			for i := from; i < to; i++ {
				id, err := store.Insert(ctx, tx, "INSERT INTO people (name, created_at, updated_at) VALUES (?, ?, ?)", fmt.Sprintf("Participant %d", i), now, now)
				if err != nil {
					return err
				}
				ids = append(ids, id)
			}
			var emails, subs strings.Builder
			var eargs, sargs []any
			for k, id := range ids {
				if k > 0 {
					emails.WriteString(", ")
					subs.WriteString(", ")
				}
				addr := fmt.Sprintf("p%d@bench.example", from+k)
				emails.WriteString("(?, ?, ?, 'self', ?, ?, ?, ?)")
				eargs = append(eargs, id, addr, addr, true, now, true, now)
				subs.WriteString("(?, 'confirmed', ?, ?)")
				sargs = append(sargs, id, now, now)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO person_emails (person_id, address, address_key, origin, is_primary, verified_at, active, created_at) VALUES "+emails.String(), eargs...); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO mailing_subscriptions (person_id, state, requested_at, confirmed_at) VALUES "+subs.String(), sargs...)
			return err
		})
		if err != nil {
			return 0, fmt.Errorf("filling participants %d–%d: %w", from, to, err)
		}
	}
	return staff, nil
}
