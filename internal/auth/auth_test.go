package auth_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"plenary/internal/auth"
	"plenary/internal/people"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

func TestPasswordHashing(t *testing.T) {
	for _, h := range []*auth.Hasher{auth.FastHasher(), auth.DefaultHasher()} {
		enc, err := h.Hash("correct horse battery")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(enc, "$argon2id$v=19$") || strings.Contains(enc, "correct horse") {
			t.Errorf("hash %q is not an argon2id encoding without the password", enc)
		}
		// Verify reads the parameters from the hash, so a hasher with
		// other parameters still checks it.
		for _, v := range []*auth.Hasher{h, auth.FastHasher()} {
			tests := []struct {
				pw   string
				want bool
			}{{"correct horse battery", true}, {"correct horse batterY", false}, {"", false}}
			for _, tt := range tests {
				ok, err := v.Verify(tt.pw, enc)
				if err != nil || ok != tt.want {
					t.Errorf("Verify(%q) = %v, %v; want %v", tt.pw, ok, err, tt.want)
				}
			}
		}
	}
	h := auth.FastHasher()
	a, _ := h.Hash("same")
	b, _ := h.Hash("same")
	if a == b {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	for _, bad := range []string{"x", "$argon2i$v=19$m=64,t=1,p=1$AAAA$AAAA", "$argon2id$v=19$m=0,t=1,p=1$AAAA$AAAA", "$argon2id$v=19$m=64,t=1,p=1$!!$AAAA"} {
		if _, err := h.Verify("pw", bad); !errors.Is(err, auth.ErrBadHash) {
			t.Errorf("Verify(%q) error = %v, want ErrBadHash", bad, err)
		}
	}
	if ok, err := h.Verify("pw", ""); ok || err != nil {
		t.Errorf("an empty hash matched: %v %v", ok, err)
	}
}

func newPerson(t *testing.T, db *store.DB, addr string) (people.Person, people.Email) {
	t.Helper()
	var p people.Person
	var e people.Email
	err := db.Tx(context.Background(), func(tx *store.Tx) error {
		var err error
		p, e, err = people.Create(context.Background(), tx, people.New{Name: "Tok En", Email: addr, Origin: people.OriginSelf, AgeAttested: true, Roles: []auth.Role{auth.Participant}}, time.Now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return p, e
}

// TestTokensAreSingleUseAndExpire covers mailed links: only a hash is
// stored, a token works once, an expired or unknown one is refused.
func TestTokensAreSingleUseAndExpire(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		p, e := newPerson(t, db, "tok@example.org")
		now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		tok, err := auth.IssueToken(ctx, db, auth.PurposeVerify, p.ID, e.ID, time.Hour, now)
		if err != nil {
			t.Fatal(err)
		}
		var stored string
		if err := db.QueryRow(ctx, "SELECT token_hash FROM auth_tokens").Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if stored == tok || stored != auth.HashToken(tok) {
			t.Errorf("stored %q for token %q: want only its SHA-256", stored, tok)
		}
		if _, err := auth.PeekToken(ctx, db, auth.PurposeReset, tok, now); !errors.Is(err, auth.ErrTokenUnknown) {
			t.Errorf("a verify token worked as a reset token: %v", err)
		}
		if got, err := auth.PeekToken(ctx, db, auth.PurposeVerify, tok, now); err != nil || got.EmailID != e.ID {
			t.Fatalf("Peek = %+v, %v", got, err)
		}
		err = db.Tx(ctx, func(tx *store.Tx) error {
			_, err := auth.ConsumeToken(ctx, tx, auth.PurposeVerify, tok, now)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		err = db.Tx(ctx, func(tx *store.Tx) error {
			_, err := auth.ConsumeToken(ctx, tx, auth.PurposeVerify, tok, now)
			return err
		})
		if !errors.Is(err, auth.ErrTokenUsed) {
			t.Errorf("replayed token: %v, want ErrTokenUsed", err)
		}
		old, _ := auth.IssueToken(ctx, db, auth.PurposeVerify, p.ID, e.ID, time.Hour, now)
		if _, err := auth.PeekToken(ctx, db, auth.PurposeVerify, old, now.Add(time.Hour)); !errors.Is(err, auth.ErrTokenExpired) {
			t.Errorf("expired token: %v, want ErrTokenExpired", err)
		}
		if _, err := auth.PeekToken(ctx, db, auth.PurposeVerify, "nonsense", now); !errors.Is(err, auth.ErrTokenUnknown) {
			t.Errorf("unknown token: %v", err)
		}
		if n, err := auth.SweepTokens(ctx, db, now.Add(2*time.Hour)); err != nil || n != 2 {
			t.Errorf("SweepTokens removed %d, %v; want 2", n, err)
		}
	})
}

func TestSessions(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		p, _ := newPerson(t, db, "sess@example.org")
		now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		tok, err := auth.StartSession(ctx, db, p.ID, auth.KindSession, auth.NewFamily(), 24*time.Hour, now)
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name  string
			token string
			kind  string
			at    time.Time
			want  int64
		}{
			{"live", tok, auth.KindSession, now.Add(time.Hour), p.ID},
			{"wrong kind", tok, auth.KindRemember, now, 0},
			{"expired", tok, auth.KindSession, now.Add(24 * time.Hour), 0},
			{"unknown", "x" + tok, auth.KindSession, now, 0},
			{"empty", "", auth.KindSession, now, 0},
		}
		for _, tt := range tests {
			got, err := auth.LookupSession(ctx, db, tt.token, tt.kind, tt.at)
			if err != nil || got != tt.want {
				t.Errorf("%s: LookupSession = %d, %v; want %d", tt.name, got, err, tt.want)
			}
		}
		var n int
		db.QueryRow(ctx, "SELECT COUNT(*) FROM sessions WHERE token_hash = ?", tok).Scan(&n)
		if n != 0 {
			t.Error("the session token itself is stored")
		}
		if err := auth.EndSession(ctx, db, tok); err != nil {
			t.Fatal(err)
		}
		if got, _ := auth.LookupSession(ctx, db, tok, auth.KindSession, now); got != 0 {
			t.Error("an ended session still signs in")
		}
	})
}

// TestRememberReplayEndsFamily checks item 10 of issue 8: using a
// remember-me token retires it and hands out a session and a new token in
// the same family; the retired token coming back, however soon, ends every
// token of the family and mints nothing, while another sign-in of the same
// person (another family) lives on.
func TestRememberReplayEndsFamily(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		p, _ := newPerson(t, db, "family@example.org")
		now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		const day, month = 24 * time.Hour, 30 * 24 * time.Hour
		fam, other := auth.NewFamily(), auth.NewFamily()
		start := func(kind, family string) string {
			t.Helper()
			tok, err := auth.StartSession(ctx, db, p.ID, kind, family, month, now)
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
		firstSession, first := start(auth.KindSession, fam), start(auth.KindRemember, fam)
		otherSession := start(auth.KindSession, other)
		resume := func(tok string, at time.Time) (auth.Resumed, error) {
			t.Helper()
			var got auth.Resumed
			var replay error
			err := db.Tx(ctx, func(tx *store.Tx) error {
				var err error
				got, err = auth.Resume(ctx, tx, tok, true, day, month, at)
				if errors.Is(err, auth.ErrReplayed) {
					replay = err
					return nil // commit, as the web layer does
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return got, replay
		}
		got, err := resume(first, now.Add(time.Hour))
		if err != nil || got.PersonID != p.ID || got.Session == "" || got.Remember == "" || got.Remember == first {
			t.Fatalf("first use: %+v, %v; want the person, a session and a new remember-me token", got, err)
		}
		if got2, err := resume(got.Remember, now.Add(2*time.Hour)); err != nil || got2.PersonID != p.ID {
			t.Fatalf("the renewed token does not sign in: %+v, %v", got2, err)
		} else {
			got = got2
		}
		// The first token, used and replaced, comes back a second later.
		replay, err := resume(first, now.Add(2*time.Hour+time.Second))
		if !errors.Is(err, auth.ErrReplayed) || replay.PersonID != 0 || replay.Session != "" || replay.Remember != "" {
			t.Fatalf("replayed token: %+v, %v; want nothing and ErrReplayed", replay, err)
		}
		at := now.Add(3 * time.Hour)
		for _, tt := range []struct {
			name, tok, kind string
			want            int64
		}{
			{"first session", firstSession, auth.KindSession, 0},
			{"resumed session", got.Session, auth.KindSession, 0},
			{"newest remember-me token", got.Remember, auth.KindRemember, 0},
			{"sign-in of another family", otherSession, auth.KindSession, p.ID},
		} {
			if pid, err := auth.LookupSession(ctx, db, tt.tok, tt.kind, at); err != nil || pid != tt.want {
				t.Errorf("%s after the replay: %d, %v; want %d", tt.name, pid, err, tt.want)
			}
		}
		if again, err := resume(got.Remember, at); err != nil || again.PersonID != 0 {
			t.Errorf("the newest token of the ended family: %+v, %v; want nothing", again, err)
		}
		var n int
		if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM sessions WHERE family = ?", fam).Scan(&n); err != nil || n != 0 {
			t.Errorf("%d rows of the ended family remain (%v)", n, err)
		}
	})
}

// TestRateLimiterIsShared counts in the database, so two limiters (two
// instances) see the same count.
func TestRateLimiterIsShared(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := auth.Limiter{Action: "login", Max: 3, Window: 15 * time.Minute}
		other := l // another instance
		now := time.Date(2026, 5, 1, 12, 1, 0, 0, time.UTC)
		for i := 1; i <= 5; i++ {
			lim := l
			if i%2 == 0 {
				lim = other
			}
			ok, wait, err := lim.Hit(ctx, db, "192.0.2.1", now)
			if err != nil {
				t.Fatal(err)
			}
			if want := i <= 3; ok != want {
				t.Errorf("attempt %d: ok = %v, want %v", i, ok, want)
			}
			if !ok && wait != 14*time.Minute {
				t.Errorf("attempt %d: wait %v, want 14m", i, wait)
			}
		}
		if ok, _, _ := l.Hit(ctx, db, "192.0.2.2", now); !ok {
			t.Error("another key was limited")
		}
		if ok, _, _ := l.Hit(ctx, db, "192.0.2.1", now.Add(15*time.Minute)); !ok {
			t.Error("the next window was limited")
		}
		var raw int
		db.QueryRow(ctx, "SELECT COUNT(*) FROM rate_limits WHERE bucket LIKE ?", "%192.0.2%").Scan(&raw)
		if raw != 0 {
			t.Error("the rate-limit table stores the key in clear")
		}
		if n, err := auth.SweepLimits(ctx, db, now.Add(14*time.Minute)); err != nil || n != 2 {
			t.Errorf("SweepLimits removed %d, %v; want 2", n, err)
		}
	})
}
