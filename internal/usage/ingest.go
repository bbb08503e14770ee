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
	return done, errors.Join(errs...)
}

func (in *Ingester) ingestFile(ctx context.Context, f accesslog.DayFile) (Ingested, error) {
	date, err := analytics.ParseDate(f.Day)
	if err != nil {
		return Ingested{}, err
	}
	res := Ingested{File: filepath.Base(f.Path), Day: f.Day}
	// Every line of the file counts for the file's day (Options.Day), and
	// each group keeps its visitors until the day is closed and folded.
	agg, _, err := analytics.Count(ctx, []analytics.Source{analytics.FileSource(f.Path)}, analytics.Options{
		Day: date, Groups: true, MinVisitors: in.MinVisitors, Site: in.Site, Samples: -1,
	})
	if err != nil {
		return res, err
	}
	lines := agg.Lines()
	res.Lines, res.Invalid = lines.Valid+lines.Invalid, lines.Invalid
	// CloseDay drops the visitor hashes and their key: from here on only
	// counts exist. An empty file is a day with nothing in it.
	d, _ := agg.CloseDay(date)
	err = in.DB.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO usage_days (day, instance, requests, human_requests, bot_requests, visitors, human_visitors, pages, static_files, not_found, bytes)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			f.Day, in.Instance, d.Requests, d.HumanRequests, d.BotRequests, d.UniqueVisitors, d.HumanVisitors, d.Pages, d.StaticFiles, d.NotFound, d.Bytes); err != nil {
			return err
		}
		for dim, groups := range d.Groups {
			for _, g := range groups {
				if _, err := tx.Exec(ctx, "INSERT INTO usage_counts (day, instance, dimension, name, requests, visitors) VALUES (?, ?, ?, ?, ?, ?)",
					f.Day, in.Instance, dim, g.Name, g.Requests, g.Visitors); err != nil {
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
