// Package demo fills an empty database with example content, so that a
// newcomer running `plenary serve --demo` sees a site that looks lived in.
// Each feature adds its own examples here.
package demo

import (
	"context"
	"fmt"
	"io"
	"time"

	"plenary/internal/store"
)

// Link is where the demo's announcement points: the home page's section
// that says what the demo holds and how to sign in (it is shown while the
// announcement is).
const Link = "/#demo"

// Deps are what seeding needs.
type Deps struct {
	DB  *store.DB
	Out io.Writer // where to tell the person what was created
	Now time.Time
	// LogDir and Instance, when set, receive a month of made-up access
	// logs for the usage dashboard.
	LogDir, Instance string
}

// Seed adds the examples when the database has no demo content yet, all in
// one transaction, and reports whether it did.
func Seed(ctx context.Context, d Deps) (bool, error) {
	var n int
	if err := d.DB.QueryRow(ctx, "SELECT COUNT(*) FROM announcements WHERE link = ?", Link).Scan(&n); err != nil {
		return false, fmt.Errorf("checking for demo content: %w", err)
	}
	if n > 0 {
		return false, nil
	}
	err := d.DB.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO announcements (title, body, link, starts_at, ends_at) VALUES (?, ?, ?, ?, ?)",
			"This is a demonstration site",
			"Everything here is example content created by plenary serve --demo.",
			Link, d.Now.UTC(), d.Now.UTC().AddDate(1, 0, 0))
		if err != nil {
			return err
		}
		if err := seedPeople(ctx, tx, d.Out, d.Now); err != nil {
			return err
		}
		if err := seedInquiries(ctx, tx, d.Now); err != nil {
			return err
		}
		if err := seedMailing(ctx, tx, d.Out, d.Now); err != nil {
			return err
		}
		if err := seedLists(ctx, tx, d.Now); err != nil {
			return err
		}
		if err := seedDrafts(ctx, tx, d.Now); err != nil {
			return err
		}
		// IPR disclosures and liaison statements (issue 11).
		if err := seedIPRLiaisons(ctx, tx, d.Now); err != nil {
			return err
		}
		// The register of disclosures required by law (U4).
		if err := seedDisclosures(ctx, tx, d.Now); err != nil {
			return err
		}
		return seedMeetings(ctx, tx, d.Now)
	})
	if err != nil {
		return false, fmt.Errorf("seeding demo content: %w", err)
	}
	if d.LogDir != "" {
		n, err := writeTraffic(d.LogDir, d.Instance, d.Now, 30)
		if err != nil {
			return true, err
		}
		fmt.Fprintf(d.Out, "demo: wrote %d days of example access logs; see /admin/analytics as the secretariat or admin\n", n)
	}
	fmt.Fprintln(d.Out, "demo: added example content: discussion groups, drafts, an IPR disclosure, a liaison statement and a meeting")
	fmt.Fprintln(d.Out, "demo: pay a meeting fee with the test card 4242424242424242 (4000000000003220 settles a few seconds later, 4000000000000002 is declined)")
	return true, nil
}
