package web

import (
	"fmt"
	"net/http"
	"time"

	"plenary/internal/analytics"
	"plenary/internal/chart"
	"plenary/internal/usage"
)

type analyticsData struct {
	From, To   string // as typed, shown again in the form
	T          *usage.Trends
	Daily      chart.Chart
	Hours      chart.Chart
	Tables     []analyticsTable
	K          int
	HasTraffic bool
	// Problems are what is wrong with the period asked for, by field
	// ("from", "to", or "" for the period as a whole), in the order shown.
	Problems []fieldProblem
}

type fieldProblem struct{ Field, Text string }

// periodField is one date field of the form as it is shown again.
type periodField struct{ Name, Label, Value, Problem string }

// Field returns the "from" or "to" field with what was typed and its problem.
func (d analyticsData) Field(name string) periodField {
	f := periodField{Name: name, Label: "From", Value: d.From}
	if name == "to" {
		f.Label, f.Value = "To", d.To
	}
	for _, p := range d.Problems {
		if p.Field == name {
			f.Problem = p.Text
		}
	}
	return f
}

type analyticsTable struct {
	Title string
	Note  string
	Rows  []usage.Row
	Total int64
}

// analytics shows usage trends: aggregates only, with every group seen by
// fewer than k visitors folded away before it was stored (U1).
func (s *Server) analytics(w http.ResponseWriter, r *http.Request) error {
	today := s.Now().UTC()
	d := analyticsData{K: s.Config.AnalyticsMinVisitors,
		From: today.AddDate(0, 0, -30).Format(time.DateOnly), To: today.AddDate(0, 0, -1).Format(time.DateOnly)}
	if v := r.URL.Query().Get("from"); v != "" {
		d.From = v
	}
	if v := r.URL.Query().Get("to"); v != "" {
		d.To = v
	}
	// Every problem is named at once, on the form itself, with what was
	// typed kept, so the period can be corrected rather than retyped.
	from, err := time.Parse(time.DateOnly, d.From)
	if err != nil {
		d.Problems = append(d.Problems, fieldProblem{"from", "The start “" + d.From + "” is not a date written YYYY-MM-DD, such as " + today.AddDate(0, 0, -30).Format(time.DateOnly) + "."})
	}
	to, err2 := time.Parse(time.DateOnly, d.To)
	if err2 != nil {
		d.Problems = append(d.Problems, fieldProblem{"to", "The end “" + d.To + "” is not a date written YYYY-MM-DD, such as " + today.AddDate(0, 0, -1).Format(time.DateOnly) + "."})
	}
	if err == nil && err2 == nil {
		switch {
		case to.Before(from):
			d.Problems = append(d.Problems, fieldProblem{"to", "The end comes before the start; choose an end on or after " + d.From + "."})
		case to.Sub(from) > 3*366*24*time.Hour:
			d.Problems = append(d.Problems, fieldProblem{"to", "The period is longer than three years; choose a shorter one."})
		}
	}
	if len(d.Problems) > 0 {
		s.render(w, r, http.StatusBadRequest, "admin_analytics", pageData{Title: "Usage trends: check the period", Data: d})
		return nil
	}
	t, err := usage.Query(r.Context(), s.DB, d.From, d.To, 15)
	if err != nil {
		return err
	}
	d.T = t
	d.HasTraffic = len(t.Days) > 0
	var names []string
	var req, vis []int64
	for _, day := range t.Days {
		names = append(names, day.Day[5:])
		req = append(req, day.Requests)
		vis = append(vis, day.Visitors)
	}
	d.Daily = chart.Bars("Requests (bars) and unique visitors (line) per day", names, req, vis, 0)
	d.Daily.Legend = []string{"Requests", "Unique visitors"}
	hours := make([]int64, 24)
	hourNames := make([]string, 24)
	for i := range hourNames {
		hourNames[i] = twoDigits(i)
	}
	for _, row := range t.Tables[usage.DimHour] {
		for i := range hourNames {
			if row.Name == hourNames[i] {
				hours[i] = row.Requests
			}
		}
	}
	d.Hours = chart.Bars("Requests by hour of day (server time)", hourNames, hours, nil, 3)
	robots := fmt.Sprintf("Robots are agents that name a crawler or a tool (or send no agent), requests for %s, and any client (one address with one agent) that sent more than %d POST requests to one address in a day; all of those posts count here, and the client is not counted among the day's people.",
		analytics.HealthCheckPath, analytics.FloodPosts)
	for _, tab := range []struct{ dim, title, note string }{
		{usage.DimPage, "Pages", ""},
		{usage.DimReferrer, "Referring sites", "Links from this site itself are left out."},
		{usage.DimBrowser, "Browsers", ""},
		{usage.DimOS, "Operating systems", ""},
		{usage.DimStatus, "Status codes", ""},
		{usage.DimNotFound, "Not found (404)", ""},
		{usage.DimBot, "Bots and crawlers", robots},
	} {
		rows := t.Tables[tab.dim]
		var total int64
		for _, r := range rows {
			total += r.Requests
		}
		d.Tables = append(d.Tables, analyticsTable{Title: tab.title, Note: tab.note, Rows: rows, Total: total})
	}
	s.render(w, r, http.StatusOK, "admin_analytics", pageData{Title: "Usage trends", Data: d})
	return nil
}

func twoDigits(i int) string {
	return string([]byte{byte('0' + i/10), byte('0' + i%10)})
}
