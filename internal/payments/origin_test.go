package payments

import "testing"

// TestCheckoutOrigins: the registration page widens its form-action to the
// processor's origin alone, so each processor must name it exactly.
func TestCheckoutOrigins(t *testing.T) {
	tp := &TestProcessor{Origin: "http://127.0.0.1:9999/pay/"}
	if got := tp.CheckoutOrigin(); got != "http://127.0.0.1:9999" {
		t.Errorf("test processor origin %q", got)
	}
	if got := (&Stripe{}).CheckoutOrigin(); got != "https://checkout.stripe.com" {
		t.Errorf("Stripe origin %q", got)
	}
}
