package cli_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"plenary/internal/cli"
	"plenary/internal/store/storetest"
)

// clearEnv hides PLENARY_* settings of the machine running the tests.
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

// syncBuffer is a bytes.Buffer that a running server and the test can
// share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
	// seen receives the first match of watch, if set.
	watch *regexp.Regexp
	seen  chan string
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := s.b.Write(p)
	if s.watch != nil {
		if m := s.watch.FindStringSubmatch(s.b.String()); m != nil {
			s.seen <- m[1]
			s.watch = nil
		}
	}
	return n, err
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// run runs one plenary command in-process.
func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb syncBuffer
	code = cli.Run(context.Background(), args, cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb})
	return code, out.String(), errb.String()
}

// serving is a `plenary serve` running in-process.
type serving struct {
	URL    string
	Stderr *syncBuffer
	stop   context.CancelFunc
	done   chan int
}

var servingURL = regexp.MustCompile(`msg="plenary is serving" url=(\S+)`)

// serve starts `plenary serve` in-process on a random port and waits until
// it listens. It is stopped when the test ends.
func serve(t *testing.T, args ...string) *serving {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &serving{Stderr: &syncBuffer{watch: servingURL, seen: make(chan string, 1)}, stop: cancel, done: make(chan int, 1)}
	go func() {
		s.done <- cli.Run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), cli.Env{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: s.Stderr})
	}()
	select {
	case s.URL = <-s.Stderr.seen:
	case code := <-s.done:
		cancel()
		t.Fatalf("serve exited with %d before listening:\n%s", code, s.Stderr)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatalf("serve did not start:\n%s", s.Stderr)
	}
	t.Cleanup(func() { s.Stop(t) })
	return s
}

// Stop shuts the server down as SIGTERM would and checks it exits 0.
func (s *serving) Stop(t *testing.T) {
	if s.done == nil {
		return
	}
	s.stop()
	if code := <-s.done; code != 0 {
		t.Errorf("serve exited with %d:\n%s", code, s.Stderr)
	}
	s.done = nil
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestBadConfigurationIsOneLine checks that a command started with a bad
// setting exits non-zero and says what is wrong in one line that names
// the setting.
func TestBadConfigurationIsOneLine(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, []byte("x"), 0o600)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"unwritable data dir", []string{"serve", "--data", filepath.Join(file, "sub")}, 1, []string{"plenary serve: --data:", "not a directory"}},
		{"MySQL URL", []string{"serve", "--data", dir, "--db", "mysql://x"}, 1, []string{"plenary serve: --db:", "mysql://x"}},
		{"PostgreSQL that does not answer", []string{"serve", "--data", dir, "--db", "postgres://127.0.0.1:1/nope"}, 1, []string{"plenary serve: --db: connecting to PostgreSQL postgres://127.0.0.1:1/nope"}},
		{"missing TLS files", []string{"serve", "--data", dir, "--tls-cert", filepath.Join(dir, "c.pem"), "--tls-key", filepath.Join(dir, "k.pem")}, 1, []string{"plenary serve: --tls-cert:", "c.pem"}},
		{"TLS files that are not PEM", []string{"serve", "--data", dir, "--tls-cert", file, "--tls-key", file}, 1, []string{"plenary serve: --tls-cert: cannot load"}},
		{"certificate without key", []string{"serve", "--data", dir, "--tls-cert", file}, 1, []string{"--tls-cert and --tls-key go together"}},
		{"bad trusted proxy", []string{"serve", "--data", dir, "--trusted-proxies", "nginx"}, 1, []string{"plenary serve: --trusted-proxies:"}},
		{"address in use", []string{"serve", "--data", dir, "--addr", busy.Addr().String()}, 1, []string{"plenary serve: --addr:", "in use"}},
		{"several problems", []string{"serve", "--data", dir, "--db", "mysql://x", "--retention", "x"}, 1, []string{"--db:", "; --retention:"}},
		{"unknown flag", []string{"migrate", "--colour", "red"}, 2, []string{"plenary migrate: flag provided but not defined: -colour"}},
		{"migrate shares the checks", []string{"migrate", "--data", dir, "--db", "mysql://x"}, 1, []string{"plenary migrate: --db:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := run(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, stderr)
			}
			last := lastLine(stderr)
			for _, w := range tt.want {
				if !strings.Contains(last, w) {
					t.Errorf("last line %q lacks %q", last, w)
				}
			}
			// The flag package prints usage after an unknown flag, and a
			// busy address is found after the database was opened (and
			// logged); every other mistake is one line and nothing else.
			if tt.code != 2 && tt.name != "address in use" && strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr is not one line:\n%s", stderr)
			}
		})
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

func TestVersionAndUsage(t *testing.T) {
	code, out, _ := run(t, "version")
	if code != 0 || !strings.HasPrefix(out, "plenary ") {
		t.Errorf("version: %d %q", code, out)
	}
	code, _, stderr := run(t)
	if code != 2 || !strings.Contains(stderr, "usage: plenary COMMAND") || !strings.Contains(stderr, "serve") {
		t.Errorf("no command: %d %q", code, stderr)
	}
	code, _, stderr = run(t, "frobnicate")
	if code != 2 || !strings.Contains(stderr, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: %d %q", code, stderr)
	}
	if code, _, _ := run(t, "help"); code != 0 {
		t.Errorf("help exits %d", code)
	}
	if code, _, _ := run(t, "serve", "-h"); code != 0 {
		t.Errorf("serve -h exits %d", code)
	}
}

