package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"plenary/internal/meetings"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestMeetingPagesSayWhenRegistrationOpens: a meeting's page, the list of
// meetings and the registration form say when registration opens, or
// when it closed, and every meeting date reads as other dates do, "13
// January 2027"; creating a meeting takes staff to its own page with a
// message.
func TestMeetingPagesSayWhenRegistrationOpens(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ms := newMeetingSite(t, db)
		today := time.Now().UTC().Truncate(24 * time.Hour)
		iso := func(d int) string { return today.AddDate(0, 0, d).Format("2006-01-02") }
		words := func(d int) string { return today.AddDate(0, 0, d).Format("2 January 2006") }
		add := func(name string, opens, closes int) string {
			id, err := meetings.Insert(ctx, db, meetings.Meeting{Name: name, StartsOn: iso(30), EndsOn: iso(33), Place: "Lisbon", TimeZone: "UTC",
				Opens: today.AddDate(0, 0, opens), Closes: today.AddDate(0, 0, closes), Capacity: 10,
				Tickets: []meetings.Ticket{{Name: "Full", Fee: 100, Currency: "EUR"}}}, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			return "/meetings/" + itoa(id)
		}
		soon := add("Soon plenary", 10, 20)  // opens in 10 days; its last day is in 19
		shut := add("Shut plenary", -20, -5) // closed at the end of 6 days ago
		open := add("Open plenary", -1, 20)

		page := ms.send(t, "GET", ms.url+soon, nil, nil).Body
		for _, want := range []string{"Registration opens on " + words(10), "closes at the end of " + words(19), words(30) + " to " + words(33)} {
			if !strings.Contains(page, want) {
				t.Errorf("the page of a meeting whose registration is to open lacks %q:\n%s", want, page)
			}
		}
		if strings.Contains(page, iso(30)) || strings.Contains(page, "Registration is not open") {
			t.Errorf("the meeting's page writes a date as %s, or does not say when registration opens:\n%s", iso(30), page)
		}
		if page := ms.send(t, "GET", ms.url+shut, nil, nil).Body; !strings.Contains(page, "Registration closed at the end of "+words(-6)) {
			t.Errorf("the page of a meeting whose registration closed:\n%s", page)
		}
		if page := ms.send(t, "GET", ms.url+open, nil, nil).Body; !strings.Contains(page, "Registration is open until "+words(19)) {
			t.Errorf("the page of a meeting open for registration:\n%s", page)
		}
		if res := ms.send(t, "GET", ms.url+soon+"/register", nil, nil); res.Status != http.StatusConflict || !strings.Contains(res.Body, "it opens on "+words(10)) {
			t.Errorf("the form of a meeting whose registration is to open: %d\n%s", res.Status, res.Body)
		}
		list := ms.send(t, "GET", ms.url+"/meetings", nil, nil).Body
		if !strings.Contains(list, "registration opens on "+words(10)) || !strings.Contains(list, "registration open until "+words(19)) || strings.Contains(list, iso(30)) {
			t.Errorf("the list of meetings:\n%s", list)
		}

		// Creating a meeting: to its staff page, with a message.
		res := ms.send(t, "POST", ms.url+"/admin/meetings", url.Values{"name": {"New plenary"}, "starts_on": {iso(60)}, "ends_on": {iso(62)},
			"place": {"Oslo"}, "time_zone": {"Europe/Oslo"}, "opens": {iso(1)}, "closes": {iso(50)}, "capacity": {"10"}, "tickets": {"Full | 100 | EUR"}}, role("secretariat"))
		loc := res.Header.Get("Location")
		if res.Status != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/meetings/") {
			t.Fatalf("creating a meeting: %d to %q", res.Status, loc)
		}
		if page := ms.send(t, "GET", ms.url+loc, nil, role("secretariat")).Body; !strings.Contains(page, "The meeting is created") || !strings.Contains(page, "New plenary") {
			t.Errorf("the new meeting's staff page:\n%s", page)
		}
	})
}

// TestAccountRegistrationsReadWell: on /account, the registrations are a
// section labelled by their own heading, the inquiries another; a free
// registration's line has no separator standing alone, and a paid one's
// actions are a list.
func TestAccountRegistrationsReadWell(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		rs := newRegistrantSite(t, db)
		meeting, full, free := addMeeting(t, db, "Faro plenary")
		rs.signUp(t, "Fran Free", "fran@example.org")
		fran := rs.signIn(t, "fran@example.org")
		rs.register(t, fran, meeting, registration("Fran Free", "fran@example.org", free, false))
		page := fran.get("/account").Body
		section := func(id string) string {
			_, rest, ok := strings.Cut(page, `<section aria-labelledby="`+id+`">`)
			body, _, _ := strings.Cut(rest, "</section>")
			if !ok || !strings.Contains(body, `<h2 id="`+id+`">`) {
				t.Errorf("no section labelled by its heading %q:\n%s", id, page)
			}
			return body
		}
		regs := section("registrations")
		section("inquiries")
		if !strings.Contains(regs, "Faro plenary") || strings.Contains(regs, "·") || !strings.Contains(regs, `<li><form method="post" action="/registrations/`) {
			t.Errorf("the free registration's line:\n%s", regs)
		}
		paidPath := rs.register(t, fran, meeting, registration("Fran Free", "fran@example.org", full, false))
		rs.pay(t, paidPath)
		regs = func() string { page = fran.get("/account").Body; return section("registrations") }()
		if !strings.Contains(regs, `<li><a href="`+paidPath+`/receipt">Receipt</a></li>`) || strings.Contains(regs, "·") {
			t.Errorf("the paid registration's actions:\n%s", regs)
		}
	})
}
