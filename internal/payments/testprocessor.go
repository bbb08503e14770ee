package payments

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"sync"
	"time"
)

// TestProcessor is a card processor built into plenary for demos and
// end-to-end tests. Its hosted page is served by Handler on its own
// listener and origin, so card details are typed on another site than
// plenary's, as with a real processor (P1). It answers like one:
// CardSucceeds is charged, CardDeclined is declined, CardSucceedsLate is
// charged after Delay (the browser comes back before the payment is
// settled, as with a card that asks for a bank's confirmation), and any
// other number is refused as unknown. It notifies plenary with a signed webhook and sends
// the browser back. It keeps no card field past the request that carried
// it and logs nothing.
type TestProcessor struct {
	// Origin is the processor's own base URL, such as http://127.0.0.1:8081.
	Origin string
	// WebhookURL is plenary's webhook address for this processor.
	WebhookURL string
	// Secret signs the webhooks.
	Secret []byte
	// Client delivers webhooks; default http.DefaultClient.
	Client *http.Client
	Now    func() time.Time
	// Delay is how long a CardSucceedsLate payment takes to settle;
	// default 5 seconds.
	Delay time.Duration

	mu       sync.Mutex
	sessions map[string]*testSession
	keys     map[string]string // idempotency key -> checkout id
	started  int
	refunds  int
}

// The test cards.
const (
	CardSucceeds     = "4242424242424242"
	CardDeclined     = "4000000000000002"
	CardSucceedsLate = "4000000000003220"
)

// TestProcessorName is how payment records name the test processor.
const TestProcessorName = "test processor"

type testSession struct {
	Checkout
	outcome   Outcome
	refundKey string
	// settling is a CardSucceedsLate payment taken and not yet settled:
	// the checkout reads as open, but takes no other card and cannot be
	// expired, as a real processor's checkout that is being paid.
	settling bool
}

func (p *TestProcessor) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func randomID(prefix string) string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return prefix + hex.EncodeToString(b)
}

// Name implements Processor.
func (p *TestProcessor) Name() string { return TestProcessorName }

// Start implements Processor: the session lives in this process's memory.
// A key already used returns its session again, as long as the request is
// the same; a different request under a used key is refused, as Stripe
// refuses it.
func (p *TestProcessor) Start(ctx context.Context, c Checkout) (Session, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.sessions == nil {
		p.sessions = map[string]*testSession{}
		p.keys = map[string]string{}
	}
	if id, ok := p.keys[c.Key]; ok && c.Key != "" {
		if s := p.sessions[id]; !sameRequest(s.Checkout, c) {
			return Session{}, fmt.Errorf("test processor: the key %s was used for another checkout", c.Key)
		}
		return p.sessionOf(id), nil
	}
	id := randomID("cs_test_")
	p.sessions[id] = &testSession{Checkout: c, outcome: Outcome{CheckoutID: id, Status: Open, Amount: c.Amount, Currency: c.Currency}}
	if c.Key != "" {
		p.keys[c.Key] = id
	}
	p.started++
	return p.sessionOf(id), nil
}

// sameRequest reports whether two checkouts ask for the same thing, to
// the second, as a processor's API carries times.
func sameRequest(a, b Checkout) bool {
	return a.Amount == b.Amount && a.Currency == b.Currency && a.Reference == b.Reference && a.ReturnURL == b.ReturnURL &&
		a.ExpiresAt.Unix() == b.ExpiresAt.Unix() && a.Created.Unix() == b.Created.Unix()
}

func (p *TestProcessor) sessionOf(id string) Session {
	return Session{ID: id, URL: strings.TrimSuffix(p.Origin, "/") + "/checkout/" + id}
}

// AddPaid records a checkout paid through the processor: the processor
// keeps its checkouts in memory only, so at start plenary gives it back
// the payments its records hold as paid here (the demo's seeded ones
// among them), which can then be refunded. A checkout it knows already is
// left as it is.
func (p *TestProcessor) AddPaid(o Outcome) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.sessions == nil {
		p.sessions = map[string]*testSession{}
		p.keys = map[string]string{}
	}
	if _, ok := p.sessions[o.CheckoutID]; ok || o.CheckoutID == "" {
		return
	}
	o.Status = Paid
	p.sessions[o.CheckoutID] = &testSession{Checkout: Checkout{Amount: o.Amount, Currency: o.Currency}, outcome: o}
}

// Started is how many checkouts the processor opened (a repeated key
// opens none).
func (p *TestProcessor) Started() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.started
}

// LookUp implements Processor: a CardSucceedsLate payment reads as
// Settling until it is settled.
func (p *TestProcessor) LookUp(ctx context.Context, id string) (Outcome, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.sessions[id]
	if !ok {
		return Outcome{}, fmt.Errorf("test processor: checkout %s: %w", id, ErrUnknownCheckout)
	}
	if s.settling {
		o := s.outcome
		o.Status = Settling
		return o, nil
	}
	return s.outcome, nil
}

