package people_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"plenary/internal/audit"
	"plenary/internal/auth"
	"plenary/internal/people"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
	"plenary/internal/validate"
)

// service is the people use cases over db with a real audit log.
func service(db *store.DB) *people.Service {
	return &people.Service{DB: db, Audit: &audit.Log{DB: db, Key: []byte("people test audit key, 32 bytes")}}
}

// self is p acting on their own record.
func self(p people.Person) people.Request {
	return people.Request{Person: p.ID, Actor: people.Actor{ID: p.ID, Label: p.Name}}
}

// byStaff is a staff member with roles acting on personID's record.
func byStaff(personID int64, roles ...auth.Role) people.Request {
	return people.Request{Person: personID, Actor: people.Actor{ID: 999, Label: "Sam Staff", Roles: roles}, Staff: true, Reason: "asked by phone"}
}

var now = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func create(t *testing.T, db *store.DB, name, addr string) (people.Person, people.Email) {
	t.Helper()
	var p people.Person
	var e people.Email
	err := db.Tx(context.Background(), func(tx *store.Tx) error {
		var err error
		p, e, err = people.Create(context.Background(), tx, people.New{Name: name, Email: addr, Origin: people.OriginSelf, Verified: true, AgeAttested: true, Roles: []auth.Role{auth.Participant}}, now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return p, e
}

func TestCleanEmail(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"ada@Example.ORG", "ada@example.org", true},
		{"  ada@example.org ", "ada@example.org", true},
		{"Ada.Lovelace+ietf@example.org", "Ada.Lovelace+ietf@example.org", true},
		{"", "", false},
		{"ada", "", false},
		{"ada@localhost", "", false},
		{"Ada <ada@example.org>", "", false},
		{"ada@example.org, bob@example.org", "", false},
		{"ada@@example.org", "", false},
		{"ada@example.org\r\nBcc: x@example.org", "", false},
		{"ad a@example.org", "", false},
		{"ada@example.\xff", "", false},
		{strings.Repeat("a", 250) + "@example.org", "", false},
	}
	for _, tt := range tests {
		got, err := people.CleanEmail(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("CleanEmail(%q) = %q, %v; want %q ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestCleanName(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"Ada Lovelace", true},
		{"  Émilie du Châtelet ", true},
		{"李小龍", true},
		{"", false},
		{"   ", false},
		{"Ada\xffLovelace", false},
		{"Ada\x00", false},
		{"Ada\nLovelace", false},
		{strings.Repeat("a", people.MaxName+1), false},
	}
	for _, tt := range tests {
		_, err := people.CleanName(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("CleanName(%q) error = %v, want ok=%v", tt.in, err, tt.ok)
		}
		var fe *validate.Problem
		if err != nil && (!errors.As(err, &fe) || fe.Field != "name") {
			t.Errorf("CleanName(%q) error %v does not name the field", tt.in, err)
		}
	}
}

func TestCreateAndFind(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		p, e := create(t, db, "Ada Lovelace", "Ada@example.org")
		if !e.Primary || !e.Active || !e.Verified() || e.Origin != people.OriginSelf {
			t.Errorf("first address = %+v", e)
		}
		if p.AgeAttestedAt == nil {
			t.Error("age attestation not recorded")
		}
		got, ge, err := people.FindByEmail(ctx, db, "ADA@EXAMPLE.ORG")
		if err != nil || got.ID != p.ID || ge.Address != "Ada@example.org" {
			t.Errorf("FindByEmail = %+v %+v %v", got, ge, err)
		}
		if _, _, err := people.FindByEmail(ctx, db, "nobody@example.org"); !errors.Is(err, people.ErrNotFound) {
			t.Errorf("unknown address: %v", err)
		}
		err = db.Tx(ctx, func(tx *store.Tx) error {
			_, _, err := people.Create(ctx, tx, people.New{Name: "Other", Email: "ada@EXAMPLE.org", Origin: people.OriginSelf}, now)
			return err
		})
		if !errors.Is(err, people.ErrEmailTaken) {
			t.Errorf("second account with the same address: %v", err)
		}
		id, err := people.Identity(ctx, db, p.ID)
		if err != nil || id.Name != "Ada Lovelace" || !id.Has(auth.Participant) || id.Has(auth.Admin) {
			t.Errorf("Identity = %+v, %v", id, err)
		}
	})
}

// TestUpdateKeepsHistory covers R3: each corrected field is recorded with
// its old value and who changed it; a bad value changes nothing.
func TestUpdateKeepsHistory(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		p, _ := create(t, db, "Ada Lovelace", "ada@example.org")
		staff, _ := create(t, db, "Grace Staff", "grace@example.org")
		update := func(actor int64, d people.Details) ([]string, error) {
			var changed []string
			err := db.Tx(ctx, func(tx *store.Tx) error {
				var err error
				changed, err = people.Update(ctx, tx, p.ID, actor, d, now.Add(time.Minute))
				return err
			})
			return changed, err
		}
		changed, err := update(p.ID, people.Details{Name: "Ada King", Affiliation: "Analytical Engines"})
		if err != nil || strings.Join(changed, ",") != "name,affiliation" {
			t.Fatalf("Update = %v, %v", changed, err)
		}
		if _, err := update(staff.ID, people.Details{Name: "Ada King", Affiliation: "Analytical Engines", PostalAddress: "1 St James's Square\nLondon"}); err != nil {
			t.Fatal(err)
		}
		for _, bad := range []people.Details{{Name: ""}, {Name: "A\xffB"}, {Name: "Ada", Affiliation: strings.Repeat("x", people.MaxAffil+1)}} {
			if _, err := update(p.ID, bad); err == nil {
				t.Errorf("Update(%+q) was accepted", bad)
			}
		}
		got, _ := people.Get(ctx, db, p.ID)
		if got.Name != "Ada King" || got.PostalAddress != "1 St James's Square\nLondon" {
			t.Errorf("after updates: %+v", got)
		}
		h, err := people.History(ctx, db, p.ID)
		if err != nil || len(h) != 3 {
			t.Fatalf("History = %+v, %v", h, err)
		}
		last := h[0]
		if last.Field != "postal_address" || last.ActorID != staff.ID || last.ActorName != "Grace Staff" {
			t.Errorf("newest change = %+v", last)
		}
		var nameChange people.Change
		for _, c := range h {
			if c.Field == "name" {
				nameChange = c
			}
		}
		if nameChange.Old != "Ada Lovelace" || nameChange.New != "Ada King" || nameChange.ActorID != p.ID {
			t.Errorf("name change = %+v", nameChange)
		}
		if n, err := people.SweepHistory(ctx, db, 365, now.AddDate(1, 0, 1)); err != nil || n != 3 {
			t.Errorf("SweepHistory = %d, %v; want 3", n, err)
		}
	})
}

