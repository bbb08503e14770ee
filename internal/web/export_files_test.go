package web

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"path"
	"slices"
	"strings"
	"testing"

	"plenary/internal/lists"
	"plenary/internal/payments"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// exportedTable is a table of a JSON export, read without the dsr types.
type exportedTable struct {
	Table   string     `json:"table"`
	Columns []string   `json:"columns"`
	Rows    [][]string `json:"rows"`
}

func exportedCell(t *testing.T, body []byte, table, column string) []string {
	t.Helper()
	var e struct {
		Tables []exportedTable `json:"tables"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("the export is not JSON: %v\n%.300s", err, body)
	}
	var out []string
	for _, tb := range e.Tables {
		if tb.Table != table {
			continue
		}
		i := slices.Index(tb.Columns, column)
		if i < 0 {
			t.Fatalf("the export's %s has no column %s: %v", table, column, tb.Columns)
		}
		for _, r := range tb.Rows {
			out = append(out, r[i])
		}
	}
	return out
}

// TestExportCarriesAttachmentsAsFiles (R2): a participant whose posting
// carried a binary attachment downloads their copy as a zip, on both
// engines: the JSON inside names the attachment by its path in the zip,
// under files/ and without the directories of the name it was sent with,
// and that entry holds the bytes sent; the page shows the file's name and
// size, never its bytes.
func TestExportCarriesAttachmentsAsFiles(t *testing.T) {
	data := []byte("%PDF-1.4\n\x00\x01\x02\xff\xfe\xfd not text \x80\x81\n%%EOF")
	msg := "From ann@example.org Mon Mar  1 06:46:11 2010\n" +
		"From: Ann Author <ann@example.org>\nSubject: The report\nMessage-ID: <report@example.org>\nDate: Mon, 1 Mar 2010 06:46:11 +0000\n" +
		"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=B\n\n" +
		"--B\nContent-Type: text/plain\n\nThe report is attached.\n" +
		"--B\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=\"../../etc/report 1.pdf\"\nContent-Transfer-Encoding: base64\n\n" +
		base64.StdEncoding.EncodeToString(data) + "\n" +
		"--B--\n"
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := newAccountSite(t, siteOptions{DB: db, Args: []string{"--mail-domain", "lists.example.org"}})
		svc := a.Server.listService()
		if _, err := svc.Create(ctx, lists.Actor{Label: "test"}, lists.NewList{Name: "wg-doc", Description: "Documents", Archive: lists.ArchivePublic}); err != nil {
			t.Fatal(err)
		}
		im := &lists.Importer{Service: svc, Who: lists.Actor{Label: "test"}, List: "wg-doc"}
		if err := im.ImportFile(ctx, "a.mbox", strings.NewReader(msg)); err != nil || im.Stats.Imported != 1 {
			t.Fatalf("importing: %v %+v", err, im.Stats)
		}
		a.signUp(t, "Ann Author", "ann@example.org")
		ann := a.signIn(t, "ann@example.org")

		res := ann.get("/account/export?format=json")
		if res.Status != 200 || res.Header.Get("Content-Type") != "application/zip" ||
			!strings.HasPrefix(res.Header.Get("Content-Disposition"), `attachment; filename="plenary-data-`) ||
			!strings.HasSuffix(res.Header.Get("Content-Disposition"), `.zip"`) {
			t.Fatalf("the download: %d %v", res.Status, res.Header)
		}
		z, err := zip.NewReader(strings.NewReader(res.Body), int64(len(res.Body)))
		if err != nil {
			t.Fatalf("the download is not a zip: %v", err)
		}
		entries := map[string][]byte{}
		for _, f := range z.File {
			if strings.Contains(f.Name, "..") || strings.HasPrefix(f.Name, "/") || strings.Contains(f.Name, `\`) || path.Clean(f.Name) != f.Name {
				t.Errorf("the zip holds a path that can leave its folder: %q", f.Name)
			}
			r, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(r)
			r.Close()
			if err != nil {
				t.Fatal(err)
			}
			entries[f.Name] = b
		}
		body, ok := entries["plenary-data.json"]
		if !ok {
			t.Fatalf("the zip has no plenary-data.json: %v", z.File)
		}
		if bytes.Contains(body, data[:12]) || strings.Contains(string(body), "%PDF") {
			t.Error("the JSON inlines the attachment's bytes")
		}
		cells := exportedCell(t, body, "list_attachments", "data")
		if len(cells) != 1 {
			t.Fatalf("the JSON has %d attachments, want 1: %q", len(cells), cells)
		}
		p := cells[0]
		if !strings.HasPrefix(p, "files/list_attachments/") || !strings.HasSuffix(p, "report_1.pdf") || strings.Contains(p, "etc") {
			t.Errorf("the JSON names the attachment %q, want a path under files/list_attachments/ ending in report_1.pdf", p)
		}
		if got, ok := entries[p]; !ok || !bytes.Equal(got, data) {
			t.Errorf("the zip's %q holds %q (present %v), want the bytes posted %q", p, got, ok, data)
		}
		if len(entries) != 2 {
			t.Errorf("the zip holds %d entries, want the JSON and the one file", len(entries))
		}

		page := ann.get("/account/export")
		if page.Status != 200 {
			t.Fatalf("/account/export: %d", page.Status)
		}
		for _, want := range []string{"report 1.pdf", "(33 bytes", "The report is attached."} {
			if !strings.Contains(page.Body, want) {
				t.Errorf("the page lacks %q", want)
			}
		}
		for _, not := range []string{"%PDF", "not text", "%%EOF"} {
			if strings.Contains(page.Body, not) {
				t.Errorf("the page shows the attachment's bytes (%q)", not)
			}
		}
	})
}

// TestOwnExportOpensSealedCardDetails (R2, P2): the card's last four
// digits and authorization code, stored encrypted, appear opened in the
// person's own copy, page and download, never as ciphertext; a value that
// cannot be opened (moved to another field, so its binding fails) says so
// instead, on both engines.
func TestOwnExportOpensSealedCardDetails(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ms := newMeetingSite(t, db)
		meeting := ms.createMeeting(t, "Plenary 122", "100")
		full, _ := ticketIDs(t, ms.send(t, "GET", ms.url+meeting+"/register", nil, nil).Body)
		res := ms.send(t, "POST", ms.url+meeting+"/register", registration("Grace Payer", "grace@example.net", full, false), role(""))
		if res.Status != 303 {
			t.Fatalf("registering signed in: %d %.300s", res.Status, res.Body)
		}
		ms.payWith(t, res.Header.Get("Location"), payments.CardSucceeds)
		var last4, auth []byte
		if err := db.QueryRow(context.Background(), "SELECT last4, auth_code FROM payments WHERE status = 'paid'").Scan(&last4, &auth); err != nil {
			t.Fatal(err)
		}
		if len(last4) < 20 || len(auth) < 20 {
			t.Fatalf("the payment's card details are not sealed: %q %q", last4, auth)
		}

		for _, tc := range []struct {
			name      string
			change    string
			wantLast4 string
		}{
			{"sealed", "", "4242"},
			{"moved", "UPDATE payments SET last4 = auth_code", "(encrypted; it could not be decrypted for this copy)"},
		} {
			if tc.change != "" {
				if _, err := db.Exec(context.Background(), tc.change); err != nil {
					t.Fatal(err)
				}
			}
			file := ms.send(t, "GET", ms.url+"/account/export?format=json", nil, role(""))
			if file.Status != 200 || !strings.HasPrefix(file.Header.Get("Content-Type"), "application/json") {
				t.Fatalf("%s: the download: %d %v", tc.name, file.Status, file.Header)
			}
			if got := exportedCell(t, []byte(file.Body), "payments", "last4"); !slices.Equal(got, []string{tc.wantLast4}) {
				t.Errorf("%s: the download's last four digits are %q, want %q", tc.name, got, tc.wantLast4)
			}
			authCells := exportedCell(t, []byte(file.Body), "payments", "auth_code")
			if len(authCells) != 1 || len(authCells[0]) != 6 || strings.Contains(authCells[0], "encrypted") {
				t.Errorf("%s: the download's authorization code is %q, want the six characters opened", tc.name, authCells)
			}
			page := ms.send(t, "GET", ms.url+"/account/export", nil, role(""))
			if !strings.Contains(page.Body, "<td>"+tc.wantLast4+"</td>") {
				t.Errorf("%s: the page does not show %q as the last four digits", tc.name, tc.wantLast4)
			}
			for _, sealed := range [][]byte{last4, auth} {
				for _, form := range []string{string(sealed), base64.StdEncoding.EncodeToString(sealed), string(sealed[:12])} {
					if strings.Contains(file.Body, form) || strings.Contains(page.Body, form) {
						t.Errorf("%s: the copy holds a sealed value", tc.name)
					}
				}
			}
		}
	})
}
