package analytics

import "bytes"

// uaName is a browser or operating system with its major version, kept in a
// fixed-size value so counting by it needs no allocation.
type uaName struct {
	name string // one of the constant names below
	ver  [7]byte
	vlen uint8
}

func (u uaName) String() string {
	if u.vlen == 0 {
		return u.name
	}
	return u.name + " " + string(u.ver[:u.vlen])
}

func mkName(name string, ver []byte) uaName {
	u := uaName{name: name}
	n := copy(u.ver[:], ver)
	u.vlen = uint8(n)
	return u
}

// uaClass is what we derive from a user agent. Only these names ever reach a
// report; the user-agent string itself never does (U1).
type uaClass struct {
	browser uaName
	os      uaName
	bot     string // bot family, "" for a person's browser
}

// botPatterns are matched case-insensitively, in order; the first match names
// the bot. Generic words ("bot", "spider", ...) come last so that well-known
// crawlers keep their own name.
var botPatterns = [...]struct{ pat, name string }{
	{"googlebot", "Googlebot"},
	{"bingbot", "Bingbot"},
	{"yandex", "YandexBot"},
	{"baiduspider", "Baiduspider"},
	{"duckduckbot", "DuckDuckBot"},
	{"applebot", "Applebot"},
	{"ahrefsbot", "AhrefsBot"},
	{"semrushbot", "SemrushBot"},
	{"mj12bot", "MJ12bot"},
	{"dotbot", "DotBot"},
	{"petalbot", "PetalBot"},
	{"gptbot", "GPTBot"},
	{"claudebot", "ClaudeBot"},
	{"ccbot", "CCBot"},
	{"bytespider", "Bytespider"},
	{"facebookexternalhit", "Facebook"},
	{"twitterbot", "Twitterbot"},
	{"slurp", "Yahoo Slurp"},
	{"feedfetcher", "Feed fetcher"},
	{"curl/", "curl"},
	{"wget/", "Wget"},
	{"python-requests", "python-requests"},
	{"python-urllib", "Python urllib"},
	{"aiohttp", "Python aiohttp"},
	{"go-http-client", "Go http client"},
	{"java/", "Java"},
	{"okhttp", "OkHttp"},
	{"apache-httpclient", "Apache HttpClient"},
	{"libwww-perl", "libwww-perl"},
	{"zgrab", "zgrab"},
	{"masscan", "masscan"},
	{"nmap", "Nmap"},
	{"nikto", "Nikto"},
	{"sqlmap", "sqlmap"},
	{"headlesschrome", "Headless Chrome"},
	{"phantomjs", "PhantomJS"},
	{"scrapy", "Scrapy"},
	{"bot", "Other bot"},
	{"crawl", "Other bot"},
	{"spider", "Other bot"},
	{"scan", "Other bot"},
	{"monitor", "Other bot"},
	{"fetch", "Other bot"},
	{"http://", "Other bot"},
	{"https://", "Other bot"},
}

// classifyUA derives browser, OS and bot family from a raw user agent.
// An absent user agent is counted as a bot: browsers always send one, and
// scripts are what send none.
func classifyUA(ua []byte) uaClass {
	var c uaClass
	if len(ua) == 0 {
		c.bot = "No user agent"
		c.browser = uaName{name: "Unknown"}
		c.os = uaName{name: "Unknown"}
		return c
	}
	c.bot = botFamily(ua)
	c.browser = browserOf(ua)
	c.os = osOf(ua)
	if c.bot != "" {
		c.browser = uaName{name: "Bot"}
	}
	return c
}

func botFamily(ua []byte) string {
	// Lower-case into a stack buffer so matching needs no allocation; the
	// tell-tale words sit in the first few hundred bytes of any real agent.
	var buf [512]byte
	n := copy(buf[:], ua)
	low := buf[:n]
	for i, c := range low {
		if c >= 'A' && c <= 'Z' {
			low[i] = c + 32
		}
	}
	for _, p := range botPatterns {
		if bytes.Contains(low, []byte(p.pat)) {
			return p.name
		}
	}
	return ""
}

// versionAfter returns the major version digits following tok in ua.
func versionAfter(ua []byte, tok string) ([]byte, bool) {
	i := bytes.Index(ua, []byte(tok))
	if i < 0 {
		return nil, false
	}
	v := ua[i+len(tok):]
	n := 0
	for n < len(v) && n < 7 && v[n] >= '0' && v[n] <= '9' {
		n++
	}
	return v[:n], true
}

