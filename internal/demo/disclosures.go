package demo

import (
	"context"
	"fmt"
	"time"

	"plenary/internal/store"
)

// seedDisclosures adds a made-up entry to the register of disclosures
// required by law (U4), so /admin/disclosures has something to show, and
// a removal request that came by mail (R4), entered by the privacy
// officer, for staff to decide kind by kind.
func seedDisclosures(ctx context.Context, tx *store.Tx, now time.Time) error {
	var admin int64
	if err := tx.QueryRow(ctx, "SELECT person_id FROM person_emails WHERE address_key = 'admin@demo.example'").Scan(&admin); err != nil {
		return fmt.Errorf("finding the demo admin: %w", err)
	}
	at := now.UTC().AddDate(0, 0, -40).Truncate(24 * time.Hour)
	_, err := tx.Exec(ctx, `INSERT INTO disclosures (subject, requester, legal_basis, disclosed, disclosed_at, told_at, untold, recorded_by, recorded_at)
		VALUES (?, ?, ?, ?, ?, ?, '', ?, ?)`,
		"The sender of an example inquiry (no account)", "Example District Court, case 0000/2026 (made up)",
		"An example production order", "The name and e-mail address the inquiry was sent with", at, at.AddDate(0, 0, 3), admin, at)
	if err != nil {
		return err
	}
	var grace, privacy int64
	if err := tx.QueryRow(ctx, "SELECT person_id FROM person_emails WHERE address_key = 'grace@demo.example'").Scan(&grace); err != nil {
		return fmt.Errorf("finding the demo participant: %w", err)
	}
	if err := tx.QueryRow(ctx, "SELECT person_id FROM person_emails WHERE address_key = 'privacy@demo.example'").Scan(&privacy); err != nil {
		return fmt.Errorf("finding the demo privacy officer: %w", err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO removal_requests (person_id, note, status, requested_at, entered_by, verified) VALUES (?, ?, 'pending', ?, ?, ?)`,
		grace, "Please remove my postings; I would like to keep my account.", now.UTC().AddDate(0, 0, -2), privacy,
		"She wrote from her confirmed address and confirmed again by replying to our answer (made up)")
	return err
}
