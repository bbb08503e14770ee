package meetings_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"plenary/internal/audit"
	"plenary/internal/inventory"
	"plenary/internal/meetings"
	"plenary/internal/policy"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

var now = time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)

func openMeeting(t *testing.T, db *store.DB, log *audit.Log, capacity string) meetings.Meeting {
	t.Helper()
	m, err := meetings.Form{Name: "IETF 200", StartsOn: "2027-04-01", EndsOn: "2027-04-05", Place: "Madrid", TimeZone: "Europe/Madrid",
		Opens: "2027-02-01", Closes: "2027-03-25", Capacity: capacity, Tickets: "Full | 350.00 | usd\nStudent | 0 | USD"}.Clean()
	if err != nil {
		t.Fatal(err)
	}
	id, err := meetings.Create(context.Background(), db, log, meetings.Staff{ID: 1, Name: "Sec"}, m, now)
	if err != nil {
		t.Fatal(err)
	}
	got, err := meetings.Get(context.Background(), db, id)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func version(t *testing.T, db *store.DB) int64 {
	t.Helper()
	svc := &policy.Service{DB: db, Inventory: inventory.Default(), Facts: policy.Facts{Org: "Org", Contact: "p@example.org", RetentionDays: func(string, int) int { return 1 }}}
	v, err := svc.Publish(context.Background(), policy.BuiltinTemplate(), "first", "test", true, now)
	if err != nil {
		t.Fatal(err)
	}
	return v.ID
}

// TestCapacityHoldsUnderConcurrency races 50 registrations for the last
// 10 places on both engines: exactly 10 succeed, the rest are told the
// meeting is full, and 10 rows exist.
func TestCapacityHoldsUnderConcurrency(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		log := &audit.Log{DB: db, Key: []byte("meetings test audit key, 32 byte")}
		m := openMeeting(t, db, log, "10")
		v := version(t, db)
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok, full := 0, 0
		for i := range 50 {
			wg.Go(func() {
				f := meetings.RegForm{Name: "Racer", Email: "racer@example.net", AgeOK: true, Consent: true, Ticket: "x"}
				_, err := meetings.Register(context.Background(), db, log, meetings.SignUp{Form: f, Ticket: m.Tickets[i%2], MeetingID: m.ID,
					VersionID: v, Transfer: "Processed here."}, now)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case errors.Is(err, meetings.ErrFull):
					full++
				default:
					t.Errorf("registration %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		var rows int
		if err := db.QueryRow(context.Background(), "SELECT COUNT(*) FROM registrations").Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if ok != 10 || full != 40 || rows != 10 {
			t.Errorf("%d registered, %d refused as full, %d rows; want 10, 40, 10", ok, full, rows)
		}
	})
}

// TestMeetingFormCollectsEveryProblem: the secretariat's form reports all
// its problems at once, and a good one becomes a meeting whose
// registration window is in the meeting's own time zone.
func TestMeetingFormCollectsEveryProblem(t *testing.T) {
	for _, tc := range []struct {
		name   string
		form   meetings.Form
		fields []string
	}{
		{"empty", meetings.Form{}, []string{"name", "place", "time_zone", "starts_on", "ends_on", "opens", "closes", "capacity", "tickets"}},
		{"bad ticket and reversed dates", meetings.Form{Name: "M", Online: true, TimeZone: "UTC", StartsOn: "2027-04-05", EndsOn: "2027-04-01",
			Opens: "2027-03-01", Closes: "2027-03-02", Capacity: "5", Tickets: "Full | 3.505 | USD"}, []string{"ends_on", "tickets"}},
		{"unknown zone and currency", meetings.Form{Name: "M", Place: "X", TimeZone: "Mars/Olympus", StartsOn: "2027-04-01", EndsOn: "2027-04-01",
			Opens: "2027-03-01", Closes: "2027-03-02", Capacity: "5", Tickets: "Full | 3 | dollars"}, []string{"time_zone", "tickets"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.form.Clean()
			var got []string
			if err != nil {
				for _, f := range tc.fields {
					if !containsField(err, f) {
						got = append(got, f)
					}
				}
			} else {
				got = tc.fields
			}
			if len(got) > 0 {
				t.Errorf("no problem reported for %v (%v)", got, err)
			}
		})
	}
	m, err := meetings.Form{Name: "M", Place: "Madrid", TimeZone: "Europe/Madrid", StartsOn: "2027-04-01", EndsOn: "2027-04-05",
		Opens: "2027-03-01", Closes: "2027-03-10", Capacity: "5", Tickets: "Full | 350.5 | eur"}.Clean()
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2027, 2, 28, 23, 0, 0, 0, time.UTC); !m.Opens.Equal(want) {
		t.Errorf("opens %v, want %v", m.Opens, want)
	}
	if m.Tickets[0].Fee != 35050 || m.Tickets[0].Currency != "EUR" || m.Tickets[0].Price() != "EUR 350.50" {
		t.Errorf("ticket %+v", m.Tickets[0])
	}
}

func containsField(err error, field string) bool {
	type fielded interface{ For(string) string }
	var f fielded
	if errors.As(err, &f) {
		return f.For(field) != ""
	}
	return false
}

// TestUnder13IsRefusedBeforeAnythingElse (CH1): without the age box the
// form is refused as a whole and nothing typed comes back.
func TestUnder13IsRefusedBeforeAnythingElse(t *testing.T) {
	f, _, err := meetings.RegForm{Name: "Kid", Email: "kid@example.net", Consent: true}.Clean(meetings.Meeting{})
	if !errors.Is(err, meetings.ErrTooYoung) || f.Name != "" || f.Email != "" {
		t.Errorf("got %+v, %v; want ErrTooYoung and an empty form", f, err)
	}
}

// TestSignedInRegistrationShowsOnTheAccount: a registration made signed
// in is listed for its person, with its payment, and its consent entry is
// the person's; one made without an account names the registration.
func TestSignedInRegistrationShowsOnTheAccount(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		log := &audit.Log{DB: db, Key: []byte("meetings test audit key, 32 byte")}
		m := openMeeting(t, db, log, "5")
		v := version(t, db)
		f := meetings.RegForm{Name: "Signed In", Email: "si@example.net", AgeOK: true, Consent: true}
		for _, person := range []int64{77, 0} {
			if _, err := meetings.Register(ctx, db, log, meetings.SignUp{Form: f, Ticket: m.Tickets[0], MeetingID: m.ID, PersonID: person, VersionID: v, Transfer: "Here."}, now); err != nil {
				t.Fatal(err)
			}
		}
		regs, err := meetings.OfPerson(ctx, db, 77)
		if err != nil {
			t.Fatal(err)
		}
		if len(regs) != 1 || regs[0].MeetingName != "IETF 200" || regs[0].Status != meetings.Unpaid || regs[0].Ticket.Price() != "USD 350.00" {
			t.Errorf("person 77's registrations: %+v", regs)
		}
		var mine, anonymous int
		if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM consent_ledger WHERE person_id = 77 AND registration_id IS NULL").Scan(&mine); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM consent_ledger WHERE person_id = 0 AND registration_id IS NOT NULL").Scan(&anonymous); err != nil {
			t.Fatal(err)
		}
		if mine != 1 || anonymous != 1 {
			t.Errorf("consent entries: %d for the person, %d for the anonymous registration; want 1 and 1", mine, anonymous)
		}
	})
}

