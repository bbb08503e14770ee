package lists_test

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"plenary/internal/jobs"
	"plenary/internal/lists"
	"plenary/internal/mail"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// externalPost sends a message to addr (host:port) with a real SMTP
// client of another project: swaks when it is installed, else Python's
// smtplib. Without either the test is skipped, or fails when
// PLENARY_E2E_REQUIRED is set.
func externalPost(t *testing.T, addr, from, to, subject, messageID, body string) {
	t.Helper()
	host, port, _ := strings.Cut(addr, ":")
	if swaks, err := exec.LookPath("swaks"); err == nil {
		out, err := exec.Command(swaks, "--server", host, "--port", port, "--helo", "client.example.net",
			"--from", from, "--to", to,
			"--header", "Subject: "+subject, "--header", "Message-Id: "+messageID,
			"--header", "Content-Type: text/plain; charset=utf-8",
			"--body", body).CombinedOutput()
		if err != nil {
			t.Fatalf("swaks: %v\n%s", err, out)
		}
		return
	}
	if py, err := exec.LookPath("python3"); err == nil {
		out, err := exec.Command(py, "-c", `import smtplib, sys
from email.message import EmailMessage
host, port, frm, to, subject, mid, body = sys.argv[1:]
m = EmailMessage()
m["From"], m["To"], m["Subject"], m["Message-ID"] = frm, to, subject, mid
m.set_content(body)
with smtplib.SMTP(host, int(port), local_hostname="client.example.net") as s:
    s.send_message(m)
`, host, port, from, to, subject, messageID, body).CombinedOutput()
		if err != nil {
			t.Fatalf("python smtplib: %v\n%s", err, out)
		}
		return
	}
	if os.Getenv("PLENARY_E2E_REQUIRED") != "" {
		t.Fatal("neither swaks nor python3 is installed, and PLENARY_E2E_REQUIRED is set")
	}
	t.Skip("neither swaks nor python3 is installed: no outside SMTP client to post with")
}

// TestExternalClientPostReachesEverySubscriber covers G1 with a client
// that is not plenary's: swaks (or Python's smtplib) posts to a list
// through plenary's inbound SMTP listener; once the author has accepted
// the contribution terms, the distribution job delivers the posting
// through a real SMTP server to every confirmed subscriber, once each,
// with List-Id, List-Unsubscribe (the subscriber's own link),
// List-Unsubscribe-Post, List-Post and List-Archive.
func TestExternalClientPostReachesEverySubscriber(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		e.now = time.Now().UTC().Add(-time.Hour) // jobs are due by the real clock
		e.list(t, "wg-ext", lists.PostOpen)
		tokens := map[string]string{}
		for _, a := range []string{"one@example.net", "two@example.net", "three@example.net"} {
			tokens[a] = e.subscribe(t, "wg-ext", a).Token
		}
		in := startInbound(t, e.svc)
		sinkAddr, got := startSink(t)

		externalPost(t, in, "ann@example.net", "wg-ext@lists.example.org", "Interim meeting", "<ext-1@example.net>", "Shall we meet on Tuesday?")
		if n := count(t, db, "SELECT COUNT(*) FROM list_posts WHERE subject = 'Interim meeting'"); n != 1 {
			t.Fatalf("%d postings stored from the outside client, want 1", n)
		}
		if _, err := e.svc.AcceptTerms(ctx, e.link(t, "ann@example.net")); err != nil {
			t.Fatal(err)
		}

		sender, err := mail.ParseURL("smtp://"+sinkAddr+"?tls=none", "site@lists.example.org")
		if err != nil {
			t.Fatal(err)
		}
		d := &lists.Distributor{DB: db, Mail: sender, Domain: "lists.example.org", BaseURL: "https://site.example"}
		r := &jobs.Runner{Queue: &jobs.Queue{DB: db, Worker: "test"}, Handlers: map[string]jobs.Handler{lists.DistributeKind: d.Handle}}
		if n, err := r.RunDue(ctx); err != nil || n != 1 {
			t.Fatalf("ran %d distribution jobs, %v; want 1", n, err)
		}
		var id int64
		if err := db.QueryRow(ctx, "SELECT id FROM list_posts WHERE message_id = '<ext-1@example.net>'").Scan(&id); err != nil {
			t.Fatal(err)
		}
		got.mu.Lock()
		defer got.mu.Unlock()
		if len(got.got) != 3 {
			t.Fatalf("delivered to %d addresses, want 3: %v", len(got.got), got.got)
		}
		for addr, msgs := range got.got {
			if len(msgs) != 1 {
				t.Fatalf("%s got %d copies, want 1", addr, len(msgs))
			}
			// Long header fields arrive folded; unfold them to compare.
			msg := strings.ReplaceAll(strings.ReplaceAll(msgs[0], "\r\n", "\n"), "\n ", " ")
			for _, want := range []string{
				"List-Id: The wg-ext group <wg-ext.lists.example.org>\n",
				"List-Unsubscribe: <https://site.example/lists/wg-ext/unsubscribe/" + tokens[addr] + ">, <mailto:wg-ext-unsubscribe@lists.example.org>\n",
				"List-Unsubscribe-Post: List-Unsubscribe=One-Click\n",
				"List-Post: <mailto:wg-ext@lists.example.org>\n",
				"List-Archive: <https://site.example/lists/wg-ext>\n",
				"Message-ID: <ext-1@example.net>\n",
				"Subject: [wg-ext] Interim meeting\n",
				"Shall we meet on Tuesday?",
				"Archive: https://site.example/lists/wg-ext/msg/" + strconv.FormatInt(id, 10),
			} {
				if !strings.Contains(msg, want) {
					t.Errorf("%s's copy lacks %q:\n%s", addr, want, msg)
				}
			}
		}
	})
}
