package meetings

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"plenary/internal/audit"
	"plenary/internal/payments"
	"plenary/internal/secrets"
	"plenary/internal/store"
)

// Payment state that cannot drift (issue 10). A registration holds its
// ticket while it waits for its payment, through one live checkout at a
// time (the database refuses a second: payments_one_live). A checkout
// not paid within the configured expiry is closed at the processor and
// its ticket freed; the state follows the processor's webhooks, each
// applied once whichever instance receives it, and Reconcile looks a
// checkout up at the processor when its webhook is late.

// Expired is a registration whose payment was not completed in time: its
// ticket is free again. Paying later takes a place again if one is left.
const Expired = "expired"

// Errors of checkouts.
var (
	ErrReleased     = errors.New("Your place was released because the payment was not completed in time, and the meeting is now full.")
	ErrNoProcessor  = errors.New("Card payment is not set up on this site; please contact the secretariat.")
	ErrCheckoutBusy = errors.New("Your earlier payment is still being settled with the card processor; please reload this page in a minute.")
	ErrSettling     = errors.New("Your payment is being confirmed by the card processor, so there is nothing to pay now: your registration's page shows the payment once it is confirmed, and we mail you then.")
	// ErrIgnored is a verified webhook about something plenary does not
	// track (another kind of event, or a checkout made elsewhere).
	ErrIgnored = errors.New("meetings: the webhook is about nothing this site tracks")
)

// DefaultExpiry is how long a checkout stays open when not configured.
const DefaultExpiry = 30 * time.Minute

// Checkouts runs the payment use cases with one processor.
type Checkouts struct {
	DB     *store.DB
	Audit  *audit.Log
	Sealer *secrets.Sealer
	Proc   payments.Processor // nil when no processor is configured
	// Expiry is how long a checkout stays open and its ticket held.
	Expiry time.Duration
	// BaseURL is the site's address; the processor sends the browser back
	// to the registration's page under it (ReturnURL), and mail to
	// registrants links to their page under it.
	BaseURL string
	// Outbox stores the mail that tells a registrant of a refund made or a
	// payment received, in the transaction that records it (notices.go);
	// nil sends none.
	Outbox Outbox
	// Org is the organization's name, in that mail's subject.
	Org string
}

func (c Checkouts) expiry() time.Duration {
	if c.Expiry <= 0 {
		return DefaultExpiry
	}
	return c.Expiry
}

// live reports whether a payment's checkout can still take a card: open,
// or declined with its page still open for another card.
func live(status string) bool { return status == payments.Open || status == payments.Declined }

// StartPayment opens the processor's hosted checkout for a registration
// and returns the page to send the browser to. A registration has at
// most one live checkout: a second attempt resumes it, and one past its
// time is closed at the processor before another is opened. A
// registration whose place was released takes one again if any is left.
//
// No transaction waits on the processor. StartPayment (a) claims the
// checkout in a short transaction under the registration's lock (the
// claim is the registration's one live checkout: a second click finds
// it), (b) asks the processor for the session outside any transaction,
// with the claim's idempotency key, and (c) records the session in
// another short transaction. The page's address is handed out only once
// recorded, so a claim left behind by a crash between (a) and (c) is a
// page nobody was shown: a later click asks again with the same key and
// gets the same session, and the reconcile job does the same (Reconcile),
// or gives the claim up once its time has run out.
func (c Checkouts) StartPayment(ctx context.Context, token string, now time.Time) (string, error) {
	if c.Audit == nil {
		return "", ErrNoAudit
	}
	if c.Proc == nil {
		return "", ErrNoProcessor
	}
	now = now.UTC()
	closed := map[string]bool{}
	// At most one checkout past its time is closed per round; a
	// registration has one live checkout, so two rounds suffice.
	for range 3 {
		step, err := c.reserve(ctx, token, now, closed)
		switch {
		case err != nil:
			return "", err
		case step.url != "":
			// A checkout whose payment is being confirmed, or went through
			// and is not recorded yet, takes no card: its page would say
			// there is no open checkout.
			if o, err := c.Proc.LookUp(ctx, step.checkout); err == nil {
				switch o.Status {
				case payments.Settling:
					return "", ErrSettling
				case payments.Paid:
					if err := c.Apply(ctx, payments.Event{Outcome: o}, now); err != nil {
						return "", err
					}
					return "", ErrPaid
				}
			}
			return step.url, nil
		case step.expire != "":
			if err := c.Proc.Expire(ctx, step.expire); err != nil && !errors.Is(err, payments.ErrUnknownCheckout) {
				// Perhaps paid meanwhile: the look-up will tell.
				return "", ErrCheckoutBusy
			}
			closed[step.expire] = true
		default:
			return c.open(ctx, step.claim, now, "")
		}
	}
	return "", ErrCheckoutBusy
}

