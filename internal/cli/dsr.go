package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"plenary/internal/audit"
	"plenary/internal/dsr"
	"plenary/internal/people"
)

// runDSR handles data-subject requests from the command line. Its one
// subcommand, scan, searches every store for a person's identifiers: the
// check after a removal that nothing is left outside the kept records (R4).
func runDSR(ctx context.Context, env Env, args []string) error {
	const usage = "usage: plenary dsr scan --email ADDRESS [--email ADDRESS]... [--name NAME] [flags], or plenary dsr export --email ADDRESS [flags]"
	if len(args) > 0 && args[0] == "export" {
		return runDSRExport(ctx, env, args[1:])
	}
	if len(args) == 0 || args[0] != "scan" {
		return usageError{usage}
	}
	fs := newFlags(env, "dsr scan")
	var ids []string
	fs.Func("email", "an e-mail `address` of the person (repeat for each)", func(v string) error {
		ids = append(ids, v)
		return nil
	})
	name := fs.String("name", "", "the person's `name`, searched too")
	a, err := openApp(ctx, env, fs, args[1:], slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	defer a.Close()
	if len(ids) == 0 {
		return usageError{"--email is required; " + usage}
	}
	if *name != "" {
		ids = append(ids, *name)
	}
	s := &dsr.Scanner{DB: a.db, Inv: a.inv, DataDir: a.cfg.DataDir, LogDir: filepath.Join(a.cfg.DataDir, "logs")}
	// While the account exists (a scan before a removal is carried out, or
	// after one that kept the account), its rows tell the person's records
	// from other people's that mention them.
	if person, err := accountOf(ctx, a, ids); err != nil {
		return err
	} else if person != 0 {
		subject, err := dsr.LoadSubject(ctx, a.db, person)
		if err != nil {
			return err
		}
		s.Subject = &subject
		fmt.Fprintf(env.Stdout, "account %d has these addresses: a hit in a row not linked to it is marked as such\n", person)
	}
	if isTerminal(env.Stderr) {
		s.Progress = func(what string) { fmt.Fprintf(env.Stderr, "\r\033[Ksearching %s", what) }
	}
	hits, err := s.Scan(ctx, ids)
	if s.Progress != nil {
		fmt.Fprint(env.Stderr, "\r\033[K")
	}
	if err != nil {
		return err
	}
	// A scan reads every store for a person's identifiers: staff access to
	// personal data, recorded by counts only (S3).
	kept := 0
	for _, h := range hits {
		if h.Kept != "" {
			kept++
		}
	}
	if err := a.audit.Record(ctx, a.db, audit.Entry{Label: "cli", Action: "dsr.scan",
		Detail: fmt.Sprintf("%d identifiers, %d hits, %d of them kept records", len(ids), len(hits), kept)}); err != nil {
		return err
	}
	if len(hits) == 0 {
		fmt.Fprintln(env.Stdout, "nothing found")
		return nil
	}
	for _, h := range hits {
		fmt.Fprintf(env.Stdout, "%s: %s\n", h.Identifier, h.Place())
	}
	return fmt.Errorf("found %d places (%d of them kept records or access logs); see the list above", len(hits), kept)
}

// accountOf returns the account that has the addresses among ids, 0 when
// none has, and an error when they belong to different accounts.
func accountOf(ctx context.Context, a *app, ids []string) (int64, error) {
	var found int64
	for _, id := range ids {
		p, _, err := people.FindByEmail(ctx, a.db, id)
		if errors.Is(err, people.ErrNotFound) {
			continue
		}
		if err != nil {
			return 0, err
		}
		if found != 0 && p.ID != found {
			return 0, fmt.Errorf("the addresses belong to two accounts, %d and %d: scan for one person at a time", found, p.ID)
		}
		found = p.ID
	}
	return found, nil
}

// runDSRExport writes, as JSON on standard output, the same copy a
// participant downloads from /account/export, for a request made by mail
// whose sender staff have verified (R2). With --zip FILE it writes the
// download to FILE instead: a zip of the JSON and the files the person
// sent, which the JSON names by their paths in it. It is audited as the
// command line's access to the person's data.
func runDSRExport(ctx context.Context, env Env, args []string) error {
	const usage = "usage: plenary dsr export --email ADDRESS [--zip FILE] [flags]"
	fs := newFlags(env, "dsr export")
	addr := fs.String("email", "", "an `address` of the account, confirmed or not")
	zipTo := fs.String("zip", "", "write the copy with the person's files, as a zip, to `file` (created; never replaced)")
	a, err := openApp(ctx, env, fs, args, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	defer a.Close()
	if *addr == "" {
		return usageError{"--email is required; " + usage}
	}
	p, _, err := people.FindByEmail(ctx, a.db, *addr)
	if errors.Is(err, people.ErrNotFound) {
		return fmt.Errorf("no account has the address %s", *addr)
	}
	if err != nil {
		return err
	}
	format := "json (command line)"
	if *zipTo != "" {
		format = "zip (command line)"
	}
	e, err := dsr.MakeExport(ctx, a.db, a.audit, a.inv, a.keys, dsr.Actor{Label: "cli"}, p.ID, format, time.Now())
	if err != nil {
		return err
	}
	if *zipTo != "" {
		f, err := os.OpenFile(*zipTo, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		if err := dsr.WriteArchive(f, e); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	body, err := e.JSON()
	if err != nil {
		return err
	}
	if _, err := env.Stdout.Write(body); err != nil {
		return err
	}
	if n := len(e.Files()); n > 0 {
		fmt.Fprintf(env.Stderr, "the copy names %d files by their paths in the download; they are not in this output: run again with --zip FILE to write them\n", n)
	}
	return nil
}
