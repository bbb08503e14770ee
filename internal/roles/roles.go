// Package roles names the duties a signed-in person can hold. It is a leaf:
// auth checks routes against these roles and the inventory says which of
// them may see each piece of personal data, so both speak of the same
// values and a role cannot be spelled two ways.
package roles

// Role is a set of duties that grants access to restricted data.
type Role string

const (
	Participant Role = "participant" // every signed-in account
	Secretariat Role = "secretariat" // runs meetings, lists and the participant database
	Finance     Role = "finance"     // sees payment records
	Security    Role = "security"    // may look up raw access-log lines (C3)
	Admin       Role = "admin"       // configures the site and assigns roles
	Privacy     Role = "privacy"     // decides data-subject requests such as removal (R4)
)

// All lists every role, for forms and for the route-walking test.
func All() []Role { return []Role{Participant, Secretariat, Finance, Security, Admin, Privacy} }

// Staff reports whether r is a staff role, one that reaches other people's
// data.
func (r Role) Staff() bool {
	switch r {
	case Secretariat, Finance, Security, Admin, Privacy:
		return true
	}
	return false
}
