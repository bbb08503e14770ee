package lists_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"plenary/internal/audit"
	"plenary/internal/inventory"
	"plenary/internal/jobs"
	"plenary/internal/lists"
	"plenary/internal/mail"
	"plenary/internal/people"
	"plenary/internal/policy"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

type env struct {
	db     *store.DB
	svc    *lists.Service
	outbox *mail.Outbox
	now    time.Time
}

func setup(t *testing.T, db *store.DB) *env {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	ps := &policy.Service{DB: db, Inventory: inventory.Default(), Facts: policy.Facts{Org: "Test Org", Country: "Iceland", Contact: "privacy@example.org"}}
	if _, err := ps.EnsureCurrent(ctx, now); err != nil {
		t.Fatal(err)
	}
	e := &env{db: db, outbox: &mail.Outbox{}, now: now}
	e.svc = &lists.Service{DB: db, Audit: &audit.Log{DB: db, Key: []byte("test audit key, 32 bytes long..")}, Policy: ps, Mail: e.outbox,
		Domain: "lists.example.org", BaseURL: "https://site.example", Org: "Test Org", Now: func() time.Time { return e.now }}
	return e
}

func (e *env) list(t *testing.T, name, posting string) lists.List {
	t.Helper()
	l, err := e.svc.Create(context.Background(), lists.Actor{Label: "test"}, lists.NewList{Name: name, Description: "The " + name + " group", Posting: posting})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

var linkRE = regexp.MustCompile(`https://site\.example/lists/[a-z0-9-]+/(?:confirm|terms)/([a-z0-9]+)`)

// link returns the token of the newest mailed link to addr.
func (e *env) link(t *testing.T, addr string) string {
	t.Helper()
	m, ok := e.outbox.Last(addr)
	if !ok {
		t.Fatalf("nothing was mailed to %s", addr)
	}
	got := linkRE.FindStringSubmatch(m.Body)
	if got == nil {
		t.Fatalf("the message to %s has no link:\n%s", addr, m.Body)
	}
	return got[1]
}

func (e *env) subscribe(t *testing.T, list, addr string) lists.Subscription {
	t.Helper()
	ctx := context.Background()
	if err := e.svc.Subscribe(ctx, list, addr, 0); err != nil {
		t.Fatal(err)
	}
	sub, err := e.svc.Confirm(ctx, e.link(t, addr))
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

type ledgerRow struct {
	Purpose string
	Granted bool
	Channel string
}

func ledger(t *testing.T, db *store.DB, column string, id int64) []ledgerRow {
	t.Helper()
	rows, err := db.Query(context.Background(), "SELECT purpose, granted, channel FROM consent_ledger WHERE "+column+" = ? ORDER BY id", id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []ledgerRow
	for rows.Next() {
		var r ledgerRow
		if err := rows.Scan(&r.Purpose, &r.Granted, &r.Channel); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func count(t *testing.T, db *store.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSubscriptionIsDoubleOptIn covers D1 and C5 on both engines: asking
// to subscribe mails a link and subscribes nobody; the link's confirmation
// starts the subscription with a ledger entry (channel web); leaving by the
// link (web) deletes it and records the withdrawal with its channel; mail
// to NAME-unsubscribe@ changes nothing but mails the subscriber that link.
func TestSubscriptionIsDoubleOptIn(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		e.list(t, "wg-http", lists.PostSubscribers)
		if err := e.svc.Subscribe(ctx, "wg-http", "Zoe@Example.net", 0); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_subscriptions WHERE confirmed_at IS NULL"); n != 1 {
			t.Fatalf("%d pending subscriptions, want 1", n)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM consent_ledger WHERE subscription_id IS NOT NULL"); n != 0 {
			t.Fatalf("%d ledger entries before confirmation, want none", n)
		}
		link := e.link(t, "Zoe@Example.net")
		sub, err := e.svc.Confirm(ctx, link)
		if err != nil {
			t.Fatal(err)
		}
		if !sub.Confirmed() {
			t.Fatal("the subscription is not confirmed")
		}
		want := []ledgerRow{{"receiving the discussion group wg-http by e-mail", true, "web"}}
		if got := ledger(t, db, "subscription_id", sub.ID); !slices.Equal(got, want) {
			t.Fatalf("ledger after confirming = %v, want %v", got, want)
		}
		// Asking again for a confirmed address sends nothing and changes nothing.
		before := len(e.outbox.Messages())
		if err := e.svc.Subscribe(ctx, "wg-http", "zoe@example.net", 0); err != nil {
			t.Fatal(err)
		}
		if len(e.outbox.Messages()) != before {
			t.Error("a second request for a subscribed address mailed something")
		}
		if _, err := e.svc.Unsubscribe(ctx, sub.Token, policy.ChannelWeb); err != nil {
			t.Fatal(err)
		}
		want = append(want, ledgerRow{"receiving the discussion group wg-http by e-mail", false, "web"})
		if got := ledger(t, db, "subscription_id", sub.ID); !slices.Equal(got, want) {
			t.Fatalf("ledger after unsubscribing = %v, want %v", got, want)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_subscriptions"); n != 0 {
			t.Fatalf("%d subscriptions left after unsubscribing, want 0", n)
		}
		if _, err := e.svc.Confirm(ctx, sub.Token); !errors.Is(err, lists.ErrNoSuchLink) {
			t.Errorf("confirming an ended subscription: %v", err)
		}

		// By mail: NAME-unsubscribe@ from the subscribed address.
		sub2 := e.subscribe(t, "wg-http", "kim@example.net")
		h := &lists.MailHandler{Service: e.svc}
		if !h.Accepts(ctx, "wg-http-unsubscribe") || !h.Accepts(ctx, "wg-http") || h.Accepts(ctx, "nope") {
			t.Fatal("the mail handler does not own exactly the list's addresses")
		}
		if err := h.Receive(ctx, mail.Inbound{From: "KIM@example.net", Local: "wg-http-unsubscribe", Subject: "unsubscribe", Text: "please"}); err != nil {
			t.Fatal(err)
		}
		// Anyone can write that From: the mail only sends the subscriber
		// the link whose page's button ends the subscription.
		want2 := []ledgerRow{{"receiving the discussion group wg-http by e-mail", true, "web"}}
		if got := ledger(t, db, "subscription_id", sub2.ID); !slices.Equal(got, want2) {
			t.Fatalf("ledger after writing to wg-http-unsubscribe@ = %v, want %v", got, want2)
		}
		m, ok := e.outbox.Last("kim@example.net")
		if !ok || !strings.Contains(m.Body, "https://site.example/lists/wg-http/unsubscribe/"+sub2.Token) {
			t.Fatalf("kim@ was not mailed the unsubscribe link: %+v", m)
		}
		if _, err := e.svc.Unsubscribe(ctx, sub2.Token, policy.ChannelWeb); err != nil {
			t.Fatal(err)
		}
		want2 = append(want2, ledgerRow{"receiving the discussion group wg-http by e-mail", false, "web"})
		if got := ledger(t, db, "subscription_id", sub2.ID); !slices.Equal(got, want2) {
			t.Fatalf("ledger after the link's button = %v, want %v", got, want2)
		}

		// A link older than a week no longer confirms.
		if err := e.svc.Subscribe(ctx, "wg-http", "late@example.net", 0); err != nil {
			t.Fatal(err)
		}
		e.now = e.now.Add(8 * 24 * time.Hour)
		if _, err := e.svc.Confirm(ctx, e.link(t, "late@example.net")); !errors.Is(err, lists.ErrNoSuchLink) {
			t.Errorf("confirming an expired link: %v", err)
		}
	})
}

// TestFirstPostingNeedsTheTerms covers PUB1 on both engines: from the web
// a first posting without the box ticked is refused and keeps nothing;
// with it the acceptance is in the ledger (channel web). A first posting by
// mail is held, unpublished and undistributed, and its author is mailed a
// link; accepting there records it (contributor, channel web) and
// releases the posting. A later posting by mail needs no second acceptance.
func TestFirstPostingNeedsTheTerms(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		e.list(t, "wg-open", lists.PostOpen)
		p, _, err := people.Create(ctx, db, people.New{Name: "Ada Author", Email: "ada@example.org", Origin: people.OriginSelf, Verified: true}, e.now)
		if err != nil {
			t.Fatal(err)
		}
		web := lists.Draft{List: "wg-open", Name: "Ada Author", Email: "ada@example.org", PersonID: p.ID, Subject: "Hello", Body: "First words.", Channel: policy.ChannelWeb}
		_, err = e.svc.Post(ctx, web)
		var probs lists.ProblemsError
		if !errors.As(err, &probs) || probs["accept_terms"] == "" {
			t.Fatalf("a first web posting without the terms: %v", err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_posts"); n != 0 {
			t.Fatalf("%d postings kept after a refusal", n)
		}
		web.AcceptTerms = true
		res, err := e.svc.Post(ctx, web)
		if err != nil {
			t.Fatal(err)
		}
		if res.Posting.Status != lists.Published || res.Posting.Author != "Ada Author" {
			t.Fatalf("web posting = %+v", res.Posting)
		}
		if got, want := ledger(t, db, "person_id", p.ID), []ledgerRow{{lists.PurposeTerms, true, "web"}}; !slices.Equal(got, want) {
			t.Fatalf("ledger of the web author = %v, want %v", got, want)
		}
		if ok, err := lists.HasAccepted(ctx, db, p.ID); err != nil || !ok {
			t.Fatalf("HasAccepted after accepting = %v, %v", ok, err)
		}

		h := &lists.MailHandler{Service: e.svc}
		in := mail.Inbound{From: "bo@example.net", Local: "wg-open", Subject: "By mail", Text: "Hello by mail.", MessageID: "<m1@example.net>"}
		if err := h.Receive(ctx, in); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_posts WHERE status = 'held-terms'"); n != 1 {
			t.Fatalf("%d postings held for the terms, want 1", n)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM jobs WHERE kind = ?", lists.DistributeKind); n != 1 {
			t.Fatalf("%d distribution jobs, want 1 (the web posting's only)", n)
		}
		link := e.link(t, "bo@example.net")
		if m, _ := e.outbox.Last("bo@example.net"); !strings.Contains(m.Body, "public") || !strings.Contains(m.Body, "attributed to you") {
			t.Errorf("the mailed notice does not say postings are public and attributed:\n%s", m.Body)
		}
		c, err := lists.TermsFor(ctx, db, link)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := e.svc.AcceptTerms(ctx, c.Token); err != nil || n.Total() != 1 {
			t.Fatalf("accepting the terms released %d, %v", n, err)
		}
		if got, want := ledger(t, db, "contributor_id", c.ID), []ledgerRow{{lists.PurposeTerms, true, "web"}}; !slices.Equal(got, want) {
			t.Fatalf("ledger of the mail author = %v, want %v", got, want)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_posts WHERE status = 'published'"); n != 2 {
			t.Fatalf("%d published postings after accepting, want 2", n)
		}
		in.MessageID, in.Subject = "<m2@example.net>", "Again"
		if err := h.Receive(ctx, in); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_posts WHERE status = 'published'"); n != 3 {
			t.Fatalf("%d published postings after a second mail, want 3", n)
		}
		// The same message twice is refused, not posted twice.
		var ref *mail.Refusal
		if err := h.Receive(ctx, in); !errors.As(err, &ref) {
			t.Errorf("a repeated Message-ID: %v", err)
		}
	})
}

