package dsr_test

import (
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"plenary/internal/audit"
	"plenary/internal/auth"
	"plenary/internal/dsr"
	"plenary/internal/inquiries"
	"plenary/internal/inventory"
	"plenary/internal/jobs"
	"plenary/internal/mail"
	"plenary/internal/people"
	"plenary/internal/policy"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

var now = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

type fixture struct {
	db      *store.DB
	log     *audit.Log
	inv     *inventory.Inventory
	version int64
	people  *people.Service
}

func setup(t testing.TB, db *store.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	pol := &policy.Service{DB: db, Inventory: inventory.Default(), Facts: policy.Facts{Org: "Test Org", Country: "Iceland", Contact: "privacy@example.org"}}
	if _, err := pol.EnsureCurrent(ctx, now); err != nil {
		t.Fatal(err)
	}
	v, err := pol.Current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	log := &audit.Log{DB: db, Key: []byte("dsr test audit key, 32 bytes...")}
	return &fixture{db: db, log: log, inv: inventory.Default(), version: v.ID,
		people: &people.Service{DB: db, Audit: log, Policy: pol}}
}

// participant signs someone up as the site does, confirms the address,
// adds and confirms a second one, corrects a detail (history), signs in
// twice (a session and a remember-me token) and sends an inquiry from the
// second address, then one from an address they never confirmed.
func (f *fixture) participant(t *testing.T, name, addr, second string) int64 {
	t.Helper()
	ctx := context.Background()
	su, err := f.people.SignUp(ctx, people.SignUpForm{Name: name, Email: addr, Password: "a long enough password", AgeOK: true, Consent: true}, "hash-of-password", now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.people.ConfirmAddress(ctx, su.Token, now); err != nil {
		t.Fatal(err)
	}
	id := su.Person.ID
	self := people.Request{Person: id, Actor: people.Actor{ID: id, Label: name}}
	c, err := f.people.AddAddress(ctx, self, second, people.OriginSelf, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.people.ConfirmAddress(ctx, c.Token, now); err != nil {
		t.Fatal(err)
	}
	if _, err := f.people.Correct(ctx, self, people.Details{Name: name, Affiliation: "Lab of " + name, PostalAddress: "1 " + name + " Street"}, now); err != nil {
		t.Fatal(err)
	}
	// One sign-in's mark, fixed rather than auth.NewFamily's random one:
	// the export is searched for what it must not hold, such as "Bob", and
	// two marks of 43 random characters held it about once in 3,200.
	family := "family-of-" + strconv.FormatInt(id, 10)
	for _, kind := range []string{"session", "remember"} {
		if _, err := auth.StartSession(ctx, f.db, id, kind, family, time.Hour, now); err != nil {
			t.Fatal(err)
		}
	}
	in, err := inquiries.Submit(ctx, f.db, f.log, inquiries.Submission{
		Form:      inquiries.Form{Name: name, Email: strings.ToUpper(second), Category: "general", Message: "A question from " + name + ".", Consent: true},
		VersionID: f.version, Transfer: "stored in Iceland",
	}, now)
	if err != nil {
		t.Fatal(err)
	}
	staff := inquiries.Staff{ID: 9000, Name: "Sam Staff"}
	out := inquiries.Outgoing{Sender: &mail.Outbox{}, Domain: "plenary.example", Org: "Test Org"}
	if err := inquiries.Reply(ctx, f.db, f.log, out, staff, in.ID, "An answer for you.", now); err != nil {
		t.Fatal(err)
	}
	return id
}

// every decides every removal category the same way.
func every(approve bool) []dsr.CategoryDecision {
	var out []dsr.CategoryDecision
	for _, c := range []string{"account", "inquiries", "registrations", "postings", "drafts"} {
		out = append(out, dsr.CategoryDecision{Category: c, Approve: approve})
	}
	return out
}

// sendDecision runs the queued decision-mail jobs and returns the message
// sent to addr.
func sendDecision(t *testing.T, f *fixture, addr string) mail.Message {
	t.Helper()
	box := &mail.Outbox{}
	r := &jobs.Runner{Queue: &jobs.Queue{DB: f.db, Worker: "test"}, Handlers: map[string]jobs.Handler{
		dsr.MailKind: (&dsr.Mailer{DB: f.db, Audit: f.log, Inv: f.inv, Mail: box, Org: "Test Org"}).Handle}}
	if _, err := r.RunDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	m, ok := box.Last(addr)
	if !ok {
		t.Fatalf("no decision mailed to %s: %+v", addr, box.Messages())
	}
	return m
}

func countRows(t *testing.T, db *store.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// TestExportWalksTheInventory: the export holds the person's account,
// addresses, history, sessions, consent entries and the inquiry sent from
// a confirmed address with its thread, nothing of another person, no
// secret hashes, the access-log statement, and an audit entry (R2, C2).
func TestExportWalksTheInventory(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		ros := f.participant(t, "Rosalind Franklin", "ros@example.org", "rosalind@lab.example")
		f.participant(t, "Bob Bystander", "bob@example.org", "bob@other.example")

		e, err := dsr.MakeExport(ctx, db, f.log, f.inv, nil, dsr.Actor{ID: ros, Label: "the person"}, ros, "json", now)
		if err != nil {
			t.Fatal(err)
		}
		rows := map[string]int{}
		var all strings.Builder
		for _, tb := range e.Tables {
			rows[tb.Table] = len(tb.Rows)
			for _, r := range tb.Rows {
				all.WriteString(strings.Join(r, "|") + "\n")
			}
			if slices.Contains(tb.Columns, "password_hash") || slices.Contains(tb.Columns, "token_hash") {
				t.Errorf("%s exports a secret hash column: %v", tb.Table, tb.Columns)
			}
		}
		want := map[string]int{"people": 1, "person_emails": 2, "person_roles": 1, "person_changes": 4, // the second address added and confirmed, affiliation, postal address
			"sessions":  2,
			"inquiries": 1, "inquiry_messages": 1, "consent_ledger": 2, "removal_requests": 0}
		for table, n := range want {
			if rows[table] != n {
				t.Errorf("export has %d rows of %s, want %d", rows[table], table, n)
			}
		}
		text := all.String()
		for _, s := range []string{"Rosalind Franklin", "rosalind@lab.example", "A question from Rosalind Franklin.", "An answer for you.", "Lab of Rosalind Franklin"} {
			if !strings.Contains(text, s) {
				t.Errorf("export lacks %q", s)
			}
		}
		for _, s := range []string{"Bob", "hash-of-password"} {
			if strings.Contains(text, s) {
				t.Errorf("export holds %q", s)
			}
		}
		if !strings.Contains(e.AccessLogs, "not part of this copy") {
			t.Errorf("export says nothing about access logs: %q", e.AccessLogs)
		}
		entries, err := f.log.List(ctx, audit.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(entries, func(en audit.Entry) bool { return en.Action == "dsr.export" && en.Subject == "person:"+itoa(ros) }) {
			t.Error("the export is not in the audit log")
		}
	})
}

// TestApprovedRemovalLeavesOnlyKeptRecords removes a participant with an
// account, two confirmed addresses, history, a session and a remember-me
// token, consent entries and an inquiry with its thread; then the scan of
// the database and the data directory finds only the declared kept
// records (here: an access-log line), another participant is untouched,
// the consent ledger keeps every entry, and the decision is recorded and
// mailed without the person's data (R4).
func TestApprovedRemovalLeavesOnlyKeptRecords(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		ros := f.participant(t, "Rosalind Franklin", "ros@example.org", "rosalind@lab.example")
		bob := f.participant(t, "Bob Bystander", "bob@example.org", "bob@other.example")
		ledger := countRows(t, db, "SELECT COUNT(*) FROM consent_ledger")

		id, err := dsr.RequestRemoval(ctx, db, f.log, ros, "Please remove everything, Rosalind Franklin", now)
		if err != nil {
			t.Fatal(err)
		}
		if again, err := dsr.RequestRemoval(ctx, db, f.log, ros, "", now); err != nil || again != id {
			t.Fatalf("a second request gave %d, %v; want the pending %d", again, err, id)
		}
		staff := dsr.Actor{ID: 9001, Label: "Pat Privacy"}
		if _, err := dsr.Decide(ctx, db, f.log, f.inv, staff, id, every(true), "  ", now); !errors.Is(err, dsr.ErrNoReason) {
			t.Fatalf("a decision without a reason: %v", err)
		}
		if _, err := dsr.Decide(ctx, db, f.log, f.inv, staff, id, every(true)[1:], "partial", now); !errors.Is(err, dsr.ErrUndecided) {
			t.Fatalf("a decision that leaves a category out: %v", err)
		}
		if _, err := dsr.Decide(ctx, db, f.log, f.inv, dsr.Actor{ID: ros}, id, every(true), "mine", now); !errors.Is(err, dsr.ErrOwnRequest) {
			t.Fatalf("deciding one's own request: %v", err)
		}
		if _, err := dsr.Decide(ctx, db, f.log, f.inv, staff, id, every(true), "no record requires keeping it", now); err != nil {
			t.Fatal(err)
		}
		m := sendDecision(t, f, "ros@example.org")
		if !strings.Contains(m.Body, "no record requires keeping it") || !strings.Contains(m.Body, "signed out everywhere") {
			t.Errorf("decision mail: %+v", m)
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM removal_requests WHERE id = ? AND reply_to = ''", id); n != 1 {
			t.Error("the reply address is still stored after the mail was sent")
		}
		if _, err := dsr.Decide(ctx, db, f.log, f.inv, staff, id, every(true), "again", now); !errors.Is(err, dsr.ErrNotFound) {
			t.Errorf("deciding twice: %v", err)
		}

		for _, q := range []string{
			"SELECT COUNT(*) FROM people WHERE id = ?", "SELECT COUNT(*) FROM person_emails WHERE person_id = ?",
			"SELECT COUNT(*) FROM sessions WHERE person_id = ?", "SELECT COUNT(*) FROM auth_tokens WHERE person_id = ?",
			"SELECT COUNT(*) FROM person_changes WHERE person_id = ?",
		} {
			if n := countRows(t, db, q, ros); n != 0 {
				t.Errorf("%s: %d rows remain", q, n)
			}
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM consent_ledger"); n != ledger {
			t.Errorf("the consent ledger has %d entries, had %d: it must only grow", n, ledger)
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM removal_requests WHERE id = ? AND status = 'approved' AND note = ''", id); n != 1 {
			t.Error("the decision record is missing or still holds the note")
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM sessions WHERE person_id = ?", bob); n != 2 {
			t.Errorf("the bystander has %d sessions, want 2", n)
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM inquiries WHERE LOWER(email) = 'bob@other.example'"); n != 1 {
			t.Errorf("the bystander's inquiry is gone")
		}

		dir := t.TempDir()
		logDir := filepath.Join(dir, "logs")
		if err := os.MkdirAll(logDir, 0o700); err != nil {
			t.Fatal(err)
		}
		writeGzip(t, filepath.Join(logDir, "2026-05-01.log.gz"), "first line\nGET /contact?from=rosalind@lab.example 200\n")
		s := &dsr.Scanner{DB: db, Inv: f.inv, DataDir: dir, LogDir: logDir}
		hits, err := s.Scan(ctx, []string{"ros@example.org", "rosalind@lab.example", "Rosalind Franklin"})
		if err != nil {
			t.Fatal(err)
		}
		var places []string
		for _, h := range hits {
			places = append(places, h.Place())
		}
		want := []string{"file " + filepath.Join(logDir, "2026-05-01.log.gz") + " line 2 (kept: access log: not linked to accounts, deleted when its retention ends)"}
		if !slices.Equal(places, want) {
			t.Errorf("after removal the scan finds\n%s\nwant\n%s", strings.Join(places, "\n"), strings.Join(want, "\n"))
		}
		// The bystander is still found, in the database and by table.
		hits, err = s.Scan(ctx, []string{"bob@other.example"})
		if err != nil {
			t.Fatal(err)
		}
		found := map[string]bool{}
		for _, h := range hits {
			found[h.Table+"."+h.Column] = true
		}
		for _, k := range []string{"person_emails.address", "person_emails.address_key", "inquiries.email"} {
			if !found[k] {
				t.Errorf("the scan does not find the bystander in %s: %v", k, found)
			}
		}
	})
}

// TestDeclinedRemovalChangesNothing: a declined request keeps the
// account and records the decision with its reason.
func TestDeclinedRemovalChangesNothing(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		ros := f.participant(t, "Rosalind Franklin", "ros@example.org", "rosalind@lab.example")
		id, err := dsr.RequestRemoval(ctx, db, f.log, ros, "", now)
		if err != nil {
			t.Fatal(err)
		}
		d, err := dsr.Decide(ctx, db, f.log, f.inv, dsr.Actor{ID: 9001, Label: "Pat Privacy"}, id, every(false), "an open dispute needs the record", now)
		if err != nil {
			t.Fatal(err)
		}
		if m := sendDecision(t, f, "ros@example.org"); d.Approved() || !strings.Contains(m.Body, "Declined") || m.Subject != "Your removal request was declined" {
			t.Errorf("decline: %+v %+v", d, m)
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM sessions WHERE person_id = ?", ros); n != 2 {
			t.Errorf("a declined removal ended sessions: %d left", n)
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM removal_requests WHERE id = ? AND status = 'declined' AND reason = 'an open dispute needs the record'", id); n != 1 {
			t.Error("the decline is not recorded with its reason")
		}
	})
}

