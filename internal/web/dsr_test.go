package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"plenary/internal/auth"
	"plenary/internal/dsr"
	"plenary/internal/inventory"
	"plenary/internal/jobs"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestExportAndRemovalThroughTheSite walks R2 and R4 on both engines: the
// account page links the copy and offers removal; the copy (HTML and
// JSON) holds the account, addresses, consent entries and the inquiry sent
// from the confirmed address, says access logs are not linked (C2), and
// is audited; a removal request waits in the staff queue, is approved
// with a reason by a privacy officer, the decision is mailed to the
// requester, the requester's sessions end, and a scan of every store
// finds only kept records.
func TestExportAndRemovalThroughTheSite(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := newAccountSite(t, siteOptions{DB: db})
		id := a.signUp(t, "Rosalind Franklin", "ros@example.org")
		if res := postContact(t, a.site, goodInquiry("Rosalind Franklin", "ROS@example.org", "general", "About crystallography."), nil); res.Status != 200 {
			t.Fatalf("contact: %d", res.Status)
		}
		b := a.signIn(t, "ros@example.org")

		acct := b.get("/account")
		for _, want := range []string{`href="/account/export"`, `href="/account/export?format=json"`, `action="/account/removal"`, `name="note"`} {
			if !strings.Contains(acct.Body, want) {
				t.Errorf("/account lacks %q", want)
			}
		}
		page := b.get("/account/export")
		for _, want := range []string{"Rosalind Franklin", "ros@example.org", "About crystallography.", "What you agreed to", "not part of this copy"} {
			if page.Status != 200 || !strings.Contains(page.Body, want) {
				t.Errorf("/account/export (%d) lacks %q", page.Status, want)
			}
		}
		file := b.get("/account/export?format=json")
		if !strings.HasPrefix(file.Header.Get("Content-Disposition"), "attachment;") || !strings.HasPrefix(file.Header.Get("Content-Type"), "application/json") {
			t.Errorf("JSON export headers: %v", file.Header)
		}
		var e dsr.Export
		if err := json.Unmarshal([]byte(file.Body), &e); err != nil {
			t.Fatalf("JSON export: %v\n%.300s", err, file.Body)
		}
		rows := map[string]int{}
		for _, tb := range e.Tables {
			rows[tb.Table] = len(tb.Rows)
		}
		if rows["people"] != 1 || rows["consent_ledger"] != 2 || rows["inquiries"] != 1 || e.Person != id {
			t.Errorf("JSON export rows %v for person %d", rows, e.Person)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'dsr.export' AND subject = ?", "person:"+itoa(id)); n != 2 {
			t.Errorf("%d export audit entries, want 2", n)
		}

		if res := b.post("/account/removal", url.Values{"note": {"Changed my mind?"}}); res.Status != http.StatusBadRequest || !strings.Contains(res.Body, "Tick the box") {
			t.Errorf("a request without the confirmation: %d", res.Status)
		} else if !strings.Contains(res.Body, `autocomplete="off">Changed my mind?</textarea>`) {
			t.Error("the refused request's page lost the note typed in it")
		}
		if res := b.post("/account/removal", url.Values{"note": {"Please delete all of it."}, "confirm": {"remove"}}); res.Status != http.StatusSeeOther {
			t.Fatalf("removal request: %d %.300s", res.Status, res.Body)
		}
		if acct := b.get("/account"); !strings.Contains(acct.Body, "Your request for removal is with our staff") {
			t.Error("/account does not show the pending request")
		}

		a.makeStaff(t, "Pat Privacy", "pat@org.example", auth.Privacy)
		staff := a.signIn(t, "pat@org.example")
		if res := staff.get("/account/acknowledge"); res.Status == 200 {
			v, _ := a.Policy.Current(ctx)
			staff.post("/account/acknowledge", url.Values{"version": {itoa(v.ID)}})
		}
		if home := staff.get("/"); !strings.Contains(home.Body, `href="/admin/removals"`) {
			t.Error("the privacy officer's navigation does not lead to the removal queue")
		}
		queue := staff.get("/admin/removals")
		if queue.Status != 200 || !strings.Contains(queue.Body, "Rosalind Franklin &lt;ros@example.org&gt;") || !strings.Contains(queue.Body, "Please delete all of it.") {
			t.Fatalf("queue: %d %.2000s", queue.Status, queue.Body)
		}
		m := regexp.MustCompile(`action="/admin/removals/(\d+)"`).FindStringSubmatch(queue.Body)
		if m == nil {
			t.Fatal("the queue has no decision form")
		}
		if res := staff.post("/admin/removals/"+m[1], url.Values{"decision": {"approve"}}); res.Status != http.StatusBadRequest {
			t.Errorf("a decision without a reason: %d", res.Status)
		}
		res := staff.post("/admin/removals/"+m[1], url.Values{"decision": {"approve"}, "reason": {"nothing requires keeping it"}})
		if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/admin/removals?done=approved" {
			t.Fatalf("approve: %d %s %.300s", res.Status, res.Header.Get("Location"), res.Body)
		}
		runDecisionMail(t, a)
		msg, ok := a.outbox.Last("ros@example.org")
		if !ok || !strings.Contains(msg.Body, "Approved: removed") || !strings.Contains(msg.Body, "nothing requires keeping it") {
			t.Errorf("decision mail: %+v %v", msg, ok)
		}
		if res := b.get("/account"); res.Status != http.StatusSeeOther {
			t.Errorf("the removed person is still signed in: %d", res.Status)
		}
		if done := staff.get("/admin/removals?done=approved"); !strings.Contains(done.Body, "account "+itoa(id)+" (removed)") || strings.Contains(done.Body, "Please delete") {
			t.Errorf("the decided request shows more than its decision: %.2000s", done.Body)
		}

		s := &dsr.Scanner{DB: db, Inv: inventory.Default(), DataDir: a.Config.DataDir, LogDir: a.LogDir}
		a.logs.Close()
		hits, err := s.Scan(ctx, []string{"ros@example.org", "Rosalind Franklin"})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hits {
			if h.Kept == "" {
				t.Errorf("residue after removal: %s", h.Place())
			}
		}
	})
}