// TestPostingPolicy: who is published and who is held for moderation, per
// list policy, and the moderation queue's decisions.
func TestPostingPolicy(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		for _, pol := range []string{lists.PostOpen, lists.PostSubscribers, lists.PostModerated} {
			e.list(t, "wg-"+pol, pol)
			e.subscribe(t, "wg-"+pol, "member@example.net")
		}
		for i, c := range []struct {
			list, from, want string
		}{
			{"wg-open", "member@example.net", lists.Published},
			{"wg-open", "stranger@example.net", lists.Published},
			{"wg-subscribers", "member@example.net", lists.Published},
			{"wg-subscribers", "stranger@example.net", lists.HeldModeration},
			{"wg-moderated", "member@example.net", lists.HeldModeration},
			{"wg-moderated", "stranger@example.net", lists.HeldModeration},
		} {
			res, err := e.svc.Post(ctx, lists.Draft{List: c.list, Email: c.from, Subject: "s", Body: "b", AcceptTerms: true, Channel: policy.ChannelWeb})
			if err != nil {
				t.Fatal(err)
			}
			if res.Posting.Status != c.want {
				t.Errorf("%d: %s to %s: %s, want %s", i, c.from, c.list, res.Posting.Status, c.want)
			}
		}
		q, err := lists.Queue(ctx, db, "wg-moderated")
		if err != nil || len(q) != 2 {
			t.Fatalf("queue of wg-moderated: %d, %v", len(q), err)
		}
		if err := e.svc.Moderate(ctx, lists.Actor{Label: "mod"}, "wg-moderated", q[0].ID, true, ""); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Moderate(ctx, lists.Actor{Label: "mod"}, "wg-moderated", q[1].ID, false, "Off topic for this group."); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Moderate(ctx, lists.Actor{Label: "mod"}, "wg-moderated", q[1].ID, true, ""); !errors.Is(err, lists.ErrNoPost) {
			t.Errorf("moderating a rejected posting: %v", err)
		}
		// Each author is told what the moderators decided.
		published, ok := e.outbox.Last("member@example.net")
		if !ok || published.Subject != "Your posting to wg-moderated is published" || !strings.Contains(published.Body, "/lists/wg-moderated/msg/") {
			t.Errorf("the approved posting's author was told %+v", published)
		}
		declined, ok := e.outbox.Last("stranger@example.net")
		if !ok || declined.Subject != "Your posting to wg-moderated was not published" || !strings.Contains(declined.Body, "Their reason: Off topic for this group.") {
			t.Errorf("the rejected posting's author was told %+v", declined)
		}
		if err := e.svc.Moderate(ctx, lists.Actor{Label: "mod"}, "wg-moderated", q[0].ID, false, strings.Repeat("x", 2001)); !errors.Is(err, lists.ErrReasonTooLong) {
			t.Errorf("an overlong reason: %v", err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_posts p JOIN lists l ON l.id = p.list_id WHERE l.name = 'wg-moderated'"); n != 1 {
			t.Errorf("%d postings of wg-moderated after approving one and rejecting one, want 1", n)
		}
	})
}

