// Package e2e drives the real plenary binary: it is built once in TestMain,
// each test starts its own server on a random port with a temporary data
// directory (SQLite, or PostgreSQL when PLENARY_TEST_POSTGRES is set), and
// browser tests drive headless Chromium against it.
//
// Helpers for other tests in this package:
//
//	startServer(t, args...)   a running `plenary serve`; .URL, .DataDir, .get, .logLines, .waitForLog, .output, .stop
//	launchServer, waitReady   the same in two steps, to start several servers at once
//	engines(t, fn)            runs fn with the --db arguments of each available engine
//	newBrowser(t, opts)       a chromedp context on a fresh headless Chromium profile
//	run(t, args...)           runs a plenary command to completion
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"plenary/internal/accesslog"
	"plenary/internal/accesslog/accesslogtest"
	"plenary/internal/store/storetest"
)

// binary is the plenary executable built for this run.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "plenary-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "plenary")
	build := exec.Command("go", "build", "-o", binary, "./cmd/plenary")
	build.Dir = ".."
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building plenary:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// environ is the test process's environment without PLENARY_* settings,
// so the machine's configuration cannot leak into a server under test.
func environ(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PLENARY_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// server is a running `plenary serve`.
type server struct {
	URL     string
	DataDir string
	// Args are the arguments it was started with, from "serve" on.
	Args []string

	cmd    *exec.Cmd
	mu     sync.Mutex
	stderr bytes.Buffer
	ready  chan string
	exited chan struct{}
	err    error // the process's exit, once exited is closed
	client *http.Client
	killed bool // ended on purpose with SIGKILL; its exit is no failure
}

var servingLine = regexp.MustCompile(`msg="plenary is serving" url=(\S+)`)

// startServer starts `plenary serve` on a random port of 127.0.0.1 with a
// new data directory (unless args has --data), waits until it listens, and
// stops it with SIGTERM when the test ends, failing the test unless it
// then exits 0.
func startServer(t testing.TB, args ...string) *server {
	t.Helper()
	s := launchServer(t, args...)
	s.waitReady(t)
	return s
}

// launchServer starts the process like startServer but does not wait for
// it to listen; call waitReady. Tests that start several servers at once
// launch them all first.
func launchServer(t testing.TB, args ...string) *server {
	t.Helper()
	s := &server{exited: make(chan struct{}), ready: make(chan string, 1)}
	hasData, hasBase := false, false
	for i, a := range args {
		switch strings.TrimLeft(a, "-") {
		case "data":
			hasData, s.DataDir = true, args[i+1]
		case "base-url":
			hasBase = true
		}
		if v, ok := strings.CutPrefix(a, "--data="); ok {
			hasData, s.DataDir = true, v
		}
	}
	full := []string{"serve", "--addr", "127.0.0.1:0"}
	if !hasData {
		s.DataDir = t.TempDir()
		full = append(full, "--data", s.DataDir)
	}
	if !hasBase {
		// The privacy statement names the site's address; servers of one
		// test share it, as instances behind one proxy do.
		full = append(full, "--base-url", "http://plenary.test")
	}
	full = append(full, args...)
	s.Args = full
	s.cmd = exec.Command(binary, full...)
	s.cmd.Env = environ()
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	s.cmd.Stdout = io.Discard
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := s.ready
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			s.mu.Lock()
			s.stderr.WriteString(sc.Text() + "\n")
			s.mu.Unlock()
			if m := servingLine.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case ready <- m[1]:
				default:
				}
			}
		}
		s.err = s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		if code := s.stop(t); code != 0 && !s.killed {
			t.Errorf("plenary %s exited with %d after SIGTERM:\n%s", strings.Join(s.Args, " "), code, s.output())
		}
	})
	return s
}

// waitReady waits until the server listens and sets its URL.
func (s *server) waitReady(t testing.TB) {
	t.Helper()
	select {
	case s.URL = <-s.ready:
	case <-s.exited:
		t.Fatalf("plenary %s exited before serving (%v):\n%s", strings.Join(s.Args, " "), s.err, s.output())
	case <-time.After(60 * time.Second):
		t.Fatalf("plenary %s did not start within a minute:\n%s", strings.Join(s.Args, " "), s.output())
	}
	s.client = &http.Client{
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, // the tests' self-signed certificates
	}
}

// output is everything the server wrote to stderr so far.
func (s *server) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stderr.String()
}

// stop sends SIGTERM, waits for the process to finish what it was doing
// and returns its exit status; a second call returns the same status.
func (s *server) stop(t testing.TB) int {
	select {
	case <-s.exited:
	default:
		s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(30 * time.Second):
			s.cmd.Process.Kill()
			<-s.exited
			t.Errorf("plenary did not stop within 30s of SIGTERM")
		}
	}
	var ee *exec.ExitError
	if errors.As(s.err, &ee) {
		return ee.ExitCode()
	}
	if s.err != nil {
		return -1
	}
	return 0
}

// kill ends the process at once with SIGKILL, as a crash or an
// out-of-memory killer would: nothing it was doing is finished.
func (s *server) kill(t testing.TB) {
	t.Helper()
	s.killed = true
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-s.exited
}

// page is an answer with its body read.
type page struct {
	Status int
	Header http.Header
	Body   string
}

// get fetches a path from the server.
func (s *server) get(t testing.TB, path string) page {
	t.Helper()
	res, err := s.client.Get(s.URL + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return page{Status: res.StatusCode, Header: res.Header, Body: string(b)}
}

// logFiles lists the server's access log files.
func (s *server) logFiles(t testing.TB) []string {
	t.Helper()
	files, err := accesslog.Files(filepath.Join(s.DataDir, "logs"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// logLines returns every access-log line the server wrote so far. A line
// is written as its handler returns, which can be a moment after the
// client has read the whole answer: use waitForLog for a request just made.
func (s *server) logLines(t testing.TB) []string {
	t.Helper()
	return accesslogtest.Lines(t, filepath.Join(s.DataDir, "logs"))
}

// engines runs fn as subtest "sqlite" with no extra arguments, and as
// "postgres" with --db naming a fresh schema when PLENARY_TEST_POSTGRES is
// set.
func engines(t *testing.T, fn func(t *testing.T, db []string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, nil) })
	if os.Getenv(storetest.EnvPostgres) == "" {
		t.Logf("postgres: skipped, %s is not set", storetest.EnvPostgres)
		return
	}
	t.Run("postgres", func(t *testing.T) { fn(t, []string{"--db", storetest.PostgresURL(t)}) })
}

// run runs a plenary command to completion and returns its exit status
// and output.
func run(t testing.TB, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = environ()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	go func() {
		<-ctx.Done()
		if ctx.Err() == context.DeadlineExceeded && cmd.Process != nil {
			cmd.Process.Kill()
		}
	}()
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("running plenary %v: %v", args, err)
	}
	return code, out.String(), errb.String()
}

// waitForLog waits until an access-log line contains want and returns it,
// failing the test after ten seconds.
func (s *server) waitForLog(t testing.TB, want string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, l := range s.logLines(t) {
			if strings.Contains(l, want) {
				return l
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no access-log line contains %q:\n%s", want, strings.Join(s.logLines(t), "\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
