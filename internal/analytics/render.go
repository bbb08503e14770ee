package analytics

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"text/tabwriter"

	"plenary/internal/chart"
)

// WriteJSON writes the report as indented JSON.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("writing JSON report: %w", err)
	}
	return nil
}

// WriteText writes the report as aligned plain-text tables.
func WriteText(w io.Writer, r *Report) error {
	ew := &errWriter{w: w}
	p := func(format string, args ...any) { fmt.Fprintf(ew, format, args...) }
	if r.Period.Days > 0 {
		p("Access log report, %s to %s (%d days)\n", r.Period.From, r.Period.To, r.Period.Days)
	} else {
		p("Access log report: no valid lines\n")
	}
	for _, s := range r.Sources {
		gz := ""
		if s.Gzip {
			gz = ", gzip"
		}
		p("  source %s (%s%s, %s lines)\n", s.Name, s.Format, gz, chart.Number(s.Lines))
	}
	if note := siteNote(r); note != "" {
		p("  %s\n", note)
	}

	p("\nLines\n")
	tw := table(ew)
	fmt.Fprintf(tw, "  total\tvalid\tinvalid\tblank/comment\toutside period\t\n")
	fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t\n", chart.Number(r.Lines.Total), chart.Number(r.Lines.Valid), chart.Number(r.Lines.Invalid), chart.Number(r.Lines.Skipped), chart.Number(r.Lines.OutsidePeriod))
	tw.Flush()
	for _, s := range r.InvalidSamples {
		p("  invalid: %s line %d (%s): %s\n", s.Source, s.Line, s.Reason, s.Text)
	}

	t := r.Totals
	p("\nSummary\n")
	tw = table(ew)
	fmt.Fprintf(tw, "  %s\t  requests (people %s, bots %s)\n", chart.Number(t.Requests), chart.Number(t.HumanRequests), chart.Number(t.BotRequests))
	fmt.Fprintf(tw, "  %s\t  pages\n", chart.Number(t.Pages))
	fmt.Fprintf(tw, "  %s\t  static files\n", chart.Number(t.StaticFiles))
	fmt.Fprintf(tw, "  %s\t  not found (404)\n", chart.Number(t.NotFound))
	fmt.Fprintf(tw, "  %s\t  bandwidth\n", chart.Bytes(t.Bytes))
	fmt.Fprintf(tw, "  %.1f\t  average daily unique visitors (people %.1f)\n", t.AvgDailyVisitors, t.AvgDailyHumanVisitor)
	tw.Flush()

	p("\nPer day (unique visitors are counted within each day)\n")
	tw = table(ew)
	fmt.Fprintf(tw, "  date\trequests\tpeople\tbots\tvisitors\tpeople visitors\tpages\tbytes\t\n")
	for _, d := range r.Days {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", d.Date, chart.Number(d.Requests), chart.Number(d.HumanRequests), chart.Number(d.BotRequests),
			chart.Number(d.UniqueVisitors), chart.Number(d.HumanVisitors), chart.Number(d.Pages), chart.Bytes(d.Bytes))
	}
	tw.Flush()

	p("\nStatus codes\n")
	tw = table(ew)
	for _, s := range r.StatusCodes {
		code := strconv.Itoa(s.Code)
		if s.Code == 0 {
			code = "(none)"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t\n", code, chart.Number(s.Requests), chart.Percent(s.Requests, r.Totals.Requests))
	}
	tw.Flush()

	p("\nHours of day (server time)\n")
	tw = table(ew)
	for h, n := range r.Hours {
		fmt.Fprintf(tw, "  %02d\t%s\t%s\t\n", h, chart.Number(n), chart.Percent(n, r.Totals.Requests))
	}
	tw.Flush()

	for _, sec := range []struct {
		title string
		t     Table
	}{
		{"Top paths", r.TopPaths},
		{"Top not-found paths", r.TopNotFound},
		{"Referring sites", r.ReferringSites},
		{"Browsers (people)", r.Browsers},
		{"Operating systems (people)", r.OperatingSys},
		{"Bots", r.Bots},
	} {
		title := sec.title
		if sec.t.Approximate {
			title += fmt.Sprintf(" (approximate: counts may be short by up to %s)", chart.Number(sec.t.MaxError))
		}
		p("\n%s\n", title)
		tw = table(ew)
		for _, row := range sec.t.Rows {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t  %s\n", chart.Number(row.Requests), chart.Percent(row.Requests, sec.t.Total), row.Kind, row.Key)
		}
		if sec.t.Other > 0 {
			fmt.Fprintf(tw, "  %s\t%s\t\t  (other)\n", chart.Number(sec.t.Other), chart.Percent(sec.t.Other, sec.t.Total))
		}
		tw.Flush()
	}
	if ew.err != nil {
		return fmt.Errorf("writing text report: %w", ew.err)
	}
	return nil
}

