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

// TestDisclosureRegister is U4 on both engines: a privacy officer records
// a disclosure required by law; bad input is refused field by field with
// nothing stored; the register lists the entry; recording and listing are
// audited; the person's copy of their data shows a disclosure they were
// told of and not one they may not be told of yet; the privacy page says
// such a register is kept.
func TestDisclosureRegister(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := newAccountSite(t, siteOptions{DB: db})
		id := a.signUp(t, "Rosalind Franklin", "ros@example.org")
		a.makeStaff(t, "Pat Privacy", "pat@org.example", auth.Privacy)
		staff := a.signIn(t, "pat@org.example")
		if res := staff.get("/account/acknowledge"); res.Status == 200 {
			v, _ := a.Policy.Current(ctx)
			staff.post("/account/acknowledge", url.Values{"version": {itoa(v.ID)}})
		}
		if home := staff.get("/"); !strings.Contains(home.Body, `href="/admin/disclosures"`) {
			t.Error("the privacy officer's navigation does not lead to the register")
		}
		page := staff.get("/admin/disclosures")
		if page.Status != 200 || !strings.Contains(page.Body, "No disclosure has been recorded.") {
			t.Fatalf("register: %d %.500s", page.Status, page.Body)
		}
		bad := staff.post("/admin/disclosures", url.Values{"who": {"nobody@example.org"}, "disclosed_on": {"someday"}})
		for _, want := range []string{"Say who required the disclosure", "Say under which law", "Say what was disclosed", "Give the date as YYYY-MM-DD", "Give the date the person was told, or say why"} {
			if bad.Status != http.StatusBadRequest || !strings.Contains(bad.Body, want) {
				t.Errorf("bad entry (%d) lacks %q", bad.Status, want)
			}
		}
		noone := staff.post("/admin/disclosures", url.Values{"who": {"nobody@example.org"}, "requester": {"Police"}, "legal_basis": {"Code 12"},
			"disclosed": {"x"}, "disclosed_on": {"2026-01-02"}, "untold": {"order"}})
		if noone.Status != http.StatusBadRequest || !strings.Contains(noone.Body, "No participant has that account number") {
			t.Errorf("an entry about an unknown address: %d", noone.Status)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM disclosures"); n != 0 {
			t.Fatalf("refused entries stored %d rows", n)
		}
		for _, v := range []url.Values{
			{"who": {"ROS@example.org"}, "requester": {"District Court, case 17/2026"}, "legal_basis": {"Evidence Act s. 5"},
				"disclosed": {"Name and address"}, "disclosed_on": {"2026-02-03"}, "told_on": {"2026-02-10"}},
			{"who": {itoa(id)}, "requester": {"Tax Office ref 99"}, "legal_basis": {"Tax Code s. 8"},
				"disclosed": {"Registrations"}, "disclosed_on": {"2026-03-04"}, "untold": {"the order forbids telling until 2027"}},
		} {
			if res := staff.post("/admin/disclosures", v); res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/admin/disclosures?done=recorded" {
				t.Fatalf("record: %d %.500s", res.Status, res.Body)
			}
		}
		page = staff.get("/admin/disclosures?done=recorded")
		for _, want := range []string{"The disclosure is recorded.", "District Court, case 17/2026", "Evidence Act s. 5", "told 10 February 2026", "not told: the order forbids telling until 2027", "account " + itoa(id)} {
			if !strings.Contains(page.Body, want) {
				t.Errorf("register lacks %q", want)
			}
		}
		if n := count(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'dsr.disclosure.record' AND detail = ?", "about account "+itoa(id)); n != 2 {
			t.Errorf("%d recording audit entries, want 2", n)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'dsr.disclosure.list'"); n < 3 {
			t.Errorf("%d listing audit entries, want at least 3", n)
		}
		b := a.signIn(t, "ros@example.org")
		copyPage := b.get("/account/export")
		if !strings.Contains(copyPage.Body, "District Court, case 17/2026") || strings.Contains(copyPage.Body, "Tax Office ref 99") {
			t.Error("the copy must show the disclosure the person was told of and only that one")
		}
		// So must the account page.
		if own := b.get("/account"); !strings.Contains(own.Body, `<td data-label="To">District Court, case 17/2026</td>`) || strings.Contains(own.Body, "Tax Office ref 99") {
			t.Error("the account page must show the disclosure the person was told of and only that one")
		}
		// The register names the account's holder, not a bare number.
		if reg := staff.get("/admin/disclosures"); !strings.Contains(reg.Body, "Rosalind Franklin (account "+itoa(id)+")") {
			t.Error("the register does not name the person an entry is about")
		}
		// Once the order ends, the person is told, and the entry joins
		// their copy.
		m := regexp.MustCompile(`action="/admin/disclosures/(\d+)/told"`).FindStringSubmatch(staff.get("/admin/disclosures").Body)
		if m == nil {
			t.Fatal("no form to record that the person was told")
		}
		if res := staff.post("/admin/disclosures/"+m[1]+"/told", url.Values{"told_on": {"2026-03-01"}}); res.Status != http.StatusBadRequest || !strings.Contains(res.Body, "cannot have been told before the disclosure") {
			t.Errorf("told before the disclosure: %d", res.Status)
		}
		if res := staff.post("/admin/disclosures/"+m[1]+"/told", url.Values{"told_on": {"2026-04-01"}}); res.Status != http.StatusSeeOther {
			t.Fatalf("told: %d %.300s", res.Status, res.Body)
		}
		if res := staff.post("/admin/disclosures/"+m[1]+"/told", url.Values{"told_on": {"2026-04-01"}}); res.Status != http.StatusNotFound {
			t.Errorf("told twice: %d", res.Status)
		}
		if copyPage := b.get("/account/export"); !strings.Contains(copyPage.Body, "Tax Office ref 99") {
			t.Error("the entry the person was told of is not in their copy")
		}
		if own := b.get("/account"); !strings.Contains(own.Body, `<td data-label="To">Tax Office ref 99</td>`) {
			t.Error("the entry the person was told of is not on their account page")
		}
		if n := count(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'dsr.disclosure.told' AND subject = ?", "disclosure:"+m[1]); n != 1 {
			t.Errorf("%d audit entries for telling the person", n)
		}
		if m := regexp.MustCompile(`(?i)register[^.]*disclos|disclos[^.]*register|record who asked`).FindString(a.site.get(t, "/privacy").Body); m == "" {
			t.Error("the privacy page does not say a register of disclosures is kept")
		}
	})
}
