// Package usage turns each instance's finished access-log files into daily
// aggregate counts in the database and answers the trend questions the
// staff dashboard asks (U1). The counting is internal/analytics's, the
// same as `plenary logs report`'s. Aggregates are all it keeps: a visitor
// exists only as a keyed hash while one file is being read, under a random
// key that is dropped with the hashes when the file is done, and any group
// seen by fewer than a threshold of visitors is folded into "(other)"
// before it is stored, so no individual can be picked out of a table.
package usage

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"plenary/internal/accesslog"
	"plenary/internal/analytics"
	"plenary/internal/store"
)

// Dimensions stored per day, in the order the dashboard shows them.
const (
	DimPage     = analytics.DimPage
	DimReferrer = analytics.DimReferrer
	DimBrowser  = analytics.DimBrowser
	DimOS       = analytics.DimOS
	DimBot      = analytics.DimBot
	DimStatus   = analytics.DimStatus
	DimHour     = analytics.DimHour
	DimNotFound = analytics.DimNotFound
)

// Other is the name of the row that holds folded groups.
const Other = analytics.Other

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

// KeyDays is how many days a day's visitor-hash key is kept after the
// day ended, for instances that count their file of that day late (one
// restarted after an outage). Past it the key is deleted; an instance
// counting that day later still makes a sketch, under a key of its own,
// which then merges as if its visitors were all new (the figure stays
// between the largest instance's and the sum).
const KeyDays = 3

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
	files, err := accesslog.List(in.Dir)
	if err != nil {
		return nil, err
	}
	// Files are named by UTC day (see accesslog.FileName).
	todayStr := today.UTC().Format(time.DateOnly)
	var done []Ingested
	var errs []error
	for _, f := range files {
		if f.Instance != in.Instance || f.Day == "" || f.Day >= todayStr {
			continue // another instance's, not a day file, or still being written
		}
		var n int
		if err := in.DB.QueryRow(ctx, "SELECT COUNT(*) FROM usage_sources WHERE instance = ? AND day = ?", in.Instance, f.Day).Scan(&n); err != nil {
			return done, fmt.Errorf("checking ingested files: %w", err)
		}
		if n > 0 {
			continue
		}
		got, err := in.ingestFile(ctx, f)
		if err != nil {
			// A file that cannot be read to the end stores nothing; it
			// is reported, and the other days are still taken in.
			errs = append(errs, fmt.Errorf("ingesting %s, so none of it was counted: %w", filepath.Base(f.Path), err))
			if ctx.Err() != nil {
				break
			}
			continue
		}
		done = append(done, got)
	}
	cutoff := today.UTC().AddDate(0, 0, -KeyDays).Format(time.DateOnly)
	if err := settle(ctx, in.DB, cutoff); err != nil {
		errs = append(errs, err)
	}
	return done, errors.Join(errs...)
}

// Settled is the instance name of a group's row once the instances' rows
// of its day are merged into one.
const Settled = "*"

// settle deletes the visitor keys of the days before cutoff, and merges
// those days' group rows that carry sketches into one row per group
// (instance Settled): requests summed, visitors the size of the union of
// the sketches. No instance can add a mergeable row once the key is gone,
// so the figure is final, and the sketches go.
//
// A day counted after its key was deleted (an instance back from a long
// outage) gets a key of its own and is settled again a run later: its
// rows are added to the settled ones, as if its visitors were new.
func settle(ctx context.Context, db *store.DB, cutoff string) error {
	if _, err := db.Exec(ctx, "DELETE FROM usage_day_keys WHERE day < ?", cutoff); err != nil {
		return fmt.Errorf("deleting old visitor keys: %w", err)
	}
	days, err := db.Query(ctx, "SELECT DISTINCT day FROM usage_counts WHERE day < ? AND visitor_sketch <> '' ORDER BY day", cutoff)
	if err != nil {
		return fmt.Errorf("listing days to settle: %w", err)
	}
	old, err := store.Collect(days, store.Scalar[string])
	if err != nil {
		return fmt.Errorf("listing days to settle: %w", err)
	}
	for _, day := range old {
		if err := db.Tx(ctx, func(tx *store.Tx) error { return settleDay(ctx, tx, day) }); err != nil {
			return fmt.Errorf("settling the visitors of %s: %w", day, err)
		}
	}
	return nil
}

