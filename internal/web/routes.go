package web

import "plenary/internal/auth"

// registerRoutes is the one place where every route and its access rule is
// declared. A route with no rule panics at start (default deny), and
// TestEveryRouteEnforcesItsRule walks this table for every role.
func (s *Server) registerRoutes() {
	public := auth.Public()

	s.handle("GET /{$}", public, s.home)
	s.handle("GET /healthz", public, s.healthz)
	s.handle("GET /static/{hash}/{file}", public, s.serveStatic)

	s.handle("GET /privacy", public, s.privacy)
	s.handle("GET /privacy/cookies", public, s.privacyCookies)
	s.handle("GET /privacy/versions", public, s.privacyVersions)
	s.handle("GET /privacy/versions/{id}", public, s.privacyVersion)

	// Usage trends: aggregates only (U1), for the staff who run the site.
	s.handle("GET /admin/analytics", auth.Roles(auth.Secretariat, auth.Admin), s.analytics)

	// Raw access-log look-ups: security staff only, with a reason, audited (C3).
	security := auth.Roles(auth.Security)
	s.handle("GET /admin/logs/lookup", security, s.logLookupForm)
	s.handle("POST /admin/logs/lookup", security, s.logLookup)

	// Accounts. The forms are public and set no cookie (K3); a cookie is
	// set only by a successful sign-in (K1, K4).
	s.handle("GET /signup", public, s.signupForm)
	s.handle("POST /signup", public, s.signup)
	s.handle("GET /verify/{token}", public, s.verifyPage)
	s.handle("POST /verify/{token}", public, s.verify)
	s.handle("GET /login", public, s.loginForm)
	s.handle("POST /login", public, s.login)
	s.handle("GET /logout", public, s.logoutPage)
	s.handle("POST /logout", public, s.logout)
	s.handle("GET /reset", public, s.resetForm)
	s.handle("POST /reset", public, s.resetRequest)
	s.handle("GET /reset/{token}", public, s.resetTokenForm)
	s.handle("POST /reset/{token}", public, s.resetPassword)
	s.handle("GET /signin/{token}", public, s.signInLinkPage)
	s.handle("POST /signin/{token}", public, s.signInByLink)

	// A participant's own data: see and correct it (R3), the consent
	// record (C5) and acknowledging a material policy change (V3).
	signedIn := auth.SignedIn()
	s.handle("GET /account", signedIn, s.account)
	s.handle("POST /account", signedIn, s.accountUpdate)
	s.handle("POST /account/emails", signedIn, s.accountAddEmail)
	s.handle("POST /account/emails/{email}/{action}", signedIn, s.accountEmailAction)
	s.handle("GET /account/acknowledge", signedIn, s.acknowledgeForm)
	s.handle("POST /account/acknowledge", signedIn, s.acknowledge)

	// The participant database: staff who keep it correct on request;
	// roles are an admin's alone. Every view is audited.
	peopleStaff := auth.Roles(auth.Secretariat, auth.Admin)
	s.handle("GET /admin/people", peopleStaff, s.adminPeople)
	s.handle("POST /admin/people", peopleStaff, s.adminPeopleSearch)
	s.handle("GET /admin/people/{id}", peopleStaff, s.adminPerson)
	s.handle("POST /admin/people/{id}", peopleStaff, s.adminPersonUpdate)
	s.handle("POST /admin/people/{id}/emails", peopleStaff, s.adminPersonAddEmail)
	s.handle("POST /admin/people/{id}/emails/{email}/{action}", peopleStaff, s.adminPersonEmailAction)
	s.handle("POST /admin/people/{id}/roles", auth.Roles(auth.Admin), s.adminPersonRoles)

	// Inquiries (R1, U5): the contact form is for anyone and needs no
	// cookie (K3); the inbox is for the staff who answer, privacy
	// questions for admins only (checked in inquiries), every view audited.
	s.handle("GET /contact", public, s.contactForm)
	s.handle("POST /contact", public, s.contact)
	inquiryStaff := auth.Roles(auth.Secretariat, auth.Admin)
	s.handle("GET /admin/inquiries", inquiryStaff, s.adminInquiries)
	s.handle("GET /admin/inquiries/{id}", inquiryStaff, s.adminInquiry)
	s.handle("POST /admin/inquiries/{id}/reply", inquiryStaff, s.adminInquiryReply)
	s.handle("POST /admin/inquiries/{id}/close", inquiryStaff, s.adminInquiryClose)

	// Meetings (issue 10): registration works signed in or not, without
	// cookies; a registration's page is behind its unguessable link; card
	// details are typed only on the processor's page (P1); the processor's
	// webhook is verified by its signature. Card details of payments are
	// for finance alone, every view audited (P2).
	s.handle("GET /meetings", public, s.meetingsPage)
	s.handle("GET /meetings/{id}", public, s.meetingPage)
	s.handle("GET /meetings/{id}/register", public, s.registerForm)
	s.handle("POST /meetings/{id}/register", public, s.register)
	s.handle("GET /registrations/{token}", public, s.registration)
	s.handle("POST /registrations/{token}/pay", public, s.pay)
	s.handle("POST /payments/webhook/{processor}", public, s.paymentWebhook)
	meetingStaff := auth.Roles(auth.Secretariat, auth.Admin)
	s.handle("GET /admin/meetings", meetingStaff, s.adminMeetings)
	s.handle("POST /admin/meetings", meetingStaff, s.adminMeetingCreate)
	finance := auth.Roles(auth.Finance)
	s.handle("GET /admin/payments", finance, s.adminPayments)
	s.handle("POST /admin/payments/{id}/refund", finance, s.adminPaymentRefund)

	// The audit log itself: who accessed restricted data (S3).
	auditors := auth.Roles(auth.Security, auth.Admin)
	s.handle("GET /admin/audit", auditors, s.auditPage)
	s.handle("POST /admin/audit/verify", auditors, s.auditVerify)

	// Anything else is a clean 404 page rather than the mux's plain text.
	s.handle("/", public, s.notFoundPage)
}
