package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"plenary/internal/meetings"
	"plenary/internal/payments"
	"plenary/internal/people"
	"plenary/internal/policy"
	"plenary/internal/store"
)

// seedRegistrantSide gives the demo's upcoming meeting what the
// registrant's and finance's pages show (issue 10): Amara's paid
// registration its payment, and Grace Hopper (grace@demo.example) a paid
// registration under her account with a receipt and a refund request, so
// /account and /admin/refunds have content. The payments were "made" at
// the test processor; no card detail is stored, as with a real one. The
// test processor forgets its checkouts when it stops: serve gives it back
// those plenary holds as paid (meetings.PaidAt), these included, so
// finance can refund them.
func seedRegistrantSide(ctx context.Context, tx *store.Tx, meeting int64, tickets []int64, version int64, now time.Time) error {
	now = now.UTC()
	pay := func(reg int64, checkout string) error {
		_, err := tx.Exec(ctx, `INSERT INTO payments (registration_id, processor, checkout_id, checkout_url, amount, currency, status, transaction_id, created_at, updated_at)
			VALUES (?, ?, ?, '', 45000, 'EUR', ?, ?, ?, ?)`, reg, payments.TestProcessorName, checkout, payments.Paid, "tx_"+strings.TrimPrefix(checkout, "cs_test_"), now.Add(-time.Hour), now.Add(-time.Hour))
		if err != nil {
			return fmt.Errorf("demo payments: %w", err)
		}
		return nil
	}
	var amara int64
	if err := tx.QueryRow(ctx, "SELECT id FROM registrations WHERE meeting_id = ? AND email = ?", meeting, "amara@example.net").Scan(&amara); err != nil {
		return fmt.Errorf("demo payments: %w", err)
	}
	if err := pay(amara, "cs_test_demo_amara"); err != nil {
		return err
	}
	grace, _, err := people.FindByEmail(ctx, tx, "grace@demo.example")
	if err != nil {
		return fmt.Errorf("demo registrations: finding Grace Hopper: %w", err)
	}
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	rid, err := store.Insert(ctx, tx, `INSERT INTO registrations (meeting_id, ticket_id, person_id, name, email, postal_address, affiliation, list_me, status, token, created_at, refund_requested_at, refund_reason)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, meeting, tickets[0], grace.ID, "Grace Hopper", "grace@demo.example", "1 Harbour Street\nArlington, VA",
		"Compiler Working Group", true, meetings.Paid, hex.EncodeToString(b), now.Add(-2*time.Hour), now, "My travel budget was cut; I will follow the meeting remotely.")
	if err != nil {
		return fmt.Errorf("demo registrations: %w", err)
	}
	if err := pay(rid, "cs_test_demo_grace"); err != nil {
		return err
	}
	if version == 0 {
		return nil
	}
	return policy.Record(ctx, tx, policy.Consent{PersonID: grace.ID, Purpose: meetings.PurposeRegistration, Granted: true, VersionID: version,
		Channel: policy.ChannelWeb, Transfer: "Example content made by plenary serve --demo.", At: now})
}
