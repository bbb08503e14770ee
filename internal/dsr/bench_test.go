package dsr_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"plenary/internal/dsr"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// BenchmarkExportAndRemoval times the export and the approved removal of a
// participant with 10,000 postings, 10,000 meeting registrations and
// 10,000 consent entries among 100,000 participants (each other
// participant with an address, and every tenth with a posting and a
// registration), on each engine. Issue 13's goals: export under 1 s,
// removal under 2 s. The removal approves every category, so the
// postings and registrations are deleted. Run with:
//
//	PLENARY_TEST_POSTGRES=postgres://… go test ./internal/dsr -run '^$' -bench ExportAndRemoval -benchtime 1x
func BenchmarkExportAndRemoval(b *testing.B) {
	const others, entries = 100000, 10000
	for _, engine := range []struct {
		name string
		open func(testing.TB) *store.DB
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}} {
		b.Run(engine.name, func(b *testing.B) {
			ctx := context.Background()
			db := engine.open(b)
			f := setup(b, db)
			round := 0
			for b.Loop() {
				b.StopTimer()
				round++
				person := seedBusy(b, db, f, round, others, entries)
				id, err := dsr.RequestRemoval(ctx, db, f.log, person, "", now)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				start := time.Now()
				e, err := dsr.MakeExport(ctx, db, f.log, f.inv, nil, dsr.Actor{ID: person}, person, "json", now)
				if err != nil {
					b.Fatal(err)
				}
				exported := time.Since(start)
				start = time.Now()
				d, err := dsr.Decide(ctx, db, f.log, f.inv, dsr.Actor{ID: 1, Label: "bench"}, id, every(true), "benchmark", now)
				if err != nil {
					b.Fatal(err)
				}
				removed := time.Since(start)
				b.StopTimer()
				rows := 0
				for _, t := range e.Tables {
					rows += len(t.Rows)
				}
				if rows < 3*entries || d.Outcome.Deleted["list_posts"] != entries || d.Outcome.Deleted["registrations"] != entries {
					b.Fatalf("exported %d rows, removed %v", rows, d.Outcome)
				}
				b.ReportMetric(exported.Seconds(), "export-s")
				b.ReportMetric(removed.Seconds(), "removal-s")
				b.StartTimer()
			}
		})
	}
}

