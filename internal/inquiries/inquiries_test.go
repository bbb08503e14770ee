package inquiries_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"plenary/internal/audit"
	"plenary/internal/auth"
	"plenary/internal/inquiries"
	"plenary/internal/inventory"
	"plenary/internal/mail"
	"plenary/internal/people"
	"plenary/internal/policy"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

type env struct {
	db      *store.DB
	log     *audit.Log
	version int64
	now     time.Time
	outbox  *mail.Outbox
	sec     inquiries.Staff
	admin   inquiries.Staff
}

func setup(t *testing.T, db *store.DB) *env {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	s := &policy.Service{DB: db, Inventory: inventory.Default(), Facts: policy.Facts{Org: "Test Org", Country: "Iceland", Contact: "privacy@example.org"}}
	if _, err := s.EnsureCurrent(ctx, now); err != nil {
		t.Fatal(err)
	}
	v, err := s.Current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{db: db, log: &audit.Log{DB: db, Key: []byte("test audit key, 32 bytes long..")}, version: v.ID, now: now, outbox: &mail.Outbox{}}
	for i, r := range []auth.Role{auth.Secretariat, auth.Admin} {
		p, _, err := people.Create(ctx, db, people.New{Name: []string{"Sam Secretariat", "Ada Admin"}[i], Email: []string{"sam@org.example", "ada@org.example"}[i],
			Origin: people.OriginSelf, Verified: true, Roles: []auth.Role{r}}, now)
		if err != nil {
			t.Fatal(err)
		}
		st := inquiries.Staff{ID: p.ID, Name: p.Name, Admin: r == auth.Admin}
		if r == auth.Admin {
			e.admin = st
		} else {
			e.sec = st
		}
	}
	return e
}

