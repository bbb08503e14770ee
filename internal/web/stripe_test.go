package web

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v84/webhook"

	"plenary/internal/inventory"
	"plenary/internal/payments"
	"plenary/internal/payments/stripemock"
	"plenary/internal/secrets"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// Stripe Checkout wired into the site (issue 10): the checkout is created
// at Stripe's own mock, and webhooks are signed with stripe-go's own test
// helper.

const (
	stripeSecretNow = "whsec_current_endpoint_secret"
	stripeSecretOld = "whsec_previous_endpoint_secret"
)

// newStripeSite is plenary with Stripe as its processor, talking to
// stripe-mock at api, on db.
func newStripeSite(t *testing.T, db *store.DB, api string) *site {
	t.Helper()
	keys, err := secrets.FromBytes([]byte("stripe test master key, 32 bytes at least"))
	if err != nil {
		t.Fatal(err)
	}
	return newSite(t, siteOptions{DB: db, Routes: func(s *Server) {
		s.Keys = keys
		s.Payments = payments.NewStripe("sk_test_123", []string{stripeSecretNow, stripeSecretOld}, api, nil)
		s.Inventory.Enable(inventory.StripeName)
	}})
}

// stripeRegistration registers on st for a paid ticket, asks to pay, and
// returns the registration's path and the Stripe checkout id.
func stripeRegistration(t *testing.T, st *site) (regPath, checkout string) {
	t.Helper()
	ms := &meetingSite{site: st, url: st.URL}
	meeting := ms.createMeeting(t, "Stripe meeting", "10")
	full, _ := ticketIDs(t, ms.send(t, "GET", st.URL+meeting+"/register", nil, nil).Body)
	res := ms.send(t, "POST", st.URL+meeting+"/register", registration("Stella Stripe", "stella@example.net", full, false), nil)
	regPath = res.Header.Get("Location")
	if res.Status != http.StatusSeeOther || !strings.HasPrefix(regPath, "/registrations/") {
		t.Fatalf("registering: %d %q", res.Status, regPath)
	}
	pay := ms.send(t, "POST", st.URL+regPath+"/pay", url.Values{}, nil)
	if pay.Status != http.StatusSeeOther || !strings.HasPrefix(pay.Header.Get("Location"), "https://") {
		t.Fatalf("pay: %d to %q, want Stripe's page\n%s", pay.Status, pay.Header.Get("Location"), pay.Body)
	}
	again := ms.send(t, "POST", st.URL+regPath+"/pay", url.Values{}, nil)
	if again.Header.Get("Location") != pay.Header.Get("Location") {
		t.Errorf("a second attempt went to %q, want the open checkout %q", again.Header.Get("Location"), pay.Header.Get("Location"))
	}
	if err := st.DB.QueryRow(context.Background(), "SELECT checkout_id FROM payments").Scan(&checkout); err != nil {
		t.Fatal(err)
	}
	return regPath, checkout
}

func stripeEvent(id, checkout string) []byte {
	return []byte(`{"id":"` + id + `","object":"event","type":"checkout.session.completed","api_version":"2025-01-01",` +
		`"data":{"object":{"id":"` + checkout + `","object":"checkout.session","payment_status":"paid","status":"complete",` +
		`"amount_total":35000,"currency":"usd","payment_intent":"pi_from_webhook","client_reference_id":"registration:1"}}}`)
}

func postStripe(t *testing.T, base string, body []byte, sig string) response {
	t.Helper()
	req, err := http.NewRequest("POST", base+"/payments/webhook/stripe", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if sig != "" {
		req.Header.Set("Stripe-Signature", sig)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{Status: res.StatusCode, Body: string(b)}
}

func signStripe(body []byte, secret string, at time.Time) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: at}).Header
}

