package lists_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"plenary/internal/lists"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// mboxDir is the shared real archives; tests that need them skip with a
// message in a clone that has no ../shared beside it.
func mboxDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "testdata", "mbox")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("the real archives are not here (%v)", err)
	}
	return dir
}

type importRun struct {
	stats    lists.ImportStats
	problems []string
	errs     []string
}

// importData imports named contents, in order, in one run.
func importData(t *testing.T, e *env, list string, files ...[2]string) importRun {
	t.Helper()
	var run importRun
	im := &lists.Importer{Service: e.svc, Who: lists.Actor{Label: "test"}, List: list,
		Problem: func(p lists.ImportProblem) { run.problems = append(run.problems, p.String()) }}
	for _, f := range files {
		if err := im.ImportFile(context.Background(), f[0], strings.NewReader(f[1])); err != nil {
			run.errs = append(run.errs, err.Error())
		}
	}
	run.stats = im.Stats
	return run
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func gz(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

// TestImportRealArchives imports the three real archives on both engines.
// The counts are what Python's mailbox module reads in them (50, 36 and
// 164 messages; 49, 36 and 82 distinct Message-IDs): duplicates are
// skipped and counted. Imported messages are published as of their own
// Date, attributed (encoded words and "user at host" senders decoded),
// their attachments kept with their bytes, and nothing is distributed or
// written to the consent ledger. Running the import again, and running it
// on a gzip copy, imports nothing new.
func TestImportRealArchives(t *testing.T) {
	dir := mboxDir(t)
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		e.list(t, "arch", lists.PostSubscribers)
		gpp := readFile(t, filepath.Join(dir, "3GPP_TSG_SA_WG4_EVS.mbox"))
		ancp := readFile(t, filepath.Join(dir, "ietf-ancp-2010-03.mbox"))
		numpy := readFile(t, filepath.Join(dir, "numpy-discussion-2001-November.mbox"))

		// A first run stops half-way: the gzip copy of ancp is cut short.
		cut := gz(t, ancp)
		run := importData(t, e, "arch", [2]string{"ancp-cut.mbox.gz", cut[:len(cut)/2]})
		if len(run.errs) != 1 || !strings.Contains(run.errs[0], "the file is broken") {
			t.Fatalf("a cut gzip file: errors %q", run.errs)
		}
		first := run.stats.Imported
		if first == 0 || first >= 36 {
			t.Fatalf("the cut file gave %d messages, want some of the 36", first)
		}

		run = importData(t, e, "arch", [2]string{"3gpp.mbox", gpp}, [2]string{"ancp.mbox", ancp}, [2]string{"numpy.mbox", numpy})
		if len(run.errs) != 0 || len(run.problems) != 0 {
			t.Fatalf("errors %q, problems %q", run.errs, run.problems)
		}
		want := lists.ImportStats{Read: 50 + 36 + 164, Imported: 49 + 36 + 82 - first, Duplicates: 1 + first + 82, Malformed: 0, Bytes: int64(len(gpp) + len(ancp) + len(numpy))}
		if run.stats != want {
			t.Errorf("stats %+v, want %+v", run.stats, want)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_posts WHERE status = 'published' AND imported_at IS NOT NULL"); n != 167 {
			t.Errorf("%d imported postings, want 167", n)
		}

		// Resumable: again, plain and gzip, nothing new.
		run = importData(t, e, "arch", [2]string{"3gpp.mbox.gz", gz(t, gpp)}, [2]string{"ancp.mbox", ancp})
		if run.stats.Imported != 0 || run.stats.Duplicates != 86 || len(run.errs) != 0 {
			t.Errorf("a second run: %+v %q", run.stats, run.errs)
		}

		// Attribution, dates, subjects and bodies, as the messages say.
		for _, c := range []struct {
			mid, name, email, subject, date, body string
		}{
			{"<HE1PR0702MB36431C99F09F56144B855CF3FAC79@HE1PR0702MB3643.eurprd07.prod.outlook.com>", "Tomas Toftgård", "tomas.toftgard@ericsson.com",
				"'Re: Draft EVS-8a'", "2021-08-26 20:51:14", "Thanks for the clarification, it sounds good to me. It is just that earlier we have also agreed"},
			{"<D8802B92-1105-4295-9F30-C04FE369A86D@cisco.com>", "Francois Le Faucheur", "flefauch@cisco.com",
				"Re: [ANCP] Agenda items for IETF77 ANCP WG meeting", "2010-03-01 14:45:56", "Please allocate a slot for draft-ietf-ancp-mc-extensions"},
			{"<Pine.SOL.4.30.0111011916360.17706-100000@mimosa.csv.warwick.ac.uk>", "John J. Lee", "jjl@pobox.com",
				"", "2001-11-01 11:19:12", ""},
		} {
			var name, email, subject, body string
			var pub time.Time
			if err := db.QueryRow(ctx, `SELECT c.name, LOWER(c.email), p.subject, p.body, p.published_at FROM list_posts p JOIN list_contributors c ON c.id = p.contributor_id
				WHERE p.message_id = ?`, c.mid).Scan(&name, &email, &subject, &body, &pub); err != nil {
				t.Fatalf("%s: %v", c.mid, err)
			}
			if name != c.name || email != c.email || (c.subject != "" && subject != c.subject) || pub.UTC().Format(time.DateTime) != c.date || !strings.Contains(body, c.body) {
				t.Errorf("%s: %q %q %q %s body %.80q", c.mid, name, email, subject, pub.UTC().Format(time.DateTime), body)
			}
		}
		// ancp's attachments: eleven parts with a file name (as Python's
		// email package lists them), the first two the logos of the first
		// message, with their bytes.
		if n := count(t, db, "SELECT COUNT(*) FROM list_attachments a JOIN list_posts p ON p.id = a.post_id WHERE p.subject LIKE '%ANCP%' AND a.filename NOT LIKE 'attachment-%'"); n != 11 {
			t.Errorf("%d named attachments in ancp, want 11", n)
		}
		var fname, ctype string
		var size int64
		var data []byte
		if err := db.QueryRow(ctx, `SELECT a.filename, a.content_type, a.size, a.data FROM list_attachments a JOIN list_posts p ON p.id = a.post_id
			WHERE p.message_id = ? AND a.n = 1`, "<D8802B92-1105-4295-9F30-C04FE369A86D@cisco.com>").Scan(&fname, &ctype, &size, &data); err != nil {
			t.Fatal(err)
		}
		if fname != "logo.gif" || ctype != "image/gif" || size != 837 || len(data) != 837 || !bytes.HasPrefix(data, []byte("GIF8")) {
			t.Errorf("the first attachment: %q %q %d, %d bytes", fname, ctype, size, len(data))
		}
		// Historical records: no distribution, no terms accepted for
		// anyone, one audit entry per batch.
		if n := count(t, db, "SELECT COUNT(*) FROM jobs"); n != 0 {
			t.Errorf("%d jobs after an import, want none", n)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM consent_ledger WHERE contributor_id IS NOT NULL"); n != 0 {
			t.Errorf("%d ledger entries for imported authors, want none", n)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM list_contributors WHERE accepted_at IS NOT NULL"); n != 0 {
			t.Errorf("%d imported authors marked as having accepted the terms", n)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'lists.import'"); n != 4 {
			t.Errorf("%d import audit entries, want 4 (one per file with new messages)", n)
		}
		// Replies whose parent is in the archive are in its thread.
		if n := count(t, db, `SELECT COUNT(*) FROM list_posts c JOIN list_posts p ON p.message_id = c.in_reply_to WHERE c.thread_id <> p.thread_id`); n != 0 {
			t.Errorf("%d replies outside their parent's thread", n)
		}
	})
}

