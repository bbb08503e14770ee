package web

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"plenary/internal/auth"
	"plenary/internal/documents"
	"plenary/internal/policy"
	"plenary/internal/validate"
)

// Internet-Drafts (PUB1): the list and each draft's page are public; only
// a signed-in participant submits, after being told that the draft and
// the personal data in it become a public record kept forever.

// maxUpload is the largest submission body: both files at their limits
// and room for the multipart framing.
const maxUpload = documents.MaxXML + documents.MaxTxt + 64<<10

// draftsListLimit bounds one page of the list.
const draftsListLimit = 200

type draftsData struct {
	Query string
	// Ignored are the words past documents.MaxSearchWords, which the
	// search left out; the page says so rather than match silently.
	Ignored    []string
	MaxWords   int
	Drafts     []documents.Summary
	Now        time.Time
	Page       int
	Prev, Next string
}

// draftsPage reads one page (?page=, from 1) of the drafts that match
// ?q=, and whether another page follows.
func (s *Server) draftsPage(r *http.Request) (list []documents.Summary, q string, page int, more bool, err error) {
	q, page = strings.TrimSpace(r.URL.Query().Get("q")), pageNumber(r)
	list, err = documents.ListPage(r.Context(), s.DB, q, draftsListLimit+1, (page-1)*draftsListLimit)
	if len(list) > draftsListLimit {
		list, more = list[:draftsListLimit], true
	}
	return list, q, page, more, err
}

func (s *Server) drafts(w http.ResponseWriter, r *http.Request) error {
	list, q, page, more, err := s.draftsPage(r)
	if err != nil {
		return err
	}
	d := draftsData{Query: q, Drafts: list, Now: s.Now(), Page: page, MaxWords: documents.MaxSearchWords}
	if words := documents.SearchWords(q); len(words) > documents.MaxSearchWords {
		d.Ignored = words[documents.MaxSearchWords:]
	}
	link := func(n int) string {
		u := url.Values{}
		if q != "" {
			u.Set("q", q)
		}
		if n > 1 {
			u.Set("page", strconv.Itoa(n))
		}
		if len(u) == 0 {
			return "/drafts"
		}
		return "/drafts?" + u.Encode()
	}
	if more {
		d.Next = link(page + 1)
	}
	if page > 1 {
		d.Prev = link(page - 1)
	}
	s.render(w, r, http.StatusOK, "drafts", pageData{Title: "Internet-Drafts", Data: d})
	return nil
}

type draftSubmitData struct {
	Problems   *validate.Errors
	Accepted   bool
	Disclosure []disclosureGroup
	Transfer   string
	Org        string
	MaxXML     int
	MaxTxt     int
}

func (s *Server) draftSubmitData() draftSubmitData {
	return draftSubmitData{
		Disclosure: groupCollected(s.collected("draft_authors.name", "draft_authors.email", "draft_authors.affiliation", "draft_revisions.xml_source", "draft_revisions.submitter_id")),
		Transfer:   s.Policy.TransferStatement(),
		Org:        s.Config.OrgName,
		MaxXML:     documents.MaxXML >> 20,
		MaxTxt:     documents.MaxTxt >> 20,
	}
}

func (s *Server) draftSubmitForm(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, "draft_submit", pageData{Title: "Submit an Internet-Draft", Data: s.draftSubmitData()})
	return nil
}

// readUpload reads the multipart body into memory, field by field, within
// the limits: nothing is written to disk, not even a temporary file, so a
// refused upload leaves nothing behind. The two files are checked for NUL
// bytes and invalid UTF-8 by documents.Check, with their lines; any other
// field must be text here.
func readUpload(r *http.Request) (documents.Upload, error) {
	var up documents.Upload
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || ct != "multipart/form-data" {
		return up, badRequest("The draft must be sent with the submission form (as multipart/form-data).")
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return up, badRequest("The submission could not be read; please send the form again.")
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return up, formError(err)
		}
		var max int64
		switch part.FormName() {
		case "xml":
			max = documents.MaxXML
		case "txt":
			max = documents.MaxTxt
		default:
			max = 1024
		}
		// One byte over the limit is read, so Check can say the file is
		// too large rather than cut it silently.
		b, err := io.ReadAll(io.LimitReader(part, max+1))
		part.Close()
		if err != nil {
			return up, formError(err)
		}
		switch part.FormName() {
		case "xml":
			up.XML = b
		case "txt":
			up.Txt = b
		case "accept_terms":
			if !isText(string(b)) {
				return up, badRequest("The form holds bytes that are not valid text (a NUL byte or invalid UTF-8), so it was refused. Nothing was saved.")
			}
			up.AcceptTerms = len(bytes.TrimSpace(b)) > 0
		default:
			if !isText(part.FormName()) || !isText(string(b)) {
				return up, badRequest("The form holds bytes that are not valid text (a NUL byte or invalid UTF-8), so it was refused. Nothing was saved.")
			}
		}
	}
	return up, nil
}

