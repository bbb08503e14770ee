package cli_test

import (
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"plenary/internal/testcert"
)

// TestServeTLSOffersOnlyAEAD connects to a real `plenary serve` with real
// TLS clients: TLS 1.3 and TLS 1.2 with ECDHE and AES-GCM or
// ChaCha20-Poly1305 are served; a client that offers only CBC suites, or
// only TLS 1.1, is refused. Then a burst of such refused handshakes leaves
// a bounded number of short lines in the server log, none at WARN and none
// listing the client's suites.
func TestServeTLSOffersOnlyAEAD(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	cert, key := testcert.SelfSigned(t, dir)
	s := serve(t, "--data", filepath.Join(dir, "data"), "--tls-cert", cert, "--tls-key", key)
	addr := strings.TrimPrefix(s.URL, "https://")
	tests := []struct {
		name   string
		config *tls.Config
		ok     bool
	}{
		{"TLS 1.3", &tls.Config{MinVersion: tls.VersionTLS13}, true},
		{"TLS 1.2 AES-GCM", &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}}, true},
		{"TLS 1.2 AES-256-GCM", &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384}}, true},
		{"TLS 1.2 ChaCha20-Poly1305", &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256}}, true},
		{"TLS 1.2 CBC only", &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA}}, false},
		{"TLS 1.2 CBC-SHA256 only", &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256}}, false},
		{"TLS 1.1", &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.config
			c.InsecureSkipVerify = true // the throw-away certificate
			conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, c)
			if err == nil {
				st := conn.ConnectionState()
				conn.Close()
				if !tt.ok {
					t.Fatalf("handshake succeeded with %s", tls.CipherSuiteName(st.CipherSuite))
				}
				return
			}
			if tt.ok {
				t.Fatalf("handshake refused: %v", err)
			}
		})
	}

	// A scan's worth of refused handshakes.
	cbc := &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}}
	for range 60 {
		if conn, err := tls.Dial("tcp", addr, cbc); err == nil {
			conn.Close()
			t.Fatal("a CBC-only handshake succeeded")
		}
	}
	// The server logs a failure as its handshake ends, a moment after the
	// client gives up; give it time to write everything it would.
	time.Sleep(500 * time.Millisecond)
	var lines []string
	for _, l := range strings.Split(s.Stderr.String(), "\n") {
		if strings.Contains(l, "handshake") {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 || len(lines) > 6 {
		t.Errorf("%d log lines about handshakes after 63 refused ones, want 1 to 6:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	for _, l := range lines {
		if strings.Contains(l, "level=WARN") || strings.Contains(l, "client offered:") || strings.Contains(l, "127.0.0.1") || len(l) > 200 {
			t.Errorf("handshake log line is not short, or is at WARN: %q", l)
		}
	}
	if !strings.Contains(strings.Join(lines, "\n"), `reason="tls: no cipher suite supported by both client and server"`) {
		t.Errorf("no line gives the reason:\n%s", strings.Join(lines, "\n"))
	}
}

// TestServeOnABusyPortCreatesNothing: serve binds its port before it
// creates the data directory, migrates or publishes anything, so a busy
// port leaves nothing behind.
func TestServeOnABusyPortCreatesNothing(t *testing.T) {
	clearEnv(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	data := filepath.Join(t.TempDir(), "new-data")
	code, _, stderr := run(t, "serve", "--addr", busy.Addr().String(), "--data", data)
	if code != 1 || !strings.HasPrefix(stderr, "plenary serve: --addr:") {
		t.Errorf("exit %d, stderr %q; want 1 and a line about --addr", code, stderr)
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Errorf("the data directory exists after the failed start (%v)", err)
	}
}
