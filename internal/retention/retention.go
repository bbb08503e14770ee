// Package retention enforces the retention rules of the data inventory
// (U3). Each rule names a job; each job here says which tables it removes
// rows from, removes what has outlived the rule, and reports what it
// removed, per table, to the server log and to the audit log. A test fails
// when a table holding personal data has no job (and is not emptied by a
// cascade from one that has), or when a rule names a job that does not
// exist, so a new store cannot be added without saying how it is swept.
package retention

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"plenary/internal/accesslog"
	"plenary/internal/audit"
	"plenary/internal/auth"
	"plenary/internal/dsr"
	"plenary/internal/inquiries"
	"plenary/internal/lists"
	"plenary/internal/mailings"
	"plenary/internal/meetings"
	"plenary/internal/outbox"
	"plenary/internal/people"
	"plenary/internal/store"
	"plenary/internal/usage"
)

// AccessLogFiles is the store the access-log job removes from: raw log
// files rather than a table.
const AccessLogFiles = "access-log files"

// Counts is what a job removed: rows per table, or files for
// AccessLogFiles.
type Counts map[string]int64

// Total is the number of rows or files removed in all.
func (c Counts) Total() int64 {
	var n int64
	for _, v := range c {
		n += v
	}
	return n
}

// String lists the counts as "table=n", sorted by name, for logs and the
// audit entry.
func (c Counts) String() string {
	parts := make([]string, 0, len(c))
	for _, k := range slices.Sorted(maps.Keys(c)) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, c[k]))
	}
	return strings.Join(parts, " ")
}

// Env is what the jobs work on.
type Env struct {
	DB    *store.DB
	Audit *audit.Log
	// Days is the configured lifetime of a retention key in days, -1 for
	// forever (config.RetentionDays over the inventory's default).
	Days func(key string) int
	// The access-log job counts this instance's finished day files into
	// usage aggregates before it removes any raw file.
	LogDir      string
	Instance    string
	MinVisitors int
	Site        string
	Log         *slog.Logger // the server log; nil logs nothing
	// Label names who ran the sweep in the audit log: "system" for
	// serve, "cli" for the command.
	Label string
	// Progress, when set, is told what the jobs do as they go: each file
	// counted or removed, each job finished.
	Progress func(line string)
}

func (env *Env) progress(format string, args ...any) {
	if env.Progress != nil {
		env.Progress(fmt.Sprintf(format, args...))
	}
}

// Job enforces one retention rule.
type Job struct {
	// Name is what a rule's Retention.JobName says.
	Name string
	// Key is the retention key whose configured days the job applies;
	// empty for a rule with a fixed lifetime.
	Key string
	// Tables are the tables the job deletes rows from (AccessLogFiles for
	// the raw log files). Tables whose rows reference these with ON DELETE
	// CASCADE are emptied along with them.
	Tables []string
	// Sweep removes what has expired by now. Database jobs get a
	// transaction, which also takes the job's audit entry; file jobs get
	// nil and write their own.
	Sweep func(ctx context.Context, env *Env, tx *store.Tx, now time.Time) (Counts, error)
	Files bool
}

