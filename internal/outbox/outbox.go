// Package outbox delivers account mail durably: sign-up confirmations,
// reset and sign-in links, subscription and registration confirmations.
// Put stores a message, sealed with AES-GCM under a key derived from the
// site's key, with a job that delivers it, in the caller's transaction when
// it has one; so a message whose use case committed is sent even when the
// process dies before sending it, by whichever instance's job runner takes
// the job. The row is deleted as soon as the mail server accepted the
// message; one never delivered is swept after RetentionDays. The body
// holds one-time links in clear, so it is never logged.
package outbox

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"plenary/internal/jobs"
	"plenary/internal/mail"
	"plenary/internal/secrets"
	"plenary/internal/store"
)

// JobKind is the job that delivers one stored message; its payload is the
// outbox row's id.
const JobKind = "mail.outbox"

// KeyPurpose names the sealing key (secrets.Keys.Sealer).
const KeyPurpose = "mail-outbox"

// MaxAttempts bounds the tries of one message: with the queue's doubling
// back-off (a minute, two, four, … at most an hour) about ten hours.
const MaxAttempts = 12

// RetentionDays is how long an undelivered message is kept: its links
// have expired by then.
const RetentionDays = 2

// Grace is how long the job waits before its first try, leaving the
// delivery right after the response (Deliver) its chance first.
const Grace = 30 * time.Second

// claim is how long one delivery attempt holds a message.
const claim = 2 * time.Minute

// ErrBusy means another worker is delivering the message right now.
var ErrBusy = errors.New("outbox: the message is being delivered by another worker")

// Outbox stores and delivers messages.
type Outbox struct {
	DB     *store.DB
	Sealer *secrets.Sealer
	// Mail is the real sender; only Deliver and Handle use it.
	Mail mail.Sender
	// Log receives failures, never a message's address or body.
	Log *slog.Logger
	Now func() time.Time
}

func (o *Outbox) now() time.Time {
	if o.Now != nil {
		return o.Now().UTC()
	}
	return time.Now().UTC()
}

func sealContext(id int64) string { return "mail_outbox:" + strconv.FormatInt(id, 10) }

// Put stores m within q (the use case's transaction, or the database) with
// the job that delivers it, and returns the message's id. what names the
// kind of message for the server log ("a reset link").
func (o *Outbox) Put(ctx context.Context, q store.Querier, m mail.Message, what string) (int64, error) {
	if o == nil || o.Sealer == nil {
		return 0, errors.New("outbox: no sealing key")
	}
	if err := m.Check(); err != nil {
		return 0, fmt.Errorf("storing %s: %w", what, err)
	}
	plain, err := json.Marshal(m)
	if err != nil {
		return 0, fmt.Errorf("storing %s: %w", what, err)
	}
	now := o.now()
	var id int64
	// The row is inserted first, sealed to its own id: a sealed message
	// copied to another row does not open.
	if err := q.QueryRow(ctx, "INSERT INTO mail_outbox (what, sealed, created_at) VALUES (?, ?, ?) RETURNING id", what, []byte{0}, now).Scan(&id); err != nil {
		return 0, fmt.Errorf("storing %s: %w", what, err)
	}
	if _, err := q.Exec(ctx, "UPDATE mail_outbox SET sealed = ? WHERE id = ?", o.Sealer.Seal(plain, sealContext(id)), id); err != nil {
		return 0, fmt.Errorf("storing %s: %w", what, err)
	}
	if _, _, err := jobs.Enqueue(ctx, q, jobs.New{Kind: JobKind, Payload: strconv.FormatInt(id, 10), RunAt: now.Add(Grace), MaxAttempts: MaxAttempts}, now); err != nil {
		return 0, fmt.Errorf("storing %s: %w", what, err)
	}
	return id, nil
}

// Send stores m in its own transaction; it makes the outbox a
// mail.Sender for services that take one. Delivery is left to the job.
func (o *Outbox) Send(ctx context.Context, m mail.Message) error {
	return o.DB.Tx(ctx, func(tx *store.Tx) error {
		_, err := o.Put(ctx, tx, m, "a message")
		return err
	})
}

// Deliver sends the stored message id and deletes it. A message already
// sent (gone) is no error; one another worker is sending is ErrBusy.
func (o *Outbox) Deliver(ctx context.Context, id int64) error {
	now := o.now()
	res, err := o.DB.Exec(ctx, "UPDATE mail_outbox SET claimed_until = ? WHERE id = ? AND (claimed_until IS NULL OR claimed_until <= ?)", now.Add(claim), id, now)
	if err != nil {
		return fmt.Errorf("claiming outbox message %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("claiming outbox message %d: %w", id, err)
	} else if n == 0 {
		var one int
		err := o.DB.QueryRow(ctx, "SELECT 1 FROM mail_outbox WHERE id = ?", id).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading outbox message %d: %w", id, err)
		}
		return ErrBusy
	}
	var what string
	var sealed []byte
	if err := o.DB.QueryRow(ctx, "SELECT what, sealed FROM mail_outbox WHERE id = ?", id).Scan(&what, &sealed); err != nil {
		return fmt.Errorf("reading outbox message %d: %w", id, err)
	}
	plain, err := o.Sealer.Open(sealed, sealContext(id))
	if err != nil {
		return fmt.Errorf("opening outbox message %d: %w", id, err)
	}
	var m mail.Message
	if err := json.Unmarshal(plain, &m); err != nil {
		return fmt.Errorf("reading outbox message %d: %w", id, err)
	}
	if err := o.Mail.Send(ctx, m); err != nil {
		// Released for the next try; the error may quote the address,
		// so it goes to the server log only, not into the job row.
		if _, rerr := o.DB.Exec(ctx, "UPDATE mail_outbox SET claimed_until = NULL WHERE id = ?", id); rerr != nil {
			err = errors.Join(err, rerr)
		}
		o.log().Error("sending "+what+" failed; it will be tried again", "outbox", id, "err", err)
		return fmt.Errorf("sending %s (outbox message %d) failed", what, id)
	}
	if _, err := o.DB.Exec(ctx, "DELETE FROM mail_outbox WHERE id = ?", id); err != nil {
		return fmt.Errorf("deleting sent outbox message %d: %w", id, err)
	}
	return nil
}

func (o *Outbox) log() *slog.Logger {
	if o.Log != nil {
		return o.Log
	}
	return slog.New(slog.DiscardHandler)
}

// Handle is the job handler: it delivers the message the job names.
func (o *Outbox) Handle(ctx context.Context, j jobs.Job) error {
	id, err := strconv.ParseInt(j.Payload, 10, 64)
	if err != nil {
		return fmt.Errorf("outbox job %d: payload %q is no message id", j.ID, j.Payload)
	}
	return o.Deliver(ctx, id)
}

// Sweep deletes messages never delivered within days (their links have
// expired), and returns how many.
func Sweep(ctx context.Context, tx *store.Tx, now time.Time, days int) (int64, error) {
	if days <= 0 {
		days = RetentionDays
	}
	res, err := tx.Exec(ctx, "DELETE FROM mail_outbox WHERE created_at < ?", now.UTC().AddDate(0, 0, -days))
	if err != nil {
		return 0, fmt.Errorf("sweeping the mail outbox: %w", err)
	}
	n, err := res.RowsAffected()
	return n, err
}
