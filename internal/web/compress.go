package web

import (
	"compress/gzip"
	"io"
	"mime"
	"net/http"

	"github.com/andybalholm/brotli"
)

// compressed sends h's answer compressed, as it is written, to a client
// that accepts brotli or gzip, when it is a 200 of a text type: feeds,
// mbox files, draft sources, the JSON API and public lists, which are
// made per request and so are not in the page cache (whose pages are
// compressed once, pagecache.go). These answers hold no secret for a
// reflected guess to be measured against (BREACH): the site carries no
// token in its pages, and a cookie never appears in a body.
func compressed(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		enc := acceptedEncoding(r.Header.Get("Accept-Encoding"))
		if enc == "" || r.Method == http.MethodHead {
			return h(w, r)
		}
		cw := &compressWriter{ResponseWriter: w, encoding: enc}
		err := h(cw, r)
		if cerr := cw.close(); err == nil {
			err = cerr
		}
		return err
	}
}

// compressibleTypes are the media types compressed wherever they come
// from; any text/* is too.
var compressibleTypes = map[string]bool{
	"application/json": true, "application/atom+xml": true, "application/xml": true, "application/mbox": true,
}

type compressWriter struct {
	http.ResponseWriter
	encoding string
	decided  bool
	z        io.WriteCloser // nil while the answer passes through as it is
}

// decide looks at the answer's status and headers once, before its first
// byte, and starts compressing if it qualifies.
func (c *compressWriter) decide(status int) {
	c.decided = true
	h := c.Header()
	media, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	if status != http.StatusOK || h.Get("Content-Encoding") != "" || (!compressibleTypes[media] && !(len(media) > 5 && media[:5] == "text/")) {
		return
	}
	h.Del("Content-Length")
	h.Set("Content-Encoding", c.encoding)
	h.Add("Vary", "Accept-Encoding")
	if c.encoding == "br" {
		c.z = brotli.NewWriterLevel(c.ResponseWriter, 5)
	} else {
		c.z, _ = gzip.NewWriterLevel(c.ResponseWriter, 6)
	}
}

func (c *compressWriter) WriteHeader(status int) {
	if !c.decided {
		c.decide(status)
	}
	c.ResponseWriter.WriteHeader(status)
}

func (c *compressWriter) Write(b []byte) (int, error) {
	if !c.decided {
		c.WriteHeader(http.StatusOK)
	}
	if c.z != nil {
		return c.z.Write(b)
	}
	return c.ResponseWriter.Write(b)
}

// Flush sends what is compressed so far, for answers written in parts
// (a long mbox file).
func (c *compressWriter) Flush() {
	if f, ok := c.z.(interface{ Flush() error }); ok {
		f.Flush()
	}
	if f, ok := c.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (c *compressWriter) close() error {
	if c.z == nil {
		return nil
	}
	return c.z.Close()
}
