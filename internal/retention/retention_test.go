package retention_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"plenary/internal/audit"
	"plenary/internal/inventory"
	"plenary/internal/retention"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// TestEveryRuleHasAJob fails when a retention rule of the inventory names a
// job that does not exist, when a rule that is not kept forever names none,
// when a retention key has no job applying it, or when a job applies a key
// the inventory does not declare.
func TestEveryRuleHasAJob(t *testing.T) {
	inv := inventory.Default()
	jobs := map[string]retention.Job{}
	for _, j := range retention.Jobs() {
		if _, dup := jobs[j.Name]; dup {
			t.Errorf("two jobs are named %s", j.Name)
		}
		jobs[j.Name] = j
	}
	for _, it := range inv.Items() {
		if !it.Personal || it.Retention.Forever {
			continue
		}
		name := it.Retention.JobName()
		if name == "" {
			t.Errorf("%s: its retention rule names no job (set Retention.Job)", it.Key())
			continue
		}
		if _, ok := jobs[name]; !ok {
			t.Errorf("%s: its retention rule names job %q, which internal/retention does not have", it.Key(), name)
		}
	}
	for _, key := range inv.RetentionKeys() {
		if !slices.ContainsFunc(retention.Jobs(), func(j retention.Job) bool { return j.Key == key }) {
			t.Errorf("retention key %s has no job applying its configured days", key)
		}
	}
	for _, j := range retention.Jobs() {
		if j.Key != "" && !slices.Contains(inv.RetentionKeys(), j.Key) {
			t.Errorf("job %s applies retention key %s, which the inventory does not declare", j.Name, j.Key)
		}
	}
}

// TestEveryPersonalTableIsSwept reads the live schema of both engines: every
// table holding personal data is swept by a job, or references (through ON
// DELETE CASCADE, possibly over several tables) a table that is, or keeps
// its data forever by a declared rule. A new table of personal data
// without a way out fails here.
func TestEveryPersonalTableIsSwept(t *testing.T) {
	inv := inventory.Default()
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		fks, err := db.ForeignKeys(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		cols, err := db.Columns(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		live := map[string]bool{retention.AccessLogFiles: true}
		for _, c := range cols {
			live[c.Table] = true
		}
		swept := map[string]string{} // table → how
		for _, j := range retention.Jobs() {
			for _, table := range j.Tables {
				if !live[table] {
					t.Errorf("job %s sweeps %s, which is not a table", j.Name, table)
				}
				swept[table] = "job " + j.Name
			}
		}
		// Follow cascades until nothing more is reached.
		for changed := true; changed; {
			changed = false
			for _, fk := range fks {
				if how, ok := swept[fk.RefTable]; ok && fk.Cascade && swept[fk.Table] == "" {
					swept[fk.Table] = "cascade from " + fk.RefTable + " (" + how + ")"
					changed = true
				}
			}
		}
		// A column that names a person in a swept table and is cleared
		// when that row goes (ON DELETE SET NULL, or CASCADE) leaves with
		// it; a table all of whose personal columns are such is covered.
		clearedWith := map[string]bool{} // "table.column"
		for _, fk := range fks {
			if swept[fk.RefTable] != "" && (fk.SetNull || fk.Cascade) {
				clearedWith[fk.Table+"."+fk.Column] = true
			}
		}
		allCleared := func(table string) bool {
			for _, it := range inv.Personal(inventory.Column) {
				if it.Table == table && !clearedWith[it.Key()] {
					return false
				}
			}
			return true
		}
		for _, table := range inv.PersonalTables() {
			if swept[table] != "" || keptForever(inv, table) || allCleared(table) {
				continue
			}
			t.Errorf("table %s holds personal data but no retention job sweeps it and no cascade from a swept table reaches it", table)
		}
	})
}

// keptForever reports whether every personal column of table is declared
// to be kept as long as the site runs (the consent ledger, say).
func keptForever(inv *inventory.Inventory, table string) bool {
	for _, it := range inv.Personal(inventory.Column) {
		if it.Table == table && !it.Retention.Forever {
			return false
		}
	}
	return true
}

