package web

import (
	"context"
	"encoding/xml"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"plenary/internal/auth"
	"plenary/internal/lists"
	"plenary/internal/mail"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

var listLink = regexp.MustCompile(`https?://[^/\s]+(/lists/[a-z0-9-]+/(?:confirm|terms|unsubscribe)/[a-z0-9]+)`)

// mailedListLink returns the path of the newest list link mailed to addr.
func (a *accountSite) mailedListLink(t *testing.T, addr string) string {
	t.Helper()
	return a.newestMailWith(t, addr, listLink, nil)[1]
}

// TestDiscussionGroupOnTheWeb walks G1, PUB1 and D1 through the real
// application on both engines: staff create a list at /admin/lists; a
// visitor without an account subscribes, the mailed link's GET changes
// nothing and its button confirms; a participant's first posting from the
// web is refused until the terms box is ticked, then published, attributed
// to them in the threaded archive and the mbox; the subscription shows on
// /account, whence it can be ended; the visitor leaves with an RFC 8058
// one-click POST; a non-subscriber's posting waits in the moderation queue
// until staff approve it.
func TestDiscussionGroupOnTheWeb(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		a := newAccountSite(t, siteOptions{DB: db, Args: []string{"--mail-domain", "lists.example.org"}})
		a.makeStaff(t, "Sam Secretariat", "sam@example.org", auth.Secretariat)
		staff := a.signIn(t, "sam@example.org")
		if res := staff.post("/admin/lists", url.Values{"name": {"Bad Name!"}, "description": {""}}); res.Status != http.StatusBadRequest ||
			!strings.Contains(res.Body, "lower-case letters") || !strings.Contains(res.Body, "The description") {
			t.Fatalf("a bad list form: %d %.300s", res.Status, res.Body)
		}
		if res := staff.post("/admin/lists", url.Values{"name": {"wg-web"}, "description": {"Web standards work"}, "posting": {"subscribers"}, "archive": {"public"}}); res.Status != http.StatusSeeOther {
			t.Fatalf("creating a list: %d %.300s", res.Status, res.Body)
		}
		if res := staff.get("/admin/lists?done=created"); !strings.Contains(res.Body, "wg-web") || !strings.Contains(res.Body, "The list is created.") {
			t.Fatalf("the staff page does not list the new list: %.500s", res.Body)
		}

		// A visitor without an account subscribes.
		visitor := a.browser(t)
		page := visitor.get("/lists/wg-web")
		if page.Status != 200 || !strings.Contains(page.Body, "wg-web@lists.example.org") || len(page.Header.Values("Set-Cookie")) > 0 {
			t.Fatalf("list page: %d %q %.300s", page.Status, page.Header.Values("Set-Cookie"), page.Body)
		}
		if res := visitor.post("/lists/wg-web/subscribe", url.Values{"email": {"not an address"}}); res.Status != http.StatusBadRequest || !strings.Contains(res.Body, `value="not an address"`) {
			t.Fatalf("a bad address: %d %.300s", res.Status, res.Body)
		}
		if res := visitor.post("/lists/wg-web/subscribe", url.Values{"email": {"vic@example.net"}}); res.Status != 200 || !strings.Contains(res.Body, "Please confirm by e-mail") {
			t.Fatalf("subscribing: %d %.300s", res.Status, res.Body)
		}
		confirm := a.mailedListLink(t, "vic@example.net")
		if res := visitor.get(confirm); res.Status != 200 || !strings.Contains(res.Body, "Confirm the subscription") {
			t.Fatalf("confirmation page: %d %.300s", res.Status, res.Body)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_subscriptions WHERE confirmed_at IS NOT NULL"); n != 0 {
			t.Fatalf("the GET of the link confirmed %d subscriptions", n)
		}
		if res := visitor.post(confirm, nil); res.Status != 200 || !strings.Contains(res.Body, "You are subscribed") {
			t.Fatalf("confirming: %d %.300s", res.Status, res.Body)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM consent_ledger WHERE subscription_id IS NOT NULL AND granted = ? AND channel = 'web'", true); n != 1 {
			t.Fatalf("%d ledger entries for the confirmation, want 1", n)
		}

		// A participant subscribes while signed in and posts.
		pid := a.signUp(t, "Pat Participant", "pat@example.org")
		pat := a.signIn(t, "pat@example.org")
		if page := pat.get("/lists/wg-web"); !strings.Contains(page.Body, `required value="pat@example.org"`) {
			t.Error("the subscribe form does not offer the signed-in participant's address")
		}
		if page := visitor.get("/lists/wg-web"); strings.Contains(page.Body, "pat@example.org") {
			t.Error("an anonymous reader's subscribe form shows someone's address")
		}
		if res := pat.post("/lists/wg-web/subscribe", url.Values{"email": {"pat@example.org"}}); res.Status != 200 {
			t.Fatalf("subscribing while signed in: %d", res.Status)
		}
		if res := pat.post(a.mailedListLink(t, "pat@example.org"), nil); res.Status != 200 {
			t.Fatalf("confirming while signed in: %d", res.Status)
		}
		form := pat.get("/lists/wg-web/post")
		if !strings.Contains(form.Body, "Postings to discussion groups are public") || !strings.Contains(form.Body, `name="accept_terms"`) {
			t.Fatalf("the posting form does not ask for the terms: %.500s", form.Body)
		}
		first := url.Values{"subject": {"Proposal: a new header"}, "body": {"Let us define it.\nFrom here on."}}
		if res := pat.post("/lists/wg-web/post", first); res.Status != http.StatusBadRequest || !strings.Contains(res.Body, "accept the contribution terms") ||
			!strings.Contains(res.Body, "Proposal: a new header") {
			t.Fatalf("posting without the terms: %d %.300s", res.Status, res.Body)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_posts"); n != 0 {
			t.Fatalf("%d postings kept without the terms", n)
		}
		first.Set("accept_terms", "1")
		res := pat.post("/lists/wg-web/post", first)
		if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/lists/wg-web/msg/") {
			t.Fatalf("posting: %d %q %.300s", res.Status, res.Header.Get("Location"), res.Body)
		}
		msgPath := res.Header.Get("Location")
		if n := count(t, db, "SELECT COUNT(*) FROM consent_ledger WHERE person_id = ? AND purpose LIKE 'contributing to discussion groups%' AND channel = 'web'", pid); n != 1 {
			t.Fatalf("%d ledger entries for the terms, want 1", n)
		}
		if form := pat.get("/lists/wg-web/post"); strings.Contains(form.Body, `name="accept_terms"`) {
			t.Error("the posting form asks for the terms a second time")
		}
		msg := visitor.get(msgPath)
		if msg.Status != 200 || !strings.Contains(msg.Body, `<strong class="author">Pat Participant</strong>`) || !strings.Contains(msg.Body, "Let us define it.") {
			t.Fatalf("message page: %d %.500s", msg.Status, msg.Body)
		}
		replyID := strings.TrimPrefix(msgPath, "/lists/wg-web/msg/")
		if res := pat.post("/lists/wg-web/post", url.Values{"subject": {"Re: Proposal: a new header"}, "body": {"Agreed."}, "reply": {replyID}}); res.Status != http.StatusSeeOther {
			t.Fatalf("replying: %d %.300s", res.Status, res.Body)
		}
		arch := visitor.get("/lists/wg-web")
		if arch.Status != 200 || strings.Count(arch.Body, `<ol class="thread">`) != 1 || !strings.Contains(arch.Body, "Re: Proposal: a new header") {
			t.Fatalf("archive is not one thread of two: %.800s", arch.Body)
		}
		// A page past the end says so, not that nothing was ever posted.
		for _, path := range []string{"/lists/wg-web?page=999", "/lists/wg-web?view=date&page=999"} {
			if past := visitor.get(path); !strings.Contains(past.Body, "There is no page 999: the archive is shorter.") || strings.Contains(past.Body, "Nothing has been posted yet") {
				t.Errorf("%s: %.300s", path, past.Body)
			}
		}
		// An anonymous reader's mbox masks the addresses; a participant's has them whole.
		mbox := visitor.get("/lists/wg-web/mbox")
		if mbox.Status != 200 || mbox.Header.Get("Content-Type") != "application/mbox" || !strings.Contains(mbox.Body, "From: Pat Participant <p...@example.org>") ||
			!strings.Contains(mbox.Body, "\n>From here on.") || strings.Count(mbox.Body, "\nFrom p...@example.org ") != 1 || strings.Contains(mbox.Body, "pat@") {
			t.Fatalf("mbox: %d %q\n%s", mbox.Status, mbox.Header.Get("Content-Type"), mbox.Body)
		}
		if mbox := pat.get("/lists/wg-web/mbox"); !strings.Contains(mbox.Body, "From: Pat Participant <pat@example.org>") {
			t.Fatalf("a participant's mbox: %s", mbox.Body)
		}
		feed := visitor.get("/lists/wg-web/atom.xml")
		var atom struct {
			Entries []struct {
				Title  string `xml:"title"`
				Author string `xml:"author>name"`
				Link   struct {
					Href string `xml:"href,attr"`
				} `xml:"link"`
			} `xml:"entry"`
		}
		if err := xml.Unmarshal([]byte(feed.Body), &atom); err != nil || feed.Header.Get("Content-Type") != "application/atom+xml; charset=utf-8" {
			t.Fatalf("feed: %v %q\n%s", err, feed.Header.Get("Content-Type"), feed.Body)
		}
		if len(atom.Entries) != 2 || atom.Entries[0].Title != "Re: Proposal: a new header" || atom.Entries[1].Author != "Pat Participant" ||
			!strings.HasSuffix(atom.Entries[1].Link.Href, msgPath) || strings.Contains(feed.Body, "pat@example.org") {
			t.Errorf("feed entries: %+v\n%s", atom.Entries, feed.Body)
		}
		if home := visitor.get("/"); !strings.Contains(home.Body, `href="/lists/wg-web"`) {
			t.Error("the home page does not show the active list")
		}
		if idx := visitor.get("/lists"); !strings.Contains(idx.Body, "Web standards work") {
			t.Error("/lists does not show the list")
		}

		// /account lists the subscription and ends it.
		acct := pat.get("/account")
		m := regexp.MustCompile(`action="(/account/lists/\d+/unsubscribe)"`).FindStringSubmatch(acct.Body)
		if m == nil || !strings.Contains(acct.Body, "wg-web") {
			t.Fatalf("/account has no subscription: %.300s", acct.Body)
		}
		if res := pat.post(m[1], nil); res.Status != http.StatusSeeOther {
			t.Fatalf("unsubscribing from /account: %d", res.Status)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM consent_ledger WHERE person_id = ? AND granted = ? AND purpose LIKE 'receiving%'", pid, false); n != 1 {
			t.Fatalf("%d withdrawals in the ledger after /account, want 1", n)
		}

		// The distribution job holds the one-click link; a mail program
		// posts to it with no cookie and no form of ours.
		if n := count(t, db, "SELECT COUNT(*) FROM jobs WHERE kind = 'lists.distribute'"); n != 2 {
			t.Fatalf("%d distribution jobs, want 2", n)
		}
		var token string
		if err := db.QueryRow(context.Background(), "SELECT token FROM list_subscriptions WHERE email = 'vic@example.net'").Scan(&token); err != nil {
			t.Fatal(err)
		}
		oneClick := a.do(t, "POST", "/lists/wg-web/unsubscribe/"+token, strings.NewReader("List-Unsubscribe=One-Click"),
			http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
		if oneClick.Status != 200 || !strings.Contains(oneClick.Body, "You are unsubscribed") {
			t.Fatalf("one-click unsubscribe: %d %.300s", oneClick.Status, oneClick.Body)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_subscriptions"); n != 0 {
			t.Fatalf("%d subscriptions left", n)
		}
		// A spent link claims nothing (TestListLinksBelongToTheirList).
		if again := visitor.get("/lists/wg-web/unsubscribe/" + token); again.Status != http.StatusNotFound || strings.Contains(again.Body, "You are unsubscribed") {
			t.Errorf("an used unsubscribe link: %d", again.Status)
		}

		// Pat is no subscriber any more: the next posting is held.
		if res := pat.post("/lists/wg-web/post", url.Values{"subject": {"Held for review"}, "body": {"For the moderator."}}); res.Status != 200 || !strings.Contains(res.Body, "waits for a moderator") {
			t.Fatalf("a non-subscriber's posting: %d %.300s", res.Status, res.Body)
		}
		if arch := visitor.get("/lists/wg-web"); strings.Contains(arch.Body, "Held for review") {
			t.Error("a held posting is in the archive")
		}
		if mbox := visitor.get("/lists/wg-web/mbox"); strings.Contains(mbox.Body, "For the moderator.") {
			t.Error("a held posting is in the mbox")
		}
		q := staff.get("/admin/lists/wg-web/queue")
		m = regexp.MustCompile(`action="(/admin/lists/wg-web/queue/\d+/approve)"`).FindStringSubmatch(q.Body)
		if m == nil || !strings.Contains(q.Body, "For the moderator.") {
			t.Fatalf("queue: %.500s", q.Body)
		}
		if res := pat.post(m[1], nil); res.Status != http.StatusForbidden {
			t.Errorf("a participant approving: %d", res.Status)
		}
		if res := staff.post(m[1], nil); res.Status != http.StatusSeeOther {
			t.Fatalf("approving: %d", res.Status)
		}
		if q := staff.get("/admin/lists/wg-web/queue?done=approve"); !strings.Contains(q.Body, "No posting waits") {
			t.Errorf("queue after approving: %.300s", q.Body)
		}
		if arch := visitor.get("/lists/wg-web"); !strings.Contains(arch.Body, "Held for review") {
			t.Error("the approved posting is not in the archive")
		}
	})
}

