package documents_test

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"plenary/internal/documents"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
	"plenary/internal/validate"
)

func goodIPR() documents.IPRForm {
	return documents.IPRForm{
		Kind: documents.IPRSpecific, Title: "Example Corp's statement about draft-ietf-quic-tls",
		Holder: "Example Corp", ContactName: "Pat Counsel", ContactEmail: "pat@example.com", ContactInfo: "1 Main St\nSpringfield",
		ShowContact: false, Drafts: "draft-ietf-quic-tls-34, draft-ietf-idr-rt-derived-community",
		Patents: "US 9,999,999 B2, granted 2024-05-01\nEP 4000000 A1, pending", Licensing: "royalty-free", AcceptTerms: true,
	}
}

// TestIPRLifecycle sends a disclosure, posts it, sends an update to it and
// removes the first: consent and audit entries for each step, the drafts
// it names, "updated by", and the tombstone's reason and date (PUB1, R4).
func TestIPRLifecycle(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		ctx := context.Background()
		staff := documents.Submitter{ID: e.submitter.ID, Name: "Sam Secretariat"}
		sub := documents.IPRSubmission{Form: goodIPR(), VersionID: e.sub.VersionID, Transfer: e.sub.Transfer}
		d, err := documents.SubmitIPR(ctx, db, e.log, e.submitter, sub, e.now)
		if err != nil {
			t.Fatal(err)
		}
		if d.State != "pending" || len(d.Drafts) != 2 || d.Drafts[0] != "draft-ietf-quic-tls" || d.ContactInfo != "1 Main St\nSpringfield" {
			t.Fatalf("stored %+v", d)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM consent_ledger WHERE person_id = ? AND purpose = ?", e.submitter.ID, documents.PurposeIPR); n != 1 {
			t.Errorf("%d consent entries, want 1", n)
		}
		if list, _ := documents.IPRForDraft(ctx, db, "draft-ietf-quic-tls"); len(list) != 0 {
			t.Error("a pending disclosure is listed on a draft")
		}
		if _, err := documents.DecideIPR(ctx, db, e.log, staff, d.ID, "reject", "", e.now); !isProblem(err, "reason") {
			t.Errorf("rejecting without a reason: %v", err)
		}
		if _, err := documents.DecideIPR(ctx, db, e.log, staff, d.ID, "remove", "why", e.now); !errors.Is(err, documents.ErrIPRState) {
			t.Errorf("removing a pending disclosure: %v", err)
		}
		if _, err := documents.DecideIPR(ctx, db, e.log, staff, d.ID, "post", "", e.now); err != nil {
			t.Fatal(err)
		}
		if list, _ := documents.IPRForDraft(ctx, db, "draft-ietf-quic-tls"); len(list) != 1 || list[0].ID != d.ID {
			t.Errorf("the draft lists %+v", list)
		}

		// An update names the first; the first then says so.
		upd := goodIPR()
		upd.Title, upd.Updates = "Example Corp's updated statement", "#"+itoa(d.ID)
		d2, err := documents.SubmitIPR(ctx, db, e.log, e.submitter, documents.IPRSubmission{Form: upd, VersionID: e.sub.VersionID, Transfer: e.sub.Transfer}, e.now.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := documents.DecideIPR(ctx, db, e.log, staff, d2.ID, "post", "", e.now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		first, _ := documents.GetIPR(ctx, db, d.ID)
		if d2.Updates != d.ID || len(first.UpdatedBy) != 1 || first.UpdatedBy[0] != d2.ID {
			t.Errorf("update link: %d updates %d; %d updated by %v", d2.ID, d2.Updates, d.ID, first.UpdatedBy)
		}

		removedAt := e.now.Add(48 * time.Hour)
		if _, err := documents.DecideIPR(ctx, db, e.log, staff, d.ID, "remove", "Withdrawn at the holder's request: filed in error.", removedAt); err != nil {
			t.Fatal(err)
		}
		gone, _ := documents.GetIPR(ctx, db, d.ID)
		if gone.State != "removed" || gone.Reason != "Withdrawn at the holder's request: filed in error." || !gone.DecidedAt.Equal(removedAt) {
			t.Errorf("tombstone %+v", gone)
		}
		for _, c := range []struct{ action, subject string }{{"ipr.submit", "ipr:" + itoa(d.ID)}, {"ipr.post", "ipr:" + itoa(d.ID)}, {"ipr.remove", "ipr:" + itoa(d.ID)}, {"ipr.post", "ipr:" + itoa(d2.ID)}} {
			if n := count(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = ? AND subject = ?", c.action, c.subject); n != 1 {
				t.Errorf("%d audit entries %s %s, want 1", n, c.action, c.subject)
			}
		}
		mine, _ := documents.IPRBySubmitter(ctx, db, e.submitter.ID)
		if len(mine) != 2 {
			t.Errorf("the submitter has %d disclosures, want 2", len(mine))
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func isProblem(err error, field string) bool {
	p, ok := validate.From(err)
	return ok && p.Has(field)
}

// TestIPRRefusals sends bad disclosures: each names its problems, and
// nothing is stored (no disclosure, no draft row, no consent entry).
func TestIPRRefusals(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		ctx := context.Background()
		for _, c := range []struct {
			name   string
			edit   func(f *documents.IPRForm)
			fields []string
		}{
			{"empty", func(f *documents.IPRForm) { *f = documents.IPRForm{} }, []string{"kind", "title", "holder", "licensing", "accept_terms"}},
			{"no terms", func(f *documents.IPRForm) { f.AcceptTerms = false }, []string{"accept_terms"}},
			{"bad draft name", func(f *documents.IPRForm) { f.Drafts = "rfc9001, draft-ok-name" }, []string{"drafts"}},
			{"specific without drafts", func(f *documents.IPRForm) { f.Drafts = "" }, []string{"drafts"}},
			{"generic with drafts", func(f *documents.IPRForm) { f.Kind = documents.IPRGeneric }, []string{"drafts"}},
			{"third party declaring terms", func(f *documents.IPRForm) { f.Kind = documents.IPRThirdParty }, []string{"licensing"}},
			{"invalid UTF-8", func(f *documents.IPRForm) { f.Holder = "Bad \xff corp" }, []string{"holder"}},
			{"oversized", func(f *documents.IPRForm) { f.Patents = strings.Repeat("US 1\n", 2000) }, []string{"patents"}},
			{"bad contact address", func(f *documents.IPRForm) { f.ContactEmail = "pat at example" }, []string{"contact_email"}},
			{"update of nothing", func(f *documents.IPRForm) { f.Updates = "999" }, []string{"updates"}},
			{"update not a number", func(f *documents.IPRForm) { f.Updates = "abc" }, []string{"updates"}},
		} {
			f := goodIPR()
			c.edit(&f)
			_, err := documents.SubmitIPR(ctx, db, e.log, e.submitter, documents.IPRSubmission{Form: f, VersionID: e.sub.VersionID, Transfer: e.sub.Transfer}, e.now)
			p, ok := validate.From(err)
			if !ok {
				t.Errorf("%s: got %v, want problems", c.name, err)
				continue
			}
			for _, field := range c.fields {
				if !p.Has(field) {
					t.Errorf("%s: no problem with %s in %v", c.name, field, p)
				}
			}
		}
		if n := count(t, db, "SELECT COUNT(*) FROM ipr_disclosures") + count(t, db, "SELECT COUNT(*) FROM ipr_documents") +
			count(t, db, "SELECT COUNT(*) FROM consent_ledger WHERE purpose = ?", documents.PurposeIPR); n != 0 {
			t.Errorf("%d rows stored by refused disclosures", n)
		}
		// A third-party disclosure needs no contact address.
		f := goodIPR()
		f.Kind, f.Licensing, f.ContactName, f.ContactEmail = documents.IPRThirdParty, "not-holder", "", ""
		if _, err := documents.SubmitIPR(ctx, db, e.log, e.submitter, documents.IPRSubmission{Form: f, VersionID: e.sub.VersionID, Transfer: e.sub.Transfer}, e.now); err != nil {
			t.Errorf("third-party disclosure: %v", err)
		}
	})
}

// TestLiaisonLifecycle enters a statement with a PDF and a text
// attachment, refuses bad ones storing nothing, posts it and serves the
// attachments of posted statements only.
func TestLiaisonLifecycle(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		ctx := context.Background()
		pdf := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte{0xe2, 0x00, 0x81}, 100)...)
		good := func() documents.LiaisonForm {
			return documents.LiaisonForm{From: "ITU-T SG17", To: "quic", Title: "Liaison on QUIC security", Purpose: "action", Deadline: "2027-03-31",
				Body: "Dear colleagues,\nwe ask for your comments.", ContactName: "Ana Liaison", ContactEmail: "ana@itu.example",
				Attachments: []documents.Attachment{{Filename: "statement.pdf", Data: pdf}, {Filename: "notes.txt", Data: []byte("plain text notes\n")}}}
		}
		for _, c := range []struct {
			name   string
			edit   func(f *documents.LiaisonForm)
			fields []string
		}{
			{"empty", func(f *documents.LiaisonForm) { *f = documents.LiaisonForm{} }, []string{"from", "to", "title", "body", "contact_name", "contact_email", "purpose"}},
			{"action without deadline", func(f *documents.LiaisonForm) { f.Deadline = "" }, []string{"deadline"}},
			{"bad deadline", func(f *documents.LiaisonForm) { f.Deadline = "next week" }, []string{"deadline"}},
			{"fake pdf", func(f *documents.LiaisonForm) { f.Attachments[0].Data = []byte("<html><script>") }, []string{"attachments"}},
			{"executable", func(f *documents.LiaisonForm) { f.Attachments[0].Filename = "run.exe" }, []string{"attachments"}},
			{"path in name", func(f *documents.LiaisonForm) { f.Attachments[1].Filename = "../../etc/passwd" }, []string{"attachments"}},
			{"binary text", func(f *documents.LiaisonForm) { f.Attachments[1].Data = []byte("a\x00b") }, []string{"attachments"}},
			{"oversized", func(f *documents.LiaisonForm) {
				f.Attachments[0].Data = append([]byte("%PDF-"), make([]byte, documents.MaxAttachment)...)
			}, []string{"attachments"}},
			{"invalid UTF-8 body", func(f *documents.LiaisonForm) { f.Body = "bad \xc3\x28" }, []string{"body"}},
		} {
			f := good()
			c.edit(&f)
			_, err := documents.EnterLiaison(ctx, db, e.log, e.submitter, f, e.now)
			p, ok := validate.From(err)
			if !ok {
				t.Errorf("%s: got %v, want problems", c.name, err)
				continue
			}
			for _, field := range c.fields {
				if !p.Has(field) {
					t.Errorf("%s: no problem with %s in %v", c.name, field, p)
				}
			}
		}
		if n := count(t, db, "SELECT COUNT(*) FROM liaison_statements") + count(t, db, "SELECT COUNT(*) FROM liaison_attachments"); n != 0 {
			t.Errorf("%d rows stored by refused statements", n)
		}
		l, err := documents.EnterLiaison(ctx, db, e.log, e.submitter, good(), e.now)
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Attachments) != 2 || l.Attachments[0].ContentType != "application/pdf" || l.Attachments[1].ContentType != "text/plain; charset=utf-8" {
			t.Fatalf("attachments %+v", l.Attachments)
		}
		if _, err := documents.LiaisonAttachment(ctx, db, l.ID, l.Attachments[0].ID); !errors.Is(err, documents.ErrLiaisonNotFound) {
			t.Errorf("a pending statement's attachment is served: %v", err)
		}
		if list, _ := documents.PostedLiaisons(ctx, db, 10); len(list) != 0 {
			t.Error("a pending statement is listed")
		}
		if _, err := documents.DecideLiaison(ctx, db, e.log, e.submitter, l.ID, "post", e.now); err != nil {
			t.Fatal(err)
		}
		if _, err := documents.DecideLiaison(ctx, db, e.log, e.submitter, l.ID, "dead", e.now); !errors.Is(err, documents.ErrLiaisonState) {
			t.Errorf("a posted statement marked dead: %v", err)
		}
		a, err := documents.LiaisonAttachment(ctx, db, l.ID, l.Attachments[0].ID)
		if err != nil || !bytes.Equal(a.Data, pdf) {
			t.Errorf("attachment read back: %v, %d bytes", err, len(a.Data))
		}
		if list, _ := documents.PostedLiaisons(ctx, db, 10); len(list) != 1 {
			t.Error("the posted statement is not listed")
		}
		for _, action := range []string{"liaison.enter", "liaison.post"} {
			if n := count(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = ? AND subject = ?", action, "liaison:"+itoa(l.ID)); n != 1 {
				t.Errorf("%d audit entries %s", n, action)
			}
		}
	})
}
