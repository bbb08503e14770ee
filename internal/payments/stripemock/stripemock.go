// Package stripemock starts Stripe's own stripe-mock for tests, installed
// with `go install github.com/stripe/stripe-mock@v0.203.0`. A test that
// needs it is skipped when it is not installed, unless
// PLENARY_STRIPE_MOCK_REQUIRED is set.
package stripemock

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// listening starts the line stripe-mock prints once its HTTP listener is
// open, followed by the address it got.
const listening = "Listening for HTTP at address: "

// Start runs stripe-mock for the test and returns its API base URL.
//
// stripe-mock picks its own ports and says which: a port found free and
// closed for it to take could be taken by anyone meanwhile. Its HTTPS
// listener, which the tests do not use, is put on a port of its own too:
// given only -http-addr, stripe-mock also listens for HTTPS on the fixed
// port 12112, so a second stripe-mock (another package's tests, run by
// `go test ./...` at the same time) failed to start.
func Start(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("stripe-mock")
	if err != nil {
		home, _ := os.UserHomeDir()
		if _, serr := os.Stat(filepath.Join(home, "go", "bin", "stripe-mock")); serr == nil {
			bin, err = filepath.Join(home, "go", "bin", "stripe-mock"), nil
		}
	}
	if err != nil {
		if os.Getenv("PLENARY_STRIPE_MOCK_REQUIRED") != "" {
			t.Fatal("stripe-mock is not installed")
		}
		t.Skip("stripe-mock is not installed: go install github.com/stripe/stripe-mock@v0.203.0")
	}
	cmd := exec.Command(bin, "-http-addr", "127.0.0.1:0", "-https-addr", "127.0.0.1:0")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	read := make(chan struct{})
	// Wait closes the pipe: only once everything in it has been read.
	t.Cleanup(func() { cmd.Process.Kill(); <-read; cmd.Wait() })
	var said strings.Builder // what it printed before, for the failure
	go func() {
		defer close(read)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), listening); ok {
				addr <- a
				break
			}
			said.WriteString(sc.Text() + "\n")
		}
		close(addr)
		io.Copy(io.Discard, out) // the rest, so that it never blocks writing
	}()
	select {
	case a, ok := <-addr:
		if ok {
			return "http://" + a
		}
		t.Fatalf("stripe-mock exited without listening:\n%s", said.String())
	case <-time.After(20 * time.Second):
		t.Fatal("stripe-mock did not start within 20s")
	}
	return ""
}
