package cli

import (
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// serverErrorLog receives what net/http logs on its own. Most of it goes
// to the server log at WARN as it comes. Failed TLS handshakes do not:
// every scanner and every client with an old TLS stack makes them, and
// net/http writes each at length (Go's message names every cipher suite
// the client offered). They go to the log as one short INFO line each, at
// most perWindow per window; the lines left out are counted and the count
// rides on the next line that is written. The client's address is left
// out: the server log is not where plenary keeps addresses (the access
// log is, under its retention rule).
type serverErrorLog struct {
	log       *slog.Logger
	now       func() time.Time
	window    time.Duration
	perWindow int

	mu      sync.Mutex
	start   time.Time // of the current window
	written int       // handshake lines written in the current window
	skipped int       // handshake failures not written since the last line
}

func newServerErrorLog(log *slog.Logger) *serverErrorLog {
	return &serverErrorLog{log: log, now: time.Now, window: time.Minute, perWindow: 5}
}

const handshakePrefix = "http: TLS handshake error from "

// Write takes one message of the http.Server's ErrorLog.
func (l *serverErrorLog) Write(p []byte) (int, error) {
	msg := strings.TrimSpace(string(p))
	rest, ok := strings.CutPrefix(msg, handshakePrefix)
	if !ok {
		l.log.Warn(msg)
		return len(p), nil
	}
	// rest is "ADDR:PORT: REASON".
	reason := rest
	if i := strings.Index(rest, ": "); i >= 0 {
		reason = rest[i+2:]
	}
	l.mu.Lock()
	now := l.now()
	if now.Sub(l.start) >= l.window {
		l.start, l.written = now, 0
	}
	if l.written >= l.perWindow {
		l.skipped++
		l.mu.Unlock()
		return len(p), nil
	}
	l.written++
	skipped := l.skipped
	l.skipped = 0
	l.mu.Unlock()
	attrs := []any{"reason", brief(reason)}
	if skipped > 0 {
		attrs = append(attrs, "more_not_logged", skipped)
	}
	l.log.Info("TLS handshake failed", attrs...)
	return len(p), nil
}

// brief keeps the first clause of a TLS error, cut to a line's worth:
// "tls: no cipher suite supported by both client and server" without the
// client's whole list.
func brief(reason string) string {
	if i := strings.IndexAny(reason, ";["); i >= 0 {
		reason = reason[:i]
	}
	reason = strings.TrimRight(strings.TrimSpace(reason), ":")
	const most = 100
	if len(reason) > most {
		cut := most
		for cut > 0 && !utf8.RuneStart(reason[cut]) {
			cut--
		}
		reason = reason[:cut] + "…"
	}
	return reason
}
