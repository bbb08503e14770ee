package lists_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	netsmtp "net/smtp"

	"plenary/internal/lists"
	"plenary/internal/mail"
	"plenary/internal/policy"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// smtpSendTo speaks SMTP as a real client, naming every address of to in
// its own RCPT, and returns the first refusal.
func smtpSendTo(t *testing.T, addr, from string, to []string, msg string) error {
	t.Helper()
	c, err := netsmtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.example.net"); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail(from); err != nil {
		return err
	}
	for _, rcpt := range to {
		if err := c.Rcpt(rcpt); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte(strings.ReplaceAll(msg, "\n", "\r\n"))); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// acceptTerms makes addr a contributor who accepted the terms, by a first
// posting from the web to list.
func (e *env) acceptTerms(t *testing.T, list, addr string) {
	t.Helper()
	if _, err := e.svc.Post(context.Background(), lists.Draft{List: list, Name: "Ann", Email: addr, Subject: "Hello", Body: "Hello.",
		AcceptTerms: true, Channel: policy.ChannelWeb}); err != nil {
		t.Fatal(err)
	}
}

// postsOf counts the postings with the Message-ID mid in each list.
func postsOf(t *testing.T, db *store.DB, mid string, names ...string) []int {
	t.Helper()
	out := make([]int, len(names))
	for i, n := range names {
		out[i] = count(t, db, "SELECT COUNT(*) FROM list_posts p JOIN lists l ON l.id = p.list_id WHERE l.name = ? AND p.message_id = ?", n, mid)
	}
	return out
}

// TestSMTPCrossPostingLandsOnEveryList, on both engines through plenary's
// own listener: a message to two lists of the site (one of them named in
// two RCPTs) is a posting of each, distributed by each, and the sender is
// told 250; a message that one of its lists refuses (posted there already,
// or removed there) is kept by none, with one 550; a Message-ID is unique
// within a list, so the same message is taken by a list that does not
// have it, and a removal keeps it out of its own list only.
func TestSMTPCrossPostingLandsOnEveryList(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		for _, n := range []string{"wg-a", "wg-b", "wg-c", "wg-d"} {
			e.list(t, n, lists.PostOpen)
		}
		e.acceptTerms(t, "wg-a", "ann@example.net")
		in := startInbound(t, e.svc)
		at := func(names ...string) []string {
			for i := range names {
				names[i] += "@lists.example.org"
			}
			return names
		}
		msg := "From: Ann <ann@example.net>\nTo: wg-a@lists.example.org, wg-b@lists.example.org\nSubject: Both groups\n" +
			"Message-ID: <cross@example.net>\n\nThis concerns both groups.\n"
		jobsBefore := count(t, db, "SELECT COUNT(*) FROM jobs WHERE kind = ?", lists.DistributeKind)
		if err := smtpSendTo(t, in, "ann@example.net", at("wg-a", "wg-b", "wg-a"), msg); err != nil {
			t.Fatalf("a message to two lists was refused: %v", err)
		}
		if got := postsOf(t, db, "<cross@example.net>", "wg-a", "wg-b", "wg-c"); !slices.Equal(got, []int{1, 1, 0}) {
			t.Fatalf("postings per list %v, want 1 in wg-a and wg-b", got)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM jobs WHERE kind = ?", lists.DistributeKind) - jobsBefore; n != 2 {
			t.Errorf("%d distributions enqueued, want one per list", n)
		}

		// Sent again to wg-a (which has it) and wg-c: none keeps it.
		err := smtpSendTo(t, in, "ann@example.net", at("wg-c", "wg-a"), msg)
		if smtpCode(err) != 550 || !strings.Contains(err.Error(), "wg-a@lists.example.org") || !strings.Contains(err.Error(), "none of them kept it") {
			t.Fatalf("a message one list has already: %v, want one 550 naming the list", err)
		}
		if got := postsOf(t, db, "<cross@example.net>", "wg-a", "wg-b", "wg-c"); !slices.Equal(got, []int{1, 1, 0}) {
			t.Fatalf("after a refused message, postings per list %v; want it kept by none", got)
		}
		// wg-c alone takes it: the Message-ID is unique within a list.
		if err := smtpSendTo(t, in, "ann@example.net", at("wg-c"), msg); err != nil {
			t.Fatalf("wg-c refused a message it does not have: %v", err)
		}

		// Removed from wg-b: the tombstone keeps it out of wg-b, and so
		// out of a message to wg-b and wg-d, but not out of wg-d alone.
		ps := postsOfList(t, db, "wg-b", "<cross@example.net>")
		if _, err := e.svc.Remove(ctx, lists.Actor{Label: "test"}, "wg-b", ps, "off topic"); err != nil {
			t.Fatal(err)
		}
		err = smtpSendTo(t, in, "ann@example.net", at("wg-d", "wg-b"), msg)
		if smtpCode(err) != 550 || !strings.Contains(err.Error(), "removed") {
			t.Fatalf("a message removed from one of its lists: %v, want 550", err)
		}
		if got := postsOf(t, db, "<cross@example.net>", "wg-b", "wg-d"); !slices.Equal(got, []int{0, 0}) {
			t.Fatalf("a refused message was kept: %v", got)
		}
		if err := smtpSendTo(t, in, "ann@example.net", at("wg-d"), msg); err != nil {
			t.Fatalf("wg-d refused a message removed from wg-b only: %v", err)
		}
		if got := postsOf(t, db, "<cross@example.net>", "wg-a", "wg-b", "wg-c", "wg-d"); !slices.Equal(got, []int{1, 0, 1, 1}) {
			t.Fatalf("postings per list %v", got)
		}
	})
}

