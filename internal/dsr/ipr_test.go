package dsr_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"plenary/internal/documents"
	"plenary/internal/dsr"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestRemovalKeepsDisclosuresAndStatementsWithoutTheContact: an approved
// removal of a person who sent an IPR disclosure, naming themselves as its
// contact, and who is the contact of a liaison statement, keeps both as
// public records (posted, holder and text intact) but cuts the contact's
// name and address from them; a bystander's disclosure is untouched (R4,
// PUB1). The export lists both before the removal (R2).
func TestRemovalKeepsDisclosuresAndStatementsWithoutTheContact(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		ros := f.participant(t, "Rosalind Franklin", "ros@example.org", "rosalind@lab.example")
		bob := f.participant(t, "Bob Bystander", "bob@example.org", "bob@other.example")
		staff := documents.Submitter{ID: 9001, Name: "Sam Secretariat"}
		disclose := func(who int64, contact, addr string) int64 {
			d, err := documents.SubmitIPR(ctx, db, f.log, documents.Submitter{ID: who, Name: contact}, documents.IPRSubmission{
				Form: documents.IPRForm{Kind: documents.IPRSpecific, Title: "Statement by " + contact, Holder: "Lab Inc.",
					ContactName: contact, ContactEmail: addr, ContactInfo: "1 Lab Road", ShowContact: true, Drafts: "draft-lab-thing",
					Patents: "US 1 B1", Licensing: "royalty-free", AcceptTerms: true},
				VersionID: f.version, Transfer: "test transfer statement"}, now)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := documents.DecideIPR(ctx, db, f.log, staff, d.ID, "post", "", now); err != nil {
				t.Fatal(err)
			}
			return d.ID
		}
		mine := disclose(ros, "Rosalind Franklin", "rosalind@lab.example")
		theirs := disclose(bob, "Bob Bystander", "bob@other.example")
		l, err := documents.PostLiaisonDemo(ctx, db, 0, documents.LiaisonForm{From: "Other SDO", To: "lab", Title: "Hello", Purpose: "information",
			Body: "Text.", ContactName: "Rosalind Franklin", ContactEmail: "ROS@example.org"}, now)
		if err != nil {
			t.Fatal(err)
		}

		exp, err := dsr.MakeExport(ctx, db, f.log, f.inv, nil, dsr.Actor{ID: ros, Label: "the person"}, ros, "json", now)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := json.Marshal(exp)
		if err != nil {
			t.Fatal(err)
		}
		if body := string(raw); !strings.Contains(body, "Statement by Rosalind Franklin") || !strings.Contains(body, "ROS@example.org") || strings.Contains(body, "Statement by Bob") {
			t.Errorf("the export does not hold exactly the person's disclosure and statement:\n%.2000s", body)
		}

		id, err := dsr.RequestRemoval(ctx, db, f.log, ros, "", now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := dsr.Decide(ctx, db, f.log, f.inv, dsr.Actor{ID: 9002, Label: "Pat Privacy"}, id, every(true), "no record needs the name", now); err != nil {
			t.Fatal(err)
		}
		d, err := documents.GetIPR(ctx, db, mine)
		if err != nil {
			t.Fatal(err)
		}
		if d.State != "posted" || d.Holder != "Lab Inc." || d.ContactName != "A former contact" || d.ContactInfo != "" || !strings.HasSuffix(d.ContactEmail, "@invalid") {
			t.Errorf("the person's disclosure after removal: %+v", d)
		}
		other, _ := documents.GetIPR(ctx, db, theirs)
		if other.ContactName != "Bob Bystander" || other.ContactEmail != "bob@other.example" {
			t.Errorf("the bystander's disclosure changed: %+v", other)
		}
		st, _ := documents.GetLiaison(ctx, db, l.ID)
		if st.State != "posted" || st.Body != "Text." || st.ContactName != "A former contact" || !strings.HasSuffix(st.ContactEmail, "@invalid") {
			t.Errorf("the statement after removal: %+v", st)
		}
	})
}
