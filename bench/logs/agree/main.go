// Command agree compares a GoAccess JSON report with a `plenary logs report
// --format json` report of the same log, number for number: total, valid
// and failed requests, hits and unique visitors per day, and status codes.
// Plenary's side is its "goaccess_compat" block, which restates its counts
// under GoAccess's definitions. It exits 1 on any difference.
//
//	go run ./bench/logs/agree goaccess.json plenary.json
package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
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
	GoAccess struct {
		Total          int64 `json:"total_requests"`
		Valid          int64 `json:"valid_requests"`
		Failed         int64 `json:"failed_requests"`
		UniqueVisitors int64 `json:"unique_visitors_sum_of_days"`
		Days           []struct {
			Date     string `json:"date"`
			Hits     int64  `json:"hits"`
			Visitors int64  `json:"visitors"`
		} `json:"days"`
		StatusCodes map[string]int64 `json:"status_codes"`
	} `json:"goaccess_compat"`
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: agree GOACCESS.json PLENARY.json")
		os.Exit(2)
	}
	var g goaccessReport
	var p plenaryReport
	if err := load(os.Args[1], &g); err != nil {
		fail(err)
	}
	if err := load(os.Args[2], &p); err != nil {
		fail(err)
	}
	diffs := compare(&g, &p)
	for _, d := range diffs {
		fmt.Println("DIFF", d)
	}
	if len(diffs) > 0 {
		os.Exit(1)
	}
	fmt.Printf("agree: total %d, valid %d, failed %d, %d days (hits and visitors), %d status codes, sum of daily visitors %d\n",
		g.General.Total, g.General.Valid, g.General.Failed, len(g.Visitors.Data), len(p.GoAccess.StatusCodes), g.General.UniqueVisitors)
}

func compare(g *goaccessReport, p *plenaryReport) []string {
	var diffs []string
	check := func(what string, gv, pv int64) {
		if gv != pv {
			diffs = append(diffs, fmt.Sprintf("%s: goaccess %d, plenary %d", what, gv, pv))
		}
	}
	check("total requests", g.General.Total, p.GoAccess.Total)
	check("valid requests", g.General.Valid, p.GoAccess.Valid)
	check("failed requests", g.General.Failed, p.GoAccess.Failed)
	check("unique visitors (sum of days)", g.General.UniqueVisitors, p.GoAccess.UniqueVisitors)

	type hv struct{ hits, visitors int64 }
	gd, pd := map[string]hv{}, map[string]hv{}
	for _, d := range g.Visitors.Data {
		gd[d.Data] = hv{d.Hits.Count, d.Visitors.Count}
	}
	for _, d := range p.GoAccess.Days {
		pd[d.Date] = hv{d.Hits, d.Visitors}
	}
	days := slices.Sorted(maps.Keys(gd))
	for k := range pd {
		if _, ok := gd[k]; !ok {
			days = append(days, k)
		}
	}
	for _, day := range days {
		check("hits on "+day, gd[day].hits, pd[day].hits)
		check("visitors on "+day, gd[day].visitors, pd[day].visitors)
	}

	gs := map[string]int64{}
	for _, class := range g.StatusCodes.Data {
		for _, it := range class.Items {
			code, _, _ := strings.Cut(it.Data, " ")
			gs[code] += it.Hits.Count
		}
	}
	codes := slices.Sorted(maps.Keys(gs))
	for k := range p.GoAccess.StatusCodes {
		if _, ok := gs[k]; !ok {
			codes = append(codes, k)
		}
	}
	for _, c := range codes {
		check("status "+c, gs[c], p.GoAccess.StatusCodes[c])
	}
	return diffs
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