// TestStripeWebhookForgedStaleReplayed runs a registration's checkout at
// stripe-mock and then delivers Stripe webhooks to
// /payments/webhook/stripe on both engines: forged, stale and unsigned
// ones are refused and change nothing; one signed with the previous
// secret while it is rotated is applied; the same event again is
// acknowledged and changes nothing; the test processor's webhook path is
// not served.
func TestStripeWebhookForgedStaleReplayed(t *testing.T) {
	api := stripemock.Start(t)
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		st := newStripeSite(t, db, api)
		regPath, checkout := stripeRegistration(t, st)
		body := stripeEvent("evt_stripe_1", checkout)
		for _, tc := range []struct {
			name   string
			sig    string
			status int
			answer string
			paid   int
		}{
			{"forged", signStripe(body, "whsec_guessed", time.Now()), http.StatusBadRequest, "", 0},
			{"stale", signStripe(body, stripeSecretNow, time.Now().Add(-6*time.Minute)), http.StatusBadRequest, "", 0},
			{"from the future", signStripe(body, stripeSecretNow, time.Now().Add(6*time.Minute)), http.StatusBadRequest, "", 0},
			{"unsigned", "", http.StatusBadRequest, "", 0},
			{"previous secret while rotating", signStripe(body, stripeSecretOld, time.Now()), http.StatusOK, "ok\n", 1},
			{"replayed", signStripe(body, stripeSecretNow, time.Now()), http.StatusOK, "already applied\n", 1},
		} {
			got := postStripe(t, st.URL, body, tc.sig)
			if got.Status != tc.status || (tc.answer != "" && got.Body != tc.answer) {
				t.Errorf("%s webhook: %d %q, want %d %q", tc.name, got.Status, got.Body, tc.status, tc.answer)
			}
			if n := count(t, db, "SELECT COUNT(*) FROM payments WHERE status = 'paid'"); n != tc.paid {
				t.Errorf("after the %s webhook: %d paid payments, want %d", tc.name, n, tc.paid)
			}
		}
		if n := count(t, db, "SELECT COUNT(*) FROM registrations WHERE status = 'paid'"); n != 1 {
			t.Errorf("%d paid registrations, want 1", n)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'payments.paid'"); n != 1 {
			t.Errorf("%d payments.paid audit entries, want 1", n)
		}
		// Another event about a session this site never made, or of
		// another type, is acknowledged and recorded nowhere.
		other := stripeEvent("evt_stripe_2", "cs_made_elsewhere")
		if got := postStripe(t, st.URL, other, signStripe(other, stripeSecretNow, time.Now())); got.Status != http.StatusOK || got.Body != "nothing to do here\n" {
			t.Errorf("an event about another session: %d %q", got.Status, got.Body)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM payment_events"); n != 1 {
			t.Errorf("%d webhook events recorded, want 1", n)
		}
		if got := postStripe(t, st.URL, body, signStripe(body, stripeSecretNow, time.Now())); got.Status != http.StatusOK {
			t.Errorf("replayed once more: %d", got.Status)
		}
		// A properly signed event with no id (the fuzzer found the
		// verifier took one) cannot be applied once by its id: 400, and
		// nothing recorded.
		noID := bytes.Replace(stripeEvent("evt_unused", "cs_made_elsewhere"), []byte(`"id":"evt_unused"`), []byte(`"object_id":"x"`), 1)
		if got := postStripe(t, st.URL, noID, signStripe(noID, stripeSecretNow, time.Now())); got.Status != http.StatusBadRequest {
			t.Errorf("a signed event without an id: %d %q, want 400", got.Status, got.Body)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM payment_events"); n != 1 {
			t.Errorf("%d webhook events recorded after one without an id, want 1", n)
		}
		test := []byte(`{"id":"evt_t"}`)
		req, _ := http.NewRequest("POST", st.URL+"/payments/webhook/test", bytes.NewReader(test))
		if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusNotFound {
			t.Errorf("the test processor's webhook with Stripe configured: %v %v, want 404", res.StatusCode, err)
		}
		page := (&meetingSite{site: st, url: st.URL}).send(t, "GET", st.URL+regPath, nil, nil)
		if page.Status != http.StatusOK || !strings.Contains(page.Body, "paid, you are registered") {
			t.Errorf("the registration page after the webhook: %d\n%s", page.Status, page.Body)
		}
	})
}

// TestTwoInstancesRecordOneStripePayment runs two plenary servers on one
// PostgreSQL database and delivers the same signed Stripe webhook to
// both, six times each, at once: one payment is recorded, once, and every
// delivery is acknowledged.
func TestTwoInstancesRecordOneStripePayment(t *testing.T) {
	api := stripemock.Start(t)
	// Each instance has its own connections to the one database, as two
	// processes would.
	dsn := storetest.PostgresURL(t)
	open := func() *store.DB {
		d, err := store.Open(context.Background(), dsn, "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		if _, err := d.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		return d
	}
	db := open()
	a := newStripeSite(t, db, api)
	b := newStripeSite(t, open(), api)
	_, checkout := stripeRegistration(t, a)
	body := stripeEvent("evt_both_instances", checkout)
	sig := signStripe(body, stripeSecretNow, time.Now())
	var wg sync.WaitGroup
	var mu sync.Mutex
	answers := map[string]int{}
	for i := range 12 {
		base := a.URL
		if i%2 == 1 {
			base = b.URL
		}
		wg.Go(func() {
			got := postStripe(t, base, body, sig)
			mu.Lock()
			defer mu.Unlock()
			answers[got.Body]++
			if got.Status != http.StatusOK {
				t.Errorf("delivery %d: %d %s", i, got.Status, got.Body)
			}
		})
	}
	wg.Wait()
	if answers["ok\n"] != 1 || answers["already applied\n"] != 11 {
		t.Errorf("answers %v: want one ok and 11 already applied", answers)
	}
	for _, tc := range []struct {
		query string
		want  int
	}{
		{"SELECT COUNT(*) FROM payments WHERE status = 'paid'", 1},
		{"SELECT COUNT(*) FROM registrations WHERE status = 'paid'", 1},
		{"SELECT COUNT(*) FROM payment_events", 1},
		{"SELECT COUNT(*) FROM audit_log WHERE action = 'payments.paid'", 1},
	} {
		if n := count(t, db, tc.query); n != tc.want {
			t.Errorf("%s = %d, want %d", tc.query, n, tc.want)
		}
	}
}
