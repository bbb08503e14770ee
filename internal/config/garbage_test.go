package config_test

import (
	"flag"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"plenary/internal/config"
)

// TestGarbageInEveryFlag gives every flag, whatever flags exist now or are
// added later, each kind of garbage: the answer is one error, naming that
// flag and no other, that does not repeat the garbage back.
func TestGarbageInEveryFlag(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	huge := strings.Repeat("9", 1<<20)
	garbage := []struct {
		name, value string
		numeric     bool // garbage only for a flag that takes a number
	}{
		{"invalid UTF-8", "ab\xff\xfecd", false},
		{"line break", "abc\r\nX-Injected: 1", false},
		{"NUL byte", "abc\x00", false},
		{"escape sequence", "\x1b[2J", false},
		{"1 MB", huge, false},
		{"negative number", "-5", true},
		{"huge number", "99999999999999999999999", true},
		{"past a century", "36501", true},
		{"not a number", "twelve", true},
	}
	numeric := map[string]bool{"announce-days": true, "access-log-retention": true, "max-body": true, "analytics-min-visitors": true}
	probe := flag.NewFlagSet("probe", flag.ContinueOnError)
	config.Flags(probe)
	var names []string
	probe.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	for _, name := range names {
		bool := isBool(probe.Lookup(name))
		for _, g := range garbage {
			if g.numeric && !numeric[name] {
				continue
			}
			if (name == "max-body" || name == "analytics-min-visitors") && g.name == "past a century" {
				continue // 36501 is a fine size, or number of visitors
			}
			t.Run(name+"/"+g.name, func(t *testing.T) {
				fs := flag.NewFlagSet("test", flag.ContinueOnError)
				fs.SetOutput(io.Discard)
				finish := config.Flags(fs)
				args := []string{"--data", dir, "--" + name + "=" + g.value}
				if name == "data" {
					args = args[2:]
				}
				err := fs.Parse(args)
				if err == nil {
					_, err = finish()
				} else if !bool {
					t.Fatalf("flag package refused a string value: %v", err)
				}
				if err == nil {
					t.Fatalf("--%s accepted %s", name, g.name)
				}
				msg := err.Error()
				if !strings.Contains(msg, "-"+name) {
					t.Errorf("error does not name --%s: %.200s", name, msg)
				}
				if bool {
					return // the flag package's own message
				}
				if n := strings.Count(msg, "\n") + 1; n != 1 {
					t.Errorf("%d errors, want one: %.500s", n, msg)
				}
				for _, other := range names {
					if other != name && !strings.Contains(name, other) && strings.Contains(msg, "--"+other+":") {
						t.Errorf("error blames --%s too: %.300s", other, msg)
					}
				}
				if len(msg) > 300 {
					t.Errorf("error is %d bytes long", len(msg))
				}
				if strings.ContainsAny(msg, "\r\x00\x1b") || !utf8.ValidString(msg) {
					t.Errorf("error carries the garbage: %q", msg)
				}
			})
		}
	}
}

func isBool(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}