// TestPublicRecordAddressesAreDeactivatedNotErased: an address from a
// draft or a list posting stays with the record; one the person added is
// erased, and the history does not keep it.
func TestPublicRecordAddressesAreDeactivatedNotErased(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		p, primary := create(t, db, "Ada", "ada@example.org")
		tests := []struct {
			addr       string
			origin     people.Origin
			wantErased bool
		}{
			{"ada@drafts.example.org", people.OriginDraftAuthor, false},
			{"ada@lists.example.org", people.OriginListPosting, false},
			{"ada@home.example.org", people.OriginSelf, true},
			{"ada@staff.example.org", people.OriginStaff, true},
			{"ada@meeting.example.org", people.OriginRegistration, true},
		}
		svc := service(db)
		for _, tt := range tests {
			added, err := people.AddEmail(ctx, db, p.ID, p.ID, tt.addr, tt.origin, now)
			if err != nil {
				t.Fatal(err)
			}
			res, err := svc.ActOnAddress(ctx, self(p), added.ID, people.ActionRemove, now)
			if erased := res.Done == "removed"; err != nil || erased != tt.wantErased {
				t.Errorf("%s: erased = %v, %v; want %v", tt.origin, erased, err, tt.wantErased)
			}
			_, e, err := people.FindByEmail(ctx, db, tt.addr)
			switch {
			case tt.wantErased && !errors.Is(err, people.ErrNotFound):
				t.Errorf("%s: address still stored: %+v", tt.origin, e)
			case !tt.wantErased && (err != nil || e.Active):
				t.Errorf("%s: want kept and inactive, got %+v %v", tt.origin, e, err)
			}
		}
		var n int
		db.QueryRow(ctx, "SELECT COUNT(*) FROM person_changes WHERE old_value LIKE ? OR new_value LIKE ?", "%home.example%", "%home.example%").Scan(&n)
		if n != 0 {
			t.Error("history keeps an erased address")
		}
		_, err := svc.ActOnAddress(ctx, self(p), primary.ID, people.ActionRemove, now)
		if !errors.Is(err, people.ErrCannotRemovePrimary) {
			t.Errorf("removing the primary address: %v", err)
		}
	})
}

