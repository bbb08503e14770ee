package analytics

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"encoding/binary"
	"hash/maphash"
	"slices"
	"sync"
	"unicode/utf8"
)

// keyring holds, for each day, the random key of the visitor hash and the
// set of hashes. All partial aggregates of one analysis share it, so that a
// visitor seen by two workers hashes to the same value and is stored once.
// Key and hashes live and die together.
type keyring struct {
	mu   sync.Mutex
	days map[Date]*dayShared
	ua   sipKey // fingerprints user agents, for this run only
	// fixed, when set, is every day's key (Options.VisitorKey) instead of
	// a random one.
	fixed *sipKey
}

type dayShared struct {
	key      sipKey
	visitors visitorSet

	mu    sync.Mutex
	posts map[uint64]int32    // POSTs per keyed (visitor, path), for FloodPosts
	flood map[uint64]struct{} // visitors FloodPosts made robots
}

func newKeyring() *keyring {
	return &keyring{days: make(map[Date]*dayShared), ua: randomKey()}
}

// keyringFor uses opts.VisitorKey when it is set: its first half keys the
// visitor hash, its second the user-agent fingerprint, so that instances
// given the same key hash a visitor alike.
func keyringFor(opts Options) *keyring {
	k := newKeyring()
	if vk := opts.VisitorKey; vk != nil {
		k.fixed = &sipKey{binary.LittleEndian.Uint64(vk[0:8]), binary.LittleEndian.Uint64(vk[8:16])}
		k.ua = sipKey{binary.LittleEndian.Uint64(vk[16:24]), binary.LittleEndian.Uint64(vk[24:32])}
	}
	return k
}

func randomKey() sipKey {
	var b [16]byte
	// crypto/rand.Read never fails on supported platforms (it panics
	// rather than return weak randomness), so there is no error to handle.
	rand.Read(b[:])
	return sipKey{binary.LittleEndian.Uint64(b[:8]), binary.LittleEndian.Uint64(b[8:])}
}

func (k *keyring) day(d Date) *dayShared {
	k.mu.Lock()
	defer k.mu.Unlock()
	ds, ok := k.days[d]
	if !ok {
		ds = &dayShared{key: randomKey()}
		if k.fixed != nil {
			ds.key = *k.fixed
		}
		k.days[d] = ds
	}
	return ds
}

// forget drops a day's key and hashes: from then on nobody, not even this
// process, can tell whether a given address and agent visited that day.
func (k *keyring) forget(d Date) {
	k.mu.Lock()
	ds := k.days[d]
	delete(k.days, d)
	k.mu.Unlock()
	if ds != nil {
		ds.key = sipKey{}
		ds.visitors.clear()
		ds.mu.Lock()
		ds.posts, ds.flood = nil, nil
		ds.mu.Unlock()
	}
}

// visHuman is the flag kept with a visitor's hash when its agent is not a
// bot's.
const visHuman uint8 = 1

// dayAgg is one day inside a partial aggregate.
type dayAgg struct {
	date   Date
	shared *dayShared // key and visitor set, shared with sibling aggregates

	Counts         // without the visitors, which shared holds
	status         [600]int64
	hours          [24]int64
	browsers, oses map[uaName]int64
	bots           map[string]int64
	groups         *[numDims]groupSet // with Options.Groups
}

// uaInfo caches what a user agent tells us, keyed by a hash of its raw
// bytes: real logs carry a few thousand distinct agents at most, so the
// pattern matching runs once per agent instead of once per line.
type uaInfo struct {
	class uaClass
	fp    [8]byte // keyed fingerprint of the normalised agent (NormalizeAgent)
}

// Aggregator accumulates parsed lines into per-day aggregates and capped
// top-N tables. One Aggregator is used by one goroutine; parallel work uses
// siblings from Fork, merged at the end with Merge.
type Aggregator struct {
	opts Options
	keys *keyring
	site []byte // lower-cased own host, for self-referrals

	days    map[Date]*dayAgg
	cur     *dayAgg
	uaSeed  maphash.Seed
	uaCache map[uint64]*uaInfo
	scratch []byte

	paths, notFound, referrers *topCounter
	staticRefs                 *topCounter // referrers of static files, with Options.GuessSite

	valid, invalid, blank, outside int64
	samples                        []Sample
}

