package storetest_test

import (
	"context"
	"testing"
	"time"

	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

func TestFindInTables(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		now := time.Now().UTC()
		if _, err := db.Exec(context.Background(), "INSERT INTO announcements (title, body, link, starts_at, ends_at) VALUES (?, ?, ?, ?, ?)",
			"t", "mentions Ada@Example.org here", "/", now, now); err != nil {
			t.Fatal(err)
		}
		got := storetest.FindInTables(t, db, map[string]string{"the address": "ada@example.org", "a name": "Grace"})
		if len(got) != 1 || got[0] != "announcements holds the address" {
			t.Errorf("FindInTables = %q", got)
		}
	})
}
