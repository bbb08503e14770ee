package audit_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"plenary/internal/audit"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

var (
	chainKey      = bytes.Repeat([]byte{1}, 32)
	checkpointKey = bytes.Repeat([]byte{2}, 32)
)

func newLog(t *testing.T, db *store.DB) *audit.Log {
	return &audit.Log{DB: db, Key: chainKey, Checkpoints: &audit.Checkpoints{
		Path: filepath.Join(t.TempDir(), audit.CheckpointFile), Key: checkpointKey, Instance: "test-1"}}
}

func record(t *testing.T, l *audit.Log, n int) {
	t.Helper()
	for i := range n {
		if err := l.Record(context.Background(), l.DB, audit.Entry{Actor: int64(i + 1), Label: "staff", Action: "people.view", Subject: "person:7", Detail: "reason: request #" + string(rune('a'+i))}); err != nil {
			t.Fatal(err)
		}
	}
}

func checkpoint(t *testing.T, l *audit.Log) audit.Checkpoint {
	t.Helper()
	cp, wrote, err := l.Checkpoint(context.Background())
	if err != nil || !wrote {
		t.Fatalf("writing a checkpoint: wrote %t, %v", wrote, err)
	}
	return cp
}

func verify(t *testing.T, l *audit.Log) audit.Report {
	t.Helper()
	r, err := l.Verify(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestVerifyDetectsTampering proves the audit log is tamper-evident (S3):
// altering, deleting, inserting or renumbering a row is found and located,
// and so is cutting entries off the end once a checkpoint recorded them
// (issue 8, item 4: deleting the last rows, or every row, used to leave
// an "intact" log).
func TestVerifyDetectsTampering(t *testing.T) {
	tamper := []struct {
		name   string
		sql    string
		wantIn string
	}{
		{"intact", "", ""},
		{"altered detail", "UPDATE audit_log SET detail = 'nothing to see' WHERE seq = 2", "altered"},
		{"altered actor", "UPDATE audit_log SET actor_id = 99 WHERE seq = 3", "altered"},
		{"altered role", "UPDATE audit_log SET actor_role = 'admin' WHERE seq = 3", "altered"},
		{"deleted middle", "DELETE FROM audit_log WHERE seq = 2", "does not link"},
		{"deleted head", "DELETE FROM audit_log WHERE seq = 1", "earlier entries were removed"},
		{"deleted end", "DELETE FROM audit_log WHERE seq >= 3", "the newest entries were removed"},
		{"deleted everything", "DELETE FROM audit_log", "the log ends at number 0"},
		{"renumbered end", "UPDATE audit_log SET seq = seq + 10 WHERE seq = 4", "numbers jump from 3 to 14"},
		{"hash replaced", "UPDATE audit_log SET hash = 'ffff' WHERE seq = 4", "altered"},
	}
	for _, tt := range tamper {
		t.Run(tt.name, func(t *testing.T) {
			storetest.Engines(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				l := newLog(t, db)
				record(t, l, 4)
				checkpoint(t, l)
				if tt.sql != "" {
					if _, err := db.Exec(ctx, tt.sql); err != nil {
						t.Fatal(err)
					}
				}
				r := verify(t, l)
				if tt.wantIn == "" {
					if !r.OK() || r.Entries != 4 || r.Checkpoints != 1 || r.Head.Seq != 4 {
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

// TestChainRehashedWithAnotherKey: someone who can write the table but does
// not hold the key rewrites an entry and recomputes the whole chain with a
// key of their own. The forged chain is consistent under that key, and
// fails under the real one from its first entry.
func TestChainRehashedWithAnotherKey(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := newLog(t, db)
		record(t, l, 4)
		entries, err := l.List(ctx, audit.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(ctx, "DELETE FROM audit_log"); err != nil {
			t.Fatal(err)
		}
		forger := &audit.Log{DB: db, Key: bytes.Repeat([]byte{9}, 32)}
		for i := len(entries) - 1; i >= 0; i-- {
			e := entries[i]
			if e.Seq == 2 {
				e.Detail = "nothing to see"
			}
			if err := forger.Record(ctx, db, audit.Entry{Actor: e.Actor, Label: e.Label, Action: e.Action, Subject: e.Subject, Detail: e.Detail}); err != nil {
				t.Fatal(err)
			}
		}
		if r := verify(t, forger); !r.OK() || r.Entries != 4 {
			t.Fatalf("the forged chain is not consistent under the forger's key, so the test proves nothing: %+v", r)
		}
		r := verify(t, l)
		if r.OK() || !strings.Contains(r.Problem, "altered") || r.BadID == 0 {
			t.Fatalf("Verify with the real key = %+v, want the first entry reported altered", r)
		}
	})
}

// TestCheckpointFile: checkpoints are appended as signed lines to a file of
// mode 0600 (also when the data directory is 0755); an edited line, or one
// signed with another key, makes Verify fail; a missing file of another
// instance named to Verify is an error rather than silently skipped.
func TestCheckpointFile(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		dir := filepath.Join(t.TempDir(), "data")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, audit.CheckpointFile)
		l := &audit.Log{DB: db, Key: chainKey, Checkpoints: &audit.Checkpoints{Path: path, Key: checkpointKey, Instance: "web-1"}}
		if _, wrote, err := l.Checkpoint(ctx); err != nil || wrote {
			t.Fatalf("an empty log got a checkpoint (wrote %t, %v)", wrote, err)
		}
		record(t, l, 2)
		first := checkpoint(t, l)
		record(t, l, 1)
		second := checkpoint(t, l)
		if first.Seq != 2 || second.Seq != 3 || second.Instance != "web-1" {
			t.Fatalf("checkpoints %+v, %+v", first, second)
		}
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("checkpoint file mode %04o, want 0600", st.Mode().Perm())
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
		if len(lines) != 2 || !strings.Contains(lines[1], "seq=3 hash="+second.Hash) {
			t.Fatalf("checkpoint file:\n%s", raw)
		}
		if r := verify(t, l); !r.OK() || r.Checkpoints != 2 {
			t.Fatalf("Verify = %+v", r)
		}

		edited := strings.Replace(string(raw), "seq=3", "seq=2", 1)
		if err := os.WriteFile(path, []byte(edited), 0o600); err != nil {
			t.Fatal(err)
		}
		if r := verify(t, l); r.OK() || !strings.Contains(r.Problem, "line 2 fails its signature") {
			t.Errorf("edited checkpoint: Verify = %+v", r)
		}
		other := &audit.Checkpoints{Path: path, Key: bytes.Repeat([]byte{3}, 32), Instance: "web-1"}
		if err := os.WriteFile(path, []byte(other.Line(second)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if r := verify(t, l); r.OK() || !strings.Contains(r.Problem, "fails its signature") {
			t.Errorf("checkpoint under another key: Verify = %+v", r)
		}
		if err := os.WriteFile(path, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		l.Checkpoints.Also = []string{filepath.Join(dir, "no-such-file")}
		if _, err := l.Verify(ctx, nil); err == nil {
			t.Error("a missing checkpoint file named to Verify was skipped")
		}
	})
}

// TestCheckpointsOfSeveralInstances: instances sharing one PostgreSQL each
// keep their own checkpoint file; Verify reads its own and the others it
// is given, and a truncation recorded only by another instance's file is
// still found.
func TestCheckpointsOfSeveralInstances(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		one := newLog(t, db)
		two := newLog(t, db)
		two.Checkpoints.Instance = "test-2"
		record(t, one, 2)
		checkpoint(t, one)
		record(t, two, 2)
		checkpoint(t, two)
		if behind, err := one.Behind(ctx); err != nil || behind != "" {
			t.Fatalf("Behind on an intact log = %q, %v", behind, err)
		}
		if _, err := db.Exec(ctx, "DELETE FROM audit_log WHERE seq > 2"); err != nil {
			t.Fatal(err)
		}
		if r := verify(t, one); !r.OK() {
			t.Fatalf("instance one's own checkpoint still holds, yet Verify = %+v", r)
		}
		one.Checkpoints.Also = []string{two.Checkpoints.Path}
		r := verify(t, one)
		if r.OK() || !strings.Contains(r.Problem, "by test-2 recorded number 4") || r.Checkpoints != 2 {
			t.Errorf("with instance two's file, Verify = %+v", r)
		}
		behind, err := two.Behind(ctx)
		if err != nil || !strings.Contains(behind, "ends at number 2") {
			t.Errorf("Behind = %q, %v", behind, err)
		}
	})
}

func TestRecordInCallersTransactionRollsBack(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := newLog(t, db)
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
		// A rolled-back entry leaves no gap in the numbers.
		record(t, l, 1)
		if r := verify(t, l); !r.OK() || r.Head.Seq != 1 {
			t.Errorf("after a rollback Verify = %+v", r)
		}
	})
}

func prune(t *testing.T, l *audit.Log, before time.Time) int64 {
	t.Helper()
	var n int64
	err := l.DB.Tx(context.Background(), func(tx *store.Tx) error {
		var err error
		n, err = l.Prune(context.Background(), tx, before)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPruneKeepsChainVerifiable(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		l := newLog(t, db)
		l.Now = func() time.Time { return now }
		record(t, l, 3)
		checkpoint(t, l)
		now = now.AddDate(1, 0, 0)
		record(t, l, 2)
		if n := prune(t, l, now.AddDate(0, -1, 0)); n != 3 {
			t.Errorf("pruned %d, want 3", n)
		}
		// The checkpoint named entry 3, which retention removed: that is
		// no truncation.
		if r := verify(t, l); !r.OK() || r.Entries != 3 {
			t.Errorf("after pruning Verify = %+v, want intact with marker + 2 entries", r)
		}
		record(t, l, 1)
		checkpoint(t, l)
		if r := verify(t, l); !r.OK() || r.Head.Seq != 6 {
			t.Errorf("appending after pruning broke the chain: %+v", r)
		}
	})
}

// TestPruneWhenOnlyTheMarkerExpired is issue 8's item 5: with a short
// retention, a later prune that finds the previous prune's marker as the
// only expired entry used to write a new marker linking to the old
// marker's hash, and a correct log then failed with "entry 3 does not
// link". A later prune that removes real entries together with the old
// marker must keep the chain verifiable too.
func TestPruneWhenOnlyTheMarkerExpired(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		now := day
		l := newLog(t, db)
		l.Now = func() time.Time { return now }
		record(t, l, 3)
		now = day.AddDate(0, 0, 2) // the retention is one day
		if n := prune(t, l, now.AddDate(0, 0, -1)); n != 3 {
			t.Fatalf("first prune removed %d, want 3", n)
		}
		now = day.AddDate(0, 0, 3)
		record(t, l, 2)
		checkpoint(t, l)
		now = day.AddDate(0, 0, 4) // only the marker of day 2 has expired
		if n := prune(t, l, now.AddDate(0, 0, -1)); n != 0 {
			t.Errorf("second prune removed %d, want 0", n)
		}
		if r := verify(t, l); !r.OK() || r.Entries != 3 {
			t.Fatalf("after a prune that found only the marker, Verify = %+v", r)
		}
		now = day.AddDate(0, 0, 6) // the marker and both later entries have expired
		if n := prune(t, l, now.AddDate(0, 0, -1)); n != 2 {
			t.Errorf("third prune removed %d, want 2", n)
		}
		record(t, l, 1)
		r := verify(t, l)
		if !r.OK() || r.Entries != 2 || r.Head.Seq != 6 {
			t.Fatalf("after a prune that replaced the marker, Verify = %+v", r)
		}
	})
}

// TestLegacyEntriesStillVerify: entries written before sequence numbers
// (hashed without them, numbered by the migration) still verify, and new
// entries continue the chain; an entry in the old form after one in the new
// form is refused, so the old form cannot be used to slip one in.
func TestLegacyEntriesStillVerify(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := newLog(t, db)
		prev := "genesis"
		at := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
		for i := range 2 {
			e := audit.Entry{At: at.Add(time.Duration(i) * time.Minute), Label: "cli", Action: "people.create", Subject: "person:1"}
			e.Hash = l.LegacyHash(prev, e)
			if _, err := db.Exec(ctx, "INSERT INTO audit_log (seq, at, actor_id, actor, actor_role, action, subject, detail, prev_hash, hash) VALUES (?, ?, NULL, ?, '', ?, ?, '', ?, ?)",
				i+1, e.At, e.Label, e.Action, e.Subject, prev, e.Hash); err != nil {
				t.Fatal(err)
			}
			prev = e.Hash
		}
		record(t, l, 1)
		if r := verify(t, l); !r.OK() || r.Entries != 3 {
			t.Fatalf("a chain continuing legacy entries: Verify = %+v", r)
		}
		e := audit.Entry{At: at.Add(time.Hour), Label: "cli", Action: "people.create", Subject: "person:2"}
		var head string
		if err := db.QueryRow(ctx, "SELECT hash FROM audit_log WHERE seq = 3").Scan(&head); err != nil {
			t.Fatal(err)
		}
		e.Hash = l.LegacyHash(head, e)
		if _, err := db.Exec(ctx, "INSERT INTO audit_log (seq, at, actor_id, actor, actor_role, action, subject, detail, prev_hash, hash) VALUES (4, ?, NULL, ?, '', ?, ?, '', ?, ?)",
			e.At, e.Label, e.Action, e.Subject, head, e.Hash); err != nil {
			t.Fatal(err)
		}
		if r := verify(t, l); r.OK() || !strings.Contains(r.Problem, "altered") {
			t.Errorf("a legacy-form entry after a current one: Verify = %+v", r)
		}
	})
}

func TestListFilters(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := newLog(t, db)
		record(t, l, 2)
		if err := l.Record(ctx, db, audit.Entry{Action: "logs.lookup", Subject: "ip", Detail: "reason=misuse"}); err != nil {
			t.Fatal(err)
		}
		got, err := l.List(ctx, audit.Filter{Action: "logs."})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Action != "logs.lookup" || got[0].Seq != 3 {
			t.Errorf("List(logs.) = %+v", got)
		}
	})
}

