package demo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"plenary/internal/accesslog"
	"plenary/internal/analytics"
)

// TestTrafficFilesHoldTheirOwnDay: each made-up day file holds lines of
// the day its name gives, whatever the time and zone of the start.
func TestTrafficFilesHoldTheirOwnDay(t *testing.T) {
	tests := []struct {
		name     string
		now      time.Time
		firstDay string // the oldest file, three days back
	}{
		{"late evening UTC", time.Date(2026, 11, 28, 21, 39, 0, 0, time.UTC), "2026-11-25"},
		{"just after midnight UTC", time.Date(2026, 11, 28, 0, 5, 0, 0, time.UTC), "2026-11-25"},
		{"a zone east of UTC, already tomorrow there", time.Date(2026, 11, 29, 1, 30, 0, 0, time.FixedZone("UTC+9", 9*3600)), "2026-11-25"},
		{"a zone west of UTC", time.Date(2026, 11, 28, 18, 0, 0, 0, time.FixedZone("UTC-8", -8*3600)), "2026-11-26"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			n, err := writeTraffic(dir, "demo", tt.now, 3)
			if err != nil {
				t.Fatal(err)
			}
			files, err := accesslog.List(dir)
			if err != nil {
				t.Fatal(err)
			}
			if n != 3 || len(files) != 3 {
				t.Fatalf("wrote %d files, listed %d; want 3", n, len(files))
			}
			if files[0].Day != tt.firstDay {
				t.Errorf("oldest file is for %s, want %s", files[0].Day, tt.firstDay)
			}
			for _, f := range files {
				b, err := os.ReadFile(f.Path)
				if err != nil {
					t.Fatal(err)
				}
				lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
				for i, l := range lines {
					e, ok := analytics.ParseLine([]byte(l))
					if !ok {
						t.Fatalf("%s line %d is not a log line: %q", filepath.Base(f.Path), i+1, l)
					}
					if e.Date.String() != f.Day {
						t.Errorf("%s line %d is dated %s", filepath.Base(f.Path), i+1, e.Date)
						break
					}
				}
			}
		})
	}
}
