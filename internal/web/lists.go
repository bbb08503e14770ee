package web

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"plenary/internal/lists"
	"plenary/internal/mail"
	"plenary/internal/people"
	"plenary/internal/policy"
)

// Discussion groups (G1, PUB1, D1). Reading a public archive and asking to
// subscribe need no account and set no cookie (K3); a mailed link opens a
// page whose button acts, so a link scanner's GET changes nothing. The one
// exception is RFC 8058: a mail program's one-click unsubscribe is a POST
// to the link in List-Unsubscribe, which needs no form on our side.

// listService is the lists domain's use cases over this server.
func (s *Server) listService() *lists.Service {
	return &lists.Service{DB: s.DB, Audit: s.Audit, Policy: s.Policy, Mail: durableSender{s, "a discussion-group message"},
		Domain: s.Config.MailDomain, BaseURL: s.base(), Org: s.Config.OrgName, Now: s.Now, Mailboxes: []string{lists.Mailbox(s.Config.MailingAddress)}}
}

// listError turns a refusal of the lists domain into a page.
func listError(err error) error {
	switch {
	case errors.Is(err, lists.ErrNotFound), errors.Is(err, lists.ErrNoPost):
		return notFound(err.Error())
	case errors.Is(err, lists.ErrNoSuchLink):
		return &Error{Status: http.StatusGone, Message: err.Error()}
	case errors.Is(err, lists.ErrNoAudit):
		return &Error{Status: http.StatusServiceUnavailable, Message: err.Error()}
	case errors.Is(err, lists.ErrReasonTooLong):
		return badRequest(err.Error())
	case errors.Is(err, lists.ErrNameTaken), errors.Is(err, lists.ErrNotYourMailbox):
		return &Error{Status: http.StatusConflict, Message: err.Error()}
	}
	return err
}

type listsData struct {
	Lists  []lists.List
	Domain string
}

func (s *Server) listsIndex(w http.ResponseWriter, r *http.Request) error {
	all, err := lists.All(r.Context(), s.DB)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "lists", pageData{Title: "Discussion groups", Data: listsData{Lists: all, Domain: s.Config.MailDomain}})
	return nil
}

type listData struct {
	List      lists.List
	Domain    string
	Email     string
	Problems  lists.Problems
	Collected []collectedField
	Transfer  string
	CanRead   bool
	// The archive, when CanRead: threads, or postings by date.
	ByDate   bool
	Threads  []lists.Thread
	Postings []lists.Posting
	Page     int
	More     bool
}

func (s *Server) listPageData(r *http.Request, name string) (listData, error) {
	l, err := lists.Get(r.Context(), s.DB, name)
	if err != nil {
		return listData{}, listError(err)
	}
	var person int64
	if id := identityOf(r); id != nil {
		person = id.PersonID
	}
	can, err := lists.CanRead(r.Context(), s.DB, l, person)
	if err != nil {
		return listData{}, err
	}
	return listData{List: l, Domain: s.Config.MailDomain, Problems: lists.Problems{}, CanRead: can,
		Collected: s.collected("list_subscriptions.email", "list_contributors.name", "list_posts.body"),
		Transfer:  s.Policy.TransferStatement()}, nil
}

func (s *Server) listPage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.listPageData(r, r.PathValue("name"))
	if err != nil {
		return err
	}
	if err := s.listArchiveInto(r, &d); err != nil {
		return err
	}
	d.Email = s.ownAddress(r)
	s.render(w, r, http.StatusOK, "list", pageData{Title: d.List.Name, Data: d})
	return nil
}

// ownAddress is the signed-in person's confirmed primary address, to
// fill in a form that asks for an address; "" for anyone else.
func (s *Server) ownAddress(r *http.Request) string {
	id := identityOf(r)
	if id == nil {
		return ""
	}
	e, err := people.Primary(r.Context(), s.DB, id.PersonID)
	if err != nil || !e.Verified() {
		return ""
	}
	return e.Address
}

