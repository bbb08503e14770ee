package demo

import (
	"context"
	"fmt"
	"io"
	"time"

	"plenary/internal/auth"
	"plenary/internal/people"
	"plenary/internal/store"
)

// demoPassword is the password of every demo account. It is printed at
// start; a demo database is not for real data.
const demoPassword = "plenary-demo-password"

type demoPerson struct {
	name, email, affiliation string
	roles                    []auth.Role
}

var demoPeople = []demoPerson{
	{"Ada Admin", "admin@demo.example", "Example Standards Organization", []auth.Role{auth.Admin}},
	{"Sam Secretariat", "secretariat@demo.example", "Example Standards Organization", []auth.Role{auth.Secretariat}},
	{"Sol Security", "security@demo.example", "Example Standards Organization", []auth.Role{auth.Security}},
	{"Grace Hopper", "grace@demo.example", "Compiler Working Group", nil},
	{"Tim Participant", "tim@demo.example", "", nil},
}

// seedPeople creates an admin, a secretariat member, a security officer and
// two participants,
// all confirmed, and says how to sign in.
func seedPeople(ctx context.Context, tx *store.Tx, out io.Writer, now time.Time) error {
	hash, err := auth.DefaultHasher().Hash(demoPassword)
	if err != nil {
		return err
	}
	for _, p := range demoPeople {
		created, _, err := people.Create(ctx, tx, people.New{
			Name: p.name, Email: p.email, Origin: people.OriginSelf, Verified: true,
			PasswordHash: hash, AgeAttested: true, Roles: append([]auth.Role{auth.Participant}, p.roles...),
		}, now)
		if err != nil {
			return fmt.Errorf("demo account %s: %w", p.email, err)
		}
		if p.affiliation != "" {
			if _, err := people.Update(ctx, tx, created.ID, created.ID, people.Details{Name: p.name, Affiliation: p.affiliation}, now); err != nil {
				return err
			}
		}
	}
	fmt.Fprintln(out, "demo: sign in at /login with any of these accounts, password "+demoPassword+":")
	for _, p := range demoPeople {
		role := "participant"
		if len(p.roles) > 0 {
			role = string(p.roles[0])
		}
		fmt.Fprintf(out, "demo:   %-26s %s\n", p.email, role)
	}
	return nil
}