// TestSweepRemovesWhatExpired is U3 on both engines: one run removes, from
// every store, exactly what has outlived its rule and nothing else, counts
// it per table in the server log and in the audit log, and a second run
// finds nothing and writes no audit entry.
func TestSweepRemovesWhatExpired(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
		env, serverLog := newEnv(t, db, now)
		seed(t, db, env, now)

		results := retention.Run(ctx, env, now)
		want := map[string]string{
			"sessions":              "sessions=1",
			"auth_tokens":           "auth_tokens=1",
			"rate_limits":           "rate_limits=1",
			"person_changes":        "person_changes=1",
			"unconfirmed_signups":   "people=1",
			"inquiry":               "inquiries=1",
			"mailing":               "mailing_recipients=1",
			"mailing_confirmations": "mailing_subscriptions=1",
			"audit":                 "audit_log=2",
			"access_log":            "access-log files=1",
			"list_pending":          "list_subscriptions=1",
			"list_held":             "list_contributors=1 list_posts=1",
			"list_bounce":           "list_bounces=1",
			"list_delivery":         "list_deliveries=1",
			"list_disabled":         "list_subscriptions=1",
			"registration":          "registrations=2",
			"disclosure":            "disclosures=1",
			"mail_outbox":           "mail_outbox=1",
		}
		if len(results) != len(want) {
			t.Errorf("%d jobs ran, want %d", len(results), len(want))
		}
		for _, r := range results {
			if r.Err != nil {
				t.Errorf("job %s: %v", r.Job, r.Err)
			}
			if got := r.Counts.String(); got != want[r.Job] {
				t.Errorf("job %s removed %q, want %q", r.Job, got, want[r.Job])
			}
		}
		for _, q := range []struct {
			sql  string
			want int
		}{
			{"SELECT COUNT(*) FROM sessions", 1},
			{"SELECT COUNT(*) FROM mail_outbox", 1},
			{"SELECT COUNT(*) FROM auth_tokens", 1},
			{"SELECT COUNT(*) FROM rate_limits", 1},
			{"SELECT COUNT(*) FROM person_changes", 1},
			{"SELECT COUNT(*) FROM people", 1},
			{"SELECT COUNT(*) FROM person_emails", 1},
			{"SELECT COUNT(*) FROM inquiries", 2},
			{"SELECT COUNT(*) FROM mailing_recipients", 1},
			{"SELECT COUNT(*) FROM mailings", 2},
			{"SELECT COUNT(*) FROM mailing_subscriptions WHERE confirm_token_hash IS NULL AND state = 'pending'", 1},
			{"SELECT COUNT(*) FROM inquiry_messages", 1},
			{"SELECT COUNT(*) FROM list_subscriptions", 3},
			{"SELECT COUNT(*) FROM list_subscriptions WHERE email = 'gone@ex.org'", 0},
			{"SELECT COUNT(*) FROM list_deliveries", 1},
			{"SELECT COUNT(*) FROM list_deliveries WHERE subscription_id = (SELECT id FROM list_subscriptions WHERE token = 's-5')", 1},
			{"SELECT COUNT(*) FROM list_posts", 2},
			{"SELECT COUNT(*) FROM list_bounces WHERE status = '5.2.2'", 1},
			{"SELECT COUNT(*) FROM list_contributors", 1},
			{"SELECT COUNT(*) FROM usage_days", 2},
			{"SELECT COUNT(*) FROM registrations WHERE postal_address = '' AND email = ''", 2},
			{"SELECT COUNT(*) FROM registrations WHERE affiliation IN ('Listed Corp', 'New Corp') AND name <> ''", 2},
			{"SELECT COUNT(*) FROM registrations WHERE postal_address = '3 New Street'", 1},
			{"SELECT COUNT(*) FROM registrations WHERE refund_reason = 'Old reason'", 0},
			{"SELECT COUNT(*) FROM registrations WHERE refund_reason = 'New reason'", 1},
		} {
			var n int
			if err := db.QueryRow(ctx, q.sql).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != q.want {
				t.Errorf("%s = %d after the sweep, want %d", q.sql, n, q.want)
			}
		}
		for name, want := range map[string]bool{"access-box-2026-08-01.log": false, "access-box-2026-11-26.log": true} {
			if _, err := os.Stat(filepath.Join(env.LogDir, name)); (err == nil) != want {
				t.Errorf("%s: kept %t, want %t", name, err == nil, want)
			}
		}
		line := serverLog.String()
		for _, s := range []string{"retention sweep: removed", "sessions=1", "audit_log=2", "people=1", `"access-log files"=1`} {
			if !strings.Contains(line, s) {
				t.Errorf("server log lacks %q:\n%s", s, line)
			}
		}
		entries, err := env.Audit.List(ctx, audit.Filter{Action: "retention."})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, e := range entries {
			got[e.Subject] = e.Detail
		}
		for job, counts := range want {
			if got["retention:"+job] != "removed "+counts {
				t.Errorf("audit entry for %s = %q, want %q", job, got["retention:"+job], "removed "+counts)
			}
		}
		if r, err := env.Audit.Verify(ctx, nil); err != nil || !r.OK() {
			t.Errorf("audit chain after the sweep: %+v, %v", r, err)
		}

		serverLog.Reset()
		for _, r := range retention.Run(ctx, env, now) {
			if r.Err != nil || r.Counts.Total() != 0 {
				t.Errorf("second run, job %s: removed %s, %v", r.Job, r.Counts, r.Err)
			}
		}
		again, err := env.Audit.List(ctx, audit.Filter{Action: "retention."})
		if err != nil {
			t.Fatal(err)
		}
		if len(again) != len(entries) {
			t.Errorf("a sweep that removed nothing wrote %d audit entries", len(again)-len(entries))
		}
		if !strings.Contains(serverLog.String(), "sessions=0") {
			t.Errorf("a sweep that removed nothing did not say so in the server log:\n%s", serverLog.String())
		}
	})
}

