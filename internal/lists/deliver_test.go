package lists_test

import (
	"context"
	"errors"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"plenary/internal/jobs"
	"plenary/internal/lists"
	"plenary/internal/mail"
	"plenary/internal/policy"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// countingSink is a real SMTP server that notes, per connection, the
// envelope of each message it accepts, and refuses the message numbered
// failAt (counting from 1 over the server's life) by dropping the
// connection at its RCPT, once: a lost connection, which stops the job.
type countingSink struct {
	mu     sync.Mutex
	conns  int
	seen   int
	failAt int
	got    []envelope // accepted messages, in order
}

type envelope struct {
	conn     int
	from, to string
	data     string
}

type countingSession struct {
	s        *countingSink
	c        *smtp.Conn
	conn     int
	from, to string
}

func (cs *countingSession) Reset()        { cs.from, cs.to = "", "" }
func (cs *countingSession) Logout() error { return nil }
func (cs *countingSession) Mail(from string, _ *smtp.MailOptions) error {
	cs.from = from
	return nil
}
func (cs *countingSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	cs.s.mu.Lock()
	defer cs.s.mu.Unlock()
	cs.s.seen++
	if cs.s.seen == cs.s.failAt {
		cs.c.Close()
		return errors.New("connection dropped")
	}
	cs.to = to
	return nil
}
func (cs *countingSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	cs.s.mu.Lock()
	defer cs.s.mu.Unlock()
	cs.s.got = append(cs.s.got, envelope{conn: cs.conn, from: cs.from, to: cs.to, data: string(b)})
	return nil
}

func startCountingSink(t *testing.T, failAt int) (string, *countingSink) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &countingSink{failAt: failAt}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.conns++
		return &countingSession{s: s, c: c, conn: s.conns}, nil
	}))
	srv.Domain = "sink.test"
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String(), s
}

var batchVERP = regexp.MustCompile(`^wg-batch-bounces\+([0-9a-z]+)-([0-9a-z]+)@lists\.example\.org$`)

// TestDistributionBatchesConnectionsAndRecords: copies go out in batches
// on one SMTP connection each (seven subscribers in batches of three: three
// connections), each copy with its own VERP return path naming its
// subscription; a connection lost at the fifth copy stops the job after
// the four sent are recorded, and the retry sends the other three, so
// every subscriber has one copy, all with the posting's Message-ID.
func TestDistributionBatchesConnectionsAndRecords(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		e.now = time.Now().UTC().Add(-time.Hour)
		e.list(t, "wg-batch", lists.PostOpen)
		tokens := map[string]string{}
		var addrs []string
		for _, a := range []string{"s1", "s2", "s3", "s4", "s5", "s6", "s7"} {
			addr := a + "@example.net"
			addrs = append(addrs, addr)
			tokens[addr] = e.subscribe(t, "wg-batch", addr).Token
		}
		res, err := e.svc.Post(ctx, lists.Draft{List: "wg-batch", Name: "Ada", Email: "ada@example.org", Subject: "Agenda", Body: "Items.", AcceptTerms: true, Channel: policy.ChannelWeb})
		if err != nil {
			t.Fatal(err)
		}
		addr, sk := startCountingSink(t, 5)
		sender, err := mail.ParseURL("smtp://"+addr+"?tls=none", "site@lists.example.org")
		if err != nil {
			t.Fatal(err)
		}
		d := &lists.Distributor{DB: db, Mail: sender, Domain: "lists.example.org", BaseURL: "https://site.example", Batch: 3}
		r := &jobs.Runner{Queue: &jobs.Queue{DB: db, Worker: "test"}, Handlers: map[string]jobs.Handler{lists.DistributeKind: d.Handle}}
		if _, err := r.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_deliveries WHERE post_id = ?", res.Posting.ID); n != 4 {
			t.Fatalf("%d deliveries recorded after the connection was lost at the fifth copy, want 4", n)
		}
		if _, err := db.Exec(ctx, "UPDATE jobs SET run_at = ? WHERE finished_at IS NULL", time.Now().Add(-time.Minute).UTC()); err != nil {
			t.Fatal(err)
		}
		if _, err := r.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		sk.mu.Lock()
		defer sk.mu.Unlock()
		// First run: s1–s3 on connection 1, s4 on connection 2 before the
		// connection is lost; the retry: s5–s7 on connection 3.
		wantConn := map[string]int{"s1@example.net": 1, "s2@example.net": 1, "s3@example.net": 1, "s4@example.net": 2,
			"s5@example.net": 3, "s6@example.net": 3, "s7@example.net": 3}
		copies := map[string]int{}
		for _, g := range sk.got {
			copies[g.to]++
			if wantConn[g.to] != g.conn {
				t.Errorf("%s came on connection %d, want %d", g.to, g.conn, wantConn[g.to])
			}
			m := batchVERP.FindStringSubmatch(g.from)
			if m == nil || !strings.HasPrefix(tokens[g.to], m[2]) {
				t.Errorf("%s was sent with return path %q, not its own wg-batch-bounces+ID-TOKEN@", g.to, g.from)
			}
			if !strings.Contains(g.data, "Message-ID: "+res.Posting.MessageID) {
				t.Errorf("%s's copy lacks Message-ID %s", g.to, res.Posting.MessageID)
			}
		}
		for _, a := range addrs {
			if copies[a] != 1 {
				t.Errorf("%s got %d copies, want 1", a, copies[a])
			}
		}
		if sk.conns != 3 {
			t.Errorf("%d connections, want 3", sk.conns)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_deliveries WHERE post_id = ?", res.Posting.ID); n != 7 {
			t.Errorf("%d deliveries recorded, want 7", n)
		}
	})
}

