package cli

import (
	"context"
	stdlog "log"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"plenary/internal/inventory"
	"plenary/internal/jobs"
	"plenary/internal/meetings"
	"plenary/internal/outbox"
	"plenary/internal/payments"
)

// Card payments for meetings (issue 10): the processor the configuration
// chose, and the periodic job that keeps payment state from drifting.

// ReconcileKind is the recurring job that looks late checkouts up at the
// processor, expires those past --checkout-expiry and frees their
// tickets. One instance runs it at a time; it recurs every minute.
const ReconcileKind = "payments.reconcile"

// reconcileEvery is how often the reconcile job runs, and how late a
// webhook may be before its checkout is looked up.
const reconcileEvery = time.Minute

// processor builds the configured card processor: Stripe Checkout when
// its key is given, else the built-in test processor on procLn, which is
// then served until the returned stop is called. It returns nil when
// neither is configured.
func (a *app) processor(procLn net.Listener, log *slog.Logger) (payments.Processor, func()) {
	cfg := a.cfg
	if cfg.StripeKey != "" {
		log.Info("card payments go through Stripe Checkout", "webhook", strings.TrimSuffix(cfg.BaseURL.String(), "/")+"/payments/webhook/stripe",
			"webhook_secrets", len(cfg.StripeWebhookSecrets))
		return payments.NewStripe(cfg.StripeKey, cfg.StripeWebhookSecrets, cfg.StripeAPIBase, nil), func() {}
	}
	if procLn == nil {
		return nil, func() {}
	}
	// The test processor is another origin on its own listener, with
	// no access log: it sees card fields, and logs none of them.
	proc := &payments.TestProcessor{
		Origin:     "http://" + procLn.Addr().String(),
		WebhookURL: strings.TrimSuffix(cfg.BaseURL.String(), "/") + "/payments/webhook/test",
		Secret:     a.keys.Derive("test-processor-webhook"),
		Client:     &http.Client{Timeout: 10 * time.Second},
	}
	srv := &http.Server{Handler: proc.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, ErrorLog: stdlog.New(newServerErrorLog(log), "", 0)}
	go srv.Serve(procLn)
	log.Info("the test card processor is serving", "url", proc.Origin)
	return proc, func() { srv.Close() }
}

// checkouts is the payment use cases with proc. The mail they store (a
// refund the job finishes, a payment it learns of) waits in the outbox
// for its job, which sends it within a minute.
func (a *app) checkouts(proc payments.Processor) meetings.Checkouts {
	return meetings.Checkouts{DB: a.db, Audit: a.audit, Sealer: a.keys.Sealer(inventory.PaymentsKey), Proc: proc, Expiry: a.cfg.CheckoutExpiry,
		BaseURL: a.cfg.BaseURL.String(), Org: a.cfg.OrgName,
		Outbox: &outbox.Outbox{DB: a.db, Sealer: a.keys.Sealer(outbox.KeyPurpose)}}
}

// reconcileHandler is the reconcile job's handler. Each run also removes
// the runs finished more than a day ago, so the queue does not grow by a
// row a minute.
func reconcileHandler(c meetings.Checkouts, log *slog.Logger) jobs.Handler {
	return func(ctx context.Context, j jobs.Job) error {
		if _, err := jobs.PruneKind(ctx, c.DB, ReconcileKind, time.Now().Add(-24*time.Hour)); err != nil {
			log.Warn("payments: pruning old reconcile runs", "err", err)
		}
		r, err := c.Reconcile(ctx, time.Now(), reconcileEvery)
		if r != (meetings.Reconciled{}) {
			log.Info("payments reconciled", "result", r.String())
		}
		if err != nil && r.Failed > 0 {
			// A processor that cannot be reached now is asked again at the
			// next run; the job itself did its work.
			log.Warn("payments: some checkouts could not be looked up", "err", err)
			return nil
		}
		return err
	}
}