// TestTicketFeesHaveTheirCurrencysDecimals: a ticket's fee is read with
// its currency's decimals (JPY has none, BHD three) and shown, and written
// back into the edit form, the same way; a fee with more decimals than its
// currency has, and a made-up currency, are refused, the latter naming
// the accepted codes.
func TestTicketFeesHaveTheirCurrencysDecimals(t *testing.T) {
	form := meetings.Form{Name: "M", Place: "Tokyo", TimeZone: "Asia/Tokyo", StartsOn: "2027-04-01", EndsOn: "2027-04-05",
		Opens: "2027-03-01", Closes: "2027-03-10", Capacity: "5", Tickets: "Full | 20000 | JPY\nGold | 12.5 | bhd\nStudent | 45 | EUR"}
	m, err := form.Clean()
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []struct {
		fee   int64
		price string
	}{{20000, "JPY 20000"}, {12500, "BHD 12.500"}, {4500, "EUR 45.00"}} {
		if got := m.Tickets[i]; got.Fee != want.fee || got.Price() != want.price {
			t.Errorf("ticket %d: fee %d shown %q, want %d shown %q", i, got.Fee, got.Price(), want.fee, want.price)
		}
	}
	if got := meetings.FormOf(m).Tickets; got != "Full | 20000 | JPY\nGold | 12.500 | BHD\nStudent | 45.00 | EUR" {
		t.Errorf("the edit form's tickets: %q", got)
	}
	for _, tc := range []struct{ tickets, says string }{
		{"Full | 20000.50 | JPY", "no smaller unit"},
		{"Full | 1.2345 | KWD", "at most 3 decimals"},
		{"Full | 100 | XYZ", "use one of"},
	} {
		f := form
		f.Tickets = tc.tickets
		_, err := f.Clean()
		var p interface{ For(string) string }
		if !errors.As(err, &p) || !strings.Contains(p.For("tickets"), tc.says) {
			t.Errorf("tickets %q: %v, want a problem saying %q", tc.tickets, err, tc.says)
		}
		if tc.says == "use one of" && (!strings.Contains(p.For("tickets"), "XYZ") || !strings.Contains(p.For("tickets"), "JPY")) {
			t.Errorf("the refusal of XYZ names neither it nor the accepted codes: %s", p.For("tickets"))
		}
	}
}
