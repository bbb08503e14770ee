package payments_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v84/webhook"

	"plenary/internal/payments"
)

// checkOutcome fails t when an accepted event carries anything outside
// the allow-list's shapes.
func checkOutcome(t *testing.T, ev payments.Event) {
	t.Helper()
	o := ev.Outcome
	switch o.Status {
	case "", payments.Paid, payments.Declined, payments.Open, payments.Refunded, payments.Expired, payments.Settling:
	default:
		t.Fatalf("status %q kept", o.Status)
	}
	if o.Last4 != "" && (len(o.Last4) != 4 || strings.Trim(o.Last4, "0123456789") != "") {
		t.Fatalf("last four %q kept", o.Last4)
	}
	if len(o.Currency) > 3 || len(o.CheckoutID) > 200 || len(o.TransactionID) > 200 || len(o.AuthCode) > 40 {
		t.Fatalf("over-long field kept: %+v", o)
	}
}

// FuzzWebhookVerifiers drives both processors' webhook verification with
// any body and any signature header. A header made up by the fuzzer is
// always refused with ErrBadSignature (no signature can be guessed); the
// same body properly signed is either accepted with an event id and an
// outcome holding only allow-listed shapes, or refused with an error; a
// proper signature outside the tolerance is refused as a bad signature.
func FuzzWebhookVerifiers(f *testing.F) {
	for _, s := range []struct {
		body, header string
		skew         int64
	}{
		{`{"id":"evt_1","checkout_id":"ck_1","status":"paid","amount":35000,"currency":"usd","last4":"4242"}`, "t=1,v1=00", 0},
		{`{"id":"evt_2","status":"hacked","last4":"42a2","currency":"dollars","amount":1e300}`, "v1=zz,t=x", 30},
		{`{"id":"evt_1","object":"event","type":"checkout.session.completed","api_version":"2025-01-01","data":{"object":{"id":"cs_1","object":"checkout.session","payment_status":"paid","status":"complete","amount_total":35000,"currency":"usd","payment_intent":"pi_1"}}}`, "t=1700000000,v1=abcd,v0=ef", -120},
		{`{"id":"evt_3","type":"checkout.session.expired","data":{"object":[]}}`, "", 400},
		{`{"id":""}`, ",,,=,t=,v1=", 0},
		{`[1,2]`, "t=99999999999999999999,v1=00", -400},
		{"not json", "t=-1,v1=", 0},
		{`{}`, "", 0},
	} {
		f.Add([]byte(s.body), s.header, s.skew)
	}
	now := time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)
	secret := []byte("fuzz secret")
	tp := &payments.TestProcessor{Secret: secret, Now: func() time.Time { return now }}
	st := payments.NewStripe("sk_test_fuzz", []string{"whsec_fuzz"}, "http://127.0.0.1:1", nil)
	f.Fuzz(func(t *testing.T, body []byte, header string, skew int64) {
		// A made-up header.
		if ev, err := tp.Webhook(http.Header{payments.SignatureHeader: {header}}, body, now); !errors.Is(err, payments.ErrBadSignature) {
			t.Fatalf("test processor took header %q: %+v, %v", header, ev, err)
		}
		if ev, err := st.Webhook(http.Header{"Stripe-Signature": {header}}, body, time.Now()); !errors.Is(err, payments.ErrBadSignature) {
			t.Fatalf("Stripe took header %q: %+v, %v", header, ev, err)
		}
		// A proper signature, made skew seconds from now.
		skew %= 1000
		at := now.Add(time.Duration(skew) * time.Second)
		fresh := skew*int64(time.Second) <= int64(payments.Tolerance) && -skew*int64(time.Second) <= int64(payments.Tolerance)
		ev, err := tp.Webhook(http.Header{payments.SignatureHeader: {payments.Sign(secret, body, at)}}, body, now)
		switch {
		case !fresh:
			if !errors.Is(err, payments.ErrBadSignature) {
				t.Fatalf("test processor took a signature %ds off: %+v, %v", skew, ev, err)
			}
		case err == nil:
			if ev.ID == "" {
				t.Fatal("accepted event has no id")
			}
			checkOutcome(t, ev)
		case errors.Is(err, payments.ErrBadSignature):
			t.Fatalf("properly signed body refused as forged: %v", err)
		}
		sat := time.Now().Add(time.Duration(skew) * time.Second)
		signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: "whsec_fuzz", Timestamp: sat})
		ev, err = st.Webhook(http.Header{"Stripe-Signature": {signed.Header}}, body, time.Now())
		switch {
		case skew > 290 || skew < -290:
			// Stripe's library judges only age; near the tolerance the
			// clock moves under the test, so only clear cases count.
			if skew < -310 && !errors.Is(err, payments.ErrBadSignature) {
				t.Fatalf("Stripe took a signature %ds old: %+v, %v", -skew, ev, err)
			}
		case err == nil:
			if ev.ID == "" {
				t.Fatal("Stripe event accepted without an id")
			}
			checkOutcome(t, ev)
		}
	})
}
