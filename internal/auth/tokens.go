package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"plenary/internal/store"
)

// NewToken returns 32 random bytes as URL-safe text, for cookies and
// mailed links.
func NewToken() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand panics on a broken source)
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashToken is what the database keeps instead of a token.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Token purposes.
const (
	PurposeVerify = "verify" // confirm an e-mail address
	PurposeReset  = "reset"  // set a new password
	// PurposeSignIn signs in once without the password, mailed when an
	// account's password alone no longer opens it (too many failures).
	PurposeSignIn = "signin"
)

// How long mailed links stay valid.
const (
	VerifyTTL = 48 * time.Hour
	ResetTTL  = time.Hour
	SignInTTL = 15 * time.Minute
)

// Token is a one-time token as stored.
type Token struct {
	ID       int64
	Purpose  string
	PersonID int64
	EmailID  int64 // 0 when the token is not about one address
	Expires  time.Time
}

// Errors a mailed link can meet; each has a message fit for the person.
var (
	ErrTokenUnknown = errors.New("This link is not valid. Check that you copied the whole link from the message.")
	ErrTokenUsed    = errors.New("This link has already been used, so it does nothing now. If you still need to, ask for a new one.")
	ErrTokenExpired = errors.New("This link has expired. Please ask for a new one.")
)

// IssueToken stores a new one-time token for purpose and returns it; only
// its hash is kept.
func IssueToken(ctx context.Context, q store.Querier, purpose string, personID, emailID int64, ttl time.Duration, now time.Time) (string, error) {
	tok := NewToken()
	var email any
	if emailID != 0 {
		email = emailID
	}
	now = now.UTC()
	_, err := q.Exec(ctx, "INSERT INTO auth_tokens (token_hash, purpose, person_id, email_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
		HashToken(tok), purpose, personID, email, now, now.Add(ttl))
	if err != nil {
		return "", fmt.Errorf("issuing a %s token: %w", purpose, err)
	}
	return tok, nil
}

// PeekToken checks a token without using it up, for the page that shows
// the confirm button (GET never changes state).
func PeekToken(ctx context.Context, q store.Querier, purpose, token string, now time.Time) (Token, error) {
	var t Token
	var email sql.NullInt64
	var used sql.NullTime
	err := q.QueryRow(ctx, "SELECT id, purpose, person_id, email_id, expires_at, used_at FROM auth_tokens WHERE token_hash = ? AND purpose = ?",
		HashToken(token), purpose).Scan(&t.ID, &t.Purpose, &t.PersonID, &email, &t.Expires, &used)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return t, ErrTokenUnknown
	case err != nil:
		return t, fmt.Errorf("reading a %s token: %w", purpose, err)
	case used.Valid:
		return t, ErrTokenUsed
	case !now.Before(t.Expires):
		return t, ErrTokenExpired
	}
	t.EmailID = email.Int64
	return t, nil
}

// ConsumeToken uses a token up. Run it in the transaction that does what
// the token allows: if two requests race, exactly one wins.
func ConsumeToken(ctx context.Context, q store.Querier, purpose, token string, now time.Time) (Token, error) {
	t, err := PeekToken(ctx, q, purpose, token, now)
	if err != nil {
		return t, err
	}
	res, err := q.Exec(ctx, "UPDATE auth_tokens SET used_at = ? WHERE id = ? AND used_at IS NULL", now.UTC(), t.ID)
	if err != nil {
		return t, fmt.Errorf("using a %s token: %w", purpose, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return t, ErrTokenUsed
	}
	return t, nil
}

// UseAllTokens uses up every live token of purpose a person has, as when a
// password reset succeeds: another reset link still in a mailbox must not
// set the password again.
func UseAllTokens(ctx context.Context, q store.Querier, purpose string, personID int64, now time.Time) error {
	_, err := q.Exec(ctx, "UPDATE auth_tokens SET used_at = ? WHERE person_id = ? AND purpose = ? AND used_at IS NULL", now.UTC(), personID, purpose)
	if err != nil {
		return fmt.Errorf("using up %s tokens: %w", purpose, err)
	}
	return nil
}

// DropTokensFor deletes every token mailed to or about one address, used
// or not, as when the address is deactivated: a reset or sign-in link in
// that mailbox must not open the account once the address is no longer in
// use there, and a confirmation of it has nothing left to confirm.
func DropTokensFor(ctx context.Context, q store.Querier, emailID int64) error {
	if _, err := q.Exec(ctx, "DELETE FROM auth_tokens WHERE email_id = ?", emailID); err != nil {
		return fmt.Errorf("ending the links mailed to an address: %w", err)
	}
	return nil
}

// SweepTokens deletes tokens that expired, used or not.
func SweepTokens(ctx context.Context, q store.Querier, now time.Time) (int64, error) {
	res, err := q.Exec(ctx, "DELETE FROM auth_tokens WHERE expires_at <= ?", now.UTC())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
