// Package benchkit holds what the benchmark programs under bench/ share:
// a PostgreSQL schema of their own that is dropped afterwards, and an SMTP
// sink that counts what it is sent.
package benchkit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/url"
	"sort"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"

	"plenary/internal/inventory"
	"plenary/internal/policy"
	"plenary/internal/store"
)

// WithSchema creates a schema named PREFIX_RANDOM in the PostgreSQL
// database dsn names, and returns a URL whose connections use it and the
// function that drops it. A run never touches another run's tables.
func WithSchema(ctx context.Context, dsn, dir, prefix string) (string, func(), error) {
	b := make([]byte, 6)
	rand.Read(b)
	schema := prefix + "_" + hex.EncodeToString(b)
	admin, err := store.Open(ctx, dsn, dir)
	if err != nil {
		return "", nil, fmt.Errorf("opening %s to make a schema: %w", prefix, err)
	}
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("creating schema %s: %w", schema, err)
	}
	drop := func() {
		if _, err := admin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			log.Printf("dropping schema %s: %v", schema, err)
		}
		admin.Close()
	}
	u, err := url.Parse(dsn)
	if err != nil {
		drop()
		return "", nil, errors.New("the database address is not a URL")
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), drop, nil
}

// KeptSchema is WithSchema for a run that keeps its data for the next
// one: the schema has a fixed name, is made only if missing and is not
// dropped, so a filled archive is measured again without refilling.
func KeptSchema(ctx context.Context, dsn, dir, name string) (string, error) {
	admin, err := store.Open(ctx, dsn, dir)
	if err != nil {
		return "", fmt.Errorf("opening %s to make a schema: %w", name, err)
	}
	defer admin.Close()
	if _, err := admin.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+name); err != nil {
		return "", fmt.Errorf("creating schema %s: %w", name, err)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", errors.New("the database address is not a URL")
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// StartSink starts an SMTP server on a loopback port that accepts every
// message, one recipient each, and counts them.
func StartSink() (*smtp.Server, string, *atomic.Int64, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", nil, err
	}
	var count atomic.Int64
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &sinkSession{count: &count}, nil }))
	s.Domain = "sink.bench"
	s.ReadTimeout, s.WriteTimeout = 30*time.Second, 30*time.Second
	s.MaxRecipients = 1
	go func() {
		if err := s.Serve(ln); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
			log.Print(err)
		}
	}()
	return s, ln.Addr().String(), &count, nil
}

type sinkSession struct{ count *atomic.Int64 }

func (s *sinkSession) Reset()                               {}
func (s *sinkSession) Logout() error                        { return nil }
func (s *sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *sinkSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *sinkSession) Data(r io.Reader) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	s.count.Add(1)
	return nil
}

// Percentiles sorts ts and returns its median and 95th percentile (zero
// for no samples).
func Percentiles(ts []time.Duration) (p50, p95 time.Duration) {
	if len(ts) == 0 {
		return 0, 0
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
	return ts[len(ts)*50/100], ts[len(ts)*95/100]
}

// Open opens the database (SQLite under dir when dsn is empty), migrates
// it and publishes a privacy statement, as `plenary serve` does before it
// takes its first request: the use cases the benches drive record consent
// against the current statement, through the policy service returned.
func Open(ctx context.Context, dsn, dir string) (*store.DB, *policy.Service, error) {
	db, err := store.Open(ctx, dsn, dir)
	if err != nil {
		return nil, nil, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("migrating the bench database: %w", err)
	}
	ps := &policy.Service{DB: db, Inventory: inventory.Default(), Facts: policy.Facts{Org: "Bench Org", Contact: "privacy@bench.example"}}
	if _, err := ps.EnsureCurrent(ctx, time.Now()); err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("publishing the bench statement: %w", err)
	}
	return db, ps, nil
}