// Jobs lists every retention job, in the order they run.
func Jobs() []Job {
	return []Job{
		{Name: "sessions", Tables: []string{"sessions"}, Sweep: func(ctx context.Context, env *Env, tx *store.Tx, now time.Time) (Counts, error) {
			n, err := auth.SweepSessions(ctx, tx, now)
			return Counts{"sessions": n}, err
		}},
		{Name: "auth_tokens", Tables: []string{"auth_tokens"}, Sweep: func(ctx context.Context, env *Env, tx *store.Tx, now time.Time) (Counts, error) {
			n, err := auth.SweepTokens(ctx, tx, now)
			return Counts{"auth_tokens": n}, err
		}},
		{Name: "rate_limits", Tables: []string{"rate_limits"}, Sweep: func(ctx context.Context, env *Env, tx *store.Tx, now time.Time) (Counts, error) {
			// Windows are 15 minutes; an hour leaves every live one alone.
			n, err := auth.SweepLimits(ctx, tx, now.Add(-time.Hour))
			return Counts{"rate_limits": n}, err
		}},
		{Name: "person_changes", Key: "person_changes", Tables: []string{"person_changes"}, Sweep: func(ctx context.Context, env *Env, tx *store.Tx, now time.Time) (Counts, error) {
			n, err := people.SweepHistory(ctx, tx, env.Days("person_changes"), now)
			return Counts{"person_changes": n}, err
		}},
		// An account whose address was never confirmed goes a week after
		// sign-up, with its addresses, roles, sessions, links and history
		// (foreign keys cascade).
		{Name: "unconfirmed_signups", Tables: []string{"people"}, Sweep: func(ctx context.Context, env *Env, tx *store.Tx, now time.Time) (Counts, error) {
			n, err := people.SweepUnconfirmed(ctx, tx, now.Add(-people.UnconfirmedGrace))
			return Counts{"people": n}, err
		}},
		// An inquiry goes with its thread a configured time after it was
		// closed; open ones stay however old.
		{Name: "inquiry", Key: "inquiry", Tables: []string{"inquiries", "inquiry_messages"}, Sweep: func(ctx context.Context, env *Env, tx *store.Tx, now time.Time) (Counts, error) {
			n, err := inquiries.SweepInquiries(ctx, tx, now, env.Days("inquiry"))
			return Counts{"inquiries": n}, err
		}},
		// The recipients of a mailing go a configured time after it
		// finished; the mailing itself stays as the record of what was
		// sent, naming no recipient.
		{Name: "mailing", Key: "mailing", Tables: []string{"mailing_recipients"}, Sweep: func(ctx context.Context, env *Env, tx *store.Tx, now time.Time) (Counts, error) {
			n, err := mailings.SweepRecipients(ctx, tx, now, env.Days("mailing"))
			return Counts{"mailing_recipients": n}, err
		}},
		// A confirmation link for announcements that was never followed is
		// cleared when it expires; the choice itself stays with the account.
		{Name: "mailing_confirmations", Tables: []string{"mailing_subscriptions"}, Sweep: func(ctx context.Context, env *Env, tx *store.Tx, now time.Time) (Counts, error) {
			n, err := mailings.SweepConfirmations(ctx, tx, now)
			return Counts{"mailing_subscriptions": n}, err
		}},
		// Subscriptions never confirmed go when their link expires;
		// their delivery records cascade.
		{Name: "list_pending", Key: "list_pending", Tables: []string{"list_subscriptions"}, Sweep: func(ctx context.Context, env *Env, tx *store.Tx, now time.Time) (Counts, error) {
			n, err := lists.SweepPending(ctx, tx, now, env.Days("list_pending"))
			return Counts{"list_subscriptions": n}, err
		}},
		// Postings held for the terms or a moderator go unpublished, with
		// contributors who never accepted the terms and have none left.
		{Name: "list_held", Key: "list_held", Tables: []string{"list_posts", "list_contributors"}, Sweep: func(ctx context.Context, env *Env, tx *store.Tx, now time.Time) (Counts, error) {
			p, c, err := lists.SweepHeld(ctx, tx, now, env.Days("list_held"))
			return Counts{"list_posts": p, "list_contributors": c}, err
		}},
		// Bounce records of list mail go after their days; a disabled
		// subscription stays disabled until list_disabled removes it.
		{Name: "list_bounce", Key: "list_bounce", Tables: []string{"list_bounces"}, Sweep: func(ctx context.Context, env *Env, tx *store.Tx, now time.Time) (Counts, error) {
			n, err := lists.SweepBounces(ctx, tx, now, env.Days("list_bounce"))
			return Counts{"list_bounces": n}, err
		}},
		// Delivery records (and the answers of servers that refused a
		// copy) go after their days, whether or not the subscription
		// lasts.
		{Name: "list_delivery", Key: "list_delivery", Tables: []string{"list_deliveries"}, Sweep: func(ctx context.Context, env *Env, tx *store.Tx, now time.Time) (Counts, error) {
			n, err := lists.SweepDeliveries(ctx, tx, now, env.Days("list_delivery"))
			return Counts{"list_deliveries": n}, err
		}},
		// A subscription disabled after bounces and not taken up again
		// goes after its days, with its records (cascade); the ledger
		// gets the end of its consent and the audit log an entry each.
		{Name: "list_disabled", Key: "list_disabled", Tables: []string{"list_subscriptions"}, Sweep: func(ctx context.Context, env *Env, tx *store.Tx, now time.Time) (Counts, error) {
			n, err := lists.SweepDisabled(ctx, tx, env.Audit, now, env.Days("list_disabled"))
			return Counts{"list_subscriptions": n}, err
		}},
		// A registration's non-public details are shredded a configured
		// time after its meeting ends; what the books need stays.
		{Name: "registration", Key: "registration", Tables: []string{"registrations"}, Sweep: func(ctx context.Context, env *Env, tx *store.Tx, now time.Time) (Counts, error) {
			n, err := meetings.Shred(ctx, tx, now, env.Days("registration"))
			return Counts{"registrations": n}, err
		}},
		{Name: "audit", Key: "audit", Tables: []string{"audit_log"}, Sweep: func(ctx context.Context, env *Env, tx *store.Tx, now time.Time) (Counts, error) {
			days := env.Days("audit")
			if days < 0 {
				return Counts{"audit_log": 0}, nil
			}
			n, err := env.Audit.Prune(ctx, tx, now.AddDate(0, 0, -days))
			return Counts{"audit_log": n}, err
		}},
		{Name: "access_log", Key: "access_log", Tables: []string{AccessLogFiles}, Files: true, Sweep: sweepAccessLog},
		// The register of disclosures required by law (U4).
		{Name: "disclosure", Key: "disclosure", Tables: []string{"disclosures"}, Sweep: func(ctx context.Context, env *Env, tx *store.Tx, now time.Time) (Counts, error) {
			n, err := dsr.SweepDisclosures(ctx, tx, now, env.Days("disclosure"))
			return Counts{"disclosures": n}, err
		}},
		// Account mail never delivered: its links have expired.
		{Name: "mail_outbox", Tables: []string{"mail_outbox"}, Sweep: func(ctx context.Context, env *Env, tx *store.Tx, now time.Time) (Counts, error) {
			n, err := outbox.Sweep(ctx, tx, now, outbox.RetentionDays)
			return Counts{"mail_outbox": n}, err
		}},
	}
}

