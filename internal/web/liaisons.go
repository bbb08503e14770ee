package web

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"

	"plenary/internal/documents"
	"plenary/internal/validate"
)

// Liaison statements (PUB1): the secretariat enters what an outside
// organization sends, with its attachments, and posts it or marks it
// dead; posted statements and their attachments are public.

const liaisonListLimit = 500

type liaisonsData struct {
	Statements []documents.Liaison
}

func (s *Server) liaisons(w http.ResponseWriter, r *http.Request) error {
	list, err := documents.PostedLiaisons(r.Context(), s.DB, liaisonListLimit)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "liaisons", pageData{Title: "Liaison statements", Data: liaisonsData{Statements: list}})
	return nil
}

func liaisonID(r *http.Request, name string) (int64, error) {
	n, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil {
		return 0, notFound(documents.ErrLiaisonNotFound.Error())
	}
	return n, nil
}

// liaison shows a posted statement; others are not public.
func (s *Server) liaison(w http.ResponseWriter, r *http.Request) error {
	n, err := liaisonID(r, "id")
	if err != nil {
		return err
	}
	l, err := documents.GetLiaison(r.Context(), s.DB, n)
	if errors.Is(err, documents.ErrLiaisonNotFound) || (err == nil && l.State != documents.LiaisonPosted) {
		return notFound(documents.ErrLiaisonNotFound.Error())
	}
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "liaison", pageData{Title: "Liaison statement: " + l.Title, Data: l,
		Summary: fmt.Sprintf("Liaison statement from %s to %s: %s.", l.From, l.To, l.Title)})
	return nil
}

// liaisonAttachment serves an attachment of a posted statement as a
// download, with the type its check gave it and nothing a browser could
// run in the site's origin.
func (s *Server) liaisonAttachment(w http.ResponseWriter, r *http.Request) error {
	n, err := liaisonID(r, "id")
	if err != nil {
		return err
	}
	aid, err := liaisonID(r, "aid")
	if err != nil {
		return err
	}
	a, err := documents.LiaisonAttachment(r.Context(), s.DB, n, aid)
	if errors.Is(err, documents.ErrLiaisonNotFound) {
		return notFound(err.Error())
	}
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", a.ContentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": a.Filename}))
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Content-Length", strconv.FormatInt(int64(len(a.Data)), 10))
	_, err = w.Write(a.Data)
	return err
}

type adminLiaisonsData struct {
	Form     documents.LiaisonForm
	Problems *validate.Errors
	Purposes []documents.Choice
	Pending  []documents.Liaison
	Done     string
	MaxMB    int
	MaxFiles int
}

func (s *Server) adminLiaisonsData(r *http.Request, f documents.LiaisonForm) (adminLiaisonsData, error) {
	d := adminLiaisonsData{Form: f, Purposes: documents.LiaisonPurposes, MaxMB: documents.MaxAttachment >> 20, MaxFiles: documents.MaxAttachments}
	var err error
	d.Pending, err = documents.PendingLiaisons(r.Context(), s.DB)
	return d, err
}

// liaisonDone are the confirmations after a change, named by the query.
var liaisonDone = map[string]string{
	"entered":                "The statement is entered; post it below when it is ready.",
	documents.LiaisonActPost: "The statement is posted.",
	documents.LiaisonActDead: "The statement is marked dead and will not be published.",
}

func (s *Server) adminLiaisons(w http.ResponseWriter, r *http.Request) error {
	d, err := s.adminLiaisonsData(r, documents.LiaisonForm{Purpose: "information"})
	if err != nil {
		return err
	}
	d.Done = liaisonDone[r.URL.Query().Get("done")]
	s.render(w, r, http.StatusOK, "admin_liaisons", pageData{Title: "Liaison statements: enter and post", Data: d})
	return nil
}

// maxLiaisonField bounds a text field of the form in bytes: the longest
// statement the domain takes, in four-byte characters, and a little more
// so it can say the text is too long.
const maxLiaisonField = 100 << 10

