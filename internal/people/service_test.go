package people_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"plenary/internal/auth"
	"plenary/internal/inventory"
	"plenary/internal/people"
	"plenary/internal/policy"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
	"plenary/internal/validate"
)

// TestStaffChangesCommitWithTheirAuditEntry: each staff use case writes its
// audit entry in the transaction of its change, so when the entry cannot
// be written nothing is changed, and when it can there is exactly one.
func TestStaffChangesCommitWithTheirAuditEntry(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := service(db)
		p, _ := create(t, db, "Ada Lovelace", "ada@example.org")
		extra, err := people.AddEmail(ctx, db, p.ID, p.ID, "ada@meeting.example.org", people.OriginRegistration, now)
		if err != nil {
			t.Fatal(err)
		}
		q, _ := create(t, db, "Quinn", "quinn@example.org")
		sec := byStaff(p.ID, auth.Secretariat)
		tests := []struct {
			name    string
			do      func() error
			changed func() bool
		}{
			{"correct", func() error {
				_, err := svc.Correct(ctx, sec, people.Details{Name: "Ada King"}, now)
				return err
			}, func() bool { got, _ := people.Get(ctx, db, p.ID); return got.Name == "Ada King" }},
			{"add an address", func() error {
				_, err := svc.AddAddress(ctx, sec, "ada@home.example.org", people.OriginStaff, now)
				return err
			}, func() bool { _, _, err := people.FindByEmail(ctx, db, "ada@home.example.org"); return err == nil }},
			{"remove an address", func() error {
				_, err := svc.ActOnAddress(ctx, sec, extra.ID, people.ActionRemove, now)
				return err
			}, func() bool { _, _, err := people.FindByEmail(ctx, db, "ada@meeting.example.org"); return err != nil }},
			{"roles", func() error { return svc.SetRoles(ctx, byStaff(q.ID, auth.Admin), []auth.Role{auth.Finance}, now) },
				func() bool { id, _ := people.Identity(ctx, db, q.ID); return id.Has(auth.Finance) }},
		}
		audits := func() int {
			var n int
			if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM audit_log").Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		for _, tt := range tests {
			if _, err := db.Exec(ctx, "ALTER TABLE audit_log RENAME TO audit_log_away"); err != nil {
				t.Fatal(err)
			}
			err := tt.do()
			if _, rerr := db.Exec(ctx, "ALTER TABLE audit_log_away RENAME TO audit_log"); rerr != nil {
				t.Fatal(rerr)
			}
			if err == nil || tt.changed() {
				t.Errorf("%s without an audit log: err %v, changed %v", tt.name, err, tt.changed())
			}
			before := audits()
			if err := tt.do(); err != nil || !tt.changed() {
				t.Errorf("%s: err %v, changed %v", tt.name, err, tt.changed())
			}
			if n := audits() - before; n != 1 {
				t.Errorf("%s wrote %d audit entries, want 1", tt.name, n)
			}
		}
		// A refused change leaves no audit entry.
		before := audits()
		primary, _ := people.Primary(ctx, db, p.ID)
		if _, err := svc.ActOnAddress(ctx, sec, primary.ID, people.ActionRemove, now); !errors.Is(err, people.ErrCannotRemovePrimary) {
			t.Errorf("removing the primary: %v", err)
		}
		if _, err := svc.Correct(ctx, people.Request{Person: p.ID, Actor: sec.Actor, Staff: true}, people.Details{Name: "X"}, now); err == nil {
			t.Error("a staff correction without a request was accepted")
		}
		if n := audits() - before; n != 0 {
			t.Errorf("refused changes wrote %d audit entries", n)
		}
		if r, err := svc.Audit.Verify(ctx, nil); err != nil || !r.OK() {
			t.Errorf("audit chain: %+v %v", r, err)
		}
	})
}

