package web

import "net/http"

// logoutPage answers someone who typed /logout or followed a link to it:
// signing out changes state, so it takes the button on this page (POST),
// never the GET itself.
func (s *Server) logoutPage(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, "logout", pageData{Title: "Sign out", Data: identityOf(r) != nil})
	return nil
}