// failingSender fails every send after the first ok ones.
type failingSender struct {
	mail.Outbox
	ok int
}

func (f *failingSender) Send(ctx context.Context, m mail.Message) error {
	if len(f.Messages()) >= f.ok {
		return errors.New("the mail server went away")
	}
	return f.Outbox.Send(ctx, m)
}

// TestDistributionSendsEachSubscriberOnce: a published posting is sent by
// the job queue to every confirmed subscriber and to nobody else, with
// the list header fields; a run interrupted by a failing server resumes
// where it stopped, and nobody gets a second copy.
func TestDistributionSendsEachSubscriberOnce(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		e.list(t, "wg-mail", lists.PostOpen)
		subs := map[string]string{}
		for _, a := range []string{"a@example.net", "b@example.net", "c@example.net"} {
			subs[a] = e.subscribe(t, "wg-mail", a).Token
		}
		if err := e.svc.Subscribe(ctx, "wg-mail", "pending@example.net", 0); err != nil {
			t.Fatal(err)
		}
		res, err := e.svc.Post(ctx, lists.Draft{List: "wg-mail", Name: "Ada", Email: "ada@example.org", Subject: "Agenda", Body: "Items.", AcceptTerms: true, Channel: policy.ChannelWeb})
		if err != nil {
			t.Fatal(err)
		}
		flaky := &failingSender{ok: 2}
		run := func(sender mail.Sender) {
			d := &lists.Distributor{DB: db, Mail: sender, Domain: "lists.example.org", BaseURL: "https://site.example"}
			r := &jobs.Runner{Queue: &jobs.Queue{DB: db, Worker: "test"}, Handlers: map[string]jobs.Handler{lists.DistributeKind: d.Handle}}
			if _, err := r.RunDue(ctx); err != nil {
				t.Fatal(err)
			}
		}
		run(flaky)
		if n := len(flaky.Messages()); n != 2 {
			t.Fatalf("%d sent before the failure, want 2", n)
		}
		// The job is retried later; make it due now.
		if _, err := db.Exec(ctx, "UPDATE jobs SET run_at = ? WHERE finished_at IS NULL", time.Now().Add(-time.Minute).UTC()); err != nil {
			t.Fatal(err)
		}
		rest := &mail.Outbox{}
		run(rest)
		got := map[string]int{}
		for _, m := range append(flaky.Messages(), rest.Messages()...) {
			got[m.To]++
			if m.To == "a@example.net" {
				for name, want := range map[string]string{
					"List-Id":               "The wg-mail group <wg-mail.lists.example.org>",
					"List-Unsubscribe":      "<https://site.example/lists/wg-mail/unsubscribe/" + subs["a@example.net"] + ">, <mailto:wg-mail-unsubscribe@lists.example.org>",
					"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
					"List-Archive":          "<https://site.example/lists/wg-mail>",
				} {
					if v := m.Get(name); v != want {
						t.Errorf("%s: %q, want %q", name, v, want)
					}
				}
				if "<"+m.MessageID+">" != res.Posting.MessageID {
					t.Errorf("Message-ID: %q, want %q", m.MessageID, res.Posting.MessageID)
				}
				if m.From != "wg-mail@lists.example.org" || m.Subject != "[wg-mail] Agenda" || !strings.Contains(m.Body, "From: Ada") {
					t.Errorf("message = from %q, subject %q, body %q", m.From, m.Subject, m.Body)
				}
			}
		}
		want := map[string]int{"a@example.net": 1, "b@example.net": 1, "c@example.net": 1}
		if len(got) != len(want) {
			t.Errorf("sent to %v, want %v", got, want)
		}
		for a, n := range want {
			if got[a] != n {
				t.Errorf("%s got %d copies, want %d", a, got[a], n)
			}
		}
	})
}

