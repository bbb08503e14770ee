package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"plenary/internal/audit"
	"plenary/internal/inventory"
	"plenary/internal/lists"
	"plenary/internal/mailings"
	"plenary/internal/payments"
	"plenary/internal/policy"
	"plenary/internal/secrets"
	"plenary/internal/store"
	"plenary/internal/store/storetest"
	"plenary/internal/usage"
)

// TestThreeInstancesSharePostgres is scale-out (S3): three `plenary serve`
// processes on one PostgreSQL, started together as after a deploy, behave
// as one site. A session made on one is valid on the others; a list
// posting and a mailing reach each recipient once, not once per instance;
// a payment webhook delivered to two instances records one payment; the
// retention sweep all three run at start removes expired rows once, with
// one audit entry; and the access logs of all three, counted by each into
// usage trends, give each request once and each visitor once, however
// many instances the visitor reached.
func TestThreeInstancesSharePostgres(t *testing.T) {
	dsn := storetest.PostgresURL(t)
	ctx := context.Background()
	masterKey := base64.StdEncoding.EncodeToString([]byte("scale-out test master key, 32+ bytes"))
	keys, err := secrets.Load(t.TempDir(), masterKey)
	if err != nil {
		t.Fatal(err)
	}

	// Every message any instance sends, by recipient and subject.
	var mu sync.Mutex
	got := map[string]int{}
	sink := startSMTPSink(t, func(d delivery) error {
		subject := d.Header.Get("Subject")
		mu.Lock()
		got[strings.ToLower(d.To)+" | "+subject]++
		mu.Unlock()
		return nil
	})
	copies := func(to, subject string) int {
		mu.Lock()
		defer mu.Unlock()
		return got[to+" | "+subject]
	}

	// The schema and an account, made by the command an operator uses.
	add := exec.Command(binary, "user", "add", "--db", dsn, "--secret-key", masterKey, "--email", "ada@example.org", "--name", "Ada Scaleout")
	add.Env = environ()
	add.Stdin = strings.NewReader("a long scale-out passphrase\n")
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("plenary user add: %v\n%s", err, out)
	}
	db, err := store.Open(ctx, dsn, "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	auditLog := &audit.Log{DB: db, Key: keys.Derive("audit")}

	now := time.Now().UTC()
	month := now.AddDate(0, 0, -30)
	const participants = 12
	err = db.Tx(ctx, func(tx *store.Tx) error {
		// Two sign-ups never confirmed, long expired: the sweep's work.
		for i := 1; i <= 2; i++ {
			id, err := store.Insert(ctx, tx, "INSERT INTO people (name, created_at, updated_at) VALUES (?, ?, ?)", fmt.Sprintf("Unconfirmed %d", i), month, month)
			if err != nil {
				return err
			}
			addr := fmt.Sprintf("never%d@example.org", i)
			if _, err := tx.Exec(ctx, "INSERT INTO person_emails (person_id, address, address_key, origin, is_primary, active, created_at) VALUES (?, ?, ?, 'self', TRUE, TRUE, ?)", id, addr, addr, month); err != nil {
				return err
			}
		}
		// Participants who take announcements.
		for i := 1; i <= participants; i++ {
			id, err := store.Insert(ctx, tx, "INSERT INTO people (name, created_at, updated_at) VALUES (?, ?, ?)", fmt.Sprintf("Participant %d", i), now, now)
			if err != nil {
				return err
			}
			addr := fmt.Sprintf("p%d@example.org", i)
			if _, err := tx.Exec(ctx, "INSERT INTO person_emails (person_id, address, address_key, origin, is_primary, verified_at, active, created_at) VALUES (?, ?, ?, 'self', TRUE, ?, TRUE, ?)", id, addr, addr, now, now); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, "INSERT INTO mailing_subscriptions (person_id, state, requested_at, confirmed_at) VALUES (?, ?, ?, ?)", id, mailings.StateConfirmed, now, now); err != nil {
				return err
			}
		}
		// A registration waiting for its payment.
		mid, err := store.Insert(ctx, tx, `INSERT INTO meetings (name, starts_on, ends_on, time_zone, registration_opens, registration_closes, capacity, created_at)
			VALUES ('Scale-out meeting', ?, ?, 'UTC', ?, ?, 100, ?)`, now.AddDate(0, 1, 0).Format(time.DateOnly), now.AddDate(0, 1, 2).Format(time.DateOnly), month, now.AddDate(0, 0, 20), now)
		if err != nil {
			return err
		}
		tid, err := store.Insert(ctx, tx, "INSERT INTO meeting_tickets (meeting_id, name, fee, currency) VALUES (?, 'Full', 35000, 'USD')", mid)
		if err != nil {
			return err
		}
		rid, err := store.Insert(ctx, tx, `INSERT INTO registrations (meeting_id, ticket_id, name, email, status, token, created_at)
			VALUES (?, ?, 'Bea Payer', 'bea@example.org', 'unpaid', 'scale-out-registration-token', ?)`, mid, tid, now)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO payments (registration_id, processor, checkout_id, checkout_url, amount, currency, status, created_at, updated_at)
			VALUES (?, ?, 'ck_scaleout', 'http://127.0.0.1:1/checkout/ck_scaleout', 35000, 'USD', ?, ?, ?)`, rid, payments.TestProcessorName, payments.Open, now, now)
		return err
	})
	if err != nil {
		t.Fatalf("planting data: %v", err)
	}
	env := mailings.Env{DB: db, Audit: auditLog}
	staff := mailings.Actor{ID: 1, Name: "Ada Scaleout"}
	mailingID, err := mailings.CreateDraft(ctx, env, staff, mailings.Input{Subject: "Scale-out announcement", Body: "One copy each."}, now)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := mailings.Send(ctx, env, staff, mailingID, now); err != nil || n != participants {
		t.Fatalf("Send = %d, %v", n, err)
	}

	// Yesterday's access logs, one per instance: visitors 1–6 reached
	// web-1, 4–9 web-2, 1–3 and 10 web-3. Ten people, 16 requests.
	names := []string{"web-1", "web-2", "web-3"}
	visitors := map[string][]int{"web-1": {1, 2, 3, 4, 5, 6}, "web-2": {4, 5, 6, 7, 8, 9}, "web-3": {1, 2, 3, 10}}
	yesterday := now.AddDate(0, 0, -1)
	dirs := map[string]string{}
	for _, name := range names {
		dirs[name] = t.TempDir()
		var b strings.Builder
		for _, v := range visitors[name] {
			fmt.Fprintf(&b, "198.51.100.%d - - [%s +0000] \"GET /privacy HTTP/1.1\" 200 100 \"-\" \"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\"\n",
				v, yesterday.Format("02/Jan/2006:15:04:05"))
		}
		logs := filepath.Join(dirs[name], "logs")
		if err := os.MkdirAll(logs, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(logs, "access-"+name+"-"+yesterday.Format(time.DateOnly)+".log"), []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	srvs := make([]*server, len(names))
	for i, name := range names {
		srvs[i] = launchServer(t, "--db", dsn, "--secret-key", masterKey, "--data", dirs[name], "--instance", name,
			"--smtp", "smtp://"+sink+"?tls=none&from=noreply@plenary.test", "--job-lease", "2s",
			"--test-processor-addr", "127.0.0.1:0", "--analytics-min-visitors", "2")
	}
	for _, s := range srvs {
		s.waitReady(t)
	}

	t.Run("a session made on one instance is valid on the others", func(t *testing.T) {
		res, err := srvs[0].client.PostForm(srvs[0].URL+"/login", url.Values{"email": {"ada@example.org"}, "password": {"a long scale-out passphrase"}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		cookies := res.Cookies()
		if res.StatusCode != http.StatusSeeOther || len(cookies) == 0 {
			t.Fatalf("sign-in on web-1: %d with cookies %v", res.StatusCode, cookies)
		}
		for i, s := range srvs {
			req, _ := http.NewRequest("GET", s.URL+"/account", nil)
			for _, c := range cookies {
				req.AddCookie(c)
			}
			res, err := s.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != 200 || !strings.Contains(string(body), "Ada Scaleout") {
				t.Errorf("%s: /account with web-1's session: %d", names[i], res.StatusCode)
			}
		}
	})

	t.Run("a webhook delivered to two instances records one payment", func(t *testing.T) {
		body := []byte(`{"id":"evt_scaleout","checkout_id":"ck_scaleout","status":"paid","amount":35000,"currency":"USD","transaction_id":"tx_1","last4":"4242"}`)
		sig := payments.Sign(keys.Derive("test-processor-webhook"), body, time.Now())
		var wg sync.WaitGroup
		answers := make([]string, 2)
		for i := range 2 {
			wg.Go(func() {
				req, _ := http.NewRequest("POST", srvs[i].URL+"/payments/webhook/test", bytes.NewReader(body))
				req.Header.Set(payments.SignatureHeader, sig)
				req.Header.Set("Content-Type", "application/json")
				res, err := srvs[i].client.Do(req)
				if err != nil {
					answers[i] = err.Error()
					return
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				answers[i] = fmt.Sprintf("%d %s", res.StatusCode, strings.TrimSpace(string(b)))
			})
		}
		wg.Wait()
		ok := strings.Join(answers, ", ")
		if !(strings.Contains(ok, "200 ok") && strings.Contains(ok, "200 already applied")) {
			if len(ok) > 300 {
				ok = ok[:300]
			}
			t.Errorf("the two deliveries were answered %q; want one applied and one acknowledged as a replay", ok)
		}
		var status string
		var events, paid int
		if err := db.QueryRow(ctx, "SELECT status FROM payments WHERE checkout_id = 'ck_scaleout'").Scan(&status); err != nil || status != payments.Paid {
			t.Errorf("payment status %q (%v), want paid", status, err)
		}
		db.QueryRow(ctx, "SELECT COUNT(*) FROM payment_events WHERE event_id = 'evt_scaleout'").Scan(&events)
		db.QueryRow(ctx, "SELECT COUNT(*) FROM audit_log WHERE action = 'payments.paid'").Scan(&paid)
		if events != 1 || paid != 1 {
			t.Errorf("%d events and %d payment audit entries recorded, want 1 and 1", events, paid)
		}
	})

	// A list with three subscribers, and one posting to it.
	subscribers := []string{"s1@example.org", "s2@example.org", "s3@example.org"}
	svc := &lists.Service{DB: db, Audit: auditLog, Policy: &policy.Service{DB: db, Inventory: inventory.Default()}, Domain: "plenary.test", BaseURL: "http://plenary.test"}
	l, err := svc.Create(ctx, lists.Actor{ID: 1}, lists.NewList{Name: "scaleout", Description: "Scale-out test list", Posting: lists.PostOpen, Archive: lists.ArchivePublic})
	if err != nil {
		t.Fatal(err)
	}
	for i, addr := range subscribers {
		if _, err := db.Exec(ctx, "INSERT INTO list_subscriptions (list_id, email, token, confirmed_at, created_at) VALUES (?, ?, ?, ?, ?)", l.ID, addr, fmt.Sprintf("scaleout-sub-%d", i), now, now); err != nil {
			t.Fatal(err)
		}
	}
	posted, err := svc.Post(ctx, lists.Draft{List: "scaleout", Name: "Cy Poster", Email: "cy@example.org", Subject: "Scale-out posting", Body: "Once to each subscriber.", AcceptTerms: true, Channel: policy.ChannelWeb})
	if err != nil || posted.Posting.Status != lists.Published {
		t.Fatalf("posting: %+v, %v", posted, err)
	}

	t.Run("a list posting and a mailing reach each recipient once", func(t *testing.T) {
		deadline := time.Now().Add(30 * time.Second)
		done := func() bool {
			for i := 1; i <= participants; i++ {
				if copies(fmt.Sprintf("p%d@example.org", i), "Scale-out announcement") == 0 {
					return false
				}
			}
			for _, s := range subscribers {
				if copies(s, "[scaleout] Scale-out posting") == 0 {
					return false
				}
			}
			return true
		}
		for !done() {
			if time.Now().After(deadline) {
				mu.Lock()
				t.Fatalf("not every copy arrived in 30 s: %v", got)
			}
			time.Sleep(50 * time.Millisecond)
		}
		// Longer than a job lease: a second instance sending the same
		// job would have done so by now.
		time.Sleep(3 * time.Second)
		for i := 1; i <= participants; i++ {
			if n := copies(fmt.Sprintf("p%d@example.org", i), "Scale-out announcement"); n != 1 {
				t.Errorf("p%d got the mailing %d times", i, n)
			}
		}
		for _, s := range subscribers {
			if n := copies(s, "[scaleout] Scale-out posting"); n != 1 {
				t.Errorf("%s got the posting %d times", s, n)
			}
		}
	})

	t.Run("the sweep all three run at start removes expired rows once", func(t *testing.T) {
		var left, sweeps int
		db.QueryRow(ctx, "SELECT COUNT(*) FROM people WHERE name LIKE 'Unconfirmed %'").Scan(&left)
		db.QueryRow(ctx, "SELECT COUNT(*) FROM audit_log WHERE action = 'retention.sweep' AND subject = 'retention:unconfirmed_signups'").Scan(&sweeps)
		if left != 0 || sweeps != 1 {
			t.Errorf("%d expired sign-ups left, %d sweep entries in the audit log; want 0 and 1", left, sweeps)
		}
	})

	t.Run("log ingestion counts each request and each visitor once", func(t *testing.T) {
		for i, s := range srvs {
			deadline := time.Now().Add(20 * time.Second)
			for !strings.Contains(s.output(), "usage ingestion: counted") {
				if time.Now().After(deadline) {
					t.Fatalf("%s did not count its log:\n%s", names[i], s.output())
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
		day := yesterday.Format(time.DateOnly)
		tr, err := usage.Query(ctx, db, day, day, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(tr.Days) != 1 || tr.Instances != 3 {
			t.Fatalf("usage of %s: %+v from %d instances", day, tr.Days, tr.Instances)
		}
		if d := tr.Days[0]; d.Requests != 16 || d.Visitors != 10 {
			t.Errorf("usage of %s: %d requests by %d visitors; want 16 by 10 (the instances' figures add up to 16 visitors)", day, d.Requests, d.Visitors)
		}
	})

	if code, out, errs := run(t, "audit", "verify", "--db", dsn, "--secret-key", masterKey); code != 0 {
		t.Errorf("plenary audit verify: %d\n%s%s", code, out, errs)
	}
}
