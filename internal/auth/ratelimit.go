package auth

import (
	"context"
	"fmt"
	"time"

	"plenary/internal/store"
)

// Limiter counts attempts per key in fixed windows, in the database, so
// every instance behind a load balancer shares the count.
type Limiter struct {
	Action string // "login", "signup", "reset": keeps counts apart
	Max    int    // attempts allowed per window
	Window time.Duration
}

// Hit counts one attempt for key (an IP address or an e-mail address; only
// a hash of it is stored). When the attempt is over the limit it returns
// ok false and how long until the window ends.
func (l Limiter) Hit(ctx context.Context, q store.Querier, key string, now time.Time) (ok bool, wait time.Duration, err error) {
	now = now.UTC()
	start := now.Truncate(l.Window)
	var hits int
	err = q.QueryRow(ctx, `INSERT INTO rate_limits (bucket, window_start, hits) VALUES (?, ?, 1)
		ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limits.hits + 1
		RETURNING hits`, HashToken(l.Action+"\x00"+key), start).Scan(&hits)
	if err != nil {
		return false, 0, fmt.Errorf("counting %s attempts: %w", l.Action, err)
	}
	if hits > l.Max {
		return false, start.Add(l.Window).Sub(now), nil
	}
	return true, 0, nil
}

// Over reports, without counting anything, whether key has used up its
// attempts in the current window (Max of them counted), and if so how long
// until the window ends. It is for limits that count only failures: the
// sign-in counts a wrong password after checking it, and asks Over first.
func (l Limiter) Over(ctx context.Context, q store.Querier, key string, now time.Time) (over bool, wait time.Duration, err error) {
	now = now.UTC()
	start := now.Truncate(l.Window)
	var hits int
	err = q.QueryRow(ctx, "SELECT COALESCE(SUM(hits), 0) FROM rate_limits WHERE bucket = ? AND window_start = ?",
		HashToken(l.Action+"\x00"+key), start).Scan(&hits)
	if err != nil {
		return false, 0, fmt.Errorf("reading %s attempts: %w", l.Action, err)
	}
	if hits >= l.Max {
		return true, start.Add(l.Window).Sub(now), nil
	}
	return false, 0, nil
}

// SweepLimits deletes counts whose window has passed.
func SweepLimits(ctx context.Context, q store.Querier, before time.Time) (int64, error) {
	res, err := q.Exec(ctx, "DELETE FROM rate_limits WHERE window_start < ?", before.UTC())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