// listSubscribe asks for a subscription; the answer is the same whether
// or not the address was subscribed, so the form tells nobody who is.
func (s *Server) listSubscribe(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	d, err := s.listPageData(r, r.PathValue("name"))
	if err != nil {
		return err
	}
	ctx := r.Context()
	addr := r.PostForm.Get("email")
	if err := s.limit(ctx, limitCheck{inquiryPerIP, s.clientKey(r)}, limitCheck{inquiryPerAddress, strings.ToLower(addr)}); err != nil {
		return err
	}
	var person int64
	if id := identityOf(r); id != nil {
		person = id.PersonID
	}
	err = s.listService().Subscribe(ctx, d.List.Name, addr, person)
	var probs lists.ProblemsError
	if errors.As(err, &probs) {
		if validUTF8(addr) {
			d.Email = addr
		}
		d.Problems = lists.Problems(probs)
		if err := s.listArchiveInto(r, &d); err != nil {
			return err
		}
		s.render(w, r, http.StatusBadRequest, "list", pageData{Title: d.List.Name, Data: d})
		return nil
	}
	if err != nil {
		return listError(err)
	}
	s.render(w, r, http.StatusOK, "message", pageData{Title: "Confirm your subscription", Data: messageData{
		Heading: "Please confirm by e-mail",
		Text: "We have sent a link to the address you gave. Open it and press the button on its page to start receiving " + d.List.Address(s.Config.MailDomain) +
			". Until you do, nothing is sent to you, and the request is deleted after " + strconv.Itoa(lists.PendingDays) + " days.",
		Link: "/lists/" + d.List.Name, LinkText: "Back to the list",
	}})
	return nil
}

type listTokenData struct {
	List    string
	Token   string
	Action  string // confirm, unsubscribe or terms
	Heading string
	Text    string
	Button  string
	Terms   string
}

// listLink checks a mailed link before its page shows anything or its
// POST does anything: the list must exist and the token must be one of
// that list's (lists.SubscriptionLink, lists.TermsLink). A link that
// fails is answered with a page that says nothing was changed and where
// to go on; sub is set for confirm and unsubscribe.
func (s *Server) listLink(r *http.Request, action string) (lists.List, lists.Subscription, error) {
	ctx := r.Context()
	name, token := r.PathValue("name"), r.PathValue("token")
	l, err := lists.Get(ctx, s.DB, name)
	if errors.Is(err, lists.ErrNotFound) {
		return l, lists.Subscription{}, &Error{Status: http.StatusNotFound, Again: "/lists", AgainText: "See the discussion groups",
			Message: "There is no discussion group of this name, so this link does nothing, and nothing was changed."}
	}
	if err != nil {
		return l, lists.Subscription{}, err
	}
	addr := l.Address(s.Config.MailDomain)
	notHere := func(msg string) error {
		return &Error{Status: http.StatusNotFound, Message: msg, Again: "/lists/" + l.Name, AgainText: "Go to the page of " + addr}
	}
	var sub lists.Subscription
	switch action {
	case "confirm":
		sub, err = lists.SubscriptionLink(ctx, s.DB, l, token)
		if errors.Is(err, lists.ErrLinkNotHere) {
			return l, sub, notHere("This link does not confirm any subscription to " + addr + ", and nothing was changed. " +
				"It is not one we sent for this list, or the request it named was deleted unconfirmed. You can ask again on the list's page.")
		}
		if err == nil && sub.Expired(s.Now()) {
			return l, sub, &Error{Status: http.StatusGone, Again: "/lists/" + l.Name, AgainText: "Ask again on the list's page",
				Message: "This link expired: a subscription is confirmed within " + strconv.Itoa(lists.PendingDays) + " days of asking for it. Nothing was changed; ask again and a new link is mailed to you."}
		}
	case "unsubscribe":
		sub, err = lists.SubscriptionLink(ctx, s.DB, l, token)
		if errors.Is(err, lists.ErrLinkNotHere) {
			// A used link cannot be told from one never sent: an ended
			// subscription is deleted with its token. So the page
			// claims nothing either way.
			return l, sub, notHere("This link does not end any subscription to " + addr + ", and nothing was changed. " +
				"Either it was used already, and the subscription it named ended then, or it is not one we sent for this list. " +
				"If messages of the list still reach you, use the link in the newest one.")
		}
	default:
		_, err = lists.TermsLink(ctx, s.DB, l, token)
		if errors.Is(err, lists.ErrLinkNotHere) {
			return l, sub, notHere("This link does not belong to a posting to " + addr + ", and nothing was changed. " +
				"It is not one we sent for this list, or the posting it named was deleted.")
		}
	}
	return l, sub, err
}

