package dsr

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"strings"
)

// ArchiveJSON is the name of the copy itself inside a download that
// carries files.
const ArchiveJSON = "plenary-data.json"

// Files are the files the copy holds, table by table.
func (e Export) Files() []File {
	var out []File
	for _, t := range e.Tables {
		out = append(out, t.Files...)
	}
	return out
}

// JSON is the copy as the indented JSON a download holds; each file is
// named there by its path in the zip (WriteArchive), never by its bytes.
func (e Export) JSON() ([]byte, error) {
	body, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding an export: %w", err)
	}
	return append(body, '\n'), nil
}

// WriteArchive writes the copy as a zip: ArchiveJSON, and each file at
// the path the JSON names it by, under files/.
func WriteArchive(w io.Writer, e Export) error {
	body, err := e.JSON()
	if err != nil {
		return err
	}
	z := zip.NewWriter(w)
	add := func(name string, data []byte) error {
		if !localPath(name) {
			return fmt.Errorf("an export file path %q is not local", name)
		}
		f, err := z.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: e.Generated})
		if err != nil {
			return err
		}
		_, err = f.Write(data)
		return err
	}
	if err := add(ArchiveJSON, body); err != nil {
		return fmt.Errorf("writing an export: %w", err)
	}
	for _, f := range e.Files() {
		if err := add(f.Path, f.Data); err != nil {
			return fmt.Errorf("writing an export: %w", err)
		}
	}
	if err := z.Close(); err != nil {
		return fmt.Errorf("writing an export: %w", err)
	}
	return nil
}

// localPath reports whether name stays inside the folder a zip is
// unpacked in: relative, clean, without "..", backslashes or a drive.
func localPath(name string) bool {
	return name != "" && path.Clean(name) == name && !path.IsAbs(name) && !strings.HasPrefix(name, "../") &&
		name != ".." && !strings.ContainsAny(name, `\:`)
}
