package cli

import (
	"context"
	"errors"
	"fmt"
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
	"plenary/internal/demo"
	"plenary/internal/logsearch"
	"plenary/internal/mail"
	"plenary/internal/usage"
	"plenary/internal/web"
)

func runServe(ctx context.Context, env Env, args []string) error {
	log := slog.New(slog.NewTextHandler(env.Stderr, nil))
	a, err := openApp(ctx, env, newFlags(env, "serve"), args, log)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.syncPolicy(ctx); err != nil {
		return err
	}
	cfg := a.cfg

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

	mailer, err := mail.New(cfg.SMTP, "no-reply@"+cfg.BaseURL.Hostname(), log)
	if err != nil {
		return fmt.Errorf("--smtp: %w", err)
	}
	srv, err := web.New(web.Deps{
		Config: cfg, DB: a.db, Inventory: a.inv, Policy: a.policy,
		AccessLog: logs, Audit: a.audit,
		LogSearch: &logsearch.Service{Dir: logs.Dir(), Audit: a.audit}, Keys: a.keys, Log: log, Version: Version(),
		Mail: mailer,
	})
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("--addr: %w", err)
	}
	httpSrv := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	go maintenanceLoop(ctx, a, logs.Dir(), log)
	// The job queue's worker; waited for at shutdown, so a mailing in
	// progress records its last copy and gives the job back.
	var jobsDone sync.WaitGroup
	jobsDone.Go(func() {
		if err := jobRunner(a, mailer, log).Run(ctx); err != nil {
			log.Error("job queue stopped", "err", err)
		}
	})

	errc := make(chan error, 1)
	scheme := "http"
	go func() {
		if cfg.TLS() {
			errc <- httpSrv.ServeTLS(ln, cfg.TLSCert, cfg.TLSKey)
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

// maintenanceLoop runs the log jobs once at start and then hourly.
func maintenanceLoop(ctx context.Context, a *app, logDir string, log *slog.Logger) {
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		sweepAccounts(ctx, a, time.Now(), log)
		done, removed, err := maintainLogs(ctx, a, logDir, time.Now(), nil)
		if err != nil && ctx.Err() == nil {
			log.Error("access log maintenance", "err", err)
		}
		for _, f := range done {
			log.Info("usage ingestion: counted a finished log file", "file", f.File, "lines", f.Lines, "invalid", f.Invalid)
		}
		for _, r := range removed {
			log.Info("access log retention: removed expired file", "file", filepath.Base(r.Path), "day", r.Day, "bytes", r.Bytes)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// maintainLogs first ingests the day files that are complete into usage
// aggregates, then removes raw files past their retention (U3), so a file
// is never deleted before it has been counted. When ingestion fails,
// nothing is removed.
func maintainLogs(ctx context.Context, a *app, dir string, now time.Time, progress func(string, int64)) ([]usage.Ingested, []accesslog.Removed, error) {
	cfg := a.cfg
	ingester := &usage.Ingester{DB: a.db, Dir: dir, Instance: cfg.Instance, MinVisitors: cfg.AnalyticsMinVisitors, Site: cfg.BaseURL.Hostname(), Progress: progress}
	done, err := ingester.Run(ctx, now)
	if err != nil {
		return done, nil, err
	}
	removed, err := accesslog.Sweep(dir, a.retentionDays("access_log"), now)
	return done, removed, err
}
