// Command gen writes a synthetic but realistic access log in the combined
// format, for benchmarking `plenary logs report` against GoAccess.
//
// The shape follows the real logs in ../shared/testdata/logs: a standards
// body's site with pages, drafts and list archives; browsers fetching static
// assets with self-referrals; crawlers; scanners probing for 404s and
// POSTing to forms; a few percent IPv6 clients; sizes logged as "-"; and a
// handful of malformed lines. Output is deterministic for a given seed and
// in time order across about 30 days, busier in the afternoon.
//
//	go run ./bench/logs/gen -n 1000000 -o /tmp/bench-1m.log
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"time"
)

// Real user-agent strings, as browsers, crawlers and tools send them. The
// weights give the share of visitors using each.
var agents = []struct {
	ua     string
	weight int
	bot    bool
}{
	{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", 220, false},
	{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36", 90, false},
	{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", 110, false},
	{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15", 80, false},
	{"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0", 70, false},
	{"Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", 45, false},
	{"Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:124.0) Gecko/20100101 Firefox/124.0", 20, false},
	{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", 30, false},
	{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0", 60, false},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1", 90, false},
	{"Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1", 15, false},
	{"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36", 80, false},
	{"Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36", 15, false},
	{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 OPR/109.0.0.0", 8, false},
	{"Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", 6, false},
	{"Mozilla/5.0 (Windows NT 6.1; Win64; x64; Trident/7.0; rv:11.0) like Gecko", 3, false},
	{"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", 12, true},
	{"Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1; +http://www.google.com/bot.html) Chrome/124.0.6367.118 Safari/537.36", 6, true},
	{"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", 8, true},
	{"Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", 5, true},
	{"Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)", 4, true},
	{"Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)", 3, true},
	{"Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.0; +https://openai.com/gptbot)", 3, true},
	{"curl/8.5.0", 4, true},
	{"Wget/1.21.4", 2, true},
	{"python-requests/2.31.0", 6, true},
	{"Go-http-client/1.1", 4, true},
	{"zgrab/0.x", 2, true},
	{"-", 4, true},
}

var pages = []string{
	"/", "/meetings", "/meetings/119", "/meetings/120", "/meetings/120/agenda", "/lists", "/drafts",
	"/ipr", "/liaisons", "/contact", "/privacy", "/privacy/cookies", "/about", "/about/leadership",
	"/participate", "/standards", "/news", "/signup", "/login",
}

var wgs = []string{"quic", "tls", "httpbis", "dnsop", "idr", "mip4", "uuidrev", "oauth", "lamps", "sidrops",
	"opsawg", "regext", "core", "ace", "anima", "bess", "bfd", "ccamp", "detnet", "emu"}

var static = []string{
	"/static/css/site.css", "/static/js/site.js", "/static/img/logo.svg", "/static/img/logo.png",
	"/static/fonts/inter.woff2", "/favicon.ico", "/static/img/hero.jpg", "/apple-touch-icon.png",
}

var scans = []string{
	"/wp-login.php", "/xmlrpc.php", "/.env", "/.git/config", "/phpmyadmin/index.php", "/admin/config.php",
	"/wp-admin/setup-config.php", "/cgi-bin/luci", "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
	"/solr/admin/info/system", "/actuator/health", "/HNAP1/", "/boaform/admin/formLogin", "/owa/auth/logon.aspx",
}

var referrers = []string{
	"https://www.google.com/", "https://www.bing.com/", "https://duckduckgo.com/", "https://github.com/",
	"https://t.co/", "https://news.ycombinator.com/", "https://www.reddit.com/", "https://mailarchive.example.net/arch/",
	"https://datatracker.example.net/doc/", "https://en.wikipedia.org/wiki/Internet_Engineering_Task_Force",
	"android-app://com.google.android.gm/",
}

type visitor struct {
	ip      string
	agent   int
	scanner bool
}

func main() {
	n := flag.Int("n", 1_000_000, "number of lines")
	out := flag.String("o", "-", "output file (- for stdout)")
	seed := flag.Uint64("seed", 20240301, "random seed")
	days := flag.Int("days", 30, "days covered")
	visitors := flag.Int("visitors", 60000, "distinct clients")
	flag.Parse()
	if err := run(*n, *out, *seed, *days, *visitors); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(n int, out string, seed uint64, days, nvis int) error {
	f := os.Stdout
	if out != "-" {
		var err error
		if f, err = os.Create(out); err != nil {
			return fmt.Errorf("creating %s: %w", out, err)
		}
		defer f.Close()
	}
	w := bufio.NewWriterSize(f, 1<<20)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))

	totalWeight := 0
	for _, a := range agents {
		totalWeight += a.weight
	}
	pickAgent := func() int {
		x := rng.IntN(totalWeight)
		for i, a := range agents {
			if x < a.weight {
				return i
			}
			x -= a.weight
		}
		return 0
	}
	vis := make([]visitor, nvis)
	for i := range vis {
		v := &vis[i]
		if rng.IntN(100) < 4 {
			v.ip = fmt.Sprintf("2001:db8:%x:%x::%x", rng.IntN(0xffff), rng.IntN(0xffff), rng.IntN(0xffff)+1)
		} else {
			v.ip = fmt.Sprintf("%d.%d.%d.%d", rng.IntN(223)+1, rng.IntN(256), rng.IntN(256), rng.IntN(254)+1)
		}
		v.agent = pickAgent()
		v.scanner = agents[v.agent].bot && rng.IntN(3) == 0
	}
	// Activity follows a power law: a few clients make most requests.
	pickVisitor := func() *visitor {
		u := rng.Float64()
		return &vis[int(math.Pow(u, 2.2)*float64(nvis))%nvis]
	}

	drafts := make([]string, 3000)
	for i := range drafts {
		drafts[i] = fmt.Sprintf("/drafts/draft-ietf-%s-topic%d-%02d.txt", wgs[i%len(wgs)], i/len(wgs), rng.IntN(30))
	}
	lists := make([]string, 0, 4000)
	for i := 0; i < 4000; i++ {
		lists = append(lists, fmt.Sprintf("/lists/%s/%d", wgs[i%len(wgs)], 10000+i))
	}

	start := time.Date(2024, 3, 1, 0, 0, 0, 0, time.FixedZone("", 3600))
	span := float64(days)
	const peak, amp = 14.5 / 24, 0.6
	var line []byte
	for i := 0; i < n; i++ {
		// Warp uniform progress within each day so that afternoons are
		// busier; the warp is monotonic, so lines stay in time order.
		p := float64(i) / float64(n) * span
		day := math.Floor(p)
		fr := p - day
		fr += amp * (math.Sin(2*math.Pi*(fr-peak)) + math.Sin(2*math.Pi*peak)) / (2 * math.Pi)
		ts := start.Add(time.Duration((day + fr) * 24 * float64(time.Hour)))

		if i%200_000 == 77 {
			// Malformed lines, as truncated writes and proxies produce them.
			line = append(line[:0], "garbage without any structure\n"...)
			if i%400_000 == 77 {
				line = append(line[:0], vis[i%nvis].ip...)
				line = append(line, " - - [truncated\n"...)
			}
			w.Write(line)
			continue
		}

		v := pickVisitor()
		a := agents[v.agent]
		method, path, status, size, ref := "GET", "/", 200, int64(0), "-"
		proto := "HTTP/1.1"
		if rng.IntN(3) == 0 {
			proto = "HTTP/2.0"
		}
		switch {
		case v.scanner:
			switch r := rng.IntN(10); {
			case r < 6:
				path, status = scans[rng.IntN(len(scans))], 404
			case r < 7:
				path, status = fmt.Sprintf("/%x.php", rng.Uint32()), 404
			case r < 9:
				method, path, status = "POST", "/contact", 403
			default:
				path, status = "/", 200
			}
		case a.bot:
			switch r := rng.IntN(10); {
			case r == 0:
				path = "/robots.txt"
			case r < 5:
				path = drafts[rng.IntN(len(drafts))]
			case r < 8:
				path = lists[rng.IntN(len(lists))]
			default:
				path = pages[rng.IntN(len(pages))]
			}
		default:
			switch r := rng.IntN(100); {
			case r < 45:
				path = static[rng.IntN(len(static))]
				ref = "https://www.example.org" + pages[rng.IntN(len(pages))]
				if rng.IntN(4) == 0 {
					status = 304
				}
			case r < 60:
				path = pages[rng.IntN(len(pages))]
			case r < 72:
				path = drafts[int(math.Pow(rng.Float64(), 3)*float64(len(drafts)))]
			case r < 84:
				path = lists[int(math.Pow(rng.Float64(), 2)*float64(len(lists)))]
			case r < 86:
				path = "/drafts?q=" + wgs[rng.IntN(len(wgs))]
			case r < 88:
				method, path, status = "POST", "/login", 303
			case r < 89:
				method, path, status = "POST", "/contact", 303
			case r < 92:
				path, status = "/meetings/118/slides-"+strconv.Itoa(rng.IntN(400))+".pdf", 404
			case r < 93:
				path, status = "/old/index.html", 301
			default:
				path = "/docs/rfc" + strconv.Itoa(1000+rng.IntN(9000)) + ".pdf"
				if rng.IntN(5) == 0 {
					status = 206
				}
			}
			if ref == "-" {
				switch r := rng.IntN(10); {
				case r < 3:
					ref = referrers[rng.IntN(len(referrers))]
				case r < 6:
					ref = "https://www.example.org" + pages[rng.IntN(len(pages))]
				}
			}
		}
		if status == 200 && rng.IntN(500) == 0 {
			status = 500
		}
		switch {
		case status == 304 || status == 303 || (status == 301 && rng.IntN(2) == 0):
			size = -1
		case status == 404:
			size = 150 + int64(rng.IntN(400))
		default:
			size = 500 + int64(rng.ExpFloat64()*30000)
		}

		line = append(line[:0], v.ip...)
		line = append(line, " - - ["...)
		line = ts.AppendFormat(line, "02/Jan/2006:15:04:05 -0700")
		line = append(line, "] \""...)
		line = append(line, method...)
		line = append(line, ' ')
		line = append(line, path...)
		if i%50_000 == 3 {
			// An escaped quote inside the request, as nginx writes it.
			line = append(line, `\"x`...)
		}
		line = append(line, ' ')
		line = append(line, proto...)
		line = append(line, "\" "...)
		line = strconv.AppendInt(line, int64(status), 10)
		line = append(line, ' ')
		if size < 0 {
			line = append(line, '-')
		} else {
			line = strconv.AppendInt(line, size, 10)
		}
		line = append(line, " \""...)
		line = append(line, ref...)
		line = append(line, "\" \""...)
		line = append(line, a.ua...)
		line = append(line, "\"\n"...)
		w.Write(line)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("writing log: %w", err)
	}
	return nil
}
