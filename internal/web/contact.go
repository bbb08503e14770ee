package web

import (
	"errors"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"plenary/internal/accesslog"
	"plenary/internal/auth"
	"plenary/internal/inquiries"
	"plenary/internal/people"
)

// The contact form (R1, U5) works for anyone, signed in or not, with
// cookies off (K3): it sets no cookie, and cross-site posts are refused by
// the browser's Fetch Metadata headers, not by a token in a cookie. Abuse is
// held off without cookies or captchas: rate limits per address, per IP and
// per network, the body size limit, and a honeypot field.

// honeypotField is a field people never see or fill in; a form that
// arrives with it filled is from a program, and is answered as if it
// were sent but kept nowhere.
const honeypotField = "website"

// The limits on inquiries, per 15 minutes (auth.Limiter windows).
var (
	inquiryPerAddress = auth.Limiter{Action: "inquiry-address", Max: 3, Window: 15 * time.Minute}
	inquiryPerIP      = auth.Limiter{Action: "inquiry-ip", Max: 5, Window: 15 * time.Minute}
	inquiryPerNetwork = auth.Limiter{Action: "inquiry-network", Max: 20, Window: 15 * time.Minute}
)

type contactData struct {
	Form       inquiries.Form
	Problems   inquiries.Problems
	Categories []inquiries.Category
	Disclosure []disclosureGroup
	Transfer   string
	Country    string
	Org        string
	Contact    string
}

func (s *Server) contactData() contactData {
	return contactData{
		Categories: inquiries.Categories,
		Disclosure: groupCollected(s.collected("inquiries.name", "inquiries.email", "inquiries.category", "inquiries.message", "inquiry_messages.body")),
		Transfer:   s.Policy.TransferStatement(),
		Country:    s.Config.OrgCountry,
		Org:        s.Config.OrgName,
		Contact:    s.Config.PrivacyContact,
		Problems:   inquiries.Problems{},
	}
}

func (s *Server) contactForm(w http.ResponseWriter, r *http.Request) error {
	d := s.contactData()
	// A link such as the privacy statement's may preselect a category.
	if c, ok := inquiries.CategoryOf(r.URL.Query().Get("category")); ok {
		d.Form.Category = c.Key
	}
	s.render(w, r, http.StatusOK, "contact", pageData{Title: "Contact", Data: d})
	return nil
}

// contact takes an inquiry. Nothing is kept when the form has a problem.
func (s *Server) contact(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	d := s.contactData()
	typed := inquiries.Form{
		Name: r.PostForm.Get("name"), Email: r.PostForm.Get("email"), Category: r.PostForm.Get("category"),
		Message: r.PostForm.Get("message"), Consent: r.PostForm.Get("consent") != "",
	}
	form, problems := typed.Clean()
	if len(problems) > 0 {
		// What was typed is shown again, except text that is not valid
		// UTF-8, which cannot be.
		for _, v := range []*string{&typed.Name, &typed.Email, &typed.Category, &typed.Message} {
			if !validUTF8(*v) {
				*v = ""
			}
		}
		d.Form, d.Problems = typed, problems
		s.render(w, r, http.StatusBadRequest, "contact", pageData{Title: "Contact", Data: d})
		return nil
	}
	ctx := r.Context()
	if err := s.limit(ctx,
		limitCheck{inquiryPerIP, s.clientKey(r)},
		limitCheck{inquiryPerNetwork, s.networkKey(r)},
		limitCheck{inquiryPerAddress, strings.ToLower(form.Email)}); err != nil {
		return err
	}
	if r.PostForm.Get(honeypotField) != "" {
		s.contactSent(w, r, form)
		return nil
	}
	cur, err := s.Policy.Current(ctx)
	if err != nil {
		return err
	}
	in, err := inquiries.Submit(ctx, s.DB, s.Audit, inquiries.Submission{Form: form, VersionID: cur.ID, Transfer: d.Transfer}, s.Now())
	if errors.Is(err, inquiries.ErrNoAudit) {
		return &Error{Status: http.StatusServiceUnavailable, Message: err.Error()}
	}
	if err != nil {
		return err
	}
	if in.Category == inquiries.Privacy {
		s.sendInBackground(r, inquiries.PrivacyNotice(in, s.Config.PrivacyContact, s.base(), s.Config.OrgName), "the privacy contact's notice")
	}
	s.contactSent(w, r, form)
	return nil
}

func (s *Server) contactSent(w http.ResponseWriter, r *http.Request, f inquiries.Form) {
	who := "the staff who answer inquiries"
	if f.Category == inquiries.Privacy {
		who = "the administrators who answer privacy questions"
	}
	s.render(w, r, http.StatusOK, "message", pageData{Title: "Inquiry sent", Data: messageData{
		Heading: "Thank you, your inquiry was sent",
		Text:    "It goes to " + who + ", who will answer by e-mail at " + f.Email + ". To add something, reply to that answer.",
		Link:    "/", LinkText: "Back to the home page",
	}})
}

// networkKey names the network a request comes from: the /24 of an IPv4
// address, the /48 of an IPv6 one, so that one network cannot flood the
// inbox by changing addresses.
func (s *Server) networkKey(r *http.Request) string {
	ip := accesslog.ClientIP(r, s.Config.TrustedProxies)
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	bits := 48
	if a = a.Unmap().WithZone(""); a.Is4() {
		bits = 24
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return ip
	}
	return p.String()
}

// ownInquiries returns the inquiries sent from a person's active
// addresses whose mailbox they proved, for their own account page.
func (s *Server) ownInquiries(r *http.Request, v people.Record) ([]inquiries.Inquiry, error) {
	var addrs []string
	for _, e := range v.Emails {
		if e.MailboxProven() && e.Active {
			addrs = append(addrs, e.Address)
		}
	}
	return inquiries.SentFrom(r.Context(), s.DB, addrs)
}
