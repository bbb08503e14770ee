// Package auth knows who is asking and what they may do: roles, the
// identity of a signed-in participant, and the access rule that every route
// declares (S1: least access, default deny).
package auth

import (
	"slices"

	"plenary/internal/roles"
)

// Role is a set of duties that grants access to restricted data. The type
// lives in internal/roles, shared with the inventory's audiences.
type Role = roles.Role

const (
	Participant = roles.Participant
	Secretariat = roles.Secretariat
	Finance     = roles.Finance
	Security    = roles.Security
	Admin       = roles.Admin
	Privacy     = roles.Privacy
)

// AllRoles lists every role, for forms and for the route-walking test.
var AllRoles = roles.All()

// Identity is the person behind a request; nil means an anonymous visitor.
type Identity struct {
	PersonID int64
	Name     string
	Roles    []Role
}

// Has reports whether the identity holds role.
func (id *Identity) Has(role Role) bool {
	return id != nil && slices.Contains(id.Roles, role)
}

// Rule says who may use a route. The zero Rule allows nobody, so a route
// that forgets to say is closed rather than open.
type Rule struct {
	public   bool
	signedIn bool
	roles    []Role
}

// Public allows everyone, signed in or not.
func Public() Rule { return Rule{public: true} }

// SignedIn allows any signed-in participant.
func SignedIn() Rule { return Rule{signedIn: true} }

// Roles allows signed-in people holding at least one of roles.
func Roles(roles ...Role) Rule { return Rule{roles: roles} }

// IsZero reports whether the rule allows nobody (it was never set).
func (r Rule) IsZero() bool { return !r.public && !r.signedIn && len(r.roles) == 0 }

// Allows reports whether id may use the route.
func (r Rule) Allows(id *Identity) bool {
	switch {
	case r.public:
		return true
	case id == nil:
		return false
	case r.signedIn:
		return true
	}
	for _, role := range r.roles {
		if id.Has(role) {
			return true
		}
	}
	return false
}

// NeedsSignIn reports whether an anonymous visitor should be sent to the
// sign-in page rather than refused outright.
func (r Rule) NeedsSignIn() bool { return !r.public }

// String describes the rule for listings and test failures.
func (r Rule) String() string {
	switch {
	case r.public:
		return "public"
	case r.signedIn:
		return "signed in"
	case len(r.roles) > 0:
		s := "roles:"
		for i, role := range r.roles {
			if i > 0 {
				s += ","
			}
			s += string(role)
		}
		return s
	}
	return "nobody"
}
