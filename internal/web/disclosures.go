package web

import (
	"errors"
	"net/http"

	"plenary/internal/dsr"
)

// The register of disclosures required by law (U4): administrators and
// privacy staff record each disclosure and see the register. Recording
// and listing are internal/dsr's, each one transaction with its audit
// entry.

type adminDisclosuresData struct {
	Entries  []dsr.Disclosure
	Form     dsr.DisclosureForm
	Problems map[string]string
	Done     string
	// ToldProblem is the problem with a "person told" date, for entry
	// ToldEntry.
	ToldProblem string
	ToldEntry   int64
}

func (s *Server) adminDisclosuresPage(w http.ResponseWriter, r *http.Request, status int, d adminDisclosuresData) error {
	list, err := dsr.Disclosures(r.Context(), s.DB, s.Audit, staffActor(r))
	if err != nil {
		return dsrError(err)
	}
	d.Entries = list
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, status, "admin_disclosures", pageData{Title: "Disclosures required by law", Data: d})
	return nil
}

func (s *Server) adminDisclosures(w http.ResponseWriter, r *http.Request) error {
	d := adminDisclosuresData{}
	switch r.URL.Query().Get("done") {
	case "recorded":
		d.Done = "The disclosure is recorded."
	case "told":
		d.Done = "Recorded that the person was told; the entry is now part of their copy of their data."
	}
	return s.adminDisclosuresPage(w, r, http.StatusOK, d)
}

func (s *Server) adminDisclosureRecord(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	f := dsr.DisclosureForm{
		Who: r.PostForm.Get("who"), Subject: r.PostForm.Get("subject"), Requester: r.PostForm.Get("requester"),
		LegalBasis: r.PostForm.Get("legal_basis"), Disclosed: r.PostForm.Get("disclosed"),
		DisclosedOn: r.PostForm.Get("disclosed_on"), ToldOn: r.PostForm.Get("told_on"), Untold: r.PostForm.Get("untold"),
	}
	_, problems, err := dsr.RecordDisclosure(r.Context(), s.DB, s.Audit, staffActor(r), f, s.Now())
	if errors.Is(err, dsr.ErrDisclosureForm) {
		for _, v := range []*string{&f.Who, &f.Subject, &f.Requester, &f.LegalBasis, &f.Disclosed, &f.DisclosedOn, &f.ToldOn, &f.Untold} {
			if !validUTF8(*v) {
				*v = ""
			}
		}
		return s.adminDisclosuresPage(w, r, http.StatusBadRequest, adminDisclosuresData{Form: f, Problems: problems})
	}
	if err != nil {
		return dsrError(err)
	}
	http.Redirect(w, r, "/admin/disclosures?done=recorded", http.StatusSeeOther)
	return nil
}

// adminDisclosureTold records that the person was told of a disclosure.
func (s *Server) adminDisclosureTold(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return notFound(dsr.ErrNoDisclosure.Error())
	}
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	problem, err := dsr.MarkTold(r.Context(), s.DB, s.Audit, staffActor(r), id, r.PostForm.Get("told_on"), s.Now())
	if errors.Is(err, dsr.ErrNoDisclosure) {
		return notFound(err.Error())
	}
	if err != nil {
		return dsrError(err)
	}
	if problem != "" {
		return s.adminDisclosuresPage(w, r, http.StatusBadRequest, adminDisclosuresData{ToldProblem: problem, ToldEntry: id})
	}
	http.Redirect(w, r, "/admin/disclosures?done=told", http.StatusSeeOther)
	return nil
}
