package web

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"

	"plenary/internal/meetings"
	"plenary/internal/validate"
)

// One meeting for the secretariat (issue 10): its registrations with
// their details (the view audited), the CSV export of that list (audited,
// never cached, no personal data in its address), and the meeting's
// details and ticket types to edit.

type adminMeetingData struct {
	Meeting       meetings.Meeting
	Registrations []meetings.Own
	Form          meetings.Form
	Problems      *validate.Errors
	Done          string
}

// meetingDone are the messages the meeting's page shows after a change.
var meetingDone = map[string]string{
	"created": "The meeting is created, and its public page is up.",
	"saved":   "The meeting is saved.",
}

func (s *Server) adminMeetingPage(w http.ResponseWriter, r *http.Request, status int, m meetings.Meeting, d adminMeetingData) error {
	id := identityOf(r)
	list, err := meetings.Roster(r.Context(), s.DB, s.Audit, meetings.Staff{ID: id.PersonID, Name: id.Name}, m.ID, "meetings.roster.view")
	if err != nil {
		return meetingError(err)
	}
	d.Meeting, d.Registrations = m, list
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, status, "admin_meeting", pageData{Title: m.Name + ": registrations", Data: d})
	return nil
}

func (s *Server) adminMeeting(w http.ResponseWriter, r *http.Request) error {
	m, err := s.meetingOf(r)
	if err != nil {
		return err
	}
	return s.adminMeetingPage(w, r, http.StatusOK, m, adminMeetingData{Form: meetings.FormOf(m), Done: meetingDone[r.URL.Query().Get("done")]})
}

func (s *Server) adminMeetingUpdate(w http.ResponseWriter, r *http.Request) error {
	m, err := s.meetingOf(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	f := meetingForm(r.PostForm)
	changed, err := f.Clean()
	if err == nil {
		id := identityOf(r)
		err = meetings.Update(r.Context(), s.DB, s.Audit, meetings.Staff{ID: id.PersonID, Name: id.Name}, m.ID, changed)
	}
	if problems, ok := validate.From(err); ok {
		for _, v := range []*string{&f.Name, &f.StartsOn, &f.EndsOn, &f.Place, &f.TimeZone, &f.Opens, &f.Closes, &f.Capacity, &f.Tickets} {
			*v = keptText(*v)
		}
		return s.adminMeetingPage(w, r, http.StatusBadRequest, m, adminMeetingData{Form: f, Problems: problems})
	}
	if err != nil {
		return meetingError(err)
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/meetings/%d?done=saved", m.ID), http.StatusSeeOther)
	return nil
}

// adminMeetingExport sends the registration list as a CSV file. The
// address carries only the meeting's number; the response carries the
// personal data, so it is never stored by a cache and its download is
// written to the audit log.
func (s *Server) adminMeetingExport(w http.ResponseWriter, r *http.Request) error {
	m, err := s.meetingOf(r)
	if err != nil {
		return err
	}
	id := identityOf(r)
	list, err := meetings.Roster(r.Context(), s.DB, s.Audit, meetings.Staff{ID: id.PersonID, Name: id.Name}, m.ID, "meetings.roster.export")
	if err != nil {
		return meetingError(err)
	}
	var buf bytes.Buffer
	if err := meetings.WriteCSV(&buf, list); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="meeting-`+strconv.FormatInt(m.ID, 10)+`-registrations.csv"`)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(buf.Bytes())
	return err
}
