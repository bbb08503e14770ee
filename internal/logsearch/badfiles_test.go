package logsearch_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"plenary/internal/audit"
	"plenary/internal/auth"
	"plenary/internal/logsearch"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestLookupBadFiles searches directories holding the files a disk really
// has after crashes, copies and hand edits. A readable file has its bad
// lines skipped; one that cannot be read to the end fails the look-up with
// an error naming it, and nothing goes to the audit log; nothing panics.
func TestLookupBadFiles(t *testing.T) {
	const line = `203.0.113.7 - - [10/Mar/2026:10:00:00 +0000] "GET /a HTTP/1.1" 200 10 "-" "UA"`
	gz := func(b []byte) []byte {
		var buf bytes.Buffer
		w := gzip.NewWriter(&buf)
		if _, err := w.Write(b); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	big := gz([]byte(strings.Repeat(line+"\n", 5000)))
	tests := []struct {
		name, file string
		data       []byte
		matches    int64
		refused    string
	}{
		{name: "empty", file: "access-a-2026-03-10.log"},
		{name: "NUL bytes", file: "access-a-2026-03-10.log", data: []byte("\x00\x00\n" + strings.Replace(line, "/a", "/a\x00", 1) + "\n" + line + "\x00\n"), matches: 2},
		{name: "CRLF lines", file: "access-a-2026-03-10.log", data: []byte(line + "\r\n" + line + "\r\n"), matches: 2},
		{name: "10 MB single line", file: "access-a-2026-03-10.log", data: []byte(line + "\n" + strings.Repeat("z", 10<<20) + "\n" + line), matches: 2},
		{name: "binary", file: "access-a-2026-03-10.log", data: bytes.Repeat([]byte{0xff, 0x00, '\n', '"', '['}, 10000)},
		{name: "gzip", file: "access-a-2026-03-10.log.gz", data: gz([]byte(line + "\n")), matches: 1},
		{name: "truncated gzip", file: "access-a-2026-03-10.log.gz", data: big[:len(big)/2], refused: "access-a-2026-03-10.log.gz"},
		{name: "gzip header only", file: "access-a-2026-03-10.log.gz", data: []byte{0x1f, 0x8b}, refused: "access-a-2026-03-10.log.gz"},
		// A name with no real date may hold any day: it is searched.
		{name: "garbage date", file: "access-a-2026-99-99.log", data: []byte(line + "\n"), matches: 1},
		{name: "far-future garbage date", file: "access-a-zzzz-zz-zz.log", data: []byte(line + "\n"), matches: 1},
		{name: "past garbage date", file: "access-a-0000-00-00.log", data: []byte(line + "\n"), matches: 1},
	}
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				dir := t.TempDir()
				if err := os.WriteFile(filepath.Join(dir, tt.file), tt.data, 0o600); err != nil {
					t.Fatal(err)
				}
				log := &audit.Log{DB: db, Key: []byte("test audit key, 32 bytes long..")}
				auditRows := func() int {
					var n int
					if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM audit_log").Scan(&n); err != nil {
						t.Fatal(err)
					}
					return n
				}
				before := auditRows()
				svc := &logsearch.Service{Dir: dir, Audit: log}
				res, err := svc.Lookup(ctx, logsearch.Actor{ID: 1, Label: "sec", Roles: []auth.Role{auth.Security}}, logsearch.Query{
					Addr: "203.0.113.7", From: at("2026-03-10T00:00:00Z"), To: at("2026-03-11T00:00:00Z"),
					Reason: "misuse", Note: "testing bad files",
				})
				after := auditRows()
				if tt.refused != "" {
					if err == nil || !strings.Contains(err.Error(), tt.refused) {
						t.Fatalf("Lookup error = %v, want one naming %s", err, tt.refused)
					}
					if after != before {
						t.Errorf("a failed look-up wrote %d audit entries", after-before)
					}
					return
				}
				if err != nil {
					t.Fatalf("Lookup: %v", err)
				}
				if res.Total != tt.matches {
					t.Errorf("%d matches, want %d", res.Total, tt.matches)
				}
				for _, m := range res.Matches {
					if strings.ContainsAny(m.Text, "\r\n\x00") {
						t.Errorf("match text %q holds a line break or NUL", m.Text)
					}
				}
				if after != before+1 {
					t.Errorf("%d audit entries written, want 1", after-before)
				}
			})
		}
	})
}
