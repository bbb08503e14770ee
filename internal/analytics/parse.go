package analytics

import (
	"bytes"
	"net/netip"
)

// Format is the layout of a log file.
type Format uint8

const (
	// FormatUnknown means no valid line was seen to decide.
	FormatUnknown Format = iota
	// FormatCommon is the NCSA common log format: no referrer, no user agent.
	FormatCommon
	// FormatCombined is common plus quoted referrer and user agent; nginx's
	// and Apache's default, and what plenary's access log writes.
	FormatCombined
)

func (f Format) String() string {
	switch f {
	case FormatCommon:
		return "common"
	case FormatCombined:
		return "combined"
	}
	return "unknown"
}

// Entry is one parsed log line. Its byte slices point into the line that was
// parsed, so they are valid only as long as that buffer is; copy what you keep.
type Entry struct {
	// Client is the remote address as written (IPv4 or IPv6, without brackets).
	Client []byte
	// Date is the day as written in the line; Hour, Minute, Second the time.
	Date                 Date
	Hour, Minute, Second uint8
	// Zone is the UTC offset written in the line, in minutes east of UTC.
	Zone int16
	// Request is the raw request line; Method, Path and Protocol are its
	// three parts when it has them (Path is the whole request otherwise).
	Request, Method, Path, Protocol []byte
	// Status is the response status, or 0 when the line ends after the request.
	Status int
	// Size is the response size in bytes, or -1 when logged as "-" or absent.
	Size int64
	// Referrer and UserAgent are the raw quoted fields without their quotes
	// (escapes such as \" or \xNN are kept as written). Nil when the line has
	// no such field, when it is "-", or when its quote is never closed.
	Referrer, UserAgent []byte
	// Combined reports whether the line carries the referrer and user-agent
	// fields (combined format) rather than ending after the size (common).
	Combined bool
}

// reason says why a line was rejected.
type reason uint8

const (
	reasonOK reason = iota
	reasonBlank
	reasonClient
	reasonTime
	reasonRequest
	reasonStatus
	reasonTooLong
	reasonLineBreak
)

var reasonText = [...]string{
	reasonOK:        "ok",
	reasonBlank:     "blank or comment",
	reasonClient:    "no valid client address",
	reasonTime:      "no valid [timestamp]",
	reasonRequest:   "no quoted request",
	reasonStatus:    "no valid status code",
	reasonTooLong:   "line too long",
	reasonLineBreak: "line break inside the line",
}

func (r reason) String() string { return reasonText[r] }

// ParseLine parses one combined or common log line (with or without its
// trailing newline). It reports false for lines that are not access-log
// records; it never allocates for IPv4 clients and never panics on any input.
func ParseLine(line []byte) (Entry, bool) {
	var e Entry
	return e, parseInto(&e, line) == reasonOK
}