func TestMigrate(t *testing.T) {
	clearEnv(t)
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		for range 2 {
			code, out, stderr := run(t, "migrate", "--data", dir)
			if code != 0 || !strings.Contains(out, "is up to date") {
				t.Fatalf("migrate: %d %q %q", code, out, stderr)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, "plenary.db")); err != nil {
			t.Errorf("no database in the data directory: %v", err)
		}
	})
	t.Run("postgres", func(t *testing.T) {
		db := storetest.PostgresURL(t)
		code, out, stderr := run(t, "migrate", "--data", t.TempDir(), "--db", db)
		if code != 0 || !strings.Contains(out, "is up to date") || strings.Contains(out, "plenary.db") {
			t.Fatalf("migrate: %d %q %q", code, out, stderr)
		}
	})
}

// TestPolicyPublish checks the operator's way to publish a new statement:
// from the shipped template, edited, to a new version whose page shows the
// change (V1) and that the home page announces (V2).
func TestPolicyPublish(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	code, tmpl, _ := run(t, "policy", "template")
	if code != 0 || !strings.Contains(tmpl, "{{.Org}}") {
		t.Fatalf("policy template: %d", code)
	}
	edited := strings.Replace(tmpl, "## Children", "## Meetings\n\nWe keep the attendance list of each meeting.\n\n## Children", 1)
	file := filepath.Join(dir, "statement.md")
	os.WriteFile(file, []byte(edited), 0o600)
	broken := filepath.Join(dir, "broken.md")
	os.WriteFile(broken, []byte("# {{.Org"), 0o600)
	data := filepath.Join(dir, "data")
	// The statement names the site's address, so every command names the
	// same one, as an operator's configuration does.
	site := []string{"--data", data, "--base-url", "https://standards.test"}

	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no summary", []string{file}, 2, "--summary: say what changed"},
		{"no file", []string{"--summary", "x"}, 2, "usage: plenary policy publish"},
		{"missing file", []string{"--summary", "x", filepath.Join(dir, "nope.md")}, 1, "reading statement"},
		{"broken template", []string{"--summary", "x", broken}, 1, "parsing statement template"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := run(t, append(append([]string{"policy", "publish"}, site...), tt.args...)...)
			if code != tt.code || !strings.Contains(stderr, tt.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, tt.code, tt.want)
			}
		})
	}

	code, out, stderr := run(t, append(append([]string{"policy", "publish"}, site...), "--summary", "Added what is kept about meetings.", "--material", file)...)
	if code != 0 || !strings.Contains(out, "published privacy statement version") || !strings.Contains(out, "announced on the home page until") {
		t.Fatalf("policy publish: %d %q %q", code, out, stderr)
	}
	code, out, _ = run(t, append([]string{"policy", "show"}, site...)...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 || !strings.Contains(lines[0], "statement.md [material]\tAdded what is kept about meetings.") || !strings.Contains(lines[1], "builtin") {
		t.Fatalf("policy show: %d\n%s", code, out)
	}
	id, _, _ := strings.Cut(lines[0], "\t")

	s := serve(t, site...)
	status, body := get(t, s.URL+"/privacy/versions/"+id)
	if status != 200 || !strings.Contains(body, "<ins>+ We keep the attendance list of each meeting.</ins>") || !strings.Contains(body, "Changes since the version of") {
		t.Errorf("version page: %d\n%.2000s", status, body)
	}
	_, body = get(t, s.URL+"/")
	if !strings.Contains(body, "Added what is kept about meetings.") || !strings.Contains(body, "affects your data") {
		t.Errorf("home page does not announce the new version:\n%.2000s", body)
	}
	s.Stop(t)

	// A restart with the same settings keeps the published version current.
	code, out, _ = run(t, append([]string{"policy", "show"}, site...)...)
	if code != 0 || strings.Count(strings.TrimSpace(out), "\n") != 1 {
		t.Errorf("a restart published again:\n%s", out)
	}
}

// TestServeInProcess checks the zero-configuration start and a clean stop
// when the context ends (what SIGTERM does in the binary).
func TestServeInProcess(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	s := serve(t, "--data", dir, "--demo")
	for _, p := range []string{"/", "/privacy", "/privacy/versions", "/privacy/cookies", "/healthz"} {
		if status, _ := get(t, s.URL+p); status != 200 {
			t.Errorf("GET %s: %d", p, status)
		}
	}
	if _, body := get(t, s.URL+"/"); !strings.Contains(body, "This is a demonstration site") {
		t.Error("--demo added no example content")
	}
	s.Stop(t)
	if !strings.Contains(s.Stderr.String(), "msg=stopped") {
		t.Errorf("no clean stop in the log:\n%s", s.Stderr)
	}
	// --demo writes a month of made-up traffic for the days before today;
	// today's file holds the requests above.
	logs, _ := filepath.Glob(filepath.Join(dir, "logs", "access-*-"+time.Now().UTC().Format("2006-01-02")+".log"))
	if len(logs) != 1 {
		t.Errorf("today's access log files %v", logs)
	}
}

// TestTestProcessorServesOnItsOwnOrigin: --test-processor-addr starts the
// test card processor on its own listener, and the privacy statement
// names it; without the flag it is named nowhere.
func TestTestProcessorServesOnItsOwnOrigin(t *testing.T) {
	clearEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	on := serve(t, "--data", t.TempDir(), "--test-processor-addr", addr)
	if status, body := get(t, "http://"+addr+"/checkout/none"); status != http.StatusNotFound || !strings.Contains(body, "no open checkout") {
		t.Errorf("the processor's listener: %d %q", status, body)
	}
	if _, body := get(t, on.URL+"/privacy"); !strings.Contains(body, "the built-in test card processor") {
		t.Error("the privacy statement does not name the enabled test processor")
	}
	off := serve(t, "--data", t.TempDir())
	if _, body := get(t, off.URL+"/privacy"); strings.Contains(body, "the built-in test card processor") {
		t.Error("the privacy statement names the test processor while it is off")
	}
}