// sweepAccessLog first counts the finished day files of this instance into
// usage aggregates, then removes raw files past their retention, so a file
// is never removed before it has been counted. When counting fails,
// nothing is removed.
func sweepAccessLog(ctx context.Context, env *Env, _ *store.Tx, now time.Time) (Counts, error) {
	in := &usage.Ingester{DB: env.DB, Dir: env.LogDir, Instance: env.Instance, MinVisitors: env.MinVisitors, Site: env.Site,
		Progress: func(file string, lines int64) {
			env.progress("counted %s (%d lines) into usage trends", filepath.Base(file), lines)
		}}
	done, err := in.Run(ctx, now)
	if env.Log != nil {
		for _, f := range done {
			env.Log.Info("usage ingestion: counted a finished log file", "file", f.File, "lines", f.Lines, "invalid", f.Invalid)
		}
	}
	if err != nil {
		return Counts{AccessLogFiles: 0}, fmt.Errorf("counting finished access logs (no file was removed): %w", err)
	}
	days := env.Days("access_log")
	if err := allCounted(ctx, env, days, now); err != nil {
		return Counts{AccessLogFiles: 0}, err
	}
	removed, err := accesslog.Sweep(env.LogDir, days, now)
	for _, r := range removed {
		env.progress("removed %s (%s, %d bytes): older than the retention rule", filepath.Base(r.Path), r.Day, r.Bytes)
		if env.Log != nil {
			env.Log.Info("access log retention: removed expired file", "file", filepath.Base(r.Path), "day", r.Day, "bytes", r.Bytes)
		}
	}
	return Counts{AccessLogFiles: int64(len(removed))}, err
}