func (e *env) submit(t *testing.T, name, addr, category, message string) inquiries.Inquiry {
	t.Helper()
	f, p := inquiries.Form{Name: name, Email: addr, Category: category, Message: message, Consent: true}.Clean()
	if len(p) > 0 {
		t.Fatalf("form problems %v", p)
	}
	in, err := inquiries.Submit(context.Background(), e.db, e.log, inquiries.Submission{Form: f, VersionID: e.version, Transfer: "Processed in Iceland."}, e.now)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func count(t *testing.T, db *store.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// TestFormCollectsEveryProblem checks the contact form's validation: all
// problems at once, each naming its field, and good input cleaned.
func TestFormCollectsEveryProblem(t *testing.T) {
	cases := []struct {
		name string
		form inquiries.Form
		want []string // fields with a problem
	}{
		{"good", inquiries.Form{Name: " Zoë ", Email: "zoe@Example.ORG", Category: "general", Message: "Hello\r\nthere", Consent: true}, nil},
		{"empty", inquiries.Form{}, []string{"name", "email", "category", "message", "consent"}},
		{"invalid UTF-8", inquiries.Form{Name: "a\xff", Email: "a@b.org", Category: "general", Message: "m\xfe", Consent: true}, []string{"name", "message"}},
		{"NUL", inquiries.Form{Name: "a\x00b", Email: "a@b.org", Category: "general", Message: "m\x00", Consent: true}, []string{"name", "message"}},
		{"malformed address", inquiries.Form{Name: "a", Email: "a@b.org, c@d.org", Category: "general", Message: "m", Consent: true}, []string{"email"}},
		{"header injection in address", inquiries.Form{Name: "a", Email: "a@b.org\r\nBcc: x@y.org", Category: "general", Message: "m", Consent: true}, []string{"email"}},
		{"unknown category", inquiries.Form{Name: "a", Email: "a@b.org", Category: "sales", Message: "m", Consent: true}, []string{"category"}},
		{"oversized message", inquiries.Form{Name: "a", Email: "a@b.org", Category: "general", Message: strings.Repeat("x", 10001), Consent: true}, []string{"message"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, p := c.form.Clean()
			if len(p) != len(c.want) {
				t.Fatalf("problems %v, want fields %v", p, c.want)
			}
			for _, field := range c.want {
				if p[field] == "" {
					t.Errorf("no problem for %s in %v", field, p)
				}
			}
			if c.want == nil && (f.Name != "Zoë" || f.Email != "zoe@example.org" || f.Message != "Hello\nthere") {
				t.Errorf("cleaned %+v", f)
			}
		})
	}
}

// TestInquiryLifecycle covers U5 and C5 on both engines: a submission is
// stored with a consent entry naming it; the secretariat lists and views
// it, each listing and view audited; privacy questions are invisible to
// the secretariat; an answer goes out from the reply address and stays
// in the thread; the sender's reply by mail comes back to it, from the
// sender's address only; closing works.
func TestInquiryLifecycle(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		in := e.submit(t, "Zoë Example", "zoe@example.net", "general", "Where is the next meeting?")
		priv := e.submit(t, "Pat Private", "pat@example.net", inquiries.Privacy, "Please send me my data.")

		if n := count(t, db, "SELECT COUNT(*) FROM consent_ledger WHERE inquiry_id = ? AND person_id = 0 AND channel = ? AND purpose = ? AND policy_version_id = ? AND transfer_statement = ?",
			in.ID, policy.ChannelWeb, inquiries.PurposeInquiry, e.version, "Processed in Iceland."); n != 1 {
			t.Errorf("%d consent entries for the inquiry", n)
		}

		list, err := inquiries.List(ctx, db, e.log, e.sec, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].ID != in.ID {
			t.Errorf("secretariat lists %+v, want only the general inquiry", list)
		}
		list, err = inquiries.List(ctx, db, e.log, e.admin, false)
		if err != nil || len(list) != 2 {
			t.Errorf("admin lists %+v, %v", list, err)
		}
		if _, err := inquiries.View(ctx, db, e.log, e.sec, priv.ID); !errors.Is(err, inquiries.ErrNotFound) {
			t.Errorf("secretariat viewing a privacy question: %v", err)
		}
		if err := inquiries.Close(ctx, db, e.log, e.sec, priv.ID, e.now); !errors.Is(err, inquiries.ErrNotFound) {
			t.Errorf("secretariat closing a privacy question: %v", err)
		}
		got, err := inquiries.View(ctx, db, e.log, e.admin, priv.ID)
		if err != nil || got.Email != "pat@example.net" {
			t.Errorf("admin view %+v, %v", got, err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'inquiries.view' AND subject = ? AND actor_id = ?", "inquiry:"+itoa(priv.ID), e.admin.ID); n != 1 {
			t.Errorf("%d audit entries for the admin's view", n)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'inquiries.list'"); n != 2 {
			t.Errorf("%d audit entries for listings, want 2", n)
		}

		out := inquiries.Outgoing{Sender: e.outbox, Domain: "plenary.example", Org: "Test Org"}
		if err := inquiries.Reply(ctx, db, e.log, out, e.sec, in.ID, "The next meeting is in Reykjavík.", e.now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		msg, ok := e.outbox.Last("zoe@example.net")
		if !ok || msg.From != "inquiry+"+in.ReplyToken+"@plenary.example" || !strings.Contains(msg.Body, "Reykjavík") {
			t.Fatalf("answer %+v", msg)
		}
		if len(in.ReplyToken) < 30 || strings.ToLower(in.ReplyToken) != in.ReplyToken {
			t.Errorf("reply token %q is short or not lower case", in.ReplyToken)
		}
		if err := inquiries.Reply(ctx, db, e.log, out, e.sec, in.ID, "  ", e.now); err == nil {
			t.Error("an empty answer was sent")
		}
		if err := inquiries.Reply(ctx, db, e.log, inquiries.Outgoing{Sender: failing{}, Domain: "plenary.example", Org: "Test Org"}, e.sec, in.ID, "lost", e.now); !errors.Is(err, inquiries.ErrNotSent) {
			t.Errorf("answer through a failing server: %v", err)
		}

		h := &inquiries.MailHandler{DB: db, Audit: e.log, Now: func() time.Time { return e.now.Add(2 * time.Hour) }}
		local := "inquiry+" + in.ReplyToken
		if !h.Accepts(ctx, local) || h.Accepts(ctx, "inquiry+nosuchtoken") || h.Accepts(ctx, "inquiry") {
			t.Error("Accepts does not tell the inquiry's address from others")
		}
		var ref *mail.Refusal
		if err := h.Receive(ctx, mail.Inbound{From: "mallory@example.net", Local: local, Text: "I am not Zoë"}); !errors.As(err, &ref) {
			t.Errorf("reply from a stranger: %v", err)
		}
		if err := inquiries.Close(ctx, db, e.log, e.sec, in.ID, e.now.Add(90*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := h.Receive(ctx, mail.Inbound{From: "ZOE@example.net", Local: local, Text: "Thanks! One more question."}); err != nil {
			t.Fatal(err)
		}
		got, err = inquiries.View(ctx, db, e.log, e.sec, in.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Thread) != 2 || got.Thread[0].Direction != inquiries.FromStaff || got.Thread[0].StaffName != "Sam Secretariat" ||
			got.Thread[1].Direction != inquiries.FromSender || got.Thread[1].Body != "Thanks! One more question." {
			t.Errorf("thread %+v", got.Thread)
		}
		if !got.Open() {
			t.Error("the sender's reply did not open the closed inquiry again")
		}
		if n := count(t, db, "SELECT COUNT(*) FROM inquiry_messages WHERE body LIKE '%Zoë%' OR body = 'lost'"); n != 0 {
			t.Errorf("%d refused messages were kept", n)
		}
	})
}

type failing struct{}

func (failing) Send(context.Context, mail.Message) error { return errors.New("connection refused") }

// TestSweepInquiries covers U3 for inquiries on both engines: closed
// inquiries older than the retention are deleted with their threads; open
// ones, recently closed ones and, with days < 0, all are kept; consent
// entries stay.
func TestSweepInquiries(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		old := e.submit(t, "Old Closed", "old@example.net", "general", "old")
		recent := e.submit(t, "Recent Closed", "recent@example.net", "general", "recent")
		open := e.submit(t, "Still Open", "open@example.net", "general", "open")
		out := inquiries.Outgoing{Sender: e.outbox, Domain: "plenary.example", Org: "Test Org"}
		if err := inquiries.Reply(ctx, db, e.log, out, e.sec, old.ID, "answered", e.now); err != nil {
			t.Fatal(err)
		}
		if err := inquiries.Close(ctx, db, e.log, e.sec, old.ID, e.now); err != nil {
			t.Fatal(err)
		}
		if err := inquiries.Close(ctx, db, e.log, e.sec, recent.ID, e.now.AddDate(0, 0, 25)); err != nil {
			t.Fatal(err)
		}
		sweepAt := e.now.AddDate(0, 0, 31)
		if n, err := inquiries.SweepInquiries(ctx, db, sweepAt, -1); err != nil || n != 0 {
			t.Errorf("forever: removed %d, %v", n, err)
		}
		n, err := inquiries.SweepInquiries(ctx, db, sweepAt, 30)
		if err != nil || n != 1 {
			t.Fatalf("removed %d, %v; want 1", n, err)
		}
		for _, c := range []struct {
			id   int64
			kept bool
		}{{old.ID, false}, {recent.ID, true}, {open.ID, true}} {
			if got := count(t, db, "SELECT COUNT(*) FROM inquiries WHERE id = ?", c.id); (got == 1) != c.kept {
				t.Errorf("inquiry %d: %d rows, kept %v", c.id, got, c.kept)
			}
		}
		if got := count(t, db, "SELECT COUNT(*) FROM inquiry_messages WHERE inquiry_id = ?", old.ID); got != 0 {
			t.Errorf("%d thread messages of the removed inquiry remain", got)
		}
		if got := count(t, db, "SELECT COUNT(*) FROM consent_ledger WHERE inquiry_id = ?", old.ID); got != 1 {
			t.Errorf("the consent entry of the removed inquiry: %d rows", got)
		}
		if where := storetest.FindInTables(t, db, map[string]string{"name": "Old Closed", "email": "old@example.net"}); len(where) > 0 {
			t.Errorf("the removed inquiry's data remains in %v", where)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
