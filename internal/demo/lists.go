package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"plenary/internal/lists"
	"plenary/internal/store"
)

// demoAuthors post to the demo's discussion groups; the people are
// invented and the addresses are at example.net, which takes no mail.
var demoAuthors = []struct{ name, email string }{
	{"Rosa Fernández", "rosa@example.net"},
	{"Kenji Watanabe", "kenji@example.net"},
	{"Ole Hansen", "ole@example.net"},
	{"Amara Okafor", "amara@example.net"},
	{"Lin Chen", "lin@example.net"},
	{"Priya Raman", "priya@example.net"},
	{"Tomasz Nowak", "tomasz@example.net"},
	{"Fatima Zahra Benali", "fatima@example.net"},
	{"Jonas Lindqvist", "jonas@example.net"},
	{"Mei Ling Tan", "meiling@example.net"},
	{"Diego Alvarez", "diego@example.net"},
	{"Sophie Martin", "sophie@example.net"},
	{"Kwame Mensah", "kwame@example.net"},
	{"Anna Kowalczyk", "anna@example.net"},
	{"Hiroshi Sato", "hiroshi@example.net"},
	{"Leila Haddad", "leila@example.net"},
	{"Niamh O'Brien", "niamh@example.net"},
	{"Rafael Costa", "rafael@example.net"},
	{"Ingrid Berg", "ingrid@example.net"},
	{"Arjun Mehta", "arjun@example.net"},
	{"Elena Petrova", "elena@example.net"},
	{"Samuel Adeyemi", "samuel@example.net"},
	{"Chloé Dubois", "chloe@example.net"},
	{"Mateo Rossi", "mateo@example.net"},
}

// demoTopics are the subjects of each demo list's threads, made up by the
// project; each opens a thread whose replies are generated below.
var demoTopics = map[string][]string{
	"wg-http": {
		"Caching of authenticated responses",
		"Agenda for the next interim meeting",
		"Field names: case sensitivity",
		"Test suite coverage",
		"Clarifying the Vary field for compressed responses",
		"Proposal: deprecate the Expect field",
		"Retry semantics for idempotent requests",
		"Review of the range requests section",
		"Status code for a request the server will never accept",
		"Trailer fields and intermediaries",
		"Interop report from the last hackathon",
		"Normative references: update to the latest URI text",
		"Should 1xx responses carry Date?",
		"Editorial pass over the security considerations",
		"Priority signals and proxies",
		"Content-Length with a HEAD response",
		"Working group last call: caching document",
		"Heuristic freshness: keep or drop the 10% rule?",
		"Conditional requests on weak validators",
		"Recording of the interim meeting",
		"Errata triage: three reports on the message syntax",
		"Connection reuse across origins",
		"Early hints and link relations",
		"Minutes of the plenary session",
		"Registry policy for new status codes",
		"Line folding in field values",
		"Implementation status page",
		"Max-age and clock skew",
		"Splitting the test suite by feature",
		"Authentication schemes: what to do with unregistered ones",
		"Request for a new milestone date",
		"Invalid field values: reject or repair?",
		"Port of the test suite to a second language",
		"Timeouts: should the spec say anything?",
		"Chair's summary of open issues",
		"Cookies and shared caches",
	},
	"discuss": {
		"Welcome to the discussion list",
		"Remote participation at the plenary",
		"Newcomers' guide",
		"Travel grants for the next meeting",
		"Which chat tool should working groups use?",
		"Code of conduct: a reminder",
		"How are chairs chosen?",
		"Time zones for interim meetings",
		"Ideas for a mentoring programme",
		"Is the archive search working for you?",
		"Accessibility of meeting materials",
		"Hybrid meetings: lessons learned",
		"Venue for the autumn plenary",
		"Summary of the community survey",
		"Proposal: a list for tooling discussions",
		"Where to report problems with the website",
		"Document formats: text, HTML or both?",
		"Onboarding sessions for first-time attendees",
		"Should the plenary be recorded?",
		"Visa letters for the next meeting",
		"Thanks to the outgoing chairs",
		"Quiet rooms and childcare at meetings",
		"Open discussion: how do we reach consensus faster?",
		"Privacy of the attendee list",
		"Call for volunteers: note takers",
		"Sustainability of in-person meetings",
		"Translations of the newcomers' guide",
		"Announcing the new secretariat contact",
	},
}

