package web

import (
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"plenary/internal/auth"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestListArchiveSearchAndRemoval walks the reading side of discussion
// groups (G1, R4) on both engines: search with highlighted, escaped
// snippets over the archives the reader may read (a list left out of
// site-wide search, a subscriber-only archive never leaked); the archive's
// pages (threads, by date, thread, message with its neighbours, quoted text
// folded, addresses masked for anonymous readers and whole for
// participants); the mbox of a thread opened by Python's mailbox module;
// the old addresses redirected for good; and staff removing a posting,
// which leaves a 410 tombstone and leaves search, mbox and feed.
func TestListArchiveSearchAndRemoval(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		a := newAccountSite(t, siteOptions{DB: db, Args: []string{"--mail-domain", "lists.example.org"}})
		a.makeStaff(t, "Sam Secretariat", "sam@example.org", auth.Secretariat)
		staff := a.signIn(t, "sam@example.org")
		for _, l := range []url.Values{
			{"name": {"wg-read"}, "description": {"Header work"}, "posting": {"open"}, "archive": {"public"}},
			{"name": {"wg-scratch"}, "description": {"Tests"}, "posting": {"open"}, "archive": {"public"}, "no_search": {"1"}},
			{"name": {"wg-closed"}, "description": {"Closed"}, "posting": {"open"}, "archive": {"subscribers"}},
		} {
			if res := staff.post("/admin/lists", l); res.Status != http.StatusSeeOther {
				t.Fatalf("creating %s: %d %.300s", l.Get("name"), res.Status, res.Body)
			}
		}
		if res := staff.get("/admin/lists"); !strings.Contains(res.Body, "left out") {
			t.Errorf("the staff page does not show the list left out of search: %.800s", res.Body)
		}
		a.signUp(t, "Pat Participant", "pat@example.org")
		pat := a.signIn(t, "pat@example.org")
		post := func(list string, v url.Values) string {
			t.Helper()
			v.Set("accept_terms", "1")
			res := pat.post("/lists/"+list+"/post", v)
			if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/lists/"+list+"/msg/") {
				t.Fatalf("posting to %s: %d %q %.300s", list, res.Status, res.Header.Get("Location"), res.Body)
			}
			return res.Header.Get("Location")
		}
		first := post("wg-read", url.Values{"subject": {"Header compression plan"},
			"body": {"We propose <script>alert(1)</script> header compression.\n> an older quoted line\n> and another\nMy own answer."}})
		firstID := strings.TrimPrefix(first, "/lists/wg-read/msg/")
		reply := post("wg-read", url.Values{"subject": {"Re: Header compression plan"}, "body": {"Agreed on compression."}, "reply": {firstID}})
		post("wg-scratch", url.Values{"subject": {"compression test"}, "body": {"Ignore."}})
		post("wg-closed", url.Values{"subject": {"Secret compression"}, "body": {"Closed talk."}})

		anon := a.browser(t)
		// Search.
		res := anon.get("/lists/search?q=compression")
		if res.Status != 200 || !strings.Contains(res.Body, "Header <mark>compression</mark> plan") ||
			!strings.Contains(res.Body, "&lt;script&gt;alert(1)&lt;/script&gt; header <mark>compression</mark>.") ||
			strings.Contains(res.Body, "<script>alert") || strings.Contains(res.Body, "Secret compression") || strings.Contains(res.Body, "compression test") {
			t.Fatalf("search: %d %s", res.Status, res.Body)
		}
		for _, tt := range []struct {
			path   string
			status int
			want   []string
			not    []string
		}{
			{"/lists/search?q=compression&list=wg-scratch", 200, []string{"<mark>compression</mark> test"}, []string{"Header"}},
			{"/lists/search?q=compression&list=wg-closed", 200, []string{"Nothing found"}, []string{"Secret"}},
			{"/lists/search?q=secret", 200, []string{"Nothing found"}, []string{"Closed talk"}},
			{"/lists/search?q=%22own+answer%22", 200, []string{"My <mark>own</mark> <mark>answer</mark>."}, []string{"Agreed"}},
			{"/lists/search?author=pat+participant&sort=date", 200, []string{"Re: Header compression plan", "Header compression plan"}, []string{"Secret", "compression test"}},
			{"/lists/search?q=compression&from=2000-01-01&to=2000-12-31", 200, []string{"Nothing found"}, []string{"Header"}},
			{"/lists/search?q=compression&from=yesterday", 400, []string{"YYYY-MM-DD"}, nil},
		} {
			res := anon.get(tt.path)
			if res.Status != tt.status {
				t.Errorf("%s: %d, want %d", tt.path, res.Status, tt.status)
			}
			for _, w := range tt.want {
				if !strings.Contains(res.Body, w) {
					t.Errorf("%s lacks %q", tt.path, w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(res.Body, n) {
					t.Errorf("%s shows %q", tt.path, n)
				}
			}
		}

		// The message page: masked address, quoted text folded, neighbours.
		msg := anon.get(first)
		if msg.Status != 200 || !strings.Contains(msg.Body, "p…@example.org") || strings.Contains(msg.Body, "pat@example.org") || strings.Contains(msg.Body, "mailto:") {
			t.Fatalf("an anonymous reader's message page shows the address: %d %s", msg.Status, msg.Body)
		}
		if !regexp.MustCompile(`<details class="quoted"><summary>Quoted text \(2 lines\)</summary><pre>&gt; an older quoted line
&gt; and another</pre></details>`).MatchString(msg.Body) || !strings.Contains(msg.Body, "My own answer.") {
			t.Errorf("quoted text is not folded: %s", msg.Body)
		}
		if !strings.Contains(msg.Body, `Reply: <a href="`+reply+`">`) || !strings.Contains(msg.Body, `Next in thread: <a rel="next" href="`+reply+`">`) {
			t.Errorf("the first posting does not lead to its reply: %s", msg.Body)
		}
		if r := anon.get(reply); !strings.Contains(r.Body, `In reply to: <a rel="up" href="`+first+`">`) || !strings.Contains(r.Body, `Previous in thread: <a rel="prev" href="`+first+`">`) {
			t.Errorf("the reply does not lead to its parent: %s", r.Body)
		}
		if mine := pat.get(first); !strings.Contains(mine.Body, "pat@example.org") {
			t.Errorf("a participant does not see the address whole")
		}
		if strings.Contains(msg.Body, "Remove this posting") || !strings.Contains(staff.get(first).Body, "Remove this posting") {
			t.Error("the removal form is not for staff alone")
		}

		// The list's page, by thread and by date; the index with activity.
		if page := anon.get("/lists/wg-read"); !strings.Contains(page.Body, `href="/lists/wg-read/thread/`+firstID+`">Header compression plan</a>`) ||
			!strings.Contains(page.Body, "2 postings") {
			t.Errorf("the list's page has no thread: %s", page.Body)
		}
		if page := anon.get("/lists/wg-read?view=date"); !strings.Contains(page.Body, `<strong>By date</strong>`) || !strings.Contains(page.Body, `href="`+reply+`"`) {
			t.Errorf("the by-date view: %s", page.Body)
		}
		if idx := anon.get("/lists"); !strings.Contains(idx.Body, "2 postings, the latest on") {
			t.Errorf("/lists shows no activity: %s", idx.Body)
		}
		thread := anon.get("/lists/wg-read/thread/" + firstID)
		if thread.Status != 200 || strings.Count(thread.Body, `<a href="/lists/wg-read/msg/`) != 2 || strings.Contains(thread.Body, "pat@example.org") {
			t.Errorf("thread page: %d %s", thread.Status, thread.Body)
		}
		if r := anon.get("/lists/wg-closed/thread/1"); r.Status != http.StatusForbidden {
			t.Errorf("a closed archive's thread: %d", r.Status)
		}

		// The thread's mbox opens in Python's mailbox module.
		mbox := anon.get("/lists/wg-read/thread/" + firstID + "/mbox")
		if mbox.Status != 200 || mbox.Header.Get("Content-Type") != "application/mbox" || strings.Contains(mbox.Body, "pat@example.org") {
			t.Fatalf("thread mbox: %d %q %s", mbox.Status, mbox.Header.Get("Content-Type"), mbox.Body)
		}
		if py, err := exec.LookPath("python3"); err != nil {
			t.Log("python3 is not installed; the thread's mbox was not opened by a mailbox reader")
		} else {
			file := filepath.Join(t.TempDir(), "thread.mbox")
			if err := os.WriteFile(file, []byte(mbox.Body), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(py, "-c", `import mailbox, sys
for m in mailbox.mbox(sys.argv[1]):
    print(m["From"], "|", m["Subject"])`, file).CombinedOutput()
			if err != nil {
				t.Fatalf("python mailbox: %v\n%s", err, out)
			}
			if want := "Pat Participant <p...@example.org> | Header compression plan\nPat Participant <p...@example.org> | Re: Header compression plan\n"; string(out) != want {
				t.Errorf("python read:\n%s\nwant:\n%s", out, want)
			}
		}

		// The old addresses redirect for good.
		for old, to := range map[string]string{
			"/lists/wg-read/archive":            "/lists/wg-read",
			"/lists/wg-read/archive/" + firstID: first,
			"/lists/wg-read/archive.mbox":       "/lists/wg-read/mbox",
		} {
			if r := anon.get(old); r.Status != http.StatusMovedPermanently || r.Header.Get("Location") != to {
				t.Errorf("%s: %d to %q, want 301 to %q", old, r.Status, r.Header.Get("Location"), to)
			}
		}

		// Removal (R4): staff only, with a reason; a tombstone answers.
		remove := "/admin/lists/wg-read/msg/" + firstID + "/remove"
		if r := pat.post(remove, url.Values{"reason": {"mine"}}); r.Status != http.StatusForbidden {
			t.Errorf("a participant removing: %d", r.Status)
		}
		if r := staff.post(remove, url.Values{"reason": {"  "}}); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "The reason") {
			t.Fatalf("removing without a reason: %d %.500s", r.Status, r.Body)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_tombstones"); n != 0 {
			t.Fatalf("a refused removal left %d tombstones", n)
		}
		if r := staff.post(remove, url.Values{"reason": {"Posted by mistake; the author asked."}}); r.Status != http.StatusSeeOther || r.Header.Get("Location") != first {
			t.Fatalf("removing: %d %q %.300s", r.Status, r.Header.Get("Location"), r.Body)
		}
		gone := anon.get(first)
		if gone.Status != http.StatusGone || !strings.Contains(gone.Body, "This posting was removed") || !strings.Contains(gone.Body, "Posted by mistake; the author asked.") ||
			strings.Contains(gone.Body, "We propose") || strings.Contains(gone.Body, "Pat Participant") {
			t.Fatalf("tombstone: %d %s", gone.Status, gone.Body)
		}
		if r := anon.get("/lists/wg-read/msg/999999"); r.Status != http.StatusNotFound {
			t.Errorf("a posting that never was: %d", r.Status)
		}
		if r := anon.get("/lists/search?q=propose"); !strings.Contains(r.Body, "Nothing found") {
			t.Errorf("the removed posting is still found: %s", r.Body)
		}
		if r := anon.get("/lists/wg-read/mbox"); strings.Contains(r.Body, "We propose") || !strings.Contains(r.Body, "Agreed on compression.") {
			t.Errorf("the mbox after removal: %s", r.Body)
		}
		if r := anon.get("/lists/wg-read/atom.xml"); strings.Contains(r.Body, "We propose") || strings.Contains(r.Body, "msg/"+firstID+"<") {
			t.Errorf("the feed after removal: %s", r.Body)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_posts WHERE body LIKE '%We propose%'"); n != 0 {
			t.Errorf("the removed body is still stored (%d)", n)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'lists.remove'"); n != 1 {
			t.Errorf("%d audit entries for the removal, want 1", n)
		}
		// The thread is still named by its removed first posting: its
		// replies, with the removal noted, not a dead end.
		if r := anon.get("/lists/wg-read/thread/" + firstID); r.Status != 200 || !strings.Contains(r.Body, `href="`+reply+`"`) ||
			!strings.Contains(r.Body, `Removed from this thread: <a href="`+first+`">posting `+firstID+`</a>`) {
			t.Errorf("the thread named by its removed first posting: %d", r.Status)
		}
		if r := anon.get("/lists/wg-read/thread/" + strings.TrimPrefix(reply, "/lists/wg-read/msg/")); r.Status != 200 ||
			!strings.Contains(r.Body, `Removed from this thread: <a href="`+first+`">posting `+firstID+`</a>`) {
			t.Errorf("the thread does not name its removed posting: %d %s", r.Status, r.Body)
		}
		if r := anon.get(reply); r.Status != 200 || strings.Contains(r.Body, "In reply to:") {
			t.Errorf("the reply after its parent's removal: %d", r.Status)
		}
	})
}

// TestListSearchTermsStayOutOfTheAccessLog: the archive search's words
// and author's name are not in the access log (C2).
func TestListSearchTermsStayOutOfTheAccessLog(t *testing.T) {
	s := newSite(t, siteOptions{})
	s.get(t, "/lists/search?q=ada.lovelace%40example.org&author=Ada+Lovelace&list=wg-x")
	lines := s.waitForLines(t, 1)
	all := strings.Join(lines, "\n")
	if strings.Contains(all, "lovelace") || strings.Contains(all, "Lovelace") || !strings.Contains(all, "/lists/search?q=[search]&author=[search]&list=wg-x") {
		t.Errorf("the access log holds the search terms:\n%s", all)
	}
}
