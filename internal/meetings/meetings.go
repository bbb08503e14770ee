// Package meetings keeps meetings, their ticket types and the
// registrations for them, with the payments that pay for registrations.
// Registration works with or without an account; it records its consent
// entry (C5, C6) and audit entry in its own transaction, and enforces the
// meeting's capacity there, so concurrent registrations never oversell.
// The package knows nothing of HTTP.
package meetings

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"plenary/internal/audit"
	"plenary/internal/payments"
	"plenary/internal/people"
	"plenary/internal/store"
	"plenary/internal/validate"
)

// DateLayout is how meeting dates are written.
const DateLayout = "2006-01-02"

// Errors with messages fit for the person.
var (
	ErrNotFound = errors.New("There is no such meeting or registration.")
	ErrFull     = errors.New("This meeting is full: every ticket has been taken.")
	ErrClosed   = errors.New("Registration for this meeting is not open.")
	ErrNoAudit  = errors.New("The audit log is not available, so this cannot be done now.")
	ErrPaid     = errors.New("This registration is already paid.")
	ErrNoFee    = errors.New("This registration has nothing to pay.")
)

// Ticket is a ticket type of a meeting.
type Ticket struct {
	ID       int64
	Name     string
	Fee      int64 // minor unit
	Currency string
}

// Price is the fee in words, "USD 350.00" or "free".
func (t Ticket) Price() string { return Money(t.Fee, t.Currency) }

// Money writes an amount in minor units of currency with the currency
// and its own decimals (ISO 4217): "EUR 450.00", "JPY 20000", "BHD
// 12.500".
func Money(amount int64, currency string) string {
	if amount == 0 {
		return "free"
	}
	return currency + " " + payments.FormatAmount(amount, currency)
}

// Meeting is one meeting.
type Meeting struct {
	ID               int64
	Name             string
	StartsOn, EndsOn string // calendar days in TimeZone
	Place            string
	Online           bool
	TimeZone         string
	Opens, Closes    time.Time
	Capacity         int
	PublishAttendees bool
	Tickets          []Ticket
	Taken            int // registrations neither cancelled nor expired
}

// Left is how many places remain.
func (m Meeting) Left() int { return max(m.Capacity-m.Taken, 0) }

// Where says where the meeting takes place.
func (m Meeting) Where() string {
	switch {
	case m.Online && m.Place != "":
		return m.Place + " and online"
	case m.Online:
		return "online"
	}
	return m.Place
}

