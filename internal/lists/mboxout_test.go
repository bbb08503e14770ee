package lists_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"plenary/internal/lists"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// A thread of three messages as a mail program sends them: a question, a
// reply carrying a PDF and a file with a non-ASCII name, and a reply to the
// reply with a References chain; subjects and a name in UTF-8.
var fidelitySource = "From ann@example.net Mon May  4 09:00:00 2026\n" +
	"From: =?utf-8?q?Ann_=C3=85berg?= <ann@example.net>\n" +
	"Subject: =?utf-8?q?Caf=C3=A9_minutes?=\n" +
	"Date: Mon, 4 May 2026 09:00:00 +0000\n" +
	"Message-ID: <q1@example.net>\n" +
	"Content-Type: text/plain; charset=utf-8\n" +
	"Content-Transfer-Encoding: 8bit\n\n" +
	"Minutes of the café meeting.\n>From the chair: thanks.\n\n" +
	"From bob@example.net Mon May  4 10:00:00 2026\n" +
	"From: Bob <bob@example.net>\n" +
	"Subject: =?utf-8?q?Re:_Caf=C3=A9_minutes?=\n" +
	"Date: Mon, 4 May 2026 10:00:00 +0000\n" +
	"Message-ID: <r1@example.net>\n" +
	"In-Reply-To: <q1@example.net>\n" +
	"References: <q1@example.net>\n" +
	"MIME-Version: 1.0\n" +
	"Content-Type: multipart/mixed; boundary=\"XYZ\"\n\n" +
	"--XYZ\n" +
	"Content-Type: text/plain; charset=utf-8\n\n" +
	"Slides attached.\n" +
	"--XYZ\n" +
	"Content-Type: application/pdf; name=\"slides.pdf\"\n" +
	"Content-Disposition: attachment; filename=\"slides.pdf\"\n" +
	"Content-Transfer-Encoding: base64\n\n" +
	base64.StdEncoding.EncodeToString([]byte("%PDF-1.4 fake slides \x00\x01\x02\xff")) + "\n" +
	"--XYZ\n" +
	"Content-Type: text/csv\n" +
	"Content-Disposition: attachment; filename*=utf-8''r%C3%A9sum%C3%A9.csv\n" +
	"Content-Transfer-Encoding: base64\n\n" +
	base64.StdEncoding.EncodeToString([]byte("a,b\n1,2\n")) + "\n" +
	"--XYZ--\n\n" +
	"From cat@example.net Mon May  4 11:00:00 2026\n" +
	"From: Cat <cat@example.net>\n" +
	"Subject: Re: Re: =?utf-8?q?Caf=C3=A9_minutes?=\n" +
	"Date: Mon, 4 May 2026 11:00:00 +0000\n" +
	"Message-ID: <r2@example.net>\n" +
	"In-Reply-To: <r1@example.net>\n" +
	"References: <q1@example.net> <r1@example.net>\n" +
	"Content-Type: text/plain; charset=utf-8\n\n" +
	"Thanks for the slides.\n"