func settleDay(ctx context.Context, tx *store.Tx, day string) error {
	// Deleting and reading in one statement: an instance settling the
	// same day at the same moment waits for this one and finds nothing
	// left, so each row is settled once.
	rows, err := tx.Query(ctx, `DELETE FROM usage_counts WHERE day = ? AND visitor_sketch <> ''
		RETURNING dimension, name, requests, visitor_sketch`, day)
	if err != nil {
		return err
	}
	groups := map[groupKey]*groupUnion{}
	var order []groupKey
	for rows.Next() {
		var g groupKey
		var requests int64
		var sketch string
		if err := rows.Scan(&g.dim, &g.name, &requests, &sketch); err != nil {
			rows.Close()
			return err
		}
		if _, seen := groups[g]; !seen {
			order = append(order, g)
		}
		u := unionOf(groups, g)
		u.add(requests, 0, sketch)
		if u.broken {
			rows.Close()
			return fmt.Errorf("the sketch of %s %q is corrupt", g.dim, g.name)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, g := range order {
		m := groups[g]
		if _, err := tx.Exec(ctx, `INSERT INTO usage_counts (day, instance, dimension, name, requests, visitors) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (day, instance, dimension, name) DO UPDATE SET requests = usage_counts.requests + excluded.requests,
			visitors = usage_counts.visitors + excluded.visitors`, day, Settled, g.dim, g.name, m.requests, m.union.Estimate()); err != nil {
			return err
		}
	}
	return nil
}

func (in *Ingester) ingestFile(ctx context.Context, f accesslog.DayFile) (Ingested, error) {
	date, err := analytics.ParseDate(f.Day)
	if err != nil {
		return Ingested{}, err
	}
	res := Ingested{File: filepath.Base(f.Path), Day: f.Day}
	key, err := in.dayKey(ctx, f.Day)
	if err != nil {
		return res, err
	}
	// Every line of the file counts for the file's day (Options.Day), and
	// each group keeps its visitors until the day is closed and folded.
	agg, _, err := analytics.Count(ctx, []analytics.Source{analytics.FileSource(f.Path)}, analytics.Options{
		Day: date, Groups: true, MinVisitors: in.MinVisitors, Site: in.Site, Samples: -1, VisitorKey: key,
	})
	if err != nil {
		return res, err
	}
	lines := agg.Lines()
	res.Lines, res.Invalid = lines.Valid+lines.Invalid, lines.Invalid
	// CloseDay drops the visitor hashes and their key: from here on only
	// counts exist. An empty file is a day with nothing in it.
	d, _ := agg.CloseDay(date)
	clear(key[:])
	vs, hs := encodeSketch(d.VisitorSketch), encodeSketch(d.HumanSketch)
	err = in.DB.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO usage_days (day, instance, requests, human_requests, bot_requests, visitors, human_visitors, pages, static_files, not_found, bytes, visitor_sketch, human_sketch)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			f.Day, in.Instance, d.Requests, d.HumanRequests, d.BotRequests, d.UniqueVisitors, d.HumanVisitors, d.Pages, d.StaticFiles, d.NotFound, d.Bytes, vs, hs); err != nil {
			return err
		}
		for dim, groups := range d.Groups {
			for _, g := range groups {
				if _, err := tx.Exec(ctx, "INSERT INTO usage_counts (day, instance, dimension, name, requests, visitors, visitor_sketch) VALUES (?, ?, ?, ?, ?, ?, ?)",
					f.Day, in.Instance, dim, g.Name, g.Requests, g.Visitors, encodeSketch(g.Sketch)); err != nil {
					return err
				}
			}
		}
		_, err := tx.Exec(ctx, "INSERT INTO usage_sources (instance, day, file, lines, invalid, ingested_at) VALUES (?, ?, ?, ?, ?, ?)",
			in.Instance, f.Day, res.File, res.Lines, res.Invalid, time.Now().UTC())
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

// Row is one stored or reported group.
type Row struct {
	Name     string
	Requests int64
	Visitors int64
}

// dayKey returns the key every instance hashes day's visitors with: the
// first instance to count the day makes it, the others read it.
func (in *Ingester) dayKey(ctx context.Context, day string) (*[32]byte, error) {
	var fresh [32]byte
	rand.Read(fresh[:])
	if _, err := in.DB.Exec(ctx, "INSERT INTO usage_day_keys (day, secret) VALUES (?, ?) ON CONFLICT (day) DO NOTHING",
		day, hex.EncodeToString(fresh[:])); err != nil {
		return nil, fmt.Errorf("making the visitor key of %s: %w", day, err)
	}
	var secret string
	if err := in.DB.QueryRow(ctx, "SELECT secret FROM usage_day_keys WHERE day = ?", day).Scan(&secret); err != nil {
		return nil, fmt.Errorf("reading the visitor key of %s: %w", day, err)
	}
	var key [32]byte
	if n, err := hex.Decode(key[:], []byte(secret)); err != nil || n != len(key) {
		return nil, fmt.Errorf("the visitor key of %s is corrupt", day)
	}
	return &key, nil
}

// encodeSketch writes a sketch as hex. (Rows stored before were base64,
// which decodeSketch still reads; their first byte, a small version
// number, makes them start with "A", never a hex digit.) Hex holds no
// punctuation and no capitals, so a sketch's random bytes cannot pass
// for a query string or a number standing alone in a search of the
// tables for personal data.
func encodeSketch(s *analytics.Sketch) string {
	if s == nil {
		return ""
	}
	b, _ := s.MarshalBinary()
	return hex.EncodeToString(b)
}

func decodeSketch(s string) (*analytics.Sketch, bool) {
	if s == "" {
		return nil, false
	}
	decode := hex.DecodeString
	if s[0] == 'A' {
		decode = base64.StdEncoding.DecodeString
	}
	b, err := decode(s)
	if err != nil {
		return nil, false
	}
	var sk analytics.Sketch
	if sk.UnmarshalBinary(b) != nil {
		return nil, false
	}
	return &sk, true
}