// location is the meeting's time zone (UTC if it cannot be loaded).
func (m Meeting) location() *time.Location {
	loc, err := time.LoadLocation(m.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// day writes a calendar day kept as DateLayout as people read it,
// "13 January 2027"; one that does not parse is written as it is.
func day(d string) string {
	t, err := time.Parse(DateLayout, d)
	if err != nil {
		return d
	}
	return t.Format(DayLayout)
}

// FirstDay and LastDay are the meeting's first and last days, as people
// read them ("13 January 2027").
func (m Meeting) FirstDay() string { return day(m.StartsOn) }
func (m Meeting) LastDay() string  { return day(m.EndsOn) }

// RegistrationOpensOn is the first day of registration, and
// RegistrationClosesOn its last, in the meeting's time zone, as people
// read them: registration opens at the start of the one and closes at
// the end of the other (Form.Clean).
func (m Meeting) RegistrationOpensOn() string { return m.Opens.In(m.location()).Format(DayLayout) }
func (m Meeting) RegistrationClosesOn() string {
	return m.Closes.In(m.location()).AddDate(0, 0, -1).Format(DayLayout)
}

// NotYetOpenAt reports whether registration is still to open at t.
func (m Meeting) NotYetOpenAt(t time.Time) bool { return t.Before(m.Opens) }

// OpenAt reports whether registration is open at t.
func (m Meeting) OpenAt(t time.Time) bool { return !t.Before(m.Opens) && t.Before(m.Closes) }

// Ticket returns the meeting's ticket with id.
func (m Meeting) Ticket(id int64) (Ticket, bool) {
	for _, t := range m.Tickets {
		if t.ID == id {
			return t, true
		}
	}
	return Ticket{}, false
}

// Form is what the secretariat types for a new meeting. Tickets has one
// ticket type a line: "name | fee | currency", the fee in the currency's
// units with at most its decimals: 350.00 in USD, 20000 in JPY.
type Form struct {
	Name, StartsOn, EndsOn, Place, TimeZone, Opens, Closes, Capacity, Tickets string
	Online, PublishAttendees                                                  bool
}

// Clean checks every field of f and returns the meeting it describes, or
// every problem at once.
func (f Form) Clean() (Meeting, error) {
	var p validate.Errors
	m := Meeting{Online: f.Online, PublishAttendees: f.PublishAttendees}
	var err error
	m.Name, err = people.CleanText("name", "The meeting's name", f.Name, 200, true, false)
	p.Check("name", err)
	m.Place, err = people.CleanText("place", "The place", f.Place, 300, false, false)
	p.Check("place", err)
	if m.Place == "" && !m.Online {
		p.Add("place", "Please give the place, or tick that the meeting is online.")
	}
	loc, err := time.LoadLocation(strings.TrimSpace(f.TimeZone))
	if err != nil || strings.TrimSpace(f.TimeZone) == "" {
		p.Add("time_zone", "Please give the meeting's time zone as in the tz database, such as Europe/Madrid or UTC.")
		loc = time.UTC
	}
	m.TimeZone = loc.String()
	day := func(field, label, v string) time.Time {
		d, err := time.ParseInLocation(DateLayout, strings.TrimSpace(v), loc)
		if err != nil {
			p.Add(field, label+" must be a date such as 2027-03-14.")
		}
		return d
	}
	start, end := day("starts_on", "The first day", f.StartsOn), day("ends_on", "The last day", f.EndsOn)
	if end.Before(start) {
		p.Add("ends_on", "The last day cannot be before the first.")
	}
	m.StartsOn, m.EndsOn = start.Format(DateLayout), end.Format(DateLayout)
	// Registration opens at the start of its first day and closes at the
	// end of its last, in the meeting's time zone.
	m.Opens = day("opens", "The day registration opens", f.Opens).UTC()
	m.Closes = day("closes", "The day registration closes", f.Closes).AddDate(0, 0, 1).UTC()
	if !m.Closes.After(m.Opens) {
		p.Add("closes", "Registration must close after it opens.")
	}
	if m.Capacity, err = strconv.Atoi(strings.TrimSpace(f.Capacity)); err != nil || m.Capacity < 1 || m.Capacity > 1000000 {
		p.Add("capacity", "The capacity must be a number of people, at least 1.")
	}
	for i, line := range strings.Split(strings.TrimSpace(f.Tickets), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		t, err := parseTicket(line)
		if err != nil {
			p.Add("tickets", fmt.Sprintf("Ticket line %d: %v", i+1, err))
			continue
		}
		m.Tickets = append(m.Tickets, t)
	}
	if len(m.Tickets) == 0 && !p.Has("tickets") {
		p.Add("tickets", "Please give at least one ticket type.")
	}
	return m, p.Err()
}

func parseTicket(line string) (Ticket, error) {
	parts := strings.Split(line, "|")
	if len(parts) != 3 {
		return Ticket{}, errors.New("write it as name | fee | currency, such as Full | 350.00 | USD")
	}
	name, err := people.CleanText("tickets", "The ticket's name", parts[0], 100, true, false)
	if err != nil {
		return Ticket{}, err
	}
	cur, err := payments.CleanCurrency(parts[2])
	if err != nil {
		return Ticket{}, err
	}
	fee, err := payments.ParseAmount(parts[1], cur)
	if err != nil {
		return Ticket{}, fmt.Errorf("the fee: %w", err)
	}
	return Ticket{Name: name, Fee: fee, Currency: cur}, nil
}

// Staff is who manages meetings.
type Staff struct {
	ID   int64
	Name string
}

// Create adds a meeting with its tickets and its audit entry.
func Create(ctx context.Context, db *store.DB, log *audit.Log, staff Staff, m Meeting, now time.Time) (int64, error) {
	if log == nil {
		return 0, ErrNoAudit
	}
	var id int64
	err := db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		if id, err = Insert(ctx, tx, m, now); err != nil {
			return err
		}
		return log.Record(ctx, tx, audit.Entry{Actor: staff.ID, Label: staff.Name, Action: "meetings.create",
			Subject: fmt.Sprintf("meeting:%d", id), Detail: m.Name})
	})
	return id, err
}

