package lists_test

import (
	"context"
	"io"
	"net"
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

// pickySink is a real SMTP server that refuses gone@ with 550 at RCPT,
// refuses blocked@ with 554 at DATA, answers busy@ 451 at RCPT the
// first time only, and keeps every copy it accepts and every RCPT it is
// given, per address.
type pickySink struct {
	mu       sync.Mutex
	rcpts    map[string]int
	accepted map[string]int
	busyOnce bool
}

type pickySession struct {
	s  *pickySink
	to string
}

func (ps *pickySession) Reset()                               { ps.to = "" }
func (ps *pickySession) Logout() error                        { return nil }
func (ps *pickySession) Mail(string, *smtp.MailOptions) error { return nil }
func (ps *pickySession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ps.s.mu.Lock()
	defer ps.s.mu.Unlock()
	ps.s.rcpts[to]++
	switch {
	case to == "gone@example.net":
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
	case to == "busy@example.net" && !ps.s.busyOnce:
		ps.s.busyOnce = true
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	ps.to = to
	return nil
}
func (ps *pickySession) Data(r io.Reader) error {
	if _, err := io.ReadAll(r); err != nil {
		return err
	}
	if ps.to == "blocked@example.net" {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "message refused"}
	}
	ps.s.mu.Lock()
	defer ps.s.mu.Unlock()
	ps.s.accepted[ps.to]++
	return nil
}

func startPickySink(t *testing.T) (string, *pickySink) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &pickySink{rcpts: map[string]int{}, accepted: map[string]int{}}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &pickySession{s: s}, nil }))
	srv.Domain = "sink.test"
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String(), s
}

