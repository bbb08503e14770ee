package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"plenary/internal/auth"
	"plenary/internal/dsr"
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
		// Someone else's inquiry that names her: not hers to have removed.
		if _, err := db.Exec(context.Background(), `INSERT INTO inquiries (name, email, category, message, reply_token, created_at, updated_at)
			VALUES ('Otto Other', 'otto@scan.example', 'general', 'Please ask grace@scan.example.', 'tok', ?, ?)`, time.Now(), time.Now()); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			args     []string
			code     int
			stdout   []string
			notInOut string
		}{
			{[]string{"--email", "GRACE@scan.example", "--name", "grace scanned"}, 1, []string{
				"account 1 has these addresses: a hit in a row not linked to it is marked as such",
				"GRACE@scan.example: table person_emails column address row id 1",
				"GRACE@scan.example: table person_emails column address_key row id 1",
				"grace scanned: table people column name row id 1",
				"GRACE@scan.example: table inquiries column message row id 1 (kept: " + dsr.OthersRecord + ")",
			}, ""},
			{[]string{"--email", "nobody@scan.example"}, 0, []string{"nothing found"}, "account"},
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

// TestDSRExportCommand: `plenary dsr export` writes the same copy as the
// participant's download, for a request by mail, and audits it (R2, S3).
func TestDSRExportCommand(t *testing.T) {
	cliEngines(t, func(t *testing.T, flags []string, open func() *store.DB) {
		if code, _, stderr := run(t, append([]string{"migrate"}, flags...)...); code != 0 {
			t.Fatalf("migrate: %d %s", code, stderr)
		}
		db := open()
		p, _, err := people.Create(context.Background(), db, people.New{Name: "Grace Exported", Email: "grace@export.example",
			Origin: people.OriginSelf, Roles: []auth.Role{auth.Participant}}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := run(t, append([]string{"dsr", "export", "--email", "GRACE@export.example"}, flags...)...)
		if code != 0 {
			t.Fatalf("dsr export: %d %s", code, stderr)
		}
		var e dsr.Export
		if err := json.Unmarshal([]byte(stdout), &e); err != nil {
			t.Fatalf("dsr export printed no JSON: %v\n%.300s", err, stdout)
		}
		if e.Person != p.ID || !strings.Contains(stdout, `"Grace Exported"`) || !strings.Contains(stdout, "not part of this copy") {
			t.Errorf("dsr export: %.500s", stdout)
		}
		var n int
		if err := db.QueryRow(context.Background(), "SELECT COUNT(*) FROM audit_log WHERE action = 'dsr.export' AND actor = 'cli' AND subject = ?",
			fmt.Sprintf("person:%d", p.ID)).Scan(&n); err != nil || n != 1 {
			t.Errorf("%d audit entries for the export (%v)", n, err)
		}
		if code, _, _ := run(t, append([]string{"dsr", "export", "--email", "nobody@export.example"}, flags...)...); code != 1 {
			t.Errorf("dsr export of an unknown address: exit %d, want 1", code)
		}
	})
}
