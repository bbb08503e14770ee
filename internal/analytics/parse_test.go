package analytics

import (
	"strings"
	"testing"
)

const (
	ts      = `[10/Oct/2023:13:55:36 -0700]`
	firefox = `Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0`
)

func TestParseLine(t *testing.T) {
	tests := []struct {
		name string
		line string
		ok   bool
		// checked only when ok
		client, path, ref, ua string
		status                int
		size                  int64
		combined              bool
	}{
		{name: "combined", line: `192.0.2.1 - - ` + ts + ` "GET /a?b=1 HTTP/1.1" 200 512 "https://ex.org/" "` + firefox + `"`,
			ok: true, client: "192.0.2.1", path: "/a?b=1", ref: "https://ex.org/", ua: firefox, status: 200, size: 512, combined: true},
		{name: "common ends at size", line: `192.0.2.1 - frank ` + ts + ` "GET /x HTTP/1.0" 200 2326`,
			ok: true, client: "192.0.2.1", path: "/x", status: 200, size: 2326, combined: false},
		{name: "common with trailing space", line: `192.0.2.1 - - ` + ts + ` "GET /x HTTP/1.0" 200 2326 `,
			ok: true, client: "192.0.2.1", path: "/x", status: 200, size: 2326},
		{name: "size dash", line: `192.0.2.1 - - ` + ts + ` "GET / HTTP/1.1" 304 - "-" "-"`,
			ok: true, client: "192.0.2.1", path: "/", status: 304, size: -1, combined: true},
		{name: "escaped quotes in request and agent", line: `192.0.2.1 - - ` + ts + ` "GET /a\"b HTTP/1.1" 200 1 "-" "\"Mozilla/5.0 x\""`,
			ok: true, client: "192.0.2.1", path: `/a\"b`, ua: `\"Mozilla/5.0 x\"`, status: 200, size: 1, combined: true},
		{name: "apache hex escapes in referrer", line: `192.0.2.1 - - ` + ts + ` "GET / HTTP/1.1" 200 1 "http://ex.org/\xe4\xbd" "x"`,
			ok: true, client: "192.0.2.1", path: "/", ref: `http://ex.org/\xe4\xbd`, ua: "x", status: 200, size: 1, combined: true},
		{name: "trailing space after agent", line: `192.0.2.1 - - ` + ts + ` "GET / HTTP/1.1" 200 1 "-" "x" `,
			ok: true, client: "192.0.2.1", path: "/", ua: "x", status: 200, size: 1, combined: true},
		{name: "crlf", line: "192.0.2.1 - - " + ts + ` "GET / HTTP/1.1" 200 1 "-" "x"` + "\r\n",
			ok: true, client: "192.0.2.1", path: "/", ua: "x", status: 200, size: 1, combined: true},
		{name: "ipv6", line: `2001:db8::1 - - ` + ts + ` "GET / HTTP/1.1" 200 1 "-" "x"`,
			ok: true, client: "2001:db8::1", path: "/", ua: "x", status: 200, size: 1, combined: true},
		{name: "ipv6 bracketed", line: `[2001:db8::2] - - ` + ts + ` "GET / HTTP/1.1" 200 1 "-" "x"`,
			ok: true, client: "2001:db8::2", path: "/", ua: "x", status: 200, size: 1, combined: true},
		{name: "unterminated agent keeps the record", line: `192.0.2.1 - - ` + ts + ` "GET / HTTP/1.1" 200 1 "-" "Mozilla/5.0 (Windows`,
			ok: true, client: "192.0.2.1", path: "/", status: 200, size: 1, combined: true},
		{name: "ends after request", line: `192.0.2.1 - - ` + ts + ` "GET / HTTP/1.1"`,
			ok: true, client: "192.0.2.1", path: "/", status: 0, size: -1},
		{name: "request dash", line: `192.0.2.1 - - ` + ts + ` "-" 400 0 "-" "-"`,
			ok: true, client: "192.0.2.1", path: "-", status: 400, size: 0, combined: true},
		{name: "full lower-case month", line: `192.0.2.1 - - [1/october/2023:09:05:06 +0000] "GET / HTTP/1.1" 200 1 "-" "x"`,
			ok: true, client: "192.0.2.1", path: "/", ua: "x", status: 200, size: 1, combined: true},
		{name: "invalid utf-8 agent", line: "192.0.2.1 - - " + ts + " \"GET / HTTP/1.1\" 200 1 \"-\" \"\xff\xfe bot\"",
			ok: true, client: "192.0.2.1", path: "/", ua: "\xff\xfe bot", status: 200, size: 1, combined: true},

		{name: "unterminated request", line: `192.0.2.1 - - ` + ts + ` "GET / HTTP/1.1 200 1`},
		{name: "not an address", line: `notanip - - ` + ts + ` "GET / HTTP/1.1" 200 1 "-" "x"`},
		{name: "short ipv4", line: `1.2.3 - - ` + ts + ` "GET / HTTP/1.1" 200 1 "-" "x"`},
		{name: "ipv4 octet too big", line: `1.2.3.256 - - ` + ts + ` "GET / HTTP/1.1" 200 1 "-" "x"`},
		{name: "ipv4 leading zero", line: `010.0.0.1 - - ` + ts + ` "GET / HTTP/1.1" 200 1 "-" "x"`},
		{name: "ipv6 zone", line: `fe80::1%eth0 - - ` + ts + ` "GET / HTTP/1.1" 200 1 "-" "x"`},
		{name: "leading space", line: ` 192.0.2.1 - - ` + ts + ` "GET / HTTP/1.1" 200 1 "-" "x"`},
		{name: "status too low", line: `192.0.2.1 - - ` + ts + ` "GET / HTTP/1.1" 99 1 "-" "x"`},
		{name: "status too high", line: `192.0.2.1 - - ` + ts + ` "GET / HTTP/1.1" 600 1 "-" "x"`},
		{name: "status not a number", line: `192.0.2.1 - - ` + ts + ` "GET / HTTP/1.1" abc 1 "-" "x"`},
		{name: "status ends line", line: `192.0.2.1 - - ` + ts + ` "GET / HTTP/1.1" 200`},
		{name: "bad month", line: `192.0.2.1 - - [10/Foo/2023:13:55:36 -0700] "GET / HTTP/1.1" 200 1 "-" "x"`},
		{name: "day 32", line: `192.0.2.1 - - [32/Oct/2023:13:55:36 -0700] "GET / HTTP/1.1" 200 1 "-" "x"`},
		{name: "31 February", line: `192.0.2.1 - - [31/Feb/2023:13:55:36 -0700] "GET / HTTP/1.1" 200 1 "-" "x"`},
		{name: "hour 25", line: `192.0.2.1 - - [10/Oct/2023:25:55:36 -0700] "GET / HTTP/1.1" 200 1 "-" "x"`},
		{name: "no zone", line: `192.0.2.1 - - [10/Oct/2023:13:55:36] "GET / HTTP/1.1" 200 1 "-" "x"`},
		{name: "no timestamp", line: `192.0.2.1 - - "GET / HTTP/1.1" 200 1 "-" "x"`},
		{name: "garbage", line: "\x00\x01\xff garbage"},
		{name: "blank", line: ""},
		{name: "comment", line: "#Fields: date time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, ok := ParseLine([]byte(tt.line))
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			check := func(field, got, want string) {
				t.Helper()
				if got != want {
					t.Errorf("%s = %q, want %q", field, got, want)
				}
			}
			check("client", string(e.Client), tt.client)
			check("path", string(e.Path), tt.path)
			check("referrer", string(e.Referrer), tt.ref)
			check("agent", string(e.UserAgent), tt.ua)
			if e.Status != tt.status || e.Size != tt.size {
				t.Errorf("status, size = %d, %d; want %d, %d", e.Status, e.Size, tt.status, tt.size)
			}
			if e.Combined != tt.combined {
				t.Errorf("combined = %v, want %v", e.Combined, tt.combined)
			}
		})
	}
}

