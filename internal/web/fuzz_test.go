package web

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzFormDecoding sends any path, query and url-encoded body through the
// two layers every request passes before a handler (limitBodies, then
// refuseBadInput). Either the handler runs and every name and value it can
// read from the path, the query and the form is text (valid UTF-8, no
// NUL), or the request is refused with 400 or 413, a message, and the
// handler never runs. A well-formed text form within the limit is never
// refused, and the handler reads exactly the pairs that were sent.
func FuzzFormDecoding(f *testing.F) {
	s := newSite(f, siteOptions{})
	for _, c := range []struct{ path, query, body string }{
		{"/signup", "", "name=Ada+Lovelace&email=ada%40example.org&password=correct+horse&age_ok=on"},
		{"/contact", "lang=en", "name=%C3%89mile&message=caf%C3%A9+%F0%9F%98%80"},
		{"/account", "", "name=a%00b"},
		{"/account", "", "name=%ff%fe"},
		{"/login", "next=%ZZ", "email=x"},
		{"/x\x00y", "", ""},
		{"/lists/x/subscribe", "a=%C0%80", "b=1;c=2"},
		{"/", "", strings.Repeat("a=b&", 50)},
		{"/", "", "%"},
	} {
		f.Add(c.path, c.query, []byte(c.body))
	}
	limit := s.Server.Config.MaxBodyBytes
	f.Fuzz(func(t *testing.T, path, query string, body []byte) {
		var seen url.Values
		ran := false
		next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ran = true
			if err := r.ParseForm(); err != nil {
				t.Fatalf("the handler cannot parse a form the layers let through: %v", err)
			}
			if !isText(r.URL.Path) {
				t.Fatalf("path %q reached the handler", r.URL.Path)
			}
			for k, vs := range r.Form {
				for _, v := range append(vs, k) {
					if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
						t.Fatalf("form value %q reached the handler", v)
					}
				}
			}
			seen = r.PostForm
			w.WriteHeader(http.StatusNoContent)
		})
		r := &http.Request{
			Method:        http.MethodPost,
			URL:           &url.URL{Path: path, RawQuery: query},
			Header:        http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
			Body:          io.NopCloser(bytes.NewReader(body)),
			ContentLength: int64(len(body)),
			Host:          "test.example",
		}
		w := httptest.NewRecorder()
		s.Server.limitBodies(s.Server.refuseBadInput(next)).ServeHTTP(w, r)
		if ran {
			if w.Code != http.StatusNoContent {
				t.Fatalf("the handler ran but the answer is %d", w.Code)
			}
		} else {
			if w.Code != http.StatusBadRequest && w.Code != http.StatusRequestEntityTooLarge {
				t.Fatalf("refused with %d", w.Code)
			}
			if !strings.Contains(w.Body.String(), "Nothing was saved") && !strings.Contains(w.Body.String(), "refused") &&
				!strings.Contains(w.Body.String(), "could not be read") {
				t.Fatalf("refusal %d without a message: %s", w.Code, w.Body.String())
			}
		}
		// A well-formed text form and query within the limit go through,
		// with exactly the pairs sent.
		want, berr := url.ParseQuery(string(body))
		q, qerr := url.ParseQuery(query)
		if berr == nil && qerr == nil && int64(len(body)) <= limit && isText(path) && valuesAreText(want) && valuesAreText(q) {
			if !ran {
				t.Fatalf("a good form was refused with %d: %s", w.Code, w.Body.String())
			}
			if len(want) == 0 {
				want = url.Values{}
			}
			if len(seen) == 0 {
				seen = url.Values{}
			}
			if !reflect.DeepEqual(seen, want) {
				t.Fatalf("handler read %v, was sent %v", seen, want)
			}
		}
	})
}
