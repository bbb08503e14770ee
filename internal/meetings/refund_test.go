package meetings_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"plenary/internal/meetings"
	"plenary/internal/payments"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// cutRefund makes the refund at the processor and then cuts the caller
// off before it records it (a crash, a lost database connection); with
// down, the processor cannot be reached at all.
type cutRefund struct {
	*fakeProc
	cancel context.CancelFunc
	down   bool
}

func (p cutRefund) Refund(ctx context.Context, id, key string) error {
	if p.down {
		return errors.New("fake processor: unreachable")
	}
	err := p.fakeProc.Refund(ctx, id, key)
	p.cancel()
	return err
}

// paidRegistration registers and pays one ticket through proc, and
// returns the registration's token and its payment's id.
func paidRegistration(t *testing.T, db *store.DB, c meetings.Checkouts, proc *fakeProc, capacity string) (string, int64) {
	t.Helper()
	ctx := context.Background()
	m := openMeeting(t, db, c.Audit, capacity)
	r, err := register(t, db, c.Audit, m, version(t, db), 0, now)
	if err != nil {
		t.Fatal(err)
	}
	url, err := c.StartPayment(ctx, r.Token, now)
	if err != nil {
		t.Fatal(err)
	}
	ev, ok := proc.pay(url)
	if !ok {
		t.Fatal("the checkout took no card")
	}
	if err := c.Apply(ctx, ev, now); err != nil {
		t.Fatal(err)
	}
	got, err := meetings.ByToken(ctx, db, r.Token)
	if err != nil || len(got.Payments) != 1 {
		t.Fatalf("the paid registration: %+v %v", got, err)
	}
	return r.Token, got.Payments[0].ID
}

// TestRefundAskedAgainWithItsKey: finance's refund is made at the
// processor and recording it fails (cut off); the payment is left
// "refund asked for", and asking again, by finance's button or by the
// reconcile job, asks with the same key, which the processor answers as
// the refund already made: the payment is refunded once, recorded once,
// its registration cancelled. A processor that cannot be reached leaves
// the request to be finished the same way. On both engines.
func TestRefundAskedAgainWithItsKey(t *testing.T) {
	staff := meetings.Staff{ID: 7, Name: "Fin"}
	for _, tc := range []struct {
		name  string
		down  bool   // the processor cannot be reached, rather than the record failing
		retry string // who asks again: "finance" or "reconcile"
	}{
		{"recording fails, finance asks again", false, "finance"},
		{"recording fails, the reconcile job finishes it", false, "reconcile"},
		{"the processor is down, the reconcile job finishes it", true, "reconcile"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Engines(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				proc := &fakeProc{}
				c, _ := checkoutsFor(t, db, proc)
				token, pid := paidRegistration(t, db, c, proc, "3")

				cctx, cancel := context.WithCancel(ctx)
				defer cancel()
				cut := c
				cut.Proc = cutRefund{fakeProc: proc, cancel: cancel, down: tc.down}
				err := cut.Refund(cctx, staff, pid, now.Add(time.Hour))
				if err == nil {
					t.Fatal("the cut-off refund reported success")
				}
				var status, key string
				if err := db.QueryRow(ctx, "SELECT status, refund_key FROM payments WHERE id = ?", pid).Scan(&status, &key); err != nil {
					t.Fatal(err)
				}
				if status != payments.RefundRequested || key == "" {
					t.Fatalf("after the cut-off refund: status %q, key %q; want the request recorded with its key", status, key)
				}
				wantRefunds := 1
				if tc.down {
					wantRefunds = 0
				}
				if proc.refunds != wantRefunds {
					t.Fatalf("the processor made %d refunds, want %d", proc.refunds, wantRefunds)
				}

				switch tc.retry {
				case "finance":
					if err := c.Refund(ctx, staff, pid, now.Add(2*time.Hour)); err != nil {
						t.Fatalf("asking again: %v", err)
					}
				case "reconcile":
					r, err := c.Reconcile(ctx, now.Add(2*time.Hour), time.Minute)
					if err != nil || r != (meetings.Reconciled{Refunded: 1}) {
						t.Fatalf("reconcile: %+v %v, want one refund finished", r, err)
					}
				}
				if proc.refunds != 1 {
					t.Errorf("the processor made %d refunds, want 1", proc.refunds)
				}
				if err := c.Refund(ctx, staff, pid, now.Add(3*time.Hour)); !errors.Is(err, meetings.ErrNotRefundable) {
					t.Errorf("refunding the refunded payment again: %v, want ErrNotRefundable", err)
				}
				if r, err := c.Reconcile(ctx, now.Add(3*time.Hour), time.Minute); err != nil || r.Refunded != 0 {
					t.Errorf("reconcile afterwards: %+v %v, want nothing refunded", r, err)
				}
				got, err := meetings.ByToken(ctx, db, token)
				if err != nil || got.Status != meetings.Cancelled || got.Payments[0].Status != payments.Refunded {
					t.Errorf("after the refund: registration %q, payment %q (%v); want cancelled and refunded", got.Status, got.Payments[0].Status, err)
				}
				for action, want := range map[string]int{"payments.request_refund": 1, "payments.refund": 1} {
					if n := countRows(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = ?", action); n != want {
						t.Errorf("%d %s audit entries, want %d", n, action, want)
					}
				}
			})
		})
	}
}

// flakyRefund is fakeProc whose refunds the test can have refused (with
// the processor's reason) or fail to reach it; it counts the refunds asked.
type flakyRefund struct {
	*fakeProc
	refuse string
	down   bool
	calls  int
}

