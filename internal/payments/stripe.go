package payments

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v84"
	"github.com/stripe/stripe-go/v84/webhook"
)

// StripeName is how payment records name Stripe.
const StripeName = "Stripe"

// Stripe is Stripe Checkout: plenary creates a Checkout Session and sends
// the browser to Stripe's page, where the card is typed (P1).
type Stripe struct {
	client *stripe.Client
	// secrets verify webhooks: the current endpoint secret, and the old
	// one while it is rotated.
	secrets []string
}

// NewStripe returns the Stripe processor for the secret API key and the
// webhook endpoint secrets. apiURL, when not empty, replaces Stripe's API
// address (stripe-mock in tests).
func NewStripe(key string, webhookSecrets []string, apiURL string, hc *http.Client) *Stripe {
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	cfg := &stripe.BackendConfig{HTTPClient: hc, LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull}}
	if apiURL != "" {
		cfg.URL = stripe.String(apiURL)
	}
	return &Stripe{client: stripe.NewClient(key, stripe.WithBackends(stripe.NewBackendsWithConfig(cfg))), secrets: webhookSecrets}
}

// Name implements Processor.
func (s *Stripe) Name() string { return StripeName }

// Stripe's API writes most amounts in the currency's ISO 4217 minor
// unit, as plenary keeps them, but not all: it has no decimals for MGA
// (ISO: two) and two for ISK (ISO: none, and Stripe wants whole krónur,
// multiples of 100). stripeDecimals is Stripe's count where it differs
// from ISO 4217's (https://docs.stripe.com/currencies).
var stripeDecimals = map[string]int{"ISK": 2, "MGA": 0}

// toStripe turns an amount in ISO 4217 minor units into Stripe's, and
// refuses one Stripe cannot take (fractions of an ariary).
func toStripe(amount int64, currency string) (int64, error) {
	iso, ok := MinorUnits(currency)
	st, differs := stripeDecimals[currency]
	switch {
	case !ok || !differs || st == iso:
		return amount, nil
	case st > iso:
		return amount * pow10(st-iso), nil
	case amount%pow10(iso-st) != 0:
		return 0, fmt.Errorf("stripe: %s %s cannot be charged: Stripe takes whole units of %s", currency, FormatAmount(amount, currency), currency)
	}
	return amount / pow10(iso-st), nil
}

// fromStripe turns an amount in Stripe's units back into ISO 4217 minor
// units.
func fromStripe(amount int64, currency string) int64 {
	iso, ok := MinorUnits(currency)
	st, differs := stripeDecimals[currency]
	switch {
	case !ok || !differs || st == iso:
		return amount
	case st > iso:
		return amount / pow10(st-iso)
	}
	return amount * pow10(iso-st)
}

// Start implements Processor: a Checkout Session in payment mode for one
// line, whose reference is plenary's own.
func (s *Stripe) Start(ctx context.Context, c Checkout) (Session, error) {
	unit, err := toStripe(c.Amount, c.Currency)
	if err != nil {
		return Session{}, err
	}
	params := &stripe.CheckoutSessionCreateParams{
		Mode:              stripe.String(string(stripe.CheckoutSessionModePayment)),
		ClientReferenceID: stripe.String(c.Reference),
		SuccessURL:        stripe.String(c.ReturnURL),
		CancelURL:         stripe.String(c.ReturnURL),
		LineItems: []*stripe.CheckoutSessionCreateLineItemParams{{
			Quantity: stripe.Int64(1),
			PriceData: &stripe.CheckoutSessionCreateLineItemPriceDataParams{
				Currency:    stripe.String(strings.ToLower(c.Currency)),
				UnitAmount:  stripe.Int64(unit),
				ProductData: &stripe.CheckoutSessionCreateLineItemPriceDataProductDataParams{Name: stripe.String(c.Reference)},
			},
		}},
	}
	// Stripe takes an expiry from 30 minutes to 24 hours ahead; a shorter
	// one is left to plenary, which expires the session itself. Whether it
	// is sent depends on the checkout alone, not on the clock, so that a
	// retry under the same key asks for the very same thing (Stripe
	// refuses a key reused with other parameters); the minute spare covers
	// the time the request takes to reach Stripe.
	if d := c.ExpiresAt.Sub(c.Created); d >= 31*time.Minute && d <= 24*time.Hour {
		params.ExpiresAt = stripe.Int64(c.ExpiresAt.Unix())
	}
	// The same key returns the same session, for 24 hours: a retry never
	// opens a second checkout. stripe-go itself retries a request whose
	// key is still in use (409) a few times.
	if c.Key != "" {
		params.SetIdempotencyKey(c.Key)
	}
	sess, err := s.client.V1CheckoutSessions.Create(ctx, params)
	if err != nil {
		return Session{}, fmt.Errorf("creating a Stripe Checkout Session: %w", err)
	}
	return Session{ID: sess.ID, URL: sess.URL}, nil
}