// parseInto is ParseLine writing into e, returning why the line was
// rejected. It is written as straight byte scanning: no regexp and no
// allocation, since it runs once per line on inputs of many gigabytes.
//
// The rules follow the combined format closely enough that every line
// GoAccess 1.7 counts as valid we count as valid too (see bench/README.md for
// the few shapes where we are stricter, e.g. impossible calendar dates).
func parseInto(e *Entry, line []byte) reason {
	*e = Entry{Size: -1}
	for len(line) > 0 && (line[len(line)-1] == '\n' || line[len(line)-1] == '\r') {
		line = line[:len(line)-1]
	}
	if len(line) == 0 || line[0] == '#' || len(bytes.TrimSpace(line)) == 0 {
		return reasonBlank
	}
	// Readers split on '\n', so one inside is two records glued together
	// by a caller, never one record: no field may span it.
	if bytes.IndexByte(line, '\n') >= 0 {
		return reasonLineBreak
	}

	// Client address: the first space-delimited token.
	sp := bytes.IndexByte(line, ' ')
	if sp <= 0 {
		return reasonClient
	}
	host := line[:sp]
	if len(host) > 2 && host[0] == '[' && host[len(host)-1] == ']' {
		host = host[1 : len(host)-1]
	}
	if !validAddr(host) {
		return reasonClient
	}
	e.Client = host

	// Identity and user fields are skipped whatever they hold: the timestamp
	// starts at the next '['.
	rest := line[sp+1:]
	lb := bytes.IndexByte(rest, '[')
	if lb < 0 {
		return reasonTime
	}
	rest = rest[lb+1:]
	n, ok := parseTimestamp(e, rest)
	if !ok {
		return reasonTime
	}
	rest = rest[n:]

	// The request: `] "` then everything up to the first unescaped quote.
	if len(rest) < 2 || rest[0] != ' ' || rest[1] != '"' {
		return reasonRequest
	}
	rest = rest[2:]
	q := closingQuote(rest)
	if q < 0 {
		return reasonRequest
	}
	e.Request = rest[:q]
	splitRequest(e)
	rest = rest[q+1:]
	if len(rest) == 0 {
		// Truncated after the request: a record with no status. Rare, but
		// it is still a request that reached the server.
		return reasonOK
	}

	// Status, then size.
	if rest[0] != ' ' {
		return reasonStatus
	}
	rest = rest[1:]
	sp = bytes.IndexByte(rest, ' ')
	if sp < 0 {
		return reasonStatus
	}
	st, ok := atoiStatus(rest[:sp])
	if !ok {
		return reasonStatus
	}
	e.Status = st
	rest = rest[sp+1:]
	if len(rest) == 0 {
		return reasonOK
	}
	sp = bytes.IndexByte(rest, ' ')
	var size []byte
	if sp < 0 {
		// Common format: the size ends the line.
		size, rest = rest, nil
	} else {
		size, rest = rest[:sp], rest[sp+1:]
	}
	e.Size = atoiSize(size)

	// Combined format: ` "referrer" "user agent"`. Anything missing or
	// malformed here leaves the fields nil but keeps the record.
	if len(rest) == 0 || rest[0] != '"' {
		return reasonOK
	}
	rest = rest[1:]
	q = closingQuote(rest)
	if q < 0 {
		return reasonOK
	}
	e.Combined = true
	e.Referrer = dashNil(rest[:q])
	rest = rest[q+1:]
	if len(rest) < 2 || rest[0] != ' ' || rest[1] != '"' {
		return reasonOK
	}
	rest = rest[2:]
	if q = closingQuote(rest); q >= 0 {
		e.UserAgent = dashNil(rest[:q])
	}
	return reasonOK
}

func dashNil(b []byte) []byte {
	if len(b) == 0 || (len(b) == 1 && b[0] == '-') {
		return nil
	}
	return b
}

// closingQuote finds the first quote not escaped by a backslash, as Apache
// and nginx escape quotes inside fields as \".
func closingQuote(b []byte) int {
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}

// splitRequest splits "METHOD PATH PROTO" at its first and last spaces.
func splitRequest(e *Entry) {
	r := e.Request
	e.Path = r
	i := bytes.IndexByte(r, ' ')
	if i <= 0 {
		return
	}
	j := bytes.LastIndexByte(r, ' ')
	e.Method = r[:i]
	if j > i && bytes.HasPrefix(r[j+1:], []byte("HTTP/")) {
		e.Path, e.Protocol = r[i+1:j], r[j+1:]
	} else {
		e.Path = r[i+1:]
	}
}

