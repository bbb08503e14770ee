package lists

import (
	"context"
	"fmt"
	"time"

	"plenary/internal/policy"
	"plenary/internal/store"
)

// SeedPosting is one posting of example content.
type SeedPosting struct {
	Name, Email, Subject, Body string
	// Reply is the index, in the same slice, of the posting this answers;
	// -1 for none.
	Reply int
	At    time.Time
	// Attachments go with the posting as a message's would.
	Attachments []Attachment
}

// Seed creates a list with published postings on q, their authors having
// accepted the terms under version: the demo's content (plenary serve
// --demo). It writes no audit entry and enqueues no distribution, since
// nobody is subscribed.
func Seed(ctx context.Context, q store.Querier, n NewList, posts []SeedPosting, version int64, transfer string, now time.Time) error {
	n, p := n.Clean()
	if len(p) > 0 {
		return fmt.Errorf("lists: seeding a list with problems: %v", p)
	}
	listID, err := store.Insert(ctx, q, "INSERT INTO lists (name, description, posting, archive, searchable, created_at) VALUES (?, ?, ?, ?, ?, ?)",
		n.Name, n.Description, n.Posting, n.Archive, !n.NoSearch, now.UTC())
	if err != nil {
		return fmt.Errorf("seeding a list: %w", err)
	}
	mids := make([]string, len(posts))
	for i, sp := range posts {
		c, err := contributor(ctx, q, sp.Email, sp.Name, 0, sp.At.UTC())
		if err != nil {
			return err
		}
		if c.AcceptedAt == nil {
			if err := accept(ctx, q, c, policy.ChannelWeb, version, transfer, sp.At.UTC()); err != nil {
				return err
			}
		}
		mids[i] = fmt.Sprintf("<demo-%s-%d@example.org>", n.Name, i)
		parent := ""
		var refs []string
		if sp.Reply >= 0 && sp.Reply < i {
			parent = mids[sp.Reply]
			// References name the ancestors, oldest first, as a mail
			// program writes them.
			for a := sp.Reply; a >= 0 && len(refs) < maxAncestors; a = posts[a].Reply {
				refs = append([]string{mids[a]}, refs...)
				if posts[a].Reply >= a {
					break
				}
			}
		}
		l := List{ID: listID, Name: n.Name}
		if _, err := storePosting(ctx, q, entry{list: l, contributor: c, messageID: mids[i], inReplyTo: parent, refs: refs, subject: sp.Subject,
			body: sp.Body, status: Published, at: sp.At.UTC(), attachments: sp.Attachments, quiet: true}); err != nil {
			return fmt.Errorf("seeding a posting: %w", err)
		}
	}
	return nil
}
