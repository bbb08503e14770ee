package analytics

import (
	"cmp"
	"slices"
	"strconv"
	"time"
)

// Report is the result of an analysis: aggregates only (U1). Field names in
// its JSON form are stable; add fields, never rename them.
type Report struct {
	Generated      time.Time    `json:"generated"`
	Sources        []SourceInfo `json:"sources"`
	Period         Period       `json:"period"`
	Lines          LineCounts   `json:"lines"`
	InvalidSamples []Sample     `json:"invalid_samples"`
	Totals         Totals       `json:"totals"`
	Days           []DayRow     `json:"days"`
	StatusCodes    []StatusRow  `json:"status_codes"`
	Hours          [24]int64    `json:"hours"`
	TopPaths       Table        `json:"top_paths"`
	TopNotFound    Table        `json:"top_not_found"`
	ReferringSites Table        `json:"referring_sites"`
	Browsers       Table        `json:"browsers"`
	OperatingSys   Table        `json:"operating_systems"`
	Bots           Table        `json:"bots"`
	// Site is the host whose referrals were left out of referring sites,
	// as given (Options.Site) or guessed (Options.GuessSite); "" for none.
	Site        string `json:"site"`
	SiteGuessed bool   `json:"site_guessed"`
}

// Period is the span of days the report covers.
type Period struct {
	From string `json:"from"`
	To   string `json:"to"`
	Days int    `json:"days"`
}

// LineCounts accounts for every line read.
type LineCounts struct {
	Total         int64 `json:"total"`
	Valid         int64 `json:"valid"`
	Invalid       int64 `json:"invalid"`
	Skipped       int64 `json:"skipped_blank_or_comment"`
	OutsidePeriod int64 `json:"outside_period"`
}

// Totals sums the period. Visitors are never summed across days: the same
// person on two days would count twice, so the honest multi-day figure is
// the average of the daily counts.
type Totals struct {
	Requests             int64   `json:"requests"`
	HumanRequests        int64   `json:"human_requests"`
	BotRequests          int64   `json:"bot_requests"`
	Pages                int64   `json:"pages"`
	StaticFiles          int64   `json:"static_files"`
	NotFound             int64   `json:"not_found"`
	Bytes                int64   `json:"bytes"`
	AvgDailyVisitors     float64 `json:"average_daily_unique_visitors"`
	AvgDailyHumanVisitor float64 `json:"average_daily_unique_human_visitors"`
}

// Counts are a day's figures, shared by the aggregate (Day) and the
// report's row (DayRow); embedded, their JSON fields sit at the top level.
type Counts struct {
	Requests       int64 `json:"requests"`
	HumanRequests  int64 `json:"human_requests"`
	BotRequests    int64 `json:"bot_requests"`
	UniqueVisitors int64 `json:"unique_visitors"`
	HumanVisitors  int64 `json:"unique_human_visitors"`
	Pages          int64 `json:"pages"`
	StaticFiles    int64 `json:"static_files"`
	NotFound       int64 `json:"not_found"`
	Bytes          int64 `json:"bytes"`
}

// add sums o into c.
func (c *Counts) add(o Counts) {
	c.Requests += o.Requests
	c.HumanRequests += o.HumanRequests
	c.BotRequests += o.BotRequests
	c.UniqueVisitors += o.UniqueVisitors
	c.HumanVisitors += o.HumanVisitors
	c.Pages += o.Pages
	c.StaticFiles += o.StaticFiles
	c.NotFound += o.NotFound
	c.Bytes += o.Bytes
}

// DayRow is one day of the report.
type DayRow struct {
	Date string `json:"date"`
	Counts
}

// StatusRow counts one status code; code 0 is a line that ended before its status.
type StatusRow struct {
	Code     int    `json:"code"`
	Class    string `json:"class"`
	Requests int64  `json:"requests"`
}

// Table is a ranked list with the remainder folded into Other.
// Approximate is set when the table had to drop rare keys to stay within
// its memory cap; each count may then be short by up to MaxError.
type Table struct {
	Rows        []Row `json:"rows"`
	Other       int64 `json:"other"`
	Total       int64 `json:"total"`
	Distinct    int   `json:"distinct_kept"`
	Approximate bool  `json:"approximate"`
	MaxError    int64 `json:"max_error"`
}

// Row is one line of a Table.
type Row struct {
	Key      string `json:"key"`
	Kind     string `json:"kind,omitempty"`
	Requests int64  `json:"requests"`
}

