package meetings_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"plenary/internal/audit"
	"plenary/internal/meetings"
	"plenary/internal/payments"
	"plenary/internal/secrets"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// fakeProc is a card processor in memory that behaves as a real one does
// where it matters here: a checkout is charged at most once and only
// while it is open, and an expired checkout takes no card. It counts the
// checkouts started and the cards charged.
type fakeProc struct {
	mu       sync.Mutex
	sessions map[string]*fakeSession
	keys     map[string]string // idempotency key -> session id
	starts   int
	charges  int
	refunds  int
	// leaky makes Expire answer success and leave the page open, as a
	// processor that fails its promise would.
	leaky bool
}

type fakeSession struct {
	c         payments.Checkout
	status    string
	refundKey string
}

func (p *fakeProc) Name() string { return "fake processor" }

// Start opens a session, or returns the one opened with the same key, as
// Stripe does with an idempotency key.
func (p *fakeProc) Start(ctx context.Context, c payments.Checkout) (payments.Session, error) {
	time.Sleep(20 * time.Millisecond) // a processor's answer takes a while
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.sessions == nil {
		p.sessions = map[string]*fakeSession{}
		p.keys = map[string]string{}
	}
	if c.Key == "" {
		return payments.Session{}, errors.New("fake processor: no idempotency key")
	}
	id, ok := p.keys[c.Key]
	if !ok {
		p.starts++
		id = fmt.Sprintf("cs_fake_%d", p.starts)
		p.sessions[id] = &fakeSession{c: c, status: payments.Open}
		p.keys[c.Key] = id
	}
	return payments.Session{ID: id, URL: "https://pay.example/" + id}, nil
}

func (p *fakeProc) Webhook(http.Header, []byte, time.Time) (payments.Event, error) {
	return payments.Event{}, payments.ErrBadSignature
}

func (p *fakeProc) outcome(id string, s *fakeSession) payments.Outcome {
	o := payments.Outcome{CheckoutID: id, Status: s.status, Amount: s.c.Amount, Currency: s.c.Currency}
	if s.status == payments.Paid {
		o.TransactionID, o.AuthCode, o.Last4 = "pi_"+id, "AUTH01", "4242"
	}
	return o
}

func (p *fakeProc) LookUp(ctx context.Context, id string) (payments.Outcome, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.sessions[id]
	if !ok {
		return payments.Outcome{}, payments.ErrUnknownCheckout
	}
	return p.outcome(id, s), nil
}

// Refund refunds a paid checkout once. Asked again with the key it was
// refunded with, it answers success, as Stripe does with an idempotency
// key; with another key it refuses, the charge being refunded already.
func (p *fakeProc) Refund(ctx context.Context, id, key string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.sessions[id]
	switch {
	case ok && s.status == payments.Refunded && key != "" && key == s.refundKey:
		return nil
	case ok && s.status == payments.Refunded:
		return fmt.Errorf("checkout %s: the charge is refunded already", id)
	case !ok || s.status != payments.Paid:
		return fmt.Errorf("checkout %s is not paid", id)
	}
	s.status = payments.Refunded
	s.refundKey = key
	p.refunds++
	return nil
}

func (p *fakeProc) Expire(ctx context.Context, id string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.sessions[id]
	switch {
	case !ok:
		return payments.ErrUnknownCheckout
	case p.leaky && s.status == payments.Open:
		return nil
	case s.status == payments.Open || s.status == payments.Expired:
		s.status = payments.Expired
		return nil
	}
	return fmt.Errorf("checkout %s is %s", id, s.status)
}

// pay charges the checkout at url, as the buyer's card would; it reports
// whether a charge was made, and the webhook event the processor sends.
func (p *fakeProc) pay(url string) (payments.Event, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	id, found := strings.CutPrefix(url, "https://pay.example/")
	s, ok := p.sessions[id]
	if !found || !ok || s.status != payments.Open {
		return payments.Event{}, false
	}
	s.status = payments.Paid
	p.charges++
	return payments.Event{ID: "evt_" + id, Outcome: p.outcome(id, s)}, true
}