// TestStaffEnteredAddressNeedsTheOwner (issue 8, item 1): an address staff
// enter is confirmed only through a link mailed to the person's own
// confirmed primary address; until then it receives no reset link and
// blocks a staff role; staff cannot pass it off as the person's own, and
// only an admin may touch a staff member's addresses.
func TestStaffEnteredAddressNeedsTheOwner(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := service(db)
		p, _ := create(t, db, "Pat", "pat@example.org")
		sam, _ := create(t, db, "Sam Staff", "sam@example.org")
		sec := byStaff(p.ID, auth.Secretariat)
		sec.Actor.ID = sam.ID
		admin := byStaff(p.ID, auth.Admin)

		_, err := svc.AddAddress(ctx, sec, "mallory@evil.example", people.OriginSelf, now)
		if errs, ok := validate.From(err); !ok || !errs.Has("origin") {
			t.Errorf("staff entered an address as the person's own: %v", err)
		}
		c, err := svc.AddAddress(ctx, sec, "mallory@evil.example", people.OriginStaff, now)
		if err != nil || c.To != "pat@example.org" || c.Token == "" || c.Email.Verified() {
			t.Fatalf("AddAddress = %+v, %v; want a link to the primary address", c, err)
		}
		if link, err := svc.RequestReset(ctx, "mallory@evil.example", now); err != nil || link.To != "" || link.Token != "" {
			t.Errorf("reset for the unconfirmed address = %+v, %v", link, err)
		}
		var unconfirmed *people.UnconfirmedError
		if err := svc.SetRoles(ctx, admin, []auth.Role{auth.Admin}, now); !errors.As(err, &unconfirmed) || !strings.Contains(err.Error(), "mallory@evil.example") {
			t.Errorf("granting admin with an unconfirmed address: %v", err)
		}
		// The owner confirms it from their primary address.
		if _, err := svc.ConfirmAddress(ctx, c.Token, now); err != nil {
			t.Fatal(err)
		}
		if link, err := svc.RequestReset(ctx, "mallory@evil.example", now); err != nil || link.To != "mallory@evil.example" {
			t.Errorf("reset for the confirmed address = %+v, %v", link, err)
		}
		if err := svc.SetRoles(ctx, admin, []auth.Role{auth.Secretariat}, now); err != nil {
			t.Errorf("granting a role once confirmed: %v", err)
		}
		// Now a staff member: only an admin may change the addresses.
		if _, err := svc.AddAddress(ctx, sec, "more@evil.example", people.OriginStaff, now); !errors.Is(err, people.ErrStaffAddresses) {
			t.Errorf("secretariat added an address to a staff member: %v", err)
		}
		if _, err := svc.AddAddress(ctx, admin, "more@example.org", people.OriginStaff, now); err != nil {
			t.Errorf("an admin adding an address: %v", err)
		}
		// Without a confirmed primary there is no one to ask: the address
		// is held, unconfirmed, and no link goes anywhere.
		u, _, err := people.Create(ctx, db, people.New{Name: "Una", Email: "una@example.org", Origin: people.OriginSelf}, now)
		if err != nil {
			t.Fatal(err)
		}
		if c, err := svc.AddAddress(ctx, byStaff(u.ID, auth.Secretariat), "una@work.example.org", people.OriginRegistration, now); err != nil || c.Token != "" || c.To != "" {
			t.Errorf("with an unconfirmed primary: %+v, %v", c, err)
		}
		// The history says who confirmed, and a reset names the link.
		h, _ := people.History(ctx, db, p.ID)
		var fields []string
		for _, c := range h {
			fields = append(fields, c.Field+" by "+c.Who(p.ID, false))
		}
		if got := strings.Join(fields, "; "); !strings.Contains(got, "email confirmed by you") || !strings.Contains(got, "email added by Sam Staff (staff)") {
			t.Errorf("history: %s", got)
		}
	})
}