// Lines accounts for every line added so far.
func (a *Aggregator) Lines() LineCounts {
	return LineCounts{
		Valid: a.valid, Invalid: a.invalid, Skipped: a.blank, OutsidePeriod: a.outside,
		Total: a.valid + a.invalid + a.blank + a.outside,
	}
}

// Report builds the report from everything added so far and then discards
// the visitor sets and their keys.
func (a *Aggregator) Report() *Report { return a.report(nil) }

func (a *Aggregator) report(sources []SourceInfo) *Report {
	days := a.Days()
	a.closeAll()
	top := a.opts.Top
	r := &Report{
		Generated:      time.Now().UTC().Truncate(time.Second),
		Sources:        sources,
		InvalidSamples: a.samples,
		Lines:          a.Lines(),
		Days:           []DayRow{},
		StatusCodes:    []StatusRow{},
	}
	if r.Sources == nil {
		r.Sources = []SourceInfo{}
	}
	if r.InvalidSamples == nil {
		r.InvalidSamples = []Sample{}
	}
	status := map[int]int64{}
	browsers, oses, bots := map[string]int64{}, map[string]int64{}, map[string]int64{}
	var sum Counts
	for _, d := range days {
		sum.add(d.Counts)
		for h, n := range d.Hours {
			r.Hours[h] += n
		}
		for c, n := range d.Status {
			status[c] += n
		}
		for k, n := range d.Browsers {
			browsers[k] += n
		}
		for k, n := range d.OperatingSystem {
			oses[k] += n
		}
		for k, n := range d.Bots {
			bots[k] += n
		}
		r.Days = append(r.Days, DayRow{Date: d.Date.String(), Counts: d.Counts})
	}
	// Visitors are summed only to be averaged: Totals holds no sum of them.
	r.Totals.Requests, r.Totals.HumanRequests, r.Totals.BotRequests = sum.Requests, sum.HumanRequests, sum.BotRequests
	r.Totals.Pages, r.Totals.StaticFiles, r.Totals.NotFound, r.Totals.Bytes = sum.Pages, sum.StaticFiles, sum.NotFound, sum.Bytes
	if n := len(days); n > 0 {
		r.Period = Period{From: days[0].Date.String(), To: days[n-1].Date.String(), Days: n}
		r.Totals.AvgDailyVisitors = round1(float64(sum.UniqueVisitors) / float64(n))
		r.Totals.AvgDailyHumanVisitor = round1(float64(sum.HumanVisitors) / float64(n))
	}
	for c, n := range status {
		r.StatusCodes = append(r.StatusCodes, StatusRow{Code: c, Class: statusClass(c), Requests: n})
	}
	slices.SortFunc(r.StatusCodes, func(x, y StatusRow) int { return cmp.Compare(x.Code, y.Code) })

	r.Site = a.opts.Site
	if a.staticRefs != nil {
		r.Site, r.SiteGuessed = a.guessSite(), true
	}
	r.TopPaths = fromCounter(a.paths, top, r.Totals.Pages+r.Totals.StaticFiles, true)
	r.TopNotFound = fromCounter(a.notFound, top, r.Totals.NotFound, false)
	r.ReferringSites = fromCounter(a.referrers, top, a.referrers.total(), false)
	r.Browsers = fromMap(browsers, top)
	r.OperatingSys = fromMap(oses, top)
	r.Bots = fromMap(bots, top)
	return r
}

func round1(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }

func statusClass(c int) string {
	if c == 0 {
		return "none"
	}
	return strconv.Itoa(c/100) + "xx"
}

// fromCounter ranks a capped counter. total is the exact number of
// requests in the table's category, so Other is exact even when the kept
// counts are not.
func fromCounter(t *topCounter, top int, total int64, kinds bool) Table {
	tab := Table{Rows: []Row{}, Total: total, Distinct: len(t.keys), Approximate: t.pruned}
	if t.pruned {
		tab.MaxError = t.floor
	}
	var shown int64
	for _, i := range t.sorted() {
		if len(tab.Rows) == top {
			break
		}
		row := Row{Key: sanitize([]byte(t.keys[i])), Requests: t.counts[i]}
		if kinds {
			row.Kind = "page"
			if isStatic([]byte(t.keys[i])) {
				row.Kind = "static"
			}
		}
		tab.Rows = append(tab.Rows, row)
		shown += t.counts[i]
	}
	tab.Other = max(total-shown, 0)
	return tab
}

func fromMap(m map[string]int64, top int) Table {
	t := newTopCounter(len(m) + 1)
	var total int64
	for k, n := range m {
		t.addString(k, n)
		total += n
	}
	return fromCounter(t, top, total, false)
}