// siteNote says whose referrals were left out of the referring sites.
func siteNote(r *Report) string {
	switch {
	case r.Site != "" && r.SiteGuessed:
		return "referrals from " + r.Site + " are left out of referring sites: it referred most style sheets, scripts and images, so it is taken to be the site itself (--site sets it)"
	case r.Site != "":
		return "referrals from " + r.Site + ", the site itself, are left out of referring sites"
	}
	return ""
}

func table(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

type htmlData struct {
	R      *Report
	Charts []chart.Chart
	Tables []htmlTable
}

type htmlTable struct {
	Title string
	T     Table
}

// WriteHTML writes a self-contained page: inline style, server-rendered SVG
// charts, no script and no external resource. html/template escapes every
// value, including paths and referrers taken from the log.
func WriteHTML(w io.Writer, r *Report) error {
	d := htmlData{R: r}
	var req, vis []int64
	var dayNames []string
	for _, day := range r.Days {
		req = append(req, day.Requests)
		vis = append(vis, day.UniqueVisitors)
		dayNames = append(dayNames, day.Date)
	}
	every := max(1, (len(r.Days)+6)/7)
	d.Charts = append(d.Charts,
		chart.Bars("Requests per day", dayNames, req, nil, every),
		chart.Bars("Unique visitors per day", dayNames, vis, nil, every))
	var st []int64
	var stNames []string
	for _, s := range r.StatusCodes {
		st = append(st, s.Requests)
		name := strconv.Itoa(s.Code)
		if s.Code == 0 {
			name = "none"
		}
		stNames = append(stNames, name)
	}
	// On a linear scale 200 dwarfs every other code; a logarithmic one
	// shows the errors beside it.
	d.Charts = append(d.Charts, chart.LogBars("Status codes (logarithmic scale)", stNames, st, 1))
	hourNames := make([]string, 24)
	for i := range hourNames {
		hourNames[i] = fmt.Sprintf("%02d", i)
	}
	d.Charts = append(d.Charts, chart.Bars("Requests by hour of day (server time)", hourNames, r.Hours[:], nil, 3))
	d.Tables = []htmlTable{
		{"Top paths", r.TopPaths}, {"Top not-found paths", r.TopNotFound},
		{"Referring sites", r.ReferringSites}, {"Browsers (people)", r.Browsers},
		{"Operating systems (people)", r.OperatingSys}, {"Bots", r.Bots},
	}
	if err := pageTemplate.Execute(w, d); err != nil {
		return fmt.Errorf("writing HTML report: %w", err)
	}
	return nil
}

var pageTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"num": chart.Number, "bytes": chart.Bytes, "pct": chart.Percent, "siteNote": siteNote,
	"f": func(x float64) string { return strconv.FormatFloat(x, 'f', 1, 64) },
}).Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Access log report {{.R.Period.From}} to {{.R.Period.To}}</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#222}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{padding:.15rem .6rem;border-bottom:1px solid #ddd;text-align:right}
td.k,th.k{text-align:left;word-break:break-all}
svg{max-width:100%;height:auto;background:#fafafa;border:1px solid #eee}
svg rect{fill:#3b6ea5}svg text{font-size:11px;fill:#555}
.note{color:#666;font-size:.9rem}
</style>
</head>
<body>
<h1>Access log report</h1>
<p>{{if .R.Period.Days}}{{.R.Period.From}} to {{.R.Period.To}} ({{.R.Period.Days}} days).{{else}}No valid lines.{{end}}
Aggregates only: no address, user agent or single visit appears here.</p>
{{with siteNote .R}}<p class="note">{{.}}.</p>{{end}}
<h2>Summary</h2>
<table>
<tr><th class="k">Requests</th><td>{{num .R.Totals.Requests}}</td><td class="k">people {{num .R.Totals.HumanRequests}}, bots {{num .R.Totals.BotRequests}}</td></tr>
<tr><th class="k">Pages</th><td>{{num .R.Totals.Pages}}</td><td></td></tr>
<tr><th class="k">Static files</th><td>{{num .R.Totals.StaticFiles}}</td><td></td></tr>
<tr><th class="k">Not found (404)</th><td>{{num .R.Totals.NotFound}}</td><td></td></tr>
<tr><th class="k">Bandwidth</th><td>{{bytes .R.Totals.Bytes}}</td><td></td></tr>
<tr><th class="k">Average daily unique visitors</th><td>{{f .R.Totals.AvgDailyVisitors}}</td><td class="k">people {{f .R.Totals.AvgDailyHumanVisitor}}</td></tr>
<tr><th class="k">Lines</th><td>{{num .R.Lines.Total}}</td><td class="k">{{num .R.Lines.Valid}} valid, {{num .R.Lines.Invalid}} invalid, {{num .R.Lines.Skipped}} blank, {{num .R.Lines.OutsidePeriod}} outside the period</td></tr>
</table>
<p class="note">A unique visitor is one address with one user agent within one day, counted through a keyed hash whose key is discarded after the day; visitors are never added up across days.</p>
{{range .Charts}}{{template "chart" .}}{{end}}
<h2>Per day</h2>
<table>
<tr><th class="k">Date</th><th>Requests</th><th>People</th><th>Bots</th><th>Unique visitors</th><th>People visitors</th><th>Pages</th><th>Bandwidth</th></tr>
{{range .R.Days}}<tr><td class="k">{{.Date}}</td><td>{{num .Requests}}</td><td>{{num .HumanRequests}}</td><td>{{num .BotRequests}}</td><td>{{num .UniqueVisitors}}</td><td>{{num .HumanVisitors}}</td><td>{{num .Pages}}</td><td>{{bytes .Bytes}}</td></tr>
{{end}}</table>
{{range .Tables}}<h2>{{.Title}}</h2>
{{if .T.Approximate}}<p class="note">Approximate: rare entries were dropped to bound memory; counts may be short by up to {{num .T.MaxError}}.</p>{{end}}
<table>
{{$total := .T.Total}}{{range .T.Rows}}<tr><td>{{num .Requests}}</td><td>{{pct .Requests $total}}</td><td class="k">{{.Key}}{{if .Kind}} <span class="note">({{.Kind}})</span>{{end}}</td></tr>
{{end}}{{if .T.Other}}<tr><td>{{num .T.Other}}</td><td>{{pct .T.Other $total}}</td><td class="k">(other)</td></tr>{{end}}
</table>
{{end}}
{{if .R.InvalidSamples}}<h2>Invalid lines ({{num .R.Lines.Invalid}})</h2>
<table>{{range .R.InvalidSamples}}<tr><td class="k">{{.Source}}:{{.Line}}</td><td class="k">{{.Reason}}</td><td class="k"><code>{{.Text}}</code></td></tr>{{end}}</table>{{end}}
<p class="note">Generated {{.R.Generated.Format "2006-01-02 15:04 UTC"}}.</p>
</body>
</html>
{{define "chart"}}<h2>{{.Title}}</h2>
<svg viewBox="0 0 {{.W}} {{.H}}" width="{{.W}}" height="{{.H}}" role="img" aria-label="{{.Title}}">
{{range .Ticks}}<line x1="{{$.Left}}" x2="{{$.Right}}" y1="{{printf "%.1f" .Y}}" y2="{{printf "%.1f" .Y}}" stroke="#ddd"/><text x="{{$.TickX}}" y="{{printf "%.1f" .Y}}" dy="4" text-anchor="end">{{.Text}}</text>
{{end}}{{range .Bars}}<rect x="{{printf "%.1f" .X}}" y="{{printf "%.1f" .Y}}" width="{{printf "%.1f" .W}}" height="{{printf "%.1f" .H}}"><title>{{.Tip}}</title></rect>
{{end}}{{range .Labels}}<text x="{{printf "%.1f" .X}}" y="{{printf "%.1f" .Y}}" text-anchor="middle">{{.Text}}</text>
{{end}}</svg>
{{end}}`))
