package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestUserAddHelpAndSignInAddress: `plenary user add -h` lists the flags
// the command uses and none of the server's; the sign-in address it
// prints is the one --base-url (or PLENARY_BASE_URL) gives, and without
// one it prints no made-up http://127.0.0.1:8080.
func TestUserAddHelpAndSignInAddress(t *testing.T) {
	for _, kv := range []string{"PLENARY_BASE_URL", "PLENARY_DATA", "PLENARY_DB", "PLENARY_SECRET_KEY", "PLENARY_ADDR"} {
		t.Setenv(kv, "")
	}
	ctx := context.Background()
	var out, errb bytes.Buffer
	if code := Run(ctx, []string{"user", "add", "-h"}, Env{Stdout: &out, Stderr: &errb}); code != 0 {
		t.Fatalf("user add -h: exit %d", code)
	}
	help := errb.String()
	for _, want := range []string{"-email", "-name", "-role", "-data", "-db", "-secret-key", "-base-url"} {
		if !strings.Contains(help, "  "+want+" ") {
			t.Errorf("user add -h lacks %s:\n%s", want, help)
		}
	}
	for _, server := range []string{"-addr", "-tls-cert", "-smtp", "-trusted-proxies", "-retention", "-demo", "-org-name", "-max-body", "-instance"} {
		if strings.Contains(help, "  "+server+" ") {
			t.Errorf("user add -h lists the server's %s:\n%s", server, help)
		}
	}

	tests := []struct {
		name   string
		env    string
		args   []string
		want   string
		unwant string
	}{
		{"flag", "", []string{"--base-url", "https://standards.example/"}, "sign in at https://standards.example/login\n", "127.0.0.1"},
		{"environment", "https://env.example", nil, "sign in at https://env.example/login\n", "127.0.0.1"},
		{"none", "", nil, "sign in at /login on the site", "127.0.0.1"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PLENARY_BASE_URL", tt.env)
			if tt.env == "" {
				t.Setenv("PLENARY_BASE_URL", "")
			}
			var out, errb bytes.Buffer
			args := append([]string{"user", "add", "--data", t.TempDir(), "--email", "admin" + string(rune('a'+i)) + "@example.org", "--name", "Ada"}, tt.args...)
			code := Run(ctx, args, Env{Stdin: strings.NewReader("a long enough passphrase\n"), Stdout: &out, Stderr: &errb})
			if code != 0 || !strings.Contains(out.String(), tt.want) || strings.Contains(out.String(), tt.unwant) {
				t.Errorf("exit %d, %q %q; want %q and no %q", code, out.String(), errb.String(), tt.want, tt.unwant)
			}
		})
	}
}

// TestCommandHelpListsOnlyItsFlags checks the other one-off commands as
// TestUserAddHelpAndSignInAddress checks user add: -h lists the flags each
// uses and none of the server's it would ignore.
func TestCommandHelpListsOnlyItsFlags(t *testing.T) {
	tests := []struct {
		args   []string
		want   []string
		unwant []string
	}{
		{[]string{"audit", "verify", "-h"}, []string{"-data", "-db", "-secret-key", "-checkpoints"}, []string{"-demo", "-tls-cert", "-smtp-listen", "-org-name", "-retention"}},
		{[]string{"backup", "-h"}, []string{"-data", "-db", "-secret-key", "-to"}, []string{"-demo", "-tls-cert", "-smtp", "-mailing-rate"}},
		{[]string{"logs", "lookup", "-h"}, []string{"-data", "-db", "-as", "-reason"}, []string{"-demo", "-tls-cert", "-max-body", "-org-name"}},
		{[]string{"sweep", "-h"}, []string{"-data", "-db", "-retention", "-access-log-retention", "-instance", "-analytics-min-visitors"}, []string{"-demo", "-tls-cert", "-smtp-listen", "-max-body", "-org-name", "-mailing-rate"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args[:len(tt.args)-1], " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := Run(context.Background(), tt.args, Env{Stdout: &out, Stderr: &errb}); code != 0 {
				t.Fatalf("exit %d:\n%s", code, errb.String())
			}
			help := errb.String()
			for _, f := range tt.want {
				if !strings.Contains(help, "  "+f+" ") {
					t.Errorf("-h lacks %s:\n%s", f, help)
				}
			}
			for _, f := range tt.unwant {
				if strings.Contains(help, "  "+f+" ") {
					t.Errorf("-h lists the server's %s", f)
				}
			}
		})
	}
}
