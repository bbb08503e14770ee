// Package usage turns each instance's finished access-log files into daily
// aggregate counts in the database and answers the trend questions the
// staff dashboard asks (U1). Aggregates are all it keeps: a visitor exists
// only as a keyed hash while one file is being read, under a random key
// that is dropped with the hashes when the file is done, and any group
// seen by fewer than a threshold of visitors is folded into "(other)"
// before it is stored, so no individual can be picked out of a table.
package usage

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"plenary/internal/accesslog"
	"plenary/internal/analytics"
	"plenary/internal/store"
)

// Dimensions stored per day, in the order the dashboard shows them.
const (
	DimPage     = "page"
	DimReferrer = "referrer"
	DimBrowser  = "browser"
	DimOS       = "os"
	DimBot      = "bot"
	DimStatus   = "status"
	DimHour     = "hour"
	DimNotFound = "not_found"
)

// Other is the name of the row that holds folded groups.
const Other = "(other)"

// maxGroups bounds the distinct names kept per dimension while reading one
// file, so a hostile log full of random paths cannot exhaust memory; past
// it, new names count toward "(other)".
const maxGroups = 5000

// Ingester reads one instance's finished log files into the database.
type Ingester struct {
	DB       *store.DB
	Dir      string // the instance's access log directory
	Instance string
	// MinVisitors is the k of k-anonymity: a group with fewer distinct
	// visitors on a day is folded into "(other)".
	MinVisitors int
	Site        string // the site's own host, not counted as a referrer
	// Progress, when set, is told about each file as it is ingested.
	Progress func(file string, lines int64)
}

// Ingested describes one file the job took in.
type Ingested struct {
	File           string
	Day            string
	Lines, Invalid int64
}

// Run ingests every file of this instance for a day before today that is
// not in the database yet. Each file is one transaction: a crash leaves it
// either fully counted or not at all, and the next run picks it up.
func (in *Ingester) Run(ctx context.Context, today time.Time) ([]Ingested, error) {
	files, err := accesslog.Files(in.Dir)
	if err != nil {
		return nil, fmt.Errorf("listing access logs: %w", err)
	}
	// Files are named by UTC day (see accesslog.FileName).
	todayStr := today.UTC().Format("2006-01-02")
	prefix := "access-" + in.Instance + "-"
	var done []Ingested
	var errs []error
	for _, f := range files {
		name := filepath.Base(f)
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		day := strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(name, prefix), ".gz"), ".log")
		if _, err := time.Parse("2006-01-02", day); err != nil || day >= todayStr {
			continue // not a day file, or still being written
		}
		var n int
		if err := in.DB.QueryRow(ctx, "SELECT COUNT(*) FROM usage_sources WHERE instance = ? AND day = ?", in.Instance, day).Scan(&n); err != nil {
			return done, fmt.Errorf("checking ingested files: %w", err)
		}
		if n > 0 {
			continue
		}
		got, err := in.ingestFile(ctx, f, day)
		if err != nil {
			// A file that cannot be read to the end stores nothing; it
			// is reported, and the other days are still taken in.
			errs = append(errs, fmt.Errorf("ingesting %s: %w", name, err))
			if ctx.Err() != nil {
				break
			}
			continue
		}
		done = append(done, got)
	}
	return done, errors.Join(errs...)
}

type group struct {
	requests int64
	visitors map[uint64]struct{}
}

// dayCounts is the aggregate of one file while it is read.
type dayCounts struct {
	requests, human, bot, pages, static, notFound, bytes int64
	visitors, humans                                     map[uint64]struct{}
	dims                                                 map[string]map[string]*group
}

func (d *dayCounts) add(dim, name string, v uint64) {
	m := d.dims[dim]
	g, ok := m[name]
	if !ok {
		if len(m) >= maxGroups {
			name = Other
			g = m[name]
		}
		if g == nil {
			g = &group{visitors: map[uint64]struct{}{}}
			m[name] = g
		}
	}
	g.requests++
	g.visitors[v] = struct{}{}
}

