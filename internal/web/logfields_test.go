package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"plenary/internal/auth"
	"plenary/internal/inventory"
)

// logLayout is how this test reads a combined-log line, written here by
// hand: one name per token, "-" for the two tokens the format fixes to a
// dash (ident and remote user).
var logLayout = []string{"client_ip", "-", "-", "time", "request", "status", "bytes", "referrer", "user_agent"}

// logTokens splits a log line into its tokens: bare words, [bracketed]
// and "quoted" fields, with backslash escapes inside quotes.
func logTokens(t *testing.T, line string) []string {
	t.Helper()
	var out []string
	for i := 0; i < len(line); {
		switch line[i] {
		case ' ':
			i++
		case '[':
			j := strings.IndexByte(line[i:], ']')
			if j < 0 {
				t.Fatalf("unclosed [ in %q", line)
			}
			out = append(out, line[i+1:i+j])
			i += j + 1
		case '"':
			var b strings.Builder
			j := i + 1
			for ; j < len(line) && line[j] != '"'; j++ {
				if line[j] == '\\' && j+1 < len(line) {
					j++
				}
				b.WriteByte(line[j])
			}
			if j >= len(line) {
				t.Fatalf("unclosed quote in %q", line)
			}
			out = append(out, b.String())
			i = j + 1
		default:
			j := strings.IndexByte(line[i:], ' ')
			if j < 0 {
				j = len(line) - i
			}
			out = append(out, line[i:i+j])
			i += j
		}
	}
	return out
}

// TestLogLinesHoldExactlyTheDeclaredFields reads what a real server wrote
// for a person who signed in for real (C1, C2): each line holds the fields
// the inventory declares for the access log, in order, and nothing else;
// the values are the request's own; and no line holds the person's
// cookies, their hashes, name or address. Removing a
// declared field, or writing one more, fails it.
func TestLogLinesHoldExactlyTheDeclaredFields(t *testing.T) {
	a := newAccountSite(t, siteOptions{})
	a.signUp(t, "Vera Logcheck", "vera.logcheck@example.org")
	b := a.browser(t)
	if res := b.post("/login", url.Values{"email": {"vera.logcheck@example.org"}, "password": {testPassword}, "remember": {"1"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", res.Status)
	}
	b.header.Set("User-Agent", "FieldCheck/2.0 (Test \"OS\")")
	b.header.Set("Referer", "https://referrer.example/from?page=1")
	if res := b.get("/account?tab=1"); res.Status != 200 {
		t.Fatalf("GET /account: %d", res.Status)
	}
	lines := a.waitForLines(t, 4)

	var declared []string
	for _, it := range inventory.Default().Items() {
		if it.Kind == inventory.LogField {
			declared = append(declared, it.Name)
		}
	}
	var named []string
	for _, n := range logLayout {
		if n != "-" {
			named = append(named, n)
		}
	}
	if !slices.Equal(named, declared) {
		t.Errorf("log lines hold %q, the inventory declares %q", named, declared)
	}
	var account map[string]string
	for _, l := range lines {
		tokens := logTokens(t, l)
		if len(tokens) != len(logLayout) {
			t.Errorf("line has %d fields, want %d (%q): %s", len(tokens), len(logLayout), logLayout, l)
			continue
		}
		fields := map[string]string{}
		for i, n := range logLayout {
			if n == "-" {
				if tokens[i] != "-" {
					t.Errorf("field %d is %q, want -: %s", i, tokens[i], l)
				}
				continue
			}
			fields[n] = tokens[i]
		}
		if fields["request"] == "GET /account?tab=1 HTTP/1.1" {
			account = fields
		}
	}
	want := map[string]string{
		"client_ip": "127.0.0.1", "request": "GET /account?tab=1 HTTP/1.1", "status": "200",
		"referrer": "https://referrer.example/from?page=1", "user_agent": `FieldCheck/2.0 (Test "OS")`,
	}
	if account == nil {
		t.Fatalf("no line for GET /account: %q", lines)
	}
	for k, v := range want {
		if account[k] != v {
			t.Errorf("%s = %q, want %q", k, account[k], v)
		}
	}
	if account["time"] == "" || account["bytes"] == "-" {
		t.Errorf("time %q, bytes %q", account["time"], account["bytes"])
	}
	// The account number is looked for in TestSignedInLogLinesHoldNoAccount,
	// which gives it enough digits to be found.
	secrets := []string{"Vera", "Logcheck", "vera.logcheck", inventory.SessionCookie.Name(), inventory.RememberCookie.Name()}
	for _, c := range []*http.Cookie{b.cookie(inventory.SessionCookie.Name()), b.cookie(inventory.RememberCookie.Name())} {
		if c == nil {
			t.Fatal("sign-in set no cookie")
		}
		secrets = append(secrets, c.Value, auth.HashToken(c.Value))
	}
	all := strings.Join(lines, "\n")
	for _, s := range secrets {
		if strings.Contains(all, s) {
			t.Errorf("the access log holds %q:\n%s", s, all)
		}
	}
}
