package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"plenary/internal/documents"
	"plenary/internal/validate"
)

// IPR disclosures (PUB1, R4): the list and each posted disclosure are
// public; a signed-in participant sends one after being told it becomes a
// public record; the secretariat posts or rejects it and may remove a
// posted one, which leaves a tombstone answered with 410 Gone.

const iprListLimit = 500

type iprListData struct {
	Disclosures []documents.Disclosure
}

func (s *Server) iprList(w http.ResponseWriter, r *http.Request) error {
	list, err := documents.PublicIPR(r.Context(), s.DB, iprListLimit)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "ipr_list", pageData{Title: "IPR disclosures", Data: iprListData{Disclosures: list}})
	return nil
}

type iprSubmitData struct {
	Form       documents.IPRForm
	Problems   *validate.Errors
	Kinds      []documents.Choice
	Licensing  []documents.Choice
	Disclosure []disclosureGroup
	Transfer   string
	Org        string
}

func (s *Server) iprSubmitData(f documents.IPRForm) iprSubmitData {
	return iprSubmitData{
		Form: f, Kinds: documents.IPRKinds, Licensing: documents.IPRLicensing,
		Disclosure: groupCollected(s.collected("ipr_disclosures.holder", "ipr_disclosures.contact_name", "ipr_disclosures.contact_email",
			"ipr_disclosures.contact_info", "ipr_disclosures.submitter_id")),
		Transfer: s.Policy.TransferStatement(),
		Org:      s.Config.OrgName,
	}
}

func (s *Server) iprSubmitForm(w http.ResponseWriter, r *http.Request) error {
	f := documents.IPRForm{Kind: documents.IPRSpecific, Updates: r.URL.Query().Get("updates"), Drafts: r.URL.Query().Get("draft")}
	s.render(w, r, http.StatusOK, "ipr_submit", pageData{Title: "Disclose intellectual property", Data: s.iprSubmitData(f)})
	return nil
}

func (s *Server) iprSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	v := r.PostForm
	f := documents.IPRForm{
		Kind: v.Get("kind"), Title: v.Get("title"), Holder: v.Get("holder"),
		ContactName: v.Get("contact_name"), ContactEmail: v.Get("contact_email"), ContactInfo: v.Get("contact_info"),
		ShowContact: v.Get("show_contact") == "yes", Drafts: v.Get("drafts"), Patents: v.Get("patents"),
		Licensing: v.Get("licensing"), LicensingNotes: v.Get("licensing_notes"), Updates: v.Get("updates"),
		AcceptTerms: v.Get("accept_terms") != "",
	}
	ctx := r.Context()
	cur, err := s.Policy.Current(ctx)
	if err != nil {
		return err
	}
	d := s.iprSubmitData(f)
	id := identityOf(r)
	_, err = documents.SubmitIPR(ctx, s.DB, s.Audit, documents.Submitter{ID: id.PersonID, Name: id.Name},
		documents.IPRSubmission{Form: f, VersionID: cur.ID, Transfer: d.Transfer}, s.Now())
	if probs, ok := validate.From(err); ok {
		d.Problems = probs
		s.render(w, r, http.StatusBadRequest, "ipr_submit", pageData{Title: "Disclose intellectual property", Data: d})
		return nil
	}
	if errors.Is(err, documents.ErrNoAudit) {
		return &Error{Status: http.StatusServiceUnavailable, Message: err.Error()}
	}
	if err != nil {
		return err
	}
	// Redirected, so a reload sends nothing again.
	http.Redirect(w, r, "/account?done=ipr-sent#disclosures", http.StatusSeeOther)
	return nil
}

type iprPageData struct {
	D documents.Disclosure
}

