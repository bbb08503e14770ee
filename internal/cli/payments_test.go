package cli_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"plenary/internal/cli"
	"plenary/internal/payments/stripemock"
)

// TestStripeIsWiredAndNamedOnlyWhenConfigured: with its key and webhook
// secrets read from files, serve takes Stripe's webhooks at
// /payments/webhook/stripe (an unsigned one is refused) and names Stripe
// in the privacy statement and in the transfer statement of its forms
// (C6); without them Stripe is named nowhere and its webhook path does
// not exist. The key given on the command line itself is refused as not
// a file, without repeating it.
func TestStripeIsWiredAndNamedOnlyWhenConfigured(t *testing.T) {
	api := stripemock.Start(t)
	clearEnv(t)
	dir := t.TempDir()
	key, hooks := filepath.Join(dir, "stripe.key"), filepath.Join(dir, "stripe-webhook")
	if err := os.WriteFile(key, []byte("sk_test_123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(hooks, []byte("# current, then previous\nwhsec_new\nwhsec_old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const named = "Stripe (Stripe Checkout)"
	on := serve(t, "--data", t.TempDir(), "--stripe-secret-key-file", key, "--stripe-webhook-secret-file", hooks, "--stripe-api-base", api)
	if _, body := get(t, on.URL+"/privacy"); !strings.Contains(body, named) {
		t.Error("the privacy statement does not name Stripe while payments go through it")
	}
	if _, body := get(t, on.URL+"/contact"); !strings.Contains(body, named) {
		t.Error("the transfer statement (C6) does not name Stripe while payments go through it")
	}
	res, err := http.Post(on.URL+"/payments/webhook/stripe", "application/json", strings.NewReader(`{"id":"evt_1"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("an unsigned Stripe webhook: %d, want 400", res.StatusCode)
	}
	if strings.Contains(on.Stderr.String(), "sk_test_123") || strings.Contains(on.Stderr.String(), "whsec_") {
		t.Errorf("the server log holds Stripe key material:\n%s", on.Stderr)
	}

	off := serve(t, "--data", t.TempDir())
	for _, p := range []string{"/privacy", "/contact"} {
		if _, body := get(t, off.URL+p); strings.Contains(body, named) {
			t.Errorf("%s names Stripe while it is not configured", p)
		}
	}
	res, err = http.Post(off.URL+"/payments/webhook/stripe", "application/json", strings.NewReader(`{"id":"evt_1"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("a Stripe webhook without Stripe: %d, want 404", res.StatusCode)
	}

	var stderr strings.Builder
	code := cli.Run(t.Context(), []string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--stripe-secret-key-file", "sk_test_123",
		"--stripe-webhook-secret-file", hooks}, cli.Env{Stdin: strings.NewReader(""), Stdout: &stderr, Stderr: &stderr})
	if code == 0 || !strings.Contains(stderr.String(), "--stripe-secret-key-file") || strings.Contains(stderr.String(), "sk_test_123") {
		t.Errorf("a key given in place of its file: exit %d\n%s", code, stderr.String())
	}
}
