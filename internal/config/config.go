// Package config reads plenary's settings from command-line flags and
// PLENARY_* environment variables (a flag wins over the environment) and
// validates them as a whole at start, with errors that name the setting.
package config

import (
	"crypto/tls"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Config is the validated configuration of one plenary instance.
type Config struct {
	Addr           string
	DataDir        string
	DB             string
	BaseURL        *url.URL
	TLSCert        string
	TLSKey         string
	TrustedProxies []netip.Prefix
	OrgName        string
	OrgCountry     string
	PrivacyContact string
	Instance       string
	Demo           bool
	Dev            bool
	// AnnounceFor is how long a new privacy statement version stays
	// announced on the home page.
	AnnounceFor time.Duration
	// Retention overrides the inventory's default lifetimes, by key; a value
	// of -1 means "keep forever".
	Retention map[string]int
	// MaxBodyBytes caps request bodies for ordinary forms.
	MaxBodyBytes int64
	// AnalyticsMinVisitors is the k below which a group in the usage
	// tables is folded into "(other)".
	AnalyticsMinVisitors int
	// SecretKey is the base64 master key; empty means the key generated
	// in the data directory. Instances sharing a database need the same.
	SecretKey string
	// SMTP is the outbound mail server URL, smtp://[user:pass@]host:port;
	// empty means messages are written to the server log instead.
	SMTP string
	// ThirdPartyCookies lists the third-party cookies the operator has
	// enabled (K2); by default there are none.
	ThirdPartyCookies []string
	// MailingRate is the most participant-mailing messages sent a second.
	MailingRate float64
	// MailingAddress is the announcement address: mailings are sent with
	// it as Reply-To, and a reply to it saying "unsubscribe" opts out.
	MailingAddress string
	// SecretariatContact is how to reach the secretariat by phone and
	// post, to opt out of mailings (D2); empty sends people to the
	// privacy contact for it.
	SecretariatContact string
}

// TLS reports whether the server terminates TLS itself.
func (c *Config) TLS() bool { return c.TLSCert != "" }

// Forever is the Retention value meaning no time limit.
const Forever = -1

// RetentionDays returns the configured lifetime for key, or def when the
// operator has not set one.
func (c *Config) RetentionDays(key string, def int) int {
	if d, ok := c.Retention[key]; ok {
		return d
	}
	return def
}

// Flags registers the serve flags on fs and returns a function that, once
// fs is parsed, applies the environment and validates everything.
func Flags(fs *flag.FlagSet) func() (*Config, error) {
	var (
		addr       = fs.String("addr", "127.0.0.1:8080", "address to listen on `host:port`")
		dataDir    = fs.String("data", "./plenary-data", "data `directory`: SQLite database, access logs, keys")
		db         = fs.String("db", "", "database: empty for SQLite in the data directory, a file path, sqlite:PATH, or postgres://…")
		baseURL    = fs.String("base-url", "", "public `URL` of the site, used in mailed links (default http://ADDR)")
		tlsCert    = fs.String("tls-cert", "", "TLS certificate `file` (PEM); with --tls-key, serve HTTPS")
		tlsKey     = fs.String("tls-key", "", "TLS private key `file` (PEM)")
		proxies    = fs.String("trusted-proxies", "", "comma-separated IPs or CIDRs of reverse proxies whose X-Forwarded-For is believed")
		orgName    = fs.String("org-name", "Example Standards Organization", "the organization's `name`, as shown on every page")
		orgCountry = fs.String("org-country", "", "the `country` where the organization processes data, named at every point of collection")
		contact    = fs.String("privacy-contact", "privacy@example.org", "`address` for privacy questions and requests")
		instance   = fs.String("instance", "", "`name` of this instance, used in its access log file names (default HOST-PORT)")
		demo       = fs.Bool("demo", false, "fill an empty database with example content")
		dev        = fs.Bool("dev", false, "read templates and static files from disk, for development")
		announce   = fs.String("announce-days", "30", "`days` a new privacy statement version is announced on the home page")
		retention  = fs.String("retention", "", "comma-separated KEY=DAYS (or KEY=forever) overriding retention, e.g. access_log=30")
		accessRet  = fs.String("access-log-retention", "", "`days` raw access log files are kept, or forever (same as --retention access_log=…)")
		maxBody    = fs.String("max-body", "1048576", "largest accepted form body in `bytes`")
		smtpURL    = fs.String("smtp", "", "outbound mail server `URL` smtp://[user:pass@]host:port[?from=ADDR&tls=none|opportunistic|mandatory]; without it mail is written to the server log")
		thirdParty = fs.String("third-party-cookies", "", "comma-separated `list` of third-party cookies the operator has enabled, shown on the cookie page and in the privacy statement (default none)")
		minVis     = fs.String("analytics-min-visitors", "5", "groups seen by fewer `visitors` a day are folded into (other) in usage trends")
		secretKey  = fs.String("secret-key", "", "base64 master `key` (32+ bytes) for encryption and the audit chain; default: generated into DATA/secret.key")
		mailRate   = fs.String("mailing-rate", "50", "most participant-mailing `messages` sent a second; halved while the mail server defers")
		mailAddr   = fs.String("mailing-address", "", "announcement `address`: replies to mailings go there, and one saying unsubscribe opts out (default announce@ the --base-url host)")
		secContact = fs.String("secretariat-contact", "", "the secretariat's `phone and postal address`, named in the privacy statement for opting out of mailings by phone or post")
	)
	return func() (*Config, error) {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		// The environment fills any flag not given on the command line.
		var envErr error
		fs.VisitAll(func(f *flag.Flag) {
			if set[f.Name] {
				return
			}
			name := "PLENARY_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
			if v, ok := os.LookupEnv(name); ok {
				if err := f.Value.Set(v); err != nil {
					envErr = errors.Join(envErr, fmt.Errorf("%s: %w", name, err))
				}
			}
		})
		if envErr != nil {
			return nil, envErr
		}
		// One error per setting, the first found: a garbage value is
		// reported once, by its own name, not again by the checks that
		// build on it.
		var errs []error
		broken := map[string]bool{}
		bad := func(flagName, format string, a ...any) {
			if broken[flagName] {
				return
			}
			broken[flagName] = true
			errs = append(errs, fmt.Errorf("--%s: %s", flagName, fmt.Sprintf(format, a...)))
		}
		fs.VisitAll(func(f *flag.Flag) {
			if msg := garbage(f.Value.String()); msg != "" {
				bad(f.Name, "%s", msg)
			}
		})
		c := &Config{
			Addr: *addr, DataDir: *dataDir, DB: *db, TLSCert: *tlsCert, TLSKey: *tlsKey,
			OrgName: strings.TrimSpace(*orgName), OrgCountry: strings.TrimSpace(*orgCountry),
			PrivacyContact: strings.TrimSpace(*contact), Instance: *instance, Demo: *demo, Dev: *dev,
			SecretKey: *secretKey,
			SMTP:      strings.TrimSpace(*smtpURL), ThirdPartyCookies: splitList(*thirdParty),
			Retention: map[string]int{},
		}
		if _, port, err := splitAddr(c.Addr); err != nil {
			bad("addr", "%v", err)
		} else if c.Instance == "" {
			host, _ := os.Hostname()
			c.Instance = safeName(host) + "-" + port
		}
		if safeName(c.Instance) != c.Instance {
			bad("instance", "%q may only contain letters, digits, '-', '_' and '.'", c.Instance)
		}
		if c.DataDir == "" {
			bad("data", "must not be empty")
		} else if broken["data"] {
			// never create a directory under a garbage name
		} else if err := checkWritableDir(c.DataDir); err != nil {
			bad("data", "%v", err)
		}
		if c.DB != "" && strings.Contains(c.DB, "://") {
			u, err := url.Parse(c.DB)
			if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
				bad("db", "%q is not a postgres://HOST/DB URL, a file path or sqlite:PATH", redactURL(c.DB))
			}
		}
		if broken["tls-cert"] || broken["tls-key"] {
			// reported above
		} else if (c.TLSCert == "") != (c.TLSKey == "") {
			bad("tls-cert", "--tls-cert and --tls-key go together")
		} else if c.TLSCert != "" {
			if _, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey); err != nil {
				bad("tls-cert", "cannot load the certificate and key: %v", err)
			}
		}
		scheme := "http"
		if c.TLSCert != "" {
			scheme = "https"
		}
		if *baseURL == "" {
			*baseURL = scheme + "://" + c.Addr
			if broken["addr"] {
				broken["base-url"] = true // follows --addr, already reported
			}
		}
		u, err := url.Parse(strings.TrimSuffix(*baseURL, "/"))
		if broken["base-url"] {
			// reported above
		} else if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("base-url", "%q is not an http(s) URL", *baseURL)
		} else {
			c.BaseURL = u
		}
		for _, p := range splitList(*proxies) {
			pfx, err := parsePrefix(p)
			if err != nil {
				bad("trusted-proxies", "%q is not an IP address or CIDR", p)
				continue
			}
			c.TrustedProxies = append(c.TrustedProxies, pfx)
		}
		if c.OrgName == "" {
			bad("org-name", "must not be empty")
		}
		if c.PrivacyContact == "" {
			bad("privacy-contact", "must not be empty: the privacy statement must say whom to contact")
		}
		if n, err := strconv.Atoi(*announce); err != nil || n < 0 || n > maxDays {
			bad("announce-days", "%q is not a number of days from 0 to %d", *announce, maxDays)
		} else {
			c.AnnounceFor = time.Duration(n) * 24 * time.Hour
		}
		for _, kv := range splitList(*retention) {
			k, v, ok := strings.Cut(kv, "=")
			days, err := parseDays(v)
			if !ok || k == "" || err != nil {
				bad("retention", "%q is not KEY=DAYS or KEY=forever", kv)
				continue
			}
			c.Retention[k] = days
		}
		if *accessRet != "" {
			days, err := parseDays(*accessRet)
			if err != nil {
				bad("access-log-retention", "%q is not a number of days or forever", *accessRet)
			} else {
				c.Retention["access_log"] = days
			}
		}
		if c.SMTP != "" {
			if u, err := url.Parse(c.SMTP); err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Host == "" {
				bad("smtp", "%q is not an smtp://host:port URL", redactURL(c.SMTP))
			}
		}
		if n, err := strconv.ParseInt(*maxBody, 10, 64); err != nil || n < 1024 {
			bad("max-body", "%q is not a size in bytes of at least 1024", *maxBody)
		} else {
			c.MaxBodyBytes = n
		}
		if n, err := strconv.Atoi(*minVis); err != nil || n < 2 {
			bad("analytics-min-visitors", "%q is not a whole number of at least 2", *minVis)
		} else {
			c.AnalyticsMinVisitors = n
		}
		if c.SecretKey != "" {
			if k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(c.SecretKey)); err != nil || len(k) < 32 {
				bad("secret-key", "not the base64 of a key of at least 32 bytes (make one with: openssl rand -base64 32)")
			}
		}
		if n, err := strconv.ParseFloat(*mailRate, 64); err != nil || !(n >= 0.1 && n <= 100000) {
			bad("mailing-rate", "%q is not a number of messages a second from 0.1 to 100000", *mailRate)
		} else {
			c.MailingRate = n
		}
		c.MailingAddress = strings.TrimSpace(*mailAddr)
		if c.MailingAddress == "" && c.BaseURL != nil {
			c.MailingAddress = "announce@" + c.BaseURL.Hostname()
		}
		if c.MailingAddress != "" && !plainAddress(c.MailingAddress) {
			bad("mailing-address", "%q is not one e-mail address", c.MailingAddress)
		}
		c.SecretariatContact = strings.TrimSpace(*secContact)
		if len(errs) > 0 {
			return nil, errors.Join(errs...)
		}
		return c, nil
	}
}

