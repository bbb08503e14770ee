package payments_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v84/webhook"

	"plenary/internal/payments"
)

// stripeMock starts Stripe's own stripe-mock, installed with
// `go install github.com/stripe/stripe-mock@v0.203.0`, and returns its
// address; the test is skipped when it is not installed, unless
// PLENARY_STRIPE_MOCK_REQUIRED is set.
func stripeMock(t *testing.T) string {
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

// TestStripeCheckoutAgainstStripeMock checks the request shapes of a
// checkout, a look-up and a refund against Stripe's own mock.
func TestStripeCheckoutAgainstStripeMock(t *testing.T) {
	api := stripeMock(t)
	s := payments.NewStripe("sk_test_123", []string{"whsec_test"}, api, nil)
	ctx := context.Background()
	sess, err := s.Start(ctx, payments.Checkout{Amount: 35000, Currency: "USD", Reference: "registration:1", ReturnURL: "https://site.example/registrations/x"})
	if err != nil {
		t.Fatal(err)
	}
	if sess.ID == "" || !strings.HasPrefix(sess.URL, "https://") {
		t.Errorf("session %+v: want an id and Stripe's page", sess)
	}
	o, err := s.LookUp(ctx, sess.ID)
	if err != nil {
		t.Fatal(err)
	}
	if o.CheckoutID == "" || o.Status == "" {
		t.Errorf("look-up: %+v", o)
	}
	if err := s.Refund(ctx, sess.ID); err != nil {
		t.Errorf("refund: %v", err)
	}
}

// TestStripeWebhookSignatures uses stripe-go's own signing helper: the
// current and the previous secret pass; a forged, a stale and an unsigned
// delivery do not.
func TestStripeWebhookSignatures(t *testing.T) {
	s := payments.NewStripe("sk_test_123", []string{"whsec_current", "whsec_previous"}, "http://127.0.0.1:1", nil)
	body := []byte(`{"id":"evt_1","object":"event","type":"checkout.session.completed","api_version":"2025-01-01","data":{"object":{"id":"cs_1","object":"checkout.session","payment_status":"paid","status":"complete","amount_total":35000,"currency":"usd","payment_intent":"pi_1"}}}`)
	for _, tc := range []struct {
		name   string
		secret string
		at     time.Time
		ok     bool
	}{
		{"current secret", "whsec_current", time.Now(), true},
		{"previous secret while rotating", "whsec_previous", time.Now(), true},
		{"forged", "whsec_guess", time.Now(), false},
		{"stale", "whsec_current", time.Now().Add(-10 * time.Minute), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: tc.secret, Timestamp: tc.at})
			ev, err := s.Webhook(http.Header{"Stripe-Signature": {signed.Header}}, body, time.Now())
			if !tc.ok {
				if !errors.Is(err, payments.ErrBadSignature) {
					t.Errorf("Webhook = %+v, %v; want ErrBadSignature", ev, err)
				}
				return
			}
			want := payments.Outcome{CheckoutID: "cs_1", Status: payments.Paid, Amount: 35000, Currency: "USD", TransactionID: "pi_1"}
			if err != nil || ev.ID != "evt_1" || ev.Outcome != want {
				t.Errorf("Webhook = %+v, %v; want evt_1 with %+v", ev, err, want)
			}
		})
	}
	if _, err := s.Webhook(http.Header{}, body, time.Now()); !errors.Is(err, payments.ErrBadSignature) {
		t.Errorf("unsigned webhook: %v", err)
	}
}
