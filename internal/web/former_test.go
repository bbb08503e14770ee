package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"plenary/internal/auth"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestFormerParticipantsPostingShowsNoAddress: a participant whose account
// was removed while their postings were kept is "A former participant";
// the made-up address the pseudonym carries is shown to no reader, signed
// in or not.
func TestFormerParticipantsPostingShowsNoAddress(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		a := newAccountSite(t, siteOptions{DB: db, Args: []string{"--mail-domain", "lists.example.org"}})
		a.makeStaff(t, "Sam Secretariat", "sam@example.org", auth.Secretariat)
		a.makeStaff(t, "Pat Privacy", "pat@example.org", auth.Privacy)
		sam, pat := a.signIn(t, "sam@example.org"), a.signIn(t, "pat@example.org")
		if res := sam.post("/admin/lists", url.Values{"name": {"wg-former"}, "description": {"Kept postings"}, "posting": {"open"}, "archive": {"public"}}); res.Status != http.StatusSeeOther {
			t.Fatalf("creating the list: %d", res.Status)
		}
		a.signUp(t, "Fay Former", "fay@example.net")
		fay := a.signIn(t, "fay@example.net")
		res := fay.post("/lists/wg-former/post", url.Values{"subject": {"A kept thought"}, "body": {"Worth keeping."}, "accept_terms": {"1"}})
		if res.Status != http.StatusSeeOther {
			t.Fatalf("posting: %d", res.Status)
		}
		msg := res.Header.Get("Location")
		if res := fay.post("/account/removal", url.Values{"confirm": {"remove"}}); res.Status != http.StatusSeeOther {
			t.Fatalf("asking for removal: %d", res.Status)
		}
		m := regexp.MustCompile(`action="/admin/removals/(\d+)"`).FindStringSubmatch(pat.get("/admin/removals").Body)
		if m == nil {
			t.Fatal("no removal request to decide")
		}
		form := url.Values{"decision": {"each"}, "reason": {"as asked"}, "decision-postings": {"decline"}, "reason-postings": {"the archive is a public record"}}
		for _, c := range []string{"account", "inquiries", "registrations", "drafts"} {
			form.Set("decision-"+c, "approve")
		}
		if res := pat.post("/admin/removals/"+m[1], form); res.Status != http.StatusSeeOther {
			t.Fatalf("deciding: %d %.300s", res.Status, res.Body)
		}
		for who, b := range map[string]*browser{"signed in": sam, "anonymous": a.browser(t)} {
			page := b.get(msg)
			if page.Status != 200 || !strings.Contains(page.Body, "A former participant") || strings.Contains(page.Body, "invalid") {
				t.Errorf("%s reader of the kept posting: %d, %.1000s", who, page.Status, page.Body)
			}
		}
	})
}