// TestImportSkipsWhatCannotBeRead feeds hostile files: each bad message is
// reported with its file, position and line and skipped, the good ones
// around it are imported, and files that are not mbox at all, or gzip
// garbage, are refused without stopping the files after them.
func TestImportSkipsWhatCannotBeRead(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		e.list(t, "arch", lists.PostOpen)
		msg := func(id, extra, body string) string {
			return "From x@example.org Mon Mar  1 06:46:11 2010\nFrom: Ann <ann@example.org>\nSubject: s " + id + "\nMessage-ID: <" + id + "@example.org>\n" + extra + "\n" + body + "\n\n"
		}
		hostile := msg("good1", "", "fine") +
			"From x@example.org Mon Mar  1 06:46:11 2010\nSubject: no sender\nMessage-ID: <nofrom@example.org>\n\nwho?\n\n" +
			msg("latin", "Content-Type: text/plain; charset=utf-8\n", "caf\xe9 \xff invalid UTF-8") +
			msg("nobound", "Content-Type: multipart/mixed\n", "no boundary at all") +
			msg("badb64", "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n", "!!!not base64!!!") +
			msg("nul", "", "a NUL \x00 byte") +
			"From x@example.org Mon Mar  1 06:46:11 2010\nFrom: Ann <ann@example.org>\nSubject: header\x01only\n\n\n" +
			msg("unterminated", "Content-Type: multipart/mixed; boundary=XX\n", "--XX\nContent-Type: text/plain\n\nhalf a message") +
			"From x@example.org Mon Mar  1 06:46:11 2010\nthis is not a header at all\n\n" +
			msg("good2", "", "fine too")
		run := importData(t, e, "arch",
			[2]string{"hostile.mbox", hostile},
			[2]string{"garbage.gz", "\x1f\x8b\x08\x00garbage garbage"},
			[2]string{"notmbox.txt", "Dear all,\nthis is a letter.\n"},
			[2]string{"after.mbox", msg("good3", "", "after the bad files")})
		wantProblems := []string{
			"hostile.mbox: message 2 (line 8): it has no From header",
			"hostile.mbox: message 6 (line 39): it holds a NUL byte",
			"hostile.mbox: message 9 (line 62): the header does not parse (malformed MIME header line: this is not a header at all)",
		}
		if strings.Join(run.problems, "\n") != strings.Join(wantProblems, "\n") {
			t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(run.problems, "\n"), strings.Join(wantProblems, "\n"))
		}
		if len(run.errs) != 2 || !strings.Contains(run.errs[0], "garbage.gz") || !strings.Contains(run.errs[1], "not an mbox file") {
			t.Errorf("file errors %q", run.errs)
		}
		if run.stats.Imported != 8 || run.stats.Malformed != 3 {
			t.Errorf("stats %+v, want 8 imported and 3 skipped", run.stats)
		}
		ctx := context.Background()
		body := func(mid string) string {
			var b string
			if err := db.QueryRow(ctx, "SELECT body FROM list_posts WHERE message_id = ?", mid).Scan(&b); err != nil {
				t.Fatalf("%s: %v", mid, err)
			}
			return b
		}
		// Bytes that are not UTF-8 are read as Windows-1252, never stored
		// as invalid text.
		if got := body("<latin@example.org>"); got != "café ÿ invalid UTF-8" {
			t.Errorf("latin: %q", got)
		}
		if got := body("<nobound@example.org>"); got != "no boundary at all" {
			t.Errorf("nobound: %q", got)
		}
		if got := body("<unterminated@example.org>"); got != "half a message" {
			t.Errorf("unterminated: %q", got)
		}
		// The message without a Message-ID got one made from its bytes.
		if n := count(t, db, "SELECT COUNT(*) FROM list_posts WHERE message_id LIKE '%@no-message-id.invalid>' AND subject = 'headeronly'"); n != 1 {
			t.Errorf("%d messages without an id kept under a made one", n)
		}
	})
}

