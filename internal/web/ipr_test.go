package web

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"plenary/internal/auth"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

func iprForm(title string) url.Values {
	return url.Values{
		"kind": {"specific"}, "title": {title}, "holder": {"Example Corp"},
		"contact_name": {"Pat Counsel"}, "contact_email": {"pat@example.com"}, "contact_info": {"1 Main Street, Springfield"},
		"show_contact": {"no"}, "drafts": {"draft-example-small-notes-00"},
		"patents": {"US 9,999,999 B2, granted 2024-05-01"}, "licensing": {"royalty-free"}, "accept_terms": {"1"},
	}
}

// TestIPRDisclosurePages walks a disclosure through the site (PUB1, R4):
// a participant is told it becomes public and sends it; bad input is
// refused with its reasons and stores nothing; it is not public while
// pending; only the secretariat reviews it; once posted it is public, on
// the draft it names and on the home page, with its contact hidden as the
// discloser chose; an update links both ways; a rejection shows on the
// discloser's account page with its reason; a removal leaves a 410 page
// with the reason and the date.
func TestIPRDisclosurePages(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		a := newAccountSite(t, siteOptions{DB: db})
		a.signUp(t, "Dana Discloser", "dana@example.net")
		b := a.signIn(t, "dana@example.net")
		a.makeStaff(t, "Sam Secretariat", "sam@example.org", auth.Secretariat)
		staff := a.signIn(t, "sam@example.org")
		// The draft the disclosure names.
		body, ct := upload(t, nil, ownDraft("draft-example-small-notes", "00", "It covers one topic."), "1")
		if res := b.do("POST", "/drafts/submit", body, ct); res.Status != http.StatusSeeOther {
			t.Fatalf("posting the draft: %d %.500s", res.Status, res.Body)
		}

		form := b.get("/ipr/new?draft=draft-example-small-notes")
		for _, want := range []string{"A posted disclosure is public, forever", `name="accept_terms"`, `name="show_contact"`, "the holder&#39;s contact in a disclosure", ">draft-example-small-notes</textarea>"} {
			if !strings.Contains(form.Body, want) {
				t.Errorf("the disclosure form lacks %q", want)
			}
		}
		for _, c := range []struct {
			name string
			edit func(url.Values)
			want []string
		}{
			{"no terms", func(v url.Values) { v.Del("accept_terms") }, []string{"accept the contribution terms"}},
			{"missing fields", func(v url.Values) { v.Del("title"); v.Del("holder") }, []string{"The title is required.", "The patent holder is required."}},
			{"bad draft", func(v url.Values) { v.Set("drafts", "RFC 9001") }, []string{"is not a draft name"}},
			{"oversized", func(v url.Values) { v.Set("licensing_notes", strings.Repeat("x", 5001)) }, []string{"The licensing notes is too long"}},
		} {
			v := iprForm("Bad one")
			c.edit(v)
			res := b.post("/ipr/new", v)
			if res.Status != http.StatusBadRequest {
				t.Errorf("%s: %d", c.name, res.Status)
			}
			for _, w := range c.want {
				if !strings.Contains(res.Body, w) {
					t.Errorf("%s: the answer lacks %q", c.name, w)
				}
			}
		}
		if res := b.do("POST", "/ipr/new", strings.NewReader("title=%ff%fe&kind=specific"), "application/x-www-form-urlencoded"); res.Status != http.StatusBadRequest || !strings.Contains(res.Body, "not valid text") {
			t.Errorf("invalid UTF-8: %d", res.Status)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM ipr_disclosures"); n != 0 {
			t.Fatalf("%d disclosures stored from refused forms", n)
		}

		res := b.post("/ipr/new", iprForm("Example Corp's statement on route targets"))
		if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/account?done=ipr-sent#disclosures" {
			t.Fatalf("sending: %d %.500s", res.Status, res.Body)
		}
		if acct := b.get("/account?done=ipr-sent"); !strings.Contains(acct.Body, "Your disclosure was received.") || !strings.Contains(acct.Body, "waiting for review") {
			t.Error("the account page does not confirm the disclosure or show it waiting")
		}
		if a.get(t, "/ipr/1").Status != http.StatusNotFound || strings.Contains(a.get(t, "/ipr").Body, "route targets") {
			t.Error("a pending disclosure is public")
		}
		if res := b.post("/admin/ipr/1", url.Values{"action": {"post"}}); res.Status != http.StatusForbidden {
			t.Errorf("a participant posting a disclosure: %d", res.Status)
		}
		queue := staff.get("/admin/ipr")
		if !strings.Contains(queue.Body, "Example Corp&#39;s statement on route targets") || !strings.Contains(queue.Body, "pat@example.com") {
			t.Errorf("the review queue lacks the disclosure: %.500s", queue.Body)
		}
		if res := staff.post("/admin/ipr/1", url.Values{"action": {"post"}}); res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/admin/ipr?done=post" {
			t.Fatalf("posting: %d %.500s", res.Status, res.Body)
		}
		if res := staff.get("/admin/ipr?done=post"); !strings.Contains(res.Body, "The disclosure is posted.") || !strings.Contains(res.Body, `action="/admin/ipr/1"`) {
			t.Error("the review page does not confirm the posting or offer its removal")
		}
		if res := staff.post("/admin/ipr/1", url.Values{"action": {"post"}}); res.Status != http.StatusConflict {
			t.Errorf("posting twice: %d", res.Status)
		}
		page := a.get(t, "/ipr/1")
		for _, want := range []string{"Example Corp", "US 9,999,999 B2, granted 2024-05-01", `<a href="/drafts/draft-example-small-notes">`, "Royalty-free", "the discloser chose to keep the contact private"} {
			if !strings.Contains(page.Body, want) {
				t.Errorf("the disclosure page lacks %q", want)
			}
		}
		if strings.Contains(page.Body, "pat@example.com") || strings.Contains(page.Body, "Pat Counsel") {
			t.Error("the contact shows although the discloser chose not to")
		}
		if d := a.get(t, "/drafts/draft-example-small-notes"); !strings.Contains(d.Body, `<a href="/ipr/1">Disclosure 1</a>`) {
			t.Error("the draft page does not list the disclosure naming it")
		}
		if home := a.get(t, "/"); !strings.Contains(home.Body, `<a href="/ipr/1">IPR disclosure 1</a>`) {
			t.Error("the home page does not show the disclosure")
		}

		// An update, with its contact shown; then the first is removed.
		v := iprForm("Example Corp's updated statement")
		v.Set("updates", "1")
		v.Set("show_contact", "yes")
		if res := b.post("/ipr/new", v); res.Status != http.StatusSeeOther {
			t.Fatalf("update: %d %.500s", res.Status, res.Body)
		}
		staff.post("/admin/ipr/2", url.Values{"action": {"post"}})
		if p := a.get(t, "/ipr/2"); !strings.Contains(p.Body, `<a href="/ipr/1">disclosure 1</a>`) || !strings.Contains(p.Body, "Pat Counsel &lt;pat@example.com&gt;") {
			t.Error("the update does not name the disclosure it updates, or hides the contact shown by choice")
		}
		if p := a.get(t, "/ipr/1"); !strings.Contains(p.Body, `This disclosure is updated by <a href="/ipr/2">disclosure 2</a>`) {
			t.Error("the updated disclosure does not say it is updated")
		}
		if res := staff.post("/admin/ipr/1", url.Values{"action": {"remove"}, "reason": {""}}); res.Status != http.StatusBadRequest || !strings.Contains(res.Body, "The reason is required.") {
			t.Errorf("removing without a reason: %d", res.Status)
		}
		if res := staff.post("/admin/ipr/1", url.Values{"action": {"remove"}, "reason": {"Filed in error, at the holder's request."}}); res.Status != http.StatusSeeOther {
			t.Fatalf("removing: %d %.500s", res.Status, res.Body)
		}
		gone := a.get(t, "/ipr/1")
		if gone.Status != http.StatusGone || !strings.Contains(gone.Body, "Filed in error, at the holder&#39;s request.") || !strings.Contains(gone.Body, "Removed</dt><dd>") ||
			strings.Contains(gone.Body, "US 9,999,999") {
			t.Errorf("tombstone: %d %.800s", gone.Status, gone.Body)
		}
		if list := a.get(t, "/ipr"); !strings.Contains(list.Body, "Removed: Filed in error") || !strings.Contains(list.Body, "Example Corp&#39;s updated statement") {
			t.Error("the list does not show the tombstone and the posted update")
		}

		// A rejection shows on the discloser's account page.
		if res := b.post("/ipr/new", iprForm("A third one")); res.Status != http.StatusSeeOther {
			t.Fatal(res.Status)
		}
		if res := staff.post("/admin/ipr/3", url.Values{"action": {"reject"}, "reason": {"Duplicate of disclosure 2."}}); res.Status != http.StatusSeeOther {
			t.Fatalf("rejecting: %d", res.Status)
		}
		if a.get(t, "/ipr/3").Status != http.StatusNotFound {
			t.Error("a rejected disclosure is public")
		}
		acct := b.get("/account")
		for _, want := range []string{"IPR disclosures you sent", "rejected: Duplicate of disclosure 2.", `<a href="/ipr/2">Disclosure 2</a>`, "removed: Filed in error"} {
			if !strings.Contains(acct.Body, want) {
				t.Errorf("the account page lacks %q", want)
			}
		}
		audit := auditEntries(t, a)
		for _, want := range []string{"ipr.submit", "ipr.post", "ipr.remove", "ipr.reject"} {
			if !strings.Contains(audit, want) {
				t.Errorf("the audit log lacks %s", want)
			}
		}
	})
}