// TestRecordKeepsTheActorsRoles: an entry records the actor's staff roles
// as the database held them at that moment, read in the entry's own
// transaction, so a staff member who renames themselves after the admin is
// still shown with their own roles.
func TestRecordKeepsTheActorsRoles(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Now().UTC()
		for _, p := range []struct {
			id    int64
			roles []string
		}{{1, []string{"participant", "admin", "security"}}, {2, []string{"participant", "secretariat"}}, {3, []string{"participant"}}} {
			if _, err := db.Exec(ctx, "INSERT INTO people (id, name, created_at, updated_at) VALUES (?, 'Ada Admin', ?, ?)", p.id, now, now); err != nil {
				t.Fatal(err)
			}
			for _, r := range p.roles {
				if _, err := db.Exec(ctx, "INSERT INTO person_roles (person_id, role, granted_at) VALUES (?, ?, ?)", p.id, r, now); err != nil {
					t.Fatal(err)
				}
			}
		}
		l := newLog(t, db)
		for id := int64(1); id <= 3; id++ {
			if err := l.Record(ctx, db, audit.Entry{Actor: id, Label: "Ada Admin", Action: "people.view", Subject: "person:9"}); err != nil {
				t.Fatal(err)
			}
		}
		entries, err := l.List(ctx, audit.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		got := map[int64]string{}
		for _, e := range entries {
			got[e.Actor] = e.Role
		}
		want := map[int64]string{1: "admin,security", 2: "secretariat", 3: ""}
		for id, role := range want {
			if got[id] != role {
				t.Errorf("actor %d recorded with roles %q, want %q", id, got[id], role)
			}
		}
		if r := verify(t, l); !r.OK() {
			t.Errorf("Verify = %+v", r)
		}
	})
}

