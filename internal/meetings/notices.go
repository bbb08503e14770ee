package meetings

import (
	"context"
	"fmt"
	"strings"
	"time"

	"plenary/internal/mail"
	"plenary/internal/payments"
	"plenary/internal/store"
)

// Mail to registrants about their money. A refund and a payment change a
// registration without the registrant's doing (finance refunds it, the
// processor's webhook or the reconcile job records a payment), so the use
// case that records the change also stores its mail, in the same
// transaction, in the durable outbox (internal/outbox): the registrant is
// told exactly when the change is made, whichever instance or job makes
// it, and never told of a change that was rolled back.

// Outbox stores a message within q, the use case's transaction, for
// delivery once it commits: internal/outbox's Outbox.Put.
type Outbox interface {
	Put(ctx context.Context, q store.Querier, m mail.Message, what string) (int64, error)
}

// DayLayout is how a day is written to people: "29 November 2026".
const DayLayout = "2 January 2006"

// Day writes the day of t in UTC, as people read it.
func Day(t time.Time) string { return t.UTC().Format(DayLayout) }

// regByID reads a registration by its number, with its payments.
func regByID(ctx context.Context, q store.Querier, id int64) (Registration, error) {
	r, err := scanReg(q.QueryRow(ctx, "SELECT "+regColumns+regFrom+" WHERE r.id = ?", id))
	if err != nil {
		return r, err
	}
	r.Payments, err = paymentsOf(ctx, q, r.ID)
	return r, err
}

// notify stores m in c's outbox within q; without an outbox (a site with
// no key) or an address (shredded after the meeting), nobody is written to.
func (c Checkouts) notify(ctx context.Context, q store.Querier, m mail.Message, what string) error {
	if c.Outbox == nil || m.To == "" {
		return nil
	}
	if _, err := c.Outbox.Put(ctx, q, m, what); err != nil {
		return fmt.Errorf("storing %s: %w", what, err)
	}
	return nil
}

func (c Checkouts) pageOf(r Registration) string {
	return strings.TrimSuffix(c.BaseURL, "/") + "/registrations/" + r.Token
}

func (c Checkouts) subject(what string, r Registration) string {
	s := fmt.Sprintf("%s for %s", what, r.MeetingName)
	if c.Org != "" {
		s += " (" + c.Org + ")"
	}
	return s
}

// RefundNotice tells the registrant that amount (in minor units of
// currency) went back to their card on day at, and what became of their
// place: released, the registration cancelled; or, for a payment that came
// after the place was released for want of payment (stray), that there
// was no place left to pay for.
func (c Checkouts) RefundNotice(r Registration, amount int64, currency string, at time.Time, stray bool) mail.Message {
	body := fmt.Sprintf("Dear %s,\n\nwe have refunded your payment of %s for %s on %s, through the card processor, to the card you paid with. "+
		"Depending on your bank, it can take some days to appear on your statement.\n\n", r.Name, Money(amount, currency), r.MeetingName, Day(at))
	if stray {
		body += "Your payment arrived after your place had been released, because the payment was not completed in time, and by then the meeting was full: so there was no place for it to pay for, and you are not registered.\n\n"
	} else {
		body += "Your registration is cancelled and its place is released for someone else: you are no longer registered for the meeting.\n\n"
	}
	body += fmt.Sprintf("Your registration's page and its receipt stay at\n%s\n\nIf you did not expect this refund, please write to us through the contact page.\n", c.pageOf(r))
	return mail.Message{To: r.Email, Subject: c.subject("Your payment is refunded", r), Body: body}
}

// RefundRequestNotice acknowledges a registrant's request for a refund
// of the paid registration r, made on day at, that keeps their place for
// now; finance decide it.
func RefundRequestNotice(r Registration, at time.Time, baseURL, org string) mail.Message {
	var paid string
	for _, p := range r.Payments {
		if p.Status == payments.Paid {
			paid = " of " + p.Price()
		}
	}
	body := fmt.Sprintf("Dear %s,\n\nwe received on %s your request for a refund of your payment%s for %s.\n\n", r.Name, Day(at), paid, r.MeetingName) +
		"Your registration stays as it is for now: our finance staff decide the request by the organization's refund policy. " +
		"If they refund you, the amount goes back to your card through the card processor, your registration is cancelled and its place released, and we write to you again.\n\n" +
		fmt.Sprintf("Your registration's page is at\n%s/registrations/%s\n\nIf you did not ask for a refund, please write to us through the contact page.\n", strings.TrimSuffix(baseURL, "/"), r.Token)
	subject := fmt.Sprintf("Your refund request for %s is received", r.MeetingName)
	if org != "" {
		subject += " (" + org + ")"
	}
	return mail.Message{To: r.Email, Subject: subject, Body: body}
}

// PaidNotice tells the registrant that their payment of amount (minor
// units of currency) arrived on day at and their registration is
// complete, with the links to their page and receipt.
func (c Checkouts) PaidNotice(r Registration, amount int64, currency string, at time.Time) mail.Message {
	body := fmt.Sprintf("Dear %s,\n\nwe received your payment of %s for %s on %s: your registration is complete, with the ticket %s.\n\n",
		r.Name, Money(amount, currency), r.MeetingName, Day(at), r.Ticket.Name) +
		fmt.Sprintf("Your receipt is at\n%s/receipt\n\nand your registration's page, where you can also cancel it, at\n%s\n\nKeep these links to yourself: they open your registration.\n", c.pageOf(r), c.pageOf(r))
	return mail.Message{To: r.Email, Subject: c.subject("Your registration is complete", r), Body: body}
}
