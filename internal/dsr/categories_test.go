package dsr_test

import (
	"context"
	"strings"
	"testing"

	"plenary/internal/auth"
	"plenary/internal/dsr"
	"plenary/internal/jobs"
	"plenary/internal/people"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// publicRecords gives person a published posting under a contributor
// record and an author entry on a posted draft revision.
func publicRecords(t *testing.T, db *store.DB, person int64, name, addr string) {
	t.Helper()
	ctx := context.Background()
	exec := func(q string, args ...any) int64 {
		t.Helper()
		id, err := store.Insert(ctx, db, q, args...)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return id
	}
	tag := itoa(person)
	list := exec("INSERT INTO lists (name, description, posting, archive, created_at) VALUES (?, 'A group', 'open', 'public', ?)", "wg"+tag, now)
	c := exec("INSERT INTO list_contributors (email, name, person_id, token, accepted_at, created_at) VALUES (?, ?, ?, ?, ?, ?)", addr, name, person, "tok"+tag, now, now)
	exec(`INSERT INTO list_posts (list_id, contributor_id, message_id, in_reply_to, subject, body, status, created_at, published_at)
		VALUES (?, ?, ?, '', 'On crystals', ?, 'published', ?, ?)`, list, c, "<m"+tag+"@x>", "A posting body by "+tag, now, now)
	d := exec("INSERT INTO drafts (name, rev, title, posted_at) VALUES (?, '00', 'A draft', ?)", "draft-x-"+tag, now)
	r := exec("INSERT INTO draft_revisions (draft_id, rev, title, abstract, submitter_id, posted_at) VALUES (?, '00', 'A draft', 'About it.', ?, ?)", d, person, now)
	exec("INSERT INTO draft_authors (revision_id, position, name, email, affiliation, person_id) VALUES (?, 1, ?, ?, 'Lab', ?)", r, name, addr, person)
}

// TestRemovalIsDecidedPerCategory is R4's per-category decision on both
// engines: the account, inquiries and registrations are approved, the
// postings and drafts declined; the account goes with its sessions, the
// posting and the draft stay with the author replaced by a pseudonym,
// each approved category is carried out in its own audited step, the
// decisions are recorded category by category, and the mail tells each.
// Then another person's postings removal is approved while their account
// is kept: the posting goes, the account stays.
func TestRemovalIsDecidedPerCategory(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		ros := f.participant(t, "Rosalind Franklin", "ros@example.org", "rosalind@lab.example")
		publicRecords(t, db, ros, "Rosalind Franklin", "ros@example.org")
		id, err := dsr.RequestRemoval(ctx, db, f.log, ros, "", now)
		if err != nil {
			t.Fatal(err)
		}
		ds := []dsr.CategoryDecision{
			{Category: "account", Approve: true},
			{Category: "inquiries", Approve: true},
			{Category: "registrations", Approve: true},
			{Category: "postings", Approve: false, Reason: "the archive of the working group is a public record"},
			{Category: "drafts", Approve: false, Reason: "Internet-Drafts are kept"},
		}
		staff := dsr.Actor{ID: 9001, Label: "Pat Privacy"}
		if _, err := dsr.Decide(ctx, db, f.log, f.inv, staff, id, ds, "nothing else requires keeping it", now); err != nil {
			t.Fatal(err)
		}
		for q, want := range map[string]int{
			"SELECT COUNT(*) FROM people WHERE id = ?":                                                            0,
			"SELECT COUNT(*) FROM sessions WHERE person_id = ?":                                                   0,
			"SELECT COUNT(*) FROM list_contributors WHERE person_id = ?":                                          0,
			"SELECT COUNT(*) FROM draft_authors WHERE person_id = ?":                                              0,
			"SELECT COUNT(*) FROM draft_revisions WHERE submitter_id = ?":                                         0,
			"SELECT COUNT(*) FROM removal_decisions WHERE request_id = ? AND approved AND done_at IS NOT NULL":    3,
			"SELECT COUNT(*) FROM removal_decisions WHERE request_id = ? AND NOT approved AND done_at IS NULL":    2,
			"SELECT COUNT(*) FROM audit_log WHERE action = 'dsr.removal.carry-out' AND subject = 'removal:' || ?": 3,
		} {
			arg := any(ros)
			if strings.Contains(q, "request_id") || strings.Contains(q, "removal:") {
				arg = itoa(id)
			}
			if n := countRows(t, db, q, arg); n != want {
				t.Errorf("%s: %d, want %d", q, n, want)
			}
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM list_posts p JOIN list_contributors c ON c.id = p.contributor_id WHERE p.body = ? AND c.name = 'A former participant' AND c.email LIKE 'removed-%'", "A posting body by "+itoa(ros)); n != 1 {
			t.Error("the posting does not stay under a pseudonym")
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM draft_authors WHERE name = 'A former participant' AND email = ''"); n != 1 {
			t.Error("the draft does not name a pseudonym for its author")
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM removal_requests WHERE id = ? AND status = 'partly approved'", id); n != 1 {
			t.Error("the request is not recorded as partly approved")
		}
		m := sendDecision(t, f, "ros@example.org")
		for _, want := range []string{"Declined: it stays. Reason: the archive of the working group is a public record", "Approved: removed. Reason: nothing else requires keeping it", "A former participant"} {
			if !strings.Contains(m.Body, want) {
				t.Errorf("the mail lacks %q:\n%s", want, m.Body)
			}
		}
		s := &dsr.Scanner{DB: db, Inv: f.inv}
		hits, err := s.Scan(ctx, []string{"ros@example.org", "rosalind@lab.example", "Rosalind Franklin"})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hits {
			t.Errorf("left after the removal: %s", h.Place())
		}

		bob := f.participant(t, "Bob Bystander", "bob@example.org", "bob@other.example")
		publicRecords(t, db, bob, "Bob Bystander", "bob@example.org")
		id, err = dsr.RequestRemoval(ctx, db, f.log, bob, "only my postings, please", now)
		if err != nil {
			t.Fatal(err)
		}
		ds = every(false)
		ds[3].Approve = true
		if _, err := dsr.Decide(ctx, db, f.log, f.inv, staff, id, ds, "as asked", now); err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM list_posts WHERE body = ?", "A posting body by "+itoa(bob)); n != 0 {
			t.Error("the approved postings removal left the posting")
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM people WHERE id = ?", bob); n != 1 {
			t.Error("the declined account removal removed the account")
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM draft_authors WHERE person_id = ?", bob); n != 1 {
			t.Error("the declined drafts removal changed the draft")
		}
	})
}

