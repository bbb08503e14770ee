package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"plenary/internal/payments"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestFinanceFinishesARefundAskedFor: a refund asked for whose instance
// died after the processor made it (the payment left refund_requested
// with its key, the processor's checkout refunded under that key) is
// offered to finance as "Finish the refund"; pressing it asks again with
// the same key, which the test processor answers as the refund already
// made: the payment is recorded refunded and nothing more is refunded.
func TestFinanceFinishesARefundAskedFor(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ms := newMeetingSite(t, db)
		meeting := ms.createMeeting(t, "Plenary 123", "10")
		full, _ := ticketIDs(t, ms.send(t, "GET", ms.url+meeting+"/register", nil, nil).Body)
		regPath := ms.send(t, "POST", ms.url+meeting+"/register", registration("Fay Refund", "fay@example.net", full, false), nil).Header.Get("Location")
		ms.Server.Wait()
		ms.payWith(t, regPath, payments.CardSucceeds)
		var paymentID string
		if err := db.QueryRow(ctx, "SELECT CAST(id AS TEXT) FROM payments WHERE status = 'paid'").Scan(&paymentID); err != nil {
			t.Fatal(err)
		}
		// The crash: the intent recorded, the refund made, its record lost.
		const key = "plenary-refund-crashed"
		if _, err := db.Exec(ctx, "UPDATE payments SET status = ?, refund_key = ? WHERE CAST(id AS TEXT) = ?", payments.RefundRequested, key, paymentID); err != nil {
			t.Fatal(err)
		}
		if err := ms.proc.Refund(ctx, regCheckout(t, db, paymentID), key); err != nil {
			t.Fatal(err)
		}
		page := ms.send(t, "GET", ms.url+"/admin/payments", nil, role("finance"))
		if !strings.Contains(page.Body, "Finish the refund of USD 350.00") || !strings.Contains(page.Body, "refund asked of the processor, not confirmed") {
			t.Fatalf("finance's page does not offer to finish the refund:\n%s", page.Body)
		}
		if res := ms.send(t, "POST", ms.url+"/admin/payments/"+paymentID+"/refund", url.Values{"confirm": {"yes"}}, role("finance")); res.Status != http.StatusSeeOther {
			t.Fatalf("finishing the refund: %d\n%s", res.Status, res.Body)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM payments p JOIN registrations r ON r.id = p.registration_id WHERE p.status = 'refunded' AND r.status = 'cancelled'"); n != 1 {
			t.Errorf("%d refunded payments with a cancelled registration, want 1", n)
		}
		if n := ms.proc.Refunds(); n != 1 {
			t.Errorf("the processor made %d refunds, want 1", n)
		}
		if page := ms.send(t, "GET", ms.url+"/admin/payments", nil, role("finance")); strings.Contains(page.Body, "/refund?back=") {
			t.Errorf("finance's page still offers a refund:\n%s", page.Body)
		}
	})
}

// TestFinanceSeesARefusedRefund: a refund the processor refuses (here a
// payment the test processor has no checkout for, as the demo's seeded
// payments had) is answered with the processor's reason, not with the
// page that says nothing was changed; the payment stays paid and the
// request stays on /admin/refunds with the reason.
func TestFinanceSeesARefusedRefund(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ms := newMeetingSite(t, db)
		meeting := ms.createMeeting(t, "Plenary 124", "10")
		full, _ := ticketIDs(t, ms.send(t, "GET", ms.url+meeting+"/register", nil, nil).Body)
		regPath := ms.send(t, "POST", ms.url+meeting+"/register", registration("Rafa Refused", "rafa@example.net", full, false), nil).Header.Get("Location")
		ms.payWith(t, regPath, payments.CardSucceeds)
		if res := ms.send(t, "POST", ms.url+regPath+"/refund", url.Values{"reason": {"Visa refused."}}, nil); res.Status != http.StatusOK {
			t.Fatalf("asking for a refund: %d", res.Status)
		}
		if _, err := db.Exec(ctx, "UPDATE payments SET checkout_id = 'cs_test_gone' WHERE status = 'paid'"); err != nil {
			t.Fatal(err)
		}
		var paymentID string
		if err := db.QueryRow(ctx, "SELECT CAST(id AS TEXT) FROM payments WHERE status = 'paid'").Scan(&paymentID); err != nil {
			t.Fatal(err)
		}
		res := ms.send(t, "POST", ms.url+"/admin/payments/"+paymentID+"/refund", url.Values{"confirm": {"yes"}}, role("finance"))
		if res.Status != http.StatusConflict || !strings.Contains(res.Body, "refused the refund") || !strings.Contains(res.Body, "no checkout cs_test_gone") ||
			strings.Contains(res.Body, "nothing was changed") || !strings.Contains(res.Body, `href="/admin/refunds"`) {
			t.Errorf("a refused refund: %d\n%s", res.Status, res.Body)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM payments WHERE status = 'paid' AND refund_key = ''"); n != 1 {
			t.Errorf("%d paid payments without a refund key after the refusal, want 1", n)
		}
		list := ms.send(t, "GET", ms.url+"/admin/refunds", nil, role("finance"))
		for _, want := range []string{"Rafa Refused", "Visa refused.", "The processor refused", "no checkout cs_test_gone", "Not asked again automatically"} {
			if !strings.Contains(list.Body, want) {
				t.Errorf("/admin/refunds after the refusal lacks %q:\n%s", want, list.Body)
			}
		}
	})
}
