package dsr

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"strings"
	"testing"
	"time"
)

// TestFilePathStaysInItsFolder: a file's path in the download keeps only
// the last element of the name it was sent with, in safe characters, so
// no name reaches outside files/TABLE/ when the zip is unpacked.
func TestFilePathStaysInItsFolder(t *testing.T) {
	for _, c := range []struct{ name, want string }{
		{"report.pdf", "files/list_attachments/7-report.pdf"},
		{"../../etc/passwd", "files/list_attachments/7-passwd"},
		{`..\..\windows\win.ini`, "files/list_attachments/7-win.ini"},
		{"/abs/path/x.png", "files/list_attachments/7-x.png"},
		{"..", "files/list_attachments/7-data.bin"},
		{".hidden", "files/list_attachments/7-hidden"},
		{"C:evil.txt", "files/list_attachments/7-C_evil.txt"},
		{"café menu.pdf", "files/list_attachments/7-caf__menu.pdf"},
		{"", "files/list_attachments/7-data.bin"},
	} {
		got := filePath("list_attachments", "data", "7", 0, c.name, map[string]bool{})
		if got != c.want || !localPath(got) {
			t.Errorf("%q: %q (local %v), want %q", c.name, got, localPath(got), c.want)
		}
	}
	seen := map[string]bool{}
	a, b := filePath("t", "data", "1", 0, "x", seen), filePath("t", "data", "1", 0, "x", seen)
	if a == b {
		t.Errorf("two files of one row share the path %q", a)
	}
}

// TestMailedCopyAttachesTheFiles: the copy mailed for a request by mail
// carries, when it holds files, the same zip the account page gives,
// attached to a letter the mail sender accepts.
func TestMailedCopyAttachesTheFiles(t *testing.T) {
	data := []byte("\x89PNG\r\n\x1a\n\x00\xff")
	e := Export{Person: 3, Generated: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC), Tables: []Table{{Table: "list_attachments",
		Columns: []string{"id", "filename", "data"}, Rows: [][]string{{"9", "chart.png", "files/list_attachments/9-chart.png"}},
		Files: []File{{Row: 0, Column: "data", Name: "chart.png", Size: len(data), Path: "files/list_attachments/9-chart.png", Data: data}}}}}
	m, err := ExportMail(e, "ros@example.org", "Example SDO")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Check(); err != nil {
		t.Fatalf("the mail sender refuses the copy: %v", err)
	}
	_, params, err := mime.ParseMediaType(m.BodyType)
	if err != nil {
		t.Fatal(err)
	}
	r := multipart.NewReader(strings.NewReader(m.Body), params["boundary"])
	var zipped []byte
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if p.Header.Get("Content-Type") == `application/zip; name="plenary-data-2026-05-01.zip"` {
			zipped, _ = io.ReadAll(base64.NewDecoder(base64.StdEncoding, p))
		}
	}
	z, err := zip.NewReader(bytes.NewReader(zipped), int64(len(zipped)))
	if err != nil {
		t.Fatalf("no zip attached: %v", err)
	}
	var got []byte
	for _, f := range z.File {
		if f.Name == "files/list_attachments/9-chart.png" {
			rc, _ := f.Open()
			got, _ = io.ReadAll(rc)
			rc.Close()
		}
	}
	if !bytes.Equal(got, data) {
		t.Errorf("the attached zip holds %q, want %q", got, data)
	}
}
