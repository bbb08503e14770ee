package lists

import (
	"context"
	"errors"
	"fmt"
	"time"

	"plenary/internal/store"
)

// Checks of a mailed link against the list its address names. Tokens are
// unique across lists, so a token alone finds its subscription or
// contributor; the list in the address must still be that one, or a page
// headed "discuss" would act on a subscription to another list.

// ErrLinkNotHere says a mailed link's token is unknown, or belongs to
// another list than the one its address names. The two are not told
// apart, so that a link does not reveal what else its holder subscribes
// to.
var ErrLinkNotHere = errors.New("the link's token is not one of this list's")

// Expired reports whether the link confirming sub no longer works: the
// subscription was asked for more than PendingDays ago and never
// confirmed (Confirm refuses it; SweepPending deletes it later).
func (s Subscription) Expired(now time.Time) bool {
	return !s.Confirmed() && now.Sub(s.CreatedAt) > PendingDays*24*time.Hour
}

// SubscriptionLink returns the subscription a confirm or unsubscribe link
// of list l names, or ErrLinkNotHere.
func SubscriptionLink(ctx context.Context, q store.Querier, l List, token string) (Subscription, error) {
	sub, err := ByToken(ctx, q, token)
	if errors.Is(err, ErrNoSuchLink) || err == nil && sub.ListID != l.ID {
		return Subscription{}, ErrLinkNotHere
	}
	return sub, err
}

// TermsLink returns the contributor a terms link of list l names, or
// ErrLinkNotHere: the link is mailed for a posting to l, so the
// contributor must have one there.
func TermsLink(ctx context.Context, q store.Querier, l List, token string) (Contributor, error) {
	c, err := TermsFor(ctx, q, token)
	if errors.Is(err, ErrNoSuchLink) {
		return Contributor{}, ErrLinkNotHere
	}
	if err != nil {
		return Contributor{}, err
	}
	var n int
	if err := q.QueryRow(ctx, "SELECT COUNT(*) FROM list_posts WHERE contributor_id = ? AND list_id = ?", c.ID, l.ID).Scan(&n); err != nil {
		return Contributor{}, fmt.Errorf("checking a terms link: %w", err)
	}
	if n == 0 {
		return Contributor{}, ErrLinkNotHere
	}
	return c, nil
}
