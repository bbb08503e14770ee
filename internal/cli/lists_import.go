package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"plenary/internal/config"
	"plenary/internal/lists"
)

const listsImportUsage = "usage: plenary lists import NAME FILE... (mbox files, plain or gzip)"

// runListsImport imports mbox archives into a list:
//
//	plenary lists import wg-http 2009.mbox 2010.mbox.gz
//
// Messages are published as historical records, sent to nobody; those
// whose Message-ID is in the archive already are skipped and counted, so
// a stopped import is finished by running it again; a message that
// cannot be read is reported with its position and skipped. On a
// terminal a progress bar shows on standard error; otherwise a line every
// few seconds.
func runListsImport(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return usageError{listsImportUsage}
	}
	name, args := args[0], args[1:]
	fs := newFlags(env, "lists import")
	load := config.StoreFlags(fs)
	files, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return usageError{"no mbox file given; " + listsImportUsage}
	}
	cfg, err := load()
	if err != nil {
		return err
	}
	var total int64
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		if st.IsDir() {
			return fmt.Errorf("%s is a directory; name mbox files", f)
		}
		total += st.Size()
	}
	a, err := openConfigured(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	defer a.Close()
	svc := listService(a, nil)
	bar := newProgress(env.Stderr, isTerminal(env.Stderr), total)
	im := &lists.Importer{Service: svc, Who: lists.Actor{Label: "cli"}, List: name,
		Progress: bar.update,
		Problem: func(p lists.ImportProblem) {
			bar.clear()
			fmt.Fprintf(env.Stderr, "skipped %s\n", p)
		}}
	start := time.Now()
	var broken []string
	for _, f := range files {
		r, err := os.Open(f)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		err = im.ImportFile(ctx, f, r)
		r.Close()
		if err != nil {
			if ctx.Err() != nil || strings.Contains(err.Error(), lists.ErrNotFound.Error()) {
				bar.done()
				return err
			}
			bar.clear()
			fmt.Fprintf(env.Stderr, "plenary lists import: %v\n", err)
			broken = append(broken, f)
		}
	}
	bar.done()
	s := im.Stats
	d := time.Since(start)
	rate := 0.0
	if d > 0 {
		rate = float64(s.Read) / d.Seconds()
	}
	fmt.Fprintf(env.Stdout, "imported %d messages into %s from %d files in %.1fs (%.0f messages/s); skipped %d already in the archive and %d that could not be read\n",
		s.Imported, name, len(files), d.Seconds(), rate, s.Duplicates, s.Malformed)
	if len(broken) > 0 {
		return fmt.Errorf("%d of %d files are broken (%s); what was read before each break is imported", len(broken), len(files), strings.Join(broken, ", "))
	}
	return nil
}

// progress draws the import's progress: a bar redrawn in place on a
// terminal, or a plain line every few seconds for a log.
type progress struct {
	w     io.Writer
	tty   bool
	total int64
	start time.Time
	last  time.Time
	drawn bool
	stats lists.ImportStats
}

func newProgress(w io.Writer, tty bool, total int64) *progress {
	now := time.Now()
	return &progress{w: w, tty: tty, total: total, start: now, last: now}
}

func (p *progress) update(s lists.ImportStats) {
	p.stats = s
	now := time.Now()
	if p.tty {
		if now.Sub(p.last) < 100*time.Millisecond {
			return
		}
		p.last = now
		p.draw(now)
		return
	}
	if now.Sub(p.last) >= 5*time.Second {
		p.last = now
		fmt.Fprintf(p.w, "%s\n", p.line(now))
	}
}

func (p *progress) line(now time.Time) string {
	s := p.stats
	el := now.Sub(p.start).Seconds()
	rate := 0.0
	if el > 0 {
		rate = float64(s.Read) / el
	}
	pct := 0.0
	if p.total > 0 {
		pct = 100 * float64(s.Bytes) / float64(p.total)
		if pct > 100 {
			pct = 100
		}
	}
	return fmt.Sprintf("%5.1f%%  %d messages read, %d imported, %d duplicates, %d unreadable, %.0f/s", pct, s.Read, s.Imported, s.Duplicates, s.Malformed, rate)
}

func (p *progress) draw(now time.Time) {
	const width = 30
	fill := 0
	if p.total > 0 {
		fill = int(int64(width) * p.stats.Bytes / p.total)
	}
	fill = min(max(fill, 0), width)
	bar := strings.Repeat("=", fill) + strings.Repeat(" ", width-fill)
	fmt.Fprintf(p.w, "\r\x1b[K[%s] %s", bar, p.line(now))
	p.drawn = true
}

// clear removes the bar so a report line prints on a line of its own.
func (p *progress) clear() {
	if p.tty && p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
}

func (p *progress) done() {
	now := time.Now()
	if p.tty {
		p.draw(now)
		fmt.Fprintln(p.w)
		return
	}
	fmt.Fprintf(p.w, "%s\n", p.line(now))
}