func postsOfList(t *testing.T, db *store.DB, list, mid string) int64 {
	t.Helper()
	var id int64
	if err := db.QueryRow(context.Background(), "SELECT p.id FROM list_posts p JOIN lists l ON l.id = p.list_id WHERE l.name = ? AND p.message_id = ?", list, mid).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestSMTPUnsubscribeByMailMailsTheLink, on both engines through
// plenary's own listener: mail to NAME-unsubscribe@ changes nothing,
// whatever its From says; from a confirmed subscriber's address (any
// case), the subscriber is mailed, at the subscribed address, the link to
// the page whose button ends the subscription, at most once a day; from
// any other address nothing is mailed to anyone.
func TestSMTPUnsubscribeByMailMailsTheLink(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		e.list(t, "wg-u", lists.PostOpen)
		sub := e.subscribe(t, "wg-u", "Kim@Example.net")
		in := startInbound(t, e.svc)
		before := len(e.outbox.Messages())
		forged := "From: kim@example.net\nSubject: unsubscribe\n\nunsubscribe\n"
		if err := smtpSend(t, in, "mallory@example.com", "wg-u-unsubscribe@lists.example.org", forged); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_subscriptions WHERE id = ? AND confirmed_at IS NOT NULL", sub.ID); n != 1 {
			t.Fatal("mail to wg-u-unsubscribe@ ended the subscription; anyone can write its From")
		}
		if n := count(t, db, "SELECT COUNT(*) FROM consent_ledger WHERE subscription_id = ? AND granted = ?", sub.ID, false); n != 0 {
			t.Fatal("mail to wg-u-unsubscribe@ recorded a withdrawal")
		}
		msgs := e.outbox.Messages()[before:]
		if len(msgs) != 1 || !strings.EqualFold(msgs[0].To, "kim@example.net") || !strings.Contains(msgs[0].Body, "https://site.example/lists/wg-u/unsubscribe/"+sub.Token+"\n") {
			t.Fatalf("mailed %+v; want the unsubscribe link to the subscribed address", msgs)
		}
		// Forged again and again: one link a day.
		for i := 0; i < 3; i++ {
			if err := smtpSend(t, in, "mallory@example.com", "wg-u-unsubscribe@lists.example.org", forged); err != nil {
				t.Fatal(err)
			}
		}
		if n := len(e.outbox.Messages()) - before; n != 1 {
			t.Fatalf("%d unsubscribe links mailed within the day, want 1", n)
		}
		e.now = e.now.Add(25 * time.Hour)
		if err := smtpSend(t, in, "mallory@example.com", "wg-u-unsubscribe@lists.example.org", forged); err != nil {
			t.Fatal(err)
		}
		if n := len(e.outbox.Messages()) - before; n != 2 {
			t.Fatalf("%d unsubscribe links mailed, want 2 a day later", n)
		}
		before = len(e.outbox.Messages())
		for _, from := range []string{"nobody@example.org", "kim@example.net.evil.example"} {
			if err := smtpSend(t, in, from, "wg-u-unsubscribe@lists.example.org", "From: "+from+"\nSubject: unsubscribe\n\n"); err != nil {
				t.Fatal(err)
			}
		}
		if n := len(e.outbox.Messages()) - before; n != 0 {
			t.Errorf("mail to wg-u-unsubscribe@ from addresses that are not subscribed sent %d messages", n)
		}
		// The link's page ends it, by its button (a POST, channel web).
		if _, err := e.svc.Unsubscribe(context.Background(), sub.Token, policy.ChannelWeb); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_subscriptions"); n != 0 {
			t.Errorf("%d subscriptions after the link's button", n)
		}
	})
}

