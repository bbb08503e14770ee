// Command bare is the peer plenary's HTTP figures are compared with: a
// plain net/http server that answers GET /N with a fixed HTML page of N
// bytes, built once per size, and does nothing else (no logging, no
// database, no templates). bench/http/run.sh asks it for pages of the
// same sizes as plenary's, in the same run.
//
//	go run ./bench/http/bare -addr 127.0.0.1:8181
package main

import (
	"bytes"
	"flag"
	"log"
	"net/http"
	"strconv"
	"sync"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8181", "address to listen on")
	flag.Parse()
	var pages sync.Map // size -> []byte
	http.HandleFunc("GET /{size}", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(r.PathValue("size"))
		if err != nil || n < 0 || n > 16<<20 {
			http.NotFound(w, r)
			return
		}
		b, ok := pages.Load(n)
		if !ok {
			b, _ = pages.LoadOrStore(n, page(n))
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(b.([]byte))
	})
	log.Fatal(http.ListenAndServe(*addr, nil))
}

// page is an HTML document of exactly n bytes (for n of 64 or more).
func page(n int) []byte {
	head := []byte("<!doctype html><html><head><title>bare</title></head><body><p>")
	tail := []byte("</p></body></html>\n")
	if n < len(head)+len(tail) {
		return bytes.Repeat([]byte("x"), n)
	}
	body := bytes.Repeat([]byte("lorem ipsum "), n/12+1)[:n-len(head)-len(tail)]
	return append(append(append([]byte{}, head...), body...), tail...)
}