func (p *fakeProc) counts() (starts, charges int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.starts, p.charges
}

func checkoutsFor(t *testing.T, db *store.DB, proc payments.Processor) (meetings.Checkouts, *audit.Log) {
	t.Helper()
	keys, err := secrets.FromBytes([]byte("checkout test master key, 32 bytes or more"))
	if err != nil {
		t.Fatal(err)
	}
	log := &audit.Log{DB: db, Key: []byte("meetings test audit key, 32 byte")}
	return meetings.Checkouts{DB: db, Audit: log, Sealer: keys.Sealer("payments"), Proc: proc, Expiry: 30 * time.Minute,
		BaseURL: "https://site.example"}, log
}

func register(t *testing.T, db *store.DB, log *audit.Log, m meetings.Meeting, v int64, ticket int, at time.Time) (meetings.Registration, error) {
	t.Helper()
	f := meetings.RegForm{Name: "Racer", Email: "racer@example.net", AgeOK: true, Consent: true}
	return meetings.Register(context.Background(), db, log, meetings.SignUp{Form: f, Ticket: m.Tickets[ticket], MeetingID: m.ID,
		VersionID: v, Transfer: "Processed here."}, at)
}

func countRows(t *testing.T, db *store.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// TestCheckoutRaceNoOversellNoDoubleCharge races 50 buyers for the last
// 10 tickets of a meeting on both engines. Each winner asks to pay twice
// at once (a double click), pays twice at once, and has its webhook
// delivered twice at once while the reconcile job runs. Afterwards the
// meeting holds exactly its capacity, each paid registration has exactly
// one checkout and one charge, and the processor started one checkout per
// winner and charged each once.
func TestCheckoutRaceNoOversellNoDoubleCharge(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		proc := &fakeProc{}
		c, log := checkoutsFor(t, db, proc)
		m := openMeeting(t, db, log, "30")
		v := version(t, db)
		for range 20 { // the free tickets go first: 10 places are left
			if _, err := register(t, db, log, m, v, 1, now); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		won, full := 0, 0
		for i := range 50 {
			wg.Go(func() {
				r, err := register(t, db, log, m, v, 0, now)
				if errors.Is(err, meetings.ErrFull) {
					mu.Lock()
					full++
					mu.Unlock()
					return
				}
				if err != nil {
					t.Errorf("buyer %d: %v", i, err)
					return
				}
				mu.Lock()
				won++
				mu.Unlock()
				var urls [2]string
				var twice sync.WaitGroup
				for k := range 2 {
					twice.Go(func() {
						u, err := c.StartPayment(ctx, r.Token, now)
						if err != nil {
							t.Errorf("buyer %d, attempt %d: %v", i, k, err)
						}
						urls[k] = u
					})
				}
				twice.Wait()
				if urls[0] != urls[1] {
					t.Errorf("buyer %d got two checkouts: %q and %q", i, urls[0], urls[1])
				}
				var events [2]payments.Event
				for k := range 2 {
					twice.Go(func() { events[k], _ = proc.pay(urls[k]) })
				}
				twice.Wait()
				ev := events[0]
				if ev.ID == "" {
					ev = events[1]
				}
				for range 2 {
					twice.Go(func() {
						if err := c.Apply(ctx, ev, now); err != nil && !errors.Is(err, payments.ErrReplayed) {
							t.Errorf("buyer %d, webhook: %v", i, err)
						}
					})
				}
				twice.Go(func() {
					if _, err := c.Reconcile(ctx, now, 0); err != nil {
						t.Errorf("reconcile: %v", err)
					}
				})
				twice.Wait()
			})
		}
		wg.Wait()
		if won != 10 || full != 40 {
			t.Errorf("%d buyers got a ticket and %d were told it is full; want 10 and 40", won, full)
		}
		for _, tc := range []struct {
			query string
			want  int
		}{
			{"SELECT COUNT(*) FROM registrations WHERE status NOT IN ('cancelled', 'expired')", 30},
			{"SELECT COUNT(*) FROM registrations WHERE status = 'paid'", 10},
			{"SELECT COUNT(*) FROM payments", 10},
			{"SELECT COUNT(*) FROM payments WHERE status = 'paid'", 10},
			{"SELECT COUNT(*) FROM (SELECT registration_id FROM payments GROUP BY registration_id HAVING COUNT(*) > 1) x", 0},
			{"SELECT COUNT(*) FROM payment_events", 10},
			{"SELECT COUNT(*) FROM audit_log WHERE action = 'payments.paid'", 10},
		} {
			if got := countRows(t, db, tc.query); got != tc.want {
				t.Errorf("%s = %d, want %d", tc.query, got, tc.want)
			}
		}
		if starts, charges := proc.counts(); starts != 10 || charges != 10 {
			t.Errorf("the processor started %d checkouts and charged %d cards; want 10 and 10", starts, charges)
		}
	})
}