// TestMboxKeepsThreadsAndAttachments covers the fidelity of the mbox
// export (G1) on both engines: Python's mailbox and email modules open
// the export and find References and In-Reply-To, the attachments'
// bytes and names in multipart/mixed messages, the decoded UTF-8 subject
// and name, the text with its charset; the anonymous export masks the
// addresses; and importing the export into a fresh database gives the
// same messages in the same threads, attachments included.
func TestMboxKeepsThreadsAndAttachments(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		e.list(t, "wg-fid", "open")
		if run := importData(t, e, "wg-fid", [2]string{"source.mbox", fidelitySource}); run.stats.Imported != 3 || len(run.problems)+len(run.errs) > 0 {
			t.Fatalf("importing the source: %+v", run)
		}
		var out strings.Builder
		if err := lists.WriteMbox(ctx, db, "wg-fid", &out); err != nil {
			t.Fatal(err)
		}
		l, err := lists.Get(ctx, db, "wg-fid")
		if err != nil {
			t.Fatal(err)
		}
		var masked strings.Builder
		if err := lists.ListMbox(ctx, db, l, true, &masked, nil); err != nil {
			t.Fatal(err)
		}
		for _, a := range []string{"ann@example.net", "bob@example.net", "cat@example.net"} {
			if strings.Contains(masked.String(), a) {
				t.Errorf("the anonymous export shows %s", a)
			}
		}

		py, err := exec.LookPath("python3")
		if err != nil {
			t.Log("python3 is not installed; the export was not opened by Python's mailbox module")
		} else {
			dir := t.TempDir()
			whole, anon := filepath.Join(dir, "whole.mbox"), filepath.Join(dir, "anon.mbox")
			if err := os.WriteFile(whole, []byte(out.String()), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(anon, []byte(masked.String()), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := exec.Command(py, "-c", `import mailbox, sys, email.policy, email.header
for path in sys.argv[1:]:
    box = mailbox.mbox(path, factory=None)
    for key in box.keys():
        m = email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
        print(m["From"], "|", m["Subject"], "|", m["Message-ID"], "|", m.get("In-Reply-To", "-"), "|", m.get("References", "-"), "|", m.get_content_type())
        body = m.get_body(preferencelist=("plain",))
        print("  text:", body.get_content_charset(), repr(body.get_content()))
        for a in m.iter_attachments():
            print("  file:", a.get_filename(), a.get_content_type(), a.get_payload(decode=True).hex())
`, whole, anon).CombinedOutput()
			if err != nil {
				t.Fatalf("python: %v\n%s", err, got)
			}
			pdf := fmt.Sprintf("%x", "%PDF-1.4 fake slides \x00\x01\x02\xff")
			csv := fmt.Sprintf("%x", "a,b\n1,2\n")
			want := "Ann Åberg <ann@example.net> | Café minutes | <q1@example.net> | - | - | text/plain\n" +
				"  text: utf-8 'Minutes of the café meeting.\\n>From the chair: thanks.\\n'\n" +
				"Bob <bob@example.net> | Re: Café minutes | <r1@example.net> | <q1@example.net> | <q1@example.net> | multipart/mixed\n" +
				"  text: utf-8 'Slides attached.\\n'\n" +
				"  file: slides.pdf application/pdf " + pdf + "\n" +
				"  file: résumé.csv text/csv " + csv + "\n" +
				"Cat <cat@example.net> | Re: Re: Café minutes | <r2@example.net> | <r1@example.net> | <q1@example.net> <r1@example.net> | text/plain\n" +
				"  text: utf-8 'Thanks for the slides.\\n'\n"
			wantAnon := strings.NewReplacer("ann@", "a...@", "bob@", "b...@", "cat@", "c...@").Replace(want)
			if string(got) != want+wantAnon {
				t.Errorf("python read:\n%s\nwant:\n%s%s", got, want, wantAnon)
			}
		}

		// Round trip: the export imported into a fresh database.
		var fresh *store.DB
		if db.Dialect() == store.SQLite {
			fresh = storetest.SQLite(t)
		} else {
			fresh = storetest.Postgres(t)
		}
		e2 := setup(t, fresh)
		e2.list(t, "wg-copy", "open")
		if run := importData(t, e2, "wg-copy", [2]string{"export.mbox", out.String()}); run.stats.Imported != 3 || len(run.problems)+len(run.errs) > 0 {
			t.Fatalf("importing the export: %+v", run)
		}
		if a, b := archiveDump(t, db, "wg-fid"), archiveDump(t, fresh, "wg-copy"); a != b {
			t.Errorf("the round trip changed the archive:\n%s\nwas:\n%s", b, a)
		}
	})
}

// archiveDump describes a list's archive: its threads, each posting's
// author, address, subject, ids, text and attachments.
func archiveDump(t *testing.T, db *store.DB, list string) string {
	t.Helper()
	ctx := context.Background()
	threads, err := lists.Threads(ctx, db, list)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, th := range threads {
		fmt.Fprintf(&b, "thread %q\n", th.Subject)
		for _, p := range th.Postings {
			fmt.Fprintf(&b, "  %s <%s> %q %s %s %q\n", p.Author, p.Email, p.Subject, p.MessageID, p.InReplyTo, p.Body)
			as, err := lists.AttachmentsOf(ctx, db, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range as {
				_, data, err := lists.AttachmentFile(ctx, db, list, p.ID, a.N)
				if err != nil {
					t.Fatal(err)
				}
				fmt.Fprintf(&b, "    %d %s %s %x\n", a.N, a.Filename, a.ContentType, data)
			}
		}
	}
	if len(threads) == 0 {
		b.WriteString("no threads\n")
	}
	return b.String()
}