// TestDistributionRecordsRefusedCopiesAndRetriesDeferredOnes: a copy the
// mail server refuses for good (550 at RCPT, 554 at DATA) is recorded
// with the server's answer and as a bounce, and the job goes on with the
// next subscriber; a copy deferred with 451 is left for later while the
// job sends everyone else's, then the job fails and is retried, and the
// retry sends only the copies not recorded. Everyone else gets
// exactly one copy; the refused subscriptions are disabled after
// BounceLimit refused postings and are not tried again.
func TestDistributionRecordsRefusedCopiesAndRetriesDeferredOnes(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		e.now = time.Now().UTC().Add(-time.Hour)
		e.list(t, "wg-picky", lists.PostOpen)
		addrs := []string{"s1", "gone", "s2", "blocked", "s3", "busy", "s4", "s5"}
		for _, a := range addrs {
			e.subscribe(t, "wg-picky", a+"@example.net")
		}
		addr, sk := startPickySink(t)
		sender, err := mail.ParseURL("smtp://"+addr+"?tls=none", "site@lists.example.org")
		if err != nil {
			t.Fatal(err)
		}
		d := &lists.Distributor{DB: db, Mail: sender, Domain: "lists.example.org", BaseURL: "https://site.example", Batch: 3, Audit: e.svc.Audit}
		r := &jobs.Runner{Queue: &jobs.Queue{DB: db, Worker: "test"}, Handlers: map[string]jobs.Handler{lists.DistributeKind: d.Handle}}
		post := func(subject string) int64 {
			t.Helper()
			res, err := e.svc.Post(ctx, lists.Draft{List: "wg-picky", Name: "Ada", Email: "ada@example.org", Subject: subject, Body: "Items.", AcceptTerms: true, Channel: policy.ChannelWeb})
			if err != nil {
				t.Fatal(err)
			}
			return res.Posting.ID
		}
		run := func() {
			t.Helper()
			if _, err := r.RunDue(ctx); err != nil {
				t.Fatal(err)
			}
		}
		first := post("Agenda")
		run()
		// The 451 for busy@ held up nobody else: the two refusals were
		// recorded, s1–s5 were sent, and the job is waiting for a retry
		// for busy@ alone.
		if n := count(t, db, "SELECT COUNT(*) FROM jobs WHERE kind = ? AND finished_at IS NULL AND attempts = 1 AND last_error LIKE '%451%'", lists.DistributeKind); n != 1 {
			t.Fatalf("%d distribution jobs waiting for a retry after a 451, want 1", n)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_deliveries WHERE post_id = ? AND refused = ''", first); n != 5 {
			t.Errorf("%d copies recorded as sent before the retry, want 5 (all but busy@ and the refused)", n)
		}
		sk.mu.Lock()
		if sk.accepted["s5@example.net"] != 1 || sk.accepted["busy@example.net"] != 0 {
			t.Errorf("before the retry: s5@ has %d copies, busy@ %d; want 1 and 0", sk.accepted["s5@example.net"], sk.accepted["busy@example.net"])
		}
		sk.mu.Unlock()
		for a, want := range map[string]string{"gone@example.net": "%550%", "blocked@example.net": "%554%"} {
			if n := count(t, db, `SELECT COUNT(*) FROM list_deliveries d JOIN list_subscriptions s ON s.id = d.subscription_id
				WHERE d.post_id = ? AND s.email = ? AND d.refused LIKE ?`, first, a, want); n != 1 {
				t.Errorf("%s: %d refused delivery records with %s, want 1", a, n, want)
			}
		}
		if _, err := db.Exec(ctx, "UPDATE jobs SET run_at = ? WHERE finished_at IS NULL", time.Now().Add(-time.Minute).UTC()); err != nil {
			t.Fatal(err)
		}
		run()
		if n := count(t, db, "SELECT COUNT(*) FROM jobs WHERE kind = ? AND (finished_at IS NULL OR failed)", lists.DistributeKind); n != 0 {
			t.Fatalf("%d distribution jobs unfinished or failed after the retry, want 0", n)
		}
		sk.mu.Lock()
		for _, a := range addrs {
			want := 1
			if a == "gone" || a == "blocked" {
				want = 0
			}
			if n := sk.accepted[a+"@example.net"]; n != want {
				t.Errorf("%s: %d copies of the first posting, want %d", a, n, want)
			}
		}
		if sk.rcpts["gone@example.net"] != 1 || sk.rcpts["blocked@example.net"] != 1 {
			t.Errorf("refused addresses tried %d and %d times, want once each", sk.rcpts["gone@example.net"], sk.rcpts["blocked@example.net"])
		}
		sk.mu.Unlock()
		if n := count(t, db, "SELECT COUNT(*) FROM list_deliveries WHERE post_id = ?", first); n != len(addrs) {
			t.Errorf("%d delivery records, want %d", n, len(addrs))
		}
		bounces := map[string]int{}
		rows, err := db.Query(ctx, "SELECT s.email, b.status FROM list_bounces b JOIN list_subscriptions s ON s.id = b.subscription_id")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var a, st string
			if err := rows.Scan(&a, &st); err != nil {
				t.Fatal(err)
			}
			bounces[a+" "+st]++
		}
		rows.Close()
		if len(bounces) != 2 || bounces["gone@example.net 550"] != 1 || bounces["blocked@example.net 554"] != 1 {
			t.Errorf("bounces %v, want one 550 for gone@ and one 554 for blocked@", bounces)
		}

		// Two more refused postings make BounceLimit (3): both refused
		// subscriptions are disabled, and a fourth posting skips them.
		post("Minutes")
		run()
		if n := count(t, db, "SELECT COUNT(*) FROM list_subscriptions WHERE disabled_at IS NOT NULL"); n != 0 {
			t.Errorf("%d subscriptions disabled after two refusals, want 0", n)
		}
		post("Draft")
		run()
		if n := count(t, db, "SELECT COUNT(*) FROM list_subscriptions WHERE disabled_at IS NOT NULL AND email IN ('gone@example.net', 'blocked@example.net')"); n != 2 {
			t.Errorf("%d of the refused subscriptions disabled after three refusals, want 2", n)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'lists.disable'"); n != 2 {
			t.Errorf("%d lists.disable audit entries, want 2", n)
		}
		post("Notes")
		run()
		sk.mu.Lock()
		defer sk.mu.Unlock()
		if sk.rcpts["gone@example.net"] != 3 || sk.rcpts["blocked@example.net"] != 3 {
			t.Errorf("refused addresses tried %d and %d times over four postings, want 3 each", sk.rcpts["gone@example.net"], sk.rcpts["blocked@example.net"])
		}
		for _, a := range []string{"s1", "s2", "s3", "busy", "s4", "s5"} {
			if n := sk.accepted[a+"@example.net"]; n != 4 {
				t.Errorf("%s: %d copies of four postings, want 4", a, n)
			}
		}
		if n := count(t, db, "SELECT COUNT(*) FROM jobs WHERE kind = ? AND (finished_at IS NULL OR failed)", lists.DistributeKind); n != 0 {
			t.Errorf("%d distribution jobs unfinished or failed, want 0", n)
		}
	})
}
