package demo

import (
	"context"
	"fmt"
	"time"

	"plenary/internal/documents"
	"plenary/internal/store"
)

// seedIPRLiaisons posts an IPR disclosure by the demo participant naming
// one of the demo drafts, and a liaison statement with a text attachment
// entered by the demo secretariat (issue 11). Both are made-up.
func seedIPRLiaisons(ctx context.Context, tx *store.Tx, now time.Time) error {
	var version int64
	if err := tx.QueryRow(ctx, "SELECT COALESCE(MAX(id), 0) FROM policy_versions").Scan(&version); err != nil {
		return fmt.Errorf("demo disclosure: reading the statement version: %w", err)
	}
	if version == 0 {
		return nil // no statement published: the ledger needs one
	}
	id := func(addr string) (int64, error) {
		var n int64
		err := tx.QueryRow(ctx, "SELECT person_id FROM person_emails WHERE address_key = ?", addr).Scan(&n)
		return n, err
	}
	grace, err := id("grace@demo.example")
	if err != nil {
		return fmt.Errorf("demo disclosure: finding the participant: %w", err)
	}
	sam, err := id("secretariat@demo.example")
	if err != nil {
		return fmt.Errorf("demo liaison: finding the secretariat: %w", err)
	}
	if _, err := documents.PostIPRDemo(ctx, tx, grace, documents.IPRSubmission{
		Form: documents.IPRForm{
			Kind: documents.IPRSpecific, Title: "Example Networks' statement about route-target derived communities",
			Holder: "Example Networks Inc.", ContactName: "Grace Hopper", ContactEmail: "grace@demo.example",
			ShowContact: true, Drafts: "draft-ietf-idr-rt-derived-community",
			Patents:        "US 99,999,999 B1 (example), granted 2025-01-07\nEP 9999999 A1 (example), pending",
			Licensing:      "royalty-free",
			LicensingNotes: "Made up for the demonstration: no such patent exists.",
			AcceptTerms:    true,
		},
		VersionID: version, Transfer: "Example content created by plenary serve --demo.",
	}, now.AddDate(0, 0, -5)); err != nil {
		return fmt.Errorf("demo disclosure: %w", err)
	}
	if _, err := documents.PostLiaisonDemo(ctx, tx, sam, documents.LiaisonForm{
		From: "Example Telecommunication Union, Study Group 99", To: "idr", Title: "Request for comments on derived communities",
		Purpose: "comment", Deadline: now.AddDate(0, 2, 0).Format("2006-01-02"),
		Body:        "Made up for the demonstration.\n\nStudy Group 99 is studying route-target derived communities and would value the group's comments on the attached questions.",
		ContactName: "Lee Liaison", ContactEmail: "lee@liaison.example",
		Attachments: []documents.Attachment{{Filename: "questions.txt", Data: []byte("1. Which use cases does the draft cover?\n2. Is an implementation report planned?\n")}},
	}, now.AddDate(0, 0, -2)); err != nil {
		return fmt.Errorf("demo liaison: %w", err)
	}
	return nil
}
