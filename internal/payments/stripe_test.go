package payments_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v84/webhook"

	"plenary/internal/payments"
	"plenary/internal/payments/stripemock"
)

// TestStripeCheckoutAgainstStripeMock checks the request shapes of a
// checkout, a look-up and a refund against Stripe's own mock.
func TestStripeCheckoutAgainstStripeMock(t *testing.T) {
	api := stripemock.Start(t)
	s := payments.NewStripe("sk_test_123", []string{"whsec_test"}, api, nil)
	ctx := context.Background()
	sess, err := s.Start(ctx, payments.Checkout{Amount: 35000, Currency: "USD", Reference: "registration:1", ReturnURL: "https://site.example/registrations/x",
		ExpiresAt: time.Now().Add(time.Hour)})
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
	if err := s.Refund(ctx, sess.ID, "plenary-refund-test"); err != nil {
		t.Errorf("refund: %v", err)
	}
	if err := s.Expire(ctx, sess.ID); err != nil {
		t.Errorf("expire: %v", err)
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
		{"from the future", "whsec_current", time.Now().Add(10 * time.Minute), false},
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

// TestStripeWebhookOutcomes reads the outcome of each Checkout event
// plenary subscribes to; an event of another kind carries none.
func TestStripeWebhookOutcomes(t *testing.T) {
	s := payments.NewStripe("sk_test_123", []string{"whsec_current"}, "http://127.0.0.1:1", nil)
	for _, tc := range []struct {
		typ, session, want string
	}{
		{"checkout.session.completed", `"payment_status":"paid","status":"complete"`, payments.Paid},
		{"checkout.session.completed", `"payment_status":"unpaid","status":"complete"`, payments.Settling},
		{"checkout.session.async_payment_succeeded", `"payment_status":"paid","status":"complete"`, payments.Paid},
		{"checkout.session.async_payment_failed", `"payment_status":"unpaid","status":"complete"`, payments.Declined},
		{"checkout.session.expired", `"payment_status":"unpaid","status":"expired"`, payments.Expired},
		{"payment_intent.created", `"payment_status":"paid","status":"complete"`, ""},
	} {
		body := []byte(`{"id":"evt_o","object":"event","type":"` + tc.typ + `","api_version":"2025-01-01","data":{"object":{"id":"cs_o","object":"checkout.session",` +
			tc.session + `,"amount_total":1000,"currency":"eur"}}}`)
		signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: "whsec_current", Timestamp: time.Now()})
		ev, err := s.Webhook(http.Header{"Stripe-Signature": {signed.Header}}, body, time.Now())
		if err != nil || ev.ID != "evt_o" || ev.Outcome.Status != tc.want {
			t.Errorf("%s with %s: %+v %v, want status %q", tc.typ, tc.session, ev, err, tc.want)
		}
	}
}
