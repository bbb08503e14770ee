package lists_test

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"plenary/internal/jobs"
	"plenary/internal/lists"
	"plenary/internal/mail"
	"plenary/internal/policy"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

func dsn(to, action, status string) string {
	return "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\nTo: " + to + "\nSubject: Undelivered Mail Returned to Sender\n" +
		"MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=R\n\n" +
		"--R\nContent-Type: text/plain\n\nYour message could not be delivered.\n" +
		"--R\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; gone@example.net\n" +
		"Action: " + action + "\nStatus: " + status + "\nDiagnostic-Code: smtp; 550 5.1.1 user unknown\n" +
		"--R--\n"
}

var verpRE = regexp.MustCompile(`^wg-b-bounces\+([0-9a-z]+)-([a-z0-9]{10})@lists\.example\.org$`)

// TestBouncesDisableASubscription goes through real SMTP on both engines:
// list mail leaves with the return path NAME-bounces+TOKEN@ (VERP), one per
// subscription; plenary's inbound listener takes delivery status
// notifications at that address; a delay report counts for nothing, a
// token that names no subscription is taken and ignored, and the third
// failure within the window disables the subscription (audit entry, no
// ledger entry: the subscriber withdrew nothing), after which it gets no
// more postings while the others still do. Subscribing again re-enables it.
func TestBouncesDisableASubscription(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		e.now = time.Now().UTC().Add(-time.Hour) // jobs are due by the real clock
		e.list(t, "wg-b", lists.PostOpen)
		good := e.subscribe(t, "wg-b", "good@example.net")
		gone := e.subscribe(t, "wg-b", "gone@example.net")
		in := startInbound(t, e.svc)
		sinkAddr, sink := startSink(t)
		sender, err := mail.ParseURL("smtp://"+sinkAddr+"?tls=none&from=site@lists.example.org", "")
		if err != nil {
			t.Fatal(err)
		}
		d := &lists.Distributor{DB: db, Mail: sender, Domain: "lists.example.org", BaseURL: "https://site.example"}
		r := &jobs.Runner{Queue: &jobs.Queue{DB: db, Worker: "test"}, Handlers: map[string]jobs.Handler{lists.DistributeKind: d.Handle}}
		post := func(subject string) {
			t.Helper()
			if _, err := e.svc.Post(ctx, lists.Draft{List: "wg-b", Name: "Ann", Email: "ann@example.net", Subject: subject, Body: "text",
				AcceptTerms: true, Channel: policy.ChannelWeb}); err != nil {
				t.Fatal(err)
			}
			if n, err := r.RunDue(ctx); err != nil || n != 1 {
				t.Fatalf("ran %d jobs, %v", n, err)
			}
		}
		post("First")
		sink.mu.Lock()
		goodFrom, goneFrom := sink.from["good@example.net"], sink.from["gone@example.net"]
		sink.mu.Unlock()
		if len(goodFrom) != 1 || len(goneFrom) != 1 {
			t.Fatalf("return paths %q %q", goodFrom, goneFrom)
		}
		m := verpRE.FindStringSubmatch(goneFrom[0])
		if m == nil || goodFrom[0] == goneFrom[0] || !verpRE.MatchString(goodFrom[0]) || len(strings.Split(goneFrom[0], "@")[0]) > 64 {
			t.Fatalf("return paths %q and %q are not one VERP address per subscription", goodFrom[0], goneFrom[0])
		}
		if !strings.HasPrefix(gone.Token, m[2]) {
			t.Errorf("the return path %q does not carry gone's token", goneFrom[0])
		}

		send := func(to, body string) {
			t.Helper()
			if err := smtpSend(t, in, "", to, body); err != nil {
				t.Fatalf("a bounce to %s was refused: %v", to, err)
			}
		}
		send(goneFrom[0], dsn(goneFrom[0], "delayed", "4.4.1"))
		send("wg-b-bounces+zz-abcdefghij@lists.example.org", dsn("x", "failed", "5.1.1"))
		if n := count(t, db, "SELECT COUNT(*) FROM list_bounces"); n != 0 {
			t.Fatalf("%d bounces recorded for a delay and an unknown token", n)
		}
		for i := 0; i < lists.BounceLimit; i++ {
			send(goneFrom[0], dsn(goneFrom[0], "failed", "5.1.1"))
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_bounces WHERE subscription_id = ? AND status = '5.1.1'", gone.ID); n != 3 {
			t.Errorf("%d bounces recorded, want 3", n)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_subscriptions WHERE disabled_at IS NOT NULL"); n != 1 {
			t.Fatalf("%d disabled subscriptions, want 1", n)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_subscriptions WHERE id = ? AND disabled_at IS NOT NULL", gone.ID); n != 1 {
			t.Fatal("the wrong subscription was disabled")
		}
		if n := count(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'lists.disable' AND subject = ?", "subscription:"+itoa(gone.ID)); n != 1 {
			t.Errorf("%d audit entries for the disabling, want 1", n)
		}
		if got := ledger(t, db, "subscription_id", gone.ID); len(got) != 1 || !got[0].Granted {
			t.Errorf("the ledger changed on bounces: %+v", got)
		}

		post("Second")
		sink.mu.Lock()
		nGood, nGone := len(sink.from["good@example.net"]), len(sink.from["gone@example.net"])
		sink.mu.Unlock()
		if nGood != 2 || nGone != 1 {
			t.Errorf("after the disabling, good got %d and gone %d messages; want 2 and 1", nGood, nGone)
		}
		_ = good

		// Subscribing again (the link mailed, then confirmed) re-enables.
		if err := e.svc.Subscribe(ctx, "wg-b", "gone@example.net", 0); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Confirm(ctx, e.link(t, "gone@example.net")); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_subscriptions WHERE disabled_at IS NOT NULL"); n != 0 {
			t.Errorf("%d subscriptions still disabled after subscribing again", n)
		}
	})
}

