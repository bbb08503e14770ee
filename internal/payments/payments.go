// Package payments talks to card processors. Card details are typed only
// on the processor's own page (P1): plenary starts a hosted checkout,
// sends the browser there, and learns the outcome from the processor's
// signed webhook. What it keeps of an outcome is filtered by an
// allow-list when it arrives (P2). The package knows nothing of plenary's
// HTTP handlers; the web layer hands it a webhook's header and body.
package payments

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Checkout is what plenary asks a processor to collect.
type Checkout struct {
	Amount    int64  // in the currency's minor unit
	Currency  string // ISO 4217, upper case
	Reference string // plenary's own reference, e.g. "registration:42"
	// ReturnURL is where the processor sends the browser back when the
	// card was charged or declined.
	ReturnURL string
	// Created is when plenary claimed the checkout, and ExpiresAt when it
	// gives the checkout up and frees its ticket; a processor that can,
	// closes its page then too.
	Created, ExpiresAt time.Time
	// Key is the idempotency key: asking again with the same key and the
	// same fields (a retry, a second click, the reconcile job repairing a
	// checkout whose session was never recorded) returns the same session
	// instead of opening another.
	Key string
}

// Session is a started hosted checkout.
type Session struct {
	ID  string // the processor's checkout id
	URL string // the processor's page where the card is typed
}

// Statuses of a payment.
const (
	Open     = "open"
	Paid     = "paid"
	Declined = "declined"
	Refunded = "refunded"
	// Expired is a checkout given up before it was paid: its page no
	// longer takes a card.
	Expired = "expired"
	// RefundRequested is a paid payment whose refund was asked for, and
	// not yet confirmed by the processor: asking again uses the same key.
	RefundRequested = "refund_requested"
	// Settling is a checkout whose payment was taken and is being
	// confirmed (a card that asks the bank, a slower payment method): it
	// takes no other card and cannot be expired, and its outcome follows.
	// A processor's look-up may answer it; plenary records it nowhere.
	Settling = "settling"
	// Starting is a checkout claimed for a registration whose session
	// the processor has not yet been asked for, or whose session was not
	// yet recorded: its page address has been shown to nobody.
	Starting = "starting"
)

// Outcome is everything plenary keeps of a payment's result (P2): the
// allow-list. Anything else a processor sends is dropped by Allow.
type Outcome struct {
	CheckoutID    string
	Status        string
	Amount        int64
	Currency      string
	TransactionID string
	AuthCode      string
	Last4         string
}

// Event is a verified webhook delivery.
type Event struct {
	ID      string // the processor's event id, for idempotency
	Outcome Outcome
}

// Processor is a card processor with a hosted checkout page.
type Processor interface {
	// Name is how the payment record and the privacy page name it.
	Name() string
	// Start opens a hosted checkout for c, or returns the one already
	// opened with c.Key.
	Start(ctx context.Context, c Checkout) (Session, error)
	// Webhook verifies a delivery's signature and freshness and parses
	// it. A forged or stale delivery is ErrBadSignature.
	Webhook(header http.Header, body []byte, now time.Time) (Event, error)
	// LookUp asks the processor for a checkout's state, for a webhook that
	// is late.
	LookUp(ctx context.Context, checkoutID string) (Outcome, error)
	// Refund gives a paid checkout's amount back, with key as the
	// idempotency key: asked again with the same key, after the refund
	// was made, it answers success and refunds nothing more.
	Refund(ctx context.Context, checkoutID, key string) error
	// Expire closes a checkout that was not paid, so its page takes no
	// card any more. A checkout already paid is not expired: the error
	// says so, and LookUp tells the outcome.
	Expire(ctx context.Context, checkoutID string) error
}

// Errors of webhook handling.
var (
	ErrBadSignature = errors.New("payments: the webhook's signature is missing, wrong or too old")
	ErrReplayed     = errors.New("payments: this webhook event was already applied")
	// ErrMalformed is a properly signed event that cannot be applied:
	// no event id (nothing to apply it once by) or a session that does
	// not parse. The processor never sends one; a bug or a leaked
	// secret might.
	ErrMalformed = errors.New("payments: the webhook's event is malformed")
	// ErrUnknownCheckout is a processor's answer that it has no such
	// checkout, so nothing can have been paid through it.
	ErrUnknownCheckout = errors.New("payments: the processor has no such checkout")
)

// RefusedError is a processor's answer that it will not make a refund:
// the checkout was never paid there, the charge is disputed, and so on.
// Nothing was refunded, and asking again changes nothing until the reason
// is dealt with; Reason is the processor's own words, for finance. Any
// other error of Refund means the processor could not be asked, and the
// refund may be asked again with the same key.
type RefusedError struct {
	Reason string
}

func (e *RefusedError) Error() string { return "the processor refused the refund: " + e.Reason }

// Tolerance is how old a webhook's signed timestamp may be.
const Tolerance = 5 * time.Minute

// Allow builds an Outcome from a processor's fields, taking only the
// allow-listed ones and only when each has the shape it should: a last
// four that is not four digits is not kept at all.
func Allow(fields map[string]any) Outcome {
	str := func(k string, max int) string {
		s, _ := fields[k].(string)
		if len(s) > max {
			return ""
		}
		return s
	}
	o := Outcome{
		CheckoutID:    str("checkout_id", 200),
		Status:        str("status", 20),
		Currency:      strings.ToUpper(str("currency", 3)),
		TransactionID: str("transaction_id", 200),
		AuthCode:      str("auth_code", 40),
		Last4:         str("last4", 4),
	}
	switch v := fields["amount"].(type) {
	case float64:
		o.Amount = int64(v)
	case int64:
		o.Amount = v
	}
	if len(o.Last4) != 4 || strings.Trim(o.Last4, "0123456789") != "" {
		o.Last4 = ""
	}
	switch o.Status {
	case Paid, Declined, Open, Refunded, Expired, Settling:
	default:
		o.Status = ""
	}
	return o
}

// Sign returns the signature header value for body at t, with secret:
// "t=UNIX,v1=HEX" where HEX is HMAC-SHA256 of "UNIX.body".
func Sign(secret, body []byte, t time.Time) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks a signature header made by Sign with any of secrets (more
// than one while a secret is rotated) and that its timestamp is within
// Tolerance of now.
func Verify(header string, body []byte, secrets [][]byte, now time.Time) error {
	var ts string
	var sigs [][]byte
	for part := range strings.SplitSeq(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return ErrBadSignature
	}
	if d := now.Sub(time.Unix(sec, 0)); d > Tolerance || d < -Tolerance {
		return fmt.Errorf("%w (signed %s ago)", ErrBadSignature, d.Round(time.Second))
	}
	for _, secret := range secrets {
		want := mac(secret, ts, body)
		for _, s := range sigs {
			if hmac.Equal(s, want) {
				return nil
			}
		}
	}
	return ErrBadSignature
}
