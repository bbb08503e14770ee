package meetings

import (
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"plenary/internal/audit"
	"plenary/internal/payments"
	"plenary/internal/store"
	"plenary/internal/validate"
)

// The secretariat's side of one meeting (issue 10): its registration
// list, the list's CSV export, and editing the meeting and its tickets.

// Roster reads every registration of meeting with its registrant's
// details, for the secretariat, and writes the view to the audit log in
// the same transaction: the list holds personal data. action is
// "meetings.roster.view" for the page or "meetings.roster.export" for the
// CSV file.
func Roster(ctx context.Context, db *store.DB, log *audit.Log, staff Staff, meeting int64, action string) ([]Own, error) {
	if log == nil {
		return nil, ErrNoAudit
	}
	var out []Own
	err := db.Tx(ctx, func(tx *store.Tx) error {
		out = nil
		rows, err := tx.Query(ctx, "SELECT "+regColumns+", r.cancelled_at, r.refund_requested_at, r.refund_reason"+regFrom+
			" WHERE r.meeting_id = ? ORDER BY r.created_at, r.id", meeting)
		if err != nil {
			return fmt.Errorf("listing a meeting's registrations: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			o, err := scanOwn(rows)
			if err != nil {
				return err
			}
			out = append(out, o)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("listing a meeting's registrations: %w", err)
		}
		rows.Close()
		return log.Record(ctx, tx, audit.Entry{Actor: staff.ID, Label: staff.Name, Action: action,
			Subject: fmt.Sprintf("meeting:%d", meeting), Detail: fmt.Sprintf("%d registrations", len(out))})
	})
	return out, err
}

func scanOwn(row interface{ Scan(...any) error }) (Own, error) {
	var o Own
	var cancelled, requested sql.NullTime
	r := &o.Registration
	if err := row.Scan(&r.ID, &r.MeetingID, &r.MeetingName, &r.Ticket.ID, &r.Ticket.Name, &r.Ticket.Fee, &r.Ticket.Currency, &r.PersonID,
		&r.Name, &r.Email, &r.PostalAddress, &r.Affiliation, &r.ListMe, &r.Status, &r.Token, &r.CreatedAt,
		&cancelled, &requested, &o.RefundReason); err != nil {
		return o, fmt.Errorf("reading a registration: %w", err)
	}
	o.CancelledAt, o.RefundRequestedAt = store.TimeOrNil(cancelled), store.TimeOrNil(requested)
	return o, nil
}

// csvSafe defuses a cell a spreadsheet would read as a formula: one that
// begins with =, +, -, @, a tab or a carriage return gets a leading
// apostrophe, which spreadsheets show as text.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// WriteCSV writes a meeting's registration list as CSV, every cell made
// safe to open in a spreadsheet.
func WriteCSV(w io.Writer, list []Own) error {
	c := csv.NewWriter(w)
	stamp := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	rows := [][]string{{"registration", "name", "email", "postal_address", "affiliation", "ticket", "fee", "status", "listed", "registered_at", "cancelled_at", "refund_requested_at"}}
	for _, o := range list {
		listed := "no"
		if o.ListMe {
			listed = "yes"
		}
		rows = append(rows, []string{strconv.FormatInt(o.ID, 10), o.Name, o.Email, o.PostalAddress, o.Affiliation, o.Ticket.Name, o.Ticket.Price(),
			o.Status, listed, o.CreatedAt.UTC().Format(time.RFC3339), stamp(o.CancelledAt), stamp(o.RefundRequestedAt)})
	}
	for _, row := range rows {
		for i := range row {
			row[i] = csvSafe(row[i])
		}
		if err := c.Write(row); err != nil {
			return fmt.Errorf("writing the registration list: %w", err)
		}
	}
	c.Flush()
	return c.Error()
}

// FormOf is the edit form filled with m, tickets written one a line.
func FormOf(m Meeting) Form {
	loc := m.location()
	var lines []string
	for _, t := range m.Tickets {
		lines = append(lines, fmt.Sprintf("%s | %s | %s", t.Name, payments.FormatAmount(t.Fee, t.Currency), t.Currency))
	}
	return Form{Name: m.Name, StartsOn: m.StartsOn, EndsOn: m.EndsOn, Place: m.Place, TimeZone: m.TimeZone,
		Opens: m.Opens.In(loc).Format(DateLayout), Closes: m.Closes.In(loc).AddDate(0, 0, -1).Format(DateLayout),
		Capacity: strconv.Itoa(m.Capacity), Tickets: strings.Join(lines, "\n"), Online: m.Online, PublishAttendees: m.PublishAttendees}
}

// Update changes a meeting and its ticket types, with its audit entry,
// in one transaction. Ticket types are matched by name: a new name adds
// one; a ticket type that registrations hold can be neither removed nor
// given another fee or currency (what was paid stays what it says), and
// the capacity cannot go below the places taken. Every problem comes back
// at once and nothing is changed.
func Update(ctx context.Context, db *store.DB, log *audit.Log, staff Staff, id int64, m Meeting) error {
	if log == nil {
		return ErrNoAudit
	}
	return db.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.Lock(ctx, fmt.Sprintf("meeting:%d", id)); err != nil {
			return err
		}
		cur, err := Get(ctx, tx, id)
		if err != nil {
			return err
		}
		held := map[int64]int{}
		rows, err := tx.Query(ctx, "SELECT ticket_id, COUNT(*) FROM registrations WHERE meeting_id = ? GROUP BY ticket_id", id)
		if err != nil {
			return fmt.Errorf("counting a meeting's registrations: %w", err)
		}
		for rows.Next() {
			var t int64
			var n int
			if err := rows.Scan(&t, &n); err != nil {
				rows.Close()
				return fmt.Errorf("counting a meeting's registrations: %w", err)
			}
			held[t] = n
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("counting a meeting's registrations: %w", err)
		}
		var p validate.Errors
		if m.Capacity < cur.Taken {
			p.Add("capacity", fmt.Sprintf("The capacity cannot be below the %d places already taken.", cur.Taken))
		}
		byName := map[string]Ticket{}
		for _, t := range m.Tickets {
			if _, dup := byName[strings.ToLower(t.Name)]; dup {
				p.Add("tickets", fmt.Sprintf("The ticket type %q is listed twice.", t.Name))
			}
			byName[strings.ToLower(t.Name)] = t
		}
		kept := map[int64]Ticket{}
		for _, t := range cur.Tickets {
			nt, ok := byName[strings.ToLower(t.Name)]
			switch {
			case !ok && held[t.ID] > 0:
				p.Add("tickets", fmt.Sprintf("The ticket type %q has registrations, so it cannot be removed.", t.Name))
			case ok && held[t.ID] > 0 && (nt.Fee != t.Fee || nt.Currency != t.Currency):
				p.Add("tickets", fmt.Sprintf("The ticket type %q has registrations, so its fee and currency cannot change.", t.Name))
			case ok:
				nt.ID = t.ID
				kept[t.ID] = nt
				delete(byName, strings.ToLower(t.Name))
			}
		}
		if err := p.Err(); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE meetings SET name = ?, starts_on = ?, ends_on = ?, place = ?, online = ?, time_zone = ?,
			registration_opens = ?, registration_closes = ?, capacity = ?, publish_attendees = ? WHERE id = ?`,
			m.Name, m.StartsOn, m.EndsOn, m.Place, m.Online, m.TimeZone, m.Opens.UTC(), m.Closes.UTC(), m.Capacity, m.PublishAttendees, id); err != nil {
			return fmt.Errorf("updating a meeting: %w", err)
		}
		for _, t := range cur.Tickets {
			nt, ok := kept[t.ID]
			if !ok {
				if _, err := tx.Exec(ctx, "DELETE FROM meeting_tickets WHERE id = ?", t.ID); err != nil {
					return fmt.Errorf("removing a ticket type: %w", err)
				}
				continue
			}
			if _, err := tx.Exec(ctx, "UPDATE meeting_tickets SET name = ?, fee = ?, currency = ? WHERE id = ?", nt.Name, nt.Fee, nt.Currency, t.ID); err != nil {
				return fmt.Errorf("updating a ticket type: %w", err)
			}
		}
		// New ticket types, in the order typed.
		for _, t := range m.Tickets {
			if _, ok := byName[strings.ToLower(t.Name)]; !ok {
				continue
			}
			if _, err := tx.Exec(ctx, "INSERT INTO meeting_tickets (meeting_id, name, fee, currency) VALUES (?, ?, ?, ?)", id, t.Name, t.Fee, t.Currency); err != nil {
				return fmt.Errorf("adding a ticket type: %w", err)
			}
		}
		return log.Record(ctx, tx, audit.Entry{Actor: staff.ID, Label: staff.Name, Action: "meetings.update",
			Subject: fmt.Sprintf("meeting:%d", id), Detail: m.Name})
	})
}