// TestScanFindsEveryPlace: the scan reports database columns by table,
// column and row, plain and gzip files by line, ignores case, treats LIKE
// wildcards in identifiers as plain text, and skips the live SQLite files.
func TestScanFindsEveryPlace(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("one\ntwo Ada.Lovelace@Example.org\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		writeGzip(t, filepath.Join(dir, "old.txt.gz"), "ada.lovelace@example.org\n")
		if err := os.WriteFile(filepath.Join(dir, "fake.db"), append([]byte("SQLite format 3\x00"), "ada.lovelace@example.org"...), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, _, err := people.Create(ctx, db, people.New{Name: "Ada", Email: "ada.lovelace@example.org", Origin: people.OriginSelf, Roles: []auth.Role{auth.Participant}}, now); err != nil {
			t.Fatal(err)
		}
		s := &dsr.Scanner{DB: db, Inv: f.inv, DataDir: dir}
		hits, err := s.Scan(ctx, []string{"ADA.LOVELACE@example.org"})
		if err != nil {
			t.Fatal(err)
		}
		var places []string
		for _, h := range hits {
			places = append(places, h.Place())
		}
		want := []string{
			"table person_emails column address row id 1",
			"table person_emails column address_key row id 1",
			"file " + filepath.Join(dir, "notes.txt") + " line 2",
			"file " + filepath.Join(dir, "old.txt.gz") + " line 1",
		}
		if !slices.Equal(places, want) {
			t.Errorf("scan found\n%s\nwant\n%s", strings.Join(places, "\n"), strings.Join(want, "\n"))
		}
		hits, err = s.Scan(ctx, []string{"zz%q_x"})
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) != 0 {
			t.Errorf("a %% matched as a wildcard: %d hits", len(hits))
		}
	})
}

