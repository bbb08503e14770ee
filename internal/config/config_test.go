package config_test

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"plenary/internal/config"
	"plenary/internal/testcert"
)

// load parses args the way every plenary command does and validates them.
func load(t *testing.T, args ...string) (*config.Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	finish := config.Flags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("parsing %v: %v", args, err)
	}
	return finish()
}

// clearEnv hides any PLENARY_* setting of the machine running the tests,
// so that only what a test sets counts.
func clearEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "PLENARY_") && !strings.HasPrefix(name, "PLENARY_TEST") && !strings.HasPrefix(name, "PLENARY_E2E") {
			t.Setenv(name, "")
			os.Unsetenv(name)
		}
	}
}

func TestDefaultsNeedNoSetUp(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	c, err := load(t, "--data", dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.DB != "" || c.TLS() {
		t.Errorf("defaults: addr %q db %q tls %v", c.Addr, c.DB, c.TLS())
	}
	if got := c.BaseURL.String(); got != "http://127.0.0.1:8080" {
		t.Errorf("default base URL %q", got)
	}
	if !strings.HasSuffix(c.Instance, "-8080") {
		t.Errorf("default instance %q does not end in the port", c.Instance)
	}
	if c.MailingRate != 50 || c.MailingAddress != "announce@localhost" || c.MailDomain != "localhost" {
		t.Errorf("mailing rate %v, address %q, mail domain %q", c.MailingRate, c.MailingAddress, c.MailDomain)
	}
	if c.MaxBodyBytes != 1<<20 || c.AnnounceFor != 30*24*time.Hour {
		t.Errorf("max body %d, announce %v", c.MaxBodyBytes, c.AnnounceFor)
	}
	if d := c.RetentionDays("access_log", 90); d != 90 {
		t.Errorf("access_log retention %d without configuration, want the inventory default 90", d)
	}
}

func TestFlagsWinOverEnvironment(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want func(c *config.Config) string // "" when right, else what is wrong
	}{
		{
			name: "environment fills an unset flag",
			env:  map[string]string{"PLENARY_ADDR": "127.0.0.1:9999", "PLENARY_ORG_NAME": "Env Org"},
			args: []string{"--data", dir},
			want: func(c *config.Config) string {
				if c.Addr != "127.0.0.1:9999" || c.OrgName != "Env Org" {
					return "addr " + c.Addr + ", org " + c.OrgName
				}
				return ""
			},
		},
		{
			name: "flag wins over environment",
			env:  map[string]string{"PLENARY_ADDR": "127.0.0.1:9999", "PLENARY_INSTANCE": "from-env"},
			args: []string{"--data", dir, "--addr", "127.0.0.1:7777", "--instance", "from-flag"},
			want: func(c *config.Config) string {
				if c.Addr != "127.0.0.1:7777" || c.Instance != "from-flag" {
					return "addr " + c.Addr + ", instance " + c.Instance
				}
				return ""
			},
		},
		{
			name: "data directory from environment",
			env:  map[string]string{"PLENARY_DATA": filepath.Join(dir, "envdata")},
			want: func(c *config.Config) string {
				if c.DataDir != filepath.Join(dir, "envdata") {
					return "data " + c.DataDir
				}
				// Created by the command that uses it, after serve has
				// bound its port; reading the configuration creates nothing.
				if _, err := os.Stat(c.DataDir); !errors.Is(err, os.ErrNotExist) {
					return fmt.Sprintf("loading the configuration created the data directory (%v)", err)
				}
				return ""
			},
		},
		{
			name: "boolean and retention from environment",
			env:  map[string]string{"PLENARY_DEMO": "true", "PLENARY_ACCESS_LOG_RETENTION": "forever", "PLENARY_RETENTION": "inquiries=30"},
			args: []string{"--data", dir},
			want: func(c *config.Config) string {
				if !c.Demo || c.RetentionDays("access_log", 90) != config.Forever || c.RetentionDays("inquiries", 365) != 30 {
					return "demo or retention not taken from the environment"
				}
				return ""
			},
		},
		{
			name: "trusted proxies and TLS-less base URL",
			args: []string{"--data", dir, "--trusted-proxies", "10.0.0.0/8, 192.0.2.7,::1", "--base-url", "https://standards.example/"},
			want: func(c *config.Config) string {
				want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"), netip.MustParsePrefix("::1/128")}
				if len(c.TrustedProxies) != len(want) {
					return "trusted proxies " + strings.Repeat("?", len(c.TrustedProxies))
				}
				for i := range want {
					if c.TrustedProxies[i] != want[i] {
						return "trusted proxy " + c.TrustedProxies[i].String()
					}
				}
				if c.BaseURL.String() != "https://standards.example" {
					return "base URL " + c.BaseURL.String()
				}
				return ""
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			c, err := load(t, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			if problem := tt.want(c); problem != "" {
				t.Error(problem)
			}
		})
	}
}

func TestBadValuesNameTheirFlag(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	// Tests may run as root, who can write anywhere; a path under a regular
	// file is unwritable for everyone.
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, key := testcert.SelfSigned(t, dir)
	garbage := filepath.Join(dir, "garbage.pem")
	os.WriteFile(garbage, []byte("not a certificate"), 0o600)

	tests := []struct {
		name string
		env  map[string]string
		args []string
		want []string // all must appear in the error
	}{
		{"unwritable data dir", nil, []string{"--data", filepath.Join(file, "sub")}, []string{"--data:", "not a directory"}},
		{"empty data dir", nil, []string{"--data", ""}, []string{"--data: must not be empty"}},
		{"mysql URL", nil, []string{"--data", dir, "--db", "mysql://x"}, []string{"--db:", "mysql://x"}},
		{"postgres URL without host", nil, []string{"--data", dir, "--db", "postgres:///nohost"}, []string{"--db:"}},
		{"password is not printed", nil, []string{"--data", dir, "--db", "mysql://u:secret@h/db"}, []string{"--db:", "mysql://u@h/db"}},
		{"missing TLS files", nil, []string{"--data", dir, "--tls-cert", filepath.Join(dir, "none.pem"), "--tls-key", filepath.Join(dir, "none.key")}, []string{"--tls-cert:", "none.pem"}},
		{"garbage TLS certificate", nil, []string{"--data", dir, "--tls-cert", garbage, "--tls-key", key}, []string{"--tls-cert:", "cannot load"}},
		{"key does not match", nil, []string{"--data", dir, "--tls-cert", cert, "--tls-key", garbage}, []string{"--tls-cert:"}},
		{"tls-cert without tls-key", nil, []string{"--data", dir, "--tls-cert", cert}, []string{"--tls-cert:", "--tls-key go together"}},
		{"tls-key without tls-cert", nil, []string{"--data", dir, "--tls-key", key}, []string{"--tls-cert and --tls-key go together"}},
		{"bad trusted proxy", nil, []string{"--data", dir, "--trusted-proxies", "10.0.0.0/8,proxy.example"}, []string{"--trusted-proxies:", "proxy.example"}},
		{"bad trusted CIDR", nil, []string{"--data", dir, "--trusted-proxies", "10.0.0.0/99"}, []string{"--trusted-proxies:"}},
		{"bad retention", nil, []string{"--data", dir, "--retention", "access_log=soon"}, []string{"--retention:", "access_log=soon"}},
		{"retention without key", nil, []string{"--data", dir, "--retention", "=30"}, []string{"--retention:"}},
		{"negative retention", nil, []string{"--data", dir, "--access-log-retention", "-5"}, []string{"--access-log-retention:", "-5"}},
		{"bad addr", nil, []string{"--data", dir, "--addr", "localhost"}, []string{"--addr:"}},
		{"bad port", nil, []string{"--data", dir, "--addr", "127.0.0.1:99999"}, []string{"--addr:"}},
		{"bad base URL", nil, []string{"--data", dir, "--base-url", "ftp://x"}, []string{"--base-url:"}},
		{"bad instance", nil, []string{"--data", dir, "--instance", "a/b"}, []string{"--instance:"}},
		{"empty contact", nil, []string{"--data", dir, "--privacy-contact", " "}, []string{"--privacy-contact:"}},
		{"small max body", nil, []string{"--data", dir, "--max-body", "10"}, []string{"--max-body:"}},
		{"bad announce days", nil, []string{"--data", dir, "--announce-days", "x"}, []string{"--announce-days:"}},
		{"bad value from environment", map[string]string{"PLENARY_DEMO": "perhaps"}, []string{"--data", dir}, []string{"PLENARY_DEMO"}},
		{"bad URL from environment", map[string]string{"PLENARY_DB": "mysql://x"}, []string{"--data", dir}, []string{"--db:"}},
		{"bad mailing rate", nil, []string{"--data", dir, "--mailing-rate", "0"}, []string{"--mailing-rate:"}},
		{"bad mailing address", nil, []string{"--data", dir, "--mailing-address", "Announce <a@b>"}, []string{"--mailing-address:"}},
		{"several mistakes at once", nil, []string{"--data", dir, "--db", "mysql://x", "--retention", "x"}, []string{"--db:", "--retention:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			_, err := load(t, tt.args...)
			if err == nil {
				t.Fatalf("%v was accepted", tt.args)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error %q shows a password", err)
			}
		})
	}
}

func TestTLSConfiguration(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	cert, key := testcert.SelfSigned(t, dir)
	c, err := load(t, "--data", dir, "--tls-cert", cert, "--tls-key", key, "--addr", "127.0.0.1:8443")
	if err != nil {
		t.Fatal(err)
	}
	if !c.TLS() || c.BaseURL.String() != "https://127.0.0.1:8443" {
		t.Errorf("TLS %v, base URL %s", c.TLS(), c.BaseURL)
	}
}