// TestAdminPurgesAChild: an admin's view of a record offers the purge of
// a child's data; without the confirmation nothing happens; with it the
// account and what is tied to it are gone and the page says so (CH2).
func TestAdminPurgesAChild(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := newAccountSite(t, siteOptions{DB: db})
		kid := a.signUp(t, "Kim Young", "kim@example.org")
		kb := a.signIn(t, "kim@example.org")
		a.makeStaff(t, "Ada Admin", "ada@org.example", auth.Admin)
		admin := a.signIn(t, "ada@org.example")
		if res := admin.get("/account/acknowledge"); res.Status == 200 {
			v, _ := a.Policy.Current(ctx)
			admin.post("/account/acknowledge", url.Values{"version": {itoa(v.ID)}})
		}
		page := admin.get("/admin/people/" + itoa(kid))
		if !strings.Contains(page.Body, `action="/admin/people/`+itoa(kid)+`/purge"`) {
			t.Fatalf("the admin's view has no purge form: %d", page.Status)
		}
		if res := admin.post("/admin/people/"+itoa(kid)+"/purge", url.Values{"reason": {"a parent wrote"}}); res.Status != http.StatusBadRequest {
			t.Errorf("a purge without the confirmation: %d", res.Status)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM people WHERE id = ?", kid); n != 1 {
			t.Fatal("an unconfirmed purge removed the person")
		}
		res := admin.post("/admin/people/"+itoa(kid)+"/purge", url.Values{"reason": {"a parent wrote"}, "confirm": {"child"}})
		if res.Status != 200 || !strings.Contains(res.Body, "The child&#39;s data is removed") {
			t.Fatalf("purge: %d %.500s", res.Status, res.Body)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM person_emails WHERE address_key = 'kim@example.org'"); n != 0 {
			t.Error("the child's address is still there")
		}
		if res := kb.get("/account"); res.Status != http.StatusSeeOther {
			t.Errorf("the child is still signed in: %d", res.Status)
		}
	})
}

// runDecisionMail runs the queued jobs that mail removal decisions.
func runDecisionMail(t *testing.T, a *accountSite) {
	t.Helper()
	r := &jobs.Runner{Queue: &jobs.Queue{DB: a.DB, Worker: "test"}, Handlers: map[string]jobs.Handler{
		dsr.MailKind: (&dsr.Mailer{DB: a.DB, Audit: a.Audit, Inv: a.Server.Inventory, Mail: a.outbox, Org: a.Config.OrgName}).Handle}}
	if _, err := r.RunDue(context.Background()); err != nil {
		t.Fatal(err)
	}
}