// Sample is an invalid line kept to help find parsing problems. Text is a
// short prefix of the line with anything that looks like an address masked,
// so that a report never carries a client address (U1).
type Sample struct {
	Source string `json:"source"`
	Line   int64  `json:"line"`
	Reason string `json:"reason"`
	Text   string `json:"text"`
}

// NewAggregator returns an empty aggregate with fresh random keys.
func NewAggregator(opts Options) *Aggregator {
	return newAggregator(opts.withDefaults(), keyringFor(opts))
}

func newAggregator(opts Options, keys *keyring) *Aggregator {
	a := &Aggregator{
		opts:      opts,
		keys:      keys,
		days:      make(map[Date]*dayAgg),
		uaSeed:    maphash.MakeSeed(),
		uaCache:   make(map[uint64]*uaInfo),
		paths:     newTopCounter(opts.TableCap),
		notFound:  newTopCounter(opts.TableCap),
		referrers: newTopCounter(opts.TableCap),
	}
	if opts.Site != "" {
		// www.example.org and example.org are one site, whichever of the
		// two is configured.
		a.site = bytes.TrimPrefix(bytes.ToLower([]byte(opts.Site)), []byte("www."))
	} else if opts.GuessSite {
		a.staticRefs = newTopCounter(opts.TableCap)
	}
	return a
}

// Fork returns an empty sibling that shares this aggregate's keys, for a
// parallel worker whose result is later merged into this one.
func (a *Aggregator) Fork() *Aggregator { return newAggregator(a.opts, a.keys) }

// AddLine parses one line and counts it. src and lineNo only label invalid
// line samples. It reports whether the line was a valid record.
func (a *Aggregator) AddLine(src string, lineNo int64, line []byte) bool {
	var e Entry
	if len(line) > a.opts.MaxLineBytes {
		a.reject(src, lineNo, line, reasonTooLong)
		return false
	}
	switch r := parseInto(&e, line); r {
	case reasonOK:
	case reasonBlank:
		a.blank++
		return false
	default:
		a.reject(src, lineNo, line, r)
		return false
	}
	a.Add(&e)
	return true
}

func (a *Aggregator) reject(src string, lineNo int64, line []byte, r reason) {
	a.invalid++
	if a.opts.Samples <= 0 {
		return
	}
	// Keep the earliest lines, so the samples do not depend on which worker
	// saw which chunk.
	if len(a.samples) >= a.opts.Samples && compareSample(Sample{Source: src, Line: lineNo}, a.samples[len(a.samples)-1]) > 0 {
		return
	}
	a.samples = append(a.samples, Sample{Source: src, Line: lineNo, Reason: r.String(), Text: redactLine(line)})
	a.trimSamples()
}

func (a *Aggregator) trimSamples() {
	slices.SortStableFunc(a.samples, compareSample)
	if n := max(a.opts.Samples, 0); len(a.samples) > n {
		a.samples = a.samples[:n]
	}
}

func compareSample(x, y Sample) int {
	if c := cmp.Compare(x.Source, y.Source); c != 0 {
		return c
	}
	return cmp.Compare(x.Line, y.Line)
}

// pathKind is what a request's path is counted as.
type pathKind uint8

const (
	kindPage pathKind = iota
	kindStatic
	kindNotFound
	kindHealthCheck // neither a page nor a file: see BotHealthCheck
)

