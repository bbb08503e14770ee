package demo

import (
	"context"
	"fmt"
	"time"

	"plenary/internal/lists"
	"plenary/internal/store"
)

// demoAuthors post to the demo's discussion groups; the addresses are at
// example.net, which takes no mail.
var demoAuthors = []struct{ name, email string }{
	{"Rosa Fernández", "rosa@example.net"},
	{"Kenji Watanabe", "kenji@example.net"},
	{"Ole Hansen", "ole@example.net"},
	{"Amara Okafor", "amara@example.net"},
	{"Lin Chen", "lin@example.net"},
}

// demoTopics are the threads of each demo list: an opening posting and
// the replies that follow, made up by the project.
var demoTopics = map[string][]struct{ subject, opening string }{
	"wg-http": {
		{"Caching of authenticated responses", "Should shared caches ever store a response to a request that carried credentials? The current text is ambiguous."},
		{"Agenda for the next interim meeting", "Please send agenda items for the interim by Friday. So far: caching, field syntax, and the test suite."},
		{"Field names: case sensitivity", "A reminder that field names are case-insensitive; the examples in section 5 still use mixed case."},
		{"Test suite coverage", "The shared test suite covers about two thirds of the requirements. Volunteers for the rest?"},
	},
	"discuss": {
		{"Welcome to the discussion list", "This list is for general discussion of the organization's work. Introduce yourself if you like."},
		{"Remote participation at the plenary", "Will remote participants be able to speak at the microphone queue this time?"},
		{"Newcomers' guide", "Is there a short guide for newcomers on how working groups make decisions?"},
	},
}

var demoReplies = []string{
	"I agree with the direction. One detail: the wording should say MUST rather than SHOULD.",
	"Thanks for raising this. We discussed it at the last meeting; the minutes have the details.",
	"I would rather keep the current text and add an example.",
	"+1 to the proposal. I can draft the text this week.",
	"Could we have a concrete example? It is hard to judge in the abstract.",
}

// seedLists adds two public discussion groups with threaded postings.
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
	k := 0
	for _, name := range []string{"discuss", "wg-http"} {
		var posts []lists.SeedPosting
		for ti, topic := range demoTopics[name] {
			at := now.Add(-time.Duration(30-ti*6) * 24 * time.Hour)
			author := demoAuthors[(ti+k)%len(demoAuthors)]
			root := len(posts)
			posts = append(posts, lists.SeedPosting{Name: author.name, Email: author.email, Subject: topic.subject, Body: topic.opening, Reply: -1, At: at})
			for r := 0; r < 2+ti%3; r++ {
				at = at.Add(time.Duration(5+r*7) * time.Hour)
				a := demoAuthors[(ti+r+1+k)%len(demoAuthors)]
				parent := root
				if r > 0 && r%2 == 0 {
					parent = len(posts) - 1
				}
				posts = append(posts, lists.SeedPosting{Name: a.name, Email: a.email, Subject: "Re: " + topic.subject,
					Body: demoReplies[(ti+r+k)%len(demoReplies)], Reply: parent, At: at})
			}
		}
		k++
		if err := lists.Seed(ctx, tx, lists.NewList{Name: name, Description: descriptions[name], Posting: lists.PostSubscribers, Archive: lists.ArchivePublic},
			posts, version, transfer, now); err != nil {
			return err
		}
	}
	return nil
}
