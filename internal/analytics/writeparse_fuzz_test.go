package analytics

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"plenary/internal/accesslog"
)

// escapedLike writes s as the log writer escapes it, for comparing with
// the raw fields ParseLine returns.
func escapedLike(s string) []byte {
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20 || c == 0x7f:
			b = append(b, '\\', 'x', "0123456789abcdef"[c>>4], "0123456789abcdef"[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return b
}

// FuzzWrittenLineParses is the round trip between the access-log writer
// (internal/accesslog) and this parser: whatever a request carries — any
// bytes in its method, address, protocol, referrer or user agent — the
// line written for it is one line, and it parses back to the same client,
// time, request, status, size, referrer and user agent. A hostile user
// agent can neither forge a second line nor shift the fields after it.
func FuzzWrittenLineParses(f *testing.F) {
	f.Add([]byte{192, 0, 2, 1}, int64(1700000000), int16(60), "GET", "/drafts?q=x", "HTTP/1.1", 200, int64(5120), "https://example.org/", "Mozilla/5.0")
	f.Add([]byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, int64(0), int16(-480), "POST", "/a\" 200 1 \"x", "HTTP/2.0", 303, int64(0), "-", "ua\n1.2.3.4 - - [")
	f.Add([]byte{10, 0, 0, 1}, int64(4102444799), int16(0), "", "", "", 599, int64(-1), "\\\"", "\x00\x7f\xff")
	f.Fuzz(func(t *testing.T, ip []byte, unix int64, zone int16, method, uri, proto string, status int, size int64, ref, ua string) {
		addr, ok := netip.AddrFromSlice(ip)
		if !ok {
			return
		}
		addr = addr.Unmap()
		// The writer logs real requests: a status a server sends, a time
		// within four digits of year, a zone within a day.
		status = 100 + (status%500+500)%500
		unix = (unix%253402300799 + 253402300799) % 253402300799
		zone %= 24 * 60
		at := time.Unix(unix, 0).In(time.FixedZone("z", int(zone)*60))
		e := accesslog.Entry{Time: at, ClientIP: addr.String(), Method: method, URI: uri, Proto: proto,
			Status: status, Bytes: size, Referrer: ref, UserAgent: ua}
		line := accesslog.AppendCombined(nil, e)
		if bytes.IndexByte(line, '\n') != len(line)-1 {
			t.Fatalf("the writer made more than one line: %q", line)
		}
		got, ok := ParseLine(line)
		if !ok {
			t.Fatalf("a written line does not parse: %q", line)
		}
		if string(got.Client) != addr.String() {
			t.Fatalf("client %q parsed as %q", addr, got.Client)
		}
		if got.Date != MakeDate(at.Year(), int(at.Month()), at.Day()) || int(got.Hour) != at.Hour() ||
			int(got.Minute) != at.Minute() || int(got.Second) != at.Second() || got.Zone != zone {
			t.Fatalf("time %v parsed as %v %d:%d:%d zone %d", at, got.Date, got.Hour, got.Minute, got.Second, got.Zone)
		}
		wantReq := escapedLike(method + " " + uri + " " + proto)
		if !bytes.Equal(got.Request, wantReq) {
			t.Fatalf("request %q parsed as %q", wantReq, got.Request)
		}
		if got.Status != status {
			t.Fatalf("status %d parsed as %d", status, got.Status)
		}
		wantSize := size
		if size <= 0 {
			wantSize = -1
		}
		if got.Size != wantSize {
			t.Fatalf("size %d parsed as %d", size, got.Size)
		}
		for _, fld := range []struct {
			name string
			sent string
			got  []byte
		}{{"referrer", ref, got.Referrer}, {"user agent", ua, got.UserAgent}} {
			var want []byte
			if fld.sent != "" && fld.sent != "-" {
				want = escapedLike(fld.sent)
			}
			if !bytes.Equal(fld.got, want) {
				t.Fatalf("%s %q parsed as %q (line %q)", fld.name, want, fld.got, line)
			}
		}
		if !got.Combined {
			t.Fatal("a written line parsed as common format")
		}
	})
}
