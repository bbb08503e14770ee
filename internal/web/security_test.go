package web

// Tests from the security review of the accounts and web layer: each one
// fails without the fix it names.

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"plenary/internal/auth"
	"plenary/internal/mail"
)

// TestSecretariatCannotTakeOverStaffAccounts: an address added to a record
// receives that record's password-reset link, so only an admin may change
// the addresses of someone who holds a staff role; otherwise a secretariat
// member could add their own address to an admin's record and reset the
// admin's password.
func TestSecretariatCannotTakeOverStaffAccounts(t *testing.T) {
	a := newAccountSite(t, siteOptions{})
	a.makeStaff(t, "Sam Secretariat", "sam@example.org", auth.Secretariat)
	a.makeStaff(t, "Alex Admin", "alex@example.org", auth.Admin)
	sec := a.signIn(t, "sam@example.org")
	adm := a.signIn(t, "alex@example.org")
	targets := map[string]int64{
		"admin":       a.makeStaff(t, "Ann Admin", "ann@example.org", auth.Admin),
		"security":    a.makeStaff(t, "Sid Security", "sid@example.org", auth.Security),
		"finance":     a.makeStaff(t, "Fay Finance", "fay@example.org", auth.Finance),
		"secretariat": a.makeStaff(t, "Sue Secretariat", "sue@example.org", auth.Secretariat),
		"participant": a.makeStaff(t, "Pat Participant", "pat@example.org"),
	}
	tests := []struct {
		actor  string
		target string
		want   int
	}{
		{"secretariat", "admin", http.StatusForbidden},
		{"secretariat", "security", http.StatusForbidden},
		{"secretariat", "finance", http.StatusForbidden},
		{"secretariat", "secretariat", http.StatusForbidden},
		{"secretariat", "participant", http.StatusSeeOther},
		{"admin", "admin", http.StatusSeeOther},
		{"admin", "security", http.StatusSeeOther},
	}
	for i, tt := range tests {
		t.Run(tt.actor+" changes "+tt.target, func(t *testing.T) {
			b := sec
			if tt.actor == "admin" {
				b = adm
			}
			person := fmt.Sprintf("/admin/people/%d", targets[tt.target])
			taker := fmt.Sprintf("taker%d@evil.example", i)
			res := b.post(person+"/emails", url.Values{"email": {taker}, "origin": {"staff"}, "reason": {"asked by phone"}})
			if res.Status != tt.want {
				t.Fatalf("adding an address: %d, want %d", res.Status, tt.want)
			}
			if res := b.post(person+"/emails/1/remove", url.Values{"reason": {"asked by phone"}}); tt.want == http.StatusForbidden && res.Status != http.StatusForbidden {
				t.Errorf("an address action: %d, want 403", res.Status)
			}
			a.browser(t).post("/reset", url.Values{"email": {taker}})
			a.waitForMail()
			_, mailed := a.outbox.Last(taker)
			if tt.want == http.StatusForbidden && mailed {
				t.Errorf("a reset link for the %s's account went to the address the %s added", tt.target, tt.actor)
			}
			if tt.want != http.StatusForbidden && !mailed {
				t.Errorf("no mail to the address added on request")
			}
		})
	}
}

// heldSender holds every message until release is closed, like an SMTP
// server that takes its time.
type heldSender struct {
	release chan struct{}
	outbox  mail.Outbox
}

func (h *heldSender) Send(ctx context.Context, m mail.Message) error {
	select {
	case <-h.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	return h.outbox.Send(ctx, m)
}

// TestResetAnswerDoesNotWaitForMail: the reset form says the same for every
// address, and must also take the same time. Sending the link takes an SMTP
// round trip that only an address with an account costs, so the answer
// must not wait for it.
func TestResetAnswerDoesNotWaitForMail(t *testing.T) {
	held := &heldSender{release: make(chan struct{})}
	a := newAccountSite(t, siteOptions{Routes: func(s *Server) { s.Mail = held }})
	a.makeStaff(t, "Ada", "ada@example.org")
	for _, addr := range []string{"nobody@example.org", "ada@example.org"} {
		b := a.browser(t)
		b.client.Timeout = 5 * time.Second
		start := time.Now()
		res := b.post("/reset", url.Values{"email": {addr}})
		if res.Status != 200 || !strings.Contains(res.Body, "If "+addr+" belongs to an account") {
			t.Errorf("%s: %d after %v", addr, res.Status, time.Since(start))
		}
	}
	close(held.release)
	a.waitForMail()
	if _, ok := held.outbox.Last("ada@example.org"); !ok {
		t.Error("the reset link was never sent")
	}
	if _, ok := held.outbox.Last("nobody@example.org"); ok {
		t.Error("mail went to an address without an account")
	}
}
