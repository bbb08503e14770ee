package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"plenary/internal/jobs"
	"plenary/internal/mail"
	"plenary/internal/outbox"
	"plenary/internal/secrets"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func keys(t *testing.T) *secrets.Keys {
	t.Helper()
	k, err := secrets.FromBytes([]byte("outbox test master key, at least 32 bytes"))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// flaky fails its first fails sends with an error quoting the address, as
// a mail server's refusal may.
type flaky struct {
	fails int
	box   mail.Outbox
}

func (f *flaky) Send(ctx context.Context, m mail.Message) error {
	if f.fails > 0 {
		f.fails--
		return fmt.Errorf("451 try later: %s", m.To)
	}
	return f.box.Send(ctx, m)
}

// runner is a fresh instance's job runner: it knows nothing of what the
// instance that stored the message had in memory.
func runner(db *store.DB, k *secrets.Keys, sender mail.Sender, c *clock, worker string) *jobs.Runner {
	o := &outbox.Outbox{DB: db, Sealer: k.Sealer(outbox.KeyPurpose), Mail: sender, Now: c.Now}
	return &jobs.Runner{Queue: &jobs.Queue{DB: db, Worker: worker, Now: c.Now}, Handlers: map[string]jobs.Handler{outbox.JobKind: o.Handle}}
}

const (
	token = "Zq7rT0kenInTheClear_0123456789abcdef"
	addr  = "wren.outboxer@example.net"
)

func message() mail.Message {
	return mail.Message{To: addr, Subject: "Set a new password", Body: "Open this link:\n\nhttps://test.example/reset/" + token + "\n"}
}

// TestStoredMailSurvivesACrash (S3): a message stored in a use case's
// transaction, whose process stops before sending it, is sent by another
// instance's runner, once; while stored, neither its link nor its address
// can be read in the database; once sent, the row is gone.
func TestStoredMailSurvivesACrash(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		k := keys(t)
		c := &clock{t: time.Date(2026, 11, 29, 1, 0, 0, 0, time.UTC)}
		first := &outbox.Outbox{DB: db, Sealer: k.Sealer(outbox.KeyPurpose), Mail: &mail.Outbox{}, Now: c.Now}
		err := db.Tx(ctx, func(tx *store.Tx) error {
			_, err := first.Put(ctx, tx, message(), "a reset link")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		// The first instance dies here: it never delivers.
		for _, table := range []string{"mail_outbox", "jobs"} {
			raw := storetest.TableText(t, db, table)
			for _, secret := range []string{token, addr, "reset/"} {
				if strings.Contains(raw, secret) {
					t.Errorf("table %s holds %q in clear: %q", table, secret, raw)
				}
			}
		}
		if n := count(t, db, "SELECT COUNT(*) FROM mail_outbox"); n != 1 {
			t.Fatalf("%d messages stored, want 1", n)
		}

		sent := &flaky{}
		r := runner(db, k, sent, c, "second-instance")
		if n, err := r.RunDue(ctx); err != nil || n != 0 {
			t.Fatalf("before its grace the job ran (%d, %v)", n, err)
		}
		c.Add(time.Minute)
		if n, err := r.RunDue(ctx); err != nil || n != 1 {
			t.Fatalf("the new runner ran %d jobs (%v), want 1", n, err)
		}
		got := sent.box.Messages()
		if len(got) != 1 || got[0].To != addr || got[0].Body != message().Body || got[0].Subject != "Set a new password" {
			t.Fatalf("sent %+v", got)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM mail_outbox"); n != 0 {
			t.Errorf("%d messages left after sending, want 0", n)
		}
		c.Add(time.Hour)
		if n, _ := r.RunDue(ctx); n != 0 || len(sent.box.Messages()) != 1 {
			t.Errorf("the message was sent again")
		}
	})
}

// TestStoredMailIsRetriedWithBackoff: a refused message is tried again
// after the queue's back-off, and the refusal, which quotes the address,
// stays out of the job row; a rolled-back use case stores nothing; an
// undelivered message is swept after two days.
func TestStoredMailIsRetriedWithBackoff(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		k := keys(t)
		c := &clock{t: time.Date(2026, 11, 29, 1, 0, 0, 0, time.UTC)}
		o := &outbox.Outbox{DB: db, Sealer: k.Sealer(outbox.KeyPurpose), Now: c.Now}
		boom := errors.New("the use case failed")
		err := db.Tx(ctx, func(tx *store.Tx) error {
			if _, err := o.Put(ctx, tx, message(), "a reset link"); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) || count(t, db, "SELECT COUNT(*) FROM mail_outbox") != 0 || count(t, db, "SELECT COUNT(*) FROM jobs") != 0 {
			t.Fatalf("a rolled-back use case left its mail (%v)", err)
		}
		if err := o.Send(ctx, message()); err != nil {
			t.Fatal(err)
		}
		sent := &flaky{fails: 1}
		r := runner(db, k, sent, c, "w")
		c.Add(outbox.Grace)
		if n, _ := r.RunDue(ctx); n != 1 || len(sent.box.Messages()) != 0 {
			t.Fatalf("first try: ran %d, sent %d", n, len(sent.box.Messages()))
		}
		if raw := storetest.TableText(t, db, "jobs"); strings.Contains(raw, addr) || !strings.Contains(raw, "failed") {
			t.Errorf("the job row after a refusal: %q", raw)
		}
		c.Add(30 * time.Second)
		if n, _ := r.RunDue(ctx); n != 0 {
			t.Error("retried before the back-off")
		}
		c.Add(time.Minute)
		if n, _ := r.RunDue(ctx); n != 1 || len(sent.box.Messages()) != 1 {
			t.Fatalf("after the back-off: ran %d, sent %d", n, len(sent.box.Messages()))
		}

		// One never delivered is swept after two days, not before.
		if err := o.Send(ctx, message()); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			after time.Duration
			want  int64
		}{{47 * time.Hour, 0}, {49 * time.Hour, 1}} {
			var n int64
			err := db.Tx(ctx, func(tx *store.Tx) error {
				var err error
				n, err = outbox.Sweep(ctx, tx, time.Date(2026, 11, 29, 1, 2, 0, 0, time.UTC).Add(c.after), outbox.RetentionDays)
				return err
			})
			if err != nil || n != c.want {
				t.Errorf("sweep after %s removed %d (%v), want %d", c.after, n, err, c.want)
			}
		}
	})
}

func count(t *testing.T, db *store.DB, q string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