// outcome turns a session into the allow-listed Outcome; the card's last
// four and authorization code come from the charge when it is expanded.
func outcome(sess *stripe.CheckoutSession) Outcome {
	cur := strings.ToUpper(string(sess.Currency))
	fields := map[string]any{"checkout_id": sess.ID, "amount": fromStripe(sess.AmountTotal, cur), "currency": cur}
	switch {
	case sess.PaymentStatus == stripe.CheckoutSessionPaymentStatusPaid:
		fields["status"] = Paid
	case sess.Status == stripe.CheckoutSessionStatusExpired:
		fields["status"] = Expired
	case sess.Status == stripe.CheckoutSessionStatusComplete:
		// Completed and not yet paid: a payment method that settles later,
		// whose outcome comes as async_payment_succeeded or _failed.
		fields["status"] = Settling
	default:
		fields["status"] = Open
	}
	if pi := sess.PaymentIntent; pi != nil {
		fields["transaction_id"] = pi.ID
		if ch := pi.LatestCharge; ch != nil && ch.PaymentMethodDetails != nil && ch.PaymentMethodDetails.Card != nil {
			fields["last4"] = ch.PaymentMethodDetails.Card.Last4
			if ch.PaymentMethodDetails.Card.AuthorizationCode != "" {
				fields["auth_code"] = ch.PaymentMethodDetails.Card.AuthorizationCode
			}
		}
	}
	return Allow(fields)
}

// LookUp implements Processor.
func (s *Stripe) LookUp(ctx context.Context, id string) (Outcome, error) {
	params := &stripe.CheckoutSessionRetrieveParams{}
	params.AddExpand("payment_intent.latest_charge")
	sess, err := s.client.V1CheckoutSessions.Retrieve(ctx, id, params)
	if err != nil {
		return Outcome{}, fmt.Errorf("looking up a Stripe Checkout Session: %w", unknown(err))
	}
	return outcome(sess), nil
}

// Expire implements Processor: Stripe refuses to expire a session that
// is complete, so a paid one stays paid.
func (s *Stripe) Expire(ctx context.Context, id string) error {
	if _, err := s.client.V1CheckoutSessions.Expire(ctx, id, nil); err != nil {
		return fmt.Errorf("expiring a Stripe Checkout Session: %w", unknown(err))
	}
	return nil
}

// unknown turns Stripe's "no such object" into ErrUnknownCheckout.
func unknown(err error) error {
	var se *stripe.Error
	if errors.As(err, &se) && se.HTTPStatusCode == http.StatusNotFound {
		return fmt.Errorf("%w (%s)", ErrUnknownCheckout, se.Msg)
	}
	return err
}