func writeGzip(t *testing.T, path, content string) {
	t.Helper()
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(fh)
	if _, err := zw.Write([]byte(content)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := fh.Close(); err != nil {
		t.Fatal(err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestChildPurgeLeavesNothing: staff purge a child's data at once, without
// a request; nothing about them is left in the database, the bystander is
// untouched, and the audit entry holds the reason and counts but not the
// child's name or addresses (CH2).
func TestChildPurgeLeavesNothing(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		kid := f.participant(t, "Kim Young", "kim@example.org", "kim@school.example")
		bob := f.participant(t, "Bob Bystander", "bob@example.org", "bob@other.example")
		publicRecords(t, db, kid, "Kim Young", "kim@school.example")
		publicRecords(t, db, bob, "Bob Bystander", "bob@example.org")
		staff := dsr.Actor{ID: 9001, Label: "Ada Admin"}
		if _, err := dsr.PurgeChild(ctx, db, f.log, f.inv, staff, kid, ""); !errors.Is(err, dsr.ErrNoReason) {
			t.Fatalf("a purge without a reason: %v", err)
		}
		if _, err := dsr.PurgeChild(ctx, db, f.log, f.inv, staff, 424242, "told by a parent"); !errors.Is(err, dsr.ErrNoPerson) {
			t.Fatalf("a purge of nobody: %v", err)
		}
		o, err := dsr.PurgeChild(ctx, db, f.log, f.inv, staff, kid, "told by a parent on 2 May")
		if err != nil {
			t.Fatal(err)
		}
		if o.Deleted["people"] != 1 || o.Deleted["inquiries"] != 1 || o.Deleted["sessions"] != 2 || o.Deleted["list_posts"] != 1 ||
			o.Deleted["list_contributors"] != 1 || o.Pseudonymous["draft_revisions"] != 1 {
			t.Errorf("purge outcome %+v", o)
		}
		s := &dsr.Scanner{DB: db, Inv: f.inv}
		hits, err := s.Scan(ctx, []string{"kim@example.org", "kim@school.example", "Kim Young"})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hits {
			t.Errorf("left after the purge: %s", h.Place())
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM people WHERE id = ?", bob); n != 1 {
			t.Error("the bystander went too")
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM list_posts WHERE body = ?", "A posting body by "+itoa(kid)); n != 0 {
			t.Error("the child's public posting is still there")
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM list_posts WHERE body = ?", "A posting body by "+itoa(bob)); n != 1 {
			t.Error("the bystander's posting went too")
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM draft_revisions WHERE abstract = 'About it.'"); n != 1 {
			t.Errorf("%d drafts keep their text; want the bystander's alone", n)
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'dsr.child.purge' AND subject = ? AND detail LIKE 'reason: told by a parent on 2 May; deleted: %'", "person:"+itoa(kid)); n != 1 {
			t.Error("the purge is not in the audit log with its reason and counts")
		}
	})
}
