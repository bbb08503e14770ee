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
	"io/fs"
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
	Addr    string
	DataDir string
	DB      string
	BaseURL *url.URL
	// BaseURLFromAddr says that no --base-url was configured and BaseURL
	// was made from --addr, so it may not be the address people use.
	BaseURLFromAddr bool
	TLSCert         string
	TLSKey          string
	TrustedProxies  []netip.Prefix
	OrgName         string
	OrgCountry      string
	PrivacyContact  string
	Instance        string
	Demo            bool
	// TestProcessorAddr is where the built-in test card processor
	// listens, on its own origin; empty means off. --demo turns it on at a
	// free port of 127.0.0.1 when not given.
	TestProcessorAddr string
	Dev               bool
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
	// SMTPListen is the address of the inbound mail listener; empty
	// means no mail is taken in.
	SMTPListen string
	// MailDomain is the domain of the site's own addresses (replies to
	// inquiries); the listener takes mail for it alone.
	MailDomain string
	// MaxMessageBytes is the largest inbound message accepted.
	MaxMessageBytes int64
	// MailingRate is the most participant-mailing messages sent a second.
	MailingRate float64
	// JobLease is how long an instance holds a background job without
	// renewing its claim: after the instance dies, another takes the job
	// over this long after its last renewal.
	JobLease time.Duration
	// MailingAddress is the announcement address: mailings are sent with
	// it as Reply-To, and a reply to it saying "unsubscribe" has the
	// unsubscribe link mailed to the subscriber (a From can be forged).
	MailingAddress string
	// SecretariatContact is how to reach the secretariat by phone and
	// post, to opt out of mailings (D2); empty sends people to the
	// privacy contact for it.
	SecretariatContact string
	// Stripe Checkout (issue 10): the secret API key and the webhook
	// endpoint secrets (the current one and, while rotating, the previous),
	// read from files so they stay out of the process list; StripeAPIBase
	// replaces Stripe's API address (stripe-mock). StripeKey empty: off.
	StripeKey            string
	StripeWebhookSecrets []string
	StripeAPIBase        string
	// CheckoutExpiry is how long a checkout stays open and its ticket held.
	CheckoutExpiry time.Duration
	// MetricsAllow are the client addresses /metrics answers (issue 14);
	// default loopback only.
	MetricsAllow []netip.Prefix
	// PageRecheck, when not zero, lets an anonymous request for a cached
	// public page be answered from the page cache without reading the
	// database if the page was checked less than this long ago (issue 14);
	// zero checks on every request.
	PageRecheck time.Duration
}

// TLS reports whether the server terminates TLS itself.
func (c *Config) TLS() bool { return c.TLSCert != "" }

// TLSConfig is how the server speaks TLS with the operator's certificate:
// TLS 1.3, and TLS 1.2 only with forward-secret AEAD suites (ECDHE with
// AES-GCM or ChaCha20-Poly1305). Go's defaults also offer two CBC suites,
// which scanners flag (LUCKY13); no browser of the last decade needs them.
// TLS 1.3 suites are not configurable in Go and are all AEAD.
func (c *Config) TLSConfig() (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert: cannot load the certificate and key: %w", err)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
		// The only suites offered under TLS 1.2.
		CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
			tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		},
	}, nil
}

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
func Flags(fs *flag.FlagSet) func() (*Config, error) { return flags(fs, nil) }

// StoreFlags registers only the flags a command needs to reach an
// installation's data (--data, --db, --secret-key) and to name the site
// (--base-url), so its -h lists nothing it would ignore. Every other
// setting keeps its default.
func StoreFlags(fs *flag.FlagSet) func() (*Config, error) {
	return flags(fs, []string{"data", "db", "secret-key", "base-url"})
}

// ListFlags registers what `plenary lists create` uses besides
// StoreFlags: the mail domain its address is at and the announcement
// address, whose mailbox no list may take.
func ListFlags(fs *flag.FlagSet) func() (*Config, error) {
	return flags(fs, []string{"data", "db", "secret-key", "base-url", "mail-domain", "mailing-address"})
}

// SweepFlags registers what `plenary sweep` uses besides StoreFlags: the
// retention settings, and what names this instance's access-log files and
// counts them into usage trends.
func SweepFlags(fs *flag.FlagSet) func() (*Config, error) {
	return flags(fs, []string{"data", "db", "secret-key", "base-url", "addr", "instance",
		"retention", "access-log-retention", "analytics-min-visitors"})
}

