package documents_test

import (
	"os"
	"path/filepath"
	"testing"

	"plenary/internal/documents"
)

// BenchmarkParseAndRenderRFC9001 reads the metadata of the real RFC 9001
// source and renders it to HTML, as a submission and a page view do.
func BenchmarkParseAndRenderRFC9001(b *testing.B) {
	src, err := os.ReadFile(filepath.Join(drafts, "rfc9001.canonical.xml"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		c, err := documents.Check(documents.Upload{XML: src, AcceptTerms: true}, none)
		if err != nil || c.Problems != nil {
			b.Fatal(err, c.Problems)
		}
		if _, err := documents.RenderXML(c.XML); err != nil {
			b.Fatal(err)
		}
	}
}
