package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	stdlog "log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"plenary/internal/accesslog"
	"plenary/internal/audit"
	"plenary/internal/config"
	"plenary/internal/demo"
	"plenary/internal/logsearch"
	"plenary/internal/mail"
	"plenary/internal/meetings"
	"plenary/internal/payments"
	"plenary/internal/retention"
	"plenary/internal/web"
)

func runServe(ctx context.Context, env Env, args []string) error {
	log := slog.New(slog.NewTextHandler(env.Stderr, nil))
	cfg, err := loadConfig(newFlags(env, "serve"), args, config.Flags)
	if err != nil {
		return err
	}
	// The port first: a server that cannot listen must fail before it
	// creates a data directory, migrates a database or publishes a
	// statement version.
	var tlsConfig *tls.Config
	if cfg.TLS() {
		if tlsConfig, err = cfg.TLSConfig(); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("--addr: %w", err)
	}
	defer ln.Close()
	var procLn net.Listener
	if cfg.TestProcessorAddr != "" {
		if procLn, err = net.Listen("tcp", cfg.TestProcessorAddr); err != nil {
			return fmt.Errorf("--test-processor-addr: %w", err)
		}
		defer procLn.Close()
	}
	a, err := openConfigured(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.syncPolicy(ctx); err != nil {
		return err
	}

	if cfg.Demo {
		seeded, err := demo.Seed(ctx, demo.Deps{DB: a.db, Out: env.Stdout, Now: time.Now(),
			LogDir: filepath.Join(cfg.DataDir, "logs"), Instance: cfg.Instance})
		if err != nil {
			return fmt.Errorf("--demo: %w", err)
		}
		if !seeded {
			log.Info("--demo: the database already has content; nothing was added")
		}
	}

	logs, err := accesslog.NewWriter(filepath.Join(cfg.DataDir, "logs"), cfg.Instance)
	if err != nil {
		return fmt.Errorf("--data: %w", err)
	}
	defer logs.Close()

	mailer, err := mail.New(cfg.SMTP, "no-reply@"+config.MailDomainOf(cfg.BaseURL.Hostname()), cfg.OrgName, log)
	if err != nil {
		return fmt.Errorf("--smtp: %w", err)
	}
	deps := web.Deps{
		Config: cfg, DB: a.db, Inventory: a.inv, Policy: a.policy,
		AccessLog: logs, Audit: a.audit,
		LogSearch: &logsearch.Service{Dir: logs.Dir(), Audit: a.audit}, Keys: a.keys, Log: log, Version: Version(),
		Mail: mailer,
	}
	proc, stopProc := a.processor(procLn, log)
	defer stopProc()
	if tp, ok := proc.(*payments.TestProcessor); ok {
		// It forgot its checkouts when it last stopped; without them, the
		// payments made through it (the demo's among them) could not be
		// refunded.
		paid, err := meetings.PaidAt(ctx, a.db, tp.Name())
		if err != nil {
			return err
		}
		for _, o := range paid {
			tp.AddPaid(o)
		}
	}
	deps.Payments = proc
	srv, err := web.New(deps)
	if err != nil {
		return err
	}

	httpSrv := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          stdlog.New(newServerErrorLog(log), "", 0),
		TLSConfig:         tlsConfig,
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	waitInbound, err := startInbound(ctx, a, mailer, log)
	if err != nil {
		return err
	}
	// The listener stops when ctx ends; stop first, or the wait never ends.
	defer func() { stop(); waitInbound() }()
	go maintenanceLoop(ctx, a, log)
	// The job queue's worker; waited for at shutdown, so a mailing in
	// progress records its last copy and gives the job back.
	var jobsDone sync.WaitGroup
	jobsDone.Go(func() {
		if err := jobRunner(a, mailer, proc, log).Run(ctx); err != nil {
			log.Error("job queue stopped", "err", err)
		}
	})

	errc := make(chan error, 1)
	scheme := "http"
	go func() {
		if cfg.TLS() {
			errc <- httpSrv.ServeTLS(ln, "", "") // the certificate is in TLSConfig
		} else {
			errc <- httpSrv.Serve(ln)
		}
	}()
	if cfg.TLS() {
		scheme = "https"
	}
	log.Info("plenary is serving", "url", scheme+"://"+ln.Addr().String(), "db", a.db.String(), "data", cfg.DataDir, "instance", cfg.Instance)

	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serving: %w", err)
		}
		return nil
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in progress")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := httpSrv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	srv.Wait()
	jobsDone.Wait()
	log.Info("stopped")
	return nil
}

// maintenanceLoop runs every retention job (U3) once at start and then
// hourly, and each minute the audit log's head moved writes a signed
// checkpoint of it to DATA/audit-checkpoints and to this log, where
// whoever can rewrite the audit table cannot silently rewrite them.
func maintenanceLoop(ctx context.Context, a *app, log *slog.Logger) {
	if behind, err := a.audit.Behind(ctx); err != nil {
		log.Error("audit checkpoints", "err", err)
	} else if behind != "" {
		log.Error("audit log is shorter than its checkpoints", "problem", behind)
	}
	var last audit.Checkpoint
	checkpoint := func() {
		head, err := a.audit.Head(ctx)
		if err != nil || head.Seq == last.Seq && head.Hash == last.Hash {
			if err != nil && ctx.Err() == nil {
				log.Error("audit checkpoint", "err", err)
			}
			return
		}
		cp, wrote, err := a.audit.Checkpoint(ctx)
		if err != nil {
			if ctx.Err() == nil {
				log.Error("audit checkpoint", "err", err)
			}
			return
		}
		if wrote {
			last = cp
			log.Info("audit checkpoint", "seq", cp.Seq, "hash", cp.Hash, "line", a.audit.Checkpoints.Line(cp))
		}
	}
	env := a.retentionEnv(log, "system", nil)
	retention.Run(ctx, env, time.Now())
	checkpoint()
	sweep := time.NewTicker(time.Hour)
	defer sweep.Stop()
	minute := time.NewTicker(time.Minute)
	defer minute.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-sweep.C:
			retention.Run(ctx, env, time.Now())
			checkpoint()
		case <-minute.C:
			checkpoint()
		}
	}
}
