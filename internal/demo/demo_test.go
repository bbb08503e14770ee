package demo_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"plenary/internal/auth"
	"plenary/internal/demo"
	"plenary/internal/people"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestSeedCreatesAccountsAndSaysHowToSignIn: --demo creates an admin and
// participants whose printed password works, once.
func TestSeedCreatesAccountsAndSaysHowToSignIn(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var out bytes.Buffer
		ok, err := demo.Seed(ctx, demo.Deps{DB: db, Out: &out, Now: time.Now()})
		if err != nil || !ok {
			t.Fatalf("Seed = %v, %v", ok, err)
		}
		text := out.String()
		for _, want := range []string{"admin@demo.example", "tim@demo.example", "plenary-demo-password", "/login", "/admin/mailings"} {
			if !strings.Contains(text, want) {
				t.Errorf("output lacks %q:\n%s", want, text)
			}
		}
		p, _, err := people.FindByEmail(ctx, db, "admin@demo.example")
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := auth.FastHasher().Verify("plenary-demo-password", p.PasswordHash()); err != nil || !ok {
			t.Errorf("the printed password does not match (%v)", err)
		}
		id, err := people.Identity(ctx, db, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !id.Has(auth.Admin) {
			t.Errorf("demo admin roles %v", id.Roles)
		}
		var mailingsSent, copies int
		if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM mailings WHERE state = 'finished'").Scan(&mailingsSent); err != nil || mailingsSent != 1 {
			t.Errorf("%d sent demo mailings, %v; want 1", mailingsSent, err)
		}
		if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM mailing_recipients").Scan(&copies); err != nil || copies != 2 {
			t.Errorf("%d demo mailing recipients, %v; want 2", copies, err)
		}
		if again, err := demo.Seed(ctx, demo.Deps{DB: db, Out: &out, Now: time.Now()}); again || err != nil {
			t.Errorf("second Seed = %v, %v", again, err)
		}
	})
}
