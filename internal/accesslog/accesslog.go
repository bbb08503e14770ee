// Package accesslog writes one line for every HTTP request (C1) in the
// combined log format that nginx and Apache use, to daily files under the
// data directory, one set of files per instance. Nothing in a line links it
// to a participant (C2): the remote-user field is always "-", and no cookie,
// session or account ever reaches the writer.
package accesslog

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// Entry is one request as it is logged.
type Entry struct {
	Time      time.Time
	ClientIP  string
	Method    string
	URI       string // path and query, after redaction of secret tokens
	Proto     string
	Status    int
	Bytes     int64
	Referrer  string
	UserAgent string
}

// Writer appends entries to daily files named access-INSTANCE-YYYY-MM-DD.log
// in its directory, the day counted in UTC like Sweep counts it. It is safe
// for concurrent use.
type Writer struct {
	dir      string
	instance string

	mu   sync.Mutex
	day  string
	file *os.File
	buf  []byte
}

// NewWriter creates dir if needed and returns a writer for one instance.
func NewWriter(dir, instance string) (*Writer, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating access log directory: %w", err)
	}
	return &Writer{dir: dir, instance: instance}, nil
}

// Dir is the directory the files are written to.
func (w *Writer) Dir() string { return w.dir }

// Write appends one line, opening the day's file when the date changes.
// Each line goes to the kernel in a single write on an O_APPEND file, so a
// crash loses at most the line being written and never interleaves two.
func (w *Writer) Write(e Entry) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	day := e.Time.UTC().Format("2006-01-02")
	if w.file == nil || day != w.day {
		if w.file != nil {
			w.file.Close()
		}
		f, err := os.OpenFile(filepath.Join(w.dir, FileName(w.instance, e.Time)), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			w.file = nil
			return fmt.Errorf("opening access log: %w", err)
		}
		w.file, w.day = f, day
	}
	w.buf = AppendCombined(w.buf[:0], e)
	if _, err := w.file.Write(w.buf); err != nil {
		return fmt.Errorf("writing access log: %w", err)
	}
	return nil
}

// Close closes the current file.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.file == nil {
		return nil
	}
	err := w.file.Close()
	w.file = nil
	return err
}

// field is one field of a log line: the name the inventory declares it
// under (internal/inventory/accesslog.go) and how it is written.
type field struct {
	name  string
	write func(b []byte, e Entry) []byte
}

// combined is every field a line holds, in the order of the combined log
// format. It is the one list of what the writer writes: AppendCombined
// walks it, Fields reports it, and a test fails unless it equals the
// inventory's declared log fields, name for name and in order (C1, C2).
// The ident and remote-user fields of the format are not in it: they are
// always "-".
var combined = []field{
	{"client_ip", func(b []byte, e Entry) []byte { return appendField(b, e.ClientIP) }},
	{"time", func(b []byte, e Entry) []byte {
		b = append(b, " - - ["...)
		b = e.Time.AppendFormat(b, "02/Jan/2006:15:04:05 -0700")
		return append(b, ']')
	}},
	{"request", func(b []byte, e Entry) []byte {
		b = append(b, " \""...)
		b = appendEscaped(b, e.Method)
		b = append(b, ' ')
		b = appendEscaped(b, e.URI)
		b = append(b, ' ')
		b = appendEscaped(b, e.Proto)
		return append(b, '"')
	}},
	{"status", func(b []byte, e Entry) []byte {
		b = append(b, ' ')
		return strconv.AppendInt(b, int64(e.Status), 10)
	}},
	{"bytes", func(b []byte, e Entry) []byte {
		b = append(b, ' ')
		if e.Bytes > 0 {
			return strconv.AppendInt(b, e.Bytes, 10)
		}
		return append(b, '-')
	}},
	{"referrer", func(b []byte, e Entry) []byte {
		b = append(b, " \""...)
		b = appendEscapedOrDash(b, e.Referrer)
		return append(b, '"')
	}},
	{"user_agent", func(b []byte, e Entry) []byte {
		b = append(b, " \""...)
		b = appendEscapedOrDash(b, e.UserAgent)
		return append(b, '"')
	}},
}

// Fields names the fields of a line, in the order they are written.
func Fields() []string {
	out := make([]string, len(combined))
	for i, f := range combined {
		out[i] = f.name
	}
	return out
}

// AppendCombined formats e as a combined-log-format line ending in "\n":
//
//	IP - - [02/Jan/2006:15:04:05 -0700] "METHOD URI PROTO" STATUS BYTES "REFERRER" "USER-AGENT"
func AppendCombined(b []byte, e Entry) []byte {
	for _, f := range combined {
		b = f.write(b, e)
	}
	return append(b, '\n')
}

func appendField(b []byte, s string) []byte {
	if s == "" {
		return append(b, '-')
	}
	return appendEscaped(b, s)
}

func appendEscapedOrDash(b []byte, s string) []byte {
	if s == "" {
		return append(b, '-')
	}
	return appendEscaped(b, s)
}

// appendEscaped writes s the way Apache does: quotes and backslashes are
// backslash-escaped and control bytes become \xNN, so a hostile user agent
// can never forge a second line or break the quoting.
func appendEscaped(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20 || c == 0x7f:
			b = append(b, '\\', 'x', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return b
}

// Removed is one file the sweeper deleted.
type Removed struct {
	Path  string
	Day   string
	Bytes int64
}

// Sweep deletes the log files in dir whose day is more than keepDays days
// before now (U3). keepDays < 0 keeps everything. It returns what it
// removed, so the caller can report it.
func Sweep(dir string, keepDays int, now time.Time) ([]Removed, error) {
	if keepDays < 0 {
		return nil, nil
	}
	files, err := Files(dir)
	if err != nil {
		return nil, fmt.Errorf("listing access logs: %w", err)
	}
	cutoff := now.UTC().AddDate(0, 0, -keepDays).Format("2006-01-02")
	var removed []Removed
	for _, f := range files {
		day := fileDay(f)
		if day == "" || day >= cutoff {
			continue
		}
		var size int64
		if st, err := os.Stat(f); err == nil {
			size = st.Size()
		}
		if err := os.Remove(f); err != nil {
			return removed, fmt.Errorf("removing expired access log: %w", err)
		}
		removed = append(removed, Removed{Path: f, Day: day, Bytes: size})
	}
	return removed, nil
}