// TestCheckpointRefusesAShorterHead: once entries were cut off the end of
// the log, the process that writes checkpoints must not sign the shorter
// head as if nothing happened. It used to: serve went on writing a
// checkpoint each minute for the new, lower number (and `plenary sweep`
// did too), saying nothing, so the server's log showed a head that went
// backwards without an error.
func TestCheckpointRefusesAShorterHead(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := newLog(t, db)
		record(t, l, 3)
		checkpoint(t, l)
		lines := func() int {
			raw, err := os.ReadFile(l.Checkpoints.Path)
			if err != nil {
				t.Fatal(err)
			}
			return len(strings.Split(strings.TrimSpace(string(raw)), "\n"))
		}
		for _, tc := range []struct {
			name, delete string
			after        int // entries recorded after the deletion
		}{
			{"the newest entries removed, then one more recorded", "DELETE FROM audit_log WHERE seq > 1", 1},
			{"every entry removed", "DELETE FROM audit_log", 0},
			{"every entry removed, then one recorded", "DELETE FROM audit_log", 1},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if _, err := db.Exec(ctx, tc.delete); err != nil {
					t.Fatal(err)
				}
				record(t, l, tc.after)
				// The same process, and a new one reading the file.
				fresh := &audit.Log{DB: db, Key: chainKey, Checkpoints: &audit.Checkpoints{
					Path: l.Checkpoints.Path, Key: checkpointKey, Instance: "test-1"}}
				for _, w := range []*audit.Log{l, fresh} {
					cp, wrote, err := w.Checkpoint(ctx)
					if wrote || err == nil || !strings.Contains(err.Error(), "recorded number 3") {
						t.Errorf("Checkpoint of head %d after the log lost entries: wrote %t, %v; want an error naming number 3", cp.Seq, wrote, err)
					}
				}
				if n := lines(); n != 1 {
					t.Errorf("the checkpoint file has %d lines, want the 1 written before the deletion", n)
				}
			})
		}
	})
}