// TestStaffEnteredRequestAndMailedCopy: staff enter a request that came
// by mail only with how identity was checked, for a confirmed address;
// the mailed copy is made for the person's confirmed primary address and
// both are audited with the check.
func TestStaffEnteredRequestAndMailedCopy(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		ros := f.participant(t, "Rosalind Franklin", "ros@example.org", "rosalind@lab.example")
		staff := dsr.Actor{ID: 9001, Label: "Pat Privacy"}
		if _, err := dsr.EnterRemoval(ctx, db, f.log, staff, "rosalind@lab.example", " ", "", now); err != dsr.ErrNoVerification {
			t.Errorf("a request without the check: %v", err)
		}
		if _, err := dsr.EnterRemoval(ctx, db, f.log, staff, "stranger@example.org", "replied from it", "", now); err != dsr.ErrNoSuchAddress {
			t.Errorf("a request for an unknown address: %v", err)
		}
		// An address staff entered on Rosalind's account, confirmed from
		// her primary, is not proof that mail from it is hers: Vera, who
		// reads it, must not have Rosalind's data mailed or removed.
		sec := people.Request{Person: ros, Staff: true, Reason: "asked by phone", Actor: people.Actor{ID: 9003, Label: "Sam", Roles: []auth.Role{auth.Secretariat}}}
		c, err := f.people.AddAddress(ctx, sec, "vera@example.net", people.OriginStaff, now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.people.ConfirmAddress(ctx, c.Token, now); err != nil {
			t.Fatal(err)
		}
		if _, err := dsr.EnterRemoval(ctx, db, f.log, staff, "vera@example.net", "replied from it", "", now); err != dsr.ErrUnprovenAddress {
			t.Errorf("a request from a staff-entered address: %v, want ErrUnprovenAddress", err)
		}
		if _, _, err := dsr.StaffExport(ctx, db, f.log, f.inv, nil, staff, "vera@example.net", "replied from it", now); err != dsr.ErrUnprovenAddress {
			t.Errorf("a copy asked for from a staff-entered address: %v, want ErrUnprovenAddress", err)
		}
		id, err := dsr.EnterRemoval(ctx, db, f.log, staff, "ROSALIND@lab.example", "she replied to our message sent to that address", "by letter", now)
		if err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM removal_requests WHERE id = ? AND person_id = ? AND entered_by = 9001 AND verified LIKE 'she replied%'", id, ros); n != 1 {
			t.Error("the entered request is not stored with who entered it and the check")
		}
		e, to, err := dsr.StaffExport(ctx, db, f.log, f.inv, nil, staff, itoa(ros), "she replied to our message", now)
		if err != nil {
			t.Fatal(err)
		}
		m, err := dsr.ExportMail(e, to, "Test Org")
		if err != nil || to != "ros@example.org" || !strings.Contains(m.Body, "Rosalind Franklin") || !strings.Contains(m.Body, "A question from Rosalind Franklin.") {
			t.Errorf("mailed copy to %q: %v %.300s", to, err, m.Body)
		}
		for _, q := range []string{
			"SELECT COUNT(*) FROM audit_log WHERE action = 'dsr.removal.enter' AND detail LIKE '%verified: she replied%'",
			"SELECT COUNT(*) FROM audit_log WHERE action = 'dsr.export' AND actor_id = 9001 AND detail LIKE '%verified: she replied%'",
		} {
			if n := countRows(t, db, q); n != 1 {
				t.Errorf("%s: %d", q, n)
			}
		}
	})
}

