package analytics

import (
	"cmp"
	"encoding/binary"
	"slices"
	"strconv"
)

// Dimensions of the per-day group tables (Options.Groups), by the names
// daily aggregate storage files them under.
const (
	DimPage     = "page"
	DimReferrer = "referrer"
	DimBrowser  = "browser"
	DimOS       = "os"
	DimBot      = "bot"
	DimStatus   = "status"
	DimHour     = "hour"
	DimNotFound = "not_found"
)

// Other is the name of the row that holds folded groups.
const Other = "(other)"

// dims lists the dimensions in the order of the group arrays of a day.
var dims = [...]string{DimPage, DimReferrer, DimBrowser, DimOS, DimBot, DimStatus, DimHour, DimNotFound}

const (
	gPage = iota
	gReferrer
	gBrowser
	gOS
	gBot
	gStatus
	gHour
	gNotFound
	numDims
)

// Robot families that come from what a client does rather than from its
// user agent.
const (
	// BotHealthCheck counts requests for the health-check address
	// (HealthCheckPath): a load balancer or monitor asking whether the
	// site is up reads no page, whatever agent it sends.
	BotHealthCheck = "health checks"
	// BotFormFlood counts the posts of a client that posted to one address
	// more than FloodPosts times in a day (see FloodPosts).
	BotFormFlood = "form flood (password guessing or spam)"
)

// HealthCheckPath is the address plenary answers health checks on.
const HealthCheckPath = "/healthz"

// FloodPosts is the rule that tells a brute force from people. A client —
// one address with one user agent — that sends more than FloodPosts POST
// requests to the same path (query dropped, secret tokens folded) within one
// day is a robot: every one of those posts, the first FloodPosts included,
// counts as a robot request under BotFormFlood, and the client is no longer
// counted among the day's people, in the visitor totals or in the browser
// and system tables. A person signs in, resets a password or sends a form a
// few times a day, not twenty times to the same address. The client's other
// requests (the pages it loaded) keep the class its user agent gave them.
const FloodPosts = 20

// Group is one row of a day's group table: a name, the requests it had
// and the distinct visitors that made them.
type Group struct {
	Name     string
	Requests int64
	Visitors int64
	// Sketch holds the visitors for merging with other instances' row of
	// the same group and day (see Sketch); only from CloseDay with
	// Options.VisitorKey.
	Sketch *Sketch
}

// group is a Group while a day is counted.
type group struct {
	requests int64
	visitors map[uint64]struct{}
}

// groupSet holds one dimension's groups, at most max of them; past that,
// new names count toward Other so a log full of random paths cannot
// exhaust memory.
type groupSet map[string]*group

func (m groupSet) add(name []byte, v uint64, n int64, max int) {
	g, ok := m[string(name)]
	if !ok {
		key := sanitize(name)
		if g, ok = m[key]; !ok {
			if len(m) >= max {
				key = Other
				g = m[key]
			}
			if g == nil {
				g = &group{visitors: map[uint64]struct{}{}}
				m[key] = g
			}
		}
	}
	g.requests += n
	g.visitors[v] = struct{}{}
}

func (m groupSet) merge(o groupSet) {
	for name, og := range o {
		g, ok := m[name]
		if !ok {
			m[name] = og
			continue
		}
		g.requests += og.requests
		for v := range og.visitors {
			g.visitors[v] = struct{}{}
		}
	}
}

// fold keeps the groups with at least k visitors (not counting the ones in
// skip) and sums the rest into one Other row, whose visitor count is the
// size of the union, so that it too counts people, not memberships. With
// sketches, each row also sketches its visitors.
func (m groupSet) fold(k int, skip map[uint64]struct{}, sketches bool) []Group {
	out := []Group{}
	other := Group{Name: Other}
	otherVisitors := map[uint64]struct{}{}
	for name, g := range m {
		n := 0
		for v := range g.visitors {
			if _, s := skip[v]; !s {
				n++
			}
		}
		if name != Other && n >= k && n > 0 {
			row := Group{Name: name, Requests: g.requests, Visitors: int64(n)}
			if sketches {
				row.Sketch = sketchOf(g.visitors, skip)
			}
			out = append(out, row)
			continue
		}
		other.Requests += g.requests
		for v := range g.visitors {
			if _, s := skip[v]; !s {
				otherVisitors[v] = struct{}{}
			}
		}
	}
	if other.Requests != 0 {
		other.Visitors = int64(len(otherVisitors))
		if sketches {
			other.Sketch = sketchOf(otherVisitors, nil)
		}
		out = append(out, other)
	}
	slices.SortFunc(out, func(x, y Group) int { return cmp.Compare(x.Name, y.Name) })
	return out
}