// flags registers every setting, on fs when only is nil, else on a set of
// its own, of which the settings named in only are shared with fs.
func flags(fs *flag.FlagSet, only []string) func() (*Config, error) {
	own := fs
	if only != nil {
		own = flag.NewFlagSet(fs.Name(), flag.ContinueOnError)
	}
	var (
		addr       = own.String("addr", "127.0.0.1:8080", "address to listen on `host:port`")
		dataDir    = own.String("data", "./plenary-data", "data `directory`: SQLite database, access logs, keys")
		db         = own.String("db", "", "database: empty for SQLite in the data directory, a file path, sqlite:PATH, or postgres://…")
		baseURL    = own.String("base-url", "", "public `URL` of the site, used in mailed links (default http://ADDR)")
		tlsCert    = own.String("tls-cert", "", "TLS certificate `file` (PEM); with --tls-key, serve HTTPS")
		tlsKey     = own.String("tls-key", "", "TLS private key `file` (PEM)")
		proxies    = own.String("trusted-proxies", "", "comma-separated IPs or CIDRs of reverse proxies whose X-Forwarded-For is believed")
		orgName    = own.String("org-name", "Example Standards Organization", "the organization's `name`, as shown on every page")
		orgCountry = own.String("org-country", "", "the `country` where the organization processes data, named at every point of collection")
		contact    = own.String("privacy-contact", "privacy@example.org", "`address` for privacy questions and requests")
		instance   = own.String("instance", "", "`name` of this instance, used in its access log file names (default HOST-PORT)")
		demo       = own.Bool("demo", false, "fill an empty database with example content")
		dev        = own.Bool("dev", false, "read templates and static files from disk, for development")
		announce   = own.String("announce-days", "30", "`days` a new privacy statement version is announced on the home page")
		retention  = own.String("retention", "", "comma-separated KEY=DAYS (or KEY=forever) overriding retention, e.g. access_log=30")
		accessRet  = own.String("access-log-retention", "", "`days` raw access log files are kept, or forever (same as --retention access_log=…)")
		maxBody    = own.String("max-body", "1048576", "largest accepted form body in `bytes`")
		smtpURL    = own.String("smtp", "", "outbound mail server `URL` smtp://[user:pass@]host:port[?from=ADDR&tls=none|opportunistic|mandatory]; without it mail is written to the server log")
		thirdParty = own.String("third-party-cookies", "", "comma-separated `list` of third-party cookies the operator has enabled, shown on the cookie page and in the privacy statement (default none)")
		minVis     = own.String("analytics-min-visitors", "5", "groups seen by fewer `visitors` a day are folded into (other) in usage trends")
		secretKey  = own.String("secret-key", "", "base64 master `key` (32+ bytes) for encryption and the audit chain; default: generated into DATA/secret.key")
		jobLease   = own.String("job-lease", "5m", "how long an instance holds a background job (a mailing, say) without renewing its claim; if the instance dies, another takes the job over this `duration` later")
		mailRate   = own.String("mailing-rate", "50", "most participant-mailing `messages` sent a second; halved while the mail server defers")
		mailAddr   = own.String("mailing-address", "", "announcement `address`: replies to mailings go there, and one saying unsubscribe opts out (default announce@ the --base-url host)")
		secContact = own.String("secretariat-contact", "", "the secretariat's `phone and postal address`, named in the privacy statement for opting out of mailings by phone or post")
	)
	var (
		smtpListen = own.String("smtp-listen", "", "`host:port` of the inbound mail listener for --mail-domain: replies to inquiries (inquiry+TOKEN@), replies to announcements when --mailing-address is at the mail domain, and for each discussion group NAME@ (postings), NAME-unsubscribe@ (mails a subscriber the unsubscribe link) and NAME-bounces+TOKEN@ (bounces of list mail); everything else is refused (default: off)")
		mailDomain = own.String("mail-domain", "", "`domain` of the site's own mail addresses, the only one the listener takes mail for; discussion groups are NAME@ it (default: the host of --base-url; localhost for a loopback IP address, [ADDRESS] for another)")
		maxMessage = own.String("max-message-size", "10485760", "largest inbound message in `bytes`")
		metricsAl  = own.String("metrics-allow", "127.0.0.0/8,::1/128", "comma-separated IPs or CIDRs of the monitoring hosts that may read /metrics (Prometheus text format)")
		recheck    = own.String("page-recheck", "0", "serve a cached public page without checking its data again for this `duration` after a check (e.g. 1s); 0 checks on every request")
		testProc   = own.String("test-processor-addr", "", "`host:port` of the built-in test card processor, on its own origin, for demos and tests (default: off; --demo turns it on)")
	)
	// Stripe Checkout and checkout expiry (issue 10).
	var (
		stripeKey     = own.String("stripe-secret-key-file", "", "`file` holding the Stripe secret API key (sk_…); with it, meeting payments go through Stripe Checkout (default: off)")
		stripeHooks   = own.String("stripe-webhook-secret-file", "", "`file` holding the Stripe webhook endpoint secret (whsec_…), one a line: the current one and, while rotating, the previous")
		stripeAPI     = own.String("stripe-api-base", "", "Stripe API `URL` instead of https://api.stripe.com, for stripe-mock in tests")
		checkoutLimit = own.String("checkout-expiry", "30m", "how long a card checkout stays open and its ticket held; unpaid after this `duration`, the ticket is freed")
	)
	for _, name := range only {
		f := own.Lookup(name)
		fs.Var(f.Value, f.Name, f.Usage)
	}
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
			Retention: map[string]int{}, TestProcessorAddr: strings.TrimSpace(*testProc),
		}
		if c.TestProcessorAddr == "" && c.Demo {
			c.TestProcessorAddr = "127.0.0.1:0"
		}
		if c.TestProcessorAddr != "" {
			if _, _, err := splitAddr(c.TestProcessorAddr); err != nil {
				bad("test-processor-addr", "%v", err)
			}
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
			c.BaseURLFromAddr = true
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
		for _, p := range splitList(*metricsAl) {
			pfx, err := parsePrefix(p)
			if err != nil {
				bad("metrics-allow", "%q is not an IP address or CIDR", p)
				continue
			}
			c.MetricsAllow = append(c.MetricsAllow, pfx)
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
		c.SMTPListen = strings.TrimSpace(*smtpListen)
		if c.SMTPListen != "" {
			if _, _, err := splitAddr(c.SMTPListen); err != nil {
				bad("smtp-listen", "%v", err)
			}
		}
		c.MailDomain = strings.ToLower(strings.TrimSpace(*mailDomain))
		if c.MailDomain == "" && c.BaseURL != nil {
			c.MailDomain = MailDomainOf(c.BaseURL.Hostname())
		}
		if (*mailDomain != "" || c.SMTPListen != "") && !validDomain(c.MailDomain) && !addressLiteral(c.MailDomain) {
			bad("mail-domain", "%q is not a domain name such as example.org", c.MailDomain)
		}
		if n, err := strconv.ParseInt(*maxMessage, 10, 64); err != nil || n < 1024 || n > 1<<30 {
			bad("max-message-size", "%q is not a size in bytes from 1024 to 1073741824", *maxMessage)
		} else {
			c.MaxMessageBytes = n
		}
		if d, err := time.ParseDuration(*jobLease); err != nil || d < time.Second || d > 24*time.Hour {
			bad("job-lease", "%q is not a duration from 1s to 24h, such as 5m", *jobLease)
		} else {
			c.JobLease = d
		}
		if d, err := time.ParseDuration(*recheck); *recheck == "0" {
			c.PageRecheck = 0
		} else if err != nil || d < 0 || d > time.Minute {
			bad("page-recheck", "%q is not a duration from 0 to 1m, such as 1s", *recheck)
		} else {
			c.PageRecheck = d
		}
		if n, err := strconv.ParseFloat(*mailRate, 64); err != nil || !(n >= 0.1 && n <= 100000) {
			bad("mailing-rate", "%q is not a number of messages a second from 0.1 to 100000", *mailRate)
		} else {
			c.MailingRate = n
		}
		c.MailingAddress = strings.TrimSpace(*mailAddr)
		if c.MailingAddress == "" && c.BaseURL != nil {
			c.MailingAddress = "announce@" + MailDomainOf(c.BaseURL.Hostname())
		}
		if c.MailingAddress != "" && !plainAddress(c.MailingAddress) {
			bad("mailing-address", "%q is not one e-mail address", c.MailingAddress)
		}
		c.SecretariatContact = strings.TrimSpace(*secContact)
		// Stripe Checkout and checkout expiry (issue 10).
		if d, err := time.ParseDuration(*checkoutLimit); err != nil || d < time.Minute || d > 24*time.Hour {
			bad("checkout-expiry", "%q is not a duration from 1m to 24h, such as 30m", *checkoutLimit)
		} else {
			c.CheckoutExpiry = d
		}
		if *stripeKey != "" && !broken["stripe-secret-key-file"] {
			b, err := os.ReadFile(*stripeKey)
			if k := strings.TrimSpace(string(b)); err != nil {
				bad("stripe-secret-key-file", "cannot read the file: %v", pathless(err))
			} else if !strings.HasPrefix(k, "sk_") && !strings.HasPrefix(k, "rk_") || strings.ContainsAny(k, " \n\t") {
				bad("stripe-secret-key-file", "%s does not hold one Stripe secret key (sk_… or rk_…)", *stripeKey)
			} else {
				c.StripeKey = k
			}
		}
		if *stripeHooks != "" && !broken["stripe-webhook-secret-file"] {
			b, err := os.ReadFile(*stripeHooks)
			if err != nil {
				bad("stripe-webhook-secret-file", "cannot read the file: %v", pathless(err))
			}
			for line := range strings.Lines(string(b)) {
				if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
					continue
				}
				if !strings.HasPrefix(line, "whsec_") || strings.ContainsAny(line, " \t") {
					bad("stripe-webhook-secret-file", "%s holds a line that is not a webhook secret (whsec_…)", *stripeHooks)
					break
				}
				c.StripeWebhookSecrets = append(c.StripeWebhookSecrets, line)
			}
		}
		if broken["stripe-secret-key-file"] || broken["stripe-webhook-secret-file"] {
			// reported above
		} else if (*stripeKey == "") != (*stripeHooks == "") {
			bad("stripe-secret-key-file", "--stripe-secret-key-file and --stripe-webhook-secret-file go together")
		} else if *stripeHooks != "" && len(c.StripeWebhookSecrets) == 0 && !broken["stripe-webhook-secret-file"] {
			bad("stripe-webhook-secret-file", "%s holds no webhook secret", *stripeHooks)
		}
		c.StripeAPIBase = strings.TrimSpace(*stripeAPI)
		if c.StripeAPIBase != "" && !broken["stripe-api-base"] {
			if u, err := url.Parse(c.StripeAPIBase); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				bad("stripe-api-base", "%q is not an http(s) URL", c.StripeAPIBase)
			}
		}
		if c.StripeKey != "" && strings.TrimSpace(*testProc) != "" {
			bad("test-processor-addr", "goes without --stripe-secret-key-file: one card processor at a time")
		} else if c.StripeKey != "" {
			c.TestProcessorAddr = "" // --demo with Stripe configured uses Stripe
		}
		if len(errs) > 0 {
			return nil, errors.Join(errs...)
		}
		return c, nil
	}
}

