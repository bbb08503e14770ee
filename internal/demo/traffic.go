package demo

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"plenary/internal/accesslog"
)

// demoAgents are user agents of the kinds a standards body's site sees.
var demoAgents = []string{
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15",
	"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
	"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
	"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
}

var demoPaths = []string{"/", "/", "/", "/privacy", "/privacy/cookies", "/privacy/versions", "/signup", "/login", "/static/style.css", "/healthz"}

var demoReferrers = []string{"-", "-", "-", "https://www.example.net/search?q=standards", "https://mail.example.com/", "https://news.example.org/item/42"}

// writeTraffic writes made-up access-log files for the days before today,
// with addresses from the ranges reserved for documentation (RFC 5737 and
// RFC 3849), so the usage dashboard has something to show. Days that
// already have a file are left alone.
func writeTraffic(dir, instance string, today time.Time, days int) (int, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return 0, err
	}
	r := rand.New(rand.NewPCG(42, uint64(days)))
	written := 0
	// Files are named for UTC days (accesslog.FileName), so each day starts
	// at UTC midnight: starting from the current time of day would push a
	// file's evening into the next day.
	u := today.UTC()
	midnight := time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC)
	for back := days; back >= 1; back-- {
		day := midnight.AddDate(0, 0, -back)
		path := filepath.Join(dir, accesslog.FileName(instance, day))
		if _, err := os.Stat(path); err == nil {
			continue
		}
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return written, fmt.Errorf("writing demo traffic: %w", err)
		}
		w := bufio.NewWriter(f)
		visitors := 40 + r.IntN(60)
		if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
			visitors /= 2
		}
		var buf []byte
		for v := range visitors {
			ip := fmt.Sprintf("198.51.100.%d", v%250+1)
			if v%7 == 0 {
				ip = fmt.Sprintf("2001:db8::%x", v+1)
			}
			agent := demoAgents[r.IntN(len(demoAgents))]
			ref := demoReferrers[r.IntN(len(demoReferrers))]
			start := day.Add(time.Duration(6+r.IntN(15))*time.Hour + time.Duration(r.IntN(3600))*time.Second)
			for n := range 1 + r.IntN(6) {
				path := demoPaths[r.IntN(len(demoPaths))]
				status := 200
				if r.IntN(25) == 0 {
					path, status = "/wp-login.php", 404
				}
				e := accesslog.Entry{Time: start.Add(time.Duration(n*20) * time.Second), ClientIP: ip, Method: "GET", URI: path,
					Proto: "HTTP/1.1", Status: status, Bytes: int64(500 + r.IntN(9000)), Referrer: ref, UserAgent: agent}
				buf = accesslog.AppendCombined(buf[:0], e)
				if _, err := w.Write(buf); err != nil {
					f.Close()
					return written, fmt.Errorf("writing demo traffic: %w", err)
				}
				ref = ""
			}
		}
		if err := w.Flush(); err != nil {
			f.Close()
			return written, fmt.Errorf("writing demo traffic: %w", err)
		}
		if err := f.Close(); err != nil {
			return written, fmt.Errorf("writing demo traffic: %w", err)
		}
		written++
	}
	return written, nil
}