// liaisonBody builds the liaison form's multipart body.
func liaisonBody(t *testing.T, fields map[string]string, files map[string][]byte) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	for name, b := range files {
		w, err := mw.CreateFormFile("attachment", name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	mw.Close()
	return &buf, mw.FormDataContentType()
}

// TestLiaisonPages enters a statement as the secretariat with a PDF and a
// text attachment, refuses bad ones storing nothing, keeps it private
// until posted, and serves its attachments as downloads with safe headers;
// a participant cannot enter or post one.
func TestLiaisonPages(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		a := newAccountSite(t, siteOptions{DB: db})
		a.makeStaff(t, "Sam Secretariat", "sam@example.org", auth.Secretariat)
		staff := a.signIn(t, "sam@example.org")
		a.signUp(t, "Pia Participant", "pia@example.net")
		p := a.signIn(t, "pia@example.net")
		fields := map[string]string{"from": "ITU-T SG17", "to": "quic", "title": "Liaison on QUIC security", "purpose": "action",
			"deadline": "2027-03-31", "body": "Dear colleagues,\nwe would value your comments.", "contact_name": "Ana Liaison", "contact_email": "ana@itu.example"}
		pdf := []byte("%PDF-1.4\n% a tiny test file\n")
		good := map[string][]byte{"statement.pdf": pdf, "notes.txt": []byte("Some notes.\n")}

		if res := staff.get("/admin/liaisons"); res.Status != 200 || !strings.Contains(res.Body, `enctype="multipart/form-data"`) {
			t.Fatalf("staff page: %d", res.Status)
		}
		body, ct := liaisonBody(t, fields, good)
		if res := p.do("POST", "/admin/liaisons", body, ct); res.Status != http.StatusForbidden {
			t.Errorf("a participant entering a statement: %d", res.Status)
		}
		for _, c := range []struct {
			name   string
			fields map[string]string
			files  map[string][]byte
			want   string
		}{
			{"fake pdf", fields, map[string][]byte{"statement.pdf": []byte("<script>alert(1)</script>")}, "is named .pdf but is not a PDF file"},
			{"wrong type", fields, map[string][]byte{"tool.exe": []byte("MZ")}, "only those are taken"},
			{"missing fields", map[string]string{"purpose": "information"}, nil, "The sending organization is required."},
			{"invalid UTF-8", map[string]string{"from": "X", "to": "quic", "title": "T \xff", "purpose": "information", "body": "b", "contact_name": "A", "contact_email": "a@b.example"}, nil, "not valid text"},
			{"oversized attachment", fields, map[string][]byte{"big.txt": bytes.Repeat([]byte("a"), 2<<20+1)}, "at most 2097152 are taken"},
		} {
			body, ct := liaisonBody(t, c.fields, c.files)
			res := staff.do("POST", "/admin/liaisons", body, ct)
			if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, c.want) {
				t.Errorf("%s: %d, want 400 with %q\n%.600s", c.name, res.Status, c.want, res.Body)
			}
		}
		// A body beyond every attachment at its limit is cut off: 413.
		huge := map[string][]byte{}
		for i := range 6 {
			huge["f"+strconv.Itoa(i)+".txt"] = bytes.Repeat([]byte("a"), 2<<20)
		}
		body, ct = liaisonBody(t, fields, huge)
		if res := staff.do("POST", "/admin/liaisons", body, ct); res.Status != http.StatusRequestEntityTooLarge {
			t.Errorf("an oversized body: %d", res.Status)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM liaison_statements") + count(t, db, "SELECT COUNT(*) FROM liaison_attachments"); n != 0 {
			t.Fatalf("%d rows stored from refused forms", n)
		}
		body, ct = liaisonBody(t, fields, good)
		if res := staff.do("POST", "/admin/liaisons", body, ct); res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/admin/liaisons?done=entered" {
			t.Fatalf("entering: %d %.500s", res.Status, res.Body)
		}
		if res := staff.get("/admin/liaisons?done=entered"); !strings.Contains(res.Body, "The statement is entered") || !strings.Contains(res.Body, `<td data-label="Attachments">2</td>`) {
			t.Error("the staff page does not confirm the statement or list it waiting")
		}
		if a.get(t, "/liaisons/1").Status != http.StatusNotFound || a.get(t, "/liaisons/1/attachments/1").Status != http.StatusNotFound {
			t.Error("a pending statement is public")
		}
		if res := p.post("/admin/liaisons/1", url.Values{"action": {"post"}}); res.Status != http.StatusForbidden {
			t.Errorf("a participant posting: %d", res.Status)
		}
		if res := staff.post("/admin/liaisons/1", url.Values{"action": {"post"}}); res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/admin/liaisons?done=post" {
			t.Fatalf("posting: %d %.500s", res.Status, res.Body)
		}
		page := a.get(t, "/liaisons/1")
		for _, want := range []string{"Liaison on QUIC security", "ITU-T SG17", "For action", "2027-03-31", "Ana Liaison &lt;ana@itu.example&gt;", `" download>statement.pdf</a>`} {
			if !strings.Contains(page.Body, want) {
				t.Errorf("the statement page lacks %q", want)
			}
		}
		var pdfID string
		for _, id := range []string{"1", "2"} {
			if r := a.get(t, "/liaisons/1/attachments/"+id); r.Header.Get("Content-Type") == "application/pdf" {
				pdfID = id
			}
		}
		dl := a.get(t, "/liaisons/1/attachments/"+pdfID)
		if dl.Body != string(pdf) || dl.Header.Get("X-Content-Type-Options") != "nosniff" || dl.Header.Get("Content-Disposition") != "attachment; filename=statement.pdf" ||
			!strings.Contains(dl.Header.Get("Content-Security-Policy"), "sandbox") {
			t.Errorf("download headers %v", dl.Header)
		}
		if list := a.get(t, "/liaisons"); !strings.Contains(list.Body, `<a href="/liaisons/1">Liaison on QUIC security</a>`) {
			t.Error("the list lacks the posted statement")
		}
		if home := a.get(t, "/"); !strings.Contains(home.Body, "Liaison statement: Liaison on QUIC security") {
			t.Error("the home page does not show the statement")
		}
		if priv := a.get(t, "/privacy"); !strings.Contains(priv.Body, "IPR disclosures") || !strings.Contains(priv.Body, "the contact named in a liaison statement") {
			t.Error("the privacy page does not state what disclosures and statements keep")
		}
		if !strings.Contains(auditEntries(t, a), "liaison.post") {
			t.Error("posting is not audited")
		}
	})
}