// listTokenPage shows the button a mailed link leads to.
func (s *Server) listTokenPage(w http.ResponseWriter, r *http.Request) error {
	action := tokenAction(r)
	l, sub, err := s.listLink(r, action)
	if err != nil {
		return err
	}
	addr := l.Address(s.Config.MailDomain)
	d := listTokenData{List: l.Name, Token: r.PathValue("token"), Action: action}
	switch action {
	case "confirm":
		d.Heading, d.Button = "Confirm your subscription", "Confirm the subscription"
		d.Text = "Press the button to receive the messages of " + addr + " at " + sub.Email + ". You can leave at any time from the link in every message."
	case "unsubscribe":
		d.Heading, d.Button = "Leave "+l.Name, "Unsubscribe"
		d.Text = "Press the button to stop receiving " + addr + " at " + sub.Email + ". Your subscription is deleted."
	default:
		d.Heading, d.Button, d.Terms = "Publish your posting", "I accept: publish my postings", lists.Terms
		d.Text = "Your posting to " + addr + " is held until you accept, once, what posting means:"
	}
	s.render(w, r, http.StatusOK, "list_token", pageData{Title: d.Heading, Data: d})
	return nil
}

func tokenAction(r *http.Request) string {
	p := r.URL.Path
	switch {
	case strings.Contains(p, "/confirm/"):
		return "confirm"
	case strings.Contains(p, "/unsubscribe/"):
		return "unsubscribe"
	}
	return "terms"
}

// listTokenAct does what the page's button says; for unsubscribe it is
// also the RFC 8058 one-click target, which a mail program POSTs in the
// background with no page to show.
//
// A one-click POST with a link that names no subscription of the list is
// answered 404, like the page: an ended subscription is deleted with its
// token, so a link used before cannot be told from one never sent, and
// answering 200 would claim success for a forged link. RFC 8058 asks
// nothing of the status, and no mail program shows this answer to the
// person. A POST that loses a race with another one for the same link
// (the subscription found, then gone) answers 200: it named a real
// subscription, and that subscription has ended.
func (s *Server) listTokenAct(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	action := tokenAction(r)
	l, _, err := s.listLink(r, action)
	if err != nil {
		return err
	}
	token := r.PathValue("token")
	addr := l.Address(s.Config.MailDomain)
	svc := s.listService()
	switch action {
	case "confirm":
		if _, err := svc.Confirm(ctx, token); err != nil {
			return listError(err)
		}
		s.render(w, r, http.StatusOK, "message", pageData{Title: "Subscribed", Data: messageData{
			Heading: "You are subscribed",
			Text:    "Messages of " + addr + " now come to you. Each carries a link to leave.",
			Link:    "/lists/" + l.Name, LinkText: "Read the archive"}})
	case "unsubscribe":
		if _, err := svc.Unsubscribe(ctx, token, policy.ChannelWeb); err != nil && !errors.Is(err, lists.ErrNoSuchLink) {
			return listError(err)
		}
		s.render(w, r, http.StatusOK, "message", pageData{Title: "Unsubscribed", Data: messageData{
			Heading: "You are unsubscribed",
			Text:    "Nothing more of " + addr + " is sent to this address, and its subscription is deleted.",
			Link:    "/lists/" + l.Name, LinkText: "Back to the list"}})
	default:
		n, err := svc.AcceptTerms(ctx, token)
		if err != nil {
			return listError(err)
		}
		s.render(w, r, http.StatusOK, "message", pageData{Title: "Terms accepted", Data: messageData{
			Heading: "Thank you",
			Text:    "Your acceptance is recorded. " + releasedText(n),
			Link:    "/lists/" + l.Name, LinkText: "Read the archive"}})
	}
	return nil
}

type listPostData struct {
	List         lists.List
	Domain       string
	Form         lists.Draft
	Problems     lists.Problems
	NeedsTerms   bool
	Terms        string
	ReplyTo      int64
	ReplySubject string
}

func (s *Server) listPostForm(w http.ResponseWriter, r *http.Request) error {
	d, err := s.listPostData(r)
	if err != nil {
		return err
	}
	p, ok, err := s.replyTarget(r, d.List, r.URL.Query().Get("reply"))
	if err != nil {
		return err
	}
	if ok {
		d.ReplyTo = p.ID
		d.Form.Subject = p.Subject
		if !strings.HasPrefix(strings.ToLower(p.Subject), "re:") {
			d.Form.Subject = "Re: " + p.Subject
		}
	}
	s.render(w, r, http.StatusOK, "list_post", pageData{Title: "Post to " + d.List.Name, Data: d})
	return nil
}

