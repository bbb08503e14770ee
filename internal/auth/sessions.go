package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"plenary/internal/store"
)

// Session kinds: the session cookie, and the persistent remember-me cookie
// that starts a new session when the browser comes back.
const (
	KindSession  = "session"
	KindRemember = "remember"
)

// Lifetimes of the two kinds, on the server; the inventory states them.
const (
	SessionTTL  = 24 * time.Hour
	RememberTTL = 30 * 24 * time.Hour
)

// StartSession stores a new session of kind for personID and returns its
// token, for the cookie. The database keeps only the token's hash, so
// several instances share sessions and a stolen copy of the database
// signs nobody in.
func StartSession(ctx context.Context, q store.Querier, personID int64, kind string, now time.Time) (string, error) {
	ttl := SessionTTL
	if kind == KindRemember {
		ttl = RememberTTL
	}
	tok := NewToken()
	now = now.UTC()
	_, err := q.Exec(ctx, "INSERT INTO sessions (token_hash, person_id, kind, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
		HashToken(tok), personID, kind, now, now.Add(ttl))
	if err != nil {
		return "", fmt.Errorf("starting a session: %w", err)
	}
	return tok, nil
}

// LookupSession returns the person a live token of kind belongs to, or 0.
func LookupSession(ctx context.Context, q store.Querier, token, kind string, now time.Time) (int64, error) {
	if token == "" || len(token) > 100 {
		return 0, nil
	}
	var id int64
	err := q.QueryRow(ctx, "SELECT person_id FROM sessions WHERE token_hash = ? AND kind = ? AND expires_at > ?",
		HashToken(token), kind, now.UTC()).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("looking up a session: %w", err)
	}
	return id, nil
}

// EndSession deletes the session a token belongs to.
func EndSession(ctx context.Context, q store.Querier, token string) error {
	if token == "" {
		return nil
	}
	_, err := q.Exec(ctx, "DELETE FROM sessions WHERE token_hash = ?", HashToken(token))
	return err
}

// RetireSession lets a token live only until the given time, for a token
// that was just replaced: requests the browser sent in parallel with the
// old cookie still succeed for that moment, and then it stops working.
func RetireSession(ctx context.Context, q store.Querier, token string, until time.Time) error {
	if token == "" {
		return nil
	}
	_, err := q.Exec(ctx, "UPDATE sessions SET expires_at = ? WHERE token_hash = ? AND expires_at > ?",
		until.UTC(), HashToken(token), until.UTC())
	return err
}

// EndAllSessions signs a person out everywhere, as after a password reset.
func EndAllSessions(ctx context.Context, q store.Querier, personID int64) error {
	_, err := q.Exec(ctx, "DELETE FROM sessions WHERE person_id = ?", personID)
	return err
}

// SweepSessions deletes expired sessions.
func SweepSessions(ctx context.Context, q store.Querier, now time.Time) (int64, error) {
	res, err := q.Exec(ctx, "DELETE FROM sessions WHERE expires_at <= ?", now.UTC())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