// TestCheckpointFileIsSetAsideWhenFull writes checkpoints past the file's
// size limit: the full file becomes audit-checkpoints.1 (an older .1 goes),
// the two files stay bounded, and truncating the log is still caught from
// the newest checkpoint.
func TestCheckpointFileIsSetAsideWhenFull(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), audit.CheckpointFile)
	cps := &audit.Checkpoints{Path: path, Key: checkpointKey, Instance: "web-1", MaxBytes: 600}
	l := &audit.Log{DB: db, Key: chainKey, Checkpoints: cps}
	for range 30 {
		record(t, l, 1)
		checkpoint(t, l)
	}
	for _, p := range []string{path, path + ".1"} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		// A line is about 200 bytes: a file is set aside at the first
		// append that finds it at the limit or over.
		if st.Size() > 600+250 {
			t.Errorf("%s is %d bytes, over its limit of 600 by more than a line", p, st.Size())
		}
	}
	if r := verify(t, l); !r.OK() {
		t.Fatalf("Verify = %+v", r)
	}
	if _, err := db.Exec(ctx, "DELETE FROM audit_log WHERE seq > 28"); err != nil {
		t.Fatal(err)
	}
	if r := verify(t, l); r.OK() {
		t.Errorf("the log cut from 30 to 28 entries verified: %+v", r)
	}
}
