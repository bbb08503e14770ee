package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"plenary/internal/auth"
	"plenary/internal/jobs"
	"plenary/internal/mailings"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

var (
	confirmLinkPattern = regexp.MustCompile(`/mailings/confirm/([A-Za-z0-9_-]{20,})`)
	unsubLinkPattern   = regexp.MustCompile(`/unsubscribe/([A-Za-z0-9_-]{20,})`)
)

func subscriptionState(t *testing.T, db *store.DB, personID int64) string {
	t.Helper()
	s, err := mailings.Get(context.Background(), db, personID)
	if err != nil {
		t.Fatal(err)
	}
	return s.State
}

// sendDue runs the mailing job the way serve's job runner does.
func (a *accountSite) sendDue(t *testing.T) {
	t.Helper()
	s := &mailings.Sender{Env: mailings.Env{DB: a.DB, Audit: a.Audit, Policy: a.Policy, Key: []byte("test mailing key, 32 bytes long.")},
		Mail: a.outbox, Site: a.Server.mailingSite(), Rate: 1000, Worker: "test"}
	r := &jobs.Runner{Queue: &jobs.Queue{DB: a.DB, Worker: "test"}, Handlers: map[string]jobs.Handler{mailings.JobKind: s.Handle}}
	if _, err := r.RunDue(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestMailingOptInSendAndOneClickUnsubscribe walks D1 through the web on
// both engines: the opt-in box is unticked and refused unticked; the
// mailed link's GET changes nothing and its POST confirms; the secretariat
// previews, tests and sends; only the confirmed subscriber gets it; the
// unsubscribe link's GET changes nothing, a mail client's one-click POST
// without cookie unsubscribes, and a replayed or forged link is refused.
func TestMailingOptInSendAndOneClickUnsubscribe(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		a := newAccountSite(t, siteOptions{DB: db})
		annID := a.signUp(t, "Ann", "ann@example.org")
		a.signUp(t, "Bob", "bob@example.org") // never opts in
		ann := a.signIn(t, "ann@example.org")

		page := ann.get("/account")
		if !strings.Contains(page.Body, `<input type="checkbox" name="optin" value="yes">`) {
			t.Fatalf("the account page has no unticked opt-in box: %.2000s", page.Body)
		}
		if res := ann.post("/account/mailings", url.Values{"action": {"subscribe"}}); res.Status != http.StatusBadRequest || !strings.Contains(res.Body, "tick the box") {
			t.Errorf("opt-in without the box: %d %.300s", res.Status, res.Body)
		}
		if got := subscriptionState(t, db, annID); got != mailings.StateNone {
			t.Fatalf("an unticked opt-in left state %q", got)
		}
		if res := ann.post("/account/mailings", url.Values{"action": {"subscribe"}, "optin": {"yes"}}); res.Status != http.StatusSeeOther {
			t.Fatalf("opt-in: %d %.300s", res.Status, res.Body)
		}
		a.waitForMail() // delivered from the outbox after the answer
		m, _ := a.outbox.Last("ann@example.org")
		link := confirmLinkPattern.FindStringSubmatch(m.Body)
		if link == nil {
			t.Fatalf("no confirmation link in %q", m.Body)
		}
		anon := a.browser(t)
		if res := anon.get(link[0]); res.Status != 200 || !strings.Contains(res.Body, `action="`+link[0]+`"`) {
			t.Fatalf("confirmation page: %d %.300s", res.Status, res.Body)
		}
		if got := subscriptionState(t, db, annID); got != mailings.StatePending {
			t.Fatalf("the GET changed the state to %q", got)
		}
		if res := anon.post(link[0], nil); res.Status != 200 || !strings.Contains(res.Body, "Announcements confirmed") {
			t.Fatalf("confirming: %d %.300s", res.Status, res.Body)
		}
		if res := anon.post(link[0], nil); res.Status != http.StatusNotFound && res.Status != http.StatusGone {
			t.Errorf("confirming twice: %d", res.Status)
		}
		if res := ann.get("/"); !strings.Contains(res.Body, "You receive the organization's announcements by e-mail.") {
			t.Errorf("the home page panel does not say Ann receives announcements: %.3000s", res.Body)
		}

		a.makeStaff(t, "Sam Secretariat", "sam@example.org", auth.Secretariat)
		sam := a.signIn(t, "sam@example.org")
		if res := sam.get("/admin/mailings"); res.Status != 200 || !strings.Contains(res.Body, "1 participant does now") || !strings.Contains(res.Body, `href="/admin/mailings"`) {
			t.Fatalf("mailings page: %d %.500s", res.Status, res.Body)
		}
		res := sam.post("/admin/mailings", url.Values{"subject": {""}, "body": {"Kept text"}})
		if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, "Kept text") || !strings.Contains(res.Body, "Nothing was saved") {
			t.Errorf("a draft without subject: %d %.500s", res.Status, res.Body)
		}
		res = sam.post("/admin/mailings", url.Values{"subject": {"Plenary in Geneva"}, "body": {"We meet on 4 May."}})
		loc := res.Header.Get("Location")
		if res.Status != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/mailings/") {
			t.Fatalf("saving a draft: %d %q", res.Status, loc)
		}
		if res := sam.get(loc); res.Status != 200 || !strings.Contains(res.Body, "List-Unsubscribe-Post") || !strings.Contains(res.Body, "We meet on 4 May.") {
			t.Errorf("preview: %d %.500s", res.Status, res.Body)
		}
		// The draft is corrected before it goes: a correction without a
		// subject comes back with the text typed, and changes nothing.
		if res := sam.post(loc, url.Values{"subject": {" "}, "body": {"We meet on 5 May, not 4."}}); res.Status != http.StatusBadRequest ||
			!strings.Contains(res.Body, "We meet on 5 May, not 4.</textarea>") || !strings.Contains(res.Body, "The draft was not changed") {
			t.Errorf("a correction without a subject: %d %.800s", res.Status, res.Body)
		}
		if res := sam.post(loc, url.Values{"subject": {"Plenary in Geneva"}, "body": {"We meet on 5 May, not 4."}}); res.Status != http.StatusSeeOther {
			t.Fatalf("correcting the draft: %d %.300s", res.Status, res.Body)
		}
		if res := sam.get(loc + "?done=saved"); !strings.Contains(res.Body, "The draft is corrected") || !strings.Contains(res.Body, `<pre class="mail-preview">We meet on 5 May, not 4.`) {
			t.Errorf("preview after the correction: %.1500s", res.Body)
		}
		// Another draft, written by mistake, is deleted.
		res = sam.post("/admin/mailings", url.Values{"subject": {"Wrong list"}, "body": {"Sent by mistake."}})
		wrong := res.Header.Get("Location")
		if res := sam.post(wrong+"/delete", nil); res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/admin/mailings?done=deleted" {
			t.Errorf("deleting a draft: %d %q", res.Status, res.Header.Get("Location"))
		}
		if res := sam.get(wrong); res.Status != http.StatusNotFound {
			t.Errorf("the deleted draft: %d", res.Status)
		}
		if n := count(t, a.DB, "SELECT COUNT(*) FROM audit_log WHERE action IN ('mailings.edit', 'mailings.delete')"); n != 2 {
			t.Errorf("%d audit entries for the correction and the deletion, want 2", n)
		}
		if res := sam.post(loc+"/test", nil); res.Status != http.StatusSeeOther {
			t.Fatalf("test send: %d %.300s", res.Status, res.Body)
		}
		a.waitForMail()
		if m, ok := a.outbox.Last("sam@example.org"); !ok || m.Subject != "[Test] Plenary in Geneva" {
			t.Errorf("test message %+v", m)
		}
		if _, ok := a.outbox.Last("ann@example.org"); ok && len(a.outbox.Messages()) > 4 {
			t.Errorf("the test went to participants")
		}
		if res := sam.post(loc+"/send", nil); res.Status != http.StatusSeeOther {
			t.Fatalf("send: %d %.300s", res.Status, res.Body)
		}
		if res := sam.post(loc+"/send", nil); res.Status != http.StatusConflict {
			t.Errorf("sending twice: %d", res.Status)
		}
		for _, change := range []struct {
			path string
			form url.Values
		}{{loc, url.Values{"subject": {"Changed after"}, "body": {"Too late."}}}, {loc + "/delete", nil}} {
			if res := sam.post(change.path, change.form); res.Status != http.StatusConflict || !strings.Contains(res.Body, "cannot be corrected or deleted") {
				t.Errorf("POST %s after sending: %d", change.path, res.Status)
			}
		}
		a.sendDue(t)
		if res := sam.get(loc); !strings.Contains(res.Body, "1 of 1 sent") || !strings.Contains(res.Body, "Finished") {
			t.Errorf("progress after sending: %.1500s", res.Body)
		}
		for _, m := range a.outbox.Messages() {
			if m.To == "bob@example.org" && m.Subject == "Plenary in Geneva" {
				t.Error("Bob, who never opted in, got the mailing")
			}
		}
		got, _ := a.outbox.Last("ann@example.org")
		if got.Subject != "Plenary in Geneva" {
			t.Fatalf("Ann's last message is %q", got.Subject)
		}
		unsub := unsubLinkPattern.FindStringSubmatch(got.Body)
		if unsub == nil {
			t.Fatalf("no unsubscribe link in %q", got.Body)
		}
		// A mail client: no cookie, no Origin, only the RFC 8058 body.
		client := &http.Client{Transport: a.Client.Transport, CheckRedirect: a.Client.CheckRedirect}
		oneClick := func() *http.Response {
			res, err := client.Post(a.URL+unsub[0], "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return res
		}
		if res := anon.get(unsub[0]); res.Status != 200 || !strings.Contains(res.Body, "ann@example.org") || len(res.Header["Set-Cookie"]) != 0 {
			t.Fatalf("unsubscribe page: %d %v %.300s", res.Status, res.Header["Set-Cookie"], res.Body)
		}
		if got := subscriptionState(t, db, annID); got != mailings.StateConfirmed {
			t.Fatalf("the unsubscribe GET changed the state to %q", got)
		}
		if res := oneClick(); res.StatusCode != 200 || len(res.Header["Set-Cookie"]) != 0 {
			t.Fatalf("one-click POST: %d %v", res.StatusCode, res.Header["Set-Cookie"])
		}
		if got := subscriptionState(t, db, annID); got != mailings.StateOptedOut {
			t.Fatalf("after the one-click POST the state is %q", got)
		}
		if res := oneClick(); res.StatusCode != http.StatusGone {
			t.Errorf("replayed one-click POST: %d", res.StatusCode)
		}
		if res := anon.post("/unsubscribe/"+strings.Repeat("A", 43), url.Values{"List-Unsubscribe": {"One-Click"}}); res.Status != http.StatusNotFound || !strings.Contains(res.Body, "not valid") {
			t.Errorf("forged link: %d %.300s", res.Status, res.Body)
		}
		if res := ann.get("/account"); !strings.Contains(res.Body, "You stopped announcements") || !strings.Contains(res.Body, "participant mailings") {
			t.Errorf("the account page does not show the opt-out: %.3000s", res.Body)
		}
	})
}

