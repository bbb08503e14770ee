package lists

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"plenary/internal/jobs"
	"plenary/internal/mail"
)

// DeliveryBatch is how many copies of a posting go out on one SMTP
// connection and are then recorded in one statement, unless the
// Distributor says otherwise.
const DeliveryBatch = 200

// connOpener is a sender that can keep one connection open for many
// messages (mail.SMTP); other senders send each message on its own.
type connOpener interface {
	Open(ctx context.Context) (*mail.Conn, error)
}

// Handle sends the posting the job names to every confirmed subscriber
// of its list who has not had it yet.
//
// It works in batches of d.Batch subscribers (DeliveryBatch by default),
// taken in order of subscription from those with no delivery record for
// the posting: the batch's copies go out on one SMTP connection, each
// with its own VERP return path (NAME-bounces+TOKEN@), and the batch's
// deliveries are then recorded in one statement, also when a send fails
// or the job is stopped half-way, so a resumed job starts with the first
// subscriber who was not sent a copy.
//
// A copy the mail server refuses for good (a 5xx reply at RCPT or DATA,
// or a message no server would take) is that copy's outcome, not the
// job's: it is recorded at once with the server's answer and as a bounce
// of the subscription (refused.go), and the batch goes on. A copy the
// server defers (a 4xx reply: greylisting, a full mailbox) is left
// unrecorded and the job goes on with everyone else, so one slow mailbox
// does not hold up a list of thousands; at the end the job fails, and the
// queue retries it later with backoff, sending only the copies not
// recorded. A lost connection stops the job at once, for the same retry.
//
// Exactly once across instances: the job queue lets one instance at a
// time hold the job and stops a handler whose lease is lost; each batch
// is chosen again from the delivery records, so a second instance that
// takes the job over skips everything recorded. What a crash (the
// process killed between a send and the record) can repeat is bounded by
// one batch: the copies sent but not yet recorded are sent again, with
// the same Message-ID, so mail programs that drop duplicates show one.
func (d *Distributor) Handle(ctx context.Context, j jobs.Job) error {
	id, err := strconv.ParseInt(j.Payload, 10, 64)
	if err != nil {
		return fmt.Errorf("distribution job with payload %q: %w", j.Payload, err)
	}
	p, err := getPost(ctx, d.DB, id)
	if errors.Is(err, ErrNoPost) {
		return nil // removed since: nothing to send
	}
	if err != nil {
		return err
	}
	l, err := Get(ctx, d.DB, p.List)
	if err != nil {
		return err
	}
	x, err := d.Extras(ctx, p)
	if errors.Is(err, ErrNoPost) {
		return nil
	}
	if err != nil {
		return err
	}
	size := d.Batch
	if size <= 0 {
		size = DeliveryBatch
	}
	var (
		after    int64
		deferred int   // copies the server asked to try again later
		lastErr  error // the last such answer, for the job's record
	)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		// A batch is the next size subscribers without a copy; after a
		// crash the first windows may all have one already.
		var todo []recipient
		for len(todo) < size {
			more, last, err := d.undelivered(ctx, l.ID, p.ID, after, size-len(todo))
			if err != nil {
				return err
			}
			if last == 0 {
				break
			}
			after = last
			todo = append(todo, more...)
		}
		if len(todo) == 0 {
			if deferred > 0 {
				return fmt.Errorf("%d copies of posting %d deferred by the mail server, to be tried again: %w", deferred, p.ID, lastErr)
			}
			return nil
		}
		n, err := d.sendBatch(ctx, l, p, x, todo)
		if err != nil {
			return err
		}
		if n.count > 0 {
			deferred += n.count
			lastErr = n.last
		}
	}
}

// deferrals counts the copies of a batch the mail server asked to try
// again later, with its last answer.
type deferrals struct {
	count int
	last  error
}

type recipient struct {
	id           int64
	email, token string
}