// TestListTermsByMailLink renders the page a first posting by mail
// links to, and checks its button releases the held posting.
func TestListTermsByMailLink(t *testing.T) {
	a := newAccountSite(t, siteOptions{Args: []string{"--mail-domain", "lists.example.org"}})
	a.makeStaff(t, "Ada Admin", "ada@example.org", auth.Admin)
	staff := a.signIn(t, "ada@example.org")
	if res := staff.post("/admin/lists", url.Values{"name": {"wg-open"}, "description": {"Open"}, "posting": {"open"}, "archive": {"public"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("creating a list: %d", res.Status)
	}
	svc := a.Server.listService()
	h := listMailHandler(svc)
	if err := h.Receive(context.Background(), inboundFrom("bo@example.net", "wg-open", "By mail", "Hello.")); err != nil {
		t.Fatal(err)
	}
	link := a.mailedListLink(t, "bo@example.net")
	b := a.browser(t)
	if page := b.get(link); page.Status != 200 || !strings.Contains(page.Body, "Postings to discussion groups are public") {
		t.Fatalf("terms page: %d %.300s", page.Status, page.Body)
	}
	if n := count(t, a.DB, "SELECT COUNT(*) FROM list_posts WHERE status = 'published'"); n != 0 {
		t.Fatalf("the GET published %d postings", n)
	}
	if res := b.post(link, nil); res.Status != 200 || !strings.Contains(res.Body, "Your posting is published.") {
		t.Fatalf("accepting: %d %.300s", res.Status, res.Body)
	}
	if arch := b.get("/lists/wg-open"); !strings.Contains(arch.Body, "By mail") {
		t.Error("the released posting is not in the archive")
	}
	if res := b.get("/lists/nope/msg/1"); res.Status != 404 {
		t.Errorf("archive of no list: %d", res.Status)
	}
}

func listMailHandler(svc *lists.Service) *lists.MailHandler { return &lists.MailHandler{Service: svc} }

func inboundFrom(from, local, subject, text string) mail.Inbound {
	return mail.Inbound{From: from, Local: local, Subject: subject, Text: text, MessageID: "<" + local + "-1@example.net>"}
}

// TestReplyFormTellsNothingOfAClosedArchive: the posting form fills in the
// subject of the message a reply names, and the POST threads the reply
// under it. For a list whose archive is for subscribers only, a signed-in
// non-subscriber used to read every subject that way (GET
// /lists/NAME/post?reply=ID, walking the ids) though the message page
// refuses them, and could thread a posting under a message they may not
// read. A message one may not read is now answered as one that does not
// exist; a subscriber's reply is as before.
func TestReplyFormTellsNothingOfAClosedArchive(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := newAccountSite(t, siteOptions{DB: db, Args: []string{"--mail-domain", "lists.example.org"}})
		if _, err := a.Server.listService().Create(ctx, lists.Actor{Label: "test"}, lists.NewList{Name: "secretwg", Description: "Closed work",
			Posting: lists.PostOpen, Archive: lists.ArchiveSubscribers}); err != nil {
			t.Fatal(err)
		}
		a.signUp(t, "Sue Subscriber", "sue@example.org")
		sue := a.signIn(t, "sue@example.org")
		if res := sue.post("/lists/secretwg/subscribe", url.Values{"email": {"sue@example.org"}}); res.Status != 200 {
			t.Fatalf("subscribing: %d", res.Status)
		}
		if res := sue.post(a.mailedListLink(t, "sue@example.org"), nil); res.Status != 200 {
			t.Fatalf("confirming: %d", res.Status)
		}
		res := sue.post("/lists/secretwg/post", url.Values{"subject": {"CONFIDENTIAL merger plan with acme"}, "body": {"Not for outsiders."}, "accept_terms": {"1"}})
		if res.Status != http.StatusSeeOther {
			t.Fatalf("posting: %d %.300s", res.Status, res.Body)
		}
		id := strings.TrimPrefix(res.Header.Get("Location"), "/lists/secretwg/msg/")
		var secretMsgID string
		var secretThread int64
		if err := db.QueryRow(ctx, "SELECT message_id, thread_id FROM list_posts WHERE id = ?", id).Scan(&secretMsgID, &secretThread); err != nil {
			t.Fatal(err)
		}

		a.signUp(t, "Nick Nosy", "nick@example.org")
		nick := a.signIn(t, "nick@example.org")
		if res := nick.get("/lists/secretwg/msg/" + id); res.Status != http.StatusForbidden {
			t.Fatalf("the message page answers a non-subscriber %d, want 403, so the case was not tried", res.Status)
		}
		form := nick.get("/lists/secretwg/post?reply=" + id)
		if form.Status != 200 || strings.Contains(form.Body, "CONFIDENTIAL") || strings.Contains(form.Body, `name="reply"`) {
			t.Errorf("the form of a reply to a message Nick may not read: %d, subject or reply field shown:\n%.2000s", form.Status, form.Body)
		}
		if none := nick.get("/lists/secretwg/post?reply=987654"); none.Status != form.Status || none.Body != form.Body {
			t.Errorf("the form answers a message Nick may not read unlike one that does not exist: %d and %d", form.Status, none.Status)
		}
		if own := sue.get("/lists/secretwg/post?reply=" + id); !strings.Contains(own.Body, `value="Re: CONFIDENTIAL merger plan with acme"`) ||
			!strings.Contains(own.Body, `name="reply" value="`+id+`"`) {
			t.Errorf("a subscriber's reply form lacks the subject:\n%.2000s", own.Body)
		}

		for _, p := range []struct {
			who     *browser
			subject string
		}{{nick, "A guess"}, {sue, "Re: CONFIDENTIAL merger plan with acme"}} {
			if res := p.who.post("/lists/secretwg/post", url.Values{"subject": {p.subject}, "body": {"A reply."}, "reply": {id}, "accept_terms": {"1"}}); res.Status != http.StatusSeeOther {
				t.Fatalf("posting %q: %d %.300s", p.subject, res.Status, res.Body)
			}
		}
		var inReplyTo string
		var thread int64
		if err := db.QueryRow(ctx, "SELECT in_reply_to, thread_id FROM list_posts WHERE subject = 'A guess'").Scan(&inReplyTo, &thread); err != nil {
			t.Fatal(err)
		}
		if inReplyTo != "" || thread == secretThread {
			t.Errorf("Nick's posting answers a message he may not read: in_reply_to %q, thread %d (the message's %d)", inReplyTo, thread, secretThread)
		}
		if err := db.QueryRow(ctx, "SELECT in_reply_to, thread_id FROM list_posts WHERE subject = 'Re: CONFIDENTIAL merger plan with acme'").Scan(&inReplyTo, &thread); err != nil {
			t.Fatal(err)
		}
		if inReplyTo != secretMsgID || thread != secretThread {
			t.Errorf("a subscriber's reply: in_reply_to %q, thread %d; want %q, %d", inReplyTo, thread, secretMsgID, secretThread)
		}
	})
}