// TestBounceStatusCountsOnlyFailures reads what comes back to a list's
// return path: delivery status notifications that report a failure count,
// whatever their Auto-Submitted says (mail servers mark their bounces so);
// delays, absence notices and any other message do not.
func TestBounceStatusCountsOnlyFailures(t *testing.T) {
	dsnAuto := strings.Replace(dsn("x@example.net", "failed", "5.1.1"), "Subject:", "Auto-Submitted: auto-replied\nSubject:", 1)
	for _, c := range []struct{ name, msg, want string }{
		{"a DSN of a failure", dsn("x@example.net", "failed", "5.1.1"), "5.1.1"},
		{"a DSN of a failure marked auto-replied", dsnAuto, "5.1.1"},
		{"a DSN of a failure without a code", dsn("x@example.net", "failed", "unknown"), "unknown"},
		{"a DSN of a failure with a 4.x.x code", dsn("x@example.net", "failed", "4.4.7"), "4.4.7"},
		{"a DSN of a delay", dsn("x@example.net", "delayed", "4.4.1"), ""},
		{"a DSN of a delivery", dsn("x@example.net", "delivered", "2.0.0"), ""},
		{"a plain bounce from MAILER-DAEMON", "From: MAILER-DAEMON@mx.example.net\nSubject: failure notice\n\n<x@example.net>: 550 5.1.1 no such user\n", "5.1.1"},
		{"a plain note from postmaster without a failure code", "From: postmaster@mx.example.net\nSubject: note\n\nYour mail is queued.\n", ""},
		{"an absence notice", "From: Kim <kim@example.net>\nAuto-Submitted: auto-replied\nSubject: Out of office\n\nI am away until Monday.\n", ""},
		{"an absence notice without Auto-Submitted", "From: Kim <kim@example.net>\nSubject: Out of office\n\nI am away. Error 5.1.1 is not mine.\n", ""},
		{"a person's reply", "From: kim@example.net\nSubject: Re: agenda\n\nSee you.\n", ""},
		{"something unreadable", "not a message", ""},
	} {
		if got := lists.BounceStatus([]byte(c.msg)); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

// TestSMTPAutoRepliesToTheReturnPathDisableNobody, on both engines through
// plenary's own listener: absence notices to a subscription's return path
// are taken (250) and recorded nowhere, however many come; real failures
// still count.
func TestSMTPAutoRepliesToTheReturnPathDisableNobody(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		e.list(t, "wg-v", lists.PostOpen)
		sub := e.subscribe(t, "wg-v", "kim@example.net")
		in := startInbound(t, e.svc)
		verp := lists.BounceAddress("wg-v", sub.ID, sub.Token, "lists.example.org")
		for i := 0; i < lists.BounceLimit+1; i++ {
			vacation := "From: Kim <kim@example.net>\nAuto-Submitted: auto-replied\nSubject: Out of office: the agenda\n\nI am away until Monday.\n"
			if err := smtpSend(t, in, "", verp, vacation); err != nil {
				t.Fatalf("an absence notice to the return path was refused: %v", err)
			}
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_bounces"); n != 0 {
			t.Fatalf("%d bounces recorded for absence notices, want none", n)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_subscriptions WHERE disabled_at IS NOT NULL"); n != 0 {
			t.Fatal("absence notices disabled a subscription")
		}
		if err := smtpSend(t, in, "", verp, dsn("kim@example.net", "failed", "5.2.2")); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_bounces WHERE subscription_id = ? AND status = '5.2.2'", sub.ID); n != 1 {
			t.Errorf("%d bounces recorded for a failure, want 1", n)
		}
	})
}