// TestCheckoutExpiresAndFreesItsTicket follows one place through its
// life on both engines: held by an open checkout, which a second attempt
// resumes; kept while the checkout is young; expired at the processor
// (whose page then takes no card) and freed after --checkout-expiry; taken
// by someone else; refused to the first registrant while the meeting is
// full, and taken again by them once a place is free.
func TestCheckoutExpiresAndFreesItsTicket(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		proc := &fakeProc{}
		c, log := checkoutsFor(t, db, proc)
		m := openMeeting(t, db, log, "1")
		v := version(t, db)
		a, err := register(t, db, log, m, v, 0, now)
		if err != nil {
			t.Fatal(err)
		}
		first, err := c.StartPayment(ctx, a.Token, now)
		if err != nil {
			t.Fatal(err)
		}
		if again, err := c.StartPayment(ctx, a.Token, now.Add(10*time.Minute)); err != nil || again != first {
			t.Errorf("a second attempt went to %q (%v), want the open checkout %q", again, err, first)
		}
		if _, err := register(t, db, log, m, v, 0, now); !errors.Is(err, meetings.ErrFull) {
			t.Errorf("a second registrant while the place is held: %v, want ErrFull", err)
		}
		r, err := c.Reconcile(ctx, now.Add(20*time.Minute), time.Minute)
		if err != nil || r != (meetings.Reconciled{}) {
			t.Errorf("reconcile within the expiry: %+v %v, want nothing done", r, err)
		}
		r, err = c.Reconcile(ctx, now.Add(31*time.Minute), time.Minute)
		if err != nil || r != (meetings.Reconciled{Expired: 1, Released: 1}) {
			t.Errorf("reconcile after the expiry: %+v %v, want one checkout expired and one registration released", r, err)
		}
		if _, charged := proc.pay(first); charged {
			t.Error("the expired checkout's page still took a card")
		}
		b, err := register(t, db, log, m, v, 0, now.Add(32*time.Minute))
		if err != nil {
			t.Fatalf("registering for the freed place: %v", err)
		}
		if _, err := c.StartPayment(ctx, a.Token, now.Add(33*time.Minute)); !errors.Is(err, meetings.ErrReleased) {
			t.Errorf("paying for a released place of a full meeting: %v, want ErrReleased", err)
		}
		// b never starts a checkout: its place is freed all the same.
		r, err = c.Reconcile(ctx, now.Add(63*time.Minute), time.Minute)
		if err != nil || r != (meetings.Reconciled{Released: 1}) {
			t.Errorf("reconcile for a registration that never paid: %+v %v, want one released", r, err)
		}
		second, err := c.StartPayment(ctx, a.Token, now.Add(64*time.Minute))
		if err != nil || second == first {
			t.Fatalf("paying again once a place is free: %q %v, want a new checkout", second, err)
		}
		ev, ok := proc.pay(second)
		if !ok {
			t.Fatal("the new checkout took no card")
		}
		if err := c.Apply(ctx, ev, now.Add(65*time.Minute)); err != nil {
			t.Fatal(err)
		}
		got, err := meetings.ByToken(ctx, db, a.Token)
		if err != nil || got.Status != meetings.Paid {
			t.Errorf("registration a: %q %v, want paid", got.Status, err)
		}
		if got, _ := meetings.ByToken(ctx, db, b.Token); got.Status != meetings.Expired {
			t.Errorf("registration b: %q, want expired", got.Status)
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM registrations WHERE status NOT IN ('cancelled', 'expired')"); n != 1 {
			t.Errorf("%d places taken, want 1", n)
		}
		for action, want := range map[string]int{"payments.expired": 1, "meetings.release": 2, "meetings.retake": 1, "payments.paid": 1} {
			if n := countRows(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = ?", action); n != want {
				t.Errorf("%d %s audit entries, want %d", n, action, want)
			}
		}
	})
}

