package policy

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// NextAnnouncementChange returns the first moment after now at which an
// announcement starts or stops showing (zero: none is due), so a cached
// home page is rendered again then (issue 14).
func (s *Service) NextAnnouncementChange(ctx context.Context, now time.Time) (time.Time, error) {
	var out time.Time
	for _, col := range []string{"starts_at", "ends_at"} {
		var t time.Time
		err := s.DB.QueryRow(ctx, "SELECT "+col+" FROM announcements WHERE "+col+" > ? ORDER BY "+col+" LIMIT 1", now.UTC()).Scan(&t)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return out, fmt.Errorf("reading when the announcements change: %w", err)
		}
		if out.IsZero() || t.Before(out) {
			out = t
		}
	}
	return out, nil
}