// TestSMTPPostingKeepsMIME: a posting by real SMTP in HTML only, with an
// attachment and an encoded subject, is archived as text with its
// attachment (the old parser refused HTML-only mail).
func TestSMTPPostingKeepsMIME(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		e.list(t, "wg-m", lists.PostOpen)
		in := startInbound(t, e.svc)
		msg := "From: =?iso-8859-1?q?Jos=E9?= <jose@example.net>\nSubject: =?iso-8859-1?q?R=E9sum=E9?=\nMessage-ID: <html@example.net>\n" +
			"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=M\n\n" +
			"--M\nContent-Type: text/html; charset=windows-1252\n\n<html><head><style>p{}</style></head><body><p>Hello <b>all</b>,</p><p>see <a href=\"https://example.org/x\">this</a> \x93quoted\x94.</p><script>x()</script></body></html>\n" +
			"--M\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=\"agenda.pdf\"\nContent-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n" +
			"--M--\n"
		if err := smtpSend(t, in, "jose@example.net", "wg-m@lists.example.org", msg); err != nil {
			t.Fatal(err)
		}
		var subject, body, name string
		if err := db.QueryRow(context.Background(), "SELECT p.subject, p.body, c.name FROM list_posts p JOIN list_contributors c ON c.id = p.contributor_id WHERE p.message_id = '<html@example.net>'").Scan(&subject, &body, &name); err != nil {
			t.Fatal(err)
		}
		if subject != "Résumé" || name != "José" || body != "Hello all,\n\nsee this <https://example.org/x> “quoted”." {
			t.Errorf("stored %q by %q: %q", subject, name, body)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_attachments WHERE filename = 'agenda.pdf' AND content_type = 'application/pdf' AND size = 9"); n != 1 {
			t.Errorf("%d attachments agenda.pdf", n)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
