package payments_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"plenary/internal/payments"
	"plenary/internal/payments/stripemock"
)

// TestTestProcessorHonorsIdempotencyKeys: the test processor answers a
// repeated key with the session it opened for it, refuses the key for
// another request, and opens a new session for a new key.
func TestTestProcessorHonorsIdempotencyKeys(t *testing.T) {
	ctx := context.Background()
	p := &payments.TestProcessor{Origin: "http://127.0.0.1:9"}
	at := time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)
	c := payments.Checkout{Key: "plenary-checkout-a", Amount: 35000, Currency: "USD", Reference: "registration:1",
		ReturnURL: "https://site.example/registrations/x", Created: at, ExpiresAt: at.Add(time.Hour)}
	first, err := p.Start(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	again, err := p.Start(ctx, c)
	if err != nil || again != first {
		t.Errorf("the same key again: %+v %v, want %+v", again, err, first)
	}
	other := c
	other.Amount = 100
	if s, err := p.Start(ctx, other); err == nil {
		t.Errorf("the key for another amount opened %+v", s)
	}
	fresh := c
	fresh.Key = "plenary-checkout-b"
	if s, err := p.Start(ctx, fresh); err != nil || s.ID == first.ID {
		t.Errorf("a new key: %+v %v, want a new session", s, err)
	}
	if n := p.Started(); n != 2 {
		t.Errorf("%d sessions opened, want 2", n)
	}
}

// recorded is a request stripe-mock received through the recorder.
type recorded struct {
	method, path, key string
	form              url.Values
}

