package cli_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"plenary/internal/auth"
	"plenary/internal/people"
	"plenary/internal/store"
)

// TestDSRScanCommand: `plenary dsr scan` lists each place a person's
// address or name is found and exits 1, exits 0 saying so when nothing is
// found, and needs an address (R4).
func TestDSRScanCommand(t *testing.T) {
	cliEngines(t, func(t *testing.T, flags []string, open func() *store.DB) {
		if code, _, stderr := run(t, append([]string{"migrate"}, flags...)...); code != 0 {
			t.Fatalf("migrate: %d %s", code, stderr)
		}
		db := open()
		if _, _, err := people.Create(context.Background(), db, people.New{Name: "Grace Scanned", Email: "grace@scan.example",
			Origin: people.OriginSelf, Roles: []auth.Role{auth.Participant}}, time.Now()); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			args     []string
			code     int
			stdout   []string
			notInOut string
		}{
			{[]string{"--email", "GRACE@scan.example", "--name", "grace scanned"}, 1, []string{
				"GRACE@scan.example: table person_emails column address row id 1",
				"GRACE@scan.example: table person_emails column address_key row id 1",
				"grace scanned: table people column name row id 1",
			}, ""},
			{[]string{"--email", "nobody@scan.example"}, 0, []string{"nothing found"}, "table"},
			{[]string{"--name", "Grace Scanned"}, 2, nil, ""},
		}
		for _, tt := range tests {
			code, stdout, stderr := run(t, append(append([]string{"dsr", "scan"}, tt.args...), flags...)...)
			if code != tt.code {
				t.Errorf("dsr scan %v: exit %d, want %d (%s)", tt.args, code, tt.code, stderr)
			}
			for _, want := range tt.stdout {
				if !strings.Contains(stdout, want+"\n") {
					t.Errorf("dsr scan %v printed\n%s\nwant a line %q", tt.args, stdout, want)
				}
			}
			if tt.notInOut != "" && strings.Contains(stdout, tt.notInOut) {
				t.Errorf("dsr scan %v printed %q", tt.args, stdout)
			}
		}
	})
}
