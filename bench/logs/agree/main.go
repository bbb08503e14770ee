// Command agree checks `plenary logs report` against GoAccess on the same
// log, number for number. It recounts the log itself (bench/logs/goaccess)
// under both tools' definitions, then compares GoAccess's JSON report with
// the GoAccess count (total, valid and failed requests, hits and unique
// visitors per day, status codes) and plenary's JSON report with the
// plenary count (valid and invalid lines, requests and unique visitors per
// day, status codes). It exits 1 on any difference.
//
//	go run ./bench/logs/agree access.log goaccess.json plenary.json
package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"

	"plenary/bench/logs/goaccess"
	"plenary/internal/accesslog"
)

type goaccessReport struct {
	General struct {
		Total          int64 `json:"total_requests"`
		Valid          int64 `json:"valid_requests"`
		Failed         int64 `json:"failed_requests"`
		UniqueVisitors int64 `json:"unique_visitors"`
	} `json:"general"`
	Visitors struct {
		Data []struct {
			Data string `json:"data"`
			Hits struct {
				Count int64 `json:"count"`
			} `json:"hits"`
			Visitors struct {
				Count int64 `json:"count"`
			} `json:"visitors"`
		} `json:"data"`
	} `json:"visitors"`
	StatusCodes struct {
		Data []struct {
			Items []struct {
				Data string `json:"data"`
				Hits struct {
					Count int64 `json:"count"`
				} `json:"hits"`
			} `json:"items"`
		} `json:"data"`
	} `json:"status_codes"`
}

type plenaryReport struct {
	Lines struct {
		Valid   int64 `json:"valid"`
		Invalid int64 `json:"invalid"`
	} `json:"lines"`
	Days []struct {
		Date     string `json:"date"`
		Requests int64  `json:"requests"`
		Visitors int64  `json:"unique_visitors"`
	} `json:"days"`
	StatusCodes []struct {
		Code     int   `json:"code"`
		Requests int64 `json:"requests"`
	} `json:"status_codes"`
}

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: agree LOG GOACCESS.json PLENARY.json")
		os.Exit(2)
	}
	var g goaccessReport
	var p plenaryReport
	if err := load(os.Args[2], &g); err != nil {
		fail(err)
	}
	if err := load(os.Args[3], &p); err != nil {
		fail(err)
	}
	f, err := accesslog.Open(os.Args[1])
	if err != nil {
		fail(err)
	}
	res, err := goaccess.Count(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fail(fmt.Errorf("%s: %w", os.Args[1], err))
	}
	diffs := append(compareGoAccess(&g, &res.GoAccess), comparePlenary(&p, &res.Plenary)...)
	for _, d := range diffs {
		fmt.Println("DIFF", d)
	}
	if len(diffs) > 0 {
		os.Exit(1)
	}
	fmt.Printf("agree: total %d, valid %d, failed %d, %d days (hits and visitors), %d status codes, sum of daily visitors %d; plenary's report matches its own recount\n",
		g.General.Total, g.General.Valid, g.General.Failed, len(g.Visitors.Data), len(res.GoAccess.Status), g.General.UniqueVisitors)
}

type differ []string

func (d *differ) check(what string, want, got int64) {
	if want != got {
		*d = append(*d, fmt.Sprintf("%s: recount %d, report %d", what, want, got))
	}
}

// checkStatus compares the recount's status codes with a report's.
func (d *differ) checkStatus(tool string, recount map[int]int64, got map[string]int64) {
	want := map[string]int64{}
	for code, n := range recount {
		want[strconv.Itoa(code)] = n
	}
	for _, k := range union(want, got) {
		d.check(tool+" status "+k, want[k], got[k])
	}
}

// union lists the keys of both maps, sorted.
func union[V any](a, b map[string]V) []string {
	keys := slices.Collect(maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

func compareGoAccess(g *goaccessReport, c *goaccess.Counts) []string {
	var d differ
	d.check("goaccess total requests", c.Total, g.General.Total)
	d.check("goaccess valid requests", c.Valid, g.General.Valid)
	d.check("goaccess failed requests", c.Failed, g.General.Failed)
	d.check("goaccess unique visitors (sum of days)", c.VisitorsSum, g.General.UniqueVisitors)
	type hv struct{ hits, visitors int64 }
	want, got := map[string]hv{}, map[string]hv{}
	for date, day := range c.Days {
		want[fmt.Sprintf("%08d", uint32(date))] = hv{day.Hits, day.Visitors} // YYYYMMDD, as GoAccess writes it
	}
	for _, day := range g.Visitors.Data {
		got[day.Data] = hv{day.Hits.Count, day.Visitors.Count}
	}
	for _, k := range union(want, got) {
		d.check("goaccess hits on "+k, want[k].hits, got[k].hits)
		d.check("goaccess visitors on "+k, want[k].visitors, got[k].visitors)
	}
	status := map[string]int64{}
	for _, class := range g.StatusCodes.Data {
		for _, it := range class.Items {
			code, _, _ := strings.Cut(it.Data, " ")
			status[code] += it.Hits.Count
		}
	}
	d.checkStatus("goaccess", c.Status, status)
	return d
}

func comparePlenary(p *plenaryReport, c *goaccess.Counts) []string {
	var d differ
	d.check("plenary valid lines", c.Valid, p.Lines.Valid)
	d.check("plenary invalid lines", c.Failed, p.Lines.Invalid)
	type rv struct{ requests, visitors int64 }
	want, got := map[string]rv{}, map[string]rv{}
	for date, day := range c.Days {
		want[date.String()] = rv{day.Hits, day.Visitors}
	}
	for _, day := range p.Days {
		got[day.Date] = rv{day.Requests, day.Visitors}
	}
	for _, k := range union(want, got) {
		d.check("plenary requests on "+k, want[k].requests, got[k].requests)
		d.check("plenary visitors on "+k, want[k].visitors, got[k].visitors)
	}
	status := map[string]int64{}
	for _, s := range p.StatusCodes {
		status[strconv.Itoa(s.Code)] = s.Requests
	}
	d.checkStatus("plenary", c.Status, status)
	return d
}

func load(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decoding %s: %w", path, err)
	}
	return nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "agree:", err)
	os.Exit(2)
}