// pathless is a file error without the path, which for a key file given
// wrongly may be the key itself.
func pathless(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
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

// checkWritableDir proves that dir can be written, or created and then
// written, so a read-only data directory fails at start, not at the first
// request. It creates nothing: `serve` first binds its port, and only then
// creates the directory (a busy port must leave no new data directory
// behind), so the check writes into dir or, when dir does not exist yet,
// into its nearest existing parent.
func checkWritableDir(dir string) error {
	existing := filepath.Clean(dir)
	for {
		fi, err := os.Stat(existing)
		if err == nil {
			if !fi.IsDir() {
				return fmt.Errorf("%s is not a directory", existing)
			}
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("cannot use data directory: %w", err)
		}
		parent := filepath.Dir(existing)
		if parent == existing {
			return fmt.Errorf("cannot create data directory %s: no parent directory exists", filepath.Clean(dir))
		}
		existing = parent
	}
	f, err := os.CreateTemp(existing, ".write-check-*")
	if err != nil {
		if existing != filepath.Clean(dir) {
			return fmt.Errorf("cannot create data directory %s: %s is not writable: %w", filepath.Clean(dir), existing, err)
		}
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

// validDomain accepts a host name made of letters, digits, '-' and dots
// (or an IP address, as a test install's base URL has), nothing that could
// break an address or a header.
// MailDomainOf is what stands after the @ of the site's own addresses
// when no --mail-domain is given: the host of --base-url. A name stands
// as it is. An IP address may not stand bare (RFC 5321, 4.1.3): a
// loopback one, as in the demo's default http://127.0.0.1:8080, becomes
// localhost, the same machine by a name every mail program and header
// takes (wg-http@localhost); any other becomes an address literal,
// [192.0.2.1] or [IPv6:2001:db8::1].
func MailDomainOf(host string) string {
	ip, err := netip.ParseAddr(host)
	switch {
	case err != nil:
		return strings.ToLower(host)
	case ip.IsLoopback():
		return "localhost"
	case ip.Is4() || ip.Is4In6():
		return "[" + ip.Unmap().String() + "]"
	}
	return "[IPv6:" + ip.WithZone("").String() + "]"
}

// addressLiteral reports whether d is an IP address written as the
// domain of an address may write it (RFC 5321, 4.1.3).
func addressLiteral(d string) bool {
	if !strings.HasPrefix(d, "[") || !strings.HasSuffix(d, "]") {
		return false
	}
	inner := d[1 : len(d)-1]
	if v6, ok := strings.CutPrefix(inner, "IPv6:"); ok {
		ip, err := netip.ParseAddr(v6)
		return err == nil && ip.Is6() && ip.Zone() == ""
	}
	ip, err := netip.ParseAddr(inner)
	return err == nil && ip.Is4()
}

func validDomain(d string) bool {
	if len(d) > 253 || strings.HasPrefix(d, ".") || strings.HasSuffix(d, ".") || strings.Contains(d, "..") {
		return false
	}
	for _, r := range d {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}
