package web

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"plenary/internal/auth"
	"plenary/internal/inventory"
	"plenary/internal/lists"
)

// The reading side of discussion groups (G1, R4): search, the archive's
// pages, the mbox exports and the tombstones removed postings leave.
// Anonymous readers see every address masked against harvesting: the
// authors' and those in the postings' text (the mbox and feed they
// download too); signed-in participants see them whole. Each output masks
// in one place: shown for the pages, Query.Mask for search, the mask
// argument of the feed and the mbox.

// person is the signed-in reader's account, or 0.
func person(r *http.Request) int64 {
	if id := identityOf(r); id != nil {
		return id.PersonID
	}
	return 0
}

func pageNumber(r *http.Request) int {
	n, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || n < 1 || n > 100000 {
		return 1
	}
	return n
}

// listArchiveInto fills the archive part of a list's page.
func (s *Server) listArchiveInto(r *http.Request, d *listData) error {
	if !d.CanRead {
		return nil
	}
	d.Page, d.ByDate = pageNumber(r), r.URL.Query().Get("view") == "date"
	var err error
	if d.ByDate {
		d.Postings, d.More, err = lists.ByDate(r.Context(), s.DB, d.List, d.Page)
	} else {
		d.Threads, d.More, err = lists.ThreadPage(r.Context(), s.DB, d.List, d.Page)
	}
	for i := range d.Postings {
		d.Postings[i] = shown(r, d.Postings[i])
	}
	for i := range d.Threads {
		t := &d.Threads[i]
		if person(r) == 0 {
			t.Subject = lists.MaskAddresses(t.Subject)
		}
		for j := range t.Postings {
			t.Postings[j] = shown(r, t.Postings[j])
		}
	}
	return err
}

// listOldAddress sends the archive's former addresses to the new ones
// for good: /archive to the list's page, /archive/{id} to /msg/{id},
// /archive.mbox to /mbox.
func (s *Server) listOldAddress(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if _, err := lists.Get(r.Context(), s.DB, name); err != nil {
		return listError(err)
	}
	to := "/lists/" + url.PathEscape(name)
	switch {
	case strings.HasSuffix(r.URL.Path, "/archive.mbox"):
		to += "/mbox"
	case r.PathValue("id") != "":
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil {
			return notFound(lists.ErrNoPost.Error())
		}
		to += "/msg/" + strconv.FormatInt(id, 10)
	}
	http.Redirect(w, r, to, http.StatusMovedPermanently)
	return nil
}

// shown is a posting as this reader may see it: whole when signed in,
// every address masked otherwise.
func shown(r *http.Request, p lists.Posting) lists.Posting {
	// A former participant's postings carry the address their pseudonym
	// made: an address to nobody, shown to nobody.
	if inventory.IsRemovedAddress(p.Email) {
		p.Email = ""
	}
	if person(r) != 0 {
		return p
	}
	return p.Masked()
}

// bodyPart is a run of a posting's lines: its own text, or quoted text
// ("> " lines), which the page folds.
type bodyPart struct {
	Text   string
	Quoted bool
	Lines  int
}

func bodyParts(body string) []bodyPart {
	var out []bodyPart
	for _, line := range strings.Split(strings.TrimRight(body, "\n"), "\n") {
		quoted := strings.HasPrefix(line, ">")
		if n := len(out); n > 0 && out[n-1].Quoted == quoted {
			out[n-1].Text += "\n" + line
			out[n-1].Lines++
			continue
		}
		out = append(out, bodyPart{Text: line, Quoted: quoted, Lines: 1})
	}
	return out
}

type listMessageData struct {
	List    lists.List
	Posting lists.Posting
	Address string
	Parts   []bodyPart
	Thread  []lists.Posting
	Nav     lists.Nav
	Staff   bool
	Problem string
	Reason  string
	// Attachments are the posting's files, listed for download.
	Attachments []lists.AttachmentInfo
}

func postID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return 0, notFound(lists.ErrNoPost.Error())
	}
	return id, nil
}