func TestParseLineTimestamp(t *testing.T) {
	e, ok := ParseLine([]byte(`192.0.2.1 - - [05/Mar/2024:07:08:09 +0530] "POST /login HTTP/2.0" 303 - "-" "x"`))
	if !ok {
		t.Fatal("not parsed")
	}
	if e.Date != MakeDate(2024, 3, 5) || e.Hour != 7 || e.Minute != 8 || e.Second != 9 || e.Zone != 330 {
		t.Errorf("got %v %d:%d:%d zone %d", e.Date, e.Hour, e.Minute, e.Second, e.Zone)
	}
	if string(e.Method) != "POST" || string(e.Protocol) != "HTTP/2.0" {
		t.Errorf("method %q protocol %q", e.Method, e.Protocol)
	}
}

// The parser must survive any byte sequence: every prefix of a valid line,
// and lines of random bytes.
func TestParseLineNeverPanics(t *testing.T) {
	line := `[2001:db8::2] - - ` + ts + ` "GET /a\"b HTTP/1.1" 200 1 "http://x/" "` + firefox + `"`
	for i := range len(line) {
		ParseLine([]byte(line[:i]))
	}
	seed := uint32(1)
	for range 2000 {
		b := make([]byte, 80)
		for j := range b {
			seed = seed*1664525 + 1013904223
			const alphabet = " -[]\"\\/:0123456789abcGET"
			b[j] = alphabet[int(seed>>24)%len(alphabet)]
		}
		ParseLine(b)
	}
}

