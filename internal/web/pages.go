package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"plenary/internal/meetings"
	"strconv"
	"time"

	"plenary/internal/auth"
	"plenary/internal/demo"
	"plenary/internal/documents"
	"plenary/internal/dsr"
	"plenary/internal/inventory"
	"plenary/internal/lists"
	"plenary/internal/policy"
)

func (s *Server) notFoundPage(w http.ResponseWriter, r *http.Request) error {
	return notFound("There is no page at this address.")
}

type homeData struct {
	Announcements []policy.Announcement
	// Demo is set while the demo's announcement shows; the home page then
	// has the section its link leads to (demo.Link).
	Demo    *homeDemo
	Mailing *accountMailing // signed-in participants only
	// Lists are the discussion groups with the most recent postings.
	Lists []lists.List
	// Drafts are the latest posted Internet-Drafts.
	Drafts []documents.Summary
	// Next is the next meeting that has not ended, if any.
	Next *meetings.Meeting
	// Documents are the newest IPR disclosures and liaison statements
	// (issue 11).
	Documents recentDocuments
	// Privacy is the data-subject rights panel for admins and privacy
	// staff: how many removal requests wait (a count, nothing personal).
	Privacy *homePrivacy
}

type homePrivacy struct{ Pending int }

type homeDemo struct {
	Link     string
	Password string
	Accounts []demoAccount
}

// demoAccount is a demo account with the pages it may open.
type demoAccount struct {
	demo.Account
	Pages []demoPage
}

type demoPage struct{ Path, What string }

// demoPages are the pages the demo's table of accounts offers, in the
// order it lists them: a participant's own account, then every staff
// page (TestDemoPagesNameEveryStaffPage keeps the list in step with
// routes.go). Which account may open which is asked of the routes' own
// rules, so the table cannot promise a page that answers 403.
var demoPages = []demoPage{
	{"/account", "their own account and data"},
	{"/admin/people", "participants"},
	{"/admin/inquiries", "inquiries"},
	{"/admin/mailings", "announcements by e-mail"},
	{"/admin/lists", "discussion groups and moderation"},
	{"/admin/meetings", "meetings and registrations"},
	{"/admin/ipr", "IPR disclosures to review"},
	{"/admin/liaisons", "liaison statements"},
	{"/admin/analytics", "usage trends"},
	{"/admin/payments", "payment records"},
	{"/admin/refunds", "refund requests"},
	{"/admin/removals", "removal requests"},
	{"/admin/disclosures", "the register of disclosures"},
	{"/admin/logs/lookup", "raw access-log look-ups"},
	{"/admin/audit", "the audit log"},
}

// demoAccounts lists the demo accounts, each with the demoPages whose
// route rule lets its roles in.
func (s *Server) demoAccounts() []demoAccount {
	rules := map[string]auth.Rule{}
	for _, r := range s.routes {
		rules[r.Pattern] = r.Rule
	}
	var out []demoAccount
	for _, a := range demo.Accounts() {
		id := &auth.Identity{Name: a.Name, Roles: a.Roles}
		d := demoAccount{Account: a}
		for _, p := range demoPages {
			// A page without a route has no rule, and the zero rule
			// lets nobody in.
			if rules["GET "+p.Path].Allows(id) {
				d.Pages = append(d.Pages, p)
			}
		}
		out = append(out, d)
	}
	return out
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) error {
	// Anonymous: served from the cache while the tables it lists from
	// are unchanged (pagever.go).
	if handled, err := s.serveVersioned(w, r, "home", homeAreas, func() (*versionedPage, error) {
		d, until, err := s.homeShared(r)
		if err != nil {
			return nil, err
		}
		return &versionedPage{page: pageData{Title: "Home", Data: d}, until: until}, nil
	}); handled {
		return err
	}
	// Signed in: the page is rendered for this visitor, but what it shows
	// everyone comes from memory under the same counters.
	shared, err := s.versionedData(r.Context(), "home", homeAreas, func() (any, time.Time, error) {
		return s.homeShared(r)
	})
	if err != nil {
		return err
	}
	d := shared.(homeData) // a copy: the visitor's panels are set on it alone
	if id := identityOf(r); id != nil {
		if d.Mailing, err = s.accountMailing(r, id.PersonID); err != nil {
			return err
		}
		// Data-subject rights (R4, U4): the staff panel.
		if id.Has(auth.Admin) || id.Has(auth.Privacy) {
			n, err := dsr.PendingCount(r.Context(), s.DB)
			if err != nil {
				return err
			}
			d.Privacy = &homePrivacy{Pending: n}
		}
	}
	s.render(w, r, http.StatusOK, "home", pageData{Title: "Home", Data: d})
	return nil
}

// homeShared is what the home page shows everyone, and the moment it
// changes without a write: an announcement starting or ending, or the
// next meeting's registration opening or closing (the meeting itself
// changes at midnight, which every entry turns over at).
func (s *Server) homeShared(r *http.Request) (homeData, time.Time, error) {
	d, err := s.homeData(r)
	if err != nil {
		return d, time.Time{}, err
	}
	until, err := s.Policy.NextAnnouncementChange(r.Context(), s.Now())
	if err != nil {
		return d, time.Time{}, err
	}
	if d.Next != nil {
		until = earliest(s.Now(), until, d.Next.Opens, d.Next.Closes)
	}
	return d, until, nil
}