func (s *Server) listMessage(w http.ResponseWriter, r *http.Request) error {
	// An anonymous reader's page is served from the cache while the list's
	// tables are unchanged (pagever.go): a reply, a removal or a renamed
	// list bumps them. Staff pages and error answers are not kept.
	if handled, err := s.serveVersioned(w, r, "list_message", messageAreas, func() (*versionedPage, error) {
		l, err := s.readable(r)
		if err != nil {
			return nil, err
		}
		id, err := postID(r)
		if err != nil {
			return nil, err
		}
		page, ok, err := s.listMessageData(w, r, l, id, "", "")
		if err != nil || !ok {
			return nil, err
		}
		return &versionedPage{page: page}, nil
	}); handled {
		return err
	}
	l, err := s.readable(r)
	if err != nil {
		return err
	}
	id, err := postID(r)
	if err != nil {
		return err
	}
	return s.listMessagePage(w, r, l, id, http.StatusOK, "", "")
}

func (s *Server) listMessagePage(w http.ResponseWriter, r *http.Request, l lists.List, id int64, status int, problem, reason string) error {
	page, ok, err := s.listMessageData(w, r, l, id, problem, reason)
	if err != nil || !ok {
		return err
	}
	s.render(w, r, status, "list_message", page)
	return nil
}

// listMessageData reads the posting id of l for its page; ok is false
// when the posting is gone and its tombstone was shown instead.
func (s *Server) listMessageData(w http.ResponseWriter, r *http.Request, l lists.List, id int64, problem, reason string) (pageData, bool, error) {
	p, thread, err := lists.Message(r.Context(), s.DB, l.Name, id)
	if errors.Is(err, lists.ErrNoPost) {
		return pageData{}, false, s.listTombstone(w, r, l, id)
	}
	if err != nil {
		return pageData{}, false, listError(err)
	}
	atts, err := lists.AttachmentsOf(r.Context(), s.DB, p.ID)
	if err != nil {
		return pageData{}, false, err
	}
	p = shown(r, p)
	for i := range thread {
		thread[i] = shown(r, thread[i])
	}
	if person(r) == 0 {
		for i := range atts {
			atts[i] = atts[i].Masked()
		}
	}
	d := listMessageData{List: l, Posting: p, Address: p.Email, Parts: bodyParts(p.Body), Thread: thread,
		Nav: lists.Navigate(p, thread), Staff: identityOf(r).Has(auth.Secretariat) || identityOf(r).Has(auth.Admin), Problem: problem, Reason: reason,
		Attachments: atts}
	return pageData{Title: p.Subject, Data: d,
		Summary: "A posting by " + p.Author + " to the discussion group " + l.Name + " of " + s.Config.OrgName + "."}, true, nil
}

type listTombstoneData struct {
	List lists.List
	Tomb lists.Tombstone
}

// listTombstone answers for a removed posting: 410 Gone with the reason
// and date (R4); 404 for a number that never was a posting.
func (s *Server) listTombstone(w http.ResponseWriter, r *http.Request, l lists.List, id int64) error {
	t, err := lists.TombstoneOf(r.Context(), s.DB, l, id)
	if err != nil {
		return listError(err)
	}
	s.render(w, r, http.StatusGone, "list_tombstone", pageData{Title: "Posting removed", Data: listTombstoneData{List: l, Tomb: t}})
	return nil
}

type listThreadData struct {
	List     lists.List
	Postings []lists.Posting
	First    lists.Posting
	Removed  []lists.Tombstone
}

func (s *Server) listThread(w http.ResponseWriter, r *http.Request) error {
	l, err := s.readable(r)
	if err != nil {
		return err
	}
	id, err := postID(r)
	if err != nil {
		return err
	}
	ps, err := lists.ThreadOf(r.Context(), s.DB, l, id)
	if errors.Is(err, lists.ErrNoPost) {
		return s.listTombstone(w, r, l, id)
	}
	if err != nil {
		return err
	}
	for i := range ps {
		ps[i] = shown(r, ps[i])
	}
	removed, err := lists.TombstonesIn(r.Context(), s.DB, l, ps[0].ThreadID)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "list_thread", pageData{Title: ps[0].Subject, Data: listThreadData{List: l, Postings: ps, First: ps[0], Removed: removed}})
	return nil
}

func mboxHeaders(w http.ResponseWriter, filename string) {
	w.Header().Set("Content-Type", "application/mbox")
	w.Header().Set("Content-Disposition", `attachment; filename="`+filename+`"`)
}

func (s *Server) listMbox(w http.ResponseWriter, r *http.Request) error {
	l, err := s.readable(r)
	if err != nil {
		return err
	}
	// Streamed in batches: a list's whole archive is never held in
	// memory. Once the first bytes are out, a failure can only cut the
	// download short.
	started := false
	err = lists.ListMbox(r.Context(), s.DB, l, person(r) == 0, w, func() {
		started = true
		mboxHeaders(w, l.Name+".mbox")
	})
	if err != nil && started {
		s.Log.Error("writing a list's mbox", "list", l.Name, "err", err)
		return nil
	}
	return err
}

