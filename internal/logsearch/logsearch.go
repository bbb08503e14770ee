// Package logsearch is the one way to read raw access-log lines about a
// particular address or moment (C3). It is reserved to the security role
// (the web layer and the CLI enforce who may call it), demands a stated
// reason — diagnosing a problem or investigating misuse — and writes every
// look-up, with what was asked and how many lines matched, to the audit log
// before any line is shown.
package logsearch

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"plenary/internal/accesslog"
	"plenary/internal/analytics"
	"plenary/internal/audit"
	"plenary/internal/auth"
	"plenary/internal/store"
	"plenary/internal/validate"
)

// Reasons a look-up may be made for; nothing else is accepted (U2).
var Reasons = []string{"diagnosis", "misuse"}

// MaxWindow bounds a look-up's time window, so a look-up stays a targeted
// inquiry rather than a way to read the whole log.
const MaxWindow = 31 * 24 * time.Hour

// Query is one look-up.
type Query struct {
	// Addr is an IP address or CIDR block ("203.0.113.7", "2001:db8::/48");
	// empty to search by time window alone.
	Addr   string
	From   time.Time
	To     time.Time
	Reason string // one of Reasons
	Note   string // the case: what is being diagnosed or investigated
	Limit  int    // most lines returned (default 500)
}

// Match is one matching log line.
type Match struct {
	File string
	Line int64
	Text string
}

// Result is what a look-up found.
type Result struct {
	Matches   []Match
	Total     int64 // lines that matched, including any beyond Limit
	Scanned   int64
	Files     int
	Truncated bool
}

// Actor is who asks: the audit log names them, and only the security
// role may look.
type Actor struct {
	ID    int64
	Label string
	Roles []auth.Role
}

// ErrNotSecurity refuses a look-up by anyone without the security role.
var ErrNotSecurity = errors.New("only security staff may look up raw log lines")

// Service searches one directory of access logs.
type Service struct {
	Dir   string
	Audit *audit.Log
}

// Check returns every problem of the query a person must fix, each under
// its form field ("addr", "from", "to", "reason", "note"), as a
// *validate.Errors; nil when there is none.
func (q Query) Check() error {
	_, err := q.validate()
	return err
}

// validate checks a query, reports every problem at once, and returns
// the address block to search for.
func (q *Query) validate() (netip.Prefix, error) {
	var prefix netip.Prefix
	var errs validate.Errors
	if !slices.Contains(Reasons, q.Reason) {
		errs.Add("reason", fmt.Sprintf("Choose a reason: %s.", strings.Join(Reasons, " or ")))
	}
	if len(strings.TrimSpace(q.Note)) < 10 {
		errs.Add("note", "Describe the case in a few words (at least 10 characters): the note goes to the audit log.")
	}
	switch {
	case q.From.IsZero() || q.To.IsZero():
		errs.Add("from", "Give a time window: both a start and an end.")
	case !q.To.After(q.From):
		errs.Add("to", "The end of the time window must come after its start.")
	case q.To.Sub(q.From) > MaxWindow:
		errs.Add("to", fmt.Sprintf("The time window may span at most %d days.", int(MaxWindow.Hours()/24)))
	}
	if a := strings.TrimSpace(q.Addr); a != "" {
		var err error
		if strings.Contains(a, "/") {
			prefix, err = netip.ParsePrefix(a)
			prefix = prefix.Masked()
		} else {
			var addr netip.Addr
			addr, err = netip.ParseAddr(a)
			if err == nil {
				addr = addr.Unmap()
				prefix = netip.PrefixFrom(addr, addr.BitLen())
			}
		}
		if err != nil {
			errs.Add("addr", fmt.Sprintf("%q is not an IP address or CIDR block.", a))
		}
	}
	if q.Limit <= 0 || q.Limit > 5000 {
		q.Limit = 500
	}
	return prefix, errs.Err()
}

// ErrInvalid wraps messages about a query a person must fix.
var ErrInvalid = errors.New("invalid look-up")

