package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"

	"plenary/internal/inquiries"
	"plenary/internal/lists"
	"plenary/internal/mail"
	"plenary/internal/mailings"
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
	// Replies to announcements (and the mailto of List-Unsubscribe) come
	// to the announcement address; the listener can take them only when
	// that address is at the mail domain.
	if local, domain, ok := strings.Cut(cfg.MailingAddress, "@"); ok && strings.EqualFold(domain, cfg.MailDomain) {
		router.Handle(strings.ToLower(local), &mailings.ReplyHandler{
			Env:     mailings.Env{DB: a.db, Audit: a.audit, Policy: a.policy, Key: a.keys.Derive(mailings.KeyPurpose)},
			Reply:   mailings.ReplyMail{Mail: mailer, BaseURL: strings.TrimSuffix(a.cfg.BaseURL.String(), "/"), Org: a.cfg.OrgName},
			Mailbox: local})
	} else {
		log.Warn("replies to announcements cannot be taken in: --mailing-address is not at --mail-domain, so unsubscribing by reply depends on that mailbox's own handling", "mailing_address", cfg.MailingAddress, "mail_domain", cfg.MailDomain)
	}
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