// TestPersonAddingAnotherAccountsAddress (issue 8, item 3): nothing is
// saved, and the outcome says to tell that account's owner.
func TestPersonAddingAnotherAccountsAddress(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := service(db)
		eve, _ := create(t, db, "Eve", "eve@example.org")
		create(t, db, "Bob", "bob@example.org")
		c, err := svc.AddAddress(ctx, self(eve), "Bob@example.org", people.OriginStaff, now)
		if err != nil || !c.Taken || c.To != "bob@example.org" || c.Token != "" {
			t.Errorf("AddAddress = %+v, %v", c, err)
		}
		emails, _ := people.Emails(ctx, db, eve.ID)
		h, _ := people.History(ctx, db, eve.ID)
		if len(emails) != 1 || len(h) != 0 {
			t.Errorf("something was saved: %+v %+v", emails, h)
		}
		// The person's own address typed again is a new link, not a new row.
		c1, _ := svc.AddAddress(ctx, self(eve), "eve2@example.org", people.OriginSelf, now)
		c2, err := svc.AddAddress(ctx, self(eve), "eve2@example.org", people.OriginSelf, now)
		if err != nil || c2.Email.ID != c1.Email.ID || c2.Token == "" || c2.Token == c1.Token || c2.Email.Origin != people.OriginSelf {
			t.Errorf("adding it again = %+v, %v; first %+v", c2, err, c1)
		}
	})
}

func TestCheckPassword(t *testing.T) {
	tests := []struct {
		pw, want string
	}{
		{"a long enough passphrase", ""},
		{"correct horse", ""},
		{"0123456789", ""},
		{"", "required"},
		{"short", "too short"},
		{"          ", "not spaces"},
		{"a         ", "not spaces"},
		{"abc\t\t\t\t\t\t\t\t\t", "not spaces"},
		{"\u200b\u200b\u200b\u200b\u200b\u200b\u200babcd", "not spaces"},
		{"abcdefghi\xff", "not valid text"},
		{strings.Repeat("x", people.MaxPassword+1), "too long"},
	}
	for _, tt := range tests {
		err := people.CheckPassword(tt.pw)
		if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("CheckPassword(%q) = %v, want %q", tt.pw, err, tt.want)
		}
	}
}

// TestSignUpFormReportsEveryProblem: an empty form hears of every field.
func TestSignUpFormReportsEveryProblem(t *testing.T) {
	_, err := people.SignUpForm{}.Check()
	errs, ok := validate.From(err)
	if !ok {
		t.Fatalf("Check = %v", err)
	}
	for _, f := range []string{"name", "email", "password", "age_ok", "consent"} {
		if !errs.Has(f) {
			t.Errorf("no problem for %s: %v", f, errs)
		}
	}
	clean, err := people.SignUpForm{Name: " Ada ", Email: "ada@EXAMPLE.org", Password: "a long enough passphrase", AgeOK: true, Consent: true}.Check()
	if err != nil || clean.Name != "Ada" || clean.Email != "ada@example.org" {
		t.Errorf("Check = %+v, %v", clean, err)
	}
}

// TestResetLinkNeedsItsAddressInUse: a reset or sign-in link mailed to an
// address stops working when the address is deactivated (it came from a
// public record, so it is kept), and a reset link whose address is no
// longer in use sets no password even if it outlived the deactivation.
func TestResetLinkNeedsItsAddressInUse(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := service(db)
		grace, _ := create(t, db, "Grace", "grace@example.org")
		// Staff enter an address from a list posting; Grace confirms it
		// from her primary address, so it receives reset links.
		confirmed := func(addr string) people.Email {
			t.Helper()
			c, err := svc.AddAddress(ctx, byStaff(grace.ID, auth.Secretariat), addr, people.OriginListPosting, now)
			if err != nil {
				t.Fatal(err)
			}
			e, err := svc.ConfirmAddress(ctx, c.Token, now)
			if err != nil {
				t.Fatal(err)
			}
			return e
		}
		old := confirmed("grace-old@example.org")
		reset, err := svc.RequestReset(ctx, "grace-old@example.org", now)
		if err != nil || reset.To != "grace-old@example.org" {
			t.Fatalf("RequestReset = %+v, %v", reset, err)
		}
		signin, err := auth.IssueToken(ctx, db, auth.PurposeSignIn, grace.ID, old.ID, auth.SignInTTL, now)
		if err != nil {
			t.Fatal(err)
		}
		res, err := svc.ActOnAddress(ctx, self(grace), old.ID, people.ActionRemove, now)
		if err != nil || res.Done != "deactivated" {
			t.Fatalf("removing the address = %+v, %v; want it deactivated", res, err)
		}
		if _, err := svc.ResetPassword(ctx, reset.Token, "attacker's hash", now); !errors.Is(err, auth.ErrTokenUnknown) {
			t.Errorf("the reset link after its address was deactivated: %v, want %v", err, auth.ErrTokenUnknown)
		}
		if _, err := svc.SignInByLink(ctx, signin, now); !errors.Is(err, auth.ErrTokenUnknown) {
			t.Errorf("the sign-in link after its address was deactivated: %v, want %v", err, auth.ErrTokenUnknown)
		}

		// A reset link that outlived its address's deactivation (one
		// issued before deactivating ended links) is refused all the same.
		list := confirmed("grace-list@example.org")
		late, err := svc.RequestReset(ctx, "grace-list@example.org", now)
		if err != nil || late.Token == "" {
			t.Fatalf("RequestReset = %+v, %v", late, err)
		}
		if _, err := db.Exec(ctx, "UPDATE person_emails SET active = ? WHERE id = ?", false, list.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.ResetPassword(ctx, late.Token, "attacker's hash", now); !errors.Is(err, people.ErrResetAddressGone) {
			t.Errorf("a reset link whose address is not in use: %v, want %v", err, people.ErrResetAddressGone)
		}
		if p, _ := people.Get(ctx, db, grace.ID); p.PasswordHash() != "" {
			t.Errorf("the password was set to %q", p.PasswordHash())
		}
		var audited int
		if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM audit_log WHERE action = ?", "people.password.reset").Scan(&audited); err != nil || audited != 0 {
			t.Errorf("%d password resets audited (%v), want none", audited, err)
		}
	})
}