// iprPage shows a posted disclosure; a removed one answers 410 with its
// tombstone; one pending or rejected is not public (404).
func (s *Server) iprPage(w http.ResponseWriter, r *http.Request) error {
	n, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return notFound("There is no such IPR disclosure.")
	}
	d, err := documents.GetIPR(r.Context(), s.DB, n)
	if errors.Is(err, documents.ErrIPRNotFound) {
		return notFound(err.Error())
	}
	if err != nil {
		return err
	}
	switch d.State {
	case documents.IPRPosted:
		s.render(w, r, http.StatusOK, "ipr_disclosure", pageData{Title: fmt.Sprintf("IPR disclosure %d: %s", d.ID, d.Title), Data: iprPageData{D: d},
			Summary: fmt.Sprintf("IPR disclosure %d to %s by %s: %s.", d.ID, s.Config.OrgName, d.Holder, d.Title)})
	case documents.IPRRemoved:
		s.render(w, r, http.StatusGone, "ipr_gone", pageData{Title: fmt.Sprintf("IPR disclosure %d was removed", d.ID), Data: iprPageData{D: d}})
	default:
		return notFound("There is no such IPR disclosure.")
	}
	return nil
}

type adminIPRData struct {
	Pending  []documents.Disclosure
	Posted   []documents.Disclosure
	Done     string
	Problems *validate.Errors
	Failed   int64
}

func (s *Server) adminIPRData(r *http.Request) (adminIPRData, error) {
	var d adminIPRData
	var err error
	if d.Pending, err = documents.PendingIPR(r.Context(), s.DB); err != nil {
		return d, err
	}
	all, err := documents.PublicIPR(r.Context(), s.DB, iprListLimit)
	for _, x := range all {
		if x.State == documents.IPRPosted {
			d.Posted = append(d.Posted, x)
		}
	}
	return d, err
}

// iprDone are the confirmations after a decision, named by the query.
var iprDone = map[string]string{
	documents.IPRActPost:   "The disclosure is posted.",
	documents.IPRActReject: "The disclosure is rejected; the discloser sees the reason on their account page.",
	documents.IPRActRemove: "The disclosure is removed; its page now says so, with the reason and the date.",
}

func (s *Server) adminIPR(w http.ResponseWriter, r *http.Request) error {
	d, err := s.adminIPRData(r)
	if err != nil {
		return err
	}
	d.Done = iprDone[r.URL.Query().Get("done")]
	s.render(w, r, http.StatusOK, "admin_ipr", pageData{Title: "IPR disclosures: review", Data: d})
	return nil
}

func (s *Server) adminIPRDecide(w http.ResponseWriter, r *http.Request) error {
	n, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return notFound("There is no such IPR disclosure.")
	}
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	action := r.PostForm.Get("action")
	id := identityOf(r)
	_, err = documents.DecideIPR(r.Context(), s.DB, s.Audit, documents.Submitter{ID: id.PersonID, Name: id.Name}, n, action, r.PostForm.Get("reason"), s.Now())
	if probs, ok := validate.From(err); ok {
		d, err := s.adminIPRData(r)
		if err != nil {
			return err
		}
		d.Problems, d.Failed = probs, n
		s.render(w, r, http.StatusBadRequest, "admin_ipr", pageData{Title: "IPR disclosures: review", Data: d})
		return nil
	}
	switch {
	case errors.Is(err, documents.ErrIPRNotFound):
		return notFound(err.Error())
	case errors.Is(err, documents.ErrIPRState):
		return &Error{Status: http.StatusConflict, Message: err.Error(), Again: "/admin/ipr", AgainText: "Back to the review queue"}
	case errors.Is(err, documents.ErrNoAudit):
		return &Error{Status: http.StatusServiceUnavailable, Message: err.Error()}
	case err != nil:
		return err
	}
	http.Redirect(w, r, "/admin/ipr?done="+action, http.StatusSeeOther)
	return nil
}

// iprForDraft lists the posted disclosures naming a draft, for its page.
func (s *Server) iprForDraft(r *http.Request, name string) ([]documents.Disclosure, error) {
	return documents.IPRForDraft(r.Context(), s.DB, name)
}

// recentDocuments are the home page's newest disclosures and statements.
type recentDocuments struct {
	IPR      []documents.Disclosure
	Liaisons []documents.Liaison
}

func (s *Server) recentDocuments(r *http.Request) (recentDocuments, error) {
	var d recentDocuments
	all, err := documents.PublicIPR(r.Context(), s.DB, 10)
	if err != nil {
		return d, err
	}
	for _, x := range all {
		if x.State == documents.IPRPosted && len(d.IPR) < 3 {
			d.IPR = append(d.IPR, x)
		}
	}
	d.Liaisons, err = documents.PostedLiaisons(r.Context(), s.DB, 3)
	return d, err
}
