package logsearch_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"plenary/internal/audit"
	"plenary/internal/auth"
	"plenary/internal/logsearch"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

const day1 = `203.0.113.7 - - [10/Mar/2026:10:00:00 +0000] "GET /a HTTP/1.1" 200 10 "-" "UA one"
198.51.100.2 - - [10/Mar/2026:10:05:00 +0000] "GET /b HTTP/1.1" 404 - "-" "UA two"
this line is broken
203.0.113.7 - - [10/Mar/2026:23:30:00 -0200] "POST /join HTTP/1.1" 200 5 "-" "UA one"
2001:db8::1 - - [10/Mar/2026:11:00:00 +0000] "GET /v6 HTTP/1.1" 200 1 "-" "UA \xff bad utf8"
`

func writeLogs(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "access-a-2026-03-10.log"), []byte(day1+strings.Repeat("x", 200<<10)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	if _, err := w.Write([]byte(`203.0.113.7 - - [11/Mar/2026:09:00:00 +0000] "GET /gz HTTP/1.1" 200 1 "-" "UA one"` + "\n")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "access-b-2026-03-11.log.gz"), gz.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestLookupIsAuditedAndNeedsReason is C3: a look-up needs a reason and a
// note, and every accepted look-up is in the audit log with what was asked
// and how many lines matched.
func TestLookupIsAuditedAndNeedsReason(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		log := &audit.Log{DB: db, Key: bytes.Repeat([]byte{9}, 32)}
		svc := &logsearch.Service{Dir: writeLogs(t), Audit: log}
		who := logsearch.Actor{ID: 3, Label: "Sam Security", Roles: []auth.Role{auth.Participant, auth.Security}}
		window := logsearch.Query{From: at("2026-03-10T00:00:00Z"), To: at("2026-03-12T00:00:00Z"), Reason: "misuse", Note: "ticket 42: signup spam"}

		tests := []struct {
			name    string
			q       logsearch.Query
			want    []string // paths expected in order
			wantErr string
		}{
			{"by ip", with(window, func(q *logsearch.Query) { q.Addr = "203.0.113.7" }), []string{"/a", "/join", "/gz"}, ""},
			{"by cidr v6", with(window, func(q *logsearch.Query) { q.Addr = "2001:db8::/32" }), []string{"/v6"}, ""},
			{"by window only", with(window, func(q *logsearch.Query) { q.From, q.To = at("2026-03-10T10:00:00Z"), at("2026-03-10T10:06:00Z") }), []string{"/a", "/b"}, ""},
			{"zone respected", with(window, func(q *logsearch.Query) {
				q.Addr = "203.0.113.7"
				q.From, q.To = at("2026-03-11T01:00:00Z"), at("2026-03-11T02:00:00Z")
			}), []string{"/join"}, ""},
			{"no reason", with(window, func(q *logsearch.Query) { q.Reason = "" }), nil, "choose a reason"},
			{"other reason", with(window, func(q *logsearch.Query) { q.Reason = "marketing" }), nil, "choose a reason"},
			{"no note", with(window, func(q *logsearch.Query) { q.Note = "x" }), nil, "describe the case"},
			{"bad ip", with(window, func(q *logsearch.Query) { q.Addr = "999.1.1.1" }), nil, "not an IP"},
			{"no window", with(window, func(q *logsearch.Query) { q.From = time.Time{} }), nil, "time window"},
			{"window too long", with(window, func(q *logsearch.Query) { q.To = q.From.AddDate(0, 2, 0) }), nil, "at most"},
		}
		for _, tt := range tests {
			before, err := log.List(ctx, audit.Filter{Action: "logs."})
			if err != nil {
				t.Fatal(err)
			}
			res, err := svc.Lookup(ctx, who, tt.q)
			after, lerr := log.List(ctx, audit.Filter{Action: "logs."})
			if lerr != nil {
				t.Fatal(lerr)
			}
			if tt.wantErr != "" {
				if err == nil || !errors.Is(err, logsearch.ErrInvalid) || !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(tt.wantErr)) {
					t.Errorf("%s: err = %v, want invalid with %q", tt.name, err, tt.wantErr)
				}
				if len(after) != len(before) {
					t.Errorf("%s: a refused look-up was audited as done", tt.name)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
				continue
			}
			var got []string
			for _, m := range res.Matches {
				f := strings.Fields(m.Text)
				got = append(got, f[6])
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("%s: matched %v, want %v", tt.name, got, tt.want)
			}
			if len(after) != len(before)+1 {
				t.Fatalf("%s: look-up not audited", tt.name)
			}
			e := after[0]
			if e.Actor != who.ID || !strings.Contains(e.Detail, "reason="+tt.q.Reason) || !strings.Contains(e.Detail, "ticket 42") {
				t.Errorf("%s: audit entry %+v lacks who, reason or note", tt.name, e)
			}
			if !strings.Contains(e.Detail, "matched="+strconv.Itoa(len(tt.want))) {
				t.Errorf("%s: audit entry %q lacks the match count", tt.name, e.Detail)
			}
		}
		// Anyone else is refused by the use case itself, whoever calls it,
		// and nothing is audited as done.
		before, _ := log.List(ctx, audit.Filter{Action: "logs."})
		for _, other := range [][]auth.Role{nil, {auth.Participant}, {auth.Admin, auth.Secretariat, auth.Finance}} {
			if _, err := svc.Lookup(ctx, logsearch.Actor{ID: 4, Label: "Ann Admin", Roles: other}, window); !errors.Is(err, logsearch.ErrNotSecurity) {
				t.Errorf("roles %v: err = %v, want refused", other, err)
			}
		}
		if after, _ := log.List(ctx, audit.Filter{Action: "logs."}); len(after) != len(before) {
			t.Error("a refused look-up was audited as done")
		}
		if r, err := log.Verify(ctx, nil); err != nil || !r.OK() {
			t.Errorf("audit chain after look-ups: %+v %v", r, err)
		}
	})
}

func TestLookupRefusedWithoutAuditLog(t *testing.T) {
	svc := &logsearch.Service{Dir: writeLogs(t)}
	_, err := svc.Lookup(context.Background(), logsearch.Actor{Roles: []auth.Role{auth.Security}}, logsearch.Query{Addr: "203.0.113.7", From: at("2026-03-10T00:00:00Z"), To: at("2026-03-11T00:00:00Z"), Reason: "diagnosis", Note: "slow responses on /a"})
	if err == nil {
		t.Fatal("look-up without an audit log succeeded")
	}
}

func with(q logsearch.Query, f func(*logsearch.Query)) logsearch.Query {
	f(&q)
	return q
}
