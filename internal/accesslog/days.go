package accesslog

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// This file is the one place that knows how day files are named, how to
// list them and how to read one whether or not it was compressed; the
// writer, the usage ingester, the log look-up and the retention sweep all
// go through it.

// FileName is the name of the file for one instance and day:
// access-INSTANCE-YYYY-MM-DD.log, the day counted in UTC. A rotated copy may
// carry ".gz" after it.
func FileName(instance string, day time.Time) string {
	return "access-" + instance + "-" + day.UTC().Format(time.DateOnly) + ".log"
}

// DayFile is one access-log file and what its name says.
type DayFile struct {
	Path     string
	Instance string
	// Day is the UTC day the name gives, YYYY-MM-DD, or "" when the name
	// holds no real date (a hand-made copy, say): such a file may hold any
	// day.
	Day string
}

// ParseFileName reads instance and day from a file name such as
// access-web-1-2026-03-10.log.gz. ok is false when the name is not an
// access-log name at all; day is "" when the date in it is not a real one.
func ParseFileName(name string) (instance, day string, ok bool) {
	rest, found := strings.CutPrefix(filepath.Base(name), "access-")
	if !found {
		return "", "", false
	}
	rest = strings.TrimSuffix(rest, ".gz")
	rest, found = strings.CutSuffix(rest, ".log")
	if !found {
		return "", "", false
	}
	if len(rest) < 12 || rest[len(rest)-11] != '-' {
		return rest, "", true
	}
	day = rest[len(rest)-10:]
	if _, err := time.Parse(time.DateOnly, day); err != nil {
		return rest, "", true
	}
	return rest[:len(rest)-11], day, true
}

// List returns the access-log files in dir, oldest day first, files with
// no real date in their name last.
func List(dir string) ([]DayFile, error) {
	matches, err := filepath.Glob(filepath.Join(dir, "access-*.log*"))
	if err != nil {
		return nil, fmt.Errorf("listing access logs in %s: %w", dir, err)
	}
	var out []DayFile
	for _, m := range matches {
		instance, day, ok := ParseFileName(m)
		if !ok {
			continue
		}
		out = append(out, DayFile{Path: m, Instance: instance, Day: day})
	}
	sort.Slice(out, func(i, j int) bool {
		di, dj := out[i].Day, out[j].Day
		if di != dj {
			// "" sorts last: an undated file is no older than any day.
			return dj == "" || (di != "" && di < dj)
		}
		return out[i].Path < out[j].Path
	})
	return out, nil
}

// Files lists the paths of the access-log files in dir, as List orders them.
func Files(dir string) ([]string, error) {
	files, err := List(dir)
	if err != nil {
		return nil, err
	}
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = f.Path
	}
	return paths, nil
}

// fileDay is the day a log file's name gives, or "".
func fileDay(path string) string {
	_, day, _ := ParseFileName(path)
	return day
}

// ErrCorrupt is wrapped by errors from reading compressed data that ends
// early or does not decompress: such a file cannot be read to the end, and
// a reader that stopped silently would count half a day as a whole one.
var ErrCorrupt = errors.New("the gzip file is cut short or corrupt")

// Reader reads a log's lines, decompressing them when the data is gzip.
// Compression is recognised by its magic bytes, not by the name: rotated
// logs are often renamed, and standard input has no name at all.
type Reader struct {
	r      io.Reader
	gz     *gzip.Reader
	closer io.Closer
}

// NewReader wraps r. It reads the first bytes to tell whether the data is
// compressed; an error says the data claims to be gzip and is not.
func NewReader(r io.Reader) (*Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	out := &Reader{r: br}
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("not a readable gzip file: %w", err)
		}
		out.r, out.gz = gz, gz
	}
	return out, nil
}

// Open opens a log file for reading, decompressing it when it is gzip.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	r, err := NewReader(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.closer = f
	return r, nil
}

// Gzip reports whether the data is compressed.
func (r *Reader) Gzip() bool { return r.gz != nil }

// Read reads decompressed bytes. A compressed stream that ends early or is
// damaged gives an error wrapping ErrCorrupt, never a quiet io.EOF.
func (r *Reader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF && r.gz != nil {
		err = fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return n, err
}

// Close closes the file Open opened. (A gzip.Reader holds nothing to
// release; its Close only repeats the error Read has already returned.)
func (r *Reader) Close() error {
	if r.closer != nil {
		return r.closer.Close()
	}
	return nil
}