// Add counts one parsed entry, unless it falls outside Options.From/To.
func (a *Aggregator) Add(e *Entry) {
	if (a.opts.From != 0 && e.Date < a.opts.From) || (a.opts.To != 0 && e.Date > a.opts.To) {
		a.outside++
		return
	}
	a.valid++
	date := e.Date
	if a.opts.Day != 0 {
		date = a.opts.Day
	}
	d := a.cur
	if d == nil || d.date != date {
		d = a.day(date)
		a.cur = d
	}
	info := a.agent(e.UserAgent)
	v := d.shared.key.sum64(e.Client, info.fp[:])
	path := a.cleanPath(e.Path)
	kind := kindPage
	switch {
	case e.Status == 404:
		kind = kindNotFound
	case isHealthCheck(path):
		kind = kindHealthCheck
	case isStatic(path):
		kind = kindStatic
	}
	bot := info.class.bot
	if bot == "" && kind == kindHealthCheck {
		bot = BotHealthCheck
	}
	if bot == "" && bytes.Equal(e.Method, methodPost) {
		bot = a.formFlood(d, info.class, path, v)
	}

	d.Requests++
	d.hours[e.Hour]++
	d.status[e.Status]++
	if e.Size > 0 {
		d.Bytes += e.Size
	}
	var flags uint8
	if bot != "" {
		d.BotRequests++
		d.bots[bot]++
	} else {
		flags |= visHuman
		d.HumanRequests++
		d.browsers[info.class.browser]++
		d.oses[info.class.os]++
	}
	d.shared.visitors.add(v, flags)
	if d.groups != nil {
		a.countGroups(d, v, e, info.class, bot, path, kind)
	}

	switch kind {
	case kindNotFound:
		d.NotFound++
		a.notFound.add(path)
	case kindStatic:
		d.StaticFiles++
		a.paths.add(path)
	case kindPage:
		d.Pages++
		a.paths.add(path)
	}
	if site := a.refSite(e.Referrer); site != nil {
		a.referrers.add(site)
		if a.staticRefs != nil && kind == kindStatic {
			// www.example.org and example.org are one site.
			a.staticRefs.add(bytes.TrimPrefix(site, []byte("www.")))
		}
		if d.groups != nil {
			d.groups[gReferrer].add(site, v, 1, a.opts.MaxGroups)
		}
	}
}

func (a *Aggregator) day(date Date) *dayAgg {
	d, ok := a.days[date]
	if !ok {
		d = &dayAgg{
			date:     date,
			shared:   a.keys.day(date),
			browsers: make(map[uaName]int64),
			oses:     make(map[uaName]int64),
			bots:     make(map[string]int64),
		}
		if a.opts.Groups {
			d.groups = new([numDims]groupSet)
			for i := range d.groups {
				d.groups[i] = groupSet{}
			}
		}
		a.days[date] = d
	}
	return d
}

func (a *Aggregator) agent(ua []byte) *uaInfo {
	h := maphash.Bytes(a.uaSeed, ua)
	if info, ok := a.uaCache[h]; ok {
		return info
	}
	if len(a.uaCache) >= 1<<16 {
		// Agents are unbounded on hostile input; start afresh rather than grow.
		clear(a.uaCache)
	}
	info := &uaInfo{class: classifyUA(ua)}
	var norm []byte
	norm, a.scratch = normalizeAgent(ua, a.scratch)
	binary.LittleEndian.PutUint64(info.fp[:], a.keys.ua.sum64(norm, nil))
	a.uaCache[h] = info
	return info
}

// Merge adds a sibling's counts into a. Siblings share one visitor set per
// day, so a visitor seen by both counts once.
func (a *Aggregator) Merge(o *Aggregator) {
	if a.keys != o.keys {
		panic("analytics: Merge of aggregates with different keys; use Fork")
	}
	for date, od := range o.days {
		d, ok := a.days[date]
		if !ok {
			a.days[date] = od
			continue
		}
		d.Counts.add(od.Counts)
		for i := range d.status {
			d.status[i] += od.status[i]
		}
		for i := range d.hours {
			d.hours[i] += od.hours[i]
		}
		for k, v := range od.browsers {
			d.browsers[k] += v
		}
		for k, v := range od.oses {
			d.oses[k] += v
		}
		for k, v := range od.bots {
			d.bots[k] += v
		}
		if d.groups != nil && od.groups != nil {
			for i := range d.groups {
				d.groups[i].merge(od.groups[i])
			}
		}
	}
	a.cur = nil
	a.paths.merge(o.paths)
	a.notFound.merge(o.notFound)
	a.referrers.merge(o.referrers)
	if a.staticRefs != nil {
		a.staticRefs.merge(o.staticRefs)
	}
	a.valid += o.valid
	a.invalid += o.invalid
	a.blank += o.blank
	a.outside += o.outside
	a.samples = append(a.samples, o.samples...)
	a.trimSamples()
	*o = Aggregator{}
}