// TestStaffRecordOptOutByPhone covers D1's phone and post channel at the
// admin page: every problem of the form at once, what was typed kept, and
// the opt-out recorded with its channel.
func TestStaffRecordOptOutByPhone(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		a := newAccountSite(t, siteOptions{DB: db})
		bobID := a.signUp(t, "Bob", "bob@example.org")
		env := a.Server.mailingsEnv()
		tok, _, err := mailings.OptIn(context.Background(), env, mailings.Actor{ID: bobID, Name: "Bob"}, true, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := mailings.Confirm(context.Background(), env, tok, time.Now()); err != nil {
			t.Fatal(err)
		}
		a.makeStaff(t, "Sam", "sam@example.org", auth.Secretariat)
		sam := a.signIn(t, "sam@example.org")
		res := sam.post("/admin/mailings/opt-outs", url.Values{"email": {"bob@example.org"}, "channel": {"web"}, "note": {""}})
		if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, "phone or post") || !strings.Contains(res.Body, "which call or letter") || !strings.Contains(res.Body, `value="bob@example.org"`) {
			t.Errorf("a bad opt-out form: %d %.2000s", res.Status, res.Body)
		}
		res = sam.post("/admin/mailings/opt-outs", url.Values{"email": {"bob@example.org"}, "channel": {"phone"}, "note": {"phoned on 3 May"}})
		if res.Status != http.StatusSeeOther {
			t.Fatalf("recording: %d %.300s", res.Status, res.Body)
		}
		if got := subscriptionState(t, db, bobID); got != mailings.StateOptedOut {
			t.Errorf("Bob's state %q", got)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM consent_ledger WHERE person_id = ? AND channel = ? AND granted = ?", bobID, "phone", false); n != 1 {
			t.Errorf("%d phone opt-outs in the ledger", n)
		}
		if res := sam.get("/admin/mailings?done=opt-out"); !strings.Contains(res.Body, "The opt-out is recorded") {
			t.Errorf("no confirmation: %.300s", res.Body)
		}
	})
}