// plainAddress accepts local@domain with no spaces, brackets or commas.
func plainAddress(a string) bool {
	local, domain, ok := strings.Cut(a, "@")
	return ok && local != "" && domain != "" && !strings.ContainsAny(a, " <>,;\"()") && !strings.Contains(domain, "@")
}

func splitAddr(addr string) (host, port string, err error) {
	i := strings.LastIndex(addr, ":")
	if i < 0 {
		return "", "", fmt.Errorf("%q is not host:port", addr)
	}
	host, port = addr[:i], addr[i+1:]
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "", "", fmt.Errorf("%q has no valid port", addr)
	}
	return host, port, nil
}

// maxDays bounds every setting counted in days (a century), so that no
// date arithmetic on it can overflow.
const maxDays = 36500

// maxValue bounds the length of any setting.
const maxValue = 4096

// garbage says what makes a setting's value unusable whatever the setting:
// invalid UTF-8, a control character (a line break would forge log lines,
// mail headers or statement text) or a size no real value has. The value
// itself is not repeated, since it may be a secret or a megabyte long.
func garbage(v string) string {
	switch {
	case len(v) > maxValue:
		return fmt.Sprintf("the value is %d bytes long; at most %d are accepted", len(v), maxValue)
	case !utf8.ValidString(v):
		return "the value is not valid UTF-8"
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7f {
			return "the value holds a control character such as a line break"
		}
	}
	return ""
}

func parseDays(v string) (int, error) {
	if strings.EqualFold(v, "forever") {
		return Forever, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > maxDays {
		return 0, fmt.Errorf("not a number of days")
	}
	return n, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// checkWritableDir creates dir if needed and proves that files can be
// written in it, so a read-only data directory fails at start, not at the
// first request.
func checkWritableDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("cannot create data directory: %w", err)
	}
	f, err := os.CreateTemp(dir, ".write-check-*")
	if err != nil {
		return fmt.Errorf("data directory %s is not writable: %w", filepath.Clean(dir), err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

func safeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	u.User = url.User(u.User.Username())
	return u.String()
}
