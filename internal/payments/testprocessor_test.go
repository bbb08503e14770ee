package payments_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"plenary/internal/payments"
)

// TestTestProcessorCards pays one checkout per test card through the
// hosted page, as a browser would, and follows what the processor says
// afterwards: the browser is sent back at once in every case; the first
// card is paid before it returns, the second declined with the checkout
// left open for another card, and the third paid only after the delay,
// its checkout meanwhile taking no other card and refusing to expire,
// with the webhook sent once it is settled.
func TestTestProcessorCards(t *testing.T) {
	ctx := context.Background()
	secret := []byte("test processor secret")
	hooks := make(chan payments.Event, 10)
	var p *payments.TestProcessor
	plenary := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ev, err := p.Webhook(r.Header, body, time.Now())
		if err != nil {
			t.Errorf("webhook: %v", err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		hooks <- ev
	}))
	defer plenary.Close()
	p = &payments.TestProcessor{Secret: secret, WebhookURL: plenary.URL, Delay: 300 * time.Millisecond}
	hosted := httptest.NewServer(p.Handler())
	defer hosted.Close()
	p.Origin = hosted.URL
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	card := func(number string) url.Values {
		return url.Values{"number": {number}, "exp_month": {"12"}, "exp_year": {"2031"}, "cvc": {"123"}, "name": {"Card Holder"}}
	}
	pay := func(id, number string) *http.Response {
		t.Helper()
		res, err := browser.PostForm(hosted.URL+"/checkout/"+id, card(number))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	status := func(id string) string {
		t.Helper()
		o, err := p.LookUp(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return o.Status
	}
	start := func(n int) payments.Session {
		t.Helper()
		now := time.Now()
		s, err := p.Start(ctx, payments.Checkout{Amount: 35000, Currency: "USD", Reference: fmt.Sprintf("registration:%d", n),
			ReturnURL: "https://site.example/back", Created: now, ExpiresAt: now.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	awaitHook := func(id, want string) {
		t.Helper()
		select {
		case ev := <-hooks:
			if ev.Outcome.CheckoutID != id || ev.Outcome.Status != want || ev.Outcome.Last4 == "" {
				t.Errorf("webhook %+v, want checkout %s %s with the last four digits", ev.Outcome, id, want)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("no webhook for checkout %s", id)
		}
	}

	paid := start(1)
	if res := pay(paid.ID, payments.CardSucceeds); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "https://site.example/back" {
		t.Fatalf("paying: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	awaitHook(paid.ID, payments.Paid)
	if got := status(paid.ID); got != payments.Paid {
		t.Errorf("after paying: %s", got)
	}

	declined := start(2)
	if res := pay(declined.ID, payments.CardDeclined); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("declined card: %d", res.StatusCode)
	}
	awaitHook(declined.ID, payments.Declined)
	if got := status(declined.ID); got != payments.Open {
		t.Errorf("after a decline: %s, want the checkout open for another card", got)
	}

	late := start(3)
	if res := pay(late.ID, payments.CardSucceedsLate); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "https://site.example/back" {
		t.Fatalf("the late card: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	// Back at once, and not yet paid: being confirmed.
	if got := status(late.ID); got != payments.Settling {
		t.Errorf("just after the late card: %s, want settling", got)
	}
	select {
	case ev := <-hooks:
		t.Errorf("a webhook before the payment was settled: %+v", ev.Outcome)
	default:
	}
	if res := pay(late.ID, payments.CardSucceeds); res.StatusCode != http.StatusNotFound {
		t.Errorf("a second card while the first is settling: %d, want 404", res.StatusCode)
	}
	if err := p.Expire(ctx, late.ID); err == nil {
		t.Error("a checkout being paid was expired")
	}
	awaitHook(late.ID, payments.Paid)
	if got := status(late.ID); got != payments.Paid {
		t.Errorf("after settling: %s", got)
	}

	if res := pay(start(4).ID, "4111111111111111"); res.StatusCode != http.StatusBadRequest {
		t.Errorf("an unknown card: %d, want 400", res.StatusCode)
	}
	page, err := http.Get(hosted.URL + "/checkout/" + start(5).ID)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(page.Body)
	page.Body.Close()
	for _, want := range []string{"4242424242424242", "4000000000003220", "4000000000000002"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the hosted page does not name the test card %s", want)
		}
	}
}