// parseTimestamp reads `dd/Mon/yyyy:HH:MM:SS zone]` and returns the number
// of bytes consumed (through the ']').
func parseTimestamp(e *Entry, b []byte) (int, bool) {
	i := 0
	num := func(max int) (int, bool) {
		v, d := 0, 0
		for i < len(b) && d < max && b[i] >= '0' && b[i] <= '9' {
			v = v*10 + int(b[i]-'0')
			i++
			d++
		}
		return v, d > 0
	}
	expect := func(c byte) bool {
		if i < len(b) && b[i] == c {
			i++
			return true
		}
		return false
	}
	day, ok := num(2)
	if !ok || !expect('/') {
		return 0, false
	}
	ms := i
	for i < len(b) && b[i] != '/' && i-ms < 10 {
		i++
	}
	month := monthNumber(b[ms:i])
	if month == 0 || !expect('/') {
		return 0, false
	}
	ys := i
	year, ok := num(4)
	if !ok || i-ys != 4 || !expect(':') {
		return 0, false
	}
	hour, ok1 := num(2)
	ok2 := expect(':')
	minute, ok3 := num(2)
	ok4 := expect(':')
	sec, ok5 := num(2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5) || hour > 23 || minute > 59 || sec > 61 {
		return 0, false
	}
	if !validDay(year, month, day) {
		return 0, false
	}
	// The zone is required (a space then up to ']'), as in every server's
	// default format; its value is informative only.
	if !expect(' ') {
		return 0, false
	}
	zs := i
	for i < len(b) && b[i] != ']' {
		i++
	}
	if i >= len(b) {
		return 0, false
	}
	if m, ok := zoneMinutes(b[zs:i]); ok {
		e.Zone = m
	}
	i++ // ']'
	e.Date = MakeDate(year, month, day)
	e.Hour, e.Minute, e.Second = uint8(hour), uint8(minute), uint8(sec)
	return i, true
}

// zoneMinutes reads a UTC offset written as ±hhmm. Anything else (a zone
// name, letters, an hour past 23) is not an offset, and the caller keeps 0.
func zoneMinutes(z []byte) (int16, bool) {
	if len(z) != 5 || (z[0] != '+' && z[0] != '-') {
		return 0, false
	}
	for _, c := range z[1:] {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	h, m := int(z[1]-'0')*10+int(z[2]-'0'), int(z[3]-'0')*10+int(z[4]-'0')
	if h > 23 || m > 59 {
		return 0, false
	}
	v := int16(h*60 + m)
	if z[0] == '-' {
		v = -v
	}
	return v, true
}

// monthNumber accepts English month names, abbreviated or full, in any case.
func monthNumber(b []byte) int {
	if len(b) < 3 {
		return 0
	}
	full := [...]string{"january", "february", "march", "april", "may", "june", "july",
		"august", "september", "october", "november", "december"}
	for m, name := range full {
		if len(b) != 3 && len(b) != len(name) {
			continue
		}
		match := true
		for k := range b {
			if b[k]|0x20 != name[k] {
				match = false
				break
			}
		}
		if match {
			return m + 1
		}
	}
	return 0
}

func atoiStatus(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 3 {
		return 0, false
	}
	v := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, v >= 100 && v <= 599
}

// atoiSize reads a response size; "-" and anything unreadable is -1 or 0.
func atoiSize(b []byte) int64 {
	if len(b) == 0 || (len(b) == 1 && b[0] == '-') {
		return -1
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' || v > 1<<58 {
			return 0
		}
		v = v*10 + int64(c-'0')
	}
	return v
}

// validAddr accepts a dotted-quad IPv4 address (no leading zeros) or an
// IPv6 address without zone. The IPv4 check is inlined because it runs on
// every line; IPv6 is rare enough to hand to net/netip.
func validAddr(b []byte) bool {
	if bytes.IndexByte(b, ':') < 0 {
		return validIPv4(b)
	}
	if bytes.IndexByte(b, '%') >= 0 {
		return false
	}
	a, err := netip.ParseAddr(string(b))
	return err == nil && a.Is6()
}

func validIPv4(b []byte) bool {
	parts, v, digits := 0, 0, 0
	for i := 0; i <= len(b); i++ {
		if i == len(b) || b[i] == '.' {
			if digits == 0 || v > 255 {
				return false
			}
			parts++
			v, digits = 0, 0
			continue
		}
		c := b[i]
		if c < '0' || c > '9' || (digits == 1 && v == 0) || digits == 3 {
			return false
		}
		v = v*10 + int(c-'0')
		digits++
	}
	return parts == 4
}