// TestAccessLogIsCountedBeforeRemoval: when a finished day file cannot be
// counted, no raw file is removed, not even one that was counted before.
func TestAccessLogIsCountedBeforeRemoval(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
		env, _ := newEnv(t, db, now)
		old := filepath.Join(env.LogDir, "access-box-2026-08-01.log")
		writeLog(t, old, "01/Aug/2026")
		broken := filepath.Join(env.LogDir, "access-box-2026-08-02.log.gz")
		// gzip magic, then garbage: the file cannot be read to its end.
		if err := os.WriteFile(broken, []byte{0x1f, 0x8b, 'x', 'y', 'z'}, 0o600); err != nil {
			t.Fatal(err)
		}
		var res retention.Result
		for _, r := range retention.Run(ctx, env, now) {
			if r.Job == "access_log" {
				res = r
			}
		}
		if res.Err == nil || !strings.Contains(res.Err.Error(), "no file was removed") {
			t.Errorf("access_log job: %v, want an error saying nothing was removed", res.Err)
		}
		for _, f := range []string{old, broken} {
			if _, err := os.Stat(f); err != nil {
				t.Errorf("%s was removed although counting failed: %v", filepath.Base(f), err)
			}
		}
	})
}

// TestOtherInstancesFilesAreCountedFirst: instances may share a data
// directory; a file of another instance that is past retention but not yet
// counted by that instance is not removed, and neither is any other.
func TestOtherInstancesFilesAreCountedFirst(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
		env, _ := newEnv(t, db, now)
		mine := filepath.Join(env.LogDir, "access-box-2026-08-01.log")
		theirs := filepath.Join(env.LogDir, "access-web-2-2026-08-01.log")
		writeLog(t, mine, "01/Aug/2026")
		writeLog(t, theirs, "01/Aug/2026")
		job := func() retention.Result {
			for _, r := range retention.Run(ctx, env, now) {
				if r.Job == "access_log" {
					return r
				}
			}
			t.Fatal("no access_log job ran")
			return retention.Result{}
		}
		res := job()
		if res.Err == nil || !strings.Contains(res.Err.Error(), "instance web-2 has not counted it") {
			t.Errorf("access_log job: %v, want a refusal naming the other instance", res.Err)
		}
		for _, f := range []string{mine, theirs} {
			if _, err := os.Stat(f); err != nil {
				t.Errorf("%s was removed before every expired file was counted: %v", filepath.Base(f), err)
			}
		}
		other := *env
		other.Instance = "web-2"
		for _, r := range retention.Run(ctx, &other, now) {
			if r.Job == "access_log" && (r.Err != nil || r.Counts[retention.AccessLogFiles] != 2) {
				t.Errorf("once web-2 counted its file: %s, %v; want both files removed", r.Counts, r.Err)
			}
		}
	})
}

