package web

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"plenary/internal/jobs"
	"plenary/internal/mail"
	"plenary/internal/outbox"
	"plenary/internal/secrets"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// downSender is a mail server that cannot be reached, standing in for a
// process that dies before it sends: nothing leaves from the request.
type downSender struct{}

func (downSender) Send(context.Context, mail.Message) error {
	return errors.New("connection refused")
}

var nonceAttr = regexp.MustCompile(`nonce="[^"]*"`)

// TestResetMailSurvivesAFailedSendSealed (S3, C4): the reset link is stored
// with the link itself, sealed: when nothing leaves from the request (the
// mail server is down, as it would be for a process that died), the
// database holds neither the link nor the address in clear, and another
// instance's job runner sends it later; the link then works. The answer
// is the same whether or not the address has an account, and it does not
// wait for the mail server.
func TestResetMailSurvivesAFailedSendSealed(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := newAccountSite(t, siteOptions{DB: db, Routes: func(s *Server) { s.Mail = downSender{} }})
		a.makeStaff(t, "Wren Resetter", "wren.resetter@example.net")
		b := a.browser(t)
		answers := map[string]response{}
		for _, addr := range []string{"wren.resetter@example.net", "nobody.here@example.net"} {
			answers[addr] = b.post("/reset", url.Values{"email": {addr}})
		}
		a.waitForMail()
		known, unknown := answers["wren.resetter@example.net"], answers["nobody.here@example.net"]
		same := func(r response, addr string) string {
			return nonceAttr.ReplaceAllString(strings.ReplaceAll(r.Body, addr, "ADDRESS"), "")
		}
		if known.Status != 200 || unknown.Status != 200 || same(known, "wren.resetter@example.net") != same(unknown, "nobody.here@example.net") {
			t.Errorf("the answers differ: %d and %d\n%s\n---\n%s", known.Status, unknown.Status, known.Body, unknown.Body)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM mail_outbox"); n != 1 {
			t.Fatalf("%d messages waiting, want the one reset link", n)
		}
		for _, table := range []string{"mail_outbox", "jobs"} {
			raw := storetest.TableText(t, db, table)
			for _, secret := range []string{"wren.resetter@example.net", "/reset/", "Set a new password"} {
				if strings.Contains(raw, secret) {
					t.Errorf("%s holds %q in clear:\n%s", table, secret, raw)
				}
			}
		}
		var hash string
		if err := db.QueryRow(ctx, "SELECT token_hash FROM auth_tokens WHERE purpose = 'reset'").Scan(&hash); err != nil {
			t.Fatalf("the link's token: %v", err)
		}

		// Another instance, later, with the site's key and a working
		// mail server.
		keys, err := secrets.FromBytes([]byte("test site master key, at least 32 bytes"))
		if err != nil {
			t.Fatal(err)
		}
		sent := &mail.Outbox{}
		later := func() time.Time { return time.Now().Add(outbox.Grace + time.Second) }
		r := &jobs.Runner{Queue: &jobs.Queue{DB: db, Worker: "another-instance", Now: later},
			Handlers: map[string]jobs.Handler{outbox.JobKind: (&outbox.Outbox{DB: db, Sealer: keys.Sealer(outbox.KeyPurpose), Mail: sent, Now: later}).Handle}}
		if n, err := r.RunDue(ctx); err != nil || n != 1 {
			t.Fatalf("the other instance ran %d jobs (%v)", n, err)
		}
		m, ok := sent.Last("wren.resetter@example.net")
		sm := linkPattern.FindStringSubmatch(m.Body)
		if !ok || sm == nil || sm[1] != "reset" {
			t.Fatalf("the reset link was not sent: %+v", sent.Messages())
		}
		if strings.Contains(storetest.TableText(t, db, "auth_tokens"), sm[2]) {
			t.Error("the token is stored in clear")
		}
		if n := count(t, db, "SELECT COUNT(*) FROM mail_outbox"); n != 0 {
			t.Errorf("%d messages left once sent", n)
		}
		if res := b.post("/reset/"+sm[2], url.Values{"password": {"a brand new passphrase"}}); res.Status != 200 || !strings.Contains(res.Body, "password is changed") {
			t.Fatalf("the delivered link: %d %.300s", res.Status, res.Body)
		}
		if len(sent.Messages()) != 1 {
			t.Errorf("%d messages sent, want 1", len(sent.Messages()))
		}
	})
}
