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

// Password is the password of every demo account. It is printed at start
// and shown on the home page; a demo database is not for real data.
const Password = "plenary-demo-password"

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
	{"Fay Finance", "finance@demo.example", "Example Standards Organization", []auth.Role{auth.Finance}},
	{"Pia Privacy", "privacy@demo.example", "Example Standards Organization", []auth.Role{auth.Privacy}},
}

// allRoles are the roles the account is created with: participant, and
// its staff role if any.
func (p demoPerson) allRoles() []auth.Role { return append([]auth.Role{auth.Participant}, p.roles...) }

// Account is a demo account as the home page lists it. What it may open
// is not written here: the home page asks the routes' own access rules
// about Roles, so the two cannot disagree.
type Account struct {
	Name, Email string
	Role        string      // its role in words: "participant" or its staff role
	Roles       []auth.Role // every role it holds, as sign-in gives them
}

// Accounts lists the demo accounts.
func Accounts() []Account {
	out := make([]Account, 0, len(demoPeople))
	for _, p := range demoPeople {
		a := Account{Name: p.name, Email: p.email, Role: "participant", Roles: p.allRoles()}
		if len(p.roles) > 0 {
			a.Role = string(p.roles[0])
		}
		out = append(out, a)
	}
	return out
}

// seedPeople creates an admin, a secretariat member, a security officer,
// two participants, a finance officer and a privacy officer, all
// confirmed, and says how to sign in.
func seedPeople(ctx context.Context, tx *store.Tx, out io.Writer, now time.Time) error {
	hash, err := auth.DefaultHasher().Hash(Password)
	if err != nil {
		return err
	}
	for _, p := range demoPeople {
		created, _, err := people.Create(ctx, tx, people.New{
			Name: p.name, Email: p.email, Origin: people.OriginSelf, Verified: true,
			PasswordHash: hash, AgeAttested: true, Roles: p.allRoles(),
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
	fmt.Fprintln(out, "demo: sign in at /login with any of these accounts, password "+Password+":")
	for _, p := range demoPeople {
		role := "participant"
		if len(p.roles) > 0 {
			role = string(p.roles[0])
		}
		fmt.Fprintf(out, "demo:   %-26s %s\n", p.email, role)
	}
	return nil
}