func newEnv(t *testing.T, db *store.DB, now time.Time) (*retention.Env, *bytes.Buffer) {
	t.Helper()
	inv := inventory.Default()
	var buf bytes.Buffer
	dir := filepath.Join(t.TempDir(), "logs")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return &retention.Env{
		DB:          db,
		Audit:       &audit.Log{DB: db, Key: bytes.Repeat([]byte{1}, 32), Now: func() time.Time { return now }},
		Days:        inv.RetentionDays,
		LogDir:      dir,
		Instance:    "box",
		MinVisitors: 1,
		Log:         slog.New(slog.NewTextHandler(&buf, nil)),
		Label:       "system",
	}, &buf
}

func writeLog(t *testing.T, path, day string) {
	t.Helper()
	line := "192.0.2.1 - - [" + day + ":10:00:00 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"Mozilla/5.0 Firefox/128.0\"\n"
	if err := os.WriteFile(path, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
}

// seed puts in every store one thing past its rule and one within it.
func seed(t *testing.T, db *store.DB, env *retention.Env, now time.Time) {
	t.Helper()
	ctx := context.Background()
	days := func(n int) time.Time { return now.AddDate(0, 0, -n) }
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// Person 1 confirmed an address long ago; person 2 never did.
	exec("INSERT INTO people (id, name, created_at, updated_at) VALUES (1, 'Kept', ?, ?)", days(400), days(400))
	exec("INSERT INTO people (id, name, created_at, updated_at) VALUES (2, 'Unconfirmed', ?, ?)", days(8), days(8))
	exec("INSERT INTO person_emails (person_id, address, address_key, origin, is_primary, verified_at, active, created_at) VALUES (1, 'k@ex.org', 'k@ex.org', 'self', TRUE, ?, TRUE, ?)", days(400), days(400))
	exec("INSERT INTO person_emails (person_id, address, address_key, origin, is_primary, verified_at, active, created_at) VALUES (2, 'u@ex.org', 'u@ex.org', 'self', TRUE, NULL, TRUE, ?)", days(8))
	exec("INSERT INTO person_roles (person_id, role, granted_at) VALUES (1, 'participant', ?), (2, 'participant', ?)", days(400), days(8))
	exec("INSERT INTO sessions (token_hash, person_id, kind, created_at, expires_at) VALUES ('s-old', 1, 'session', ?, ?), ('s-live', 1, 'session', ?, ?)",
		days(3), days(2), now.Add(-time.Hour), now.Add(time.Hour))
	exec("INSERT INTO auth_tokens (token_hash, purpose, person_id, created_at, expires_at) VALUES ('t-old', 'reset', 1, ?, ?), ('t-live', 'reset', 1, ?, ?)",
		days(3), days(2), now.Add(-time.Minute), now.Add(time.Hour))
	exec("INSERT INTO rate_limits (bucket, window_start, hits) VALUES ('b', ?, 3), ('b', ?, 1)", now.Add(-2*time.Hour), now.Add(-5*time.Minute))
	exec("INSERT INTO person_changes (person_id, actor_id, field, old_value, new_value, changed_at) VALUES (1, 1, 'name', 'A', 'B', ?), (1, 1, 'name', 'B', 'Kept', ?)",
		days(400), days(10))

	// Inquiries go 180 days (the default) after they were closed: the one
	// closed 200 days ago goes with its thread; one closed 10 days ago and
	// one still open after 400 days stay.
	exec("INSERT INTO inquiries (id, name, email, category, message, reply_token, closed_at, created_at, updated_at) VALUES (1, 'Old', 'o@ex.org', 'general', 'Gone', 'tok-1', ?, ?, ?)", days(200), days(210), days(200))
	exec("INSERT INTO inquiries (id, name, email, category, message, reply_token, closed_at, created_at, updated_at) VALUES (2, 'Recent', 'r@ex.org', 'general', 'Kept', 'tok-2', ?, ?, ?)", days(10), days(20), days(10))
	exec("INSERT INTO inquiries (id, name, email, category, message, reply_token, closed_at, created_at, updated_at) VALUES (3, 'Open', 'p@ex.org', 'general', 'Kept', 'tok-3', NULL, ?, ?)", days(400), days(400))
	exec("INSERT INTO inquiry_messages (inquiry_id, direction, body, created_at) VALUES (1, 'sender', 'gone', ?), (2, 'sender', 'kept', ?)", days(205), days(15))
	// Discussion groups: an unconfirmed subscription past its week goes,
	// a recent one and an old confirmed one stay; a posting held past 30
	// days goes with its author who never accepted the terms, a recent
	// held one and an old published one stay.
	exec("INSERT INTO lists (id, name, description, posting, archive, created_at) VALUES (1, 'wg', 'A group', 'open', 'public', ?)", days(400))
	exec("INSERT INTO list_subscriptions (list_id, email, token, confirmed_at, created_at) VALUES (1, 'old@ex.org', 's-1', NULL, ?), (1, 'new@ex.org', 's-2', NULL, ?), (1, 'member@ex.org', 's-3', ?, ?)", days(8), days(6), days(300), days(300))
	exec("INSERT INTO list_contributors (id, email, name, token, accepted_at, created_at) VALUES (1, 'never@ex.org', 'Never', 'c-1', NULL, ?), (2, 'author@ex.org', 'Author', 'c-2', ?, ?)", days(40), days(300), days(300))
	exec("INSERT INTO list_posts (list_id, contributor_id, message_id, in_reply_to, thread_id, subject, body, status, created_at, published_at) VALUES (1, 1, '<a@x>', '', 1, 'Held', 'held', 'held-terms', ?, NULL), (1, 2, '<b@x>', '', 2, 'Held', 'recent', 'held-moderation', ?, NULL), (1, 2, '<c@x>', '', 3, 'Old', 'public', 'published', ?, ?)", days(40), days(3), days(300), days(300))
	// Bounce records of list mail go after 30 days (the default).
	exec("INSERT INTO list_bounces (subscription_id, received_at, status) SELECT id, ?, '5.1.1' FROM list_subscriptions WHERE token = 's-3'", days(40))
	exec("INSERT INTO list_bounces (subscription_id, received_at, status) SELECT id, ?, '5.2.2' FROM list_subscriptions WHERE token = 's-3'", days(5))
	// A subscription disabled after bounces goes 30 days (the default)
	// after it stopped, with its delivery records; one disabled 5 days
	// ago stays. Delivery records go 90 days (the default) after the
	// copy was sent, even for a subscription that lasts.
	exec("INSERT INTO list_subscriptions (list_id, email, token, confirmed_at, created_at, disabled_at) VALUES (1, 'gone@ex.org', 's-4', ?, ?, ?), (1, 'resting@ex.org', 's-5', ?, ?, ?)",
		days(300), days(300), days(40), days(300), days(300), days(5))
	exec("INSERT INTO list_deliveries (post_id, subscription_id, sent_at) SELECT p.id, s.id, ? FROM list_posts p, list_subscriptions s WHERE p.message_id = '<c@x>' AND s.token = 's-3'", days(100))
	exec("INSERT INTO list_deliveries (post_id, subscription_id, sent_at) SELECT p.id, s.id, ? FROM list_posts p, list_subscriptions s WHERE p.message_id = '<c@x>' AND s.token IN ('s-4', 's-5')", days(10))

	// A mailing's recipients go 90 days (the default) after it finished;
	// an expired confirmation link for announcements is cleared, the
	// choice itself stays with the account.
	exec("INSERT INTO mailings (id, subject, body, created_by, created_at, state, sent_by, sent_at, finished_at) VALUES (1, 'Old', 'b', 1, ?, 'finished', 1, ?, ?), (2, 'Recent', 'b', 1, ?, 'finished', 1, ?, ?)",
		days(101), days(100), days(100), days(11), days(10), days(10))
	exec("INSERT INTO mailing_recipients (mailing_id, person_id, address, state, sent_at) VALUES (1, 1, 'k@ex.org', 'sent', ?), (2, 1, 'k@ex.org', 'sent', ?)", days(100), days(10))
	exec("INSERT INTO mailing_subscriptions (person_id, state, requested_at, confirm_token_hash, confirm_expires_at) VALUES (1, 'pending', ?, 'c-old', ?)", days(3), days(1))

	// Registrations lose their non-public details 90 days (the default)
	// after their meeting ends: meeting 1 ended 100 days ago, meeting 2
	// ten days ago. Listed registrants keep their affiliation.
	exec(`INSERT INTO meetings (id, name, starts_on, ends_on, place, time_zone, registration_opens, registration_closes, capacity, created_at)
		VALUES (1, 'Old', ?, ?, 'Here', 'UTC', ?, ?, 10, ?), (2, 'Recent', ?, ?, 'Here', 'UTC', ?, ?, 10, ?)`,
		days(102).Format("2006-01-02"), days(100).Format("2006-01-02"), days(200), days(103), days(200),
		days(12).Format("2006-01-02"), days(10).Format("2006-01-02"), days(50), days(13), days(50))
	exec("INSERT INTO meeting_tickets (id, meeting_id, name, fee, currency) VALUES (1, 1, 'Full', 100, 'EUR'), (2, 2, 'Full', 100, 'EUR')")
	exec(`INSERT INTO registrations (meeting_id, ticket_id, name, email, postal_address, affiliation, list_me, status, token, created_at, refund_reason)
		VALUES (1, 1, 'Old One', 'old@ex.org', '1 Old Street', 'Old Corp', FALSE, 'paid', 'rt-1', ?, 'Old reason'),
		(1, 1, 'Old Listed', 'ol@ex.org', '2 Old Street', 'Listed Corp', TRUE, 'paid', 'rt-2', ?, ''),
		(2, 2, 'New One', 'new@ex.org', '3 New Street', 'New Corp', FALSE, 'paid', 'rt-3', ?, 'New reason')`, days(150), days(150), days(30))
	// The disclosure register (U4): one entry past six years, one recent.
	exec(`INSERT INTO disclosures (person_id, requester, legal_basis, disclosed, disclosed_at, untold, recorded_by, recorded_at)
		VALUES (1, 'A court', 'An order', 'The address', ?, 'gagged', 9, ?), (1, 'A court', 'An order', 'The name', ?, 'gagged', 9, ?)`,
		days(2200), days(2200), days(100), days(100))
	// The outbox of account mail: one message never delivered in three
	// days goes, one from an hour ago stays.
	exec("INSERT INTO mail_outbox (what, sealed, created_at) VALUES ('a reset link', ?, ?), ('a reset link', ?, ?)", []byte{1}, days(3), []byte{2}, now.Add(-time.Hour))

	old := &audit.Log{DB: db, Key: env.Audit.Key, Now: func() time.Time { return days(2200) }}
	for range 2 {
		if err := old.Record(ctx, db, audit.Entry{Label: "cli", Action: "people.view", Subject: "person:1"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := env.Audit.Record(ctx, db, audit.Entry{Label: "cli", Action: "people.view", Subject: "person:1"}); err != nil {
		t.Fatal(err)
	}

	writeLog(t, filepath.Join(env.LogDir, "access-box-2026-08-01.log"), "01/Aug/2026")
	writeLog(t, filepath.Join(env.LogDir, "access-box-2026-11-26.log"), "26/Nov/2026")
}
