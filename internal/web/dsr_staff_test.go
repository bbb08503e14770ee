package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"plenary/internal/auth"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestStaffEntersARequestByMail: a privacy officer enters the removal
// request of a person who wrote in (refused without how identity was
// checked), mails them a copy of their data, and decides the request kind
// by kind: postings kept, the rest removed (R2, R4). The staff home page
// counts the pending request.
func TestStaffEntersARequestByMail(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := newAccountSite(t, siteOptions{DB: db})
		a.signUp(t, "Rosalind Franklin", "ros@example.org")
		a.makeStaff(t, "Pat Privacy", "pat@org.example", auth.Privacy)
		staff := a.signIn(t, "pat@org.example")
		if res := staff.get("/account/acknowledge"); res.Status == 200 {
			v, _ := a.Policy.Current(ctx)
			staff.post("/account/acknowledge", url.Values{"version": {itoa(v.ID)}})
		}
		if res := staff.post("/admin/removals", url.Values{"who": {"ros@example.org"}}); res.Status != http.StatusBadRequest || !strings.Contains(res.Body, "Say how you checked") {
			t.Errorf("a request without the check: %d", res.Status)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM removal_requests"); n != 0 {
			t.Fatal("a refused request was stored")
		}
		if res := staff.post("/admin/exports", url.Values{"who": {"ros@example.org"}, "verified": {"she answered our mail from it"}}); res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/admin/removals?done=exported" {
			t.Fatalf("mailed copy: %d %.300s", res.Status, res.Body)
		}
		a.waitForMail()
		if m, ok := a.outbox.Last("ros@example.org"); !ok || m.Subject != "A copy of your data" || !strings.Contains(m.Body, "Rosalind Franklin") {
			t.Errorf("the copy was not mailed: %+v", m)
		}
		if res := staff.post("/admin/removals", url.Values{"who": {"ros@example.org"}, "verified": {"she answered our mail from it"}, "note": {"by letter"}}); res.Status != http.StatusSeeOther {
			t.Fatalf("enter: %d %.300s", res.Status, res.Body)
		}
		if home := staff.get("/"); !strings.Contains(home.Body, "1 removal request waits for a decision.") || !strings.Contains(home.Body, `href="/admin/disclosures"`) {
			t.Error("the staff home page has no panel with the pending request")
		}
		queue := staff.get("/admin/removals?done=entered")
		if !strings.Contains(queue.Body, "By mail, checked: she answered our mail from it") || !strings.Contains(queue.Body, "The request is entered") {
			t.Errorf("queue: %.1500s", queue.Body)
		}
		m := regexp.MustCompile(`action="/admin/removals/(\d+)"`).FindStringSubmatch(queue.Body)
		if m == nil {
			t.Fatal("no decision form")
		}
		form := url.Values{"decision": {"each"}, "reason": {"no record requires it"}, "reason-drafts": {"nothing to keep"}}
		for _, c := range []string{"account", "inquiries", "registrations", "drafts"} {
			form.Set("decision-"+c, "approve")
		}
		if res := staff.post("/admin/removals/"+m[1], form); res.Status != http.StatusBadRequest || !strings.Contains(res.Body, "Decide every kind of data") {
			t.Errorf("a decision leaving postings out: %d", res.Status)
		} else {
			// What was marked comes back marked, to finish rather than
			// redo.
			for _, want := range []string{`name="decision-account" value="approve" checked`, `name="decision-drafts" value="approve" checked`,
				`name="reason-drafts" maxlength="2000" autocomplete="off" value="nothing to keep"`, `value="no record requires it"`} {
				if !strings.Contains(res.Body, want) {
					t.Errorf("the refused decision's page lacks %s", want)
				}
			}
			if strings.Contains(res.Body, `name="decision-postings" value="approve" checked`) || strings.Contains(res.Body, `name="decision-postings" value="decline" checked`) {
				t.Error("the kind left undecided comes back decided")
			}
		}
		if n := count(t, db, "SELECT COUNT(*) FROM removal_requests WHERE status = 'pending'"); n != 1 {
			t.Errorf("%d pending requests after a refused decision, want it still pending", n)
		}
		form.Set("decision-postings", "decline")
		form.Set("reason-postings", "the archive is a public record")
		if res := staff.post("/admin/removals/"+m[1], form); res.Status != http.StatusSeeOther {
			t.Fatalf("decide: %d %.300s", res.Status, res.Body)
		}
		done := staff.get("/admin/removals?done=approved")
		if !strings.Contains(done.Body, "postings: kept (the archive is a public record)") || !strings.Contains(done.Body, "account: removed (no record requires it)") {
			t.Errorf("decided request: %.3000s", done.Body)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'dsr.export' AND detail LIKE '%verified: she answered%'"); n != 1 {
			t.Errorf("%d audit entries for the mailed copy", n)
		}
	})
}
