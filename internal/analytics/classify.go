package analytics

// Traits are what one request contributes to the trend tables: names
// derived from its user agent, its page with secrets and query removed,
// and the site that referred it. None of them is the address or the raw
// user agent (U1).
type Traits struct {
	Browser, OS string // empty for bots
	Bot         string // bot family, empty for a person's browser
	Path        string // cleaned path; "{token}" stands for secret segments
	Static      bool   // a style sheet, script, image, font or media file
	Referrer    string // referring host, empty for none or a self-referral
}

// Classifier derives Traits, caching what each user agent tells, for the
// database ingestion job that needs per-group counts beyond a Report.
type Classifier struct {
	agg   *Aggregator
	cache map[string]uaClass
}

// NewClassifier returns a classifier; site is the site's own host name,
// whose referrals are not counted as referring sites.
func NewClassifier(site string) *Classifier {
	return &Classifier{agg: newAggregator(Options{Site: site}.withDefaults(), newKeyring()), cache: map[string]uaClass{}}
}

// Classify returns the traits of one parsed line.
func (c *Classifier) Classify(e *Entry) Traits {
	cls, ok := c.cache[string(e.UserAgent)]
	if !ok {
		cls = classifyUA(e.UserAgent)
		if len(c.cache) > 1<<14 {
			clear(c.cache)
		}
		c.cache[string(e.UserAgent)] = cls
	}
	t := Traits{Bot: cls.bot}
	if cls.bot == "" {
		t.Browser, t.OS = cls.browser.String(), cls.os.String()
	}
	path := c.agg.cleanPath(e.Path)
	t.Static = isStatic(path)
	// Valid UTF-8 without control bytes: PostgreSQL refuses a NUL in text,
	// and one such line would keep a whole day out of the trends.
	t.Path = sanitize(path)
	if site := c.agg.refSite(e.Referrer); site != nil {
		t.Referrer = sanitize(site)
	}
	return t
}