// TestSMTPLoopsAndAutomaticMailAreNotPosted, on both engines through
// plenary's own listener: a message marked Auto-Submitted (other than
// "no") is refused with 550; one that carries the list's own List-Id or an
// X-Loop naming the list came round a loop and is taken and dropped, for
// that list only; another list's List-Id is no loop.
func TestSMTPLoopsAndAutomaticMailAreNotPosted(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		e.list(t, "wg-l", lists.PostOpen)
		e.list(t, "wg-m", lists.PostOpen)
		e.acceptTerms(t, "wg-m", "ann@example.net")
		in := startInbound(t, e.svc)
		msg := func(id, extra string) string {
			return "From: ann@example.net\n" + extra + "Subject: s\nMessage-ID: <" + id + "@example.net>\n\ntext\n"
		}
		for _, c := range []struct{ id, header string }{
			{"auto1", "Auto-Submitted: auto-replied\n"},
			{"auto2", "Auto-Submitted: auto-generated (a notification)\n"},
			{"auto3", "Auto-Submitted: no\nAuto-Submitted: auto-generated\n"},
		} {
			err := smtpSend(t, in, "ann@example.net", "wg-l@lists.example.org", msg(c.id, c.header))
			if smtpCode(err) != 550 || !strings.Contains(err.Error(), "automatically") {
				t.Errorf("%s: %v, want 550", c.header, err)
			}
		}
		for _, c := range []struct{ id, header string }{
			{"loop1", "List-Id: The wg-l group <wg-l.lists.example.org>\n"},
			{"loop2", "List-Id: <WG-L.lists.example.org>\n"},
			{"loop3", "X-Loop: wg-l@lists.example.org\n"},
		} {
			if err := smtpSend(t, in, "ann@example.net", "wg-l@lists.example.org", msg(c.id, c.header)); err != nil {
				t.Errorf("%s: %v, want it taken and dropped", c.header, err)
			}
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_posts p JOIN lists l ON l.id = p.list_id WHERE l.name = 'wg-l'"); n != 0 {
			t.Fatalf("%d automatic or looping messages posted to wg-l, want none", n)
		}
		for _, c := range []struct{ id, header string }{
			{"ok1", "Auto-Submitted: no\n"},
			{"ok2", "List-Id: <wg-m.lists.example.org>\n"},
		} {
			if err := smtpSend(t, in, "ann@example.net", "wg-l@lists.example.org", msg(c.id, c.header)); err != nil {
				t.Errorf("%s: %v", c.header, err)
			}
		}
		// wg-m's own copy forwarded to both: wg-l takes it, wg-m drops it.
		if err := smtpSendTo(t, in, "ann@example.net", []string{"wg-m@lists.example.org", "wg-l@lists.example.org"},
			msg("fwd", "List-Id: <wg-m.lists.example.org>\n")); err != nil {
			t.Fatal(err)
		}
		if got := postsOf(t, db, "<ok1@example.net>", "wg-l"); !slices.Equal(got, []int{1}) {
			t.Errorf("Auto-Submitted: no was not posted")
		}
		if got := postsOf(t, db, "<ok2@example.net>", "wg-l"); !slices.Equal(got, []int{1}) {
			t.Errorf("a message with another list's List-Id was not posted")
		}
		if got := postsOf(t, db, "<fwd@example.net>", "wg-l", "wg-m"); !slices.Equal(got, []int{1, 0}) {
			t.Errorf("a copy of wg-m's sent to wg-m and wg-l: postings %v, want 1 in wg-l only", got)
		}
	})
}

