package web

import (
	"html"
	"regexp"
	"strings"
	"testing"

	"plenary/internal/inventory"
)

var tags = regexp.MustCompile(`<[^>]+>`)

// TestPrivacyPageStatesEachRuleOnce keeps the privacy page's inventory
// readable (issue 8: it was 11,000 px of the same retention sentence row
// after row): each retention rule appears once in the inventory section,
// followed by the items kept under it, and every declared personal item
// of the access log and the database is still listed.
func TestPrivacyPageStatesEachRuleOnce(t *testing.T) {
	s := newSite(t, siteOptions{})
	res := s.get(t, "/privacy")
	if res.Status != 200 {
		t.Fatalf("GET /privacy: %d", res.Status)
	}
	_, section, ok := strings.Cut(res.Body, `<h2 id="inventory">`)
	if !ok {
		t.Fatal("the page has no inventory section")
	}
	text := html.UnescapeString(tags.ReplaceAllString(section, " "))
	text = strings.Join(strings.Fields(text), " ")
	// Each rule by a phrase of its own, written here by hand.
	for _, rule := range []string{
		"until the raw log files are deleted, after the number of days the operator configures",
		"while your account exists; removed with it when you ask for removal",
		"an address from a public record (a draft or a list posting) can be deactivated",
		"for one year after the change",
		"until you sign out or the session expires (1 day for a session, 30 days when you asked to be remembered)",
		"until the link is used or expires",
		"for the 15-minute window it counts",
		"as long as the site runs: the ledger is append-only",
		"six years by default",
	} {
		if n := strings.Count(text, rule); n != 1 {
			t.Errorf("the inventory section states %q %d times, want once", rule, n)
		}
	}
	// The access-log fields share their purpose and audience too.
	for _, once := range []string{"to count visits in aggregate, troubleshoot the site and investigate misuse", "to prove what you agreed to, and to show you your own record"} {
		if n := strings.Count(text, once); n != 1 {
			t.Errorf("the inventory section states %q %d times, want once", once, n)
		}
	}
	// Each rule heads its group, so the page can be scanned by its
	// summaries alone: one summary per rule, at least the nine above.
	summaries := regexp.MustCompile(`(?s)<summary>(.*?)</summary>`).FindAllStringSubmatch(section, -1)
	if len(summaries) < 9 {
		t.Errorf("%d group summaries, want one per rule (at least 9)", len(summaries))
	}
	for _, m := range summaries {
		if !strings.Contains(m[1], ": kept ") {
			t.Errorf("summary %q does not say how long its items are kept", m[1])
		}
	}
	inv := inventory.Default()
	for _, kind := range []inventory.Kind{inventory.LogField, inventory.Column} {
		for _, it := range inv.Personal(kind) {
			if !strings.Contains(text, it.Label) {
				t.Errorf("the inventory section does not list %s (%q)", it.Key(), it.Label)
			}
		}
	}
	// Meetings, registrations and payments added some 5,000 bytes of
	// their own rows (issue 10).
	if n := len(section); n > 20000 {
		t.Errorf("the inventory section is %d bytes of HTML; it was 22,700 when every row repeated its rule", n)
	}
}