// A claim is a checkout reserved for a registration, status Starting,
// whose session is asked for with its key.
type claim struct {
	id, regID  int64
	token, key string
	amount     int64
	currency   string
	processor  string
	createdAt  time.Time
}

// reserved is what the claiming transaction decided: a recorded live
// checkout to resume (url), one past its time to close at the processor
// first (expire), or a claim to open.
type reserved struct {
	url, checkout, expire string
	claim                 claim
}

// reserve is step (a) of StartPayment, one short transaction: it checks
// the registration can pay, gives up its checkouts past their time that
// are closed at the processor (closed) or were never shown to anyone,
// and resumes the live one or claims a new one.
func (c Checkouts) reserve(ctx context.Context, token string, now time.Time, closed map[string]bool) (reserved, error) {
	var out reserved
	err := c.DB.Tx(ctx, func(tx *store.Tx) error {
		out = reserved{}
		if err := tx.Lock(ctx, "registration:"+token); err != nil {
			return err
		}
		r, err := byToken(ctx, tx, token)
		if err != nil {
			return err
		}
		switch r.Status {
		case Paid:
			return ErrPaid
		case Unpaid:
		case Expired:
			if err := retake(ctx, tx, c.Audit, r.MeetingID, r.ID, Unpaid, "registrant", now); err != nil {
				return err
			}
		default:
			return ErrNoFee
		}
		for _, p := range r.Payments {
			if !live(p.Status) && p.Status != payments.Starting {
				continue
			}
			mine := p.Processor == c.Proc.Name()
			young := now.Before(p.CreatedAt.Add(c.expiry()))
			switch {
			case mine && young && p.Status == payments.Starting:
				out.claim, err = claimOf(ctx, tx, p.ID)
				return err
			case mine && young:
				out.url, out.checkout = p.CheckoutURL, p.CheckoutID
				return nil
			case mine && p.Status != payments.Starting && !closed[p.CheckoutID]:
				out.expire = p.CheckoutID
				return nil
			}
			// Closed at the processor, or a claim past its time whose page
			// nobody was shown, or another processor's: given up here.
			if err := expirePayment(ctx, tx, c.Audit, p.ID, "registrant", now); err != nil {
				return err
			}
		}
		key, err := newToken()
		if err != nil {
			return err
		}
		key = "plenary-checkout-" + key
		id, err := store.Insert(ctx, tx, `INSERT INTO payments (registration_id, processor, checkout_id, checkout_url, start_key, amount, currency, status, created_at, updated_at)
			VALUES (?, ?, ?, '', ?, ?, ?, ?, ?, ?)`, r.ID, c.Proc.Name(), key, key, r.Ticket.Fee, r.Ticket.Currency, payments.Starting, now, now)
		if err != nil {
			return fmt.Errorf("claiming a checkout: %w", err)
		}
		out.claim = claim{id: id, regID: r.ID, token: r.Token, key: key, amount: r.Ticket.Fee, currency: r.Ticket.Currency,
			processor: c.Proc.Name(), createdAt: now}
		return c.Audit.Record(ctx, tx, audit.Entry{Actor: r.PersonID, Label: "registrant", Action: "payments.start",
			Subject: fmt.Sprintf("payment:%d", id), Detail: fmt.Sprintf("registration %d at %s", r.ID, c.Proc.Name())})
	})
	return out, err
}

