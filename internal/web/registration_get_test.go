package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"plenary/internal/payments"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// dumpTables reads every row of every table, as text, sorted, so two
// dumps are equal only if no row was added, removed or changed.
func dumpTables(t *testing.T, db *store.DB) map[string]string {
	t.Helper()
	ctx := context.Background()
	cols, err := db.Columns(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, c := range cols {
		if _, done := out[c.Table]; done {
			continue
		}
		rows, err := db.Query(ctx, "SELECT * FROM "+c.Table)
		if err != nil {
			t.Fatal(err)
		}
		all, err := store.Collect(rows, store.Values)
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, vals := range all {
			var b strings.Builder
			for _, v := range vals {
				if raw, ok := v.([]byte); ok {
					fmt.Fprintf(&b, "%x|", raw)
				} else {
					fmt.Fprintf(&b, "%v|", v)
				}
			}
			lines = append(lines, b.String())
		}
		sort.Strings(lines)
		out[c.Table] = strings.Join(lines, "\n")
	}
	return out
}

// TestRegistrationPageGETChangesNothing: a registrant pays and the
// processor's webhook is lost. Their page, fetched (GET) twice, says the
// processor has the payment and reloads itself, without a pay button, and
// changes no row of any table on either engine; its "check payment"
// button (a POST) records the payment, and the page then says paid.
func TestRegistrationPageGETChangesNothing(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ms := newMeetingSite(t, db)
		ms.proc.WebhookURL = "" // the webhook is lost
		meeting := ms.createMeeting(t, "Plenary 122", "10")
		form := ms.send(t, "GET", ms.url+meeting+"/register", nil, nil)
		full, _ := ticketIDs(t, form.Body)
		res := ms.send(t, "POST", ms.url+meeting+"/register", registration("Rita Reload", "rita@example.net", full, false), nil)
		regPath := res.Header.Get("Location")
		if res.Status != http.StatusSeeOther || !strings.HasPrefix(regPath, "/registrations/") {
			t.Fatalf("registering: %d %q\n%s", res.Status, regPath, res.Body)
		}
		ms.Server.Wait()
		ms.payWith(t, regPath, payments.CardSucceeds)

		before := dumpTables(t, db)
		for range 2 {
			page := ms.send(t, "GET", ms.url+regPath, nil, nil)
			if page.Status != http.StatusOK || !strings.Contains(page.Body, "reports your payment as received") || !strings.Contains(page.Body, "payment being confirmed") {
				t.Errorf("the page after a payment whose webhook was lost: %d\n%s", page.Status, page.Body)
			}
			if got := page.Header.Get("Refresh"); got != "10" {
				t.Errorf("Refresh header %q, want the page to reload itself every 10 seconds", got)
			}
			if !strings.Contains(page.Body, `<form method="post" action="`+regPath+`/check">`) || strings.Contains(page.Body, regPath+"/pay") {
				t.Errorf("the page should offer the check button and no pay button:\n%s", page.Body)
			}
		}
		after := dumpTables(t, db)
		for table, rows := range before {
			if after[table] != rows {
				t.Errorf("GET %s changed table %s:\nbefore:\n%s\nafter:\n%s", regPath, table, rows, after[table])
			}
		}
		if len(after) != len(before) {
			t.Errorf("%d tables after, %d before", len(after), len(before))
		}

		res = ms.send(t, "POST", ms.url+regPath+"/check", url.Values{}, nil)
		if res.Status != http.StatusSeeOther || res.Header.Get("Location") != regPath {
			t.Fatalf("check payment: %d %q\n%s", res.Status, res.Header.Get("Location"), res.Body)
		}
		page := ms.send(t, "GET", ms.url+regPath, nil, nil)
		if !strings.Contains(page.Body, "paid, you are registered") || page.Header.Get("Refresh") != "" || strings.Contains(page.Body, "/check") {
			t.Errorf("the page after checking: Refresh %q\n%s", page.Header.Get("Refresh"), page.Body)
		}
		for _, tc := range []struct {
			query string
			want  int
		}{
			{"SELECT COUNT(*) FROM payments WHERE status = 'paid' AND transaction_id <> '' AND last4 IS NOT NULL", 1},
			{"SELECT COUNT(*) FROM registrations WHERE status = 'paid'", 1},
			{"SELECT COUNT(*) FROM audit_log WHERE action = 'payments.paid'", 1},
		} {
			if n := count(t, db, tc.query); n != tc.want {
				t.Errorf("%s = %d, want %d", tc.query, n, tc.want)
			}
		}
		// Checking again changes nothing more.
		if res := ms.send(t, "POST", ms.url+regPath+"/check", url.Values{}, nil); res.Status != http.StatusSeeOther {
			t.Errorf("checking a paid registration: %d", res.Status)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'payments.paid'"); n != 1 {
			t.Errorf("%d payments.paid entries after checking twice, want 1", n)
		}
	})
}