// TestListNamesOfSiteMailboxesAreRefused: a list named after an address
// the site's own mail uses (the announcement address, by default
// announce@, or the configured one; the reserved ones) would never get
// its mail, so it is not created, with a message that says why.
func TestListNamesOfSiteMailboxesAreRefused(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		e.svc.Mailboxes = []string{lists.Mailbox("News@lists.example.org"), lists.Mailbox("digest-bounces@lists.example.org")}
		for _, name := range []string{"announce", "news", "NEWS", "digest", "inquiry", "postmaster"} {
			_, err := e.svc.Create(context.Background(), lists.Actor{Label: "test"}, lists.NewList{Name: name, Description: "d"})
			var pe lists.ProblemsError
			if !errors.As(err, &pe) || !strings.Contains(pe["name"], "@") {
				t.Errorf("creating %q: %v, want a refusal of the name naming the address", name, err)
			}
		}
		if _, err := e.svc.Create(context.Background(), lists.Actor{Label: "test"}, lists.NewList{Name: "newsroom", Description: "d"}); err != nil {
			t.Errorf("creating newsroom: %v", err)
		}
	})
}

// TestTermsMailAtMostOnceADayPerList, on both engines through plenary's
// own listener: messages from an address that has not accepted the terms
// are all held, but its link is mailed once a day per list, whichever
// instance takes them (the record is in the database); a day later one
// more; the one link releases every held posting.
func TestTermsMailAtMostOnceADayPerList(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		e.list(t, "wg-t", lists.PostOpen)
		e.list(t, "wg-t2", lists.PostOpen)
		in := startInbound(t, e.svc)
		// A second instance: its own service and outbox, the same database.
		other := *e.svc
		otherBox := &mail.Outbox{}
		other.Mail = otherBox
		in2 := startInbound(t, &other)
		mailedTo := func() int {
			n := 0
			for _, box := range []*mail.Outbox{e.outbox, otherBox} {
				for _, m := range box.Messages() {
					if m.To == "victim@example.net" {
						n++
					}
				}
			}
			return n
		}
		send := func(addr, list string, i int) {
			t.Helper()
			m := "From: victim@example.net\nSubject: spam " + itoa(int64(i)) + "\nMessage-ID: <t" + itoa(int64(i)) + "@example.net>\n\nbuy\n"
			if err := smtpSend(t, addr, "spammer@example.com", list+"@lists.example.org", m); err != nil {
				t.Fatal(err)
			}
		}
		for i := 0; i < 4; i++ {
			send([]string{in, in2}[i%2], "wg-t", i)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_posts WHERE status = ?", lists.HeldTerms); n != 4 {
			t.Fatalf("%d postings held for the terms, want 4", n)
		}
		if n := mailedTo(); n != 1 {
			t.Fatalf("victim@ was mailed %d terms links for four messages to one list, want 1", n)
		}
		send(in2, "wg-t2", 10)
		if n := mailedTo(); n != 2 {
			t.Fatalf("victim@ was mailed %d terms links after a message to a second list, want 2", n)
		}
		e.now = e.now.Add(23 * time.Hour)
		send(in, "wg-t", 11)
		if n := mailedTo(); n != 2 {
			t.Fatalf("a terms link was mailed again within the day")
		}
		e.now = e.now.Add(2 * time.Hour)
		send(in, "wg-t", 12)
		if n := mailedTo(); n != 3 {
			t.Fatalf("victim@ was mailed %d terms links a day later, want 3", n)
		}
		released, err := e.svc.AcceptTerms(ctx, e.link(t, "victim@example.net"))
		if err != nil || released.Total() != 7 {
			t.Fatalf("the link released %d postings, %v; want all 7", released, err)
		}
	})
}