// replyTarget reads the posting a reply names (the reply parameter), when
// the signed-in person may read it: one they may not is answered as one
// that does not exist, a new thread, and its subject is not shown.
func (s *Server) replyTarget(r *http.Request, l lists.List, reply string) (lists.Posting, bool, error) {
	id, err := strconv.ParseInt(reply, 10, 64)
	if err != nil {
		return lists.Posting{}, false, nil
	}
	p, err := lists.ReplyTarget(r.Context(), s.DB, l, person(r), id)
	if errors.Is(err, lists.ErrNoPost) {
		return p, false, nil
	}
	return p, err == nil, err
}

func (s *Server) listPostData(r *http.Request) (listPostData, error) {
	l, err := lists.Get(r.Context(), s.DB, r.PathValue("name"))
	if err != nil {
		return listPostData{}, listError(err)
	}
	accepted, err := lists.HasAccepted(r.Context(), s.DB, identityOf(r).PersonID)
	if err != nil {
		return listPostData{}, err
	}
	return listPostData{List: l, Domain: s.Config.MailDomain, Problems: lists.Problems{}, NeedsTerms: !accepted, Terms: lists.Terms}, nil
}

func (s *Server) listPost(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	d, err := s.listPostData(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	id := identityOf(r)
	primary, err := people.Primary(ctx, s.DB, id.PersonID)
	if err != nil {
		return err
	}
	draft := lists.Draft{List: d.List.Name, Name: id.Name, Email: primary.Address, PersonID: id.PersonID,
		Subject: r.PostForm.Get("subject"), Body: r.PostForm.Get("body"),
		AcceptTerms: !d.NeedsTerms || r.PostForm.Get("accept_terms") != "", Channel: policy.ChannelWeb}
	p, ok, err := s.replyTarget(r, d.List, r.PostForm.Get("reply"))
	if err != nil {
		return err
	}
	if ok {
		draft.InReplyTo, d.ReplyTo = p.MessageID, p.ID
	}
	res, err := s.listService().Post(ctx, draft)
	var probs lists.ProblemsError
	if errors.As(err, &probs) {
		for _, v := range []*string{&draft.Subject, &draft.Body} {
			if !validUTF8(*v) {
				*v = ""
			}
		}
		d.Form, d.Problems = draft, lists.Problems(probs)
		s.render(w, r, http.StatusBadRequest, "list_post", pageData{Title: "Post to " + d.List.Name, Data: d})
		return nil
	}
	var refused *mail.Refusal
	if errors.As(err, &refused) {
		return &Error{Status: http.StatusConflict, Message: refused.Message}
	}
	if err != nil {
		return listError(err)
	}
	if res.Posting.Status == lists.Published {
		http.Redirect(w, r, "/lists/"+d.List.Name+"/msg/"+strconv.FormatInt(res.Posting.ID, 10), http.StatusSeeOther)
		return nil
	}
	s.render(w, r, http.StatusOK, "message", pageData{Title: "Posting held", Data: messageData{
		Heading: "Your posting waits for a moderator",
		Text:    "This list's postings from you are read by a moderator first. It is published once approved, and deleted unpublished after " + strconv.Itoa(lists.HeldDays) + " days otherwise.",
		Link:    "/lists/" + d.List.Name, LinkText: "Back to the list"}})
	return nil
}

func (s *Server) readable(r *http.Request) (lists.List, error) {
	l, err := lists.Get(r.Context(), s.DB, r.PathValue("name"))
	if err != nil {
		return l, listError(err)
	}
	var person int64
	if id := identityOf(r); id != nil {
		person = id.PersonID
	}
	ok, err := lists.CanRead(r.Context(), s.DB, l, person)
	if err != nil {
		return l, err
	}
	if !ok {
		return l, &Error{Status: http.StatusForbidden, Message: lists.ErrNotReadable.Error()}
	}
	return l, nil
}

// listAtom is the list's Atom feed: postings republished (G1).
func (s *Server) listAtom(w http.ResponseWriter, r *http.Request) error {
	l, err := s.readable(r)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := lists.WriteAtom(r.Context(), s.DB, l, s.base(), person(r) == 0, &buf); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	_, err = w.Write(buf.Bytes())
	return err
}

// The staff side: creating lists and the moderation queue.

type adminListsData struct {
	Lists    []lists.List
	Domain   string
	Form     lists.NewList
	Problems lists.Problems
	Done     string
}

func (s *Server) adminLists(w http.ResponseWriter, r *http.Request) error {
	return s.adminListsPage(w, r, http.StatusOK, adminListsData{Problems: lists.Problems{}, Done: map[string]string{"created": "The list is created."}[r.URL.Query().Get("done")]})
}

func (s *Server) adminListsPage(w http.ResponseWriter, r *http.Request, status int, d adminListsData) error {
	all, err := lists.All(r.Context(), s.DB)
	if err != nil {
		return err
	}
	d.Lists, d.Domain = all, s.Config.MailDomain
	s.render(w, r, status, "admin_lists", pageData{Title: "Discussion groups", Data: d})
	return nil
}

func (s *Server) adminListCreate(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	id := identityOf(r)
	form := lists.NewList{Name: r.PostForm.Get("name"), Description: r.PostForm.Get("description"), Posting: r.PostForm.Get("posting"), Archive: r.PostForm.Get("archive"),
		NoSearch: r.PostForm.Get("no_search") != ""}
	_, err := s.listService().Create(r.Context(), lists.Actor{ID: id.PersonID, Label: id.Name}, form)
	var probs lists.ProblemsError
	if errors.As(err, &probs) || errors.Is(err, lists.ErrNameTaken) {
		p := lists.Problems(probs)
		if p == nil {
			p = lists.Problems{"name": err.Error()}
		}
		for _, v := range []*string{&form.Name, &form.Description} {
			if !validUTF8(*v) {
				*v = ""
			}
		}
		return s.adminListsPage(w, r, http.StatusBadRequest, adminListsData{Form: form, Problems: p})
	}
	if err != nil {
		return listError(err)
	}
	http.Redirect(w, r, "/admin/lists?done=created", http.StatusSeeOther)
	return nil
}

type adminQueueData struct {
	List lists.List
	Held []lists.Posting
	Done string
}

func (s *Server) adminListQueue(w http.ResponseWriter, r *http.Request) error {
	l, err := lists.Get(r.Context(), s.DB, r.PathValue("name"))
	if err != nil {
		return listError(err)
	}
	held, err := lists.Queue(r.Context(), s.DB, l.Name)
	if err != nil {
		return err
	}
	done := map[string]string{"approve": "The posting is published.", "reject": "The posting is rejected and deleted."}[r.URL.Query().Get("done")]
	s.render(w, r, http.StatusOK, "admin_list_queue", pageData{Title: "Moderation queue of " + l.Name, Data: adminQueueData{List: l, Held: held, Done: done}})
	return nil
}

func (s *Server) adminListModerate(w http.ResponseWriter, r *http.Request) error {
	name, action := r.PathValue("name"), r.PathValue("action")
	if action != "approve" && action != "reject" {
		return notFound("There is no such action.")
	}
	postID, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return notFound(lists.ErrNoPost.Error())
	}
	if _, err := lists.Get(r.Context(), s.DB, name); err != nil {
		return listError(err)
	}
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	id := identityOf(r)
	if err := s.listService().Moderate(r.Context(), lists.Actor{ID: id.PersonID, Label: id.Name}, name, postID, action == "approve", r.PostForm.Get("reason")); err != nil {
		return listError(err)
	}
	http.Redirect(w, r, "/admin/lists/"+name+"/queue?done="+action, http.StatusSeeOther)
	return nil
}

