package usage_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"plenary/internal/store"
	"plenary/internal/store/storetest"
	"plenary/internal/usage"
)

// goodLine is a valid line for a day, YYYY-MM-DD.
func goodLine(day, path, ua string) string {
	d, err := time.Parse(time.DateOnly, day)
	if err != nil {
		panic("goodLine takes a YYYY-MM-DD day: " + err.Error())
	}
	return "192.0.2.1 - - [" + d.Format("02/Jan/2006") + ":10:00:00 +0000] \"GET " + path + " HTTP/1.1\" 200 100 \"https://ref.example/\" \"" + ua + "\""
}

func gzipped(t testing.TB, b []byte) []byte {
	t.Helper()
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

// TestIngestBadFiles feeds the ingestion job the files a disk really holds
// after crashes, copies and hand edits. Each either counts its bad lines as
// invalid or, when it cannot be read to the end, is refused with an error
// naming it and leaves nothing stored; no file stops the others.
func TestIngestBadFiles(t *testing.T) {
	day := "2026-03-10"
	good := goodLine(day, "/drafts", firefox) + "\n"
	// A real log when the shared test data is there, made-up lines when not.
	full, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "testdata", "logs", "secrepo_access-2018-12-15.log"))
	if errors.Is(err, fs.ErrNotExist) {
		full = []byte(strings.Repeat(good, 200))
	} else if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name           string
		data           []byte
		gz             bool
		lines, invalid int64
		refused        string // part of the error when the file is refused
	}{
		{name: "empty", data: nil},
		{name: "only blank lines", data: []byte("\n \r\n\n")}, // blank lines are not records, nor invalid ones
		{name: "NUL bytes in fields", data: []byte(goodLine(day, "/a\x00b", "Firefox\x00/1") + "\n" + goodLine(day, "/a\x00b", "curl/\x00") + "\n" + "\x00\x00\x00\n"), lines: 3, invalid: 1},
		{name: "invalid UTF-8 in fields", data: []byte(goodLine(day, "/\xff\xfe", "Mozilla/5.0 \xc3(") + "\n"), lines: 1},
		{name: "CRLF lines", data: []byte(strings.ReplaceAll(good+good, "\n", "\r\n")), lines: 2},
		{name: "no final newline", data: []byte(good + strings.TrimSuffix(good, "\n")), lines: 2},
		{name: "10 MB single line", data: []byte(good + strings.Repeat("x", 10<<20) + "\n" + good), lines: 3, invalid: 1},
		{name: "10 MB line without newline", data: append([]byte(good), bytes.Repeat([]byte("y"), 10<<20)...), lines: 2, invalid: 1},
		{name: "binary garbage", data: bytes.Repeat([]byte{0x1f, 0x00, 0xff, '\n', '\r', 0x8b}, 1000), lines: 1001, invalid: 1001}, // and the tail after the last newline
		{name: "gzip", data: gzipped(t, []byte(good+good)), gz: true, lines: 2},
		{name: "gzip magic then garbage", data: []byte{0x1f, 0x8b, 'x', 'y', 'z'}, gz: true, refused: "gzip"},
		{name: "truncated gzip", data: func() []byte { z := gzipped(t, full); return z[:len(z)/2] }(), gz: true, refused: "gzip file is cut short"},
	}
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				dir := t.TempDir()
				name := "access-a-" + day + ".log"
				if tt.gz {
					name += ".gz"
				}
				if err := os.WriteFile(filepath.Join(dir, name), tt.data, 0o600); err != nil {
					t.Fatal(err)
				}
				// A good file for the next day must be taken in whatever
				// the bad one does.
				if err := os.WriteFile(filepath.Join(dir, "access-a-2026-03-11.log"), []byte(goodLine("2026-03-11", "/next", firefox)+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				instance := "a"
				wipe := func() {
					for _, table := range []string{"usage_days", "usage_counts", "usage_sources"} {
						if _, err := db.Exec(ctx, "DELETE FROM "+table); err != nil {
							t.Fatal(err)
						}
					}
				}
				wipe()
				t.Cleanup(wipe)
				in := &usage.Ingester{DB: db, Dir: dir, Instance: instance, MinVisitors: 2, Site: "plenary.example"}
				done, err := in.Run(ctx, time.Date(2026, 3, 12, 9, 0, 0, 0, time.UTC))
				var got *usage.Ingested
				for i := range done {
					if done[i].Day == day {
						got = &done[i]
					}
				}
				if tt.refused != "" {
					if err == nil || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), tt.refused) {
						t.Errorf("Run error = %v, want one naming %s and saying %q", err, name, tt.refused)
					}
					if got != nil {
						t.Errorf("refused file reported as ingested: %+v", got)
					}
					for _, table := range []string{"usage_days", "usage_counts", "usage_sources"} {
						var n int
						if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM "+table+" WHERE day = ?", day).Scan(&n); err != nil {
							t.Fatal(err)
						}
						if n != 0 {
							t.Errorf("%d rows in %s for the refused file", n, table)
						}
					}
				} else {
					if err != nil {
						t.Fatalf("Run: %v", err)
					}
					if got == nil {
						t.Fatalf("file not ingested: %+v", done)
					}
					if got.Lines != tt.lines || got.Invalid != tt.invalid {
						t.Errorf("lines %d invalid %d, want %d and %d", got.Lines, got.Invalid, tt.lines, tt.invalid)
					}
					rows, err := db.Query(ctx, "SELECT name FROM usage_counts WHERE day = ?", day)
					if err != nil {
						t.Fatal(err)
					}
					for rows.Next() {
						var s string
						if err := rows.Scan(&s); err != nil {
							t.Fatal(err)
						}
						if strings.ContainsRune(s, 0) {
							t.Errorf("stored name %q holds a NUL byte", s)
						}
					}
					if err := rows.Err(); err != nil {
						t.Fatal(err)
					}
					rows.Close()
				}
				next := false
				for _, d := range done {
					next = next || d.Day == "2026-03-11"
				}
				if !next {
					t.Errorf("the next day's good file was not ingested after %s: %+v (err %v)", tt.name, done, err)
				}
			})
		}
	})
}

// TestIngestSkipsFilesWithGarbageDates: names that look like day files but
// hold no real date are not day files, and are left alone.
func TestIngestSkipsFilesWithGarbageDates(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		dir := t.TempDir()
		for _, name := range []string{"access-a-2026-13-45.log", "access-a-2026-02-30.log.gz", "access-a-0000-00-00.log", "access-a-9999-99-99.log", "access-a-.log", "access-a-2026-03-1x.log", "access-a-\xff\xfe.log"} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(goodLine("2026-03-10", "/", firefox)+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		in := &usage.Ingester{DB: db, Dir: dir, Instance: "a", MinVisitors: 2}
		done, err := in.Run(context.Background(), time.Date(2026, 3, 12, 0, 0, 0, 0, time.UTC))
		if err != nil || len(done) != 0 {
			t.Fatalf("Run = %+v, %v; want nothing ingested and no error", done, err)
		}
	})
}
