package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"plenary/internal/lists"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// attachedMessage has an HTML attachment (which must never be served as
// a page of the site), a PNG image and a text part.
const attachedMessage = "From ann@example.org Mon Mar  1 06:46:11 2010\n" +
	"From: Ann Author <ann@example.org>\nSubject: Slides\nMessage-ID: <slides@example.org>\nDate: Mon, 1 Mar 2010 06:46:11 +0000\n" +
	"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=B\n\n" +
	"--B\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\nThe slides, caf=E9.\n" +
	"--B\nContent-Type: text/html; name=\"evil.html\"\nContent-Disposition: attachment; filename=\"../../evil.html\"\n\n<script>alert(1)</script>\n" +
	"--B\nContent-Type: image/png\nContent-Disposition: attachment; filename=\"chart.png\"\nContent-Transfer-Encoding: base64\n\niVBORw0KGgo=\n" +
	"--B--\n"

// TestListAttachmentDownload: an imported message's attachments are
// listed on its page and downloaded with Content-Disposition attachment,
// the file name without its directories, and a type from the safe list
// (HTML goes out as application/octet-stream, sandboxed); an archive for
// subscribers only keeps its attachments from anonymous readers; a
// missing attachment is a 404.
func TestListAttachmentDownload(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		a := newAccountSite(t, siteOptions{DB: db, Args: []string{"--mail-domain", "lists.example.org"}})
		svc := a.Server.listService()
		ctx := context.Background()
		for _, n := range []lists.NewList{{Name: "wg-open", Description: "Open", Archive: lists.ArchivePublic}, {Name: "wg-closed", Description: "Closed", Archive: lists.ArchiveSubscribers}} {
			if _, err := svc.Create(ctx, lists.Actor{Label: "test"}, n); err != nil {
				t.Fatal(err)
			}
		}
		for _, l := range []string{"wg-open", "wg-closed"} {
			im := &lists.Importer{Service: svc, Who: lists.Actor{Label: "test"}, List: l}
			msg := strings.ReplaceAll(attachedMessage, "slides@", l+"@")
			if err := im.ImportFile(ctx, "a.mbox", strings.NewReader(msg)); err != nil || im.Stats.Imported != 1 {
				t.Fatalf("%s: %v %+v", l, err, im.Stats)
			}
		}
		var open, closed int64
		db.QueryRow(ctx, "SELECT id FROM list_posts WHERE message_id = '<wg-open@example.org>'").Scan(&open)
		db.QueryRow(ctx, "SELECT id FROM list_posts WHERE message_id = '<wg-closed@example.org>'").Scan(&closed)
		visitor := a.browser(t)
		page := visitor.get("/lists/wg-open/msg/" + itoa(open))
		for _, want := range []string{"The slides, café.", `href="/lists/wg-open/msg/` + itoa(open) + `/att/1"`, "evil.html", "chart.png", "(image/png, 8 bytes)"} {
			if !strings.Contains(page.Body, want) {
				t.Errorf("the message page lacks %q: %.2000s", want, page.Body)
			}
		}
		for _, c := range []struct {
			path, ctype, disp, body string
			status                  int
		}{
			{"/lists/wg-open/msg/" + itoa(open) + "/att/1", "application/octet-stream", `attachment; filename=evil.html`, "<script>alert(1)</script>", 200},
			{"/lists/wg-open/msg/" + itoa(open) + "/att/2", "image/png", `attachment; filename=chart.png`, "\x89PNG\r\n\x1a\n", 200},
			{"/lists/wg-open/msg/" + itoa(open) + "/att/3", "", "", "There is no such attachment.", 404},
			{"/lists/wg-closed/msg/" + itoa(open) + "/att/1", "", "", "", 403},
			{"/lists/wg-closed/msg/" + itoa(closed) + "/att/1", "", "", "", 403},
			{"/lists/wg-open/msg/" + itoa(closed) + "/att/1", "", "", "There is no such attachment.", 404},
		} {
			res := visitor.get(c.path)
			if res.Status != c.status || !strings.Contains(res.Body, c.body) {
				t.Errorf("%s: %d %.200q", c.path, res.Status, res.Body)
				continue
			}
			if c.status != http.StatusOK {
				continue
			}
			if res.Header.Get("Content-Type") != c.ctype || res.Header.Get("Content-Disposition") != c.disp ||
				res.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(res.Header.Get("Content-Security-Policy"), "sandbox") {
				t.Errorf("%s: headers %q", c.path, res.Header)
			}
		}
	})
}

// TestAccountShowsABouncedSubscription: a subscription disabled after
// bounces says so on /account, with how to resume.
func TestAccountShowsABouncedSubscription(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		a := newAccountSite(t, siteOptions{DB: db, Args: []string{"--mail-domain", "lists.example.org"}})
		svc := a.Server.listService()
		ctx := context.Background()
		if _, err := svc.Create(ctx, lists.Actor{Label: "test"}, lists.NewList{Name: "wg-x", Description: "X"}); err != nil {
			t.Fatal(err)
		}
		a.signUp(t, "Pat Participant", "pat@example.org")
		pat := a.signIn(t, "pat@example.org")
		if res := pat.post("/lists/wg-x/subscribe", map[string][]string{"email": {"pat@example.org"}}); res.Status != 200 {
			t.Fatalf("subscribing: %d", res.Status)
		}
		if res := pat.post(a.mailedListLink(t, "pat@example.org"), nil); res.Status != 200 {
			t.Fatalf("confirming: %d", res.Status)
		}
		if body := pat.get("/account").Body; strings.Contains(body, "delivery stopped") {
			t.Fatal("/account says delivery stopped before any bounce")
		}
		if _, err := db.Exec(ctx, "UPDATE list_subscriptions SET disabled_at = ?", time.Date(2026, 5, 2, 10, 0, 0, 0, time.UTC)); err != nil {
			t.Fatal(err)
		}
		if body := pat.get("/account").Body; !strings.Contains(body, "delivery stopped on 2 May 2026 because mail to this address bounced") || !strings.Contains(body, "removed 30 days after delivery stopped") {
			t.Errorf("/account does not show the stopped delivery: %.3000s", body)
		}
	})
}
