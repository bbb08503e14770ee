package documents

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"
)

// hrefs finds the link targets a rendering carries.
var hrefs = regexp.MustCompile(`href="([^"]*)"`)

// FuzzCheckXML feeds any bytes to the submission check as a draft's XML
// source, then renders what it accepts. The check never panics and
// always answers: either with problems (and then the caller stores
// nothing), or with a draft name and two-digit revision taken from the
// very bytes given. A rendering of an accepted source holds no element
// the source could smuggle in (script, iframe, event attributes) and
// links only to http(s) addresses and anchors in the page.
func FuzzCheckXML(f *testing.F) {
	for _, s := range []string{
		`<?xml version="1.0" encoding="UTF-8"?>
<rfc version="3" docName="draft-ietf-fuzz-seed-00" ipr="trust200902"><front><title>Seed</title>
<author fullname="A. Author"><organization>Org</organization></author><date year="2026"/>
<abstract><t>An <em>abstract</em> with a <eref target="https://example.org/">link</eref>.</t></abstract></front>
<middle><section anchor="intro"><name>Intro</name><t>See <xref target="x"/>.</t>
<section><name>Sub</name><sourcecode>a &lt; b</sourcecode></section></section></middle>
<back><references><name>Refs</name><reference anchor="x"><front><title>X</title></front></reference></references></back></rfc>`,
		`<!DOCTYPE rfc [<!ENTITY nbsp "&#160;"><!ENTITY x SYSTEM "file:///etc/passwd">]><rfc version="3" docName="draft-a-b-01">&x;</rfc>`,
		`<!DOCTYPE rfc [<!ENTITY a "&b;&b;"><!ENTITY b "&a;">]><rfc version="3" docName="draft-a-b-01"><front><title>&a;</title></front></rfc>`,
		`<rfc version="3" docName="draft-a-b-01"><middle><section><name onclick="x()">n</name><t><eref target="javascript:alert(1)">j</eref></t></section></middle></rfc>`,
		`<rfc version="2" docName="draft-a-b-1"/>`,
		`<?xml version="1.0" encoding="ISO-8859-1"?><rfc/>`,
		`<rfc version="3" xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="https://example.org/x.xml"/></rfc>`,
		"<rfc version=\"3\">\x00</rfc>",
		"<a><b>",
		"",
	} {
		f.Add([]byte(s))
	}
	// The start of real drafts, cut to a size the fuzzer can mutate.
	for _, name := range []string{"draft-ietf-uuidrev-rfc4122bis-11.xml", "rfc9001.canonical.xml"} {
		if b, err := os.ReadFile("../../../shared/testdata/drafts/" + name); err == nil {
			f.Add(b[:min(len(b), 6<<10)])
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		orig := bytes.Clone(src)
		c, err := Check(Upload{XML: src, AcceptTerms: true}, func(string) (string, error) { return "", nil })
		if !bytes.Equal(src, orig) {
			t.Fatal("Check modified its input")
		}
		if err != nil {
			t.Fatalf("Check failed rather than listing problems: %v", err)
		}
		if c.Problems != nil {
			if len(c.Problems.List()) == 0 {
				t.Fatal("problems reported but none listed")
			}
			for _, p := range c.Problems.List() {
				if p.Message == "" {
					t.Fatalf("a problem for %q has no message", p.Field)
				}
			}
			return
		}
		if c.XML != string(src) {
			t.Fatal("the accepted source is not the bytes given")
		}
		if c.Meta.Name == "" || len(c.Meta.Rev) != 2 || strings.Trim(c.Meta.Rev, "0123456789") != "" {
			t.Fatalf("accepted a draft named %q revision %q", c.Meta.Name, c.Meta.Rev)
		}
		if !bytes.Contains(src, []byte(c.Meta.Name)) {
			t.Fatalf("name %q is not in the source", c.Meta.Name)
		}
		r, err := RenderXML(c.XML)
		if err != nil {
			t.Fatalf("accepted source does not render: %v", err)
		}
		body := strings.ToLower(string(r.Body))
		for _, bad := range []string{"<script", "<iframe", "<object", "<embed", "<style", " onclick=", " onerror=", " onload=", " style="} {
			if strings.Contains(body, bad) {
				t.Fatalf("rendering holds %q: %s", bad, body)
			}
		}
		for _, m := range hrefs.FindAllStringSubmatch(string(r.Body), -1) {
			h := m[1]
			if !strings.HasPrefix(h, "#") && !strings.HasPrefix(h, "https://") && !strings.HasPrefix(h, "http://") {
				t.Fatalf("rendering links to %q", h)
			}
		}
	})
}