// signUps is the people use cases with a published privacy statement, as
// sign-up needs one.
func signUps(t *testing.T, db *store.DB) *people.Service {
	t.Helper()
	svc := service(db)
	svc.Policy = &policy.Service{DB: db, Inventory: inventory.Default(), Facts: policy.Facts{Org: "Test Org", Country: "Iceland", Contact: "privacy@example.org"}}
	if _, err := svc.Policy.EnsureCurrent(context.Background(), now); err != nil {
		t.Fatal(err)
	}
	return svc
}

func signUp(t *testing.T, svc *people.Service, name, addr, hash string) people.SignedUp {
	t.Helper()
	out, err := svc.SignUp(context.Background(), people.SignUpForm{Name: name, Email: addr, Password: "a long enough passphrase", AgeOK: true, Consent: true}, hash, now)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestNewSignUpReplacesAnUnconfirmedOne (the squatted address): a sign-up
// whose address was never confirmed is replaced by the next sign-up with
// that address, whoever makes it: its confirmation link stops working and
// the account goes, with the password chosen in the newest sign-up, to
// whoever follows the newest link. A confirmed account is never replaced,
// and an account that adds the address replaces the unconfirmed sign-up
// too.
func TestNewSignUpReplacesAnUnconfirmedOne(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := signUps(t, db)
		squat := signUp(t, svc, "Mallory", "squat-victim@example.org", "mallory's hash")
		victim := signUp(t, svc, "Victor", "Squat-Victim@example.org", "victor's hash")
		if squat.Existing || victim.Existing || victim.Person.ID == squat.Person.ID || victim.Token == "" {
			t.Fatalf("the second sign-up: %+v after %+v; want a new account with its own link", victim, squat)
		}
		if _, err := people.Get(ctx, db, squat.Person.ID); !errors.Is(err, people.ErrNotFound) {
			t.Errorf("the replaced sign-up is still there: %v", err)
		}
		if _, err := svc.ConfirmAddress(ctx, squat.Token, now); !errors.Is(err, auth.ErrTokenUnknown) {
			t.Errorf("the replaced sign-up's link: %v, want %v", err, auth.ErrTokenUnknown)
		}
		if _, err := svc.ConfirmAddress(ctx, victim.Token, now); err != nil {
			t.Fatalf("the newest link: %v", err)
		}
		p, e, err := people.FindByEmail(ctx, db, "squat-victim@example.org")
		if err != nil || p.ID != victim.Person.ID || p.PasswordHash() != "victor's hash" || !e.Verified() {
			t.Errorf("the address belongs to %+v %+v (%v); want Victor's confirmed account with his password", p, e, err)
		}
		// Confirmed, it is an account: a sign-up now creates nothing.
		again := signUp(t, svc, "Mallory", "squat-victim@example.org", "mallory's hash")
		if !again.Existing || again.Token != "" {
			t.Errorf("a sign-up with a confirmed account's address: %+v", again)
		}
		if p, _, _ := people.FindByEmail(ctx, db, "squat-victim@example.org"); p.ID != victim.Person.ID || p.PasswordHash() != "victor's hash" {
			t.Errorf("the confirmed account changed: %+v", p)
		}

		// An account that proved its mailbox adds an address an
		// unconfirmed sign-up holds: the sign-up is replaced.
		ada, _ := create(t, db, "Ada", "ada@example.org")
		pending := signUp(t, svc, "Mallory", "ada@work.example", "mallory's hash")
		c, err := svc.AddAddress(ctx, self(ada), "ada@work.example", people.OriginSelf, now)
		if err != nil || c.Taken || c.To != "ada@work.example" || c.Email.PersonID != ada.ID {
			t.Fatalf("adding the address = %+v, %v; want it added to Ada's account", c, err)
		}
		if _, err := people.Get(ctx, db, pending.Person.ID); !errors.Is(err, people.ErrNotFound) {
			t.Errorf("the replaced sign-up is still there: %v", err)
		}
	})
}