// Expire implements Processor: an open checkout's page stops taking
// cards; a paid one stays paid.
func (p *TestProcessor) Expire(ctx context.Context, id string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.sessions[id]
	switch {
	case !ok:
		return fmt.Errorf("test processor: checkout %s: %w", id, ErrUnknownCheckout)
	case s.outcome.Status == Expired:
		return nil
	case s.settling:
		return fmt.Errorf("test processor: checkout %s is being paid", id)
	case s.outcome.Status != Open:
		return fmt.Errorf("test processor: checkout %s is %s, not open", id, s.outcome.Status)
	}
	s.outcome.Status = Expired
	return nil
}

// Refund implements Processor: a refund asked again with the key it was
// made with succeeds and refunds nothing more; with another key, a
// checkout already refunded is refused, as is one not paid or unknown
// (RefusedError).
func (p *TestProcessor) Refund(ctx context.Context, id, key string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.sessions[id]
	switch {
	case ok && s.outcome.Status == Refunded && key != "" && s.refundKey == key:
		return nil
	case !ok:
		return &RefusedError{Reason: fmt.Sprintf("it has no checkout %s, so nothing was paid through it", id)}
	case s.outcome.Status == Refunded:
		return &RefusedError{Reason: fmt.Sprintf("checkout %s is refunded already", id)}
	case s.outcome.Status != Paid:
		return &RefusedError{Reason: fmt.Sprintf("checkout %s is not paid", id)}
	}
	s.outcome.Status = Refunded
	s.refundKey = key
	p.refunds++
	return nil
}

// Refunds is how many refunds the processor made (a repeated key makes
// none).
func (p *TestProcessor) Refunds() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.refunds
}

// SignatureHeader carries the test processor's webhook signature.
const SignatureHeader = "Plenary-Test-Signature"

// Webhook implements Processor.
func (p *TestProcessor) Webhook(h http.Header, body []byte, now time.Time) (Event, error) {
	if err := Verify(h.Get(SignatureHeader), body, [][]byte{p.Secret}, now); err != nil {
		return Event{}, err
	}
	var fields map[string]any
	if err := json.Unmarshal(body, &fields); err != nil {
		return Event{}, fmt.Errorf("%w: test processor webhook: %v", ErrMalformed, err)
	}
	id, _ := fields["id"].(string)
	if id == "" {
		return Event{}, fmt.Errorf("%w: test processor webhook: no event id", ErrMalformed)
	}
	return Event{ID: id, Outcome: Allow(fields)}, nil
}

