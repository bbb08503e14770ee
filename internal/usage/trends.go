package usage

import (
	"context"
	"fmt"
	"sort"
	"time"

	"plenary/internal/analytics"
	"plenary/internal/store"
)

// DayTotals is one day summed over instances.
type DayTotals struct {
	Day                                  string
	Requests, HumanRequests, BotRequests int64
	Visitors, HumanVisitors              int64
	Pages, StaticFiles, NotFound, Bytes  int64
}

// Trends is what the dashboard shows for a span of days.
type Trends struct {
	From, To  string
	Days      []DayTotals
	Totals    DayTotals // sums; Visitors here is the sum of daily visitors
	Instances int
	// AvgDailyVisitors is the honest multi-day figure: the same person on
	// two days is two daily visitors, so a sum would pose as people.
	AvgDailyVisitors int64
	Tables           map[string][]Row // by dimension, largest first, "(other)" last
	// LastIngested is when the newest file was taken in.
	LastIngested time.Time
}

// Query reads the aggregates for days in [from, to] (YYYY-MM-DD) and
// keeps the top rows of each table.
func Query(ctx context.Context, db *store.DB, from, to string, top int) (*Trends, error) {
	t := &Trends{From: from, To: to, Tables: map[string][]Row{}}
	rows, err := db.Query(ctx, `SELECT day, SUM(requests), SUM(human_requests), SUM(bot_requests), SUM(visitors), SUM(human_visitors),
		SUM(pages), SUM(static_files), SUM(not_found), SUM(bytes), COUNT(*) FROM usage_days
		WHERE day >= ? AND day <= ? GROUP BY day ORDER BY day`, from, to)
	if err != nil {
		return nil, fmt.Errorf("reading daily usage: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d DayTotals
		var inst int
		if err := rows.Scan(&d.Day, &d.Requests, &d.HumanRequests, &d.BotRequests, &d.Visitors, &d.HumanVisitors,
			&d.Pages, &d.StaticFiles, &d.NotFound, &d.Bytes, &inst); err != nil {
			return nil, fmt.Errorf("reading daily usage: %w", err)
		}
		t.Instances = max(t.Instances, inst)
		t.Days = append(t.Days, d)
		t.Totals.Requests += d.Requests
		t.Totals.HumanRequests += d.HumanRequests
		t.Totals.BotRequests += d.BotRequests
		t.Totals.Visitors += d.Visitors
		t.Totals.HumanVisitors += d.HumanVisitors
		t.Totals.Pages += d.Pages
		t.Totals.StaticFiles += d.StaticFiles
		t.Totals.NotFound += d.NotFound
		t.Totals.Bytes += d.Bytes
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := mergeVisitors(ctx, db, t); err != nil {
		return nil, err
	}
	if n := int64(len(t.Days)); n > 0 {
		t.AvgDailyVisitors = (t.Totals.Visitors + n/2) / n
	}
	crows, err := db.Query(ctx, `SELECT dimension, name, SUM(requests), SUM(visitors) FROM usage_counts
		WHERE day >= ? AND day <= ? GROUP BY dimension, name`, from, to)
	if err != nil {
		return nil, fmt.Errorf("reading usage tables: %w", err)
	}
	defer crows.Close()
	for crows.Next() {
		var dim string
		var r Row
		if err := crows.Scan(&dim, &r.Name, &r.Requests, &r.Visitors); err != nil {
			return nil, fmt.Errorf("reading usage tables: %w", err)
		}
		t.Tables[dim] = append(t.Tables[dim], r)
	}
	if err := crows.Err(); err != nil {
		return nil, err
	}
	if err := mergeGroupVisitors(ctx, db, t); err != nil {
		return nil, err
	}
	for dim, rs := range t.Tables {
		t.Tables[dim] = topRows(dim, rs, top)
	}
	var last time.Time
	if err := db.QueryRow(ctx, "SELECT ingested_at FROM usage_sources ORDER BY ingested_at DESC LIMIT 1").Scan(&last); err == nil {
		t.LastIngested = last
	}
	return t, nil
}

// topRows orders a table — hours and status codes by name, the rest by
// requests — keeps top rows and adds the remainder to "(other)", which
// always comes last: it is what is left, not a status code or an hour.
func topRows(dim string, rs []Row, top int) []Row {
	byName := dim == DimHour || dim == DimStatus
	var other Row
	kept := rs[:0]
	for _, r := range rs {
		if r.Name == Other {
			other.Requests += r.Requests
			other.Visitors += r.Visitors
			continue
		}
		kept = append(kept, r)
	}
	sort.Slice(kept, func(i, j int) bool {
		if !byName && kept[i].Requests != kept[j].Requests {
			return kept[i].Requests > kept[j].Requests
		}
		return kept[i].Name < kept[j].Name
	})
	if !byName && top > 0 && len(kept) > top {
		for _, r := range kept[top:] {
			other.Requests += r.Requests
			other.Visitors += r.Visitors
		}
		kept = kept[:top]
	}
	if other.Requests > 0 {
		other.Name = Other
		kept = append(kept, other)
	}
	return kept
}

// mergeVisitors replaces each day's summed visitors with the size of the
// union of its instances' visitors, from their merged sketches: a person
// whose requests reached two instances is one visitor, not two. A day
// with a row that has no sketch (stored before sketches were) keeps its
// sum.
func mergeVisitors(ctx context.Context, db *store.DB, t *Trends) error {
	rows, err := db.Query(ctx, "SELECT day, visitor_sketch, human_sketch FROM usage_days WHERE day >= ? AND day <= ?", t.From, t.To)
	if err != nil {
		return fmt.Errorf("reading visitor sketches: %w", err)
	}
	defer rows.Close()
	type merged struct {
		all, human analytics.Sketch
		broken     bool
	}
	days := map[string]*merged{}
	for rows.Next() {
		var day, vs, hs string
		if err := rows.Scan(&day, &vs, &hs); err != nil {
			return fmt.Errorf("reading visitor sketches: %w", err)
		}
		m := days[day]
		if m == nil {
			m = &merged{}
			days[day] = m
		}
		a, ok1 := decodeSketch(vs)
		h, ok2 := decodeSketch(hs)
		if !ok1 || !ok2 {
			m.broken = true
			continue
		}
		m.all.Merge(a)
		m.human.Merge(h)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading visitor sketches: %w", err)
	}
	for i := range t.Days {
		d := &t.Days[i]
		m := days[d.Day]
		if m == nil || m.broken {
			continue
		}
		all, human := m.all.Estimate(), m.human.Estimate()
		t.Totals.Visitors += all - d.Visitors
		t.Totals.HumanVisitors += human - d.HumanVisitors
		d.Visitors, d.HumanVisitors = all, human
	}
	return nil
}

// mergeGroupVisitors does for each group what mergeVisitors does for the
// day, for the days not settled yet (see settle): where several instances
// have a row of the same group on the same day, their summed visitors are
// replaced by the size of the union of their sketches. Settled days need
// nothing: their one row per group holds the merged figure.
func mergeGroupVisitors(ctx context.Context, db *store.DB, t *Trends) error {
	rows, err := db.Query(ctx, `SELECT day, dimension, name, visitors, visitor_sketch FROM usage_counts
		WHERE day >= ? AND day <= ? AND visitor_sketch <> '' ORDER BY day, dimension, name`, t.From, t.To)
	if err != nil {
		return fmt.Errorf("reading group sketches: %w", err)
	}
	defer rows.Close()
	correction := map[groupKey]int64{}
	var day string
	days := map[groupKey]*groupUnion{}
	flush := func() {
		for g, u := range days {
			if u.rows > 1 && !u.broken {
				correction[g] += u.union.Estimate() - u.visitors
			}
		}
		clear(days)
	}
	for rows.Next() {
		var d, sketch string
		var g groupKey
		var visitors int64
		if err := rows.Scan(&d, &g.dim, &g.name, &visitors, &sketch); err != nil {
			return fmt.Errorf("reading group sketches: %w", err)
		}
		if d != day {
			flush()
			day = d
		}
		unionOf(days, g).add(0, visitors, sketch)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading group sketches: %w", err)
	}
	flush()
	for dim, rs := range t.Tables {
		for i := range rs {
			rs[i].Visitors += correction[groupKey{dim, rs[i].Name}]
		}
	}
	return nil
}

// groupKey names a group of a day's table: a page, a browser, an hour.
type groupKey struct{ dim, name string }

// groupUnion gathers the instances' rows of one group on one day, for the
// dashboard (mergeGroupVisitors) and for settling (settleDay).
type groupUnion struct {
	rows               int
	requests, visitors int64 // summed over the rows
	union              analytics.Sketch
	broken             bool // a row's sketch did not decode
}

func (u *groupUnion) add(requests, visitors int64, sketch string) {
	u.rows++
	u.requests += requests
	u.visitors += visitors
	if s, ok := decodeSketch(sketch); ok {
		u.union.Merge(s)
	} else {
		u.broken = true
	}
}

// unionOf returns g's union in m, made on first use.
func unionOf(m map[groupKey]*groupUnion, g groupKey) *groupUnion {
	u := m[g]
	if u == nil {
		u = &groupUnion{}
		m[g] = u
	}
	return u
}
