package web

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"plenary/internal/audit"
	"plenary/internal/auth"
	"plenary/internal/people"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestAuditPageShowsWhoReallyActed is issue 8's item 7: a secretariat
// member who calls themselves "Ada Admin" cannot pass for the real admin on
// the audit page, which shows each entry's account number and the staff
// roles that account held when the entry was written, beside the name as
// recorded.
func TestAuditPageShowsWhoReallyActed(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, siteOptions{DB: db})
		ctx := context.Background()
		now := time.Now()
		admin, _, err := people.Create(ctx, db, people.New{Name: "Ada Admin", Email: "ada@example.org", Origin: people.OriginSelf, Verified: true, AgeAttested: true, Roles: []auth.Role{auth.Participant, auth.Admin}}, now)
		if err != nil {
			t.Fatal(err)
		}
		impostor, _, err := people.Create(ctx, db, people.New{Name: "Ada Admin", Email: "sam@example.org", Origin: people.OriginSelf, Verified: true, AgeAttested: true, Roles: []auth.Role{auth.Participant, auth.Secretariat}}, now)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []people.Person{admin, impostor} {
			if err := s.Audit.Record(ctx, db, audit.Entry{Actor: p.ID, Label: "Ada Admin", Action: "people.view", Subject: fmt.Sprintf("person:%d", 900+p.ID)}); err != nil {
				t.Fatal(err)
			}
		}
		res := s.do(t, "GET", "/admin/audit", nil, roleHeader(auth.Security))
		if res.Status != 200 {
			t.Fatalf("status %d", res.Status)
		}
		rows := map[string]string{}
		for _, row := range strings.Split(res.Body, "<tr>") {
			for _, p := range []people.Person{admin, impostor} {
				if strings.Contains(row, fmt.Sprintf("person:%d", 900+p.ID)) {
					rows[fmt.Sprint(p.ID)] = row
				}
			}
		}
		for _, tt := range []struct {
			who  people.Person
			role string
		}{{admin, "<td>admin</td>"}, {impostor, "<td>secretariat</td>"}} {
			row := rows[fmt.Sprint(tt.who.ID)]
			for _, want := range []string{fmt.Sprintf("account %d<", tt.who.ID), tt.role, "<td>Ada Admin</td>"} {
				if !strings.Contains(row, want) {
					t.Errorf("the row of account %d lacks %q: %s", tt.who.ID, want, row)
				}
			}
		}
	})
}
