package web

import (
	"context"
	"html"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"plenary/internal/auth"
	"plenary/internal/lists"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// Inline elements run on inside a sentence; any other tag ends a block of
// text (a cell, an item, a paragraph), so words in two cells are not read
// as one sentence.
var (
	inlineTag = regexp.MustCompile(`(?i)</?(a|strong|em|b|i|code|span|abbr|mark|time|small)\b[^>]*>`)
	blockTag  = regexp.MustCompile(`<[^>]*>`)
	// An audience list that names anyone and then others: "anyone"
	// already takes them in.
	anyoneAnd = regexp.MustCompile(`(?i)\banyone(,| and| or) (you|staff)\b`)
)

// wordingProblems reads a page's text as a person does and lists the
// sentences where declarations and templates were joined clumsily: a word
// said twice in a row ("Kept kept as part of…"), or "anyone and you and
// staff".
func wordingProblems(page string) []string {
	text := blockTag.ReplaceAllString(inlineTag.ReplaceAllString(page, ""), "\n")
	var out []string
	for _, block := range strings.Split(html.UnescapeString(text), "\n") {
		if m := anyoneAnd.FindString(block); m != "" {
			out = append(out, "“"+m+"” in: "+strings.TrimSpace(block))
		}
		// Words with only spaces between them; punctuation between two
		// words ("that; that") starts another clause.
		prev, prevEnd := "", -1
		for i := 0; i < len(block); {
			if !isWordByte(block[i]) {
				i++
				continue
			}
			j := i
			for j < len(block) && isWordByte(block[j]) {
				j++
			}
			word := strings.ToLower(block[i:j])
			if prev != "" && word == prev && strings.TrimSpace(block[prevEnd:i]) == "" && !unicode.IsDigit(rune(word[0])) {
				out = append(out, "“"+block[max(0, i-len(prev)-1):j]+"” in: "+strings.TrimSpace(block))
			}
			prev, prevEnd, i = word, j, j
		}
	}
	return out
}

func isWordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '\'' || b >= 0x80
}

// TestGeneratedWordingReadsAsSentences reads the real pages that put the
// inventory's retention rules and audiences into sentences: the privacy
// page with its statement and inventory, and every form and list page
// that says what it keeps, who sees it and for how long. A rule that
// repeats the word the template puts before it, or an audience list that
// names anyone and then you and staff, fails here.
func TestGeneratedWordingReadsAsSentences(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, siteOptions{DB: db})
		if _, err := s.Server.listService().Create(context.Background(), lists.Actor{Label: "test"},
			lists.NewList{Name: "wg-words", Description: "Words", Posting: "open", Archive: lists.ArchivePublic}); err != nil {
			t.Fatal(err)
		}
		member := roleHeader(auth.Participant)
		for _, p := range []struct {
			path   string
			header map[string][]string
			want   string // a sentence of generated wording the page must hold
		}{
			{"/privacy", nil, "Kept as part of the public record of the discussion, attributed to you."},
			{"/privacy", nil, "kept as part of the public record of the discussion, attributed to you."},
			{"/privacy", nil, "Seen by anyone."},
			{"/privacy", nil, "Seen by anyone where it is published, otherwise by you and staff with the secretariat or admin role."},
			{"/privacy/cookies", nil, ""},
			{"/signup", nil, "Seen by you and staff with the secretariat or admin role."},
			{"/contact", nil, "All of it is read by staff with the secretariat or admin role, and kept until it is answered and closed"},
			{"/lists/wg-words", nil, "Read by anyone. Kept as part of the public record of the discussion, attributed to you."},
			{"/drafts/submit", member, "Seen by anyone, and kept forever"},
			{"/ipr/new", member, ""},
		} {
			res := s.do(t, "GET", p.path, nil, p.header)
			if res.Status != 200 {
				t.Errorf("%s: %d", p.path, res.Status)
				continue
			}
			for _, problem := range wordingProblems(res.Body) {
				t.Errorf("%s: %s", p.path, problem)
			}
			if plain := blockTag.ReplaceAllString(inlineTag.ReplaceAllString(res.Body, ""), "\n"); p.want != "" && !strings.Contains(html.UnescapeString(plain), p.want) {
				t.Errorf("%s lacks %q", p.path, p.want)
			}
		}
	})
}

// TestWordingProblemsFindsDoubledWords checks the reader above on its
// own: what it must find and what it must let pass.
func TestWordingProblemsFindsDoubledWords(t *testing.T) {
	for _, c := range []struct {
		page  string
		found int
	}{
		{"<p>Kept kept as part of the public record.</p>", 1},
		{"<summary><strong>Your postings</strong>: kept kept as part of it.</summary>", 1},
		{"<p><strong>Seen by</strong> anyone and you and staff with the admin role.</p>", 1},
		{"<p>Seen by anyone, you and staff.</p>", 1},
		{"<p>Kept <em>kept</em> forever.</p>", 1},
		{"<p>Seen by anyone. Kept as part of the public record.</p>", 0},
		{"<table><tr><td>to refund you</td><td>you and staff</td></tr></table>", 0},
		{"<p>that; that is all</p>", 0},
		{"<p>between 10 10 and 20</p>", 0},
	} {
		if got := wordingProblems(c.page); len(got) != c.found {
			t.Errorf("%s: %d problems %q, want %d", c.page, len(got), got, c.found)
		}
	}
}
