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
	listID, err := store.Insert(ctx, q, "INSERT INTO lists (name, description, posting, archive, created_at) VALUES (?, ?, ?, ?, ?)",
		n.Name, n.Description, n.Posting, n.Archive, now.UTC())
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
		if sp.Reply >= 0 && sp.Reply < i {
			parent = mids[sp.Reply]
		}
		id, err := store.Insert(ctx, q, `INSERT INTO list_posts (list_id, contributor_id, message_id, in_reply_to, subject, body, status, created_at, published_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, listID, c.ID, mids[i], parent, sp.Subject, sp.Body, Published, sp.At.UTC(), sp.At.UTC())
		if err != nil {
			return fmt.Errorf("seeding a posting: %w", err)
		}
		if err := setThread(ctx, q, listID, id, parent, ""); err != nil {
			return err
		}
	}
	return nil
}