// undelivered returns, of the next n confirmed, enabled subscriptions
// of the list after the one with id after, those with no delivery record
// of the posting, and the id of the last subscription looked at (0 when
// there are no more). Two plain lookups, a range of the (list_id, id)
// index and primary-key probes of the records, so each batch costs the
// same on both engines however large the list and whatever the planner
// knows of the tables.
func (d *Distributor) undelivered(ctx context.Context, listID, postID, after int64, n int) ([]recipient, int64, error) {
	rows, err := d.DB.Query(ctx, `SELECT id, email, token FROM list_subscriptions
		WHERE list_id = ? AND id > ? AND confirmed_at IS NOT NULL AND disabled_at IS NULL
		ORDER BY id LIMIT ?`, listID, after, n)
	if err != nil {
		return nil, 0, fmt.Errorf("listing subscribers: %w", err)
	}
	var next []recipient
	for rows.Next() {
		var r recipient
		if err := rows.Scan(&r.id, &r.email, &r.token); err != nil {
			rows.Close()
			return nil, 0, fmt.Errorf("listing subscribers: %w", err)
		}
		next = append(next, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("listing subscribers: %w", err)
	}
	if len(next) == 0 {
		return nil, 0, nil
	}
	last := next[len(next)-1].id
	args := []any{postID}
	for _, r := range next {
		args = append(args, r.id)
	}
	rows, err = d.DB.Query(ctx, "SELECT subscription_id FROM list_deliveries WHERE post_id = ? AND subscription_id IN ("+
		strings.TrimSuffix(strings.Repeat("?, ", len(next)), ", ")+")", args...)
	if err != nil {
		return nil, 0, fmt.Errorf("reading delivery records: %w", err)
	}
	done := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, 0, fmt.Errorf("reading delivery records: %w", err)
		}
		done[id] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("reading delivery records: %w", err)
	}
	out := next[:0]
	for _, r := range next {
		if !done[r.id] {
			out = append(out, r)
		}
	}
	return out, last, nil
}

// sendBatch sends one copy to each of rs on one connection, then records
// those that were sent, whatever stopped the batch. It returns the copies
// deferred with a 4xx answer, which are not recorded.
func (d *Distributor) sendBatch(ctx context.Context, l List, p Posting, x Extras, rs []recipient) (later deferrals, err error) {
	var sent []int64
	defer func() {
		// The record is written even when ctx was cancelled (the lease
		// lost, a shutdown): the copies went out and must not go again.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if rerr := d.record(rctx, p.ID, sent); rerr != nil && err == nil {
			err = rerr
		}
	}()
	send := d.Mail.Send
	if len(rs) == 0 {
		return later, nil
	}
	if o, ok := d.Mail.(connOpener); ok {
		c, err := o.Open(ctx)
		if err != nil {
			return later, fmt.Errorf("connecting to the mail server for posting %d: %w", p.ID, err)
		}
		defer c.Close()
		send = c.Send
	}
	for _, r := range rs {
		if err := ctx.Err(); err != nil {
			return later, err
		}
		m := d.Message(l, p, x, r.email, r.token)
		m.Envelope = BounceAddress(l.Name, r.id, r.token, d.Domain)
		if err := send(ctx, m); err != nil {
			// A permanent refusal (5xx, or a message no server would
			// take) is this copy's outcome: recorded, and the batch
			// goes on. A 4xx answer leaves the copy for the retry and
			// the batch goes on; anything else (a lost connection)
			// stops the job, which is retried later for the copies
			// not recorded.
			code := mail.ReplyCode(err)
			switch {
			case code >= 500 || errors.Is(err, mail.ErrInvalid):
				if rerr := d.refused(context.WithoutCancel(ctx), l, p.ID, r, code, err); rerr != nil {
					return later, rerr
				}
				continue
			case code >= 400:
				later.count++
				later.last = err
				continue
			}
			return later, fmt.Errorf("sending posting %d: %w", p.ID, err)
		}
		sent = append(sent, r.id)
	}
	return later, nil
}

// record writes the delivery records of a posting to the subscriptions
// ids in one statement; a record already there is kept.
func (d *Distributor) record(ctx context.Context, postID int64, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	now := time.Now().UTC()
	var b strings.Builder
	args := make([]any, 0, 3*len(ids))
	for i, id := range ids {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?)")
		args = append(args, postID, id, now)
	}
	if _, err := d.DB.Exec(ctx, "INSERT INTO list_deliveries (post_id, subscription_id, sent_at) VALUES "+b.String()+" ON CONFLICT DO NOTHING", args...); err != nil {
		return fmt.Errorf("recording %d deliveries of posting %d: %w", len(ids), postID, err)
	}
	return nil
}