// Day is the complete aggregate of one day, in the shape of a row (plus
// small child tables) of daily aggregate storage. Nothing in it identifies
// a person: visitors are counts only.
type Day struct {
	Date Date `json:"-"`
	Counts
	Status          map[int]int64    `json:"status"`
	Hours           [24]int64        `json:"hours"`
	Browsers        map[string]int64 `json:"browsers"`
	OperatingSystem map[string]int64 `json:"operating_systems"`
	Bots            map[string]int64 `json:"bots"`
	// Groups holds each dimension's groups (see the Dim constants), those
	// seen by fewer than Options.MinVisitors visitors folded into Other;
	// only with Options.Groups.
	Groups map[string][]Group `json:"-"`
	// VisitorSketch and HumanSketch sketch the day's visitors and human
	// visitors for merging with other instances' (see Sketch); only with
	// Options.VisitorKey.
	VisitorSketch, HumanSketch *Sketch `json:"-"`
}

func (d *dayAgg) export(k int, sketches bool) Day {
	out := Day{
		Date:            d.date,
		Counts:          d.Counts,
		Hours:           d.hours,
		Status:          make(map[int]int64),
		Browsers:        make(map[string]int64, len(d.browsers)),
		OperatingSystem: make(map[string]int64, len(d.oses)),
		Bots:            make(map[string]int64, len(d.bots)),
	}
	for code, n := range d.status {
		if n > 0 {
			out.Status[code] = n
		}
	}
	flood := d.shared.floodVisitors()
	out.UniqueVisitors, out.HumanVisitors = d.shared.visitors.counts(flood)
	// A count can be 0 once FloodPosts moved a client's posts to the robots.
	for k, v := range d.browsers {
		if v != 0 {
			out.Browsers[k.String()] += v
		}
	}
	for k, v := range d.oses {
		if v != 0 {
			out.OperatingSystem[k.String()] += v
		}
	}
	for k, v := range d.bots {
		out.Bots[k] = v
	}
	if d.groups != nil {
		out.Groups = make(map[string][]Group, numDims)
		for i, name := range dims {
			var skip map[uint64]struct{}
			if i == gBrowser || i == gOS {
				skip = flood // robots, not people, since their flood
			}
			out.Groups[name] = d.groups[i].fold(k, skip, sketches)
		}
	}
	return out
}

// Days returns the aggregate of every day seen so far, oldest first. Days
// stay open: more lines for them may still be added.
func (a *Aggregator) Days() []Day {
	out := make([]Day, 0, len(a.days))
	for _, d := range a.days {
		out = append(out, d.export(a.opts.MinVisitors, false))
	}
	slices.SortFunc(out, func(x, y Day) int { return cmp.Compare(x.Date, y.Date) })
	return out
}

// CloseDay returns a day's final aggregate and forgets everything else
// about it: the visitor hashes and the day's key (for siblings from Fork
// too, which share them). An ingestion job calls it once a day can receive
// no more lines; lines for that day added later start a new, separate set
// of visitors.
func (a *Aggregator) CloseDay(date Date) (Day, bool) {
	d, ok := a.days[date]
	if !ok {
		return Day{}, false
	}
	out := d.export(a.opts.MinVisitors, a.opts.VisitorKey != nil)
	if a.opts.VisitorKey != nil {
		out.VisitorSketch, out.HumanSketch = d.shared.visitors.sketches(d.shared.floodVisitors())
	}
	delete(a.days, date)
	if a.cur == d {
		a.cur = nil
	}
	a.keys.forget(date)
	return out, true
}

// closeAll drops every visitor set and key once a report has its counts.
func (a *Aggregator) closeAll() {
	for date := range a.days {
		a.CloseDay(date)
	}
}