// TestInterruptedRemovalIsFinishedByTheQueue: when the removal stops after
// the decision is recorded (a crash between transactions), the queued
// decision-mail job carries out the approved categories, the account
// last and audited, before it mails the decision.
func TestInterruptedRemovalIsFinishedByTheQueue(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		ros := f.participant(t, "Rosalind Franklin", "ros@example.org", "rosalind@lab.example")
		id, err := dsr.RequestRemoval(ctx, db, f.log, ros, "", now)
		if err != nil {
			t.Fatal(err)
		}
		// What the decision's own transaction leaves behind.
		err = db.Tx(ctx, func(tx *store.Tx) error {
			for _, c := range every(true) {
				if _, err := tx.Exec(ctx, `INSERT INTO removal_decisions (request_id, category, approved, reason) VALUES (?, ?, ?, 'fine')`, id, c.Category, c.Category != "postings"); err != nil {
					return err
				}
			}
			if _, err := tx.Exec(ctx, `UPDATE removal_requests SET status = 'partly approved', decided_by = 9001, reply_to = 'ros@example.org' WHERE id = ?`, id); err != nil {
				return err
			}
			_, _, err := jobs.Enqueue(ctx, tx, jobs.New{Kind: dsr.MailKind, Key: itoa(id), Payload: itoa(id)}, now)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		m := sendDecision(t, f, "ros@example.org")
		if !strings.Contains(m.Body, "Approved: removed. Reason: fine") {
			t.Errorf("mail: %s", m.Body)
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM people WHERE id = ?", ros); n != 0 {
			t.Error("the queue did not finish the removal of the account")
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM removal_decisions WHERE request_id = ? AND approved AND done_at IS NULL", id); n != 0 {
			t.Errorf("%d approved categories left undone", n)
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'dsr.removal.carry-out' AND subject = ?", "removal:"+itoa(id)); n != 4 {
			t.Errorf("%d carry-out audit entries, want 4", n)
		}
	})
}
