package analytics

import (
	"bytes"
	"testing"
)

// FuzzParseLine checks that ParseLine never panics and that whatever it
// accepts is self-consistent: every field lies inside the line, the
// timestamp is a real one, and the status and size are in range. The seeds
// are the real-world quirks listed in ../shared/testdata/README.md, so
// `go test` runs them as regression cases.
func FuzzParseLine(f *testing.F) {
	for _, s := range []string{
		// elastic apache_logs: minute 05, size "-", \xNN escapes in the referrer.
		`83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET /presentations/logstash-monitorama-2013/images/kibana-search.png HTTP/1.1" 200 203023 "http://semicomplete.com/presentations/logstash-monitorama-2013/" "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/32.0.1700.77 Safari/537.36"`,
		`66.249.73.135 - - [17/May/2015:10:05:40 +0000] "GET /blog/tags/ipv6 HTTP/1.1" 200 - "http://www.google.com/url?q=\xe4\xbd\xa0" "-"`,
		// elastic line 8899: unterminated user-agent quote.
		`1.2.3.4 - - [20/May/2015:21:05:15 +0000] "GET /x HTTP/1.1" 200 1 "-" "Mozilla/5.0 (Windows`,
		// hackers-access: IPv6 client, bots POSTing to /join_form.
		`2001:980:91c0:1:8d31:a232:25e5:85d - - [05/Sep/2015:11:27:59 +0200] "POST /join_form HTTP/1.1" 200 9 "http://howto.basjes.nl/join_form" "Mozilla/5.0 (Windows NT 5.1; rv:35.0) Gecko/20100101 Firefox/35.0"`,
		// secrepo: trailing space, escaped quotes inside the agent, -0800.
		`192.168.1.1 - - [15/Dec/2018:08:02:19 -0800] "HEAD / HTTP/1.1" 418 0 "-" "\"Mozilla/5.0 (compatible)\"" `,
		// Common format, CRLF, comments, truncations, garbage.
		"192.0.2.1 - frank [10/Oct/2000:13:55:36 -0700] \"GET /apache_pb.gif HTTP/1.0\" 200 2326\r\n",
		`192.0.2.1 - - [10/Oct/2023:13:55:36 -0700] "GET / HTTP/1.1"`,
		`[2001:db8::2] - - [29/Feb/2024:23:59:60 +0530] "GET / HTTP/1.1" 200 1 "-" "x"`,
		`192.0.2.1 - - [10/Oct/2023:13:55:36 +ab:c] "GET / HTTP/1.1" 200 1 "-" "x"`,
		"#Fields: date time",
		"\x00\x01\xff garbage",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		orig := bytes.Clone(line)
		e, ok := ParseLine(line)
		if !bytes.Equal(line, orig) {
			t.Fatal("ParseLine modified its input")
		}
		// The same line with a newline, or with CRLF, parses the same.
		if len(line) == 0 || (line[len(line)-1] != '\n' && line[len(line)-1] != '\r') {
			for _, end := range []string{"\n", "\r\n"} {
				e2, ok2 := ParseLine(append(bytes.Clone(line), end...))
				if ok2 != ok || (ok && !sameEntry(e, e2)) {
					t.Fatalf("with %q appended: ok %v → %v, %+v → %+v", end, ok, ok2, e, e2)
				}
			}
		}
		if !ok {
			return
		}
		within := func(name string, b []byte) {
			if b == nil {
				return
			}
			if !bytes.Contains(line, b) {
				t.Fatalf("%s %q is not part of the line", name, b)
			}
		}
		within("client", e.Client)
		within("request", e.Request)
		within("method", e.Method)
		within("path", e.Path)
		within("protocol", e.Protocol)
		within("referrer", e.Referrer)
		within("user agent", e.UserAgent)
		if !validAddr(e.Client) {
			t.Fatalf("client %q is not an address", e.Client)
		}
		if !validDay(e.Date.Year(), e.Date.Month(), e.Date.Day()) {
			t.Fatalf("date %v does not exist", e.Date)
		}
		if e.Hour > 23 || e.Minute > 59 || e.Second > 61 {
			t.Fatalf("time %02d:%02d:%02d", e.Hour, e.Minute, e.Second)
		}
		if e.Zone < -(23*60+59) || e.Zone > 23*60+59 {
			t.Fatalf("zone %d minutes is not a UTC offset", e.Zone)
		}
		if e.Status != 0 && (e.Status < 100 || e.Status > 599) {
			t.Fatalf("status %d", e.Status)
		}
		if e.Size < -1 {
			t.Fatalf("size %d", e.Size)
		}
		if closingQuote(e.Request) >= 0 {
			t.Fatalf("request %q holds an unescaped quote", e.Request)
		}
		for _, b := range [][]byte{e.Client, e.Request, e.Referrer, e.UserAgent} {
			if bytes.ContainsAny(b, "\n") {
				t.Fatalf("field %q spans lines", b)
			}
		}
		if e.Method != nil {
			rebuilt := string(e.Method) + " " + string(e.Path)
			if e.Protocol != nil {
				rebuilt += " " + string(e.Protocol)
			}
			if rebuilt != string(e.Request) {
				t.Fatalf("method/path/protocol %q %q %q do not make up the request %q", e.Method, e.Path, e.Protocol, e.Request)
			}
		} else if !bytes.Equal(e.Path, e.Request) {
			t.Fatalf("path %q of a request without method is not the request %q", e.Path, e.Request)
		}
		if (e.Referrer != nil || e.UserAgent != nil) && !e.Combined {
			t.Fatal("referrer or user agent on a line not in combined format")
		}
	})
}

func sameEntry(a, b Entry) bool {
	eq := func(x, y []byte) bool { return (x == nil) == (y == nil) && bytes.Equal(x, y) }
	return eq(a.Client, b.Client) && a.Date == b.Date && a.Hour == b.Hour && a.Minute == b.Minute &&
		a.Second == b.Second && a.Zone == b.Zone && eq(a.Request, b.Request) && eq(a.Method, b.Method) &&
		eq(a.Path, b.Path) && eq(a.Protocol, b.Protocol) && a.Status == b.Status && a.Size == b.Size &&
		eq(a.Referrer, b.Referrer) && eq(a.UserAgent, b.UserAgent) && a.Combined == b.Combined
}