// TestReconcileSettlesALateWebhook: a checkout paid at the processor whose
// webhook never arrives is found paid by the reconcile job's look-up, with
// the card's last four sealed; the webhook arriving afterwards, and a late
// "declined" for it, change nothing.
func TestReconcileSettlesALateWebhook(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		proc := &fakeProc{}
		c, log := checkoutsFor(t, db, proc)
		m := openMeeting(t, db, log, "5")
		v := version(t, db)
		a, err := register(t, db, log, m, v, 0, now)
		if err != nil {
			t.Fatal(err)
		}
		url, err := c.StartPayment(ctx, a.Token, now)
		if err != nil {
			t.Fatal(err)
		}
		ev, _ := proc.pay(url) // the webhook is lost
		r, err := c.Reconcile(ctx, now.Add(2*time.Minute), time.Minute)
		if err != nil || r != (meetings.Reconciled{Settled: 1}) {
			t.Errorf("reconcile: %+v %v, want one settled", r, err)
		}
		if got, _ := meetings.ByToken(ctx, db, a.Token); got.Status != meetings.Paid {
			t.Errorf("registration: %q, want paid", got.Status)
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM payments WHERE status = 'paid' AND transaction_id <> '' AND last4 IS NOT NULL"); n != 1 {
			t.Errorf("%d paid payments with their details, want 1", n)
		}
		if err := c.Apply(ctx, ev, now.Add(3*time.Minute)); err != nil {
			t.Errorf("the late webhook: %v", err)
		}
		late := payments.Event{ID: "evt_late_decline", Outcome: ev.Outcome}
		late.Outcome.Status = payments.Declined
		if err := c.Apply(ctx, late, now.Add(4*time.Minute)); err != nil {
			t.Errorf("a late decline: %v", err)
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM payments WHERE status = 'paid'"); n != 1 {
			t.Errorf("%d paid payments after the late webhooks, want 1", n)
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'payments.%' AND action <> 'payments.start'"); n != 1 {
			t.Errorf("%d payment outcome audit entries, want 1", n)
		}
	})
}

// TestPaymentWithoutAPlaceIsRefunded: when a processor takes a card on a
// checkout plenary had expired (it promised not to) and the freed place
// has gone to someone else, the payment is recorded without a place, and
// the next reconcile gives it back through the processor: nobody pays
// for a place they do not have, and the meeting is not oversold.
func TestPaymentWithoutAPlaceIsRefunded(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		proc := &fakeProc{leaky: true}
		c, log := checkoutsFor(t, db, proc)
		m := openMeeting(t, db, log, "1")
		v := version(t, db)
		a, err := register(t, db, log, m, v, 0, now)
		if err != nil {
			t.Fatal(err)
		}
		url, err := c.StartPayment(ctx, a.Token, now)
		if err != nil {
			t.Fatal(err)
		}
		if r, err := c.Reconcile(ctx, now.Add(31*time.Minute), time.Minute); err != nil || r != (meetings.Reconciled{Expired: 1, Released: 1}) {
			t.Fatalf("reconcile: %+v %v", r, err)
		}
		if _, err := register(t, db, log, m, v, 0, now.Add(32*time.Minute)); err != nil {
			t.Fatal(err)
		}
		ev, ok := proc.pay(url)
		if !ok {
			t.Fatal("the leaky processor took no card")
		}
		if err := c.Apply(ctx, ev, now.Add(33*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'payments.paid_without_place'"); n != 1 {
			t.Errorf("%d paid_without_place audit entries, want 1", n)
		}
		if r, err := c.Reconcile(ctx, now.Add(34*time.Minute), time.Minute); err != nil || r.Refunded != 1 {
			t.Errorf("reconcile: %+v %v, want one refund", r, err)
		}
		if r, err := c.Reconcile(ctx, now.Add(35*time.Minute), time.Minute); err != nil || r.Refunded != 0 {
			t.Errorf("reconcile again: %+v %v, want no second refund", r, err)
		}
		if proc.refunds != 1 {
			t.Errorf("the processor made %d refunds, want 1", proc.refunds)
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM registrations WHERE status NOT IN ('cancelled', 'expired')"); n != 1 {
			t.Errorf("%d places taken, want 1", n)
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM payments WHERE status = 'refunded'"); n != 1 {
			t.Errorf("%d refunded payments, want 1", n)
		}
	})
}