// claimOf reads a claim back, to ask for its session again.
func claimOf(ctx context.Context, q store.Querier, id int64) (claim, error) {
	cl := claim{id: id}
	err := q.QueryRow(ctx, `SELECT p.registration_id, r.token, p.start_key, p.amount, p.currency, p.processor, p.created_at
		FROM payments p JOIN registrations r ON r.id = p.registration_id WHERE p.id = ? AND p.status = ?`, id, payments.Starting).
		Scan(&cl.regID, &cl.token, &cl.key, &cl.amount, &cl.currency, &cl.processor, &cl.createdAt)
	if err != nil {
		return cl, fmt.Errorf("reading checkout claim %d: %w", id, err)
	}
	return cl, nil
}

// ReturnURL is where the processor sends a registrant's browser back:
// their registration's page.
func (c Checkouts) ReturnURL(token string) string {
	return strings.TrimSuffix(c.BaseURL, "/") + "/registrations/" + token
}

// errGivenUp is a claim given up (its time ran out) while its session
// was being asked for.
var errGivenUp = errors.New("meetings: the checkout claim was given up meanwhile")

// open is steps (b) and (c): it asks the processor for the claim's
// session, outside any transaction, with the claim's key and with fields
// taken from the claim alone, so asking again asks for the same thing;
// then records the session in a short transaction and returns its page.
// repairedBy, when not empty, is the actor an audit entry names for
// recording a session someone else's claim left behind.
func (c Checkouts) open(ctx context.Context, cl claim, now time.Time, repairedBy string) (string, error) {
	sess, err := c.Proc.Start(ctx, payments.Checkout{Key: cl.key, Amount: cl.amount, Currency: cl.currency,
		Reference: fmt.Sprintf("registration:%d", cl.regID), ReturnURL: c.ReturnURL(cl.token),
		Created: cl.createdAt, ExpiresAt: cl.createdAt.Add(c.expiry())})
	if err != nil {
		return "", fmt.Errorf("starting a checkout at %s: %w", c.Proc.Name(), err)
	}
	if sess.ID == "" || sess.URL == "" {
		return "", fmt.Errorf("starting a checkout at %s: no session in the answer", c.Proc.Name())
	}
	err = c.DB.Tx(ctx, func(tx *store.Tx) error {
		// Under the registration's lock, as the claim was made, so a
		// claim read by another request's step (a) stays a claim until it
		// ends; then the payment's, as Apply takes it.
		if err := tx.Lock(ctx, "registration:"+cl.token); err != nil {
			return err
		}
		if err := tx.Lock(ctx, fmt.Sprintf("payment:%d", cl.id)); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, "UPDATE payments SET checkout_id = ?, checkout_url = ?, status = ?, updated_at = ? WHERE id = ? AND status = ?",
			sess.ID, sess.URL, payments.Open, now, cl.id, payments.Starting)
		if err != nil {
			return fmt.Errorf("recording checkout %d's session: %w", cl.id, err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			// Recorded already by another request resuming the same claim,
			// or given up meanwhile.
			var checkout, status string
			if err := tx.QueryRow(ctx, "SELECT checkout_id, status FROM payments WHERE id = ?", cl.id).Scan(&checkout, &status); err != nil {
				return fmt.Errorf("reading checkout %d: %w", cl.id, err)
			}
			if checkout == sess.ID && live(status) {
				return nil
			}
			return errGivenUp
		}
		if repairedBy == "" {
			return nil
		}
		return c.Audit.Record(ctx, tx, audit.Entry{Label: repairedBy, Action: "payments.repair",
			Subject: fmt.Sprintf("payment:%d", cl.id), Detail: fmt.Sprintf("registration %d: its session at %s was never recorded", cl.regID, c.Proc.Name())})
	})
	if errors.Is(err, errGivenUp) {
		// Nobody was shown this page: close it, so it never takes a card.
		if err := c.Proc.Expire(ctx, sess.ID); err != nil && !errors.Is(err, payments.ErrUnknownCheckout) {
			return "", fmt.Errorf("closing checkout %d, given up while it was opened: %w", cl.id, err)
		}
		return "", ErrCheckoutBusy
	}
	if err != nil {
		return "", err
	}
	return sess.URL, nil
}

