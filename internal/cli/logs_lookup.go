package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"time"

	"plenary/internal/config"
	"plenary/internal/logsearch"
	"plenary/internal/people"
)

// runLogsLookup is the command-line form of the restricted look-up (C3).
// Whoever runs it names themselves with --as, and that account must hold
// the security role: shell access to the server is not a licence to skip
// the reason and the audit entry.
func runLogsLookup(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "logs lookup")
	as := fs.String("as", "", "e-mail `address` of the security staff member making the look-up (required)")
	ip := fs.String("ip", "", "IP `address` or CIDR block to look for (empty: every address in the window)")
	from := fs.String("from", "", "start of the window, RFC 3339 or YYYY-MM-DD (UTC) (required)")
	to := fs.String("to", "", "end of the window, RFC 3339 or YYYY-MM-DD (UTC) (required)")
	reason := fs.String("reason", "", "diagnosis or misuse (required)")
	note := fs.String("note", "", "the case being diagnosed or investigated; goes to the audit log (required)")
	limit := fs.Int("limit", 500, "most lines to print")
	a, err := openAppWith(ctx, fs, args, config.StoreFlags, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	defer a.Close()
	if *as == "" {
		return usageError{"--as: say who is looking (the e-mail address of an account with the security role)"}
	}
	p, _, err := people.FindByEmail(ctx, a.db, *as)
	if errors.Is(err, people.ErrNotFound) {
		return fmt.Errorf("--as: no account has the address %s", *as)
	}
	if err != nil {
		return err
	}
	id, err := people.Identity(ctx, a.db, p.ID)
	if err != nil {
		return err
	}
	q := logsearch.Query{Addr: *ip, Reason: *reason, Note: *note, Limit: *limit}
	if *from != "" {
		if q.From, err = parseWhen(*from); err != nil {
			return usageError{"--from: " + err.Error()}
		}
	}
	if *to != "" {
		if q.To, err = parseWhen(*to); err != nil {
			return usageError{"--to: " + err.Error()}
		}
	}
	svc := &logsearch.Service{Dir: filepath.Join(a.cfg.DataDir, "logs"), Audit: a.audit}
	res, err := svc.Lookup(ctx, logsearch.Actor{ID: id.PersonID, Label: id.Name + " (command line)", Roles: id.Roles}, q)
	if errors.Is(err, logsearch.ErrNotSecurity) {
		return fmt.Errorf("--as: %s does not have the security role; only security staff may look up raw log lines", *as)
	}
	if errors.Is(err, logsearch.ErrInvalid) {
		return usageError{err.Error()}
	}
	if err != nil {
		return err
	}
	for _, m := range res.Matches {
		fmt.Fprintf(env.Stdout, "%s:%d: %s\n", m.File, m.Line, m.Text)
	}
	more := ""
	if res.Truncated {
		more = fmt.Sprintf(" (only the first %d printed)", len(res.Matches))
	}
	fmt.Fprintf(env.Stderr, "%d matching lines%s; %d lines read in %d files; the look-up is recorded in the audit log\n", res.Total, more, res.Scanned, res.Files)
	return nil
}

func parseWhen(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time: use RFC 3339 (2026-03-10T14:00:00Z) or YYYY-MM-DD", s)
}
