package demo

import (
	"context"
	"fmt"
	"time"

	"plenary/internal/inquiries"
	"plenary/internal/store"
)

// demoInquiries are example inquiries for the staff inbox: open ones for
// the secretariat, a privacy request only administrators see, and one
// answered and closed.
var demoInquiries = []struct {
	name, email, category, message, answer string
	daysAgo                                int
}{
	{"Rosa Fernández", "rosa@example.net", "meetings", "Is there a reduced fee for students at the next plenary meeting?", "", 2},
	{"Kenji Watanabe", "kenji@example.net", "documents", "How do I submit a revised version of my draft after the deadline?", "", 5},
	{"Priya Natarajan", "priya@example.net", inquiries.Privacy, "Please tell me what personal data you hold about me, and delete my old mailing-list address.", "", 1},
	{"Ole Hansen", "ole@example.net", "participation", "Can I join a working group without an employer?",
		"Yes: participation is open to individuals. Join the group's discussion list and introduce yourself.", 40},
}

// seedInquiries adds the example inquiries, each with its consent entry
// under the current statement version.
func seedInquiries(ctx context.Context, tx *store.Tx, now time.Time) error {
	var version int64
	if err := tx.QueryRow(ctx, "SELECT COALESCE(MAX(id), 0) FROM policy_versions").Scan(&version); err != nil {
		return fmt.Errorf("demo inquiries: reading the statement version: %w", err)
	}
	if version == 0 {
		return nil // no statement published: the ledger needs one
	}
	var staff int64
	if err := tx.QueryRow(ctx, "SELECT person_id FROM person_emails WHERE address_key = ?", "secretariat@demo.example").Scan(&staff); err != nil {
		return fmt.Errorf("demo inquiries: finding the secretariat: %w", err)
	}
	for _, d := range demoInquiries {
		at := now.AddDate(0, 0, -d.daysAgo)
		in, err := inquiries.Insert(ctx, tx, inquiries.Submission{
			Form:      inquiries.Form{Name: d.name, Email: d.email, Category: d.category, Message: d.message, Consent: true},
			VersionID: version, Transfer: "Example content created by plenary serve --demo.",
		}, at)
		if err != nil {
			return fmt.Errorf("demo inquiry from %s: %w", d.email, err)
		}
		if d.answer == "" {
			continue
		}
		answered := at.Add(26 * time.Hour).UTC()
		if _, err := tx.Exec(ctx, "INSERT INTO inquiry_messages (inquiry_id, direction, staff_id, body, created_at) VALUES (?, ?, ?, ?, ?)",
			in.ID, inquiries.FromStaff, staff, d.answer, answered); err != nil {
			return fmt.Errorf("demo inquiry answer: %w", err)
		}
		if _, err := tx.Exec(ctx, "UPDATE inquiries SET closed_at = ?, closed_by = ?, updated_at = ? WHERE id = ?", answered, staff, answered, in.ID); err != nil {
			return fmt.Errorf("demo inquiry answer: %w", err)
		}
	}
	return nil
}
