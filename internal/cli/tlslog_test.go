package cli

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestHandshakeFailuresAreLoggedBrieflyAndRarely drives the server's error
// log with net/http's own handshake messages on a test clock: five short
// lines a minute at most, the count of the rest on the next line written,
// other messages at WARN as they come.
func TestHandshakeFailuresAreLoggedBrieflyAndRarely(t *testing.T) {
	var buf bytes.Buffer
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	l := newServerErrorLog(slog.New(slog.NewTextHandler(&buf, nil)))
	l.now = func() time.Time { return now }
	long := "http: TLS handshake error from 192.0.2.1:4242: tls: no cipher suite supported by both client and server; client offered: [c009 c00a c013 c014 9c 9d 2f 35 " + strings.Repeat("ff ", 80) + "]\n"
	for range 40 {
		fmt.Fprint(l, long)
	}
	now = now.Add(30 * time.Second)
	fmt.Fprint(l, "http: TLS handshake error from 192.0.2.1:4243: EOF\n")
	now = now.Add(31 * time.Second) // a new minute
	fmt.Fprint(l, "http: TLS handshake error from 192.0.2.1:4244: tls: client offered only unsupported versions: [302 301]\n")
	fmt.Fprint(l, "http: superfluous response.WriteHeader call\n")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	want := []string{
		`level=INFO msg="TLS handshake failed" reason="tls: no cipher suite supported by both client and server"`,
		`level=INFO msg="TLS handshake failed" reason="tls: no cipher suite supported by both client and server"`,
		`level=INFO msg="TLS handshake failed" reason="tls: no cipher suite supported by both client and server"`,
		`level=INFO msg="TLS handshake failed" reason="tls: no cipher suite supported by both client and server"`,
		`level=INFO msg="TLS handshake failed" reason="tls: no cipher suite supported by both client and server"`,
		`level=INFO msg="TLS handshake failed" reason="tls: client offered only unsupported versions" more_not_logged=36`,
		`level=WARN msg="http: superfluous response.WriteHeader call"`,
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), buf.String())
	}
	for i, w := range want {
		if !strings.HasSuffix(lines[i], w) {
			t.Errorf("line %d = %q, want it to end %q", i+1, lines[i], w)
		}
		if strings.Contains(lines[i], "192.0.2.1") {
			t.Errorf("line %d holds the client's address: %q", i+1, lines[i])
		}
	}
}
