package payments_test

import (
	"errors"
	"testing"
	"time"

	"plenary/internal/payments"
)

// TestVerify: a signature made with any current secret within the
// tolerance passes; another secret, an altered body, an old or future
// timestamp and a malformed header do not.
func TestVerify(t *testing.T) {
	now := time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)
	body := []byte(`{"id":"evt_1"}`)
	old, cur := []byte("old secret"), []byte("current secret")
	for _, tc := range []struct {
		name   string
		header string
		body   []byte
		ok     bool
	}{
		{"current secret", payments.Sign(cur, body, now), body, true},
		{"old secret while rotating", payments.Sign(old, body, now.Add(-time.Minute)), body, true},
		{"forged", payments.Sign([]byte("guess"), body, now), body, false},
		{"altered body", payments.Sign(cur, body, now), []byte(`{"id":"evt_2"}`), false},
		{"stale", payments.Sign(cur, body, now.Add(-6*time.Minute)), body, false},
		{"from the future", payments.Sign(cur, body, now.Add(6*time.Minute)), body, false},
		{"no timestamp", "v1=00", body, false},
		{"empty", "", body, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := payments.Verify(tc.header, tc.body, [][]byte{cur, old}, now)
			if (err == nil) != tc.ok || (err != nil && !errors.Is(err, payments.ErrBadSignature)) {
				t.Errorf("Verify = %v, want ok %t", err, tc.ok)
			}
		})
	}
}

// TestAllowKeepsOnlyTheAllowList (P2): of what a processor sends, only
// the allow-listed fields of the right shape come through.
func TestAllowKeepsOnlyTheAllowList(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fields map[string]any
		want   payments.Outcome
	}{
		{"extras dropped", map[string]any{"checkout_id": "cs_1", "status": "paid", "amount": float64(35000), "currency": "usd",
			"transaction_id": "tx_1", "auth_code": "A1", "last4": "4242", "number": "4242424242424242", "cvc": "123", "cardholder": "Zed", "brand": "visa"},
			payments.Outcome{CheckoutID: "cs_1", Status: "paid", Amount: 35000, Currency: "USD", TransactionID: "tx_1", AuthCode: "A1", Last4: "4242"}},
		{"a full number as last four is not kept", map[string]any{"status": "declined", "last4": "4000000000000002"},
			payments.Outcome{Status: "declined"}},
		{"unknown status", map[string]any{"status": "stolen", "last4": "12a4"}, payments.Outcome{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := payments.Allow(tc.fields); got != tc.want {
				t.Errorf("Allow = %+v, want %+v", got, tc.want)
			}
		})
	}
}