// Refund implements Processor: the whole amount of the session's payment,
// asked with the idempotency key, so Stripe answers a repeated request
// (within its 24 hours) with the refund it made. Past them, Stripe
// refuses a second refund of the charge as already refunded: the money
// is back all the same, so that answer is success too.
func (s *Stripe) Refund(ctx context.Context, id, key string) error {
	sess, err := s.client.V1CheckoutSessions.Retrieve(ctx, id, nil)
	if err != nil {
		return fmt.Errorf("looking up a Stripe Checkout Session: %w", refused(err))
	}
	if sess.PaymentIntent == nil {
		return &RefusedError{Reason: "the Stripe Checkout Session " + id + " has no payment to refund"}
	}
	params := &stripe.RefundCreateParams{PaymentIntent: stripe.String(sess.PaymentIntent.ID)}
	if key != "" {
		params.SetIdempotencyKey(key)
	}
	if _, err := s.client.V1Refunds.Create(ctx, params); err != nil {
		var se *stripe.Error
		if errors.As(err, &se) && se.Code == stripe.ErrorCodeChargeAlreadyRefunded {
			return nil
		}
		return fmt.Errorf("refunding at Stripe: %w", refused(err))
	}
	return nil
}

// refused turns Stripe's answer that it will not do what was asked (a
// 4xx other than a conflict or a rate limit, which pass) into a
// RefusedError with Stripe's message; anything else is left as it is, to
// be asked again.
func refused(err error) error {
	var se *stripe.Error
	if !errors.As(err, &se) || se.HTTPStatusCode < 400 || se.HTTPStatusCode >= 500 ||
		se.HTTPStatusCode == http.StatusConflict || se.HTTPStatusCode == http.StatusTooManyRequests {
		return err
	}
	reason := se.Msg
	if reason == "" {
		reason = string(se.Code)
	}
	return &RefusedError{Reason: reason}
}

// SignatureHeaderStripe carries Stripe's webhook signature.
const SignatureHeaderStripe = "Stripe-Signature"

// Webhook implements Processor with stripe-go's verification: any of
// the endpoint secrets, signed no longer than Tolerance ago by stripe-go's
// clock. stripe-go accepts a timestamp from the future; plenary refuses
// one more than Tolerance ahead of now, as Verify does. Checkout events
// carry the session; others are answered without an outcome.
func (s *Stripe) Webhook(h http.Header, body []byte, now time.Time) (Event, error) {
	header := h.Get(SignatureHeaderStripe)
	for part := range strings.SplitSeq(header, ",") {
		if k, v, _ := strings.Cut(strings.TrimSpace(part), "="); k == "t" {
			if sec, err := strconv.ParseInt(v, 10, 64); err == nil && time.Unix(sec, 0).Sub(now) > Tolerance {
				return Event{}, fmt.Errorf("%w (signed %s ahead)", ErrBadSignature, time.Unix(sec, 0).Sub(now).Round(time.Second))
			}
		}
	}
	var ev stripe.Event
	var err error = ErrBadSignature
	for _, secret := range s.secrets {
		ev, err = webhook.ConstructEventWithOptions(body, header, secret,
			webhook.ConstructEventOptions{Tolerance: Tolerance, IgnoreAPIVersionMismatch: true})
		if err == nil {
			break
		}
	}
	if err != nil {
		return Event{}, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	if ev.ID == "" {
		return Event{}, fmt.Errorf("%w: an event without an id", ErrMalformed)
	}
	if !strings.HasPrefix(string(ev.Type), "checkout.session.") || ev.Data == nil {
		return Event{ID: ev.ID}, nil
	}
	var sess stripe.CheckoutSession
	if err := sess.UnmarshalJSON(ev.Data.Raw); err != nil {
		return Event{}, fmt.Errorf("%w: reading the session: %v", ErrMalformed, err)
	}
	o := outcome(&sess)
	if ev.Type == "checkout.session.async_payment_failed" {
		o.Status = Declined
	}
	return Event{ID: ev.ID, Outcome: o}, nil
}