func TestClassifyUA(t *testing.T) {
	tests := []struct {
		ua, browser, os, bot string
	}{
		{firefox, "Firefox 125", "Linux", ""},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0", "Edge 124", "Windows 10/11", ""},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1", "Safari 17", "iOS 17", ""},
		{"Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36", "Samsung Internet 24", "Android 14", ""},
		{"Mozilla/5.0 (Windows NT 6.1; Win64; x64; Trident/7.0; rv:11.0) like Gecko", "Internet Explorer 11", "Windows 7", ""},
		{"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "Bot", "Unknown", "Googlebot"},
		{"curl/8.5.0", "Bot", "Unknown", "curl"},
		{"python-requests/2.31.0", "Bot", "Unknown", "python-requests"},
		{"", "Unknown", "Unknown", "No user agent"},
	}
	for _, tt := range tests {
		c := classifyUA([]byte(tt.ua))
		if c.browser.String() != tt.browser || c.os.String() != tt.os || c.bot != tt.bot {
			t.Errorf("%.40s: got %q %q %q, want %q %q %q", tt.ua, c.browser, c.os, c.bot, tt.browser, tt.os, tt.bot)
		}
	}
}

func TestNormalizeAgent(t *testing.T) {
	// Pairs GoAccess 1.7 treats as the same agent, and pairs it keeps apart,
	// as observed by running it on crafted lines.
	same := [][2]string{{" A B ", "A B"}, {"%20A", "A"}, {"%41", "A"}, {"", "-"}, {"A%2", "A%252"}}
	differ := [][2]string{{"A+B", "A B"}, {"A\tB", "A B"}, {"AB", "A B"}}
	norm := func(s string) string {
		b := NormalizeAgent([]byte(s))
		return string(b)
	}
	for _, p := range same {
		if norm(p[0]) != norm(p[1]) {
			t.Errorf("%q and %q should normalise alike: %q vs %q", p[0], p[1], norm(p[0]), norm(p[1]))
		}
	}
	for _, p := range differ {
		if norm(p[0]) == norm(p[1]) {
			t.Errorf("%q and %q should stay apart", p[0], p[1])
		}
	}
}

func TestSipHashVectors(t *testing.T) {
	// Reference vectors from the SipHash paper: key 00..0f, messages
	// 00, 00 01, ..., of length 0, 8 and 15.
	k := sipKey{0x0706050403020100, 0x0f0e0d0c0b0a0908}
	msg := make([]byte, 64)
	for i := range msg {
		msg[i] = byte(i)
	}
	for _, tt := range []struct {
		n    int
		want uint64
	}{{0, 0x726fdb47dd0e0e31}, {8, 0x93f5f5799a932462}, {15, 0xa129ca6149be45e5}} {
		if got := k.sum64(msg[:tt.n], nil); got != tt.want {
			t.Errorf("len %d: %#x, want %#x", tt.n, got, tt.want)
		}
		// Splitting the input must not change the hash.
		for s := 0; s <= tt.n; s++ {
			if got := k.sum64(msg[:s], msg[s:tt.n]); got != tt.want {
				t.Errorf("len %d split %d: %#x", tt.n, s, got)
			}
		}
	}
}

func TestCleanPath(t *testing.T) {
	a := NewAggregator(Options{})
	for in, want := range map[string]string{
		"/drafts?q=secret":                             "/drafts",
		"/unsubscribe/aB3dE5fG7hJ9kL1mN3pQ":            "/unsubscribe/{token}",
		"/confirm/3f2a9c0d4e5b6a7f8e9d0c1b":            "/confirm/{token}",
		"/drafts/draft-ietf-uuidrev-rfc4122bis-11.txt": "/drafts/draft-ietf-uuidrev-rfc4122bis-11.txt",
		"/": "/",
	} {
		if got := string(a.cleanPath([]byte(in))); got != want {
			t.Errorf("cleanPath(%q) = %q, want %q", in, got, want)
		}
	}
	if !strings.Contains(string(a.refSite([]byte("HTTPS://User@WWW.Example.ORG:8443/x"))), "www.example.org") {
		t.Error("refSite did not lower-case and strip user and port")
	}
}

func TestVisitorSet(t *testing.T) {
	var v visitorSet
	for i := range uint64(10000) {
		h := i * 0x9e3779b97f4a7c15
		v.add(h, visHuman)
		v.add(h, 0) // same visitor again
		if i%2 == 0 {
			v.add(h^(1<<40), 0)
		}
	}
	all, human := v.counts(nil)
	if all != 15000 || human != 10000 {
		t.Errorf("counts = %d %d", all, human)
	}
	// A visitor made a robot by what it did is no longer a person.
	if _, human := v.counts(map[uint64]struct{}{0: {}, 1 * 0x9e3779b97f4a7c15: {}}); human != 9998 {
		t.Errorf("people without two robots = %d, want 9998", human)
	}
	v.clear()
	if all, _ := v.counts(nil); all != 0 {
		t.Errorf("after clear: %d", all)
	}
}