func (s *Server) listThreadMbox(w http.ResponseWriter, r *http.Request) error {
	l, err := s.readable(r)
	if err != nil {
		return err
	}
	id, err := postID(r)
	if err != nil {
		return err
	}
	ps, err := lists.ThreadOf(r.Context(), s.DB, l, id)
	if err != nil {
		return listError(err)
	}
	var buf bytes.Buffer
	if err := lists.WriteMboxOf(r.Context(), s.DB, ps, person(r) == 0, &buf); err != nil {
		return err
	}
	mboxHeaders(w, l.Name+"-thread-"+strconv.FormatInt(ps[0].ID, 10)+".mbox")
	_, err = w.Write(buf.Bytes())
	return err
}

type listSearchData struct {
	Q, List, Author, From, To string
	ByDate                    bool
	Lists                     []lists.List
	Results                   lists.Results
	Searched                  bool
	Problem                   string
	Next, Prev                string
}

// listSearch searches the archives the reader may read. Its terms stay
// out of the access log (searchPaths); authors are filtered by name, so
// no address is ever in its URL.
func (s *Server) listSearch(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	v := r.URL.Query()
	d := listSearchData{Q: v.Get("q"), List: v.Get("list"), Author: v.Get("author"), From: v.Get("from"), To: v.Get("to"), ByDate: v.Get("sort") == "date"}
	for _, f := range []*string{&d.Q, &d.List, &d.Author, &d.From, &d.To} {
		if !validUTF8(*f) || len(*f) > 500 {
			*f = ""
		}
	}
	readable, err := lists.Readable(ctx, s.DB, person(r))
	if err != nil {
		return err
	}
	d.Lists = readable
	q := lists.Query{Text: d.Q, List: d.List, Author: d.Author, ByDate: d.ByDate, Page: pageNumber(r), Mask: person(r) == 0}
	for _, f := range []struct {
		text string
		to   *time.Time
		name string
	}{{d.From, &q.From, "from"}, {d.To, &q.To, "to"}} {
		if f.text == "" {
			continue
		}
		t, err := time.Parse("2006-01-02", f.text)
		if err != nil {
			d.Problem = "The dates are written YYYY-MM-DD, for example 2026-03-31."
			break
		}
		*f.to = t
	}
	status := http.StatusOK
	if d.Problem != "" {
		status = http.StatusBadRequest
	} else if strings.TrimSpace(d.Q) != "" || d.Author != "" || d.From != "" || d.To != "" {
		d.Searched = true
		if d.Results, err = lists.Search(ctx, s.DB, s.DB.Dialect(), readable, q); err != nil {
			return err
		}
		page := func(n int) string {
			u := url.Values{}
			for k, val := range map[string]string{"q": d.Q, "list": d.List, "author": d.Author, "from": d.From, "to": d.To} {
				if val != "" {
					u.Set(k, val)
				}
			}
			if d.ByDate {
				u.Set("sort", "date")
			}
			u.Set("page", strconv.Itoa(n))
			return "/lists/search?" + u.Encode()
		}
		if d.Results.More {
			d.Next = page(d.Results.Page + 1)
		}
		if d.Results.Page > 1 {
			d.Prev = page(d.Results.Page - 1)
		}
	}
	s.render(w, r, status, "list_search", pageData{Title: "Search the discussion groups", Data: d})
	return nil
}

// adminListRemove removes a posting, leaving a tombstone (R4).
func (s *Server) adminListRemove(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	l, err := lists.Get(r.Context(), s.DB, r.PathValue("name"))
	if err != nil {
		return listError(err)
	}
	id, err := postID(r)
	if err != nil {
		return err
	}
	who := identityOf(r)
	reason := r.PostForm.Get("reason")
	_, err = s.listService().Remove(r.Context(), lists.Actor{ID: who.PersonID, Label: who.Name}, l.Name, id, reason)
	var probs lists.ProblemsError
	if errors.As(err, &probs) {
		if !validUTF8(reason) {
			reason = ""
		}
		return s.listMessagePage(w, r, l, id, http.StatusBadRequest, probs["reason"], reason)
	}
	if err != nil {
		return listError(err)
	}
	http.Redirect(w, r, "/lists/"+l.Name+"/msg/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}
