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
	// Data-subject rights from the inventory: a copy of everything held
	// (R2) and a request for removal (R4).
	s.handle("GET /account/export", signedIn, s.accountExport)
	s.handle("POST /account/removal", signedIn, s.accountRemoval)
	s.handle("POST /account/password", signedIn, s.accountPassword)

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
	// A child's data is purged from every store at once (CH2).
	s.handle("POST /admin/people/{id}/purge", auth.Roles(auth.Admin), s.adminPersonPurge)

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
	// Participant mailings (D1): opting in from the account page, the
	// mailed confirmation and unsubscribe links (public: a mail client's
	// one-click POST carries no cookie; GET only shows a button), and the
	// secretariat's page to write, test and send announcements and to
	// record opt-outs received by phone or post.
	s.handle("POST /account/mailings", signedIn, s.accountMailings)
	s.handle("GET /mailings/confirm/{token}", public, s.mailingConfirmPage)
	s.handle("POST /mailings/confirm/{token}", public, s.mailingConfirm)
	s.handle("GET /unsubscribe/{token}", public, s.unsubscribePage)
	s.handle("POST /unsubscribe/{token}", public, s.unsubscribe)
	mailingStaff := auth.Roles(auth.Secretariat, auth.Admin)
	s.handle("GET /admin/mailings", mailingStaff, s.adminMailings)
	s.handle("POST /admin/mailings", mailingStaff, s.adminMailingCreate)
	s.handle("POST /admin/mailings/opt-outs", mailingStaff, s.adminOptOut)
	s.handle("GET /admin/mailings/{id}", mailingStaff, s.adminMailing)
	s.handle("POST /admin/mailings/{id}/test", mailingStaff, s.adminMailingTest)
	s.handle("POST /admin/mailings/{id}/send", mailingStaff, s.adminMailingSend)
	s.handle("POST /admin/mailings/{id}", mailingStaff, s.adminMailingUpdate)
	s.handle("POST /admin/mailings/{id}/delete", mailingStaff, s.adminMailingDelete)

	// Discussion groups (G1, PUB1, D1): reading public archives and
	// subscribing need no account; a mailed link's page acts only by its
	// button (POST), which is also the RFC 8058 one-click target. Posting
	// from the web needs an account; lists and moderation are staff's.
	s.handle("GET /lists", public, s.listsIndex)
	s.handle("GET /lists/{name}", public, s.listPage)
	s.handle("POST /lists/{name}/subscribe", public, s.listSubscribe)
	s.handle("GET /lists/{name}/confirm/{token}", public, s.listTokenPage)
	s.handle("POST /lists/{name}/confirm/{token}", public, s.listTokenAct)
	s.handle("GET /lists/{name}/unsubscribe/{token}", public, s.listTokenPage)
	s.handle("POST /lists/{name}/unsubscribe/{token}", public, s.listTokenAct)
	s.handle("GET /lists/{name}/terms/{token}", public, s.listTokenPage)
	s.handle("POST /lists/{name}/terms/{token}", public, s.listTokenAct)
	s.handle("GET /lists/{name}/atom.xml", public, compressed(s.listAtom))
	s.handle("GET /lists/{name}/post", signedIn, s.listPostForm)
	s.handle("POST /lists/{name}/post", signedIn, s.listPost)
	s.handle("POST /account/lists/{id}/unsubscribe", signedIn, s.accountListUnsubscribe)
	// Discussion groups, the ingest side: attachments of postings.
	s.handle("GET /lists/{name}/msg/{id}/att/{n}", public, s.listAttachment)
	listStaff := auth.Roles(auth.Secretariat, auth.Admin)
	s.handle("GET /admin/lists", listStaff, s.adminLists)
	s.handle("POST /admin/lists", listStaff, s.adminListCreate)
	s.handle("GET /admin/lists/{name}/queue", listStaff, s.adminListQueue)
	s.handle("POST /admin/lists/{name}/queue/{id}/{action}", listStaff, s.adminListModerate)
	// Discussion groups, the reading side (G1, R4): search, the archive's
	// pages and exports (the old /archive addresses redirect for good), and
	// staff's removal of a posting, which leaves a tombstone.
	s.handle("GET /lists/search", public, s.listSearch)
	s.handle("GET /lists/{name}/msg/{id}", public, s.listMessage)
	s.handle("GET /lists/{name}/thread/{id}", public, s.listThread)
	s.handle("GET /lists/{name}/mbox", public, compressed(s.listMbox))
	s.handle("GET /lists/{name}/thread/{id}/mbox", public, compressed(s.listThreadMbox))
	s.handle("GET /lists/{name}/archive", public, s.listOldAddress)
	s.handle("GET /lists/{name}/archive/{id}", public, s.listOldAddress)
	s.handle("GET /lists/{name}/archive.mbox", public, s.listOldAddress)
	s.handle("POST /admin/lists/{name}/msg/{id}/remove", listStaff, s.adminListRemove)

	// Removal requests, decided by admins and privacy staff, each decision
	// with a reason, mailed to the requester and audited (R4).
	privacyStaff := auth.Roles(auth.Admin, auth.Privacy)
	s.handle("GET /admin/removals", privacyStaff, s.adminRemovals)
	s.handle("POST /admin/removals/{id}", privacyStaff, s.adminRemovalDecide)
	// Data-subject rights by mail and the disclosure register (R2, R4,
	// U4): requests staff enter for a person who wrote in, a copy mailed
	// for a verified request, disclosures required by law.
	s.handle("POST /admin/removals", privacyStaff, s.adminRemovalEnter)
	s.handle("POST /admin/exports", privacyStaff, s.adminExportByMail)
	s.handle("GET /admin/disclosures", privacyStaff, s.adminDisclosures)
	s.handle("POST /admin/disclosures", privacyStaff, s.adminDisclosureRecord)
	s.handle("POST /admin/disclosures/{id}/told", privacyStaff, s.adminDisclosureTold)

	// Internet-Drafts (PUB1): public records; submitting needs an account.
	s.handle("GET /drafts", public, compressed(s.drafts))
	s.handle("GET /drafts/submit", signedIn, s.draftSubmitForm)
	s.handle("POST /drafts/submit", signedIn, s.draftSubmit)
	s.handle("GET /drafts/{name}", public, compressed(s.draft))
	s.handle("GET /drafts/{name}/{rev}", public, s.draftRevision)
	s.handle("GET /drafts/{name}/diff", public, s.draftDiff)
	s.handle("GET /drafts/atom.xml", public, compressed(s.draftsAtom))
	s.handle("GET /api/drafts", public, compressed(s.apiDrafts))
	s.handle("GET /api/drafts/{name}", public, compressed(s.apiDraft))

	// Meetings (issue 10): registration works signed in or not, without
	// cookies; a registration's page is behind its unguessable link; card
	// details are typed only on the processor's page (P1); the processor's
	// webhook is verified by its signature. Card details of payments are
	// for finance alone, every view audited (P2).
	s.handle("GET /meetings", public, s.meetingsPage)
	s.handle("GET /meetings/{id}", public, s.meetingPage)
	s.handle("GET /meetings/{id}/register", public, s.registerForm)
	s.handle("POST /meetings/{id}/register", public, s.register)
	s.handle("GET /registrations/{token}", public, s.payableFrom(s.registration))
	s.handle("POST /registrations/{token}/pay", public, s.pay)
	// Payments (issue 10, read-only registration page): the page's button
	// records what the processor says.
	s.handle("POST /registrations/{token}/check", public, s.checkPayment)
	s.handle("POST /payments/webhook/{processor}", public, s.paymentWebhook)
	meetingStaff := auth.Roles(auth.Secretariat, auth.Admin)
	s.handle("GET /admin/meetings", meetingStaff, s.adminMeetings)
	s.handle("POST /admin/meetings", meetingStaff, s.adminMeetingCreate)
	finance := auth.Roles(auth.Finance)
	s.handle("GET /admin/payments", finance, s.adminPayments)
	s.handle("GET /admin/payments/{id}/refund", finance, s.adminPaymentRefundConfirm)
	s.handle("POST /admin/payments/{id}/refund", finance, s.adminPaymentRefund)
	// Meetings, the registrant's side and the secretariat's list (issue 10):
	// receipts, cancelling and refund requests through the registration's
	// own link; finance's refund requests; one meeting's registrations,
	// their CSV export and its editing.
	s.handle("GET /registrations/{token}/receipt", public, s.registrationReceipt)
	s.handle("POST /registrations/{token}/cancel", public, s.registrationCancel)
	s.handle("POST /registrations/{token}/refund", public, s.registrationRefund)
	s.handle("GET /admin/refunds", finance, s.adminRefunds)
	s.handle("GET /admin/meetings/{id}", meetingStaff, s.adminMeeting)
	s.handle("POST /admin/meetings/{id}", meetingStaff, s.adminMeetingUpdate)
	s.handle("GET /admin/meetings/{id}/registrations.csv", meetingStaff, s.adminMeetingExport)

	// IPR disclosures and liaison statements (issue 11, PUB1, R4): public
	// once posted; a participant sends a disclosure, the secretariat
	// reviews it; liaison statements are entered and posted by staff.
	s.handle("GET /ipr", public, compressed(s.iprList))
	s.handle("GET /ipr/new", signedIn, s.iprSubmitForm)
	s.handle("POST /ipr/new", signedIn, s.iprSubmit)
	s.handle("GET /ipr/{id}", public, s.iprPage)
	documentStaff := auth.Roles(auth.Secretariat, auth.Admin)
	s.handle("GET /admin/ipr", documentStaff, s.adminIPR)
	s.handle("POST /admin/ipr/{id}", documentStaff, s.adminIPRDecide)
	s.handle("GET /liaisons", public, compressed(s.liaisons))
	s.handle("GET /liaisons/{id}", public, s.liaison)
	s.handle("GET /liaisons/{id}/attachments/{aid}", public, s.liaisonAttachment)
	s.handle("GET /admin/liaisons", documentStaff, s.adminLiaisons)
	s.handle("POST /admin/liaisons", documentStaff, s.adminLiaisonEnter)
	s.handle("POST /admin/liaisons/{id}", documentStaff, s.adminLiaisonDecide)

	// The audit log itself: who accessed restricted data (S3).
	auditors := auth.Roles(auth.Security, auth.Admin)
	s.handle("GET /admin/audit", auditors, s.auditPage)
	s.handle("POST /admin/audit/verify", auditors, s.auditVerify)

	// Monitoring (issue 14): Prometheus text, open to the addresses of
	// --metrics-allow only (checked by the handler: it is not a role).
	s.handle("GET /metrics", public, s.metricsPage)

	// Anything else is a clean 404 page rather than the mux's plain text.
	s.handle("/", public, s.notFoundPage)
}