// Insert stores a meeting and its tickets on q without an audit entry:
// Create's part that the demo content uses too.
func Insert(ctx context.Context, q store.Querier, m Meeting, now time.Time) (int64, error) {
	id, err := store.Insert(ctx, q, `INSERT INTO meetings (name, starts_on, ends_on, place, online, time_zone, registration_opens, registration_closes, capacity, publish_attendees, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, m.Name, m.StartsOn, m.EndsOn, m.Place, m.Online, m.TimeZone, m.Opens.UTC(), m.Closes.UTC(), m.Capacity, m.PublishAttendees, now.UTC())
	if err != nil {
		return 0, fmt.Errorf("storing a meeting: %w", err)
	}
	for _, t := range m.Tickets {
		if _, err := q.Exec(ctx, "INSERT INTO meeting_tickets (meeting_id, name, fee, currency) VALUES (?, ?, ?, ?)", id, t.Name, t.Fee, t.Currency); err != nil {
			return 0, fmt.Errorf("storing a ticket type: %w", err)
		}
	}
	return id, nil
}

const meetingColumns = `m.id, m.name, m.starts_on, m.ends_on, m.place, m.online, m.time_zone, m.registration_opens, m.registration_closes, m.capacity, m.publish_attendees,
	(SELECT COUNT(*) FROM registrations r WHERE r.meeting_id = m.id AND r.status NOT IN ('cancelled', 'expired'))`

func scanMeeting(row interface{ Scan(...any) error }) (Meeting, error) {
	var m Meeting
	err := row.Scan(&m.ID, &m.Name, &m.StartsOn, &m.EndsOn, &m.Place, &m.Online, &m.TimeZone, &m.Opens, &m.Closes, &m.Capacity, &m.PublishAttendees, &m.Taken)
	if errors.Is(err, sql.ErrNoRows) {
		return m, ErrNotFound
	}
	if err != nil {
		return m, fmt.Errorf("reading a meeting: %w", err)
	}
	return m, nil
}

// Get returns a meeting with its tickets.
func Get(ctx context.Context, q store.Querier, id int64) (Meeting, error) {
	m, err := scanMeeting(q.QueryRow(ctx, "SELECT "+meetingColumns+" FROM meetings m WHERE m.id = ?", id))
	if err != nil {
		return m, err
	}
	rows, err := q.Query(ctx, "SELECT id, name, fee, currency FROM meeting_tickets WHERE meeting_id = ? ORDER BY id", id)
	if err != nil {
		return m, fmt.Errorf("reading ticket types: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t Ticket
		if err := rows.Scan(&t.ID, &t.Name, &t.Fee, &t.Currency); err != nil {
			return m, fmt.Errorf("reading ticket types: %w", err)
		}
		m.Tickets = append(m.Tickets, t)
	}
	return m, rows.Err()
}

// List returns the meetings that have not ended by now (soonest first)
// and those that have (latest first).
func List(ctx context.Context, q store.Querier, now time.Time) (upcoming, past []Meeting, err error) {
	today := now.UTC().Format(DateLayout)
	read := func(cond, order string) ([]Meeting, error) {
		rows, err := q.Query(ctx, "SELECT "+meetingColumns+" FROM meetings m WHERE "+cond+" ORDER BY "+order+" LIMIT 200", today)
		if err != nil {
			return nil, fmt.Errorf("listing meetings: %w", err)
		}
		defer rows.Close()
		var out []Meeting
		for rows.Next() {
			m, err := scanMeeting(rows)
			if err != nil {
				return nil, err
			}
			out = append(out, m)
		}
		return out, rows.Err()
	}
	if upcoming, err = read("m.ends_on >= ?", "m.starts_on, m.id"); err != nil {
		return nil, nil, err
	}
	past, err = read("m.ends_on < ?", "m.starts_on DESC, m.id DESC")
	return upcoming, past, err
}

// Next returns the next meeting that has not ended, or false.
// One row, by one query: the home page asks on every request.
func Next(ctx context.Context, q store.Querier, now time.Time) (Meeting, bool, error) {
	m, err := scanMeeting(q.QueryRow(ctx, "SELECT "+meetingColumns+" FROM meetings m WHERE m.ends_on >= ? ORDER BY m.starts_on, m.id LIMIT 1",
		now.UTC().Format(DateLayout)))
	if errors.Is(err, ErrNotFound) {
		return Meeting{}, false, nil
	}
	if err != nil {
		return Meeting{}, false, err
	}
	return m, true, nil
}

// Attendee is one line of a published attendee list.
type Attendee struct{ Name, Affiliation string }

// Attendees returns the public attendee list: only registrants who asked
// to be listed, and nothing when the meeting does not publish its list.
func Attendees(ctx context.Context, q store.Querier, m Meeting) ([]Attendee, error) {
	if !m.PublishAttendees {
		return nil, nil
	}
	rows, err := q.Query(ctx, `SELECT name, affiliation FROM registrations
		WHERE meeting_id = ? AND list_me AND status IN ('paid', 'confirmed') ORDER BY name, id`, m.ID)
	if err != nil {
		return nil, fmt.Errorf("listing attendees: %w", err)
	}
	defer rows.Close()
	var out []Attendee
	for rows.Next() {
		var a Attendee
		if err := rows.Scan(&a.Name, &a.Affiliation); err != nil {
			return nil, fmt.Errorf("listing attendees: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func newToken() (string, error) {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("making a registration's link: %w", err)
	}
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)), nil
}