// accountListUnsubscribe ends one of the signed-in person's subscriptions.
func (s *Server) accountListUnsubscribe(w http.ResponseWriter, r *http.Request) error {
	subID, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return notFound("There is no such subscription.")
	}
	if _, err := s.listService().UnsubscribeMine(r.Context(), identityOf(r).PersonID, subID); err != nil {
		if errors.Is(err, lists.ErrNoSuchLink) {
			return notFound("There is no such subscription.")
		}
		return listError(err)
	}
	http.Redirect(w, r, "/account?done=unsubscribed#lists", http.StatusSeeOther)
	return nil
}

// releasedText says what became of the postings that waited for the
// terms: which are published, which wait for moderators.
func releasedText(n lists.Released) string {
	const moderators = " the list's moderators, who will tell you by mail what they decide."
	switch {
	case n.Total() == 0:
		return "No posting of yours was waiting for it."
	case n.Total() == 1 && n.Published == 1:
		return "Your posting is published."
	case n.Total() == 1:
		return "Your posting now waits for" + moderators
	case n.Moderated == 0:
		return "Your " + strconv.Itoa(n.Published) + " postings are published."
	case n.Published == 0:
		return "Your " + strconv.Itoa(n.Moderated) + " postings now wait for" + moderators
	}
	is, waits := " are published; ", " wait for"
	if n.Published == 1 {
		is = " is published; "
	}
	if n.Moderated == 1 {
		waits = " waits for"
	}
	return strconv.Itoa(n.Published) + " of your postings" + is + strconv.Itoa(n.Moderated) + waits + moderators
}
