package policy_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"plenary/internal/inventory"
	"plenary/internal/policy"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

func ledgerService(db *store.DB) *policy.Service {
	return &policy.Service{DB: db, Inventory: inventory.Default(), Facts: policy.Facts{Org: "Test Org", Country: "Switzerland", Contact: "privacy@example.org"}}
}

// TestConsentLedgerIsAppendOnly covers C5: entries can be added and read,
// and both engines refuse to change or delete them.
func TestConsentLedgerIsAppendOnly(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := ledgerService(db)
		now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		if _, err := s.EnsureCurrent(ctx, now); err != nil {
			t.Fatal(err)
		}
		v, _ := s.Current(ctx)
		c := policy.Consent{PersonID: 7, Purpose: policy.PurposeAccount, Granted: true, VersionID: v.ID, Channel: policy.ChannelWeb, Transfer: s.TransferStatement(), At: now}
		if err := policy.Record(ctx, db, c); err != nil {
			t.Fatal(err)
		}
		bad := []policy.Consent{
			{PersonID: 7, Purpose: "x", Granted: true, VersionID: v.ID, Channel: "carrier pigeon", Transfer: "t", At: now},
			{PersonID: 7, Purpose: "x", Granted: true, Channel: policy.ChannelWeb, Transfer: "t", At: now},
			{PersonID: 7, Purpose: "x", Granted: true, VersionID: v.ID, Channel: policy.ChannelWeb, At: now},
			{Purpose: "x", Granted: true, VersionID: v.ID, Channel: policy.ChannelWeb, Transfer: "t", At: now},
		}
		for _, b := range bad {
			if err := policy.Record(ctx, db, b); err == nil {
				t.Errorf("incomplete entry %+v was recorded", b)
			}
		}
		for _, stmt := range []struct {
			sql string
			arg any
		}{
			{"UPDATE consent_ledger SET granted = ? WHERE person_id = 7", false},
			{"DELETE FROM consent_ledger WHERE person_id = ?", 7},
		} {
			err := db.Tx(ctx, func(tx *store.Tx) error {
				_, err := tx.Exec(ctx, stmt.sql, stmt.arg)
				return err
			})
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: %v, want refused as append-only", stmt, err)
			}
		}
		got, err := policy.Entries(ctx, db, 7)
		if err != nil || len(got) != 1 {
			t.Fatalf("Entries = %+v, %v", got, err)
		}
		e := got[0]
		if !e.Granted || e.VersionID != v.ID || e.Channel != "web" || !e.At.Equal(now) || !strings.Contains(e.Transfer, "Switzerland") {
			t.Errorf("entry read back as %+v", e)
		}
	})
}

// TestMaterialVersionNeedsAcknowledgement covers V3 in the ledger: a
// material version published after a person's agreement is pending until
// they acknowledge it; a non-material one is not.
func TestMaterialVersionNeedsAcknowledgement(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := ledgerService(db)
		now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		s.EnsureCurrent(ctx, now)
		v1, _ := s.Current(ctx)
		policy.Record(ctx, db, policy.Consent{PersonID: 7, Purpose: policy.PurposeAccount, Granted: true, VersionID: v1.ID, Channel: policy.ChannelWeb, Transfer: "t", At: now})
		pending := func() (int64, bool) {
			v, p, err := s.PendingAcknowledgement(ctx, db, 7)
			if err != nil {
				t.Fatal(err)
			}
			return v.ID, p
		}
		if _, p := pending(); p {
			t.Error("pending with no material version")
		}
		s.Publish(ctx, policy.BuiltinTemplate()+"\nA wording change.\n", "wording", "test", false, now.Add(time.Hour))
		if _, p := pending(); p {
			t.Error("a non-material version asks for acknowledgement")
		}
		v3, err := s.Publish(ctx, policy.BuiltinTemplate()+"\n- A new use of data.\n", "new use", "test", true, now.Add(2*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if id, p := pending(); !p || id != v3.ID {
			t.Errorf("pending = %d %v, want version %d", id, p, v3.ID)
		}
		if last, ok, _ := s.LastAcknowledged(ctx, db, 7); !ok || last.ID != v1.ID {
			t.Errorf("LastAcknowledged = %d %v", last.ID, ok)
		}
		policy.Record(ctx, db, policy.Consent{PersonID: 7, Purpose: policy.PurposeStatement, Granted: true, VersionID: v3.ID, Channel: policy.ChannelWeb, Transfer: "t", At: now})
		if _, p := pending(); p {
			t.Error("still pending after acknowledgement")
		}
		if _, p, _ := s.PendingAcknowledgement(ctx, db, 8); !p {
			t.Error("a person who never agreed is not asked")
		}
	})
}

