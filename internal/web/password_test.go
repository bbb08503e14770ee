package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestChangePasswordOnTheAccountPage: a signed-in participant changes
// their password by giving the current one. A wrong current password or
// a too short new one changes nothing and says why; a right one changes
// it, keeps this browser signed in, signs out every other, makes the old
// password useless, tells the primary address and is in the history and
// the audit log.
func TestChangePasswordOnTheAccountPage(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		a := newAccountSite(t, siteOptions{DB: db})
		id := a.signUp(t, "Ada Lovelace", "ada@example.org")
		here := a.signIn(t, "ada@example.org")
		elsewhere := a.signIn(t, "ada@example.org")
		if page := here.get("/account"); !strings.Contains(page.Body, `action="/account/password"`) || !strings.Contains(page.Body, `autocomplete="current-password"`) {
			t.Fatal("the account page has no form to change the password")
		}
		const newPassword = "a different long passphrase"
		for _, c := range []struct {
			current, next, why string
		}{
			{"not the password at all", newPassword, "The current password is not right. Your password was not changed."},
			{testPassword, "short", "Your password was not changed."},
		} {
			res := here.post("/account/password", url.Values{"current_password": {c.current}, "new_password": {c.next}})
			if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, c.why) {
				t.Errorf("changing with %q to %q: %d, want 400 saying %q", c.current, c.next, res.Status, c.why)
			}
		}
		if n := count(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'people.password.change'"); n != 0 {
			t.Fatalf("a refused change is audited as made (%d)", n)
		}
		res := here.post("/account/password", url.Values{"current_password": {testPassword}, "new_password": {newPassword}})
		if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/account?done=password#password" {
			t.Fatalf("changing the password: %d %q %.300s", res.Status, res.Header.Get("Location"), res.Body)
		}
		if page := here.get("/account?done=password"); page.Status != 200 || !strings.Contains(page.Body, "Your password is changed.") {
			t.Errorf("this browser after the change: %d", page.Status)
		}
		if page := elsewhere.get("/account"); page.Status == 200 {
			t.Error("another browser is still signed in after the change")
		}
		if res := a.browser(t).post("/login", url.Values{"email": {"ada@example.org"}, "password": {testPassword}}); res.Status == http.StatusSeeOther {
			t.Error("the old password still signs in")
		}
		a.signInWith(t, "ada@example.org", newPassword)
		a.waitForMail()
		if m, ok := a.outbox.Last("ada@example.org"); !ok || !strings.Contains(m.Subject, "was changed") || !strings.Contains(m.Body, "from your account page") {
			t.Errorf("the primary address is not told: %+v", m)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'people.password.change' AND subject = ?", "person:"+itoa(id)); n != 1 {
			t.Errorf("%d audit entries for the change, want 1", n)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM person_changes WHERE person_id = ? AND field = 'password' AND actor_id = ?", id, id); n != 1 {
			t.Errorf("%d history entries for the change by the person, want 1", n)
		}
	})
}