// TestPrivacyPageSaysHowToOptOut covers D2: the privacy page names every
// way to stop announcements (link, reply, account page, phone or post),
// the announcement address, and whom to contact for phone and post.
func TestPrivacyPageSaysHowToOptOut(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"with the secretariat's contact", []string{"--secretariat-contact", "+41 22 555 0100, Rue de la Paix 1, 1202 Geneva", "--mailing-address", "news@test.example"},
			[]string{"The secretariat takes opt-outs by phone and post at: &#43;41 22 555 0100, Rue de la Paix 1, 1202 Geneva.", "Announcements come from news@test.example"}},
		{"without it", nil,
			[]string{"For the secretariat&#39;s phone number and postal address, write to privacy@test.example.", "Announcements come from announce@test.example"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSite(t, siteOptions{Args: tt.args})
			res := s.get(t, "/privacy")
			if res.Status != 200 {
				t.Fatalf("/privacy: %d", res.Status)
			}
			want := append([]string{
				"Announcements by e-mail",
				"the unsubscribe link in every announcement",
				"a reply to an announcement containing the word &#34;unsubscribe&#34;",
				"the button on your account page",
				"by phone or by post to the secretariat",
				"Questions about announcements go to privacy@test.example",
			}, tt.want...)
			for _, w := range want {
				if !strings.Contains(res.Body, w) {
					t.Errorf("the privacy page does not say %q", w)
				}
			}
		})
	}
}