// browserOf checks the most specific tokens first: Chrome-based browsers
// all claim "Chrome/" and "Safari/", and Chrome claims "Safari/" too.
func browserOf(ua []byte) uaName {
	for _, b := range [...]struct{ tok, name string }{
		{"Edg/", "Edge"}, {"EdgA/", "Edge"}, {"EdgiOS/", "Edge"}, {"Edge/", "Edge"},
		{"OPR/", "Opera"}, {"Opera/", "Opera"},
		{"SamsungBrowser/", "Samsung Internet"},
		{"YaBrowser/", "Yandex Browser"},
		{"Vivaldi/", "Vivaldi"},
		{"UCBrowser/", "UC Browser"},
		{"Firefox/", "Firefox"}, {"FxiOS/", "Firefox"},
		{"CriOS/", "Chrome"}, {"Chrome/", "Chrome"}, {"Chromium/", "Chromium"},
		{"MSIE ", "Internet Explorer"},
	} {
		if v, ok := versionAfter(ua, b.tok); ok {
			return mkName(b.name, v)
		}
	}
	if bytes.Contains(ua, []byte("Trident/")) {
		v, _ := versionAfter(ua, "rv:")
		return mkName("Internet Explorer", v)
	}
	if bytes.Contains(ua, []byte("Safari/")) {
		v, _ := versionAfter(ua, "Version/")
		return mkName("Safari", v)
	}
	if bytes.HasPrefix(ua, []byte("Mozilla/")) {
		return uaName{name: "Other browser"}
	}
	return uaName{name: "Unknown"}
}

var windowsVersions = [...]struct{ tok, name string }{
	{"Windows NT 10.0", "Windows 10/11"},
	{"Windows NT 6.3", "Windows 8.1"},
	{"Windows NT 6.2", "Windows 8"},
	{"Windows NT 6.1", "Windows 7"},
	{"Windows NT 6.0", "Windows Vista"},
	{"Windows NT 5.1", "Windows XP"},
}

func osOf(ua []byte) uaName {
	if bytes.Contains(ua, []byte("Windows")) {
		for _, w := range windowsVersions {
			if bytes.Contains(ua, []byte(w.tok)) {
				return uaName{name: w.name}
			}
		}
		if bytes.Contains(ua, []byte("Windows Phone")) {
			return uaName{name: "Windows Phone"}
		}
		return uaName{name: "Windows (other)"}
	}
	if v, ok := versionAfter(ua, "Android "); ok {
		return mkName("Android", v)
	}
	if bytes.Contains(ua, []byte("Android")) {
		return uaName{name: "Android"}
	}
	if bytes.Contains(ua, []byte("iPhone")) || bytes.Contains(ua, []byte("iPad")) || bytes.Contains(ua, []byte("iPod")) {
		if v, ok := versionAfter(ua, "OS "); ok && len(v) > 0 {
			return mkName("iOS", v)
		}
		return uaName{name: "iOS"}
	}
	if bytes.Contains(ua, []byte("Mac OS X")) || bytes.Contains(ua, []byte("Macintosh")) {
		return uaName{name: "macOS"}
	}
	if bytes.Contains(ua, []byte("CrOS")) {
		return uaName{name: "ChromeOS"}
	}
	if bytes.Contains(ua, []byte("FreeBSD")) || bytes.Contains(ua, []byte("OpenBSD")) || bytes.Contains(ua, []byte("NetBSD")) {
		return uaName{name: "BSD"}
	}
	if bytes.Contains(ua, []byte("Linux")) || bytes.Contains(ua, []byte("X11")) {
		return uaName{name: "Linux"}
	}
	return uaName{name: "Unknown"}
}

// NormalizeAgent returns the user agent as it tells visitors apart: trimmed,
// %XX decoded once, trimmed again, and "-" when nothing is left. These are
// GoAccess 1.7's rules, so that visitor counts can be compared with it
// (bench/logs).
func NormalizeAgent(ua []byte) []byte {
	norm, _ := normalizeAgent(ua, nil)
	return norm
}

// normalizeAgent is NormalizeAgent writing into scratch, only when the
// agent needs changing.
func normalizeAgent(ua []byte, scratch []byte) ([]byte, []byte) {
	if len(ua) == 0 {
		return []byte("-"), scratch
	}
	ua = trimC(ua)
	if len(ua) == 0 {
		return []byte("-"), scratch
	}
	if bytes.IndexByte(ua, '%') < 0 {
		return ua, scratch
	}
	out := scratch[:0]
	for i := 0; i < len(ua); i++ {
		c := ua[i]
		if c == '%' && i+2 < len(ua) && isHex(ua[i+1]) && isHex(ua[i+2]) {
			c = unhex(ua[i+1])<<4 | unhex(ua[i+2])
			i += 2
			if c == 0 {
				break // a C string ends here
			}
		}
		out = append(out, c)
	}
	return trimC(out), out
}

// trimC trims the bytes C's isspace accepts, as GoAccess does.
func trimC(b []byte) []byte {
	isSpace := func(c byte) bool { return c == ' ' || (c >= '\t' && c <= '\r') }
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c|0x20 >= 'a' && c|0x20 <= 'f')
}

func unhex(c byte) byte {
	if c <= '9' {
		return c - '0'
	}
	return c | 0x20 - 'a' + 10
}
