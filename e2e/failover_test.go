package e2e

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"plenary/internal/audit"
	"plenary/internal/mailings"
	"plenary/internal/secrets"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// slowSink is an SMTP server that takes its time over each message, as a
// busy relay does, and records who got which Message-ID.
type slowSink struct {
	Addr  string
	mu    sync.Mutex
	got   map[string][]string // recipient -> Message-IDs, in arrival order
	total int
}

func startSlowSink(t *testing.T, delay time.Duration) *slowSink {
	t.Helper()
	sink := &slowSink{got: map[string][]string{}}
	sink.Addr = startSMTPSink(t, func(d delivery) error {
		time.Sleep(delay)
		to := strings.ToLower(d.To)
		sink.mu.Lock()
		sink.got[to] = append(sink.got[to], d.Header.Get("Message-Id"))
		sink.total++
		sink.mu.Unlock()
		return nil
	})
	return sink
}

func (s *slowSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// TestMailingSurvivesSIGKILLOfItsInstance is issue 12's "done when" for
// participant mailings: a mailing is being sent by one instance, that
// instance is killed with SIGKILL half-way, and a second instance on the
// same PostgreSQL takes the job over once its lease runs out and finishes
// it. Every participant gets the announcement; a copy can be handed to the
// mail server twice only if the kill fell between the server accepting it
// and plenary recording that (at most one per sending worker), and then
// both carry the same Message-ID, so the receiving side sees one message.
func TestMailingSurvivesSIGKILLOfItsInstance(t *testing.T) {
	dsn := storetest.PostgresURL(t)
	key := base64.StdEncoding.EncodeToString([]byte("failover test master key, 32+ bytes long"))
	sink := startSlowSink(t, 20*time.Millisecond)
	args := []string{"--db", dsn, "--secret-key", key, "--base-url", "https://plenary.test",
		"--smtp", "smtp://" + sink.Addr + "?tls=none&from=noreply@plenary.test",
		"--mailing-rate", "40", "--job-lease", "2s"}

	first := startServer(t, append([]string{"--instance", "first"}, args...)...)

	// Participants who opted in and confirmed, and one announcement sent
	// to them, written as the use cases write them.
	ctx := context.Background()
	db, err := store.Open(ctx, dsn, "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const n = 150
	now := time.Now().UTC()
	err = db.Tx(ctx, func(tx *store.Tx) error {
		for i := 1; i <= n; i++ {
			id, err := store.Insert(ctx, tx, "INSERT INTO people (name, created_at, updated_at) VALUES (?, ?, ?)", fmt.Sprintf("Participant %d", i), now, now)
			if err != nil {
				return err
			}
			addr := fmt.Sprintf("p%d@example.org", i)
			if _, err := tx.Exec(ctx, "INSERT INTO person_emails (person_id, address, address_key, origin, is_primary, verified_at, active, created_at) VALUES (?, ?, ?, 'self', TRUE, ?, TRUE, ?)", id, addr, addr, now, now); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, "INSERT INTO mailing_subscriptions (person_id, state, requested_at, confirmed_at) VALUES (?, ?, ?, ?)", id, mailings.StateConfirmed, now, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("adding participants: %v", err)
	}
	keys, err := secrets.Load(t.TempDir(), key)
	if err != nil {
		t.Fatal(err)
	}
	env := mailings.Env{DB: db, Audit: &audit.Log{DB: db, Key: keys.Derive("audit")}}
	staff := mailings.Actor{ID: 1, Name: "Participant 1"}
	id, err := mailings.CreateDraft(ctx, env, staff, mailings.Input{Subject: "Failover test", Body: "One copy each, please."}, now)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := mailings.Send(ctx, env, staff, id, now); err != nil || got != n {
		t.Fatalf("Send = %d, %v; want %d recipients", got, err, n)
	}

	// Kill the first instance a good way into the sending.
	deadline := time.Now().Add(30 * time.Second)
	for sink.count() < n/4 {
		if time.Now().After(deadline) {
			t.Fatalf("the first instance sent only %d copies in 30s:\n%s", sink.count(), first.output())
		}
		time.Sleep(20 * time.Millisecond)
	}
	first.kill(t)
	atKill := sink.count()
	if atKill >= n {
		t.Fatalf("the first instance sent all %d copies before it was killed; the test proves nothing", atKill)
	}

	second := startServer(t, append([]string{"--instance", "second"}, args...)...)
	deadline = time.Now().Add(60 * time.Second)
	for {
		m, err := mailings.GetMailing(ctx, db, id)
		if err != nil {
			t.Fatal(err)
		}
		if m.State == mailings.Finished {
			break
		}
		if time.Now().After(deadline) {
			p, _ := mailings.ProgressOf(ctx, db, id)
			t.Fatalf("the mailing did not finish within a minute of the second instance starting (%+v, %d copies at the sink):\n%s", p, sink.count(), second.output())
		}
		time.Sleep(100 * time.Millisecond)
	}

	sink.mu.Lock()
	defer sink.mu.Unlock()
	twice := 0
	for i := 1; i <= n; i++ {
		addr := fmt.Sprintf("p%d@example.org", i)
		ids := sink.got[addr]
		switch {
		case len(ids) == 0:
			t.Errorf("%s got no copy", addr)
		case len(ids) > 1:
			twice++
			for _, other := range ids[1:] {
				if other != ids[0] {
					t.Errorf("%s got %d copies with different Message-IDs %q", addr, len(ids), ids)
				}
			}
		}
	}
	if len(sink.got) != n {
		t.Errorf("the sink got mail for %d addresses, want %d", len(sink.got), n)
	}
	// Each sending worker has at most one copy in flight when killed.
	if twice > 4 {
		t.Errorf("%d participants got a copy twice; at most one copy per worker may be in flight at the kill", twice)
	}
	p, err := mailings.ProgressOf(ctx, db, id)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("killed after %d of %d copies; %d handed to the server twice (same Message-ID); final progress %+v", atKill, n, twice, p)
}