var checkoutPage = template.Must(template.New("checkout").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Test processor: pay {{.Amount}}</title></head>
<body>
<h1>Test card processor</h1>
<p>This page belongs to the test processor, not to the site you came from: what you type here is not sent to it.
Use the card {{.Good}} to pay, {{.Late}} to pay with the payment settled a few seconds later, or {{.Bad}} to see a decline.</p>
{{if .Problem}}<p role="alert"><strong>{{.Problem}}</strong></p>{{end}}
<p>Amount: <strong>{{.Amount}}</strong></p>
<form method="post" action="/checkout/{{.ID}}" autocomplete="off">
<p><label for="name">Name on the card</label><br><input id="name" name="name" autocomplete="cc-name"></p>
<p><label for="number">Card number</label><br><input id="number" name="number" inputmode="numeric" autocomplete="cc-number"></p>
<p><label for="exp_month">Expiry month</label><br><input id="exp_month" name="exp_month" inputmode="numeric" size="2"></p>
<p><label for="exp_year">Expiry year</label><br><input id="exp_year" name="exp_year" inputmode="numeric" size="4"></p>
<p><label for="cvc">Security code</label><br><input id="cvc" name="cvc" inputmode="numeric" size="4" autocomplete="cc-csc"></p>
<p><button type="submit">Pay {{.Amount}}</button></p>
</form>
</body></html>
`))

type checkoutView struct {
	ID, Amount, Problem, Good, Late, Bad string
}

// Handler serves the hosted checkout page on the processor's listener.
func (p *TestProcessor) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /checkout/{id}", func(w http.ResponseWriter, r *http.Request) {
		s, ok := p.session(r.PathValue("id"))
		if !ok || s.outcome.Status != Open || s.settling {
			http.Error(w, "There is no open checkout here.", http.StatusNotFound)
			return
		}
		p.page(w, http.StatusOK, checkoutView{ID: s.outcome.CheckoutID, Amount: amount(s.Checkout)})
	})
	mux.HandleFunc("POST /checkout/{id}", p.pay)
	return mux
}

func amount(c Checkout) string { return c.Currency + " " + FormatAmount(c.Amount, c.Currency) }

func (p *TestProcessor) page(w http.ResponseWriter, status int, v checkoutView) {
	v.Good, v.Late, v.Bad = CardSucceeds, CardSucceedsLate, CardDeclined
	var buf bytes.Buffer
	if err := checkoutPage.Execute(&buf, v); err != nil {
		http.Error(w, "The page could not be shown.", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; form-action "+p.formAction()+"; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (p *TestProcessor) session(id string) (testSession, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.sessions[id]
	if !ok {
		return testSession{}, false
	}
	return *s, true
}

// pay charges the card typed on the hosted page. The card fields live in
// this function's variables only: they are neither kept nor logged, and
// only the last four digits leave it, in the webhook.
func (p *TestProcessor) pay(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "The form could not be read.", http.StatusBadRequest)
		return
	}
	s, ok := p.session(r.PathValue("id"))
	if !ok || s.outcome.Status != Open || s.settling {
		http.Error(w, "There is no open checkout here.", http.StatusNotFound)
		return
	}
	number := strings.NewReplacer(" ", "", "-", "").Replace(r.PostForm.Get("number"))
	cvc := r.PostForm.Get("cvc")
	var status string
	late := false
	switch {
	case len(cvc) < 3 || len(cvc) > 4 || strings.Trim(cvc, "0123456789") != "" ||
		r.PostForm.Get("exp_month") == "" || r.PostForm.Get("exp_year") == "":
		p.page(w, http.StatusBadRequest, checkoutView{ID: s.outcome.CheckoutID, Amount: amount(s.Checkout),
			Problem: "Please give the card's expiry month and year and its security code."})
		return
	case number == CardSucceeds:
		status = Paid
	case number == CardSucceedsLate:
		status, late = Paid, true
	case number == CardDeclined:
		status = Declined
	default:
		p.page(w, http.StatusBadRequest, checkoutView{ID: s.outcome.CheckoutID, Amount: amount(s.Checkout),
			Problem: "The test processor knows only its three test cards."})
		return
	}
	o := s.outcome
	o.Status = status
	if status == Paid {
		o.TransactionID = randomID("tx_")
		o.AuthCode = strings.ToUpper(randomID("")[:6])
	}
	o.Last4 = number[len(number)-4:]
	// The charge happens only while the checkout is still open: one that
	// expired (or was paid) meanwhile takes no card.
	p.mu.Lock()
	cur, ok := p.sessions[o.CheckoutID]
	charged := ok && cur.outcome.Status == Open && !cur.settling
	switch {
	case !charged:
	case late:
		cur.settling = true
	default:
		cur.outcome = o
		if status == Declined {
			// A declined checkout stays open for another card.
			cur.outcome.Status = Open
		}
	}
	p.mu.Unlock()
	if !charged {
		http.Error(w, "There is no open checkout here.", http.StatusNotFound)
		return
	}
	// The webhook goes before the browser is sent back, so the page it
	// returns to already knows. Like a real processor's, it says more than
	// plenary keeps: the card's brand and funding, which plenary's
	// allow-list drops. The name on the card stays here.
	body, err := json.Marshal(map[string]any{
		"id": randomID("evt_"), "checkout_id": o.CheckoutID, "status": o.Status, "amount": o.Amount, "currency": o.Currency,
		"transaction_id": o.TransactionID, "auth_code": o.AuthCode, "last4": o.Last4,
		"brand": "visa", "funding": "credit",
	})
	switch {
	case err != nil:
	case late:
		// The browser goes back now, before the payment is settled; the
		// webhook follows once it is, whether or not the browser waits.
		go p.settleLate(o, body)
	default:
		p.notify(r.Context(), body)
	}
	http.Redirect(w, r, s.ReturnURL, http.StatusSeeOther)
}

// settleLate settles a CardSucceedsLate payment after the delay and then
// notifies plenary. Only the outcome is held meanwhile, never a card field.
func (p *TestProcessor) settleLate(o Outcome, webhook []byte) {
	delay := p.Delay
	if delay <= 0 {
		delay = 5 * time.Second
	}
	time.Sleep(delay)
	p.mu.Lock()
	if cur, ok := p.sessions[o.CheckoutID]; ok && cur.settling {
		cur.settling = false
		cur.outcome = o
	}
	p.mu.Unlock()
	p.notify(context.Background(), webhook)
}

// notify delivers a webhook; a failed delivery is left to plenary's
// look-up when the browser comes back.
func (p *TestProcessor) notify(ctx context.Context, body []byte) {
	if p.WebhookURL == "" {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.WebhookURL, bytes.NewReader(body))
	if err != nil {
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, Sign(p.Secret, body, p.now()))
	client := p.Client
	if client == nil {
		client = http.DefaultClient
	}
	if res, err := client.Do(req); err == nil {
		res.Body.Close()
	}
}
