package payments

import "net/url"

// CheckoutOrigin is the origin of the test processor's hosted page. The
// page that sends the browser there by a form (plenary's registration
// page) names it in its Content-Security-Policy's form-action, since
// browsers hold a form's redirect to that directive too.
func (p *TestProcessor) CheckoutOrigin() string { return originOf(p.Origin) }

// originOf is the scheme and host of u, or "" when u has none.
func originOf(u string) string {
	v, err := url.Parse(u)
	if err != nil || v.Scheme == "" || v.Host == "" {
		return ""
	}
	return v.Scheme + "://" + v.Host
}

// formAction is the hosted page's form-action: its own origin, and
// plenary's, where the browser is sent back after paying.
func (p *TestProcessor) formAction() string {
	if o := originOf(p.WebhookURL); o != "" {
		return "'self' " + o
	}
	return "'self'"
}

// CheckoutOrigin is the origin of Stripe Checkout's hosted page, the only
// place the registration page's form may send the browser besides plenary.
func (s *Stripe) CheckoutOrigin() string { return "https://checkout.stripe.com" }