// seedBusy adds the crowd and the busy participant, in batches of
// multi-row inserts, and returns the busy participant's number.
func seedBusy(b *testing.B, db *store.DB, f *fixture, round, others, entries int) int64 {
	b.Helper()
	ctx := context.Background()
	var person int64
	batch := func(tx *store.Tx, head, row string, n int, args func(i int) []any) error {
		const size = 200
		for start := 0; start < n; start += size {
			end := min(start+size, n)
			var rows []string
			var all []any
			for i := start; i < end; i++ {
				rows = append(rows, row)
				all = append(all, args(i)...)
			}
			if _, err := tx.Exec(ctx, head+" VALUES "+strings.Join(rows, ", "), all...); err != nil {
				return fmt.Errorf("%s: %w", head, err)
			}
		}
		return nil
	}
	err := db.Tx(ctx, func(tx *store.Tx) error {
		tag := fmt.Sprintf("r%d", round)
		var first int64
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(id), 0) + 1 FROM people`).Scan(&first); err != nil {
			return err
		}
		if err := batch(tx, `INSERT INTO people (name, created_at, updated_at)`, `(?, ?, ?)`, others, func(i int) []any {
			return []any{fmt.Sprintf("Other %s %d", tag, i), now, now}
		}); err != nil {
			return err
		}
		if err := batch(tx, `INSERT INTO person_emails (person_id, address, address_key, origin, is_primary, verified_at, active, created_at)`,
			`(?, ?, ?, 'self', TRUE, ?, TRUE, ?)`, others, func(i int) []any {
				a := fmt.Sprintf("other-%s-%d@example.org", tag, i)
				return []any{first + int64(i), a, a, now, now}
			}); err != nil {
			return err
		}
		var err error
		person, err = store.Insert(ctx, tx, `INSERT INTO people (name, created_at, updated_at) VALUES ('Busy Participant', ?, ?)`, now, now)
		if err != nil {
			return err
		}
		addr := fmt.Sprintf("busy-%s@example.org", tag)
		if _, err := tx.Exec(ctx, `INSERT INTO person_emails (person_id, address, address_key, origin, is_primary, verified_at, active, created_at)
			VALUES (?, ?, ?, 'self', TRUE, ?, TRUE, ?)`, person, addr, addr, now, now); err != nil {
			return err
		}
		if err := batch(tx, `INSERT INTO consent_ledger (person_id, purpose, granted, policy_version_id, channel, transfer_statement, recorded_at)`,
			`(?, ?, TRUE, ?, 'web', 'here', ?)`, entries, func(i int) []any {
				return []any{person, fmt.Sprintf("purpose %d", i), f.version, now}
			}); err != nil {
			return err
		}
		list, err := store.Insert(ctx, tx, `INSERT INTO lists (name, description, posting, archive, created_at) VALUES (?, 'Bench', 'open', 'public', ?)`, "bench-"+tag, now)
		if err != nil {
			return err
		}
		meeting, err := store.Insert(ctx, tx, `INSERT INTO meetings (name, starts_on, ends_on, time_zone, registration_opens, registration_closes, capacity, created_at)
			VALUES (?, '2026-06-01', '2026-06-05', 'UTC', ?, ?, 1000000, ?)`, "Bench "+tag, now, now, now)
		if err != nil {
			return err
		}
		ticket, err := store.Insert(ctx, tx, `INSERT INTO meeting_tickets (meeting_id, name, fee, currency) VALUES (?, 'Full', 100, 'EUR')`, meeting)
		if err != nil {
			return err
		}
		// Every tenth other participant has a posting and a registration.
		crowd := others / 10
		if err := batch(tx, `INSERT INTO list_contributors (email, name, person_id, token, accepted_at, created_at)`, `(?, ?, ?, ?, ?, ?)`, crowd+1, func(i int) []any {
			if i == crowd {
				return []any{addr, "Busy Participant", person, "tok-busy-" + tag, now, now}
			}
			return []any{fmt.Sprintf("other-%s-%d@example.org", tag, i*10), "Other", first + int64(i*10), fmt.Sprintf("tok-%s-%d", tag, i), now, now}
		}); err != nil {
			return err
		}
		var busyContributor, firstContributor int64
		if err := tx.QueryRow(ctx, `SELECT id FROM list_contributors WHERE person_id = ?`, person).Scan(&busyContributor); err != nil {
			return err
		}
		firstContributor = busyContributor - int64(crowd)
		posts := crowd + entries
		if err := batch(tx, `INSERT INTO list_posts (list_id, contributor_id, message_id, in_reply_to, subject, body, status, created_at, published_at)`,
			`(?, ?, ?, '', 'Subject', 'A body of a posting.', 'published', ?, ?)`, posts, func(i int) []any {
				c := busyContributor
				if i < crowd {
					c = firstContributor + int64(i)
				}
				return []any{list, c, fmt.Sprintf("<%s-%d@bench>", tag, i), now, now}
			}); err != nil {
			return err
		}
		return batch(tx, `INSERT INTO registrations (meeting_id, ticket_id, person_id, name, email, status, token, created_at)`,
			`(?, ?, ?, ?, ?, 'paid', ?, ?)`, posts, func(i int) []any {
				if i < crowd {
					return []any{meeting, ticket, first + int64(i*10), "Other", fmt.Sprintf("other-%s-%d@example.org", tag, i*10), fmt.Sprintf("rt-%s-%d", tag, i), now}
				}
				return []any{meeting, ticket, person, "Busy Participant", addr, fmt.Sprintf("rt-%s-%d", tag, i), now}
			})
	})
	if err != nil {
		b.Fatal(err)
	}
	return person
}
