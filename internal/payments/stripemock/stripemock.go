// Package stripemock starts Stripe's own stripe-mock for tests, installed
// with `go install github.com/stripe/stripe-mock@v0.203.0`. A test that
// needs it is skipped when it is not installed, unless
// PLENARY_STRIPE_MOCK_REQUIRED is set.
package stripemock

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Start runs stripe-mock for the test and returns its API base URL.
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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "-http-addr", addr, "-https-port", "-1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return "http://" + addr
		}
	}
	t.Fatal("stripe-mock did not start")
	return ""
}