// cleanPath drops the query string and fragment (they carry search terms,
// tokens and e-mail addresses far more often than anything useful for a
// trend) and replaces path segments that look like secret tokens with
// "{token}", so a one-off link such as /unsubscribe/<token> is counted as a
// route rather than shown as a single visit.
func (a *Aggregator) cleanPath(p []byte) []byte {
	if i := bytes.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	if len(p) > 256 {
		p = p[:256]
	}
	if !hasTokenSegment(p) {
		return p
	}
	out := a.scratch[:0]
	for i, seg := range bytes.Split(p, []byte("/")) {
		if i > 0 {
			out = append(out, '/')
		}
		if looksLikeToken(seg) {
			out = append(out, "{token}"...)
		} else {
			out = append(out, seg...)
		}
	}
	a.scratch = out
	return out
}

func hasTokenSegment(p []byte) bool {
	start := 0
	for i := 0; i <= len(p); i++ {
		if i == len(p) || p[i] == '/' {
			if i-start >= 16 && looksLikeToken(p[start:i]) {
				return true
			}
			start = i + 1
		}
	}
	return false
}

// looksLikeToken: at least 16 characters of a URL-safe alphabet with no dot,
// and either mixed case with digits (base64-style) or hexadecimal with
// digits and letters. Lower-case words with hyphens, such as the names of
// Internet-Drafts, are not tokens.
func looksLikeToken(s []byte) bool {
	if len(s) < 16 {
		return false
	}
	var upper, lower, digit, nonHex bool
	for _, c := range s {
		switch {
		case c >= 'A' && c <= 'Z':
			upper = true
			nonHex = nonHex || c > 'F'
		case c >= 'a' && c <= 'z':
			lower = true
			nonHex = nonHex || c > 'f'
		case c >= '0' && c <= '9':
			digit = true
		case c == '-' || c == '_':
			nonHex = true
		default:
			return false
		}
	}
	return (upper && lower && digit) || (!nonHex && digit && (upper || lower))
}

// staticExt lists extensions of files a browser fetches to render a page
// (styles, scripts, images, fonts, media). Documents such as .txt, .pdf and
// .xml are the content of a standards body's site and count as pages.
var staticExt = map[string]bool{
	"css": true, "js": true, "mjs": true, "map": true, "png": true, "jpg": true, "jpeg": true,
	"gif": true, "svg": true, "ico": true, "webp": true, "avif": true, "bmp": true,
	"woff": true, "woff2": true, "ttf": true, "otf": true, "eot": true,
	"mp4": true, "webm": true, "mp3": true, "ogg": true, "wav": true, "swf": true,
}

func isStatic(path []byte) bool {
	dot := bytes.LastIndexByte(path, '.')
	if dot < 0 || dot < bytes.LastIndexByte(path, '/') || len(path)-dot > 7 {
		return false
	}
	var buf [6]byte
	ext := buf[:0]
	for _, c := range path[dot+1:] {
		if c >= 'A' && c <= 'Z' {
			c += 32
		}
		ext = append(ext, c)
	}
	return staticExt[string(ext)]
}

// refSite returns the lower-cased host of a referrer URL, or nil for none,
// for a malformed one, or for a self-referral to Options.Site.
func (a *Aggregator) refSite(ref []byte) []byte {
	i := bytes.Index(ref, []byte("//"))
	if i < 0 {
		return nil
	}
	h := ref[i+2:]
	if j := bytes.IndexAny(h, "/?#\\\""); j >= 0 {
		h = h[:j]
	}
	if j := bytes.LastIndexByte(h, '@'); j >= 0 {
		h = h[j+1:]
	}
	if j := bytes.LastIndexByte(h, ':'); j >= 0 && bytes.IndexByte(h, ']') < j {
		h = h[:j]
	}
	if len(h) == 0 || len(h) > 253 {
		return nil
	}
	needLower := false
	for _, c := range h {
		if c >= 'A' && c <= 'Z' {
			needLower = true
			break
		}
	}
	if needLower {
		a.scratch = append(a.scratch[:0], h...)
		for k, c := range a.scratch {
			if c >= 'A' && c <= 'Z' {
				a.scratch[k] = c + 32
			}
		}
		h = a.scratch
	}
	if a.site != nil && isSite(h, a.site) {
		return nil
	}
	return h
}