// TestMigration0077RebuildKeepsEverythingOnSQLite: SQLite cannot drop the
// old unique Message-ID, so migration 0077 builds list_posts anew with
// foreign keys off. Run again over a database with postings, deliveries,
// attachments and threading, it keeps every row and id, the rows that
// point to the postings (nothing cascades), the search index and its
// triggers, and leaves foreign keys on.
func TestMigration0077RebuildKeepsEverythingOnSQLite(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	e := setup(t, db)
	e.list(t, "wg-r", lists.PostOpen)
	sub := e.subscribe(t, "wg-r", "kim@example.net")
	first, err := e.svc.Post(ctx, lists.Draft{List: "wg-r", Name: "Ann", Email: "ann@example.net", Subject: "Zebras", Body: "About zebras.",
		MessageID: "<r1@example.net>", AcceptTerms: true, Channel: policy.ChannelWeb,
		Attachments: []lists.Attachment{{N: 1, Filename: "a.txt", ContentType: "text/plain", Size: 2, Data: []byte("hi")}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Post(ctx, lists.Draft{List: "wg-r", Name: "Ann", Email: "ann@example.net", Subject: "Re: Zebras", Body: "More.",
		MessageID: "<r2@example.net>", InReplyTo: "<r1@example.net>", References: "<r1@example.net>", Channel: policy.ChannelEmail}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, "INSERT INTO list_deliveries (post_id, subscription_id, sent_at) VALUES (?, ?, ?)", first.Posting.ID, sub.ID, e.now); err != nil {
		t.Fatal(err)
	}
	tables := []string{"list_posts", "list_deliveries", "list_attachments", "list_post_refs"}
	counts := func() []int {
		var out []int
		for _, tb := range tables {
			out = append(out, count(t, db, "SELECT COUNT(*) FROM "+tb))
		}
		return append(out, count(t, db, "SELECT COUNT(*) FROM list_search WHERE list_search MATCH 'zebras'"),
			count(t, db, "SELECT COALESCE(SUM(id), 0) FROM list_posts"))
	}
	before := counts()
	for _, undo := range []string{"DROP TABLE list_terms_notices", "ALTER TABLE list_subscriptions DROP COLUMN unsubscribe_mailed_at"} {
		if _, err := db.Exec(ctx, undo); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(ctx, "DELETE FROM schema_migrations WHERE name = '0077_list_posts_per_list.sqlite'"); err != nil {
		t.Fatal(err)
	}
	applied, err := db.Migrate(ctx)
	if err != nil || len(applied) != 1 {
		t.Fatalf("migrating again: %v, %v", applied, err)
	}
	if after := counts(); !slices.Equal(after, before) {
		t.Fatalf("rows (posts, deliveries, attachments, refs, search hits, sum of ids) %v before the rebuild, %v after", before, after)
	}
	if _, err := db.Exec(ctx, "INSERT INTO list_deliveries (post_id, subscription_id, sent_at) VALUES (?, ?, ?)", 99999, sub.ID, e.now); err == nil {
		t.Error("a delivery of a posting that does not exist was taken: foreign keys are off")
	}
	// The triggers are back: a new posting is found, and one id is not
	// given twice.
	p, err := e.svc.Post(ctx, lists.Draft{List: "wg-r", Name: "Ann", Email: "ann@example.net", Subject: "Zebras again", Body: "Yes.", Channel: policy.ChannelEmail})
	if err != nil {
		t.Fatal(err)
	}
	if p.Posting.ID <= first.Posting.ID+1 {
		t.Errorf("new posting id %d after %d", p.Posting.ID, first.Posting.ID+1)
	}
	if n := count(t, db, "SELECT COUNT(*) FROM list_search WHERE list_search MATCH 'zebras'"); n != before[4]+1 {
		t.Errorf("%d search hits after a new posting, want %d", n, before[4]+1)
	}
}
