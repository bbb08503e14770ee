package config_test

import (
	"net/mail"
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

// TestMailDomainOfAnIPAddress: an IP address from --base-url never stands
// bare after the @ (RFC 5321, 4.1.3). A loopback one, the demo's default,
// gives localhost; another gives an address literal, which the listener's
// check takes; a name given to --mail-domain wins over both.
func TestMailDomainOfAnIPAddress(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	for _, tt := range []struct {
		args               []string
		domain, announcing string
	}{
		{[]string{"--addr", "127.0.0.1:8080"}, "localhost", "announce@localhost"},
		{[]string{"--base-url", "http://127.0.0.1:8080"}, "localhost", "announce@localhost"},
		{[]string{"--base-url", "http://[::1]:8080"}, "localhost", "announce@localhost"},
		{[]string{"--base-url", "http://192.0.2.7:8080", "--smtp-listen", "127.0.0.1:2525"}, "[192.0.2.7]", "announce@[192.0.2.7]"},
		{[]string{"--base-url", "http://[2001:db8::7]:8080", "--smtp-listen", "127.0.0.1:2525"}, "[IPv6:2001:db8::7]", "announce@[IPv6:2001:db8::7]"},
		{[]string{"--base-url", "http://127.0.0.1:8080", "--mail-domain", "lists.example.org"}, "lists.example.org", "announce@localhost"},
		{[]string{"--base-url", "http://Plenary.Example:8080"}, "plenary.example", "announce@plenary.example"},
	} {
		c, err := load(t, append([]string{"--data", dir}, tt.args...)...)
		if err != nil {
			t.Errorf("%v: %v", tt.args, err)
			continue
		}
		if c.MailDomain != tt.domain || c.MailingAddress != tt.announcing {
			t.Errorf("%v: mail domain %q, announcements from %q; want %q and %q", tt.args, c.MailDomain, c.MailingAddress, tt.domain, tt.announcing)
		}
		// Go's mail parser takes address literals of IPv4 but not of IPv6.
		if strings.HasPrefix(c.MailDomain, "[IPv6:") {
			continue
		}
		if addr, err := mail.ParseAddress("wg-http@" + c.MailDomain); err != nil || addr.Address != "wg-http@"+c.MailDomain {
			t.Errorf("%v: wg-http@%s is not an address: %v, %v", tt.args, c.MailDomain, addr, err)
		}
	}
}