// TestDistributionCrashResendsAtMostTheUnrecordedBatch: the state a kill
// between sending a batch and recording it leaves (the copies out, their
// records missing) is made by deleting the records of the last batch; the
// resumed job sends those copies again, with the same Message-ID, and
// nothing else.
func TestDistributionCrashResendsAtMostTheUnrecordedBatch(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		e.now = time.Now().UTC().Add(-time.Hour)
		e.list(t, "wg-crash", lists.PostOpen)
		for _, a := range []string{"c1", "c2", "c3", "c4", "c5"} {
			e.subscribe(t, "wg-crash", a+"@example.net")
		}
		res, err := e.svc.Post(ctx, lists.Draft{List: "wg-crash", Name: "Ada", Email: "ada@example.org", Subject: "Agenda", Body: "Items.", AcceptTerms: true, Channel: policy.ChannelWeb})
		if err != nil {
			t.Fatal(err)
		}
		run := func(out *mail.Outbox) {
			d := &lists.Distributor{DB: db, Mail: out, Domain: "lists.example.org", BaseURL: "https://site.example", Batch: 2}
			r := &jobs.Runner{Queue: &jobs.Queue{DB: db, Worker: "test"}, Handlers: map[string]jobs.Handler{lists.DistributeKind: d.Handle}}
			if _, err := r.RunDue(ctx); err != nil {
				t.Fatal(err)
			}
		}
		first := &mail.Outbox{}
		run(first)
		if n := len(first.Messages()); n != 5 {
			t.Fatalf("%d copies sent, want 5", n)
		}
		// The batches were c1–c2, c3–c4, c5: lose the records of c3–c4.
		if _, err := db.Exec(ctx, `DELETE FROM list_deliveries WHERE post_id = ? AND subscription_id IN
			(SELECT id FROM list_subscriptions WHERE email IN ('c3@example.net', 'c4@example.net'))`, res.Posting.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := jobs.Enqueue(ctx, db, jobs.New{Kind: lists.DistributeKind, Key: "again", Payload: strconv.FormatInt(res.Posting.ID, 10)}, time.Now().Add(-time.Minute).UTC()); err != nil {
			t.Fatal(err)
		}
		again := &mail.Outbox{}
		run(again)
		var to []string
		for _, m := range again.Messages() {
			to = append(to, m.To)
			if "<"+m.MessageID+">" != res.Posting.MessageID {
				t.Errorf("the copy sent again has Message-ID %q, want %s", m.MessageID, res.Posting.MessageID)
			}
		}
		if strings.Join(to, " ") != "c3@example.net c4@example.net" {
			t.Errorf("sent again to %v, want c3 and c4 only", to)
		}
	})
}