// readLiaison reads the multipart form into memory within the limits;
// nothing is written to disk.
func readLiaison(r *http.Request) (documents.LiaisonForm, error) {
	var f documents.LiaisonForm
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || ct != "multipart/form-data" {
		return f, badRequest("The statement must be sent with its form (as multipart/form-data).")
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return f, badRequest("The form could not be read; please send it again.")
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return f, formError(err)
		}
		max := int64(maxLiaisonField)
		if part.FormName() == "attachment" {
			max = documents.MaxAttachment
		}
		b, err := io.ReadAll(io.LimitReader(part, max+1))
		part.Close()
		if err != nil {
			return f, formError(err)
		}
		if part.FormName() != "attachment" && int64(len(b)) > max {
			return f, badRequest(fmt.Sprintf("The field %q is longer than %d bytes, so the form was refused. Nothing was saved.", part.FormName(), max))
		}
		if part.FormName() == "attachment" {
			if part.FileName() == "" && len(b) == 0 {
				continue // no file chosen
			}
			f.Attachments = append(f.Attachments, documents.Attachment{Filename: part.FileName(), Data: b})
		} else if field, ok := liaisonTextFields(&f)[part.FormName()]; ok {
			*field = string(b)
		}
	}
	return f, nil
}

// liaisonTextFields maps the form's text fields to where they go.
func liaisonTextFields(f *documents.LiaisonForm) map[string]*string {
	return map[string]*string{"from": &f.From, "to": &f.To, "title": &f.Title, "purpose": &f.Purpose, "deadline": &f.Deadline,
		"body": &f.Body, "contact_name": &f.ContactName, "contact_email": &f.ContactEmail}
}

func (s *Server) adminLiaisonEnter(w http.ResponseWriter, r *http.Request) error {
	f, err := readLiaison(r)
	if err != nil {
		return err
	}
	id := identityOf(r)
	_, err = documents.EnterLiaison(r.Context(), s.DB, s.Audit, documents.Submitter{ID: id.PersonID, Name: id.Name}, f, s.Now())
	if probs, ok := validate.From(err); ok {
		// What was typed comes back (valid text only); files must be
		// chosen again.
		for _, p := range liaisonTextFields(&f) {
			if !isText(*p) {
				*p = ""
			}
		}
		f.Attachments = nil
		d, err := s.adminLiaisonsData(r, f)
		if err != nil {
			return err
		}
		d.Problems = probs
		s.render(w, r, http.StatusBadRequest, "admin_liaisons", pageData{Title: "Liaison statements: enter and post", Data: d})
		return nil
	}
	if errors.Is(err, documents.ErrNoAudit) {
		return &Error{Status: http.StatusServiceUnavailable, Message: err.Error()}
	}
	if err != nil {
		return err
	}
	// Redirected, so a reload enters nothing again.
	http.Redirect(w, r, "/admin/liaisons?done=entered", http.StatusSeeOther)
	return nil
}

func (s *Server) adminLiaisonDecide(w http.ResponseWriter, r *http.Request) error {
	n, err := liaisonID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	id := identityOf(r)
	_, err = documents.DecideLiaison(r.Context(), s.DB, s.Audit, documents.Submitter{ID: id.PersonID, Name: id.Name}, n, r.PostForm.Get("action"), s.Now())
	switch {
	case errors.Is(err, documents.ErrLiaisonNotFound):
		return notFound(err.Error())
	case errors.Is(err, documents.ErrLiaisonState):
		return &Error{Status: http.StatusConflict, Message: err.Error(), Again: "/admin/liaisons", AgainText: "Back to the statements"}
	case errors.Is(err, documents.ErrNoAudit):
		return &Error{Status: http.StatusServiceUnavailable, Message: err.Error()}
	case err != nil:
		return err
	}
	http.Redirect(w, r, "/admin/liaisons?done="+r.PostForm.Get("action"), http.StatusSeeOther)
	return nil
}
