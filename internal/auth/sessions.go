package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"plenary/internal/store"
)

// Session kinds: the session cookie, the persistent remember-me cookie
// that starts a new session when the browser comes back, and a
// remember-me token already used and replaced, kept only to recognise it
// if it comes back.
const (
	KindSession  = "session"
	KindRemember = "remember"
	KindRetired  = "retired"
)

// ErrReplayed says a remember-me token came back after it had been used
// and replaced: two browsers hold it, so one holds a stolen copy. Every
// token of its family has been ended.
var ErrReplayed = errors.New("a used remember-me token came back; every sign-in descended from it has ended")

// NewFamily returns a new family mark, for a fresh sign-in: every token
// that descends from it carries the mark, so one theft signal can end
// them all.
func NewFamily() string { return NewToken() }

// StartSession stores a new token of kind for personID, valid for ttl (the
// lifetime the inventory declares for its cookie), in family, and returns
// the token for the cookie. The database keeps only the token's hash, so
// several instances share sessions and a stolen copy of the database signs
// nobody in.
func StartSession(ctx context.Context, q store.Querier, personID int64, kind, family string, ttl time.Duration, now time.Time) (string, error) {
	if ttl <= 0 || family == "" {
		return "", fmt.Errorf("starting a session: lifetime %v and family %q must both be set", ttl, family)
	}
	tok := NewToken()
	now = now.UTC()
	_, err := q.Exec(ctx, "INSERT INTO sessions (token_hash, person_id, kind, family, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
		HashToken(tok), personID, kind, family, now, now.Add(ttl))
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

// Resumed is what a remember-me token gave back: the person, their new
// session token and, unless the browser may no longer be remembered, the
// remember-me token that replaces the one used.
type Resumed struct {
	PersonID int64
	Session  string
	Remember string
}

// Resume uses up a remember-me token for a browser that comes back without
// a live session. Run it in a transaction. The token is retired (never
// deleted before its expiry) and replaced by a new session token and, when
// renew is set, a new remember-me token, both in the token's family. An
// unknown or expired token gives a zero Resumed. A retired token is the
// theft signal: the family ends, sessions included, and ErrReplayed says so.
func Resume(ctx context.Context, q store.Querier, token string, renew bool, sessionTTL, rememberTTL time.Duration, now time.Time) (Resumed, error) {
	var r Resumed
	if token == "" || len(token) > 100 {
		return r, nil
	}
	h := HashToken(token)
	var kind string
	var family sql.NullString
	err := q.QueryRow(ctx, "SELECT person_id, kind, family FROM sessions WHERE token_hash = ? AND kind IN (?, ?) AND expires_at > ?",
		h, KindRemember, KindRetired, now.UTC()).Scan(&r.PersonID, &kind, &family)
	if errors.Is(err, sql.ErrNoRows) {
		return Resumed{}, nil
	}
	if err != nil {
		return Resumed{}, fmt.Errorf("looking up a remember-me token: %w", err)
	}
	if kind == KindRetired {
		return Resumed{}, endFamily(ctx, q, h, family)
	}
	// Only one use wins: a second request racing with the same token finds
	// it already retired and is treated as the replay it looks like.
	res, err := q.Exec(ctx, "UPDATE sessions SET kind = ? WHERE token_hash = ? AND kind = ?", KindRetired, h, KindRemember)
	if err != nil {
		return Resumed{}, fmt.Errorf("retiring a remember-me token: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return Resumed{}, endFamily(ctx, q, h, family)
	}
	if !family.Valid || family.String == "" {
		// A token from before families: it starts one now.
		family.String = NewFamily()
		if _, err := q.Exec(ctx, "UPDATE sessions SET family = ? WHERE token_hash = ?", family.String, h); err != nil {
			return Resumed{}, fmt.Errorf("marking a remember-me token's family: %w", err)
		}
	}
	if r.Session, err = StartSession(ctx, q, r.PersonID, KindSession, family.String, sessionTTL, now); err != nil {
		return Resumed{}, err
	}
	if renew {
		if r.Remember, err = StartSession(ctx, q, r.PersonID, KindRemember, family.String, rememberTTL, now); err != nil {
			return Resumed{}, err
		}
	}
	return r, nil
}

// endFamily deletes every token descended from the same sign-in as the one
// whose hash is h, and reports the replay.
func endFamily(ctx context.Context, q store.Querier, h string, family sql.NullString) error {
	var err error
	if family.Valid && family.String != "" {
		_, err = q.Exec(ctx, "DELETE FROM sessions WHERE family = ?", family.String)
	} else {
		_, err = q.Exec(ctx, "DELETE FROM sessions WHERE token_hash = ?", h)
	}
	if err != nil {
		return fmt.Errorf("ending a token family after a replay: %w", err)
	}
	return ErrReplayed
}

// EndSession deletes the session a token belongs to.
func EndSession(ctx context.Context, q store.Querier, token string) error {
	if token == "" {
		return nil
	}
	_, err := q.Exec(ctx, "DELETE FROM sessions WHERE token_hash = ?", HashToken(token))
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