// TestDeletedSignUpsLeaveNoAuthorLinks: a draft's author row that was
// linked to an unconfirmed sign-up (as drafts were before they linked
// only proven holders) is unlinked when the sign-up is replaced or swept,
// and linked to whoever then confirms the address.
func TestDeletedSignUpsLeaveNoAuthorLinks(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := signUps(t, db)
		draftID, err := store.Insert(ctx, db, "INSERT INTO drafts (name, rev, title, authors, posted_at) VALUES (?, ?, ?, ?, ?)", "draft-test-links", "00", "Links", "Ann, Bo", now)
		if err != nil {
			t.Fatal(err)
		}
		revID, err := store.Insert(ctx, db, "INSERT INTO draft_revisions (draft_id, rev, title, abstract, posted_at) VALUES (?, ?, ?, ?, ?)", draftID, "00", "Links", "About links.", now)
		if err != nil {
			t.Fatal(err)
		}
		linked := func(addr string, person int64) {
			t.Helper()
			if _, err := db.Exec(ctx, "INSERT INTO draft_authors (revision_id, position, name, email, person_id) VALUES (?, ?, ?, ?, ?)", revID, 0, "Someone", addr, person); err != nil {
				t.Fatal(err)
			}
		}
		linkOf := func(addr string) int64 {
			t.Helper()
			var id *int64
			if err := db.QueryRow(ctx, "SELECT person_id FROM draft_authors WHERE email = ?", addr).Scan(&id); err != nil {
				t.Fatal(err)
			}
			if id == nil {
				return 0
			}
			return *id
		}
		first := signUp(t, svc, "Ann", "ann@example.org", "a hash")
		linked("ann@example.org", first.Person.ID)
		again := signUp(t, svc, "Ann", "ann@example.org", "another hash")
		if got := linkOf("ann@example.org"); got != 0 {
			t.Errorf("after the sign-up was replaced the row is linked to %d, want no one", got)
		}
		if _, err := svc.ConfirmAddress(ctx, again.Token, now); err != nil {
			t.Fatal(err)
		}
		if got := linkOf("ann@example.org"); got != again.Person.ID {
			t.Errorf("once confirmed the row is linked to %d, want %d", got, again.Person.ID)
		}

		swept := signUp(t, svc, "Bo", "bo@example.org", "a hash")
		linked("bo@example.org", swept.Person.ID)
		if n, err := people.SweepUnconfirmed(ctx, db, now.Add(people.UnconfirmedGrace+time.Hour)); err != nil || n != 1 {
			t.Fatalf("SweepUnconfirmed = %d, %v; want the one unconfirmed sign-up", n, err)
		}
		if got := linkOf("bo@example.org"); got != 0 {
			t.Errorf("after the sign-up was swept the row is linked to %d, want no one", got)
		}
	})
}