// probeProc asks, while the processor is answering, for the locks a
// registration's transaction takes: they are free unless StartPayment
// holds a transaction across the processor's call (on SQLite, the single
// write lock; on PostgreSQL, the registration's lock).
type probeProc struct {
	*fakeProc
	db    *store.DB
	token string
	err   chan error
}

func (p probeProc) Start(ctx context.Context, c payments.Checkout) (payments.Session, error) {
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	p.err <- p.db.Tx(pctx, func(tx *store.Tx) error {
		if err := tx.Lock(pctx, "registration:"+p.token); err != nil {
			return err
		}
		_, err := tx.Exec(pctx, "UPDATE registrations SET list_me = list_me WHERE token = ?", p.token)
		return err
	})
	return p.fakeProc.Start(ctx, c)
}

// crashProc cuts StartPayment off while the processor is asked, as a
// crash or a killed instance does: with opened, after the processor
// opened the session but before plenary recorded it; without, before the
// request reached the processor.
type crashProc struct {
	*fakeProc
	opened bool
	cancel context.CancelFunc
}

func (p crashProc) Start(ctx context.Context, c payments.Checkout) (payments.Session, error) {
	if !p.opened {
		p.cancel()
		return payments.Session{}, ctx.Err()
	}
	s, err := p.fakeProc.Start(ctx, c)
	p.cancel()
	return s, err
}

