package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"plenary/internal/payments"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestFinanceConfirmsARefundAndComesBack: finance's lists lead to a page
// that asks to confirm a refund, which changes nothing; the refund is
// made only once confirmed, and finance are sent back to the list they
// came from, its filter kept, with a message naming the refund; an
// address outside the two lists is not followed. /admin/payments shows
// dates and statuses in words, filters by meeting and status, and pages.
func TestFinanceConfirmsARefundAndComesBack(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ms := newMeetingSite(t, db)
		meeting := ms.createMeeting(t, "Plenary 126", "100")
		mid := strings.TrimPrefix(meeting, "/meetings/")
		other := ms.createMeeting(t, "Plenary 127", "100")
		full, _ := ticketIDs(t, ms.send(t, "GET", ms.url+meeting+"/register", nil, nil).Body)
		otherFull, _ := ticketIDs(t, ms.send(t, "GET", ms.url+other+"/register", nil, nil).Body)
		pay := func(m, ticket, name, addr string) string {
			regPath := ms.send(t, "POST", ms.url+m+"/register", registration(name, addr, ticket, false), nil).Header.Get("Location")
			ms.payWith(t, regPath, payments.CardSucceeds)
			var id string
			if err := db.QueryRow(ctx, "SELECT CAST(p.id AS TEXT) FROM payments p JOIN registrations r ON r.id = p.registration_id WHERE r.email = ? AND p.status = 'paid'", addr).Scan(&id); err != nil {
				t.Fatal(err)
			}
			return id
		}
		rita := pay(meeting, full, "Rita Refund", "rita@example.net")
		otto := pay(meeting, full, "Otto Other", "otto@example.net")
		olga := pay(other, otherFull, "Olga Elsewhere", "olga@example.net")
		ritaPath := ms.send(t, "GET", ms.url+"/admin/refunds", nil, role("finance")) // nothing asked yet
		if strings.Contains(ritaPath.Body, "Rita Refund") {
			t.Fatal("a refund request before anyone asked")
		}
		var token string
		if err := db.QueryRow(ctx, "SELECT token FROM registrations WHERE email = 'rita@example.net'").Scan(&token); err != nil {
			t.Fatal(err)
		}
		if res := ms.send(t, "POST", ms.url+"/registrations/"+token+"/refund", url.Values{"reason": {"Cannot travel."}}, nil); res.Status != http.StatusOK {
			t.Fatalf("asking for a refund: %d", res.Status)
		}
		paid := func(id string) bool {
			return count(t, db, "SELECT COUNT(*) FROM payments WHERE CAST(id AS TEXT) = ? AND status = 'paid'", id) == 1
		}

		// From /admin/refunds: the confirmation page, which changes nothing.
		list := ms.send(t, "GET", ms.url+"/admin/refunds", nil, role("finance"))
		if !strings.Contains(list.Body, `href="/admin/payments/`+rita+`/refund?back=%2Fadmin%2Frefunds"`) || strings.Contains(list.Body, `method="post" action="/admin/payments/`) {
			t.Fatalf("/admin/refunds does not lead to the confirmation, or refunds in one click:\n%s", list.Body)
		}
		confirm := ms.send(t, "GET", ms.url+"/admin/payments/"+rita+"/refund?back=%2Fadmin%2Frefunds", nil, role("finance"))
		for _, want := range []string{"Refund USD 350.00 to Rita Refund?", "Cannot travel.", "Plenary 126", `name="confirm" value="yes"`,
			`name="back" value="/admin/refunds"`, `href="/admin/refunds">Back, refunding nothing`} {
			if !strings.Contains(confirm.Body, want) {
				t.Errorf("the confirmation page lacks %q:\n%s", want, confirm.Body)
			}
		}
		if confirm.Status != http.StatusOK || !paid(rita) || ms.proc.Refunds() != 0 {
			t.Fatalf("the confirmation page: %d; it must refund nothing (paid %v, refunds %d)", confirm.Status, paid(rita), ms.proc.Refunds())
		}
		// Unconfirmed, nothing is refunded; the answer points at the
		// confirmation page.
		res := ms.send(t, "POST", ms.url+"/admin/payments/"+rita+"/refund", url.Values{"back": {"/admin/refunds"}}, role("finance"))
		if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, `href="/admin/payments/`+rita+`/refund?back=%2Fadmin%2Frefunds"`) || !paid(rita) {
			t.Errorf("an unconfirmed refund: %d, paid %v; want a pointer to the confirmation page and nothing refunded\n%s", res.Status, paid(rita), res.Body)
		}
		res = ms.send(t, "POST", ms.url+"/admin/payments/"+rita+"/refund", url.Values{"confirm": {"yes"}, "back": {"/admin/refunds"}}, role("finance"))
		if want := "/admin/refunds?done=refunded&payment=" + rita; res.Status != http.StatusSeeOther || res.Header.Get("Location") != want {
			t.Fatalf("the confirmed refund: %d to %q, want %s", res.Status, res.Header.Get("Location"), want)
		}
		back := ms.send(t, "GET", ms.url+res.Header.Get("Location"), nil, role("finance"))
		if !strings.Contains(back.Body, "Refunded USD 350.00 to Rita Refund (payment "+rita+", Plenary 126)") || paid(rita) {
			t.Errorf("back on /admin/refunds after the refund:\n%s", back.Body)
		}

		// /admin/payments: dates, statuses in words, a filter kept on the
		// way back.
		here := "/admin/payments?meeting=" + mid + "&status=paid"
		page := ms.send(t, "GET", ms.url+here, nil, role("finance"))
		today := time.Now().UTC().Format("2006-01-02")
		if !strings.Contains(page.Body, "Otto Other") || strings.Contains(page.Body, "Olga Elsewhere") || strings.Contains(page.Body, "Rita Refund") ||
			!strings.Contains(page.Body, ">When<") || !strings.Contains(page.Body, "started "+today) || !strings.Contains(page.Body, today) || !strings.Contains(page.Body, `<option value="`+mid+`" selected>`) {
			t.Errorf("/admin/payments for one meeting's paid payments:\n%s", page.Body)
		}
		refunded := ms.send(t, "GET", ms.url+"/admin/payments?status=refunded", nil, role("finance"))
		if !strings.Contains(refunded.Body, "Rita Refund") || !strings.Contains(refunded.Body, `<td data-label="Status">refunded</td>`) || strings.Contains(refunded.Body, "Otto Other") {
			t.Errorf("/admin/payments of refunded payments:\n%s", refunded.Body)
		}
		if !strings.Contains(page.Body, `href="/admin/payments/`+otto+`/refund?back=%2fadmin%2fpayments%3fmeeting%3d`+mid+`%26status%3dpaid"`) {
			t.Errorf("/admin/payments does not lead to the confirmation with its own address:\n%s", page.Body)
		}
		res = ms.send(t, "POST", ms.url+"/admin/payments/"+otto+"/refund", url.Values{"confirm": {"yes"}, "back": {here}}, role("finance"))
		if want := "/admin/payments?done=refunded&meeting=" + mid + "&payment=" + otto + "&status=paid"; res.Header.Get("Location") != want {
			t.Errorf("back from a refund from /admin/payments: %q, want %q", res.Header.Get("Location"), want)
		}
		if page := ms.send(t, "GET", ms.url+res.Header.Get("Location"), nil, role("finance")); !strings.Contains(page.Body, "Refunded USD 350.00 to Otto Other") {
			t.Errorf("no message on /admin/payments after the refund:\n%s", page.Body)
		}
		// Anywhere else is not followed.
		res = ms.send(t, "POST", ms.url+"/admin/payments/"+olga+"/refund", url.Values{"confirm": {"yes"}, "back": {"https://elsewhere.example/admin/payments"}}, role("finance"))
		if !strings.HasPrefix(res.Header.Get("Location"), "/admin/refunds?") {
			t.Errorf("a refund asked to go back elsewhere went to %q", res.Header.Get("Location"))
		}

		// Paging: 50 a page, newest first, with links both ways.
		var reg int64
		if err := db.QueryRow(ctx, "SELECT id FROM registrations WHERE email = 'olga@example.net'").Scan(&reg); err != nil {
			t.Fatal(err)
		}
		at := time.Now().UTC()
		for i := range 55 {
			if _, err := db.Exec(ctx, `INSERT INTO payments (registration_id, processor, checkout_id, checkout_url, amount, currency, status, created_at, updated_at)
				VALUES (?, 'test processor', ?, '', 35000, 'USD', 'expired', ?, ?)`, reg, fmt.Sprintf("cs_page_%02d", i), at, at); err != nil {
				t.Fatal(err)
			}
		}
		first := ms.send(t, "GET", ms.url+"/admin/payments?status=expired", nil, role("finance"))
		if n := strings.Count(first.Body, `<td data-label="Status">closed unpaid</td>`); n != 50 || !strings.Contains(first.Body, `href="/admin/payments?page=2&amp;status=expired" rel="next"`) || strings.Contains(first.Body, `rel="prev"`) {
			t.Errorf("the first page of expired payments: %d rows, want 50 and a link to the next\n%s", n, first.Body)
		}
		second := ms.send(t, "GET", ms.url+"/admin/payments?status=expired&page=2", nil, role("finance"))
		if n := strings.Count(second.Body, `<td data-label="Status">closed unpaid</td>`); n != 5 || !strings.Contains(second.Body, `href="/admin/payments?status=expired" rel="prev"`) || strings.Contains(second.Body, `rel="next"`) {
			t.Errorf("the second page of expired payments: %d rows, want 5 and a link back\n%s", n, second.Body)
		}
	})
}