// stripeRecorder puts a proxy in front of stripe-mock that keeps each
// request's method, path, Idempotency-Key header and form. answer, when
// not nil, may answer a request itself instead of stripe-mock (it returns
// true then), as Stripe would in a state stripe-mock does not keep.
func stripeRecorder(t *testing.T, answer func(w http.ResponseWriter, r *http.Request) bool) (string, func() []recorded) {
	t.Helper()
	api, err := url.Parse(stripemock.Start(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(api)
	var mu sync.Mutex
	var reqs []recorded
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		mu.Lock()
		reqs = append(reqs, recorded{r.Method, r.URL.Path, r.Header.Get("Idempotency-Key"), form})
		mu.Unlock()
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		if answer != nil && answer(w, r) {
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	return hs.URL, func() []recorded {
		mu.Lock()
		defer mu.Unlock()
		out := reqs
		reqs = nil
		return out
	}
}

// TestStripeStartSendsTheKey: Stripe is asked for a Checkout Session with
// the claim's idempotency key, and whether an expiry is sent depends on
// the checkout alone (claimed at, expiring at), not on when the request
// is made, so that a retry asks for the very same thing.
func TestStripeStartSendsTheKey(t *testing.T) {
	base, requests := stripeRecorder(t, nil)
	s := payments.NewStripe("sk_test_123", []string{"whsec_test"}, base, nil)
	ctx := context.Background()
	claimed := time.Now().Add(-20 * time.Minute).Truncate(time.Second)
	for _, tc := range []struct {
		name    string
		expiry  time.Duration
		expires string // the expires_at Stripe is sent, "" for none
	}{
		{"a 45 minutes' checkout, retried 20 minutes on", 45 * time.Minute, "set"},
		{"a 30 minutes' checkout", 30 * time.Minute, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := payments.Checkout{Key: "plenary-checkout-" + tc.name, Amount: 35000, Currency: "USD", Reference: "registration:1",
				ReturnURL: "https://site.example/registrations/x", Created: claimed, ExpiresAt: claimed.Add(tc.expiry)}
			if _, err := s.Start(ctx, c); err != nil {
				t.Fatal(err)
			}
			got := requests()
			if len(got) != 1 || got[0].method != "POST" || got[0].path != "/v1/checkout/sessions" {
				t.Fatalf("requests to Stripe: %+v, want one session created", got)
			}
			if got[0].key != c.Key {
				t.Errorf("Idempotency-Key %q, want %q", got[0].key, c.Key)
			}
			exp := got[0].form.Get("expires_at")
			switch {
			case tc.expires == "" && exp != "":
				t.Errorf("expires_at %q sent, want none", exp)
			case tc.expires != "" && exp != strconv.FormatInt(c.ExpiresAt.Unix(), 10):
				t.Errorf("expires_at %q, want %s", exp, strconv.FormatInt(c.ExpiresAt.Unix(), 10))
			}
		})
	}
}

// TestTestProcessorRefundHonorsItsKey: the test processor refunds a paid
// checkout once; asked again with the same key it answers success and
// refunds nothing more; with another key it refuses.
func TestTestProcessorRefundHonorsItsKey(t *testing.T) {
	ctx := context.Background()
	p := &payments.TestProcessor{Origin: "http://127.0.0.1:9"}
	sess, err := p.Start(ctx, payments.Checkout{Key: "plenary-checkout-r", Amount: 5000, Currency: "EUR", Reference: "registration:2",
		ReturnURL: "https://site.example/registrations/y"})
	if err != nil {
		t.Fatal(err)
	}
	var no *payments.RefusedError
	if err := p.Refund(ctx, sess.ID, "plenary-refund-1"); !errors.As(err, &no) || !strings.Contains(no.Reason, "is not paid") {
		t.Errorf("refunding an unpaid checkout: %v, want a refusal saying it is not paid", err)
	}
	if err := p.Refund(ctx, "cs_test_nowhere", "plenary-refund-1"); !errors.As(err, &no) || !strings.Contains(no.Reason, "no checkout cs_test_nowhere") {
		t.Errorf("refunding an unknown checkout: %v, want a refusal naming it", err)
	}
	form := url.Values{"number": {payments.CardSucceeds}, "exp_month": {"12"}, "exp_year": {"2031"}, "cvc": {"123"}}
	req := httptest.NewRequest("POST", "/checkout/"+sess.ID, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	p.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("paying: %d %s", rec.Code, rec.Body)
	}
	for i := range 2 {
		if err := p.Refund(ctx, sess.ID, "plenary-refund-1"); err != nil {
			t.Errorf("refund %d with the key: %v", i+1, err)
		}
	}
	if err := p.Refund(ctx, sess.ID, "plenary-refund-2"); !errors.As(err, &no) {
		t.Errorf("a second refund under another key: %v, want a refusal", err)
	}
	if n := p.Refunds(); n != 1 {
		t.Errorf("%d refunds made, want 1", n)
	}
	if o, err := p.LookUp(ctx, sess.ID); err != nil || o.Status != payments.Refunded {
		t.Errorf("look-up: %+v %v, want refunded", o, err)
	}
}

// TestStripeRefundSendsItsKey: a refund asked twice with one key sends
// Stripe that key both times (Stripe answers the second with the first
// refund); Stripe's "already refunded", its answer once the key has
// expired, is success; another refusal is an error.
func TestStripeRefundSendsItsKey(t *testing.T) {
	var refuse string // the error code Stripe answers a refund with, "" to let stripe-mock answer
	status := http.StatusBadRequest
	var mu sync.Mutex
	base, requests := stripeRecorder(t, func(w http.ResponseWriter, r *http.Request) bool {
		mu.Lock()
		code, st := refuse, status
		mu.Unlock()
		if code == "" || r.URL.Path != "/v1/refunds" {
			return false
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Stripe-Should-Retry", "false")
		w.WriteHeader(st)
		io.WriteString(w, `{"error":{"type":"invalid_request_error","code":"`+code+`","message":"refused by the test"}}`)
		return true
	})
	s := payments.NewStripe("sk_test_123", []string{"whsec_test"}, base, nil)
	ctx := context.Background()
	sess, err := s.Start(ctx, payments.Checkout{Key: "plenary-checkout-s", Amount: 35000, Currency: "USD", Reference: "registration:1",
		ReturnURL: "https://site.example/registrations/x"})
	if err != nil {
		t.Fatal(err)
	}
	requests()
	for i := range 2 {
		if err := s.Refund(ctx, sess.ID, "plenary-refund-k"); err != nil {
			t.Fatalf("refund %d: %v", i+1, err)
		}
	}
	var keys []string
	for _, r := range requests() {
		if r.method == "POST" && r.path == "/v1/refunds" {
			keys = append(keys, r.key)
		}
	}
	if len(keys) != 2 || keys[0] != "plenary-refund-k" || keys[1] != "plenary-refund-k" {
		t.Errorf("refunds sent with keys %q, want plenary-refund-k twice", keys)
	}
	mu.Lock()
	refuse = "charge_already_refunded"
	mu.Unlock()
	if err := s.Refund(ctx, sess.ID, "plenary-refund-k"); err != nil {
		t.Errorf("Stripe answers the charge is refunded already: %v, want success", err)
	}
	mu.Lock()
	refuse = "amount_too_large"
	mu.Unlock()
	err = s.Refund(ctx, sess.ID, "plenary-refund-k")
	var no *payments.RefusedError
	if !errors.As(err, &no) || no.Reason != "refused by the test" {
		t.Errorf("Stripe refused the refund: %v, want a refusal with Stripe's message", err)
	}
	// Stripe failing (a 500) or busy (a 429) is no refusal: the refund
	// is asked again with its key.
	for _, st := range []int{http.StatusInternalServerError, http.StatusTooManyRequests} {
		mu.Lock()
		refuse, status = "api_error", st
		mu.Unlock()
		if err := s.Refund(ctx, sess.ID, "plenary-refund-k"); err == nil || errors.As(err, &no) {
			t.Errorf("Stripe answers %d: %v, want an error that is not a refusal", st, err)
		}
	}
}
