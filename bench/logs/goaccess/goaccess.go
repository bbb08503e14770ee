// Package goaccess recounts an access log the way GoAccess 1.7 counts it
// (default options, --log-format=COMBINED), and the way plenary's report
// counts it, in one plain pass over the lines with plenary's parser. It
// exists for the agreement check in bench/logs: GoAccess's JSON is compared
// with the first count, plenary's report with the second. Nothing of it is
// in plenary itself.
package goaccess

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"hash/maphash"
	"io"

	"plenary/internal/analytics"
)

// maxLine is plenary's cap on a line (analytics.Options.MaxLineBytes's
// default); a longer line is invalid to plenary, and counted failed here
// too, a known difference (see bench/README.md).
const maxLine = 64 << 10

// Day is one day's hits and unique visitors.
type Day struct{ Hits, Visitors int64 }

// Counts is a log counted under one tool's definitions.
type Counts struct {
	Total, Valid, Failed int64
	// VisitorsSum is the sum of the daily unique visitors, as GoAccess
	// prints it in its general panel.
	VisitorsSum int64
	Days        map[analytics.Date]Day
	Status      map[int]int64
}

// Result holds both counts of one log.
type Result struct {
	// GoAccess follows GoAccess 1.7: a common-format line whose size ends
	// the line is failed, a 4xx response is no visitor, and a line ending
	// before its status has no status row.
	GoAccess Counts
	// Plenary follows `plenary logs report`: every line its parser takes
	// is a request and every client a visitor; a line without a status
	// has status 0.
	Plenary Counts
}

// Count reads a log (plain or gzip-compressed, as plenary reads them
// through accesslog; here the caller passes the bytes already opened).
func Count(r io.Reader) (*Result, error) {
	res := &Result{GoAccess: newCounts(), Plenary: newCounts()}
	seed := maphash.MakeSeed()
	gaSeen := map[analytics.Date]map[uint64]struct{}{}
	plSeen := map[analytics.Date]map[uint64]struct{}{}
	br := bufio.NewReaderSize(r, maxLine+2) // room for "\r\n"
	for {
		line, err := br.ReadSlice('\n')
		tooLong := false
		for errors.Is(err, bufio.ErrBufferFull) {
			tooLong = true
			_, err = br.ReadSlice('\n')
		}
		if len(line) > 0 || tooLong {
			res.add(line, tooLong, seed, gaSeen, plSeen)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading the log: %w", err)
		}
	}
	for _, c := range []*Counts{&res.GoAccess, &res.Plenary} {
		c.Total = c.Valid + c.Failed
		for _, d := range c.Days {
			c.VisitorsSum += d.Visitors
		}
	}
	return res, nil
}

func newCounts() Counts {
	return Counts{Days: map[analytics.Date]Day{}, Status: map[int]int64{}}
}

func (res *Result) add(line []byte, tooLong bool, seed maphash.Seed, gaSeen, plSeen map[analytics.Date]map[uint64]struct{}) {
	line = bytes.TrimRight(line, "\r\n")
	if !tooLong && (len(line) == 0 || line[0] == '#') {
		return // skipped by both, counted by neither
	}
	if !tooLong && len(bytes.TrimSpace(line)) == 0 {
		// plenary skips a line of spaces as blank; GoAccess skips only
		// empty lines and comments.
		res.GoAccess.Failed++
		return
	}
	e, ok := analytics.ParseLine(line)
	if tooLong || len(line) > maxLine || !ok {
		res.GoAccess.Failed++
		res.Plenary.Failed++
		return
	}
	var h maphash.Hash
	h.SetSeed(seed)
	h.Write(e.Client)
	h.WriteByte(0)
	h.Write(analytics.NormalizeAgent(e.UserAgent))
	visitor := h.Sum64()

	count(&res.Plenary, plSeen, e.Date, visitor, true)
	res.Plenary.Status[e.Status]++
	if sizeEndsLine(line, e) {
		res.GoAccess.Failed++
		return
	}
	count(&res.GoAccess, gaSeen, e.Date, visitor, e.Status < 400 || e.Status > 499)
	if e.Status != 0 {
		res.GoAccess.Status[e.Status]++
	}
}

func count(c *Counts, seen map[analytics.Date]map[uint64]struct{}, date analytics.Date, visitor uint64, isVisitor bool) {
	c.Valid++
	d := c.Days[date]
	d.Hits++
	if isVisitor {
		if seen[date] == nil {
			seen[date] = map[uint64]struct{}{}
		}
		if _, dup := seen[date][visitor]; !dup {
			seen[date][visitor] = struct{}{}
			d.Visitors++
		}
	}
	c.Days[date] = d
}

// sizeEndsLine reports the one shape plenary accepts and GoAccess 1.7
// rejects: a common-format line whose size is its last byte, with no
// space after it. The request field points into line, so what follows its
// closing quote is found from the slices' capacities.
func sizeEndsLine(line []byte, e analytics.Entry) bool {
	if e.Status == 0 || e.Combined {
		return false
	}
	after := cap(line) - cap(e.Request) + len(e.Request) + 1
	rest := line[after:] // " STATUS SIZE..."
	if len(rest) < 2 {
		return false
	}
	rest = rest[1:]
	sp := bytes.IndexByte(rest, ' ')
	if sp < 0 {
		return false
	}
	rest = rest[sp+1:]
	return len(rest) > 0 && bytes.IndexByte(rest, ' ') < 0
}
