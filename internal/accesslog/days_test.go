package accesslog_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"plenary/internal/accesslog"
)

func TestParseFileName(t *testing.T) {
	tests := []struct {
		name, instance, day string
		ok                  bool
	}{
		{"access-web-1-2026-03-10.log", "web-1", "2026-03-10", true},
		{"access-127.0.0.1-8080-2026-03-10.log.gz", "127.0.0.1-8080", "2026-03-10", true},
		{"/var/lib/plenary/logs/access-a-2026-02-28.log", "a", "2026-02-28", true},
		{"access-a-2026-02-30.log", "a-2026-02-30", "", true}, // no such day
		{"access-a-2026-13-45.log", "a-2026-13-45", "", true},
		{"access-a-.log", "a-", "", true},
		{"access-a-2026-03-10.txt", "", "", false},
		{"error-a-2026-03-10.log", "", "", false},
	}
	for _, tt := range tests {
		instance, day, ok := accesslog.ParseFileName(tt.name)
		if instance != tt.instance || day != tt.day || ok != tt.ok {
			t.Errorf("ParseFileName(%q) = %q, %q, %v; want %q, %q, %v", tt.name, instance, day, ok, tt.instance, tt.day, tt.ok)
		}
		if tt.day != "" {
			d, err := time.Parse(time.DateOnly, tt.day)
			if err != nil {
				t.Fatal(err)
			}
			if got := accesslog.FileName(tt.instance, d); !strings.HasPrefix(filepath.Base(tt.name), got) {
				t.Errorf("FileName(%q, %s) = %q, not the name it was read from", tt.instance, tt.day, got)
			}
		}
	}
}

func TestListOrdersDaysAndKeepsUndatedFiles(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"access-b-2026-03-11.log.gz", "access-a-2026-99-99.log", "access-a-2026-03-11.log", "access-a-2026-03-09.log", "notes.txt"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	files, err := accesslog.List(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		got = append(got, f.Instance+"/"+f.Day+"/"+filepath.Base(f.Path))
	}
	want := "a/2026-03-09/access-a-2026-03-09.log a/2026-03-11/access-a-2026-03-11.log b/2026-03-11/access-b-2026-03-11.log.gz a-2026-99-99//access-a-2026-99-99.log"
	if strings.Join(got, " ") != want {
		t.Errorf("List =\n%s\nwant\n%s", strings.Join(got, " "), want)
	}
}

// TestReaderIsGzipTransparent: plain and compressed files read the same,
// recognised by their bytes, and compressed data that ends early is an
// error, never a quiet end of file.
func TestReaderIsGzipTransparent(t *testing.T) {
	text := strings.Repeat(`192.0.2.1 - - [10/Mar/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "x"`+"\n", 2000)
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	if _, err := zw.Write([]byte(text)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		data    []byte
		gz      bool
		openErr string
		corrupt bool
	}{
		{name: "plain", data: []byte(text)},
		{name: "gzip named .log", data: z.Bytes(), gz: true},
		{name: "empty", data: nil},
		{name: "cut short", data: z.Bytes()[:z.Len()/2], gz: true, corrupt: true},
		{name: "gzip magic then garbage", data: []byte{0x1f, 0x8b, 'x', 'y', 'z'}, openErr: "not a readable gzip file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "access-a-2026-03-10.log")
			if err := os.WriteFile(path, tt.data, 0o600); err != nil {
				t.Fatal(err)
			}
			r, err := accesslog.Open(path)
			if tt.openErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.openErr) {
					t.Fatalf("Open error %v, want %q", err, tt.openErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := r.Close(); err != nil {
					t.Error(err)
				}
			}()
			if r.Gzip() != tt.gz {
				t.Errorf("Gzip() = %v", r.Gzip())
			}
			b, err := io.ReadAll(r)
			if tt.corrupt {
				if !errors.Is(err, accesslog.ErrCorrupt) {
					t.Errorf("reading a cut-short file: %v, want ErrCorrupt", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := text; len(tt.data) == 0 {
				if len(b) != 0 {
					t.Errorf("read %d bytes from an empty file", len(b))
				}
			} else if string(b) != want {
				t.Errorf("read %d bytes, want the %d written", len(b), len(want))
			}
		})
	}
}
