package audit_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"plenary/internal/audit"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

func newLog(db *store.DB) *audit.Log {
	return &audit.Log{DB: db, Key: bytes.Repeat([]byte{1}, 32)}
}

func record(t *testing.T, l *audit.Log, n int) {
	t.Helper()
	for i := range n {
		if err := l.Record(context.Background(), l.DB, audit.Entry{Actor: int64(i + 1), Label: "staff", Action: "people.view", Subject: "person:7", Detail: "reason: request #" + string(rune('a'+i))}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestVerifyDetectsTampering proves the audit log is tamper-evident (S3):
// altering, deleting or inserting a row is found and located.
func TestVerifyDetectsTampering(t *testing.T) {
	tamper := []struct {
		name   string
		sql    string
		wantIn string
	}{
		{"intact", "", ""},
		{"altered detail", "UPDATE audit_log SET detail = 'nothing to see' WHERE id = 2", "altered"},
		{"altered actor", "UPDATE audit_log SET actor_id = 99 WHERE id = 3", "altered"},
		{"deleted middle", "DELETE FROM audit_log WHERE id = 2", "does not link"},
		{"deleted head", "DELETE FROM audit_log WHERE id = 1", "earlier entries were removed"},
		{"rehashed with wrong key", "UPDATE audit_log SET hash = 'ffff' WHERE id = 4", "altered"},
	}
	for _, tt := range tamper {
		t.Run(tt.name, func(t *testing.T) {
			storetest.Engines(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				l := newLog(db)
				record(t, l, 4)
				if tt.sql != "" {
					if _, err := db.Exec(ctx, tt.sql); err != nil {
						t.Fatal(err)
					}
				}
				r, err := l.Verify(ctx, nil)
				if err != nil {
					t.Fatal(err)
				}
				if tt.wantIn == "" {
					if !r.OK() || r.Entries != 4 {
						t.Fatalf("intact chain reported %+v", r)
					}
					return
				}
				if r.OK() || !strings.Contains(r.Problem, tt.wantIn) {
					t.Fatalf("Verify = %+v, want a problem containing %q", r, tt.wantIn)
				}
			})
		})
	}
}

func TestRecordInCallersTransactionRollsBack(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := newLog(db)
		err := db.Tx(ctx, func(tx *store.Tx) error {
			if err := l.Record(ctx, tx, audit.Entry{Action: "people.view", Subject: "person:1"}); err != nil {
				return err
			}
			return context.Canceled
		})
		if err == nil {
			t.Fatal("transaction did not fail")
		}
		entries, err := l.List(ctx, audit.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 0 {
			t.Errorf("rolled-back audit entry persisted: %+v", entries)
		}
	})
}

func TestPruneKeepsChainVerifiable(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		l := newLog(db)
		l.Now = func() time.Time { return now }
		record(t, l, 3)
		now = now.AddDate(1, 0, 0)
		record(t, l, 2)
		n, err := l.Prune(ctx, now.AddDate(0, -1, 0))
		if err != nil {
			t.Fatal(err)
		}
		if n != 3 {
			t.Errorf("pruned %d, want 3", n)
		}
		r, err := l.Verify(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !r.OK() || r.Entries != 3 {
			t.Errorf("after pruning Verify = %+v, want intact with checkpoint + 2 entries", r)
		}
		record(t, l, 1)
		if r, _ := l.Verify(ctx, nil); !r.OK() {
			t.Errorf("appending after pruning broke the chain: %+v", r)
		}
	})
}

func TestListFilters(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := newLog(db)
		record(t, l, 2)
		if err := l.Record(ctx, db, audit.Entry{Action: "logs.lookup", Subject: "ip", Detail: "reason=misuse"}); err != nil {
			t.Fatal(err)
		}
		got, err := l.List(ctx, audit.Filter{Action: "logs."})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Action != "logs.lookup" {
			t.Errorf("List(logs.) = %+v", got)
		}
	})
}