func TestPrimaryAndRoles(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		p, _ := create(t, db, "Ada", "ada@example.org")
		svc := service(db)
		c, err := svc.AddAddress(ctx, self(p), "ada2@example.org", people.OriginSelf, now)
		if err != nil || c.To != "ada2@example.org" || c.Token == "" {
			t.Fatalf("AddAddress = %+v, %v", c, err)
		}
		if _, err := svc.ActOnAddress(ctx, self(p), c.Email.ID, people.ActionPrimary, now); !errors.Is(err, people.ErrPrimaryNeedsVerified) {
			t.Errorf("unverified address made primary: %v", err)
		}
		if _, err := svc.ConfirmAddress(ctx, c.Token, now); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.ActOnAddress(ctx, self(p), c.Email.ID, people.ActionPrimary, now); err != nil {
			t.Fatal(err)
		}
		if pr, _ := people.Primary(ctx, db, p.ID); pr.ID != c.Email.ID {
			t.Errorf("primary is %+v", pr)
		}
		admin := people.Request{Person: p.ID, Actor: people.Actor{ID: 999, Label: "Alex Admin", Roles: []auth.Role{auth.Admin}}, Staff: true}
		if err := svc.SetRoles(ctx, admin, []auth.Role{auth.Admin, auth.Secretariat}, now); err != nil {
			t.Fatal(err)
		}
		roles, _ := people.Roles(ctx, db, p.ID)
		names := make([]string, len(roles))
		for i, r := range roles {
			names[i] = string(r)
		}
		if got := strings.Join(names, ","); got != "participant,secretariat,admin" {
			t.Errorf("roles = %q", got)
		}
		staff := people.Actor{ID: 999, Label: "Sam Staff", Roles: []auth.Role{auth.Secretariat}}
		found, err := svc.Search(ctx, staff, "ADA2@")
		if err != nil || len(found) != 1 || found[0].Email != "ada2@example.org" || !found[0].Confirmed {
			t.Errorf("Search by address = %+v, %v", found, err)
		}
		if found, _ := svc.Search(ctx, staff, "%"); len(found) != 0 {
			t.Errorf("a %% search matched everyone: %+v", found)
		}
	})
}

// TestUnprovenClaimDoesNotBlockTheOwner: an address someone added to their
// own account without confirming it yields to the address's owner, at
// sign-up or when added elsewhere; confirmed, primary, public-record and
// staff-entered addresses stay where they are.
func TestUnprovenClaimDoesNotBlockTheOwner(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		mallory, _ := create(t, db, "Mallory", "mallory@example.org")
		claim := func(addr string, origin people.Origin) {
			t.Helper()
			if _, err := people.AddEmail(ctx, db, mallory.ID, mallory.ID, addr, origin, now); err != nil {
				t.Fatal(err)
			}
		}
		claim("victim@example.org", people.OriginSelf)
		claim("author@example.org", people.OriginDraftAuthor)

		victim, e, err := people.Create(ctx, db, people.New{Name: "Victim", Email: "Victim@example.org", Origin: people.OriginSelf}, now)
		if err != nil || e.PersonID != victim.ID {
			t.Fatalf("the owner could not sign up with an address another account only claimed: %v", err)
		}
		emails, _ := people.Emails(ctx, db, mallory.ID)
		for _, m := range emails {
			if strings.EqualFold(m.Address, "victim@example.org") {
				t.Error("the unproven claim is still on the other account")
			}
		}
		hist, _ := people.History(ctx, db, mallory.ID)
		found := false
		for _, h := range hist {
			if h.Field == "unconfirmed address released" {
				found = true
				if strings.Contains(h.Old+h.New, "victim") {
					t.Errorf("the other account's history names the released address: %+v", h)
				}
			}
		}
		if !found {
			t.Error("the release is not in the other account's history")
		}
		for _, kept := range []string{"author@example.org", "mallory@example.org"} {
			if _, _, err := people.Create(ctx, db, people.New{Name: "X", Email: kept, Origin: people.OriginSelf}, now); !errors.Is(err, people.ErrEmailTaken) {
				t.Errorf("%s was released: %v", kept, err)
			}
		}
	})
}

