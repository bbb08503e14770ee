package cli

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"testing"
	"time"

	"plenary/internal/meetings"
	"plenary/internal/payments"
)

// TestReconcileRunsAsAPeriodicJob: serve's job runner carries the
// reconcile job, scheduled once for all instances and again after each
// run; a run expires a checkout past --checkout-expiry at the processor
// and frees its ticket.
func TestReconcileRunsAsAPeriodicJob(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	a, err := openApp(ctx, Env{}, fs, []string{"--data", t.TempDir(), "--checkout-expiry", "10m"}, log)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.syncPolicy(ctx); err != nil {
		t.Fatal(err)
	}
	cur, err := a.policy.Current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	proc := &payments.TestProcessor{Secret: []byte("test processor secret")}
	m, err := meetings.Form{Name: "Job meeting", StartsOn: "2099-04-01", EndsOn: "2099-04-02", Place: "Oslo", TimeZone: "UTC",
		Opens: "2000-01-01", Closes: "2099-03-01", Capacity: "1", Tickets: "Full | 10.00 | EUR"}.Clean()
	if err != nil {
		t.Fatal(err)
	}
	started := time.Now().Add(-time.Hour)
	mid, err := meetings.Create(ctx, a.db, a.audit, meetings.Staff{ID: 1, Name: "Sec"}, m, started)
	if err != nil {
		t.Fatal(err)
	}
	got, err := meetings.Get(ctx, a.db, mid)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := meetings.Register(ctx, a.db, a.audit, meetings.SignUp{Form: meetings.RegForm{Name: "Late Payer", Email: "late@example.net", AgeOK: true, Consent: true},
		Ticket: got.Tickets[0], MeetingID: mid, VersionID: cur.ID, Transfer: "here"}, started)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.checkouts(proc).StartPayment(ctx, reg.Token, started); err != nil {
		t.Fatal(err)
	}
	runner := jobRunner(a, nil, proc, log)
	if err := runner.Schedule(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := runner.RunDue(ctx); err != nil || n != 1 {
		t.Errorf("RunDue ran %d jobs (%v), want the reconcile job", n, err)
	}
	if r, err := meetings.ByToken(ctx, a.db, reg.Token); err != nil || r.Status != meetings.Expired || r.Payments[0].Status != payments.Expired {
		t.Errorf("after the job: %+v %v, want the registration released and its checkout expired", r, err)
	}
	if o, err := proc.LookUp(ctx, checkoutOf(t, a, reg.Token)); err != nil || o.Status != payments.Expired {
		t.Errorf("at the processor: %+v %v, want the checkout expired", o, err)
	}
	var next int
	if err := a.db.QueryRow(ctx, "SELECT COUNT(*) FROM jobs WHERE kind = ? AND finished_at IS NULL AND run_at > ?", ReconcileKind, time.Now().UTC()).Scan(&next); err != nil || next != 1 {
		t.Errorf("%d reconcile runs scheduled ahead (%v), want 1", next, err)
	}
}

func checkoutOf(t *testing.T, a *app, token string) string {
	t.Helper()
	r, err := meetings.ByToken(context.Background(), a.db, token)
	if err != nil || len(r.Payments) == 0 {
		t.Fatalf("%v %v", r, err)
	}
	return r.Payments[0].CheckoutID
}
