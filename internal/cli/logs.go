package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"plenary/internal/analytics"
)

func runLogs(ctx context.Context, env Env, args []string) error {
	if len(args) > 0 && args[0] == "lookup" {
		return runLogsLookup(ctx, env, args[1:])
	}
	if len(args) > 0 && args[0] == "maintain" {
		// The earlier name of `plenary sweep`, kept for scripts.
		return runSweep(ctx, env, args[1:])
	}
	if len(args) == 0 || args[0] != "report" {
		return usageError{"usage: plenary logs lookup --as EMAIL --from T --to T --reason diagnosis|misuse --note TEXT [--ip ADDR]; or plenary logs report [--format text|json|html] [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--top N] [--site HOST] [-o FILE] FILE... ('-' reads standard input)"}
	}
	return runLogsReport(ctx, env, args[1:])
}

func runLogsReport(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "logs report")
	format := fs.String("format", "text", "report format: text, json or html")
	from := fs.String("from", "", "first day to include, YYYY-MM-DD (the day as written in the log)")
	to := fs.String("to", "", "last day to include, YYYY-MM-DD")
	top := fs.Int("top", 20, "rows per table")
	site := fs.String("site", "auto", "the site's own host name, left out of referring sites; \"auto\" takes the host that referred most style sheets, scripts and images, \"none\" keeps every referrer")
	out := fs.String("o", "-", "write the report to FILE instead of standard output")
	progress := fs.Bool("progress", false, "show progress on standard error (default: when it is a terminal)")
	files, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return usageError{"no log files given; name one or more files, or '-' for standard input"}
	}
	write, ok := map[string]func(io.Writer, *analytics.Report) error{
		"text": analytics.WriteText, "json": analytics.WriteJSON, "html": analytics.WriteHTML,
	}[*format]
	if !ok {
		return usageError{fmt.Sprintf("--format %q: use text, json or html", *format)}
	}
	opts := analytics.Options{Top: *top}
	switch *site {
	case "auto":
		opts.GuessSite = true
	case "none", "":
	default:
		opts.Site = *site
	}
	if *from != "" {
		if opts.From, err = analytics.ParseDate(*from); err != nil {
			return usageError{"--from: " + err.Error()}
		}
	}
	if *to != "" {
		if opts.To, err = analytics.ParseDate(*to); err != nil {
			return usageError{"--to: " + err.Error()}
		}
	}
	if opts.From != 0 && opts.To != 0 && opts.To < opts.From {
		return usageError{"--to is before --from"}
	}
	if *top < 1 {
		return usageError{"--top must be at least 1"}
	}

	sources := make([]analytics.Source, 0, len(files))
	for _, f := range files {
		if f == "-" {
			sources = append(sources, analytics.ReaderSource("-", env.Stdin))
			continue
		}
		sources = append(sources, analytics.FileSource(f))
	}
	if *progress || isTerminal(env.Stderr) {
		opts.Progress = func(p analytics.Progress) {
			end := "\r"
			if p.Done {
				end = "\n"
			}
			fmt.Fprintf(env.Stderr, "read %.1f MiB, %d lines%s", float64(p.Bytes)/(1<<20), p.Lines, end)
		}
	}

	report, err := analytics.Analyze(ctx, sources, opts)
	if err != nil {
		return err
	}
	if report.Lines.Valid == 0 && report.Lines.OutsidePeriod == 0 {
		return noValidLines(report, files)
	}
	if *out == "-" {
		bw := bufio.NewWriter(env.Stdout)
		if err := write(bw, report); err != nil {
			return err
		}
		return bw.Flush()
	}
	return writeFileAtomic(*out, func(w io.Writer) error { return write(w, report) })
}

// noValidLines explains a run that found nothing to report: a wrong file,
// an unknown format, or an empty log should not pass for a quiet site.
func noValidLines(r *analytics.Report, files []string) error {
	msg := fmt.Sprintf("no access-log line in %s: %d lines read, %d of them blank or comments, %d not in the combined or common log format",
		strings.Join(files, ", "), r.Lines.Total, r.Lines.Skipped, r.Lines.Invalid)
	if len(r.InvalidSamples) > 0 {
		s := r.InvalidSamples[0]
		msg += fmt.Sprintf(" (the first, %s line %d: %s)", s.Source, s.Line, s.Reason)
	}
	return errors.New(msg)
}

// parseInterleaved lets flags follow file names (`report access.log
// --format json`), which the flag package alone stops at.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var files []string
	for {
		if err := parse(fs, args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		for len(rest) > 0 && (rest[0] == "-" || !strings.HasPrefix(rest[0], "-")) {
			files = append(files, rest[0])
			rest = rest[1:]
		}
		if len(rest) == 0 {
			return files, nil
		}
		if rest[0] == "--" {
			return append(files, rest[1:]...), nil
		}
		args = rest
	}
}

// writeFileAtomic writes through a temporary file and renames it into place,
// so a failed run never leaves half a report where a good one was.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".report-*")
	if err != nil {
		return fmt.Errorf("creating report file: %w", err)
	}
	defer os.Remove(tmp.Name())
	bw := bufio.NewWriter(tmp)
	if err := write(bw); err != nil {
		tmp.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		tmp.Close()
		return fmt.Errorf("writing report file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing report file: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("writing report file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing report file: %w", err)
	}
	return nil
}

// isTerminal reports whether w is a character device, such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
