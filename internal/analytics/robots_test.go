package analytics

import (
	"fmt"
	"strings"
	"testing"
)

// request builds a combined line of 10 March 2026 with any method.
func request(ip, method, path string, status int, ua string) string {
	return fmt.Sprintf(`%s - - [10/Mar/2026:12:00:00 +0000] "%s %s HTTP/1.1" %d 100 "-" "%s"`+"\n", ip, method, path, status, ua)
}

// TestRobotsByWhatTheyDo: health checks and a client flooding one form
// are robots whatever agent they send (FloodPosts), and a person who signs
// in a few times stays a person. Each case adds its lines to the same six
// people: 6 visitors, each loading /login and posting it once.
func TestRobotsByWhatTheyDo(t *testing.T) {
	people := ""
	for i := range 6 {
		people += request(fmt.Sprintf("192.0.2.%d", i+1), "GET", "/login", 200, firefox)
		people += request(fmt.Sprintf("192.0.2.%d", i+1), "POST", "/login", 303, firefox)
	}
	repeat := func(n int, line string) string { return strings.Repeat(line, n) }
	const guesser = "203.0.113.50"
	tests := []struct {
		name       string
		extra      string
		human, bot int64 // requests
		humanVis   int64
		pages      int64
		bots       map[string]int64
	}{
		{name: "people only", human: 12, humanVis: 6, pages: 12, bots: map[string]int64{}},
		{name: "health checks with a browser's agent are not pages",
			extra: repeat(100, request("198.51.100.9", "GET", "/healthz", 200, firefox)),
			human: 12, bot: 100, humanVis: 6, pages: 12, bots: map[string]int64{BotHealthCheck: 100}},
		{name: "twenty sign-ins a day are a person's",
			extra: request(guesser, "GET", "/login", 200, firefox) + repeat(20, request(guesser, "POST", "/login", 401, firefox)),
			human: 33, humanVis: 7, pages: 33, bots: map[string]int64{}},
		{name: "the twenty-first makes all of them a robot's",
			extra: request(guesser, "GET", "/login", 200, firefox) + repeat(21, request(guesser, "POST", "/login", 401, firefox)),
			human: 13, bot: 21, humanVis: 6, pages: 34, bots: map[string]int64{BotFormFlood: 21}},
		{name: "a brute force of 1,161 posts to the login form",
			extra: request(guesser, "GET", "/login", 200, firefox) + repeat(1161, request(guesser, "POST", "/login?next=%2Fadmin", 401, firefox)),
			human: 13, bot: 1161, humanVis: 6, pages: 1174, bots: map[string]int64{BotFormFlood: 1161}},
		{name: "posts spread over forms are a person's",
			extra: repeat(15, request(guesser, "POST", "/login", 401, firefox)) + repeat(15, request(guesser, "POST", "/signup", 400, firefox)),
			human: 42, humanVis: 7, pages: 42, bots: map[string]int64{}},
		{name: "posts under a known robot's agent stay that robot's",
			extra: repeat(30, request(guesser, "POST", "/login", 401, "curl/8.5.0")),
			human: 12, bot: 30, humanVis: 6, pages: 42, bots: map[string]int64{"curl": 30}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Small chunks and two workers: the post that crosses the
			// line is often counted by another worker than the first ones.
			r := analyzeString(t, people+tt.extra, Options{Workers: 2, MaxLineBytes: 512, ChunkBytes: 1024})
			got := r.Totals
			if got.HumanRequests != tt.human || got.BotRequests != tt.bot || got.Pages != tt.pages {
				t.Errorf("people %d, robots %d, pages %d; want %d, %d, %d", got.HumanRequests, got.BotRequests, got.Pages, tt.human, tt.bot, tt.pages)
			}
			if got.AvgDailyHumanVisitor != float64(tt.humanVis) {
				t.Errorf("people visitors %v, want %d", got.AvgDailyHumanVisitor, tt.humanVis)
			}
			bots := map[string]int64{}
			for _, row := range r.Bots.Rows {
				bots[row.Key] = row.Requests
			}
			if fmt.Sprint(bots) != fmt.Sprint(tt.bots) {
				t.Errorf("robots table %v, want %v", bots, tt.bots)
			}
			var browsers int64
			for _, row := range r.Browsers.Rows {
				browsers += row.Requests
			}
			if browsers != tt.human {
				t.Errorf("browser table sums to %d, want the %d people's requests", browsers, tt.human)
			}
			for _, row := range r.TopPaths.Rows {
				if row.Key == HealthCheckPath {
					t.Errorf("%s is listed among the paths: %+v", HealthCheckPath, row)
				}
			}
		})
	}
}

// TestGroupsFoldAndSkipRobots: the per-day group tables an ingestion job
// stores give each group its visitors, fold groups seen by fewer than k
// visitors into Other, and leave a flooding client out of the browsers.
func TestGroupsFoldAndSkipRobots(t *testing.T) {
	log := ""
	for i := range 6 {
		log += request(fmt.Sprintf("192.0.2.%d", i+1), "GET", "/drafts", 200, firefox)
	}
	log += request("192.0.2.99", "GET", "/lonely", 200, firefox)
	log += strings.Repeat(request("203.0.113.50", "POST", "/login", 401, firefox), 25)
	agg, _, err := Count(t.Context(), []Source{ReaderSource("day.log", strings.NewReader(log))},
		Options{Workers: 2, MaxLineBytes: 512, ChunkBytes: 1024, Groups: true, MinVisitors: 3, Day: MakeDate(2026, 3, 9)})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := agg.CloseDay(MakeDate(2026, 3, 10)); ok {
		t.Error("with Options.Day the lines' own date is not a day of its own")
	}
	d, ok := agg.CloseDay(MakeDate(2026, 3, 9))
	if !ok {
		t.Fatal("no day 2026-03-09")
	}
	// k = 3 folds the groups of one or two visitors into Other; the
	// flooding client is no longer one of the browser's people.
	want := map[string]string{
		DimPage:     "[{(other) 26 2} {/drafts 6 6}]",
		DimBrowser:  "[{Firefox 125 7 7}]",
		DimBot:      "[{(other) 25 1}]",
		DimStatus:   "[{(other) 25 1} {200 7 7}]",
		DimHour:     "[{12 32 8}]",
		DimReferrer: "[]",
		DimNotFound: "[]",
	}
	for dim, w := range want {
		var rows []string
		for _, g := range d.Groups[dim] {
			rows = append(rows, fmt.Sprintf("{%s %d %d}", g.Name, g.Requests, g.Visitors))
		}
		if got := "[" + strings.Join(rows, " ") + "]"; got != w {
			t.Errorf("%s = %s, want %s", dim, got, w)
		}
	}
}