func TestTransferStatementNamesCountryAndProcessors(t *testing.T) {
	s := ledgerService(nil)
	if got := s.TransferStatement(); !strings.Contains(got, "in Switzerland") || !strings.Contains(got, "no outside service provider") {
		t.Errorf("TransferStatement = %q", got)
	}
	inv, err := inventory.New(nil, []inventory.Processor{{Name: "MailCo", Location: "Ireland", Purpose: "delivers mail", Enabled: true}, {Name: "Off", Enabled: false}})
	if err != nil {
		t.Fatal(err)
	}
	s.Inventory = inv
	if got := s.TransferStatement(); !strings.Contains(got, "MailCo (Ireland), delivers mail") || strings.Contains(got, "Off") {
		t.Errorf("TransferStatement = %q", got)
	}
}

// TestStatementListsThirdPartyCookies covers K2 in the statement: none by
// default, and those the operator enables are named.
func TestStatementListsThirdPartyCookies(t *testing.T) {
	s := ledgerService(nil)
	body, err := s.Render(policy.BuiltinTemplate())
	if err != nil || !strings.Contains(body, "No third party sets cookies") {
		t.Fatalf("default statement: %v\n%s", err, body)
	}
	s.Facts.ThirdPartyCookies = []string{"videohost.example (embedded talks)"}
	body, _ = s.Render(policy.BuiltinTemplate())
	if !strings.Contains(body, "videohost.example (embedded talks)") || strings.Contains(body, "No third party sets cookies") {
		t.Errorf("statement with a third-party cookie:\n%s", body)
	}
}

// TestConsentLedgerRefusesOverwriteByInsert: an INSERT that replaces an
// existing entry is a change too. On SQLite, INSERT OR REPLACE deletes the
// old row without firing delete triggers; on PostgreSQL, INSERT ... ON
// CONFLICT DO UPDATE is an update. Both must be refused (C5).
func TestConsentLedgerRefusesOverwriteByInsert(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := ledgerService(db)
		now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		if _, err := s.EnsureCurrent(ctx, now); err != nil {
			t.Fatal(err)
		}
		v, _ := s.Current(ctx)
		if err := policy.Record(ctx, db, policy.Consent{PersonID: 7, Purpose: policy.PurposeAccount, Granted: true, VersionID: v.ID, Channel: policy.ChannelWeb, Transfer: "t", At: now}); err != nil {
			t.Fatal(err)
		}
		got, _ := policy.Entries(ctx, db, 7)
		id := got[0].ID
		const cols = "(id, person_id, purpose, granted, policy_version_id, channel, transfer_statement, recorded_at) VALUES (?, 7, 'x', ?, ?, 'web', 't', ?)"
		tests := []struct {
			dialect store.Dialect
			sql     string
		}{
			{store.SQLite, "INSERT OR REPLACE INTO consent_ledger " + cols},
			{store.SQLite, "REPLACE INTO consent_ledger " + cols},
			{store.SQLite, "INSERT INTO consent_ledger " + cols + " ON CONFLICT (id) DO UPDATE SET granted = excluded.granted"},
			{store.Postgres, "INSERT INTO consent_ledger " + cols + " ON CONFLICT (id) DO UPDATE SET granted = excluded.granted"},
		}
		for _, tt := range tests {
			if tt.dialect != db.Dialect() {
				continue
			}
			err := db.Tx(ctx, func(tx *store.Tx) error {
				_, err := tx.Exec(ctx, tt.sql, id, false, v.ID, now)
				return err
			})
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: %v, want refused as append-only", tt.sql, err)
			}
		}
		if got, _ := policy.Entries(ctx, db, 7); len(got) != 1 || !got[0].Granted || got[0].Purpose != policy.PurposeAccount {
			t.Errorf("the entry was overwritten: %+v", got)
		}
	})
}
