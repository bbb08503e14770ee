package analytics_test

import (
	"bytes"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"plenary/internal/accesslog"
	"plenary/internal/analytics"
)

// TestAppendCombinedRoundTrip is a property test over random requests: a
// line written by accesslog.AppendCombined is read back by ParseLine with
// the client, time, method, status, size and every escaped field intact
// (unescaping gives back what was logged), and no field, however hostile,
// can end the line early or start a second one.
func TestAppendCombinedRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	methods := []string{"GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH", "PROPFIND", "X-CUSTOM"}
	protos := []string{"HTTP/1.0", "HTTP/1.1", "HTTP/2.0"}
	for i := range 5000 {
		e := accesslog.Entry{
			Time:      randomTime(rng),
			ClientIP:  randomAddr(rng),
			Method:    methods[rng.IntN(len(methods))],
			URI:       "/" + randomText(rng, 60),
			Proto:     protos[rng.IntN(len(protos))],
			Status:    100 + rng.IntN(500),
			Bytes:     rng.Int64N(1 << 40),
			Referrer:  randomText(rng, 80),
			UserAgent: randomText(rng, 120),
		}
		if rng.IntN(10) == 0 {
			e.Bytes = 0
		}
		line := accesslog.AppendCombined(nil, e)
		if bytes.Count(line, []byte("\n")) != 1 || line[len(line)-1] != '\n' || bytes.IndexByte(line, '\r') >= 0 {
			t.Fatalf("case %d: %+v wrote more than one line: %q", i, e, line)
		}
		got, ok := analytics.ParseLine(line)
		if !ok {
			t.Fatalf("case %d: %+v wrote a line the parser refuses: %q", i, e, line)
		}
		check := func(field, got, want string) {
			if got != want {
				t.Errorf("case %d: %s read back as %q, logged %q\nline %q", i, field, got, want, line)
			}
		}
		check("client", string(got.Client), e.ClientIP)
		check("method", unescape(got.Method), e.Method)
		check("path", unescape(got.Path), e.URI)
		check("protocol", string(got.Protocol), e.Proto)
		check("status", strconv.Itoa(got.Status), strconv.Itoa(e.Status))
		wantSize := e.Bytes
		if wantSize == 0 {
			wantSize = -1 // logged as "-"
		}
		check("size", strconv.FormatInt(got.Size, 10), strconv.FormatInt(wantSize, 10))
		check("referrer", unescape(got.Referrer), dashEmpty(e.Referrer))
		check("user agent", unescape(got.UserAgent), dashEmpty(e.UserAgent))
		_, offset := e.Time.Zone()
		when := time.Date(got.Date.Year(), time.Month(got.Date.Month()), got.Date.Day(), int(got.Hour), int(got.Minute), int(got.Second), 0,
			time.FixedZone("", int(got.Zone)*60))
		if !when.Equal(e.Time.Truncate(time.Second)) || int(got.Zone)*60 != offset {
			t.Errorf("case %d: time read back as %v (zone %d min), logged %v", i, when, got.Zone, e.Time)
		}
		if !got.Combined {
			t.Errorf("case %d: line not read as combined format: %q", i, line)
		}
		if t.Failed() {
			return
		}
	}
}

func randomTime(rng *rand.Rand) time.Time {
	zone := time.FixedZone("", (rng.IntN(28*60+1)-14*60)*60)
	return time.Unix(rng.Int64N(1<<35), rng.Int64N(1e9)).In(zone)
}

func randomAddr(rng *rand.Rand) string {
	if rng.IntN(3) == 0 {
		var b [16]byte
		for i := range b {
			b[i] = byte(rng.UintN(256))
		}
		if rng.IntN(4) == 0 {
			copy(b[:4], []byte{0x20, 0x01, 0x0d, 0xb8})
			clear(b[4:14])
		}
		return netip.AddrFrom16(b).String()
	}
	return netip.AddrFrom4([4]byte{byte(rng.UintN(256)), byte(rng.UintN(256)), byte(rng.UintN(256)), byte(rng.UintN(256))}).String()
}

// randomText mixes plain text with what makes logs hard: quotes,
// backslashes, spaces, control bytes (newlines above all), DEL, escapes
// that look already escaped, and invalid UTF-8.
func randomText(rng *rand.Rand, max int) string {
	pieces := []string{"a", "Z", "9", "/", "?q=1&r=2", " ", "\"", "\\", "\\\"", "\\x0a", "\n", "\r\n", "\r", "\x00", "\t", "\x1b[31m", "\x7f",
		"\xff", "\xc3", "\xe4\xbd", "é", "你好", "Mozilla/5.0 (X11; Linux x86_64)", "\" 200 1 \"-\" \"evil", "\n1.2.3.4 - - [01/Jan/2020:00:00:00 +0000] \"GET /forged HTTP/1.1\" 200 1 \"-\" \"x\"", "-"}
	var b []byte
	n := rng.IntN(max)
	for len(b) < n {
		b = append(b, pieces[rng.IntN(len(pieces))]...)
	}
	return string(b)
}

func dashEmpty(s string) string {
	if s == "-" {
		return "" // "-" is how a missing field is written: it reads back as none
	}
	return s
}

// unescape undoes Apache's escaping: \" and \\ and \xNN.
func unescape(b []byte) string {
	var out []byte
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 >= len(b) {
			out = append(out, b[i])
			continue
		}
		i++
		if b[i] == 'x' && i+2 < len(b) {
			v, err := strconv.ParseUint(string(b[i+1:i+3]), 16, 8)
			if err == nil {
				out = append(out, byte(v))
				i += 2
				continue
			}
		}
		out = append(out, b[i])
	}
	return string(out)
}