// demoSentences make up the paragraphs of the generated postings.
var demoSentences = []string{
	"I have read the current text twice and I am still not sure what an implementation is expected to do here.",
	"Two of the implementations I tested behave differently, and both can point at a sentence in the draft.",
	"My suggestion is to add one example and leave the normative text as it is.",
	"We discussed this briefly at the last meeting, but the minutes do not record a conclusion.",
	"I would prefer a MUST here; a SHOULD invites exactly the variation we are trying to avoid.",
	"The cost of changing this now seems small compared with the confusion it causes.",
	"There is an old thread on this from a few years ago that reached the opposite conclusion.",
	"I can draft text for this if nobody else is already working on it.",
	"Before we decide, it would help to know what deployed software does today.",
	"I am not convinced this is a problem in practice; does anyone have a concrete failure?",
	"The security considerations should mention this case explicitly.",
	"This would also simplify the test suite, which currently needs a special case for it.",
	"I think we are mixing two questions: what the protocol allows and what we recommend.",
	"For what it is worth, our deployment has done this for years without complaints.",
	"Let us take this to the issue tracker so it does not get lost.",
	"I am happy with either option as long as the text is unambiguous.",
	"The chairs would like to close this by the end of the month.",
	"Could someone summarise where the discussion stands for those of us who missed the meeting?",
	"A short note in the appendix would be enough for me.",
	"I disagree: removing it would break existing clients that rely on it.",
	"We should check with the other working groups that reference this section.",
	"Thanks, this is much clearer than the previous version.",
	"I have pushed a proposed change; comments welcome on the pull request.",
	"The registry already has an entry for this, so no new registration is needed.",
	"Newcomers often ask about this; a sentence in the guide would save a lot of questions.",
	"Remote participants found the last arrangement hard to follow.",
	"I would like to hear from people who have not spoken yet in this thread.",
	"The numbers from the survey point the same way.",
	"We tried that at the previous meeting and it worked reasonably well.",
	"Let me know if you want me to present this at the next session.",
}

// demoThanks close some postings.
var demoThanks = []string{"Thanks,", "Best regards,", "Cheers,", "Regards,", ""}

// demoAttachments are the few files the demo's postings carry.
var demoAttachments = []lists.Attachment{
	{N: 1, Filename: "coverage.csv", ContentType: "text/csv",
		Data: []byte("section,requirements,tested\nmessages,120,97\nfields,84,51\ncaching,66,30\nsemantics,142,88\n")},
	{N: 1, Filename: "interop-notes.txt", ContentType: "text/plain",
		Data: []byte("Interop notes\n\nEleven implementations took part. All passed the basic request tests;\nthree failed the chunked trailer tests; one rejected folded field lines.\n")},
	{N: 1, Filename: "survey-summary.txt", ContentType: "text/plain",
		Data: []byte("Community survey, summary\n\nResponses: 412\nWould attend remotely: 61%\nWould like more newcomer sessions: 74%\n")},
}

// demoSpan is how far back the demo's discussions go.
const demoSpan = 240 * 24 * time.Hour

// demoPostings makes the postings of one demo list: a thread per topic,
// started at times spread over demoSpan, with replies of varied number
// and depth, each quoting the part of its parent it answers. The same
// seed and now give the same postings, so the demo looks the same on
// every start (bar its dates, which follow now).
func demoPostings(list string, seed uint64, now time.Time) []lists.SeedPosting {
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	topics := demoTopics[list]
	var posts []lists.SeedPosting
	for ti, subject := range topics {
		// Threads start in order over the span, a few days apart, with
		// some jitter; the newest ones are a few days old.
		start := now.Add(-demoSpan + time.Duration(ti)*demoSpan/time.Duration(len(topics)+1))
		start = start.Add(time.Duration(rng.IntN(48)) * time.Hour)
		author := rng.IntN(len(demoAuthors))
		root := len(posts)
		body := demoBody(rng, "", 1+rng.IntN(3), demoAuthors[author].name)
		var files []lists.Attachment
		if a, ok := attachmentFor(list, ti); ok {
			body = "The attached file " + a.Filename + " has the details.\n\n" + body
			a.Size = int64(len(a.Data))
			files = []lists.Attachment{a}
		}
		posts = append(posts, lists.SeedPosting{Name: demoAuthors[author].name, Email: demoAuthors[author].email,
			Subject: subject, Body: body, Reply: -1, At: start, Attachments: files})
		// Most threads have a few replies, some none, a few many.
		replies := []int{0, 1, 2, 2, 3, 4, 5, 6, 8, 11, 14}[rng.IntN(11)]
		for r := 0; r < replies; r++ {
			// A reply most often answers the newest posting, which
			// makes threads deep; otherwise an earlier one, which
			// makes them branch.
			parent := len(posts) - 1
			if rng.IntN(10) < 4 {
				parent = root + rng.IntN(len(posts)-root)
			}
			who := rng.IntN(len(demoAuthors))
			if demoAuthors[who].email == posts[parent].Email {
				who = (who + 1) % len(demoAuthors)
			}
			at := posts[parent].At.Add(time.Duration(1+rng.IntN(60))*time.Hour + time.Duration(rng.IntN(60))*time.Minute)
			if limit := now.Add(-10 * time.Minute); at.After(limit) {
				at = limit
			}
			quote := quoteOf(rng, posts[parent])
			posts = append(posts, lists.SeedPosting{Name: demoAuthors[who].name, Email: demoAuthors[who].email,
				Subject: "Re: " + subject, Body: demoBody(rng, quote, 1+rng.IntN(3), demoAuthors[who].name), Reply: parent, At: at})
		}
	}
	return posts
}

