package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net"

	"plenary/internal/inquiries"
	"plenary/internal/lists"
	"plenary/internal/mail"
)

// startInbound starts the inbound mail listener when --smtp-listen is set,
// with every feature that takes mail registered on its router, and returns
// a function that waits for it to stop once ctx ends.
func startInbound(ctx context.Context, a *app, mailer mail.Sender, log *slog.Logger) (wait func(), err error) {
	cfg := a.cfg
	if cfg.SMTPListen == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", cfg.SMTPListen)
	if err != nil {
		return nil, fmt.Errorf("--smtp-listen: %w", err)
	}
	router := &mail.Router{}
	router.Handle(inquiries.Mailbox, &inquiries.MailHandler{DB: a.db, Audit: a.audit})
	// Discussion groups own the addresses named after them: NAME@ and
	// NAME-unsubscribe@.
	router.HandleRest(&lists.MailHandler{Service: listService(a, mailer)})
	l := &mail.Listener{Domain: cfg.MailDomain, MaxBytes: cfg.MaxMessageBytes, Router: router, Log: log}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := l.Serve(ctx, ln); err != nil {
			log.Error("inbound mail listener stopped", "err", err)
		}
	}()
	log.Info("plenary takes mail", "addr", ln.Addr().String(), "domain", cfg.MailDomain)
	return func() { <-done }, nil
}
