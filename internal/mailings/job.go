package mailings

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"plenary/internal/auth"
	"plenary/internal/jobs"
	"plenary/internal/mail"
	"plenary/internal/store"
)

// Sender is the job handler that sends mailings. It sends in batches at a
// steady rate, records each copy's outcome around its send, and can be
// stopped and resumed (on this instance or another) at any point:
//
//   - before a copy is sent its row is marked "sending" under this
//     attempt's claim, and right after the server accepts it, "sent"; a
//     resumed job skips every "sent" row, so a copy goes once;
//   - a row left "sending" by an attempt that died (a killed process) is
//     sent again with the same Message-ID and unsubscribe link: the only
//     copy that can arrive twice is the one whose acceptance by the server
//     and the process's death fell in the same instant, and mailboxes that
//     deduplicate by Message-ID show it once;
//   - an answer 4xx (try later) puts the copy back for a later try and
//     halves the rate, which then creeps back up; an answer 5xx, or a copy
//     deferred MaxDeferrals times, marks it failed with the reason, so
//     the report says exactly who did not get the message and why.
type Sender struct {
	Env  Env
	Mail mail.Sender
	Site Site
	// Rate is the most messages a second; default 50.
	Rate float64
	// Workers is how many copies are handed to the mail server at once;
	// default 4.
	Workers int
	// Batch is how many recipients are claimed in one transaction;
	// default 100.
	Batch int
	// Deferral is the first wait before a deferred copy is tried again,
	// doubled each time; default a minute.
	Deferral time.Duration
	// MaxDeferrals is how often a copy may be deferred before it is
	// reported failed; default 5.
	MaxDeferrals int
	// Worker names this instance in claims.
	Worker string
	Log    *slog.Logger
	Now    func() time.Time
}

func (s *Sender) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Sender) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}

type recipient struct {
	id, personID int64
	address      string
}

// Handle is the jobs.Handler for JobKind.
func (s *Sender) Handle(ctx context.Context, j jobs.Job) error {
	mailingID, err := strconv.ParseInt(j.Payload, 10, 64)
	if err != nil {
		return fmt.Errorf("mailing job %d: payload %q is not a mailing id", j.ID, j.Payload)
	}
	m, err := GetMailing(ctx, s.Env.DB, mailingID)
	if err != nil {
		return err
	}
	if m.State == Finished {
		return nil
	}
	claim := fmt.Sprintf("%s/job-%d/try-%d", s.Worker, j.ID, j.Attempts)
	db := s.Env.DB
	// The queue gives a job to one worker at a time, so rows another
	// attempt left "sending" belong to one that is gone.
	if res, err := db.Exec(ctx, "UPDATE mailing_recipients SET state = ?, claim = '' WHERE mailing_id = ? AND state = ? AND claim <> ?",
		StatePendingSend, mailingID, StateSending, claim); err != nil {
		return fmt.Errorf("taking over mailing %d: %w", mailingID, err)
	} else if n, _ := res.RowsAffected(); n > 0 {
		s.log().Warn("mailing resumed: copies an interrupted attempt had in hand are sent again", "mailing", mailingID, "copies", n)
	}
	p := newPacer(s.Rate)
	slots := make([]slot, s.workers())
	defer func() {
		for i := range slots {
			slots[i].close()
		}
		// Rows claimed but not sent go back, so another worker can take
		// them at once.
		if _, err := db.Exec(context.WithoutCancel(ctx), "UPDATE mailing_recipients SET state = ?, claim = '' WHERE mailing_id = ? AND state = ? AND claim = ?",
			StatePendingSend, mailingID, StateSending, claim); err != nil {
			s.log().Error("giving back unsent copies", "mailing", mailingID, "err", err)
		}
	}()
	// after is the last id claimed: each claim reads on from it, rather
	// than past every row already sent (on PostgreSQL, the dead index
	// entries of sent rows would make each claim slower than the last).
	// At the end it starts over once, for copies deferred meanwhile.
	var after int64
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		batch, last, err := s.claim(ctx, m, claim, after)
		if err != nil {
			return err
		}
		if last == 0 && after > 0 {
			after = 0
			continue
		}
		after = last
		if len(batch) == 0 && last > 0 {
			continue // only copies of people who unsubscribed meanwhile
		}
		if len(batch) == 0 {
			wait, done, err := s.idle(ctx, mailingID)
			if err != nil {
				return err
			}
			if done {
				return s.finish(ctx, m)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(wait):
			}
			continue
		}
		if err := s.sendBatch(ctx, m, claim, batch, p, slots); err != nil {
			return err
		}
	}
}