func (p *flakyRefund) Refund(ctx context.Context, id, key string) error {
	p.calls++
	switch {
	case p.down:
		return errors.New("fake processor: connection refused")
	case p.refuse != "":
		return &payments.RefusedError{Reason: p.refuse}
	}
	return p.fakeProc.Refund(ctx, id, key)
}

// TestRefundRefusedOrUnreachableStaysWithFinance: a refund the processor
// refuses comes back as a RefundFailure naming the processor's reason;
// nothing was refunded, the payment is paid again, and the request stays
// on finance's list with the reason, not asked again by the reconcile
// job, until finance refund it again. A refund the processor cannot be
// asked for stays asked for, on the list with its error and the time the
// job asks again, which it does then and not before, backing off. On
// both engines.
func TestRefundRefusedOrUnreachableStaysWithFinance(t *testing.T) {
	staff := meetings.Staff{ID: 7, Name: "Fin"}
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		proc := &flakyRefund{fakeProc: &fakeProc{}}
		c, _ := checkoutsFor(t, db, proc)
		token, pid := paidRegistration(t, db, c, proc.fakeProc, "5")
		if err := meetings.RequestRefund(ctx, db, c.Audit, meetings.Registrant{}, token, "I cannot come.", now); err != nil {
			t.Fatal(err)
		}
		listed := func() (meetings.RefundRequest, bool) {
			t.Helper()
			list, err := meetings.RefundRequests(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range list {
				if x.PaymentID == pid {
					return x, true
				}
			}
			return meetings.RefundRequest{}, false
		}

		// Refused: nothing refunded, the payment paid, the reason kept.
		proc.refuse = "the charge is disputed"
		at := now.Add(time.Hour)
		err := c.Refund(ctx, staff, pid, at)
		var failed *meetings.RefundFailure
		if !errors.As(err, &failed) || !failed.Refused || failed.Reason != "the charge is disputed" ||
			!strings.Contains(err.Error(), "the charge is disputed") || strings.Contains(err.Error(), "nothing was changed") {
			t.Fatalf("a refused refund: %#v (%v), want a refusal naming the processor's reason", failed, err)
		}
		got, err := meetings.ByToken(ctx, db, token)
		if err != nil || got.Status != meetings.Paid || got.Payments[0].Status != payments.Paid {
			t.Errorf("after the refusal: registration %q, payment %q (%v); want both paid", got.Status, got.Payments[0].Status, err)
		}
		x, ok := listed()
		if !ok || x.LastError != "the charge is disputed" || x.FailedAt == nil || !x.FailedAt.Equal(at) || x.RetryAt != nil || x.Asked() {
			t.Errorf("finance's list after the refusal: %+v (listed %v)", x, ok)
		}
		calls := proc.calls
		if r, err := c.Reconcile(ctx, now.Add(5*time.Hour), time.Minute); err != nil || r.Refunded != 0 || proc.calls != calls {
			t.Errorf("reconcile after a refusal: %+v %v, %d refunds asked; want none asked", r, err, proc.calls-calls)
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'payments.refund_refused'"); n != 1 {
			t.Errorf("%d audit entries for the refusal, want 1", n)
		}

		// Unreachable: asked for, on the list with the time it is asked
		// again; the job asks then, not before, and once it can, refunds.
		proc.refuse, proc.down = "", true
		at = now.Add(6 * time.Hour)
		err = c.Refund(ctx, staff, pid, at)
		if !errors.As(err, &failed) || failed.Refused || !failed.RetryAt.Equal(at.Add(time.Minute)) || !strings.Contains(failed.Reason, "connection refused") {
			t.Fatalf("an unreachable processor: %#v (%v), want a failure asked again in a minute", failed, err)
		}
		x, ok = listed()
		if !ok || !x.Asked() || !strings.Contains(x.LastError, "connection refused") || x.RetryAt == nil || !x.RetryAt.Equal(at.Add(time.Minute)) {
			t.Errorf("finance's list after an unreachable processor: %+v (listed %v)", x, ok)
		}
		calls = proc.calls
		if _, err := c.Reconcile(ctx, at.Add(30*time.Second), time.Minute); err != nil || proc.calls != calls {
			t.Errorf("reconcile before the retry time: %v, %d refunds asked; want none", err, proc.calls-calls)
		}
		if _, err := c.Reconcile(ctx, at.Add(90*time.Second), time.Minute); err == nil || proc.calls != calls+1 {
			t.Errorf("reconcile at the retry time, still down: %v, %d refunds asked; want one, failing", err, proc.calls-calls)
		}
		if x, _ := listed(); x.RetryAt == nil || !x.RetryAt.Equal(at.Add(90*time.Second).Add(2*time.Minute)) {
			t.Errorf("after the second failure the job asks again at %v, want two minutes later", x.RetryAt)
		}
		proc.down = false
		if r, err := c.Reconcile(ctx, at.Add(4*time.Minute), time.Minute); err != nil || r.Refunded != 1 {
			t.Fatalf("reconcile once the processor answers: %+v %v", r, err)
		}
		if _, ok := listed(); ok {
			t.Error("the refunded request stays on finance's list")
		}
		if proc.refunds != 1 {
			t.Errorf("the processor made %d refunds, want 1", proc.refunds)
		}
		got, _ = meetings.ByToken(ctx, db, token)
		if got.Status != meetings.Cancelled || got.Payments[0].Status != payments.Refunded {
			t.Errorf("after the refund: registration %q, payment %q", got.Status, got.Payments[0].Status)
		}
	})
}