func (s *Server) draftSubmit(w http.ResponseWriter, r *http.Request) error {
	up, err := readUpload(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	cur, err := s.Policy.Current(ctx)
	if err != nil {
		return err
	}
	d := s.draftSubmitData()
	id := identityOf(r)
	rev, err := documents.Submit(ctx, s.DB, s.Audit, documents.Submitter{ID: id.PersonID, Name: id.Name, Secretariat: id.Has(auth.Secretariat)},
		documents.Submission{Upload: up, VersionID: cur.ID, Transfer: d.Transfer}, s.Now())
	if probs, ok := validate.From(err); ok {
		d.Problems, d.Accepted = probs, up.AcceptTerms
		s.render(w, r, http.StatusBadRequest, "draft_submit", pageData{Title: "Submit an Internet-Draft", Data: d})
		return nil
	}
	if errors.Is(err, documents.ErrNoAudit) {
		return &Error{Status: http.StatusServiceUnavailable, Message: err.Error()}
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/drafts/"+rev.Name+"/"+rev.Rev, http.StatusSeeOther)
	return nil
}

type draftData struct {
	Draft    documents.Draft
	Rendered *documents.Rendered
	Status   string
	Expired  bool // the shown revision's expiry date has passed
	// IPR are the posted disclosures naming the draft (issue 11).
	IPR []documents.Disclosure
}

// draft shows a draft's latest revision at /drafts/{name}, a given one at
// /drafts/{name}-{rev}, and serves the sources at
// /drafts/{name}-{rev}.txt and .xml.
func (s *Server) draft(w http.ResponseWriter, r *http.Request) error {
	full := r.PathValue("name")
	for _, ext := range []string{".txt", ".xml"} {
		if base, ok := strings.CutSuffix(full, ext); ok {
			name, rev, ok := documents.SplitName(base)
			if !ok {
				return notFound("There is no such draft or revision.")
			}
			return s.draftSource(w, r, name, rev, ext)
		}
	}
	return s.showDraft(w, r, full, "", true)
}

func (s *Server) draftRevision(w http.ResponseWriter, r *http.Request) error {
	return s.showDraft(w, r, r.PathValue("name"), r.PathValue("rev"), false)
}

// showDraft shows revision rev of the draft name (the latest when rev is
// empty). With split, a name ending in a revision number names that
// revision, unless a draft is itself called that.
func (s *Server) showDraft(w http.ResponseWriter, r *http.Request, name, rev string, split bool) error {
	build := func() (*versionedPage, error) {
		name, rev := name, rev
		if n, v, ok := documents.SplitName(name); split && ok {
			if latest, err := documents.LatestRev(r.Context(), s.DB, name); err != nil {
				return nil, err
			} else if latest == "" {
				name, rev = n, v
			}
		}
		d, err := documents.GetOutline(r.Context(), s.DB, name, rev)
		if errors.Is(err, documents.ErrNotFound) {
			return nil, notFound("There is no such draft or revision.")
		}
		if err != nil {
			return nil, err
		}
		data := draftData{Draft: d, Status: d.Status(s.Now()), Expired: s.Now().After(d.Latest.Expires())}
		if data.IPR, err = s.iprForDraft(r, d.Latest.Name); err != nil {
			return nil, err
		}
		xml, txt, err := documents.Sources(r.Context(), s.DB, d.Latest.ID)
		if err != nil {
			return nil, err
		}
		data.Draft.Latest.XML, data.Draft.Latest.Txt = xml, txt
		if txt == "" && xml != "" {
			out, err := documents.RenderXML(xml)
			if err != nil {
				return nil, fmt.Errorf("rendering %s: %w", d.Latest.FullName(), err)
			}
			data.Rendered = &out
		}
		title := d.Latest.FullName() + ": " + d.Latest.Title
		summary := "The Internet-Draft " + d.Latest.FullName() + ", " + d.Latest.Title + ", with its authors and every revision."
		// The page changes when the shown revision expires. No
		// Last-Modified: an author's removal changes the page without a
		// date to show for it; the ETag alone validates.
		return &versionedPage{page: pageData{Title: title, Data: data, Summary: summary}, until: d.Latest.Expires().Add(time.Nanosecond)}, nil
	}
	if handled, err := s.serveVersioned(w, r, "draft", draftAreas, build); handled {
		return err
	}
	v, err := build()
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "draft", v.page)
	return nil
}

func (s *Server) draftSource(w http.ResponseWriter, r *http.Request, name, rev, ext string) error {
	d, err := documents.Get(r.Context(), s.DB, name, rev)
	if errors.Is(err, documents.ErrNotFound) {
		return notFound("There is no such draft or revision.")
	}
	if err != nil {
		return err
	}
	body, ctype := d.Latest.Txt, "text/plain; charset=utf-8"
	if ext == ".xml" {
		body, ctype = d.Latest.XML, "application/xml; charset=utf-8"
	}
	if body == "" {
		return notFound(fmt.Sprintf("%s was not submitted in this form.", d.Latest.FullName()))
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, err = io.WriteString(w, body)
	return err
}

type draftDiffData struct {
	Name     string
	From, To documents.Revision
	Diff     []policy.DiffLine
	// First is set instead when the revision asked for has none before
	// it, as the only revision of a new draft: nothing to compare. Only
	// says it is the draft's only revision so far.
	First *documents.Revision
	Only  bool
}

// draftDiff compares two revisions of a draft line by line: their text
// renderings, or their XML sources when a revision has no text. Without
// ?to= it compares up to the latest revision, without ?from= from the
// revision before ?to=, so /drafts/{name}/diff shows what the latest
// revision changed.
func (s *Server) draftDiff(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	q := r.URL.Query()
	from, to := q.Get("from"), q.Get("to")
	ctx := r.Context()
	const noPair = "There is no such pair of revisions to compare; give them as ?from=NN&to=MM, or leave both out to see what the latest revision changed."
	d, err := documents.GetOutline(ctx, s.DB, name, to)
	if errors.Is(err, documents.ErrNotFound) {
		return notFound(noPair)
	}
	if err != nil {
		return err
	}
	to = d.Latest.Rev
	if from == "" {
		if from = d.Before(to); from == "" {
			first := d.Latest
			s.render(w, r, http.StatusOK, "draft_diff", pageData{Title: fmt.Sprintf("%s: nothing to compare -%s with", name, to),
				Data:    draftDiffData{Name: name, First: &first, Only: len(d.Revisions) == 1},
				Summary: "Revision " + to + " is the first of the Internet-Draft " + name + ": there is no earlier revision to compare it with."})
			return nil
		}
	}
	a, errA := documents.Get(ctx, s.DB, name, from)
	b, errB := documents.Get(ctx, s.DB, name, to)
	if errors.Is(errA, documents.ErrNotFound) || errors.Is(errB, documents.ErrNotFound) {
		return notFound(noPair)
	}
	if errA != nil {
		return errA
	}
	if errB != nil {
		return errB
	}
	source := func(r documents.Revision) string {
		if r.Txt != "" {
			return r.Txt
		}
		return r.XML
	}
	s.render(w, r, http.StatusOK, "draft_diff", pageData{Title: fmt.Sprintf("%s: -%s to -%s", name, from, to), Data: draftDiffData{
		Name: name, From: a.Latest, To: b.Latest, Diff: policy.Diff(source(a.Latest), source(b.Latest)),
	}, Summary: "What changed in the Internet-Draft " + name + " from revision " + from + " to " + to + "."})
	return nil
}

// The read-only JSON API. Its field names are stable: they are the
// json tags below, documented in the README.

type apiDraftSummary struct {
	Name     string    `json:"name"`
	Rev      string    `json:"rev"`
	Title    string    `json:"title"`
	Group    string    `json:"group"`
	Authors  string    `json:"authors"`
	Posted   time.Time `json:"posted"`
	Expires  time.Time `json:"expires"`
	Location string    `json:"url"`
}

type apiAuthor struct {
	Name        string `json:"name"`
	Email       string `json:"email,omitempty"`
	Affiliation string `json:"affiliation,omitempty"`
}

type apiRevision struct {
	Rev    string    `json:"rev"`
	Posted time.Time `json:"posted"`
}

type apiDraft struct {
	Name       string        `json:"name"`
	Rev        string        `json:"rev"`
	Title      string        `json:"title"`
	Abstract   string        `json:"abstract"`
	Group      string        `json:"group"`
	Date       string        `json:"date"`
	Status     string        `json:"status"`
	Posted     time.Time     `json:"posted"`
	Expires    time.Time     `json:"expires"`
	Authors    []apiAuthor   `json:"authors"`
	References []string      `json:"references"`
	Revisions  []apiRevision `json:"revisions"`
	Text       string        `json:"text_url,omitempty"`
	XML        string        `json:"xml_url,omitempty"`
}

func writeJSON(w http.ResponseWriter, v any) error {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func (s *Server) apiDrafts(w http.ResponseWriter, r *http.Request) error {
	list, q, page, more, err := s.draftsPage(r)
	if err != nil {
		return err
	}
	answer := map[string]any{}
	if more {
		// The whole address of the next page, so a client follows it
		// without building one.
		u := url.Values{"page": {strconv.Itoa(page + 1)}}
		if q != "" {
			u.Set("q", q)
		}
		answer["next"] = s.base() + "/api/drafts?" + u.Encode()
	}
	out := make([]apiDraftSummary, 0, len(list))
	for _, d := range list {
		out = append(out, apiDraftSummary{Name: d.Name, Rev: d.Rev, Title: d.Title, Group: d.Group, Authors: d.Authors,
			Posted: d.PostedAt.UTC(), Expires: d.Expires().UTC(), Location: s.base() + "/drafts/" + d.Name})
	}
	answer["drafts"] = out
	return writeJSON(w, answer)
}

func (s *Server) apiDraft(w http.ResponseWriter, r *http.Request) error {
	d, err := documents.Get(r.Context(), s.DB, r.PathValue("name"), "")
	if errors.Is(err, documents.ErrNotFound) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		return json.NewEncoder(w).Encode(map[string]string{"error": "no such draft"})
	}
	if err != nil {
		return err
	}
	l := d.Latest
	out := apiDraft{Name: l.Name, Rev: l.Rev, Title: l.Title, Abstract: l.Abstract, Group: l.Group, Date: l.Date,
		Status: d.Status(s.Now()), Posted: l.PostedAt.UTC(), Expires: l.Expires().UTC(),
		Authors: []apiAuthor{}, References: append([]string{}, l.References...), Revisions: []apiRevision{}}
	for _, a := range l.Authors {
		out.Authors = append(out.Authors, apiAuthor{Name: a.Name, Email: a.Email, Affiliation: a.Affiliation})
	}
	for _, v := range d.Revisions {
		out.Revisions = append(out.Revisions, apiRevision{Rev: v.Rev, Posted: v.PostedAt.UTC()})
	}
	if l.Txt != "" {
		out.Text = s.base() + "/drafts/" + l.FullName() + ".txt"
	}
	if l.XML != "" {
		out.XML = s.base() + "/drafts/" + l.FullName() + ".xml"
	}
	return writeJSON(w, out)
}

// Atom feed of new revisions: the newest posted drafts, one entry each.

type atomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr,omitempty"`
}

type atomEntry struct {
	Title   string   `xml:"title"`
	ID      string   `xml:"id"`
	Link    atomLink `xml:"link"`
	Updated string   `xml:"updated"`
	Author  []string `xml:"author>name"`
	Summary string   `xml:"summary,omitempty"`
}

type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Title   string      `xml:"title"`
	ID      string      `xml:"id"`
	Link    []atomLink  `xml:"link"`
	Updated string      `xml:"updated"`
	Entries []atomEntry `xml:"entry"`
}

func (s *Server) draftsAtom(w http.ResponseWriter, r *http.Request) error {
	list, err := documents.List(r.Context(), s.DB, "", 50)
	if err != nil {
		return err
	}
	base := s.base()
	f := atomFeed{Title: "New Internet-Drafts of " + s.Config.OrgName, ID: base + "/drafts/atom.xml",
		Link:    []atomLink{{Href: base + "/drafts/atom.xml", Rel: "self"}, {Href: base + "/drafts"}},
		Updated: s.Now().UTC().Format(time.RFC3339)}
	if len(list) > 0 {
		f.Updated = list[0].PostedAt.UTC().Format(time.RFC3339)
	}
	for _, d := range list {
		e := atomEntry{Title: d.Name + "-" + d.Rev + ": " + d.Title, ID: base + "/drafts/" + d.Name + "/" + d.Rev,
			Link: atomLink{Href: base + "/drafts/" + d.Name + "/" + d.Rev}, Updated: d.PostedAt.UTC().Format(time.RFC3339)}
		for _, a := range strings.Split(d.Authors, ", ") {
			if a != "" {
				e.Author = append(e.Author, a)
			}
		}
		f.Entries = append(f.Entries, e)
	}
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	return xml.NewEncoder(w).Encode(f)
}