// retake gives a released registration its place again when the meeting
// has one left, under the meeting's lock as Register takes it.
func retake(ctx context.Context, tx *store.Tx, log *audit.Log, meetingID, regID int64, status, label string, now time.Time) error {
	if err := tx.Lock(ctx, fmt.Sprintf("meeting:%d", meetingID)); err != nil {
		return err
	}
	m, err := Get(ctx, tx, meetingID)
	if err != nil {
		return err
	}
	if m.Taken >= m.Capacity {
		return ErrReleased
	}
	res, err := tx.Exec(ctx, "UPDATE registrations SET status = ? WHERE id = ? AND status = ?", status, regID, Expired)
	if err != nil {
		return fmt.Errorf("taking a released place again: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("taking a released place again: registration %d is no longer released", regID)
	}
	return log.Record(ctx, tx, audit.Entry{Label: label, Action: "meetings.retake",
		Subject: fmt.Sprintf("registration:%d", regID), Detail: fmt.Sprintf("meeting %d, %d of %d taken before", meetingID, m.Taken, m.Capacity)})
}

// expirePayment marks a live checkout (or a claim) expired, with an
// audit entry.
func expirePayment(ctx context.Context, tx *store.Tx, log *audit.Log, id int64, label string, now time.Time) error {
	res, err := tx.Exec(ctx, "UPDATE payments SET status = ?, updated_at = ? WHERE id = ? AND status IN (?, ?, ?)",
		payments.Expired, now.UTC(), id, payments.Open, payments.Declined, payments.Starting)
	if err != nil {
		return fmt.Errorf("expiring a checkout: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	return log.Record(ctx, tx, audit.Entry{Label: label, Action: "payments.expired", Subject: fmt.Sprintf("payment:%d", id)})
}

// moves lists the changes of a payment's status an outcome may make: a
// late or repeated outcome never takes a payment back (a paid one does
// not become open or declined again).
var moves = map[string][]string{
	payments.Open:     {payments.Paid, payments.Declined, payments.Expired},
	payments.Declined: {payments.Paid, payments.Expired},
	payments.Expired:  {payments.Paid},
	payments.Paid:     {payments.Refunded},
	// A refund asked for is finished by refundPayment alone.
	payments.RefundRequested: {},
}

func allowedMove(from, to string) bool {
	for _, s := range moves[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Apply records a verified webhook event (or a looked-up outcome, with an
// empty event id): the payment's status, transaction id and, sealed, the
// authorization code and last four digits, and the registration's status,
// with an audit entry, in one transaction. An event already applied is
// ErrReplayed and changes nothing, on any instance: the event id is
// claimed in the same transaction. An outcome that would take a payment
// back (a late "declined" after "paid") changes nothing. A payment that
// arrives after its registration's place was released takes a place again
// if one is left; otherwise the registration stays released and the
// payment is recorded for a refund. Only the allow-listed Outcome reaches
// this function, so nothing else of the processor's message is kept.
//
// A registration that this makes paid is told so by mail (PaidNotice),
// stored in the same transaction, so it is told once, whichever of the
// webhook, the reconcile job or the registrant's button learned it.
func (c Checkouts) Apply(ctx context.Context, ev payments.Event, now time.Time) error {
	if c.Proc == nil {
		return ErrNoProcessor
	}
	db, log, sealer, processor := c.DB, c.Audit, c.Sealer, c.Proc.Name()
	if log == nil {
		return ErrNoAudit
	}
	if sealer == nil {
		return errors.New("meetings: no key to seal payment details with")
	}
	o := ev.Outcome
	now = now.UTC()
	return db.Tx(ctx, func(tx *store.Tx) error {
		if ev.ID != "" {
			res, err := tx.Exec(ctx, "INSERT INTO payment_events (processor, event_id, received_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", processor, ev.ID, now)
			if err != nil {
				return fmt.Errorf("recording a webhook event: %w", err)
			}
			if n, err := res.RowsAffected(); err != nil || n == 0 {
				return payments.ErrReplayed
			}
		}
		var id int64
		err := tx.QueryRow(ctx, "SELECT id FROM payments WHERE processor = ? AND checkout_id = ?", processor, o.CheckoutID).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("finding a payment: %w", err)
		}
		if err := tx.Lock(ctx, fmt.Sprintf("payment:%d", id)); err != nil {
			return err
		}
		var regID, meetingID, amount int64
		var currency, status, regStatus string
		err = tx.QueryRow(ctx, `SELECT p.registration_id, r.meeting_id, p.amount, p.currency, p.status, r.status
			FROM payments p JOIN registrations r ON r.id = p.registration_id WHERE p.id = ?`, id).
			Scan(&regID, &meetingID, &amount, &currency, &status, &regStatus)
		if err != nil {
			return fmt.Errorf("finding a payment: %w", err)
		}
		if o.Status == "" || (o.Status == payments.Paid && (o.Amount != amount || o.Currency != currency)) {
			return fmt.Errorf("meetings: the processor's outcome for payment %d does not match it (%s %d %s)", id, o.Status, o.Amount, o.Currency)
		}
		if !allowedMove(status, o.Status) {
			return nil
		}
		var auth, last4 []byte
		if o.AuthCode != "" {
			auth = sealer.Seal([]byte(o.AuthCode), sealContext("auth_code", id))
		}
		if o.Last4 != "" {
			last4 = sealer.Seal([]byte(o.Last4), sealContext("last4", id))
		}
		if _, err := tx.Exec(ctx, `UPDATE payments SET status = ?, transaction_id = CASE WHEN ? = '' THEN transaction_id ELSE ? END,
			auth_code = COALESCE(?, auth_code), last4 = COALESCE(?, last4), updated_at = ? WHERE id = ?`,
			o.Status, o.TransactionID, o.TransactionID, auth, last4, now, id); err != nil {
			return fmt.Errorf("recording a payment's outcome: %w", err)
		}
		action := "payments." + o.Status
		registered := false
		if o.Status == payments.Paid {
			switch regStatus {
			case Unpaid:
				if _, err := tx.Exec(ctx, "UPDATE registrations SET status = ? WHERE id = ? AND status = ?", Paid, regID, Unpaid); err != nil {
					return fmt.Errorf("marking a registration paid: %w", err)
				}
				registered = true
			case Expired:
				err := retake(ctx, tx, log, meetingID, regID, Paid, processor, now)
				if errors.Is(err, ErrReleased) {
					action = "payments.paid_without_place"
				} else if err != nil {
					return err
				}
				registered = err == nil
			default:
				// Paid already, or cancelled: this payment is one too many.
				action = "payments.paid_without_place"
			}
		}
		if err := log.Record(ctx, tx, audit.Entry{Label: processor, Action: action,
			Subject: fmt.Sprintf("payment:%d", id), Detail: fmt.Sprintf("registration %d", regID)}); err != nil {
			return err
		}
		if !registered {
			return nil
		}
		r, err := regByID(ctx, tx, regID)
		if err != nil {
			return err
		}
		return c.notify(ctx, tx, c.PaidNotice(r, amount, currency, now), "a payment confirmation")
	})
}

// Webhook verifies a processor's webhook delivery and applies it. A paid
// outcome whose webhook does not carry the card's last four and
// authorization code (Stripe's does not) is completed by a look-up. A
// forged or stale delivery is payments.ErrBadSignature; a replayed one
// payments.ErrReplayed; one about nothing tracked here ErrIgnored.
func (c Checkouts) Webhook(ctx context.Context, header map[string][]string, body []byte, now time.Time) error {
	if c.Proc == nil {
		return ErrNoProcessor
	}
	ev, err := c.Proc.Webhook(header, body, now)
	if err != nil {
		return err
	}
	if ev.Outcome.CheckoutID == "" {
		return ErrIgnored
	}
	if o := ev.Outcome; o.Status == payments.Paid && (o.Last4 == "" || o.TransactionID == "") {
		if got, err := c.Proc.LookUp(ctx, o.CheckoutID); err == nil && got.Status == payments.Paid && got.Amount == o.Amount && got.Currency == o.Currency {
			ev.Outcome.TransactionID, ev.Outcome.AuthCode, ev.Outcome.Last4 = got.TransactionID, got.AuthCode, got.Last4
		}
	}
	err = c.Apply(ctx, ev, now)
	if errors.Is(err, ErrNotFound) {
		return ErrIgnored
	}
	return err
}

// Reconciled is what a Reconcile pass did.
type Reconciled struct {
	Repaired int // claimed checkouts whose session is recorded at last
	Settled  int // outcomes learned by looking a checkout up
	Refunded int // payments that arrived without a place, given back
	Expired  int // checkouts closed because their time ran out
	Released int // registrations whose ticket was freed
	Failed   int // checkouts the processor could not be asked about now
}

func (r Reconciled) String() string {
	return fmt.Sprintf("repaired=%d settled=%d refunded=%d expired=%d released=%d failed=%d", r.Repaired, r.Settled, r.Refunded, r.Expired, r.Released, r.Failed)
}

type liveCheckout struct {
	id                  int64
	processor, checkout string
	createdAt           time.Time
}

// Reconcile keeps the payment state from drifting, run periodically on
// any instance (several at once do no harm): each live checkout older
// than late is looked up at the processor, in case its webhook is late or
// lost, and its outcome applied; one past the expiry and still unpaid is
// expired at the processor, so its page takes no card, and then here; and
// registrations left unpaid with no live checkout for longer than the
// expiry are released, so their tickets are free again.
func (c Checkouts) Reconcile(ctx context.Context, now time.Time, late time.Duration) (Reconciled, error) {
	var out Reconciled
	if c.Audit == nil {
		return out, ErrNoAudit
	}
	now = now.UTC()
	var errs []error
	repaired, expired, err := c.repair(ctx, now, late)
	out.Repaired, out.Expired = repaired, expired
	if err != nil {
		out.Failed++
		errs = append(errs, err)
	}
	rows, err := c.DB.Query(ctx, "SELECT id, processor, checkout_id, created_at FROM payments WHERE status IN (?, ?) AND created_at < ? ORDER BY id",
		payments.Open, payments.Declined, now.Add(-late))
	if err != nil {
		return out, fmt.Errorf("listing live checkouts: %w", err)
	}
	var list []liveCheckout
	for rows.Next() {
		var l liveCheckout
		if err := rows.Scan(&l.id, &l.processor, &l.checkout, &l.createdAt); err != nil {
			rows.Close()
			return out, fmt.Errorf("listing live checkouts: %w", err)
		}
		list = append(list, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("listing live checkouts: %w", err)
	}
	for _, l := range list {
		done, err := c.settle(ctx, l, now)
		switch {
		case err != nil:
			out.Failed++
			errs = append(errs, err)
		case done == payments.Expired:
			out.Expired++
		case done != "":
			out.Settled++
		}
	}
	if c.Proc != nil {
		n, err := c.refundStrays(ctx, now)
		out.Refunded = n
		if err != nil {
			out.Failed++
			errs = append(errs, err)
		}
	}
	if c.Proc != nil {
		// Without a processor nobody can pay by card, so a ticket is not
		// freed for want of a card payment.
		n, err := c.release(ctx, now)
		out.Released = n
		if err != nil {
			errs = append(errs, err)
		}
	}
	return out, errors.Join(errs...)
}

// repair finishes the claims older than late that were left behind
// between StartPayment's claim and its record (a crash, a processor that
// did not answer): it asks the processor again with the claim's key,
// which returns the session opened before, if any, and records it, so
// the checkout is an ordinary one that settle then looks up or expires. A
// claim that cannot be opened is given up once its time has run out:
// nobody was shown its page, so nothing can have been paid through it.
func (c Checkouts) repair(ctx context.Context, now time.Time, late time.Duration) (repaired, expired int, err error) {
	rows, err := c.DB.Query(ctx, "SELECT id FROM payments WHERE status = ? AND created_at < ? ORDER BY id", payments.Starting, now.Add(-late))
	if err != nil {
		return 0, 0, fmt.Errorf("listing checkout claims: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, 0, fmt.Errorf("listing checkout claims: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, 0, fmt.Errorf("listing checkout claims: %w", err)
	}
	var errs []error
	for _, id := range ids {
		cl, err := claimOf(ctx, c.DB, id)
		if err != nil {
			continue // recorded or given up meanwhile
		}
		due := !now.Before(cl.createdAt.Add(c.expiry()))
		if c.Proc != nil && cl.processor == c.Proc.Name() {
			_, err = c.open(ctx, cl, now, "system")
			if err == nil {
				repaired++
				continue
			}
			if errors.Is(err, ErrCheckoutBusy) {
				continue // given up meanwhile
			}
		}
		if !due {
			if err != nil {
				errs = append(errs, fmt.Errorf("repairing checkout claim %d: %w", id, err))
			}
			continue
		}
		err = c.DB.Tx(ctx, func(tx *store.Tx) error {
			if err := tx.Lock(ctx, fmt.Sprintf("payment:%d", id)); err != nil {
				return err
			}
			return expirePayment(ctx, tx, c.Audit, id, "system", now)
		})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		expired++
	}
	return repaired, expired, errors.Join(errs...)
}

// settle looks one live checkout up and applies what the processor says,
// or expires it when its time has run out; it returns the status it
// recorded, or "" when nothing changed.
func (c Checkouts) settle(ctx context.Context, l liveCheckout, now time.Time) (string, error) {
	due := !now.Before(l.createdAt.Add(c.expiry()))
	expire := func() (string, error) {
		err := c.DB.Tx(ctx, func(tx *store.Tx) error {
			if err := tx.Lock(ctx, fmt.Sprintf("payment:%d", l.id)); err != nil {
				return err
			}
			return expirePayment(ctx, tx, c.Audit, l.id, "system", now)
		})
		return payments.Expired, err
	}
	if c.Proc == nil || l.processor != c.Proc.Name() {
		// A processor no longer configured cannot be asked: its checkout
		// cannot be resumed here either.
		if due {
			return expire()
		}
		return "", nil
	}
	apply := func(o payments.Outcome) (string, error) {
		err := c.Apply(ctx, payments.Event{Outcome: o}, now)
		return o.Status, err
	}
	o, err := c.Proc.LookUp(ctx, l.checkout)
	switch {
	case errors.Is(err, payments.ErrUnknownCheckout):
		if due {
			return expire()
		}
		return "", nil
	case err != nil:
		return "", fmt.Errorf("looking up payment %d: %w", l.id, err)
	case o.Status == payments.Paid || o.Status == payments.Expired:
		return apply(o)
	case !due, o.Status == payments.Settling:
		// Being paid: its outcome follows, however late; it is not expired.
		return "", nil
	}
	if err := c.Proc.Expire(ctx, l.checkout); err != nil && !errors.Is(err, payments.ErrUnknownCheckout) {
		// Paid in the meantime, perhaps: ask again.
		if o, lerr := c.Proc.LookUp(ctx, l.checkout); lerr == nil && o.Status == payments.Paid {
			return apply(o)
		}
		return "", fmt.Errorf("expiring payment %d: %w", l.id, err)
	}
	return expire()
}

// refundStrays gives back, through the processor, payments that arrived
// for a registration whose place was released and not taken again
// (Apply's "paid_without_place"), so nobody pays without a place, and
// finishes every refund asked for and not recorded (refund.go), with the
// key it was asked with, once its time to ask again has come. A refund
// the processor refused is not asked again here: finance decide it.
func (c Checkouts) refundStrays(ctx context.Context, now time.Time) (int, error) {
	rows, err := c.DB.Query(ctx, `SELECT p.id FROM payments p JOIN registrations r ON r.id = p.registration_id
		WHERE p.processor = ? AND ((p.status = ? AND r.status = ? AND p.refund_error = '')
			OR (p.status = ? AND (p.refund_retry_at IS NULL OR p.refund_retry_at <= ?))) ORDER BY p.id`,
		c.Proc.Name(), payments.Paid, Expired, payments.RefundRequested, now)
	if err != nil {
		return 0, fmt.Errorf("listing payments to refund: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, fmt.Errorf("listing payments to refund: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, id := range ids {
		done, err := c.refundPayment(ctx, id, refundBy{label: "system", strayOnly: true,
			reason: "paid after its place was released, and the meeting was full"}, now)
		switch {
		case errors.Is(err, ErrNotRefundable), errors.Is(err, ErrNotFound):
			// settled meanwhile
		case err != nil:
			errs = append(errs, err)
		case done:
			n++
		}
	}
	return n, errors.Join(errs...)
}

// release frees the tickets of registrations left unpaid with no live
// checkout for longer than the expiry, each under its registration's lock
// (as StartPayment takes it), with an audit entry each.
func (c Checkouts) release(ctx context.Context, now time.Time) (int, error) {
	cutoff := now.Add(-c.expiry())
	const stale = ` r.status = 'unpaid' AND r.created_at < ? AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.registration_id = r.id
		AND (p.status IN ('starting', 'open', 'declined', 'paid') OR p.created_at >= ?))`
	rows, err := c.DB.Query(ctx, "SELECT r.id, r.token FROM registrations r WHERE"+stale+" ORDER BY r.id", cutoff, cutoff)
	if err != nil {
		return 0, fmt.Errorf("listing unpaid registrations: %w", err)
	}
	type reg struct {
		id    int64
		token string
	}
	var regs []reg
	for rows.Next() {
		var r reg
		if err := rows.Scan(&r.id, &r.token); err != nil {
			rows.Close()
			return 0, fmt.Errorf("listing unpaid registrations: %w", err)
		}
		regs = append(regs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(regs) == 0 {
		return 0, err
	}
	released := 0
	err = c.DB.Tx(ctx, func(tx *store.Tx) error {
		released = 0
		for _, r := range regs {
			if err := tx.Lock(ctx, "registration:"+r.token); err != nil {
				return err
			}
			res, err := tx.Exec(ctx, "UPDATE registrations SET status = 'expired' WHERE id IN (SELECT r.id FROM registrations r WHERE r.id = ? AND"+stale+")",
				r.id, cutoff, cutoff)
			if err != nil {
				return fmt.Errorf("releasing registration %d: %w", r.id, err)
			}
			if n, _ := res.RowsAffected(); n == 1 {
				released++
				if err := c.Audit.Record(ctx, tx, audit.Entry{Label: "system", Action: "meetings.release",
					Subject: fmt.Sprintf("registration:%d", r.id), Detail: "not paid within " + c.expiry().String()}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return released, err
}