func (in *Ingester) ingestFile(ctx context.Context, path, day string) (Ingested, error) {
	f, err := os.Open(path)
	if err != nil {
		return Ingested{}, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 256<<10)
	var r io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return Ingested{}, fmt.Errorf("not a readable gzip file: %w", err)
		}
		defer gz.Close()
		r = gz
	}
	// The visitor key is a random seed that lives only for this file: once
	// the counts are taken the hashes and the seed go, and nothing can link
	// them to anyone. maphash seeds cannot be exported or persisted.
	seed := maphash.MakeSeed()
	d := &dayCounts{visitors: map[uint64]struct{}{}, humans: map[uint64]struct{}{}, dims: map[string]map[string]*group{}}
	for _, dim := range []string{DimPage, DimReferrer, DimBrowser, DimOS, DimBot, DimStatus, DimHour, DimNotFound} {
		d.dims[dim] = map[string]*group{}
	}
	cls := analytics.NewClassifier(in.Site)
	lines := bufio.NewReaderSize(r, 64<<10)
	res := Ingested{File: filepath.Base(path), Day: day}
	for {
		if res.Lines%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return res, err
			}
		}
		line, err := lines.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = lines.ReadSlice('\n')
			}
			res.Lines++
			res.Invalid++
			line = nil
		}
		if len(bytes.TrimSpace(line)) > 0 {
			res.Lines++
			if !d.addLine(line, cls, seed) {
				res.Invalid++
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			if r != io.Reader(br) {
				return res, fmt.Errorf("the gzip file is cut short or corrupt after line %d, so none of it was counted: %w", res.Lines, err)
			}
			return res, fmt.Errorf("reading after line %d, so none of the file was counted: %w", res.Lines, err)
		}
	}
	err = in.DB.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO usage_days (day, instance, requests, human_requests, bot_requests, visitors, human_visitors, pages, static_files, not_found, bytes)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			day, in.Instance, d.requests, d.human, d.bot, len(d.visitors), len(d.humans), d.pages, d.static, d.notFound, d.bytes); err != nil {
			return err
		}
		for dim, groups := range d.dims {
			for _, row := range fold(groups, in.MinVisitors) {
				if _, err := tx.Exec(ctx, "INSERT INTO usage_counts (day, instance, dimension, name, requests, visitors) VALUES (?, ?, ?, ?, ?, ?)",
					day, in.Instance, dim, row.Name, row.Requests, row.Visitors); err != nil {
					return err
				}
			}
		}
		_, err := tx.Exec(ctx, "INSERT INTO usage_sources (instance, day, file, lines, invalid, ingested_at) VALUES (?, ?, ?, ?, ?, ?)",
			in.Instance, day, res.File, res.Lines, res.Invalid, time.Now().UTC())
		return err
	})
	if err != nil {
		return res, fmt.Errorf("storing aggregates: %w", err)
	}
	if in.Progress != nil {
		in.Progress(res.File, res.Lines)
	}
	return res, nil
}

func (d *dayCounts) addLine(line []byte, cls *analytics.Classifier, seed maphash.Seed) bool {
	e, ok := analytics.ParseLine(line)
	if !ok {
		return false
	}
	t := cls.Classify(&e)
	var h maphash.Hash
	h.SetSeed(seed)
	h.Write(e.Client)
	h.WriteByte(0)
	h.Write(e.UserAgent)
	v := h.Sum64()

	d.requests++
	d.visitors[v] = struct{}{}
	if e.Size > 0 {
		d.bytes += e.Size
	}
	d.add(DimStatus, strconv.Itoa(e.Status), v)
	d.add(DimHour, fmt.Sprintf("%02d", e.Hour), v)
	if t.Bot != "" {
		d.bot++
		d.add(DimBot, t.Bot, v)
	} else {
		d.human++
		d.humans[v] = struct{}{}
		d.add(DimBrowser, t.Browser, v)
		d.add(DimOS, t.OS, v)
	}
	switch {
	case e.Status == 404:
		d.notFound++
		d.add(DimNotFound, t.Path, v)
	case t.Static:
		d.static++
	default:
		d.pages++
		d.add(DimPage, t.Path, v)
	}
	if t.Referrer != "" {
		d.add(DimReferrer, t.Referrer, v)
	}
	return true
}

// Row is one stored or reported group.
type Row struct {
	Name     string
	Requests int64
	Visitors int64
}

// fold keeps groups with at least k visitors and sums the rest into one
// "(other)" row. Its visitor count is the size of the union, so it too
// counts people, not group memberships.
func fold(groups map[string]*group, k int) []Row {
	var out []Row
	other := Row{Name: Other}
	otherVisitors := map[uint64]struct{}{}
	for name, g := range groups {
		if name != Other && len(g.visitors) >= k {
			out = append(out, Row{Name: name, Requests: g.requests, Visitors: int64(len(g.visitors))})
			continue
		}
		other.Requests += g.requests
		for v := range g.visitors {
			otherVisitors[v] = struct{}{}
		}
	}
	if other.Requests > 0 {
		other.Visitors = int64(len(otherVisitors))
		out = append(out, other)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
