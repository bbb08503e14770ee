package payments_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v84/webhook"

	"plenary/internal/payments"
)

// TestAmountsHaveTheirCurrencysDecimals: an amount is read and written
// with its currency's ISO 4217 decimals: none for JPY, KRW and ISK, two
// for EUR, three for BHD and KWD; more decimals than the currency has,
// and a code that is no currency, are refused, the latter naming codes
// that are accepted.
func TestAmountsHaveTheirCurrencysDecimals(t *testing.T) {
	for _, tc := range []struct {
		typed, currency string
		minor           int64
		shown           string
	}{
		{"20000", "JPY", 20000, "20000"},
		{"50000", "KRW", 50000, "50000"},
		{"45000", "ISK", 45000, "45000"},
		{"450", "EUR", 45000, "450.00"},
		{"450.5", "EUR", 45050, "450.50"},
		{"0.05", "USD", 5, "0.05"},
		{"12.5", "BHD", 12500, "12.500"},
		{"1.234", "KWD", 1234, "1.234"},
		{"0", "JPY", 0, "0"},
	} {
		got, err := payments.ParseAmount(tc.typed, tc.currency)
		if err != nil || got != tc.minor {
			t.Errorf("ParseAmount(%q, %s) = %d, %v; want %d", tc.typed, tc.currency, got, err, tc.minor)
		}
		if s := payments.FormatAmount(tc.minor, tc.currency); s != tc.shown {
			t.Errorf("FormatAmount(%d, %s) = %q, want %q", tc.minor, tc.currency, s, tc.shown)
		}
	}
	for _, tc := range []struct{ typed, currency, says string }{
		{"20000.50", "JPY", "no smaller unit"},
		{"350.001", "USD", "at most 2 decimals"},
		{"1.2345", "BHD", "at most 3 decimals"},
		{"-5", "EUR", "as a number"},
		{"5,00", "EUR", "as a number"},
		{"", "EUR", "as a number"},
		{"100", "XYZ", "USD"},
	} {
		if got, err := payments.ParseAmount(tc.typed, tc.currency); err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("ParseAmount(%q, %s) = %d, %v; want an error saying %q", tc.typed, tc.currency, got, err, tc.says)
		}
	}
	if c, err := payments.CleanCurrency(" jpy "); err != nil || c != "JPY" {
		t.Errorf("CleanCurrency(jpy) = %q, %v", c, err)
	}
	_, err := payments.CleanCurrency("XYZ")
	if err == nil {
		t.Fatal("XYZ was taken for a currency")
	}
	for _, want := range []string{`"XYZ"`, "ISO 4217", "EUR", "JPY", "USD", "BHD"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal of XYZ does not name %s: %v", want, err)
		}
	}
}

// TestStripeIsSentEachCurrencysUnits: the amount a Stripe Checkout
// Session is asked for is in Stripe's unit of the currency: JPY 20000
// is 20000, EUR 450.00 is 45000, BHD 12.500 is 12500, and ISK 45000,
// which Stripe writes with two decimals, 4500000; a webhook's amount is
// read back into the currency's own unit.
func TestStripeIsSentEachCurrencysUnits(t *testing.T) {
	base, requests := stripeRecorder(t, nil)
	s := payments.NewStripe("sk_test_123", []string{"whsec_current"}, base, nil)
	ctx := context.Background()
	for _, tc := range []struct {
		amount   int64
		currency string
		sent     string
	}{
		{20000, "JPY", "20000"},
		{45000, "EUR", "45000"},
		{12500, "BHD", "12500"},
		{45000, "ISK", "4500000"},
	} {
		requests()
		if _, err := s.Start(ctx, payments.Checkout{Key: "plenary-checkout-" + tc.currency, Amount: tc.amount, Currency: tc.currency,
			Reference: "registration:1", ReturnURL: "https://site.example/registrations/x"}); err != nil {
			t.Fatal(err)
		}
		got := requests()
		if len(got) != 1 || got[0].form.Get("line_items[0][price_data][unit_amount]") != tc.sent {
			t.Errorf("%d %s: Stripe was sent %+v, want unit_amount %s", tc.amount, tc.currency, got, tc.sent)
		}
	}
	for _, tc := range []struct {
		total, currency string
		want            int64
	}{
		{"4500000", "isk", 45000},
		{"20000", "jpy", 20000},
	} {
		body := []byte(`{"id":"evt_c","object":"event","type":"checkout.session.completed","api_version":"2025-01-01","data":{"object":{"id":"cs_c","object":"checkout.session",` +
			`"payment_status":"paid","status":"complete","amount_total":` + tc.total + `,"currency":"` + tc.currency + `"}}}`)
		signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: "whsec_current", Timestamp: time.Now()})
		ev, err := s.Webhook(http.Header{"Stripe-Signature": {signed.Header}}, body, time.Now())
		if err != nil || ev.Outcome.Amount != tc.want || ev.Outcome.Currency != strings.ToUpper(tc.currency) {
			t.Errorf("a webhook for %s %s: %+v %v, want %d", tc.total, tc.currency, ev.Outcome, err, tc.want)
		}
	}
}
