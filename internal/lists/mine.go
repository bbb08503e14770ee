package lists

import (
	"context"
	"fmt"
	"strings"

	"plenary/internal/store"
)

// AccountPostings is how many of a person's postings /account lists: the
// newest ones, with the count of all of them (a prolific participant has
// thousands; the export has every one).
const AccountPostings = 50

// PostingsBy returns a person's postings, newest first, at most limit,
// and how many there are in all: published or held, on any list. They are
// found as the data export finds them (internal/dsr and the inventory's
// rights for list_contributors): the contributors linked to the account,
// or posting from one of addresses, the addresses whose mailbox the
// person proved (dsr.LoadSubject), lower case.
func PostingsBy(ctx context.Context, q store.Querier, person int64, addresses []string, limit int) ([]Posting, int, error) {
	cond := "c.person_id = ?"
	args := []any{person}
	if len(addresses) > 0 {
		cond += " OR LOWER(c.email) IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(addresses)), ", ") + ")"
		for _, a := range addresses {
			args = append(args, strings.ToLower(a))
		}
	}
	var total int
	if err := q.QueryRow(ctx, "SELECT COUNT(*) FROM list_posts p JOIN list_contributors c ON c.id = p.contributor_id WHERE "+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("counting a person's postings: %w", err)
	}
	if total == 0 {
		return nil, 0, nil
	}
	ps, err := postsWhere(ctx, q, "("+cond+") ORDER BY p.created_at DESC, p.id DESC LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, 0, err
	}
	return ps, total, nil
}