// attachmentFor says which opening postings carry a file.
func attachmentFor(list string, topic int) (lists.Attachment, bool) {
	switch {
	case list == "wg-http" && topic == 3: // Test suite coverage
		return demoAttachments[0], true
	case list == "wg-http" && topic == 10: // Interop report
		return demoAttachments[1], true
	case list == "discuss" && topic == 13: // Summary of the community survey
		return demoAttachments[2], true
	}
	return lists.Attachment{}, false
}

// demoBody writes paragraphs of made-up text after quote, signed with
// the author's first name.
func demoBody(rng *rand.Rand, quote string, paragraphs int, name string) string {
	var b strings.Builder
	b.WriteString(quote)
	for p := 0; p < paragraphs; p++ {
		var sentences []string
		for s := 0; s < 1+rng.IntN(3); s++ {
			sentences = append(sentences, demoSentences[rng.IntN(len(demoSentences))])
		}
		b.WriteString(wrap(strings.Join(sentences, " "), 72))
		b.WriteString("\n\n")
	}
	if thanks := demoThanks[rng.IntN(len(demoThanks))]; thanks != "" {
		b.WriteString(thanks + "\n")
	}
	first, _, _ := strings.Cut(name, " ")
	b.WriteString(first + "\n")
	return b.String()
}

// quoteOf quotes a paragraph of parent's own words (not what it quoted
// itself, nor its signature), as a mail program's reply would.
func quoteOf(rng *rand.Rand, parent lists.SeedPosting) string {
	var own []string
	paras := strings.Split(strings.TrimSpace(parent.Body), "\n\n")
	for _, para := range paras[:len(paras)-1] { // the last is the signature
		para = strings.TrimSpace(para)
		if para == "" || strings.HasPrefix(para, ">") || strings.HasPrefix(para, "On ") {
			continue
		}
		own = append(own, para)
	}
	if len(own) == 0 {
		return ""
	}
	para := own[rng.IntN(len(own))]
	var b strings.Builder
	fmt.Fprintf(&b, "On %s, %s wrote:\n", parent.At.Format("Mon, 2 Jan 2006 at 15:04"), parent.Name)
	for _, line := range strings.Split(para, "\n") {
		b.WriteString("> " + line + "\n")
	}
	b.WriteString("\n")
	return b.String()
}

// wrap breaks text into lines of at most width characters at spaces.
func wrap(text string, width int) string {
	var b strings.Builder
	n := 0
	for i, w := range strings.Fields(text) {
		switch {
		case i == 0:
		case n+1+len(w) > width:
			b.WriteString("\n")
			n = 0
		default:
			b.WriteString(" ")
			n++
		}
		b.WriteString(w)
		n += len(w)
	}
	return b.String()
}

// seedLists adds two public discussion groups with a few hundred
// generated postings in threads, and a sandbox list left out of
// site-wide search. They go through lists.Seed, which files each posting
// as one that arrived would be, so threading, search and the archive's
// pages are filled as they would be in use.
func seedLists(ctx context.Context, tx *store.Tx, now time.Time) error {
	var version int64
	if err := tx.QueryRow(ctx, "SELECT COALESCE(MAX(id), 0) FROM policy_versions").Scan(&version); err != nil {
		return fmt.Errorf("demo lists: reading the statement version: %w", err)
	}
	if version == 0 {
		return nil // no statement published: the ledger needs one
	}
	transfer := "Processed where this demonstration runs."
	descriptions := map[string]string{"wg-http": "The HTTP working group: protocol design and the test suite.", "discuss": "General discussion of the organization's work."}
	for i, name := range []string{"discuss", "wg-http"} {
		if err := lists.Seed(ctx, tx, lists.NewList{Name: name, Description: descriptions[name], Posting: lists.PostSubscribers, Archive: lists.ArchivePublic},
			demoPostings(name, uint64(2026+i), now), version, transfer, now); err != nil {
			return err
		}
	}
	// A sandbox list left out of site-wide search, as a test list would be.
	a, b := demoAuthors[0], demoAuthors[1]
	sandbox := []lists.SeedPosting{
		{Name: a.name, Email: a.email, Subject: "Test message, please ignore", Body: "Checking that the list delivers.", Reply: -1, At: now.Add(-48 * time.Hour)},
		{Name: b.name, Email: b.email, Subject: "Re: Test message, please ignore", Body: "> Checking that the list delivers.\nIt does.", Reply: 0, At: now.Add(-47 * time.Hour)},
	}
	return lists.Seed(ctx, tx, lists.NewList{Name: "sandbox", Description: "A list for trying things out; left out of site-wide search.",
		Posting: lists.PostOpen, Archive: lists.ArchivePublic, NoSearch: true}, sandbox, version, transfer, now)
}
