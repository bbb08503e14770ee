package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"plenary/internal/config"
	"plenary/internal/retention"
)

// runSweep runs, once and now, what `plenary serve` does hourly: every
// retention job of internal/retention, from sessions and mailed links to
// audit entries and raw access-log files (which are first counted into
// usage trends). It says what it is doing as it goes and what each job
// removed, and exits 1 when a job failed.
func runSweep(ctx context.Context, env Env, args []string) error {
	a, err := openAppWith(ctx, newFlags(env, "sweep"), args, config.SweepFlags, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	defer a.Close()
	progress := func(line string) { fmt.Fprintln(env.Stderr, line) }
	results := retention.Run(ctx, a.retentionEnv(nil, "cli", progress), time.Now())
	var errs []error
	for _, r := range results {
		if r.Err != nil {
			errs = append(errs, r.Err)
			continue
		}
		fmt.Fprintf(env.Stdout, "%-20s removed %s\n", r.Job, r.Counts)
	}
	keep := "forever"
	if d := a.retentionDays("access_log"); d >= 0 {
		keep = fmt.Sprintf("%d days", d)
	}
	fmt.Fprintf(env.Stdout, "raw access logs of instance %s are kept %s, after they are counted\n", a.cfg.Instance, keep)
	if _, _, err := a.audit.Checkpoint(ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