// isSite reports whether host h is the site's own host or its www. name.
func isSite(h, site []byte) bool {
	return bytes.Equal(h, site) || (bytes.HasPrefix(h, []byte("www.")) && bytes.Equal(h[4:], site))
}

// guessSite names the host that referred most static files and removes it
// from the referring sites (Options.GuessSite); "" when no host referred
// more than half of them, as when other sites embed the images: then there
// is no telling which host is the site's own.
func (a *Aggregator) guessSite() string {
	if a.staticRefs == nil || len(a.staticRefs.keys) == 0 {
		return ""
	}
	first := a.staticRefs.sorted()[0]
	if 2*a.staticRefs.counts[first] <= a.staticRefs.total() {
		return ""
	}
	site := []byte(a.staticRefs.keys[first])
	a.referrers.remove(func(k string) bool { return isSite([]byte(k), site) })
	return string(site)
}

// redactLine makes a short, valid UTF-8 sample of a rejected line: at most
// the first 120 bytes, cut before the referrer and user agent when the line
// has a quoted request, else cut before anything that looks like a
// user-agent product token ("Mozilla/5.0", "curl/8.5.0"), with every
// address-like token replaced by "<addr>".
func redactLine(line []byte) string {
	line = bytes.TrimRight(line, "\r\n")
	cut := -1
	if q := bytes.IndexByte(line, '"'); q >= 0 {
		if q2 := closingQuote(line[q+1:]); q2 >= 0 {
			cut = q + 1 + q2 + 1
		}
	}
	if cut < 0 {
		cut = productToken(line)
	}
	cut = min(cut, 120)
	truncated := cut < len(line)
	line = line[:cut]

	var out []byte
	for i := 0; i < len(line); {
		j := i
		for j < len(line) && isAddrByte(line[j]) {
			j++
		}
		if j > i {
			tok := line[i:j]
			if looksLikeAddr(tok) {
				out = append(out, "<addr>"...)
			} else {
				out = append(out, tok...)
			}
			i = j
			continue
		}
		out = append(out, line[i])
		i++
	}
	s := sanitize(out)
	if truncated {
		s += "…"
	}
	return s
}

// productToken returns the offset of the first word of the form
// letters/digit, the shape that starts a user agent, or len(b).
func productToken(b []byte) int {
	for i := 0; i < len(b); i++ {
		if i > 0 && b[i-1] != ' ' && b[i-1] != '"' && b[i-1] != '(' {
			continue
		}
		j := i
		for j < len(b) && (b[j]|0x20 >= 'a' && b[j]|0x20 <= 'z' || b[j] == '-' || b[j] == '_') {
			j++
		}
		if j > i && j+1 < len(b) && b[j] == '/' && b[j+1] >= '0' && b[j+1] <= '9' {
			return i
		}
	}
	return len(b)
}

func isAddrByte(c byte) bool {
	return (c >= '0' && c <= '9') || (c|0x20 >= 'a' && c|0x20 <= 'f') || c == '.' || c == ':'
}

// looksLikeAddr is deliberately generous: masking a time such as 10:00:00
// costs little, letting an address through would break a promise.
func looksLikeAddr(tok []byte) bool {
	dots, colons, digits := 0, 0, 0
	for _, c := range tok {
		switch {
		case c == '.':
			dots++
		case c == ':':
			colons++
		case c >= '0' && c <= '9':
			digits++
		}
	}
	return (dots >= 2 && digits >= 3) || colons >= 2 && len(tok) >= 3
}

// sanitize returns b as valid UTF-8 with control characters replaced, so
// that every string in a report is printable.
func sanitize(b []byte) string {
	if utf8.Valid(b) {
		clean := true
		for _, c := range b {
			if c < 0x20 || c == 0x7f {
				clean = false
				break
			}
		}
		if clean {
			return string(b)
		}
	}
	out := make([]rune, 0, len(b))
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r < 0x20 || r == 0x7f {
			r = utf8.RuneError
		}
		out = append(out, r)
		b = b[n:]
	}
	return string(out)
}
