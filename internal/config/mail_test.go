package config_test

import (
	"strings"
	"testing"
)

// TestInboundMailSettings covers --smtp-listen, --mail-domain and
// --max-message-size: off by default, the domain follows --base-url, and
// bad values name their flag.
func TestInboundMailSettings(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	c, err := load(t, "--data", dir, "--base-url", "https://www.Example.org")
	if err != nil {
		t.Fatal(err)
	}
	if c.SMTPListen != "" || c.MailDomain != "www.example.org" || c.MaxMessageBytes != 10<<20 {
		t.Errorf("defaults: listen %q, domain %q, max %d", c.SMTPListen, c.MailDomain, c.MaxMessageBytes)
	}
	c, err = load(t, "--data", dir, "--smtp-listen", "127.0.0.1:2525", "--mail-domain", "lists.example.org", "--max-message-size", "2048")
	if err != nil {
		t.Fatal(err)
	}
	if c.SMTPListen != "127.0.0.1:2525" || c.MailDomain != "lists.example.org" || c.MaxMessageBytes != 2048 {
		t.Errorf("set: listen %q, domain %q, max %d", c.SMTPListen, c.MailDomain, c.MaxMessageBytes)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--smtp-listen", "nowhere"}, "--smtp-listen:"},
		{[]string{"--mail-domain", "bad domain@x"}, "--mail-domain:"},
		{[]string{"--mail-domain", "example..org"}, "--mail-domain:"},
		{[]string{"--max-message-size", "10"}, "--max-message-size:"},
		{[]string{"--max-message-size", "lots"}, "--max-message-size:"},
	} {
		_, err := load(t, append([]string{"--data", dir}, tt.args...)...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: %v, want an error naming %s", tt.args, err, tt.want)
		}
	}
}