// TestImportThreadsRepliesBeforeParents: a grandchild that names its
// grandparent in References, and a child, both arrive before the message
// they answer; when it arrives, all three are one thread. A reply that
// names no parent joins its thread by subject.
func TestImportThreadsRepliesBeforeParents(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		e.list(t, "arch", lists.PostOpen)
		m := func(id, subject, headers string) string {
			if headers != "" {
				headers += "\n"
			}
			return fmt.Sprintf("From x@example.org Mon Mar  1 06:46:11 2010\nFrom: ann@example.org\nSubject: %s\nMessage-ID: <%s@x>\n%s\nbody of %s\n\n", subject, id, headers, id)
		}
		mbox := m("c", "Re: Plan", "In-Reply-To: <b@x>\nReferences: <a@x> <b@x>") +
			m("other", "Unrelated", "") +
			m("b", "Re: Plan", "In-Reply-To: <a@x>\nReferences: <a@x>") +
			m("a", "Plan", "") +
			m("d", "RE: [arch] plan", "") +
			m("e", "Plan B", "")
		if run := importData(t, e, "arch", [2]string{"t.mbox", mbox}); run.stats.Imported != 6 {
			t.Fatalf("%+v %q %q", run.stats, run.problems, run.errs)
		}
		ths, err := lists.Threads(context.Background(), db, "arch")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, th := range ths {
			var ids []string
			for _, p := range th.Postings {
				ids = append(ids, strings.Trim(p.MessageID, "<>@x"))
			}
			got = append(got, strings.Join(ids, ","))
		}
		want := map[string]bool{"c,b,a,d": true, "other": true, "e": true}
		if len(got) != 3 {
			t.Fatalf("threads %q, want %v", got, want)
		}
		for _, g := range got {
			if !want[g] {
				t.Errorf("threads %q, want %v", got, want)
			}
		}
	})
}
