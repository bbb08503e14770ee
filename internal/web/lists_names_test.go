package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"plenary/internal/auth"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestAdminListNameOfASiteMailboxIsRefused, on both engines: a list named
// after an address the site's own mail uses (announce@, the default
// announcement address; the configured --mailing-address) would never get
// its mail, so /admin/lists refuses the name and says which address.
func TestAdminListNameOfASiteMailboxIsRefused(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		a := newAccountSite(t, siteOptions{DB: db, Routes: func(s *Server) {
			c := *s.Config
			c.MailingAddress = "news@" + c.MailDomain
			s.Config = &c
		}})
		a.makeStaff(t, "Sam Secretariat", "sam@example.org", auth.Secretariat)
		staff := a.signIn(t, "sam@example.org")
		for _, name := range []string{"announce", "news"} {
			res := staff.post("/admin/lists", url.Values{"name": {name}, "description": {"d"}, "posting": {"subscribers"}, "archive": {"public"}})
			if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, name+"@") {
				t.Errorf("creating %s: %d %.300s", name, res.Status, res.Body)
			}
		}
		if res := staff.post("/admin/lists", url.Values{"name": {"newsroom"}, "description": {"d"}, "posting": {"subscribers"}, "archive": {"public"}}); res.Status != http.StatusSeeOther {
			t.Errorf("creating newsroom: %d %.300s", res.Status, res.Body)
		}
	})
}
