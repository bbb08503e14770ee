package web

import (
	"bytes"
	"compress/gzip"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"sync"

	"github.com/andybalholm/brotli"
)

// Static text files (style sheets, scripts, SVG) are sent compressed to
// browsers that accept it, each compressed once (issue 14). They hold no
// secret, so compressing them gives nothing away (see pagecache.go).

var compressibleStatic = map[string]bool{".css": true, ".js": true, ".svg": true, ".txt": true}

type staticVariant struct {
	once sync.Once
	body []byte
}

var staticVariants sync.Map // "enc\x00hash\x00name" -> *staticVariant

// serveStaticCompressed writes name compressed when the request accepts
// brotli or gzip and the file is text; it reports whether it did.
func serveStaticCompressed(w http.ResponseWriter, r *http.Request, static fs.FS, name, hash string) bool {
	ext := path.Ext(name)
	if !compressibleStatic[ext] {
		return false
	}
	enc := acceptedEncoding(r.Header.Get("Accept-Encoding"))
	if enc == "" {
		return false
	}
	v, _ := staticVariants.LoadOrStore(enc+"\x00"+hash+"\x00"+name, &staticVariant{})
	sv := v.(*staticVariant)
	sv.once.Do(func() {
		b, err := fs.ReadFile(static, name)
		if err != nil || len(b) < compressMin {
			return
		}
		var buf bytes.Buffer
		if enc == "br" {
			zw := brotli.NewWriterLevel(&buf, brotli.BestCompression)
			zw.Write(b)
			zw.Close()
		} else {
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
			zw.Write(b)
			zw.Close()
		}
		sv.body = buf.Bytes()
	})
	if sv.body == nil {
		return false
	}
	h := w.Header()
	h.Set("Content-Type", mime.TypeByExtension(ext))
	h.Set("Content-Encoding", enc)
	h.Set("Vary", "Accept-Encoding")
	h.Set("Content-Length", strconv.Itoa(len(sv.body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(sv.body)
	}
	return true
}
