// Command deliver measures how fast one discussion-group posting reaches
// N confirmed subscribers: it fills a fresh database (SQLite in a
// temporary directory, or an empty PostgreSQL database named by -db) with
// a list and N subscriptions, starts a local SMTP sink (go-smtp) that
// counts every message, and runs the real distribution job
// (lists.Distributor on internal/jobs) as `plenary serve` does. Side by
// side, in the same run and against the same sink, a plain loop sends the
// same number of messages with net/smtp and no database, twice: one
// connection per message, and one connection per batch of
// lists.DeliveryBatch messages as the distributor now sends them (the
// fair floor the SMTP exchange sets).
//
//	go run ./bench/lists/deliver -n 10000
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	netsmtp "net/smtp"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"plenary/bench/benchkit"
	"plenary/internal/audit"
	"plenary/internal/jobs"
	"plenary/internal/lists"
	"plenary/internal/mail"
	"plenary/internal/policy"
	"plenary/internal/store"
)

func main() {
	n := flag.Int("n", 10000, "confirmed subscribers")
	dsn := flag.String("db", "", "an empty PostgreSQL database; empty for SQLite in a temporary directory")
	prof := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()
	if *prof != "" {
		f, err := os.Create(*prof)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	if err := run(*n, *dsn); err != nil {
		log.Fatal(err)
	}
}

func run(n int, dsn string) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "plenary-bench-deliver-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	engine := "SQLite"
	if dsn != "" {
		engine = "PostgreSQL"
	}
	db, ps, err := benchkit.Open(ctx, dsn, dir)
	if err != nil {
		return err
	}
	defer db.Close()
	sink, addr, count, err := benchkit.StartSink()
	if err != nil {
		return err
	}
	defer sink.Close()
	sender, err := mail.ParseURL("smtp://"+addr+"?tls=none", "site@bench.example")
	if err != nil {
		return err
	}
	svc := &lists.Service{DB: db, Audit: &audit.Log{DB: db, Key: []byte("bench audit key, 32 bytes long..")}, Policy: ps, Mail: sender,
		Domain: "bench.example", BaseURL: "https://bench.example", Org: "Bench Org", Now: func() time.Time { return time.Now().Add(-time.Minute) }}
	if _, err := svc.Create(ctx, lists.Actor{Label: "bench"}, lists.NewList{Name: "bench", Description: "Bench list", Posting: lists.PostOpen}); err != nil {
		return err
	}
	if err := fill(ctx, db, n); err != nil {
		return err
	}
	body := strings.Repeat("The plenary meets in May; the agenda follows. ", 40)
	if _, err := svc.Post(ctx, lists.Draft{List: "bench", Name: "Ann", Email: "ann@bench.example", Subject: "Agenda", Body: body,
		AcceptTerms: true, Channel: policy.ChannelWeb}); err != nil {
		return err
	}
	d := &lists.Distributor{DB: db, Mail: sender, Domain: "bench.example", BaseURL: "https://bench.example"}
	r := &jobs.Runner{Queue: &jobs.Queue{DB: db, Worker: "bench"}, Handlers: map[string]jobs.Handler{lists.DistributeKind: d.Handle}}
	start := time.Now()
	if _, err := r.RunDue(ctx); err != nil {
		return err
	}
	plenary := time.Since(start)
	if got := count.Load(); got != int64(n) {
		return fmt.Errorf("the sink counted %d of %d", got, n)
	}

	// The floors: the same number of messages, one connection each, then
	// one connection per batch.
	count.Store(0)
	msg := []byte("From: site@bench.example\r\nTo: x@bench.example\r\nSubject: Agenda\r\n\r\n" + body + "\r\n")
	start = time.Now()
	for i := 0; i < n; i++ {
		if err := netsmtp.SendMail(addr, nil, "bench-bounces@bench.example", []string{fmt.Sprintf("s%d@bench.example", i)}, msg); err != nil {
			return err
		}
	}
	each := time.Since(start)
	start = time.Now()
	if err := batchLoop(addr, n, lists.DeliveryBatch, msg); err != nil {
		return err
	}
	batched := time.Since(start)
	if got := count.Load(); got != int64(2*n) {
		return fmt.Errorf("the sink counted %d of %d for the loops", got, 2*n)
	}
	fmt.Printf("%s: one posting to %d subscribers: plenary %.2f s (%.0f messages/s)\n", engine, n, plenary.Seconds(), float64(n)/plenary.Seconds())
	fmt.Printf("  plain net/smtp loop, one connection per message: %.2f s (%.0f messages/s); plenary / loop = %.2f\n",
		each.Seconds(), float64(n)/each.Seconds(), plenary.Seconds()/each.Seconds())
	fmt.Printf("  plain net/smtp loop, one connection per %d messages: %.2f s (%.0f messages/s); plenary / loop = %.2f\n",
		lists.DeliveryBatch, batched.Seconds(), float64(n)/batched.Seconds(), plenary.Seconds()/batched.Seconds())
	return nil
}

// batchLoop sends n messages with net/smtp, a new connection every batch
// messages, each with its own envelope.
func batchLoop(addr string, n, batch int, msg []byte) error {
	var c *netsmtp.Client
	for i := 0; i < n; i++ {
		if c == nil {
			var err error
			if c, err = netsmtp.Dial(addr); err != nil {
				return err
			}
			if err := c.Hello("bench.example"); err != nil {
				return err
			}
		}
		if err := c.Mail(fmt.Sprintf("bench-bounces+%d@bench.example", i)); err != nil {
			return err
		}
		if err := c.Rcpt(fmt.Sprintf("s%d@bench.example", i)); err != nil {
			return err
		}
		w, err := c.Data()
		if err != nil {
			return err
		}
		if _, err := w.Write(msg); err != nil {
			return err
		}
		if err := w.Close(); err != nil {
			return err
		}
		if (i+1)%batch == 0 || i == n-1 {
			if err := c.Quit(); err != nil {
				return err
			}
			c = nil
		}
	}
	return nil
}

// fill subscribes n confirmed addresses, in batches of multi-row inserts.
func fill(ctx context.Context, db *store.DB, n int) error {
	now := time.Now().UTC()
	const batch = 500
	for from := 0; from < n; from += batch {
		to := min(from+batch, n)
		var b strings.Builder
		var args []any
		for i := from; i < to; i++ {
			if i > from {
				b.WriteString(", ")
			}
			b.WriteString("((SELECT id FROM lists WHERE name = 'bench'), ?, ?, ?, ?)")
			args = append(args, fmt.Sprintf("s%d@bench.example", i), fmt.Sprintf("token%032d", i), now, now)
		}
		if _, err := db.Exec(ctx, "INSERT INTO list_subscriptions (list_id, email, token, confirmed_at, created_at) VALUES "+b.String(), args...); err != nil {
			return fmt.Errorf("subscribing %d–%d: %w", from, to, err)
		}
	}
	return nil
}
