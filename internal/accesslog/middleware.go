package accesslog

import (
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// Logger is the request-logging middleware.
type Logger struct {
	Writer  *Writer
	Trusted []netip.Prefix
	// Redact rewrites a request URI before it is logged, hiding secrets such
	// as one-time tokens that routes carry in their paths.
	Redact func(uri string) string
	Log    *slog.Logger
	Now    func() time.Time
}

// Wrap logs every request that next serves.
func (l *Logger) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now
		if l.Now != nil {
			now = l.Now
		}
		start := now()
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			uri := r.RequestURI
			if uri == "" {
				uri = r.URL.RequestURI()
			}
			if l.Redact != nil {
				uri = l.Redact(uri)
			}
			e := Entry{
				Time:      start,
				ClientIP:  ClientIP(r, l.Trusted),
				Method:    r.Method,
				URI:       uri,
				Proto:     r.Proto,
				Status:    rec.status,
				Bytes:     rec.bytes,
				Referrer:  l.redactReferrer(r.Referer()),
				UserAgent: r.UserAgent(),
			}
			if err := l.Writer.Write(e); err != nil && l.Log != nil {
				l.Log.Error("access log", "err", err)
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

// redactReferrer applies Redact to the path and query of a referrer: a
// page whose address holds a token (a mailed reset link) sends that address
// as the referrer of everything it loads, its stylesheet included.
func (l *Logger) redactReferrer(ref string) string {
	if l.Redact == nil || ref == "" {
		return ref
	}
	u, err := url.Parse(ref)
	if err != nil {
		return ref
	}
	uri := u.RequestURI()
	if red := l.Redact(uri); red != uri {
		return (&url.URL{Scheme: u.Scheme, Host: u.Host}).String() + red
	}
	return ref
}

// ClientIP returns the address a request came from. X-Forwarded-For is
// believed only when the direct peer is a trusted proxy, and then the
// right-most address not itself a trusted proxy is the client: the entries
// to its left were written by whoever sent the request and prove nothing.
func ClientIP(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !isTrusted(peer, trusted) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		if !isTrusted(a, trusted) {
			return a.Unmap().String()
		}
	}
	return host
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	a = a.Unmap()
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// recorder remembers the status and size of a response.
type recorder struct {
	http.ResponseWriter
	status  int
	bytes   int64
	written bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.written {
		r.status = code
		r.written = true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	r.written = true
	n, err := r.ResponseWriter.Write(p)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
