package web

import (
	"errors"
	"mime"
	"net/http"
	"strconv"

	"plenary/internal/lists"
)

// listAttachment serves attachment n of a posting as a download, under
// the list's archive visibility: Content-Disposition attachment, a type
// from a short safe list (anything else is application/octet-stream),
// and a sandbox, so no attachment runs as a page of the site. A reader
// who is not signed in gets text files with their addresses masked.
func (s *Server) listAttachment(w http.ResponseWriter, r *http.Request) error {
	l, err := s.readable(r)
	if err != nil {
		return err
	}
	id, err1 := strconv.ParseInt(r.PathValue("id"), 10, 64)
	n, err2 := strconv.Atoi(r.PathValue("n"))
	if err1 != nil || err2 != nil {
		return notFound(lists.ErrNoAttachment.Error())
	}
	a, data, err := lists.AttachmentFile(r.Context(), s.DB, l.Name, id, n)
	if errors.Is(err, lists.ErrNoAttachment) {
		return notFound(err.Error())
	}
	if err != nil {
		return err
	}
	if person(r) == 0 {
		a = a.Masked()
		data = lists.MaskedContents(a.ContentType, data)
	}
	h := w.Header()
	h.Set("Content-Type", a.ContentType)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": a.Filename}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Content-Length", strconv.Itoa(len(data)))
	_, err = w.Write(data)
	return err
}
