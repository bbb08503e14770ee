package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"plenary/internal/meetings"
	"strconv"
	"time"

	"plenary/internal/demo"
	"plenary/internal/documents"
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
}

type homeDemo struct {
	Link     string
	Password string
	Accounts []demo.Account
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) error {
	ann, err := s.Policy.Announcements(r.Context(), s.Now())
	if err != nil {
		return err
	}
	d := homeData{Announcements: ann}
	if d.Lists, err = lists.Active(r.Context(), s.DB, 5); err != nil {
		return err
	}
	if d.Drafts, err = documents.List(r.Context(), s.DB, "", 5); err != nil {
		return err
	}
	if next, ok, err := meetings.Next(r.Context(), s.DB, s.Now()); err != nil {
		return err
	} else if ok {
		d.Next = &next
	}
	for _, a := range ann {
		if a.Link == demo.Link {
			d.Demo = &homeDemo{Link: demo.Link, Password: demo.Password, Accounts: demo.Accounts()}
		}
	}
	if id := identityOf(r); id != nil {
		if d.Mailing, err = s.accountMailing(r, id.PersonID); err != nil {
			return err
		}
	}
	s.render(w, r, http.StatusOK, "home", pageData{Title: "Home", Data: d})
	return nil
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
	v, err := s.Policy.Current(r.Context())
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "privacy", pageData{Title: "Privacy", Data: privacyData{
		Version:      v,
		Blocks:       policy.Blocks(v.Body),
		LogGroups:    policy.RetentionGroups(s.Inventory.Personal(inventory.LogField), s.Config.RetentionDays),
		ColumnGroups: policy.RetentionGroups(s.Inventory.Personal(inventory.Column), s.Config.RetentionDays),
		Contact:      s.Config.PrivacyContact,
	}})
	return nil
}

func (s *Server) privacyCookies(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, "cookies", pageData{Title: "Cookies", Data: privacyData{
		Cookies:    s.Inventory.Cookies(),
		Contact:    s.Config.PrivacyContact,
		ThirdParty: s.Config.ThirdPartyCookies,
	}})
	return nil
}

func (s *Server) privacyVersions(w http.ResponseWriter, r *http.Request) error {
	vs, err := s.Policy.List(r.Context())
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "versions", pageData{Title: "Privacy statement versions", Data: vs})
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
	v, err := s.Policy.Get(r.Context(), id)
	if errors.Is(err, policy.ErrNoVersion) {
		return notFound("There is no such version of the privacy statement.")
	}
	if err != nil {
		return err
	}
	d := versionData{Version: v, Blocks: policy.Blocks(v.Body)}
	prev, ok, err := s.Policy.Previous(r.Context(), v)
	if err != nil {
		return err
	}
	if ok {
		d.Previous = &prev
		d.Diff = policy.Diff(prev.Body, v.Body)
	}
	if cur, err := s.Policy.Current(r.Context()); err == nil && cur.ID == v.ID {
		d.Current = true
	}
	s.render(w, r, http.StatusOK, "version", pageData{Title: "Privacy statement of " + v.PublishedAt.UTC().Format(time.DateOnly), Data: d})
	return nil
}