// allCounted checks that every file the sweep is about to remove has been
// counted into usage trends, also the files of other instances that share
// this data directory, which this instance does not count itself. A file
// that is not stops the removal of every file until its own instance has
// counted it.
func allCounted(ctx context.Context, env *Env, days int, now time.Time) error {
	if days < 0 {
		return nil
	}
	files, err := accesslog.Files(env.LogDir)
	if err != nil {
		return fmt.Errorf("listing access logs: %w", err)
	}
	cutoff := now.UTC().AddDate(0, 0, -days).Format(time.DateOnly)
	for _, f := range files {
		name := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(f), ".gz"), ".log")
		if len(name) < len("access-x-2006-01-02") {
			continue
		}
		instance, day := strings.TrimPrefix(name[:len(name)-11], "access-"), name[len(name)-10:]
		if _, err := time.Parse(time.DateOnly, day); err != nil || day >= cutoff {
			continue
		}
		var n int
		if err := env.DB.QueryRow(ctx, "SELECT COUNT(*) FROM usage_sources WHERE instance = ? AND day = ?", instance, day).Scan(&n); err != nil {
			return fmt.Errorf("checking that %s was counted: %w", filepath.Base(f), err)
		}
		if n == 0 {
			return fmt.Errorf("%s is past its retention but instance %s has not counted it into usage trends yet; no file was removed", filepath.Base(f), instance)
		}
	}
	return nil
}

// Result is what one job did.
type Result struct {
	Job    string
	Counts Counts
	Err    error
}

// Run runs every job once, each on its own: a failing job is reported and
// the others still run. Each database job runs in one transaction under a
// lock of its own, so instances sharing one PostgreSQL never sweep the
// same rows at once, and writes its audit entry in that transaction when
// it removed anything. The server log gets one line with the counts of
// every table, and a line for each job that failed.
func Run(ctx context.Context, env *Env, now time.Time) []Result {
	var results []Result
	all := Counts{}
	for _, j := range Jobs() {
		if ctx.Err() != nil {
			break
		}
		res := Result{Job: j.Name}
		res.Counts, res.Err = runJob(ctx, env, j, now)
		results = append(results, res)
		if res.Err != nil {
			env.progress("%s: failed: %v", j.Name, res.Err)
			if env.Log != nil && !errors.Is(res.Err, context.Canceled) {
				env.Log.Error("retention sweep failed", "job", j.Name, "err", res.Err)
			}
			continue
		}
		env.progress("%s: removed %s", j.Name, res.Counts)
		maps.Copy(all, res.Counts)
	}
	record(results, now)
	if env.Log != nil {
		args := make([]any, 0, 2*len(all))
		for _, k := range slices.Sorted(maps.Keys(all)) {
			args = append(args, k, all[k])
		}
		env.Log.Info("retention sweep: removed", args...)
	}
	return results
}

func runJob(ctx context.Context, env *Env, j Job, now time.Time) (Counts, error) {
	entry := func(c Counts) audit.Entry {
		return audit.Entry{Label: env.Label, Action: "retention.sweep", Subject: "retention:" + j.Name, Detail: "removed " + c.String()}
	}
	if j.Files {
		c, err := j.Sweep(ctx, env, nil, now)
		if c.Total() > 0 {
			if aerr := env.Audit.Record(ctx, env.DB, entry(c)); aerr != nil {
				err = errors.Join(err, fmt.Errorf("recording the sweep in the audit log: %w", aerr))
			}
		}
		if err != nil {
			err = fmt.Errorf("retention job %s: %w", j.Name, err)
		}
		return c, err
	}
	var c Counts
	err := env.DB.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.Lock(ctx, "retention:"+j.Name); err != nil {
			return err
		}
		var err error
		if c, err = j.Sweep(ctx, env, tx, now); err != nil {
			return err
		}
		// An hourly entry saying nothing was removed would bury the
		// accesses the audit log is for; the server log still says so.
		if c.Total() == 0 {
			return nil
		}
		return env.Audit.Record(ctx, tx, entry(c))
	})
	if err != nil {
		// Rolled back: nothing was removed.
		return Counts{}, fmt.Errorf("retention job %s: %w", j.Name, err)
	}
	return c, nil
}
