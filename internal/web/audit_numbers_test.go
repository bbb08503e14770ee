package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"plenary/internal/auth"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestAuditNamesParticipantsByNumberOnly walks a participant through every
// use case of their own (sign-up, announcements, list subscription and
// posting, draft and IPR submission, meeting registration, export and
// removal request) and then reads every audit entry: the statement says
// the log refers to them by number only (rights.go), so none may hold
// their name or any of their addresses, in any column. Staff stay named.
func TestAuditNamesParticipantsByNumberOnly(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		rs := newRegistrantSite(t, db)
		rs.makeStaff(t, "Sam Secretariat", "sam@example.org", auth.Secretariat)
		staff := rs.signIn(t, "sam@example.org")
		if res := staff.post("/admin/lists", url.Values{"name": {"wg-audit"}, "description": {"Audit work"}, "posting": {"subscribers"}, "archive": {"public"}}); res.Status != http.StatusSeeOther {
			t.Fatalf("creating a list: %d %.300s", res.Status, res.Body)
		}

		id := rs.signUp(t, "Quentin Quokkaname", "quentin.q@example.net")
		q := rs.signIn(t, "quentin.q@example.net")

		if res := q.post("/account/mailings", url.Values{"action": {"subscribe"}, "optin": {"yes"}}); res.Status != http.StatusSeeOther {
			t.Fatalf("asking for announcements: %d %.300s", res.Status, res.Body)
		}
		if res := q.post("/account/mailings", url.Values{"action": {"stop"}}); res.Status != http.StatusSeeOther {
			t.Fatalf("stopping announcements: %d %.300s", res.Status, res.Body)
		}
		if res := q.post("/lists/wg-audit/subscribe", url.Values{"email": {"quentin.q@example.net"}}); res.Status != 200 {
			t.Fatalf("subscribing: %d %.300s", res.Status, res.Body)
		}
		if res := q.post(rs.mailedListLink(t, "quentin.q@example.net"), nil); res.Status != 200 {
			t.Fatalf("confirming the subscription: %d %.300s", res.Status, res.Body)
		}
		if res := q.post("/lists/wg-audit/post", url.Values{"subject": {"Hello"}, "body": {"First words."}, "accept_terms": {"1"}}); res.Status != http.StatusSeeOther {
			t.Fatalf("posting: %d %.300s", res.Status, res.Body)
		}
		body, ct := upload(t, nil, ownDraft("draft-example-small-notes", "00", "It covers one topic."), "1")
		if res := q.do("POST", "/drafts/submit", body, ct); res.Status != http.StatusSeeOther {
			t.Fatalf("submitting a draft: %d %.500s", res.Status, res.Body)
		}
		if res := q.post("/ipr/new", iprForm("Quokka patent")); res.Status != http.StatusSeeOther {
			t.Fatalf("sending a disclosure: %d %.500s", res.Status, res.Body)
		}
		meeting, _, free := addMeeting(t, db, "Audit plenary")
		rs.register(t, q, meeting, registration("Quentin Quokkaname", "quentin.work@example.com", free, false))
		if res := q.get("/account/export"); res.Status != 200 {
			t.Fatalf("export: %d", res.Status)
		}
		if res := q.post("/account/removal", url.Values{"note": {"Please delete all of it."}, "confirm": {"remove"}}); res.Status != http.StatusSeeOther {
			t.Fatalf("removal request: %d %.300s", res.Status, res.Body)
		}

		rows, err := db.Query(context.Background(), "SELECT seq, action, COALESCE(actor, ''), COALESCE(actor_role, ''), COALESCE(subject, ''), COALESCE(detail, '') FROM audit_log ORDER BY seq")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		actions := map[string]string{}
		for rows.Next() {
			var seq int64
			var action, actor, role, subject, detail string
			if err := rows.Scan(&seq, &action, &actor, &role, &subject, &detail); err != nil {
				t.Fatal(err)
			}
			actions[action] = actor
			all := strings.ToLower(strings.Join([]string{actor, role, subject, detail}, "\x00"))
			for _, leak := range []string{"quentin", "quokkaname", "quentin.q@example.net", "quentin.work@example.com"} {
				if strings.Contains(all, leak) {
					t.Errorf("audit entry %d (%s) holds %q: actor %q, subject %q, detail %q", seq, action, leak, actor, subject, detail)
				}
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		// The walk reached the use cases, and the person is named by the
		// number the test knows; the staff member keeps their name.
		number := "participant " + itoa(id)
		for _, action := range []string{"documents.submit", "ipr.submit", "lists.post", "mailings.opt-in", "mailings.opt-out", "meetings.register", "dsr.export", "dsr.removal.request"} {
			if got, ok := actions[action]; !ok || got != number {
				t.Errorf("entry %s: actor %q (present %v), want %q", action, got, ok, number)
			}
		}
		if actions["lists.create"] != "Sam Secretariat" {
			t.Errorf("the staff member's entry names %q, want Sam Secretariat", actions["lists.create"])
		}
	})
}
