package demo

import (
	"context"
	"embed"
	"fmt"
	"strings"
	"time"

	"plenary/internal/documents"
	"plenary/internal/store"
)

// draftFiles are real, published Internet-Drafts (copies of the test
// data in shared/testdata/drafts), so the demo's draft pages show what
// real ones look like: two as plain text, one as XML that plenary renders.
//
//go:embed drafts/*
var draftFiles embed.FS

// demoDrafts are posted oldest first, by the demo participant Grace
// Hopper. Each has two revisions: one is the real file, the other made
// from it by changing its revision and one sentence (change), so the
// diff page has something to show.
var demoDrafts = []struct {
	file    string
	daysAgo int
	// rev, when set, posts the file as this revision instead, with the
	// sentence change[0] replaced by change[1].
	rev    string
	change [2]string
}{
	{"draft-ietf-mip4-multiple-tunnel-support-07.txt", 380, "06", [2]string{"build an higher aggregated logical pipe", "build a larger aggregated logical pipe"}},
	{"draft-ietf-mip4-multiple-tunnel-support-07.txt", 200, "", [2]string{}}, // expired by now
	{"draft-ietf-idr-rt-derived-community-00.txt", 30, "", [2]string{}},
	{"draft-ietf-idr-rt-derived-community-00.txt", 10, "01", [2]string{"describes some example use cases.", "describes three example use cases."}},
	{"draft-ietf-uuidrev-rfc4122bis-11.xml", 3, "", [2]string{}},
	{"draft-ietf-uuidrev-rfc4122bis-11.xml", 1, "12", [2]string{"UUIDs are also known as GUIDs", "UUIDs are also widely known as GUIDs"}},
}

// revised is b made into revision rev of the same draft.
func revised(file string, b []byte, rev string, change [2]string) []byte {
	full := strings.TrimSuffix(strings.TrimSuffix(file, ".txt"), ".xml")
	name, _, _ := documents.SplitName(full)
	s := strings.ReplaceAll(string(b), full, name+"-"+rev)
	return []byte(strings.Replace(s, change[0], change[1], 1))
}

// seedDrafts posts the example drafts through the same checks a
// submission passes, each with the submitter's consent entry; their
// authors enter the participant records with origin "draft author".
func seedDrafts(ctx context.Context, tx *store.Tx, now time.Time) error {
	var version int64
	if err := tx.QueryRow(ctx, "SELECT COALESCE(MAX(id), 0) FROM policy_versions").Scan(&version); err != nil {
		return fmt.Errorf("demo drafts: reading the statement version: %w", err)
	}
	if version == 0 {
		return nil // no statement published: the ledger needs one
	}
	var submitter int64
	if err := tx.QueryRow(ctx, "SELECT person_id FROM person_emails WHERE address_key = ?", "grace@demo.example").Scan(&submitter); err != nil {
		return fmt.Errorf("demo drafts: finding the participant: %w", err)
	}
	for _, d := range demoDrafts {
		b, err := draftFiles.ReadFile("drafts/" + d.file)
		if err != nil {
			return fmt.Errorf("demo drafts: %w", err)
		}
		if d.rev != "" {
			b = revised(d.file, b, d.rev, d.change)
		}
		up := documents.Upload{AcceptTerms: true}
		if strings.HasSuffix(d.file, ".xml") {
			up.XML = b
		} else {
			up.Txt = b
		}
		c, err := documents.Check(up, func(name string) (string, error) { return documents.LatestRev(ctx, tx, name) })
		if err != nil {
			return err
		}
		sub := documents.Submission{Upload: up, VersionID: version, Transfer: "Example content created by plenary serve --demo."}
		if _, err := documents.Post(ctx, tx, c, submitter, sub, now.AddDate(0, 0, -d.daysAgo)); err != nil {
			return fmt.Errorf("demo draft %s: %w", d.file, err)
		}
	}
	return nil
}