// TestArchiveThreadsAndMbox covers G1: published postings form threads
// by In-Reply-To and References, a reply that arrives before its parent
// joins the parent's thread when it comes, the newest thread is first,
// held postings are not in the archive, and the mbox export opens in
// Python's mailbox module with each message attributed to its author.
func TestArchiveThreadsAndMbox(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		e.list(t, "wg-arch", lists.PostOpen)
		post := func(from, subject, mid, inReplyTo, refs string) {
			t.Helper()
			e.now = e.now.Add(time.Minute)
			if _, err := e.svc.Post(ctx, lists.Draft{List: "wg-arch", Name: strings.ToUpper(from[:1]) + from[1:strings.Index(from, "@")], Email: from, Subject: subject, Body: "Text of " + subject + "\nFrom the start of a line.",
				MessageID: mid, InReplyTo: inReplyTo, References: refs, AcceptTerms: true, Channel: policy.ChannelWeb}); err != nil {
				t.Fatal(err)
			}
		}
		post("ann@example.net", "First topic", "<1@x>", "", "")
		post("bob@example.net", "Second topic", "<2@x>", "", "")
		post("cat@example.net", "Re: First topic", "<3@x>", "<1@x>", "<1@x>")
		post("dan@example.net", "Re: First topic", "<5@x>", "<4@x>", "<4@x>") // its parent <4@x> comes later
		post("eve@example.net", "Re: First topic", "<4@x>", "<1@x>", "<1@x>")
		post("fay@example.net", "Re: Second topic", "<6@x>", "<2@x>", "<2@x>")
		threads, err := lists.Threads(ctx, db, "wg-arch")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, th := range threads {
			var subs []string
			for _, p := range th.Postings {
				subs = append(subs, p.Author+":"+p.Subject)
			}
			got = append(got, strings.Join(subs, " | "))
		}
		want := []string{
			"Bob:Second topic | Fay:Re: Second topic",
			"Ann:First topic | Cat:Re: First topic | Dan:Re: First topic | Eve:Re: First topic",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("threads:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		p, thread, err := lists.Message(ctx, db, "wg-arch", threads[1].Postings[2].ID)
		if err != nil || p.Author != "Dan" || len(thread) != 4 {
			t.Fatalf("message page data: %+v, %d in thread, %v", p, len(thread), err)
		}
		var mbox strings.Builder
		if err := lists.WriteMbox(ctx, db, "wg-arch", &mbox); err != nil {
			t.Fatal(err)
		}
		py, err := exec.LookPath("python3")
		if err != nil {
			t.Skip("python3 is not installed; the mbox was not opened by a mailbox reader")
		}
		file := filepath.Join(t.TempDir(), "wg-arch.mbox")
		if err := os.WriteFile(file, []byte(mbox.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(py, "-c", `import mailbox, sys
for m in mailbox.mbox(sys.argv[1]):
    print(m["From"], "|", m["Subject"], "|", m["Message-ID"], "|", m.get_payload().splitlines()[1])`, file).CombinedOutput()
		if err != nil {
			t.Fatalf("python mailbox: %v\n%s", err, out)
		}
		wantOut := `Ann <ann@example.net> | First topic | <1@x> | >From the start of a line.
Bob <bob@example.net> | Second topic | <2@x> | >From the start of a line.
Cat <cat@example.net> | Re: First topic | <3@x> | >From the start of a line.
Dan <dan@example.net> | Re: First topic | <5@x> | >From the start of a line.
Eve <eve@example.net> | Re: First topic | <4@x> | >From the start of a line.
Fay <fay@example.net> | Re: Second topic | <6@x> | >From the start of a line.
`
		if string(out) != wantOut {
			t.Errorf("python read:\n%s\nwant:\n%s", out, wantOut)
		}
	})
}

// TestListIDIsADotAtom: RFC 2919 wants the list's id as a dot-atom, also
// when the mail domain is an address literal.
func TestListIDIsADotAtom(t *testing.T) {
	l := lists.List{Name: "wg-http"}
	for _, tt := range []struct{ domain, want string }{
		{"lists.example.org", "wg-http.lists.example.org"},
		{"localhost", "wg-http.localhost"},
		{"[192.0.2.7]", "wg-http.192.0.2.7"},
		{"[IPv6:2001:db8::1]", "wg-http.2001.db8.1"},
	} {
		if got := l.ListID(tt.domain); got != tt.want {
			t.Errorf("ListID(%q) = %q, want %q", tt.domain, got, tt.want)
		}
	}
}
