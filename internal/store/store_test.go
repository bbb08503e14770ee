package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

func TestRebind(t *testing.T) {
	tests := []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"SELECT * FROM t WHERE a = ? AND b = ?", "SELECT * FROM t WHERE a = $1 AND b = $2"},
		{"SELECT '?' , ?", "SELECT '?' , $1"},
	}
	for _, tt := range tests {
		if got := store.Rebind(store.Postgres, tt.in); got != tt.want {
			t.Errorf("Rebind(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := store.Rebind(store.SQLite, tt.in); got != tt.in {
			t.Errorf("SQLite Rebind changed %q to %q", tt.in, got)
		}
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		applied, err := db.Migrate(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(applied) != 0 {
			t.Errorf("second Migrate applied %v again", applied)
		}
	})
}

func TestTxRollsBackOnError(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Now().UTC()
		boom := errors.New("boom")
		err := db.Tx(ctx, func(tx *store.Tx) error {
			if _, err := store.Insert(ctx, tx, "INSERT INTO announcements (title, body, link, starts_at, ends_at) VALUES (?, ?, ?, ?, ?)", "t", "b", "/", now, now); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Tx returned %v, want boom", err)
		}
		var n int
		if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM announcements").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("rolled-back insert left %d rows", n)
		}
	})
}

func TestTimesRoundTrip(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		at := time.Date(2026, 3, 4, 5, 6, 7, 123456000, time.UTC)
		id, err := store.Insert(ctx, db, "INSERT INTO announcements (title, body, link, starts_at, ends_at) VALUES (?, ?, ?, ?, ?)", "t", "b", "/", at, at.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		var got time.Time
		if err := db.QueryRow(ctx, "SELECT starts_at FROM announcements WHERE id = ? AND ends_at > ?", id, at).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if !got.Equal(at) {
			t.Errorf("read back %v, want %v", got, at)
		}
	})
}

func TestOpenRejectsUnknownScheme(t *testing.T) {
	_, err := store.Open(context.Background(), "mysql://x", t.TempDir())
	if err == nil {
		t.Fatal("mysql:// was accepted")
	}
}