// countGroups adds one request to each group table it belongs to.
func (a *Aggregator) countGroups(d *dayAgg, v uint64, e *Entry, cls uaClass, bot string, path []byte, kind pathKind) {
	max := a.opts.MaxGroups
	var buf [32]byte
	d.groups[gStatus].add(strconv.AppendInt(buf[:0], int64(e.Status), 10), v, 1, max)
	d.groups[gHour].add(append(buf[:0], '0'+e.Hour/10, '0'+e.Hour%10), v, 1, max)
	if bot != "" {
		d.groups[gBot].add([]byte(bot), v, 1, max)
	} else {
		d.groups[gBrowser].add(cls.browser.appendTo(buf[:0]), v, 1, max)
		d.groups[gOS].add(cls.os.appendTo(buf[:0]), v, 1, max)
	}
	switch kind {
	case kindNotFound:
		d.groups[gNotFound].add(path, v, 1, max)
	case kindPage:
		d.groups[gPage].add(path, v, 1, max)
	}
}

// appendTo writes the name as String does, without allocating.
func (u uaName) appendTo(b []byte) []byte {
	b = append(b, u.name...)
	if u.vlen > 0 {
		b = append(b, ' ')
		b = append(b, u.ver[:u.vlen]...)
	}
	return b
}

// isHealthCheck reports whether a cleaned path is the health-check address.
func isHealthCheck(path []byte) bool { return string(path) == HealthCheckPath }

var methodPost = []byte("POST")

// formFlood applies FloodPosts to a person's POST and returns BotFormFlood
// when the client has crossed it. On the post that crosses it, the client's
// earlier posts to the path, counted as a person's when they came, move to
// the robots; which worker sees that post does not matter, because the
// partial aggregates are summed.
func (a *Aggregator) formFlood(d *dayAgg, cls uaClass, path []byte, v uint64) string {
	n := d.shared.post(v, path)
	if n <= FloodPosts {
		return ""
	}
	if n == FloodPosts+1 {
		const moved = FloodPosts
		d.HumanRequests -= moved
		d.BotRequests += moved
		d.browsers[cls.browser] -= moved
		d.oses[cls.os] -= moved
		d.bots[BotFormFlood] += moved
		if d.groups != nil {
			var buf [32]byte
			d.groups[gBrowser].add(cls.browser.appendTo(buf[:0]), v, -moved, a.opts.MaxGroups)
			d.groups[gOS].add(cls.os.appendTo(buf[:0]), v, -moved, a.opts.MaxGroups)
			d.groups[gBot].add([]byte(BotFormFlood), v, moved, a.opts.MaxGroups)
		}
	}
	return BotFormFlood
}

// post counts one POST by visitor v to path and returns how many it has
// sent there today, marking the visitor as a robot past FloodPosts.
func (s *dayShared) post(v uint64, path []byte) int32 {
	var vb [8]byte
	binary.LittleEndian.PutUint64(vb[:], v)
	k := s.key.sum64(path, vb[:])
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.posts == nil {
		s.posts = map[uint64]int32{}
	}
	s.posts[k]++
	n := s.posts[k]
	if n > FloodPosts {
		if s.flood == nil {
			s.flood = map[uint64]struct{}{}
		}
		s.flood[v] = struct{}{}
	}
	return n
}

// floodVisitors returns the visitors marked as robots by FloodPosts.
func (s *dayShared) floodVisitors() map[uint64]struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.flood
}

// sketchOf sketches the visitors of a group that are not in skip.
func sketchOf(visitors, skip map[uint64]struct{}) *Sketch {
	s := new(Sketch)
	for v := range visitors {
		if _, robot := skip[v]; !robot {
			s.Add(v)
		}
	}
	return s
}
