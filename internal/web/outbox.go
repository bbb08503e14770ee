package web

import (
	"context"
	"net/http"
	"sync"
	"time"

	"plenary/internal/mail"
	"plenary/internal/meetings"
	"plenary/internal/outbox"
	"plenary/internal/store"
)

// mailOutbox is the durable outbox (internal/outbox) over the server's
// current mail sender, or nil without the site's key (a bare test server).
func (s *Server) mailOutbox() *outbox.Outbox {
	if s.Keys == nil {
		return nil
	}
	return &outbox.Outbox{DB: s.DB, Sealer: s.Keys.Sealer(outbox.KeyPurpose), Mail: s.Mail, Log: s.Log, Now: s.Now}
}

// queueMail stores m in the outbox within q, the use case's transaction,
// and returns the message's id for deliverSoon once q commits.
func (s *Server) queueMail(ctx context.Context, q store.Querier, m mail.Message, what string) (int64, error) {
	o := s.mailOutbox()
	if o == nil {
		return 0, nil
	}
	return o.Put(ctx, q, m, what)
}

// deliverSoon delivers the stored message id after the response, without
// making it wait; if that fails or the process dies first, the outbox's
// job sends it. A form whose answer must not tell whether an address has
// an account (the password reset) would otherwise answer later, by an SMTP
// round trip, when it has one.
func (s *Server) deliverSoon(ctx context.Context, id int64) {
	o := s.mailOutbox()
	if o == nil || id == 0 {
		return
	}
	ctx = context.WithoutCancel(ctx)
	s.mailing.Go(func() {
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if err := o.Deliver(ctx, id); err != nil {
			s.Log.Warn("delivering an outbox message now failed; its job will retry", "outbox", id, "err", err)
		}
	})
}

// sendInBackground stores m durably, then delivers it after the response.
// Failures go to the server log, without the message. Without the site's
// key (a bare test server) it sends from memory, as before the outbox.
func (s *Server) sendInBackground(r *http.Request, m mail.Message, what string) {
	ctx := r.Context()
	if s.Keys == nil {
		s.sendFromMemory(ctx, m, what)
		return
	}
	var id int64
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		var err error
		id, err = s.queueMail(ctx, tx, m, what)
		return err
	})
	if err != nil {
		s.Log.Error("storing "+what+" in the outbox failed", "err", err)
		return
	}
	s.deliverSoon(ctx, id)
}

func (s *Server) sendFromMemory(ctx context.Context, m mail.Message, what string) {
	ctx = context.WithoutCancel(ctx)
	s.mailing.Go(func() {
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if err := s.Mail.Send(ctx, m); err != nil {
			s.Log.Error("sending "+what+" failed", "err", err)
		}
	})
}

// durableSender is the outbox as a mail.Sender, for the domain services
// that send account mail themselves (list subscription confirmations).
type durableSender struct {
	s    *Server
	what string
}

func (d durableSender) Send(ctx context.Context, m mail.Message) error {
	if d.s.Keys == nil {
		return d.s.Mail.Send(ctx, m)
	}
	var id int64
	err := d.s.DB.Tx(ctx, func(tx *store.Tx) error {
		var err error
		id, err = d.s.queueMail(ctx, tx, m, d.what)
		return err
	})
	if err != nil {
		return err
	}
	d.s.deliverSoon(ctx, id)
	return nil
}

// queuedMail is the outbox for the use cases of one request that store
// their mail in their own transaction (meetings.Checkouts): it remembers
// what they stored, for deliverQueued to send once they have committed.
type queuedMail struct {
	s   *Server
	mu  sync.Mutex
	ids []int64
}

func (q *queuedMail) Put(ctx context.Context, tx store.Querier, m mail.Message, what string) (int64, error) {
	id, err := q.s.queueMail(ctx, tx, m, what)
	if err == nil && id != 0 {
		q.mu.Lock()
		q.ids = append(q.ids, id)
		q.mu.Unlock()
	}
	return id, err
}

// deliverQueued delivers after the answer what c's use cases stored. A
// message whose transaction rolled back is no longer there, and is
// skipped (outbox.Deliver).
func (s *Server) deliverQueued(ctx context.Context, c meetings.Checkouts) {
	q, ok := c.Outbox.(*queuedMail)
	if !ok {
		return
	}
	q.mu.Lock()
	ids := q.ids
	q.ids = nil
	q.mu.Unlock()
	for _, id := range ids {
		s.deliverSoon(ctx, id)
	}
}