// claim marks the next due recipients after id after as this attempt's,
// dropping any who opted out since the mailing was sent; last is the
// highest id it looked at (0 when none was due).
func (s *Sender) claim(ctx context.Context, m Mailing, claim string, after int64) (out []recipient, last int64, err error) {
	size := s.Batch
	if size <= 0 {
		size = 100
	}
	now := s.now()
	err = s.Env.DB.Tx(ctx, func(tx *store.Tx) error {
		out, last = out[:0], 0
		rows, err := tx.Query(ctx, `SELECT r.id, r.person_id, r.address, COALESCE(s.state, '') FROM mailing_recipients r
			LEFT JOIN mailing_subscriptions s ON s.person_id = r.person_id
			WHERE r.mailing_id = ? AND r.state = ? AND r.id > ? AND (r.next_try_at IS NULL OR r.next_try_at <= ?) ORDER BY r.id LIMIT ?`,
			m.ID, StatePendingSend, after, now, size)
		if err != nil {
			return fmt.Errorf("reading due recipients: %w", err)
		}
		var due []recipient
		var gone []int64
		for rows.Next() {
			var r recipient
			var state string
			if err := rows.Scan(&r.id, &r.personID, &r.address, &state); err != nil {
				rows.Close()
				return err
			}
			last = r.id
			if state == StateConfirmed {
				due = append(due, r)
			} else {
				gone = append(gone, r.id)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(gone) > 0 {
			marks, args := inList(gone)
			if _, err := tx.Exec(ctx, "UPDATE mailing_recipients SET state = ?, reason = ? WHERE state = ? AND id IN ("+marks+")",
				append([]any{StateFailed, "unsubscribed before this copy was sent", StatePendingSend}, args...)...); err != nil {
				return fmt.Errorf("dropping unsubscribed recipients: %w", err)
			}
		}
		if len(due) == 0 {
			return nil
		}
		ids := make([]int64, len(due))
		for i, r := range due {
			ids[i] = r.id
		}
		marks, args := inList(ids)
		// One statement claims the batch and stores the hash of each
		// copy's unsubscribe link, so the link works the moment the copy
		// arrives; the rows this claim holds are then exactly those in
		// state "sending" under it.
		var hashes strings.Builder
		cargs := []any{StateSending, claim}
		for _, r := range due {
			hashes.WriteString(" WHEN ? THEN ?")
			cargs = append(cargs, r.id, auth.HashToken(token(s.Env.Key, m.ID, r.personID)))
		}
		cargs = append(append(cargs, StatePendingSend), args...)
		if _, err := tx.Exec(ctx, "UPDATE mailing_recipients SET state = ?, claim = ?, token_hash = CASE id"+hashes.String()+" END WHERE state = ? AND id IN ("+marks+")",
			cargs...); err != nil {
			return fmt.Errorf("claiming recipients: %w", err)
		}
		held := map[int64]bool{}
		rows, err = tx.Query(ctx, "SELECT id FROM mailing_recipients WHERE state = ? AND claim = ? AND id IN ("+marks+")",
			append([]any{StateSending, claim}, args...)...)
		if err != nil {
			return fmt.Errorf("reading claimed recipients: %w", err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			held[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range due {
			if held[r.id] {
				out = append(out, r)
			}
		}
		return nil
	})
	return out, last, err
}

// idle says, when no recipient is due, whether the mailing is done or how
// long until a deferred copy is due.
func (s *Sender) idle(ctx context.Context, mailingID int64) (time.Duration, bool, error) {
	var left int
	if err := s.Env.DB.QueryRow(ctx, "SELECT COUNT(*) FROM mailing_recipients WHERE mailing_id = ? AND state IN (?, ?)",
		mailingID, StatePendingSend, StateSending).Scan(&left); err != nil {
		return 0, false, fmt.Errorf("counting copies still to send: %w", err)
	}
	if left == 0 {
		return 0, true, nil
	}
	var next *time.Time
	err := s.Env.DB.QueryRow(ctx, "SELECT next_try_at FROM mailing_recipients WHERE mailing_id = ? AND state = ? AND next_try_at IS NOT NULL ORDER BY next_try_at LIMIT 1",
		mailingID, StatePendingSend).Scan(&next)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, false, fmt.Errorf("finding the next deferred copy: %w", err)
	}
	wait := time.Second
	if next != nil {
		wait = min(max(next.Sub(s.now()), 10*time.Millisecond), time.Minute)
	}
	return wait, false, nil
}

func (s *Sender) workers() int {
	if s.Workers <= 0 {
		return 4
	}
	return s.Workers
}

// connOpener is a sender that can keep a connection open for many
// messages (mail.SMTP); others send each message on its own.
type connOpener interface {
	Open(ctx context.Context) (*mail.Conn, error)
}

// perConn is how many messages one connection carries before it is
// replaced: many servers limit it.
const perConn = 100

// slot is one worker's open connection to the mail server, if any.
type slot struct {
	conn *mail.Conn
	sent int
}

func (sl *slot) close() {
	if sl.conn != nil {
		sl.conn.Close()
		sl.conn, sl.sent = nil, 0
	}
}

// send hands msg to the server, on the slot's connection when the
// sender keeps connections. A failure closes the connection: the next
// message opens a fresh one rather than trust a session in an unknown
// state.
func (s *Sender) send(ctx context.Context, sl *slot, msg mail.Message) error {
	opener, ok := s.Mail.(connOpener)
	if !ok {
		return s.Mail.Send(ctx, msg)
	}
	if sl.conn == nil {
		c, err := opener.Open(ctx)
		if err != nil {
			return err
		}
		sl.conn = c
	}
	err := sl.conn.Send(ctx, msg)
	sl.sent++
	if err != nil || sl.sent >= perConn {
		sl.close()
	}
	return err
}

func (s *Sender) sendBatch(ctx context.Context, m Mailing, claim string, batch []recipient, p *pacer, slots []slot) error {
	work := make(chan recipient)
	errs := make(chan error, len(slots))
	var wg sync.WaitGroup
	for i := range slots {
		sl := &slots[i]
		wg.Go(func() {
			for r := range work {
				if err := s.sendOne(ctx, m, claim, r, p, sl); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	var err error
feed:
	for _, r := range batch {
		if err = p.wait(ctx); err != nil {
			break
		}
		select {
		case work <- r:
		case err = <-errs:
			break feed
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(work)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errs:
		default:
		}
	}
	return err
}

// sendOne hands one copy to the mail server and records the outcome. The
// send itself is not cut short by a shutdown: its outcome must be
// recorded, or the copy would be sent again.
func (s *Sender) sendOne(ctx context.Context, m Mailing, claim string, r recipient, p *pacer, sl *slot) error {
	host := "plenary"
	if u, err := url.Parse(s.Site.BaseURL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	msg := Compose(s.Site, m, r.address, token(s.Env.Key, m.ID, r.personID), fmt.Sprintf("mailing-%d-%d@%s", m.ID, r.personID, host))
	sendCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	err := s.send(sendCtx, sl, msg)
	cancel()
	rec := context.WithoutCancel(ctx)
	now := s.now()
	code := mail.ReplyCode(err)
	var res sql.Result
	var dbErr error
	switch {
	case err == nil:
		p.success()
		res, dbErr = s.record(rec, "UPDATE mailing_recipients SET state = ?, sent_at = ?, attempts = attempts + 1, reason = '', claim = '' WHERE id = ? AND claim = ? AND state = ?",
			StateSent, now, r.id, claim, StateSending)
	case code >= 500 || errors.Is(err, mail.ErrInvalid):
		res, dbErr = s.record(rec, "UPDATE mailing_recipients SET state = ?, attempts = attempts + 1, reason = ?, claim = '' WHERE id = ? AND claim = ? AND state = ?",
			StateFailed, reason("refused", err), r.id, claim, StateSending)
	default:
		// 4xx, or no answer at all: the server is busy or away. Slow
		// down, and try this copy again later unless it has waited
		// long enough.
		p.slowDown()
		s.log().Warn("mail server deferred a mailing copy; slowing down", "mailing", m.ID, "code", code, "rate", p.current())
		limit := s.MaxDeferrals
		if limit <= 0 {
			limit = 5
		}
		base := s.Deferral
		if base <= 0 {
			base = time.Minute
		}
		var attempts int
		if dbErr = s.Env.DB.QueryRow(rec, "SELECT attempts FROM mailing_recipients WHERE id = ?", r.id).Scan(&attempts); dbErr != nil {
			break
		}
		attempts++
		if attempts >= limit {
			res, dbErr = s.Env.DB.Exec(rec, "UPDATE mailing_recipients SET state = ?, attempts = ?, reason = ?, claim = '' WHERE id = ? AND claim = ? AND state = ?",
				StateFailed, attempts, reason(fmt.Sprintf("deferred %d times, last", attempts), err), r.id, claim, StateSending)
		} else {
			res, dbErr = s.Env.DB.Exec(rec, "UPDATE mailing_recipients SET state = ?, attempts = ?, reason = ?, next_try_at = ?, claim = '' WHERE id = ? AND claim = ? AND state = ?",
				StatePendingSend, attempts, reason("deferred", err), now.Add(base<<(attempts-1)), r.id, claim, StateSending)
		}
	}
	if dbErr != nil {
		return fmt.Errorf("recording the outcome of a mailing copy: %w", dbErr)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return jobs.ErrLeaseLost
	}
	return nil
}

// record writes a copy's outcome. On PostgreSQL the commit does not wait
// for the write-ahead log to reach disk (synchronous_commit off for this
// statement's transaction only): the row is committed and visible at once, and only a
// crash of the database server itself within a fraction of a second could
// lose it, in which case that copy is sent again with the same Message-ID.
// A crash of plenary loses nothing. Waiting for the disk on every copy
// would make the disk, not the mail server, set the pace.
func (s *Sender) record(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s.Env.DB.Dialect() == store.Postgres {
		// set_config(…, true) is SET LOCAL inside the statement's own
		// transaction: one round trip instead of four.
		query += " AND set_config('synchronous_commit', 'off', true) IS NOT NULL"
	}
	return s.Env.DB.Exec(ctx, query, args...)
}

// inList returns "?, ?, …" for ids and the ids as arguments.
func inList(ids []int64) (string, []any) {
	marks := make([]string, len(ids))
	args := make([]any, len(ids))
	for i, id := range ids {
		marks[i], args[i] = "?", id
	}
	return strings.Join(marks, ", "), args
}

// reason is the failure text kept for the report: the server's answer,
// without our own wrapping, cut to a readable length.
func reason(what string, err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && mail.ReplyCode(err) == 0 {
		msg = msg[i+2:]
	}
	msg = strings.ToValidUTF8(what+": "+msg, "?")
	if len(msg) > 500 {
		msg = msg[:500]
	}
	return msg
}

func (s *Sender) finish(ctx context.Context, m Mailing) error {
	return s.Env.DB.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, "UPDATE mailings SET state = ?, finished_at = ? WHERE id = ? AND state = ?", Finished, s.now(), m.ID, Sending)
		if err != nil {
			return fmt.Errorf("finishing mailing %d: %w", m.ID, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		p, err := ProgressOf(ctx, tx, m.ID)
		if err != nil {
			return err
		}
		return s.Env.audit(ctx, tx, Actor{Name: "system"}, "mailings.finished", "mailing:"+strconv.FormatInt(m.ID, 10),
			fmt.Sprintf("%d sent, %d not sent", p.Sent, p.Failed))
	})
}

// pacer spaces sends to a rate that halves when the server defers and
// creeps back to the configured rate as sends succeed.
type pacer struct {
	mu        sync.Mutex
	max, rate float64
	next      time.Time
}

func newPacer(rate float64) *pacer {
	if rate <= 0 {
		rate = 50
	}
	return &pacer{max: rate, rate: rate}
}

func (p *pacer) wait(ctx context.Context) error {
	p.mu.Lock()
	now := time.Now()
	at := p.next
	if at.Before(now) {
		at = now
	}
	p.next = at.Add(time.Duration(float64(time.Second) / p.rate))
	p.mu.Unlock()
	if d := time.Until(at); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}

func (p *pacer) success() {
	p.mu.Lock()
	p.rate = min(p.max, p.rate*1.02+0.05)
	p.mu.Unlock()
}

func (p *pacer) slowDown() {
	p.mu.Lock()
	p.rate = max(p.rate/2, 0.2)
	p.next = time.Now().Add(time.Duration(float64(time.Second) / p.rate))
	p.mu.Unlock()
}

func (p *pacer) current() float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rate
}
