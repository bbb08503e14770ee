package demo

import (
	"context"
	"fmt"
	"time"

	"plenary/internal/meetings"
	"plenary/internal/policy"
	"plenary/internal/store"
)

// seedMeetings adds an upcoming meeting open for registration, with a
// paid and a free ticket and a few registrations (some on the public
// attendee list), and a past one. Paying the paid ticket goes through
// the test processor, which --demo turns on.
func seedMeetings(ctx context.Context, tx *store.Tx, now time.Time) error {
	var version int64
	if err := tx.QueryRow(ctx, "SELECT COALESCE(MAX(id), 0) FROM policy_versions").Scan(&version); err != nil {
		return fmt.Errorf("demo meetings: reading the statement version: %w", err)
	}
	day := func(n int) string { return now.UTC().AddDate(0, 0, n).Format(meetings.DateLayout) }
	next := meetings.Meeting{Name: "Plenary meeting " + now.UTC().AddDate(0, 0, 45).Format("January 2006"), StartsOn: day(45), EndsOn: day(49),
		Place: "Lisbon", Online: true, TimeZone: "Europe/Lisbon", Opens: now.UTC().AddDate(0, 0, -10), Closes: now.UTC().AddDate(0, 0, 40),
		Capacity: 300, PublishAttendees: true,
		Tickets: []meetings.Ticket{{Name: "Full", Fee: 45000, Currency: "EUR"}, {Name: "Student", Fee: 5000, Currency: "EUR"}, {Name: "Remote", Fee: 0, Currency: "EUR"}}}
	id, err := meetings.Insert(ctx, tx, next, now)
	if err != nil {
		return err
	}
	past := meetings.Meeting{Name: "Plenary meeting " + now.UTC().AddDate(0, 0, -120).Format("January 2006"), StartsOn: day(-120), EndsOn: day(-116),
		Place: "Montreal", TimeZone: "America/Toronto", Opens: now.UTC().AddDate(0, 0, -200), Closes: now.UTC().AddDate(0, 0, -121),
		Capacity: 200, Tickets: []meetings.Ticket{{Name: "Full", Fee: 40000, Currency: "CAD"}}}
	if _, err := meetings.Insert(ctx, tx, past, now); err != nil {
		return err
	}
	var tickets []int64
	rows, err := tx.Query(ctx, "SELECT id FROM meeting_tickets WHERE meeting_id = ? ORDER BY id", id)
	if err != nil {
		return fmt.Errorf("demo meetings: %w", err)
	}
	for rows.Next() {
		var t int64
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return err
		}
		tickets = append(tickets, t)
	}
	rows.Close()
	for i, r := range []struct {
		name, email, affiliation, status string
		ticket                           int
		listMe                           bool
	}{
		{"Amara Okafor", "amara@example.net", "Example University", meetings.Paid, 0, true},
		{"Lukas Meyer", "lukas@example.net", "", meetings.Unpaid, 1, false},
		{"Sofia Rossi", "sofia@example.net", "Rossi Networks", meetings.Confirmed, 2, true},
	} {
		rid, err := store.Insert(ctx, tx, `INSERT INTO registrations (meeting_id, ticket_id, name, email, affiliation, list_me, status, token, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, tickets[r.ticket], r.name, r.email, r.affiliation, r.listMe, r.status, fmt.Sprintf("demo-registration-%d", i+1), now.UTC())
		if err != nil {
			return fmt.Errorf("demo registrations: %w", err)
		}
		if version == 0 {
			continue
		}
		if err := policy.Record(ctx, tx, policy.Consent{RegistrationID: rid, Purpose: meetings.PurposeRegistration, Granted: true, VersionID: version,
			Channel: policy.ChannelWeb, Transfer: "Example content made by plenary serve --demo.", At: now}); err != nil {
			return err
		}
	}
	return seedRegistrantSide(ctx, tx, id, tickets, version, now)
}
