package demo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"time"

	"plenary/internal/people"
	"plenary/internal/policy"
	"plenary/internal/store"
)

// seedMailing subscribes two demo participants to announcements and adds
// one sent announcement, with one copy delivered and one refused, so the
// secretariat's report at /admin/mailings shows both outcomes.
func seedMailing(ctx context.Context, tx *store.Tx, out io.Writer, now time.Time) error {
	now = now.UTC()
	var version int64
	err := tx.QueryRow(ctx, "SELECT id FROM policy_versions ORDER BY id DESC LIMIT 1").Scan(&version)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("reading the statement version: %w", err)
	}
	ids := map[string]int64{}
	for _, addr := range []string{"secretariat@demo.example", "grace@demo.example", "admin@demo.example"} {
		p, _, err := people.FindByEmail(ctx, tx, addr)
		if err != nil {
			return fmt.Errorf("demo mailing: %s: %w", addr, err)
		}
		ids[addr] = p.ID
	}
	asked := now.AddDate(0, 0, -20)
	for _, addr := range []string{"grace@demo.example", "admin@demo.example"} {
		if _, err := tx.Exec(ctx, "INSERT INTO mailing_subscriptions (person_id, state, requested_at, confirmed_at) VALUES (?, ?, ?, ?)",
			ids[addr], "confirmed", asked, asked.Add(time.Hour)); err != nil {
			return fmt.Errorf("demo subscription: %w", err)
		}
		if version == 0 {
			continue // no statement yet (a bare test database): nothing to record it under
		}
		for _, c := range []struct {
			purpose string
			at      time.Time
		}{
			{"participant mailings: asked to receive them, confirmation link sent", asked},
			{"participant mailings", asked.Add(time.Hour)},
		} {
			if err := policy.Record(ctx, tx, policy.Consent{PersonID: ids[addr], Purpose: c.purpose, Granted: true, VersionID: version,
				Channel: policy.ChannelWeb, Transfer: "Example content created by plenary serve --demo.", At: c.at}); err != nil {
				return err
			}
		}
	}
	sent := now.AddDate(0, 0, -3)
	staff := ids["secretariat@demo.example"]
	id, err := store.Insert(ctx, tx, `INSERT INTO mailings (subject, body, created_by, created_at, state, sent_by, sent_at, finished_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		"Spring plenary: agenda and registration",
		"The spring plenary meets in Geneva from 4 to 8 May.\n\nThe draft agenda is on the meetings page; registration opens next week.\n\nThe secretariat",
		staff, sent.Add(-time.Hour), "finished", staff, sent, sent.Add(time.Minute))
	if err != nil {
		return fmt.Errorf("demo mailing: %w", err)
	}
	for _, r := range []struct{ addr, state, reason string }{
		{"grace@demo.example", "sent", ""},
		{"admin@demo.example", "failed", "refused: 550 5.1.1 mailbox unavailable (example)"},
	} {
		var at any
		if r.state == "sent" {
			at = sent
		}
		if _, err := tx.Exec(ctx, "INSERT INTO mailing_recipients (mailing_id, person_id, address, state, attempts, reason, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
			id, ids[r.addr], r.addr, r.state, 1, r.reason, at); err != nil {
			return fmt.Errorf("demo mailing recipient: %w", err)
		}
	}
	fmt.Fprintln(out, "demo: one sent announcement at /admin/mailings (sign in as the secretariat)")
	return nil
}
