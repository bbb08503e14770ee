package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"plenary/internal/dsr"
	"plenary/internal/lists"
	"plenary/internal/mail"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestAccountListsPostings checks /account shows the person's postings
// to discussion groups, on both engines: published ones linked to their
// archive page, held ones with what they wait for; those sent while
// signed in, from a confirmed address before the account existed, and by
// a contributor linked to the account; nobody else's. It finds the same
// postings as the data export, and shows only the newest ones, with the
// count, when there are many.
func TestAccountListsPostings(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := newAccountSite(t, siteOptions{DB: db, Args: []string{"--mail-domain", "lists.example.org"}})
		svc := a.Server.listService()
		for name, posting := range map[string]string{"wg-open": lists.PostOpen, "wg-mod": lists.PostModerated} {
			if _, err := svc.Create(ctx, lists.Actor{Label: "test"}, lists.NewList{Name: name, Description: name, Posting: posting, Archive: "public"}); err != nil {
				t.Fatal(err)
			}
		}
		n := 0
		byMail := func(from, list, subject string) {
			t.Helper()
			n++
			in := mail.Inbound{From: from, Local: list, Subject: subject, Text: "Text of " + subject, MessageID: fmt.Sprintf("<m%d@example.net>", n)}
			if err := listMailHandler(svc).Receive(ctx, in); err != nil {
				t.Fatal(err)
			}
		}
		byMail("pat@example.org", "wg-open", "Sent before the account")
		byMail("pat@old.example", "wg-open", "From an old address")
		byMail("eve@example.net", "wg-open", "Somebody else's")
		pid := a.signUp(t, "Pat Participant", "pat@example.org")
		if _, err := db.Exec(ctx, "UPDATE list_contributors SET person_id = ? WHERE email = 'pat@old.example'", pid); err != nil {
			t.Fatal(err)
		}
		pat := a.signIn(t, "pat@example.org")
		res := pat.post("/lists/wg-open/post", url.Values{"subject": {"Posted on the web"}, "body": {"Hello."}, "accept_terms": {"1"}})
		if res.Status != http.StatusSeeOther {
			t.Fatalf("posting: %d %.300s", res.Status, res.Body)
		}
		web := res.Header.Get("Location")
		byMail("pat@example.org", "wg-mod", "For the moderator")

		acct := pat.get("/account")
		section := postingsSection(t, acct.Body)
		for _, want := range []string{`<a href="` + web + `">Posted on the web</a>`, "Sent before the account", "From an old address",
			"For the moderator", "waiting for a moderator", "waiting for you to accept the contribution terms"} {
			if !strings.Contains(section, want) {
				t.Errorf("/account's postings lack %q:\n%s", want, section)
			}
		}
		if strings.Contains(acct.Body, "Somebody else") {
			t.Error("/account shows somebody else's posting")
		}
		subject, err := dsr.LoadSubject(ctx, db, pid)
		if err != nil {
			t.Fatal(err)
		}
		_, total, err := lists.PostingsBy(ctx, db, pid, subject.Addresses, lists.AccountPostings)
		if err != nil {
			t.Fatal(err)
		}
		var e dsr.Export
		if err := json.Unmarshal([]byte(pat.get("/account/export?format=json").Body), &e); err != nil {
			t.Fatal(err)
		}
		exported := -1
		for _, tb := range e.Tables {
			if tb.Table == "list_posts" {
				exported = len(tb.Rows)
			}
		}
		if total != 4 || exported != total || strings.Count(section, "<tr><td>") != 4 {
			t.Errorf("%d postings found, %d exported, %d shown; want 4", total, exported, strings.Count(section, "<tr><td>"))
		}

		// Many postings: the newest ones, and how many there are.
		for i := 0; i < lists.AccountPostings; i++ {
			byMail("pat@example.org", "wg-open", fmt.Sprintf("Prolific %d", i))
		}
		section = postingsSection(t, pat.get("/account").Body)
		want := fmt.Sprintf("The newest %d of your %d postings", lists.AccountPostings, lists.AccountPostings+4)
		if rows := strings.Count(section, "<tr><td>"); rows != lists.AccountPostings || !strings.Contains(section, want) ||
			!strings.Contains(section, fmt.Sprintf("Prolific %d<", lists.AccountPostings-1)) || strings.Contains(section, "Sent before the account") {
			t.Errorf("%d rows shown; want the newest %d and %q:\n%.2000s", rows, lists.AccountPostings, want, section)
		}
	})
}

// postingsSection is the part of /account that lists postings.
func postingsSection(t *testing.T, page string) string {
	t.Helper()
	i := strings.Index(page, `id="postings"`)
	if i < 0 {
		t.Fatalf("/account has no postings:\n%.3000s", page)
	}
	s := page[i:]
	return s[:strings.Index(s, "</section>")]
}