// Lookup is the look-up use case: it checks who asks and the query,
// searches, and records the look-up in the audit log in one transaction.
// When the audit entry cannot be written, no line is returned: an
// unrecorded look-up must not happen.
func (s *Service) Lookup(ctx context.Context, who Actor, q Query) (Result, error) {
	if !slices.Contains(who.Roles, auth.Security) {
		return Result{}, ErrNotSecurity
	}
	prefix, err := q.validate()
	if err != nil {
		return Result{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	res, err := search(ctx, s.Dir, prefix, q)
	if err != nil {
		return Result{}, err
	}
	addr := "any address"
	if prefix.IsValid() {
		addr = prefix.String()
	}
	detail := fmt.Sprintf("reason=%s; address=%s; from=%s; to=%s; matched=%d lines in %d files; note=%s",
		q.Reason, addr, q.From.UTC().Format(time.RFC3339), q.To.UTC().Format(time.RFC3339), res.Total, res.Files, strings.TrimSpace(q.Note))
	if s.Audit == nil {
		return Result{}, errors.New("log look-up refused: no audit log is configured")
	}
	err = s.Audit.DB.Tx(ctx, func(tx *store.Tx) error {
		return s.Audit.Record(ctx, tx, audit.Entry{Actor: who.ID, Label: who.Label, Action: "logs.lookup", Subject: "access-log", Detail: detail})
	})
	if err != nil {
		return Result{}, fmt.Errorf("log look-up refused, the audit log could not be written: %w", err)
	}
	return res, nil
}

func search(ctx context.Context, dir string, prefix netip.Prefix, q Query) (Result, error) {
	files, err := accesslog.List(dir)
	if err != nil {
		return Result{}, err
	}
	var res Result
	// A file's day is in the server's zone; allow a day either side so a
	// window near midnight in another zone still finds its lines. A name
	// without a real date may hold any day, so it is searched.
	lo := q.From.UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	hi := q.To.UTC().AddDate(0, 0, 1).Format(time.DateOnly)
	for _, f := range files {
		if f.Day != "" && (f.Day < lo || f.Day > hi) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return res, err
		}
		res.Files++
		if err := searchFile(f.Path, prefix, q, &res); err != nil {
			return res, err
		}
	}
	return res, nil
}

func searchFile(path string, prefix netip.Prefix, q Query, res *Result) error {
	r, err := accesslog.Open(path)
	if err != nil {
		return fmt.Errorf("opening %s: %w", filepath.Base(path), err)
	}
	defer r.Close()
	lines := bufio.NewReaderSize(r, 64<<10)
	from, to := q.From.UTC(), q.To.UTC()
	var n int64
	for {
		line, err := lines.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A line longer than any real request: skip the rest of it
			// rather than hold it in memory.
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = lines.ReadSlice('\n')
			}
			n++
			res.Scanned++
			line = nil
		}
		if len(line) > 0 {
			n++
			res.Scanned++
			matchLine(line, n, path, prefix, from, to, q.Limit, res)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", filepath.Base(path), err)
		}
	}
}

func matchLine(line []byte, n int64, path string, prefix netip.Prefix, from, to time.Time, limit int, res *Result) {
	e, ok := analytics.ParseLine(line)
	if !ok {
		return
	}
	at := entryTime(e)
	if at.Before(from) || !at.Before(to) {
		return
	}
	if prefix.IsValid() {
		a, err := netip.ParseAddr(string(e.Client))
		if err != nil || !prefix.Contains(a.Unmap()) {
			return
		}
	}
	res.Total++
	if len(res.Matches) >= limit {
		res.Truncated = true
		return
	}
	text := strings.TrimRight(string(line), "\r\n")
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, "\uFFFD")
	}
	// Shown as text: a NUL or an escape sequence stands out, it does not act.
	text = strings.Map(func(r rune) rune {
		if (r < 0x20 && r != '\t') || r == 0x7f {
			return utf8.RuneError
		}
		return r
	}, text)
	res.Matches = append(res.Matches, Match{File: filepath.Base(path), Line: n, Text: text})
}

// entryTime is the instant a log line records, in UTC.
func entryTime(e analytics.Entry) time.Time {
	d := e.Date
	local := time.Date(d.Year(), time.Month(d.Month()), d.Day(), int(e.Hour), int(e.Minute), int(e.Second), 0, time.UTC)
	return local.Add(-time.Duration(e.Zone) * time.Minute)
}
