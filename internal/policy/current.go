package policy

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// CurrentID returns the newest version's id and publication time without
// its text: what a cached rendering of the statement is checked against
// on every request (issue 14).
func (s *Service) CurrentID(ctx context.Context) (int64, time.Time, error) {
	var id int64
	var at time.Time
	err := s.DB.QueryRow(ctx, "SELECT id, published_at FROM policy_versions ORDER BY id DESC LIMIT 1").Scan(&id, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, at, ErrNoVersion
	}
	if err != nil {
		return 0, at, fmt.Errorf("reading the current privacy statement's version: %w", err)
	}
	return id, at, nil
}