// TestSweepUnconfirmed is U3 for sign-ups: an account whose address was
// never confirmed is removed after the grace period with everything it
// held; confirmed accounts, staff and public-record people stay.
func TestSweepUnconfirmed(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		mk := func(name, addr string, verified bool, origin people.Origin, roles ...auth.Role) people.Person {
			p, _, err := people.Create(ctx, db, people.New{Name: name, Email: addr, Origin: origin, Verified: verified, Roles: append([]auth.Role{auth.Participant}, roles...)}, now)
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		gone := mk("Never Confirmed", "never@example.org", false, people.OriginSelf)
		if _, err := people.AddEmail(ctx, db, gone.ID, gone.ID, "second@example.org", people.OriginSelf, now); err != nil {
			t.Fatal(err)
		}
		kept := []people.Person{
			mk("Confirmed", "ok@example.org", true, people.OriginSelf),
			mk("Author", "author@example.org", false, people.OriginDraftAuthor),
			mk("Staff", "staff@example.org", false, people.OriginSelf, auth.Secretariat),
		}
		if n, err := people.SweepUnconfirmed(ctx, db, now); err != nil || n != 0 {
			t.Fatalf("within the grace period: removed %d, %v", n, err)
		}
		n, err := people.SweepUnconfirmed(ctx, db, now.Add(people.UnconfirmedGrace+time.Hour))
		if err != nil || n != 1 {
			t.Fatalf("after the grace period: removed %d, %v; want the one unconfirmed sign-up", n, err)
		}
		if _, err := people.Get(ctx, db, gone.ID); !errors.Is(err, people.ErrNotFound) {
			t.Errorf("the unconfirmed account is still there: %v", err)
		}
		var left int
		db.QueryRow(ctx, "SELECT COUNT(*) FROM person_emails WHERE person_id = ?", gone.ID).Scan(&left)
		if left != 0 {
			t.Errorf("%d addresses of the removed account remain", left)
		}
		for _, p := range kept {
			if _, err := people.Get(ctx, db, p.ID); err != nil {
				t.Errorf("%s was removed: %v", p.Name, err)
			}
		}
	})
}

// TestSessionIdentity: the one query behind every signed-in request gives
// the person with their roles in the declared order, and nobody for a
// token that is unknown, expired, of another kind, malformed, or whose
// person is gone.
func TestSessionIdentity(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ada, _ := create(t, db, "Ada Lovelace", "ada@example.org")
		bob, _ := create(t, db, "Bob Roleless", "bob@example.org")
		admin := people.Request{Person: ada.ID, Actor: people.Actor{ID: 999, Label: "Alex Admin", Roles: []auth.Role{auth.Admin}}, Staff: true}
		if err := service(db).SetRoles(ctx, admin, []auth.Role{auth.Admin, auth.Secretariat}, now); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(ctx, "DELETE FROM person_roles WHERE person_id = ?", bob.ID); err != nil {
			t.Fatal(err)
		}
		start := func(pid int64, kind string, ttl time.Duration) string {
			tok, err := auth.StartSession(ctx, db, pid, kind, auth.NewFamily(), ttl, now)
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
		adaTok, bobTok := start(ada.ID, auth.KindSession, time.Hour), start(bob.ID, auth.KindSession, time.Hour)
		expired := start(ada.ID, auth.KindSession, time.Minute)
		remember := start(ada.ID, auth.KindRemember, time.Hour)
		gone, _ := create(t, db, "Gone Person", "gone@example.org")
		goneTok := start(gone.ID, auth.KindSession, time.Hour)
		if _, err := db.Exec(ctx, "DELETE FROM people WHERE id = ?", gone.ID); err != nil {
			t.Fatal(err)
		}
		later := now.Add(2 * time.Minute)
		for _, c := range []struct {
			name, token, kind, want string // want: "id name roles", "" for nobody
		}{
			{"staff", adaTok, auth.KindSession, strconv.FormatInt(ada.ID, 10) + " Ada Lovelace participant,secretariat,admin"},
			{"no roles at all", bobTok, auth.KindSession, strconv.FormatInt(bob.ID, 10) + " Bob Roleless "},
			{"expired", expired, auth.KindSession, ""},
			{"a remember-me token as a session", remember, auth.KindSession, ""},
			{"unknown", auth.NewToken(), auth.KindSession, ""},
			{"empty", "", auth.KindSession, ""},
			{"oversized", strings.Repeat("a", 101), auth.KindSession, ""},
			{"person gone", goneTok, auth.KindSession, ""},
		} {
			id, err := people.SessionIdentity(ctx, db, c.token, c.kind, later)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			got := ""
			if id != nil {
				var roles []string
				for _, r := range id.Roles {
					roles = append(roles, string(r))
				}
				got = strconv.FormatInt(id.PersonID, 10) + " " + id.Name + " " + strings.Join(roles, ",")
			}
			if got != c.want {
				t.Errorf("%s: %q, want %q", c.name, got, c.want)
			}
		}
	})
}
