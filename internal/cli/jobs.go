package cli

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"plenary/internal/dsr"
	"plenary/internal/jobs"
	"plenary/internal/lists"
	"plenary/internal/mail"
	"plenary/internal/mailings"
	"plenary/internal/outbox"
	"plenary/internal/payments"
	"plenary/internal/web"
)

// jobRunner is this instance's worker on the shared job queue: it sends
// participant mailings and distributes discussion-group postings. Every
// instance runs one; the queue hands each job to one of them.
func jobRunner(a *app, mailer mail.Sender, proc payments.Processor, log *slog.Logger) *jobs.Runner {
	cfg := a.cfg
	worker := fmt.Sprintf("%s-%d", cfg.Instance, os.Getpid())
	sender := &mailings.Sender{
		Env:    mailings.Env{DB: a.db, Audit: a.audit, Policy: a.policy, Key: a.keys.Derive(mailings.KeyPurpose)},
		Mail:   mailer,
		Site:   web.MailingSite(cfg.OrgName, cfg.BaseURL.String(), cfg.MailingAddress),
		Rate:   cfg.MailingRate,
		Worker: worker,
		Log:    log,
	}
	return &jobs.Runner{
		Queue: &jobs.Queue{DB: a.db, Worker: worker, Lease: cfg.JobLease},
		Handlers: map[string]jobs.Handler{
			mailings.JobKind:     sender.Handle,
			lists.DistributeKind: (&lists.Distributor{DB: a.db, Mail: mailer, Domain: cfg.MailDomain, BaseURL: strings.TrimSuffix(cfg.BaseURL.String(), "/"), Audit: a.audit}).Handle,
			// Removal decisions mailed to the requester (R4).
			dsr.MailKind: (&dsr.Mailer{DB: a.db, Audit: a.audit, Inv: a.inv, Mail: mailer, Org: cfg.OrgName}).Handle,
			// Card payments (issue 10): late webhooks, expired checkouts.
			ReconcileKind: reconcileHandler(a.checkouts(proc), log),
			// Account mail stored by the web side (internal/outbox).
			outbox.JobKind: (&outbox.Outbox{DB: a.db, Sealer: a.keys.Sealer(outbox.KeyPurpose), Mail: mailer, Log: log}).Handle,
		},
		Every: map[string]time.Duration{ReconcileKind: reconcileEvery},
		Poll:  2 * time.Second,
		Log:   log,
	}
}