// homeData reads what the home page shows everyone.
func (s *Server) homeData(r *http.Request) (homeData, error) {
	ann, err := s.Policy.Announcements(r.Context(), s.Now())
	if err != nil {
		return homeData{}, err
	}
	d := homeData{Announcements: ann}
	if d.Lists, err = lists.Active(r.Context(), s.DB, 5); err != nil {
		return d, err
	}
	if d.Drafts, err = documents.List(r.Context(), s.DB, "", 5); err != nil {
		return d, err
	}
	if d.Documents, err = s.recentDocuments(r); err != nil {
		return d, err
	}
	if next, ok, err := meetings.Next(r.Context(), s.DB, s.Now()); err != nil {
		return d, err
	} else if ok {
		d.Next = &next
	}
	for _, a := range ann {
		if a.Link == demo.Link {
			d.Demo = &homeDemo{Link: demo.Link, Password: demo.Password, Accounts: s.demoAccounts()}
		}
	}
	return d, nil
}

// healthz reports whether this instance can serve: it answers JSON and
// checks the database, so a load balancer drops an instance that lost it.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	status, code := "ok", http.StatusOK
	dbStatus := "ok"
	if err := s.DB.Ping(r.Context()); err != nil {
		s.Log.Error("health check: database", "err", err)
		status, dbStatus, code = "unavailable", "unreachable", http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	return json.NewEncoder(w).Encode(map[string]string{
		"status":   status,
		"database": dbStatus,
		"engine":   s.DB.Dialect().String(),
		"instance": s.Config.Instance,
		"version":  s.Version,
	})
}

type privacyData struct {
	Version policy.Version
	Blocks  []policy.Block
	Cookies []inventory.Item
	// Groups are the personal items of the access log and the database,
	// one group per retention rule (the rule stated once).
	LogGroups, ColumnGroups []policy.RetentionGroup
	Contact                 string
	// ThirdParty lists the third-party cookies the operator enabled (K2).
	ThirdParty []string
}

func (s *Server) privacy(w http.ResponseWriter, r *http.Request) error {
	// Besides the statement, the page shows the inventory and the
	// configuration, which do not change while the server runs.
	build := func() (*versionedPage, error) {
		id, published, err := s.Policy.CurrentID(r.Context())
		if err != nil {
			return nil, err
		}
		v, err := s.Policy.Get(r.Context(), id)
		if err != nil {
			return nil, err
		}
		return &versionedPage{lastMod: published, page: pageData{Title: "Privacy", Data: privacyData{
			Version:      v,
			Blocks:       policy.Blocks(v.Body),
			LogGroups:    policy.RetentionGroups(s.Inventory.Personal(inventory.LogField), s.Config.RetentionDays),
			ColumnGroups: policy.RetentionGroups(s.Inventory.Personal(inventory.Column), s.Config.RetentionDays),
			Contact:      s.Config.PrivacyContact,
		}}}, nil
	}
	if handled, err := s.serveVersioned(w, r, "privacy", policyAreas, build); handled {
		return err
	}
	v, err := build()
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "privacy", v.page)
	return nil
}

func (s *Server) privacyCookies(w http.ResponseWriter, r *http.Request) error {
	// The inventory and the configuration: fixed while the server runs.
	return s.renderCached(w, r, "", time.Time{}, "cookies", fixed(pageData{Title: "Cookies", Data: privacyData{
		Cookies:    s.Inventory.Cookies(),
		Contact:    s.Config.PrivacyContact,
		ThirdParty: s.Config.ThirdPartyCookies,
	}}))
}

func (s *Server) privacyVersions(w http.ResponseWriter, r *http.Request) error {
	build := func() (*versionedPage, error) {
		vs, err := s.Policy.List(r.Context())
		if err != nil {
			return nil, err
		}
		return &versionedPage{page: pageData{Title: "Privacy statement versions", Data: vs}}, nil
	}
	if handled, err := s.serveVersioned(w, r, "versions", policyAreas, build); handled {
		return err
	}
	v, err := build()
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "versions", v.page)
	return nil
}

type versionData struct {
	Version  policy.Version
	Previous *policy.Version
	Blocks   []policy.Block
	Diff     []policy.DiffLine
	Current  bool
}

func (s *Server) privacyVersion(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return notFound("There is no such version of the privacy statement.")
	}
	// Versions never change once published; the page changes only when
	// it stops being the current one, which a write to policy_versions
	// tells.
	build := func() (*versionedPage, error) {
		v, err := s.Policy.Get(r.Context(), id)
		if errors.Is(err, policy.ErrNoVersion) {
			return nil, notFound("There is no such version of the privacy statement.")
		}
		if err != nil {
			return nil, err
		}
		cur, _, err := s.Policy.CurrentID(r.Context())
		if err != nil {
			return nil, err
		}
		d := versionData{Version: v, Blocks: policy.Blocks(v.Body), Current: cur == v.ID}
		prev, ok, err := s.Policy.Previous(r.Context(), v)
		if err != nil {
			return nil, err
		}
		if ok {
			d.Previous = &prev
			d.Diff = policy.Diff(prev.Body, v.Body)
		}
		return &versionedPage{page: pageData{Title: "Privacy statement of " + v.PublishedAt.UTC().Format(time.DateOnly), Data: d}}, nil
	}
	if handled, err := s.serveVersioned(w, r, "version", policyAreas, build); handled {
		return err
	}
	v, err := build()
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "version", v.page)
	return nil
}