// TestCheckoutClaimLeftByACrashIsRepaired: StartPayment holds no
// transaction while the processor answers, and a crash between its claim
// and its record leaves a claim that holds the ticket and that the
// reconcile job repairs on both engines: it asks the processor again with
// the claim's key, gets the session opened before (none is opened twice)
// or a first one, and records it; a second click does the same; a claim
// whose registrant never comes back is expired at the processor and its
// ticket freed.
func TestCheckoutClaimLeftByACrashIsRepaired(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		proc := &fakeProc{}
		c, log := checkoutsFor(t, db, proc)
		m := openMeeting(t, db, log, "10")
		v := version(t, db)

		first, err := register(t, db, log, m, v, 0, now)
		if err != nil {
			t.Fatal(err)
		}
		probe := probeProc{fakeProc: proc, db: db, token: first.Token, err: make(chan error, 1)}
		pc := c
		pc.Proc = probe
		firstURL, err := pc.StartPayment(ctx, first.Token, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := <-probe.err; err != nil {
			t.Errorf("a write to the registration while the processor answered: %v, want it to go through", err)
		}
		if ev, ok := proc.pay(firstURL); !ok {
			t.Fatal("the first checkout took no card")
		} else if err := c.Apply(ctx, ev, now); err != nil {
			t.Fatal(err)
		}

		for _, tc := range []struct {
			name   string
			opened bool   // the processor opened the session before the crash
			then   string // what happens next: the reconcile job, a click, or nothing until the expiry
		}{
			{"lost before the processor", false, "reconcile"},
			{"opened, never recorded", true, "reconcile"},
			{"opened, the registrant clicks again", true, "click"},
			{"opened, nobody comes back", true, "expiry"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r, err := register(t, db, log, m, v, 0, now)
				if err != nil {
					t.Fatal(err)
				}
				startsBefore, _ := proc.counts()
				cctx, cancel := context.WithCancel(ctx)
				defer cancel()
				cc := c
				cc.Proc = crashProc{fakeProc: proc, opened: tc.opened, cancel: cancel}
				if url, err := cc.StartPayment(cctx, r.Token, now); err == nil {
					t.Fatalf("the cut-off StartPayment sent the browser to %q", url)
				}
				q := "SELECT COUNT(*) FROM payments p JOIN registrations r ON r.id = p.registration_id WHERE r.token = ? AND p.status = ? AND p.checkout_url = ''"
				if n := countRows(t, db, q, r.Token, payments.Starting); n != 1 {
					t.Fatalf("%d claims left for the registration, want 1", n)
				}
				if got, _ := meetings.ByToken(ctx, db, r.Token); got.Status != meetings.Unpaid {
					t.Errorf("registration after the crash: %q, want unpaid (its ticket held)", got.Status)
				}
				var url string
				switch tc.then {
				case "reconcile":
					if _, err := c.Reconcile(ctx, now.Add(30*time.Second), time.Minute); err != nil {
						t.Fatal(err)
					}
					if n := countRows(t, db, q, r.Token, payments.Starting); n != 1 {
						t.Errorf("a claim younger than the reconcile job's delay was touched")
					}
					rec, err := c.Reconcile(ctx, now.Add(2*time.Minute), time.Minute)
					if err != nil || rec != (meetings.Reconciled{Repaired: 1}) {
						t.Fatalf("reconcile: %+v %v, want one repaired", rec, err)
					}
					if url, err = c.StartPayment(ctx, r.Token, now.Add(3*time.Minute)); err != nil {
						t.Fatal(err)
					}
				case "click":
					if url, err = c.StartPayment(ctx, r.Token, now.Add(time.Minute)); err != nil {
						t.Fatal(err)
					}
				case "expiry":
					rec, err := c.Reconcile(ctx, now.Add(31*time.Minute), time.Minute)
					if err != nil || rec != (meetings.Reconciled{Repaired: 1, Expired: 1, Released: 1}) {
						t.Fatalf("reconcile after the expiry: %+v %v, want one repaired, then expired and its registration released", rec, err)
					}
					got, _ := meetings.ByToken(ctx, db, r.Token)
					if len(got.Payments) != 1 || got.Payments[0].Status != payments.Expired {
						t.Fatalf("payments after the expiry: %+v, want one expired", got.Payments)
					}
					if _, charged := proc.pay(got.Payments[0].CheckoutURL); charged {
						t.Error("the repaired and expired checkout's page still took a card")
					}
					if got, _ := meetings.ByToken(ctx, db, r.Token); got.Status != meetings.Expired {
						t.Errorf("registration after the expiry: %q, want released", got.Status)
					}
					if starts, _ := proc.counts(); starts-startsBefore != 1 {
						t.Errorf("the processor opened %d checkouts, want 1", starts-startsBefore)
					}
					return
				}
				if starts, _ := proc.counts(); starts-startsBefore != 1 {
					t.Errorf("the processor opened %d checkouts for the registration, want 1", starts-startsBefore)
				}
				ev, ok := proc.pay(url)
				if !ok {
					t.Fatalf("the checkout at %q took no card", url)
				}
				if err := c.Apply(ctx, ev, now.Add(4*time.Minute)); err != nil {
					t.Fatal(err)
				}
				got, err := meetings.ByToken(ctx, db, r.Token)
				if err != nil || got.Status != meetings.Paid || len(got.Payments) != 1 {
					t.Errorf("after paying: %q with %d payments (%v), want paid with one", got.Status, len(got.Payments), err)
				}
			})
		}
	})
}
