// Command crash checks that plenary loses no acknowledged write when it is
// killed (S1): it builds plenary, starts `plenary serve --demo`, drives
// concurrent writes through the real HTTP forms — sign-ups, meeting
// registrations, list postings, inquiries and mailing consent changes —
// while killing a server with SIGKILL at random moments and starting it
// again, and then checks that every write answered with a 2xx or 3xx is in
// the database and intact, that the database passes its integrity checks
// (SQLite's integrity_check and foreign_key_check; on PostgreSQL amcheck's
// heap and B-tree checks of every table and index), and that
// `plenary audit verify` finds the audit chain whole.
//
//	go run ./bench/crash                        # SQLite, one instance
//	go run ./bench/crash -db postgres://postgres@127.0.0.1:5432/test -instances 2
//
// With -db, two (or -instances) servers share a fresh schema in that
// database and either is killed at random; the schema is dropped at the
// end. The exit status is 1 when anything acknowledged was lost.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"plenary/bench/benchkit"
	"plenary/internal/store"
)

func main() {
	dsn := flag.String("db", "", "PostgreSQL URL (a schema is created and dropped); empty for SQLite")
	instances := flag.Int("instances", 0, "servers sharing the database (default 1 on SQLite, 2 on PostgreSQL)")
	duration := flag.Duration("duration", 60*time.Second, "how long to write and kill")
	kills := flag.Int("kills", 60, "how many SIGKILLs to spread over the duration")
	writers := flag.Int("writers", 6, "concurrent writers")
	flag.Parse()
	if *instances <= 0 {
		*instances = 1
		if *dsn != "" {
			*instances = 2
		}
	}
	if *dsn == "" && *instances > 1 {
		log.Fatal("several instances need -db (PostgreSQL)")
	}
	ctx := context.Background()
	work, err := os.MkdirTemp("", "plenary-crash-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(work)
	bin := filepath.Join(work, "plenary")
	build := exec.Command("go", "build", "-o", bin, "./cmd/plenary")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		log.Fatalf("building plenary (run from the repository root): %v", err)
	}

	db := *dsn
	engine := "sqlite"
	if db != "" {
		engine = "postgres"
		var drop func()
		db, drop, err = benchkit.WithSchema(ctx, db, "", "crash")
		if err != nil {
			log.Fatal(err)
		}
		defer drop()
	}
	key := make([]byte, 32)
	rand.Read(key)
	r := &run{bin: bin, db: db, key: base64.StdEncoding.EncodeToString(key)}
	for i := range *instances {
		dir := filepath.Join(work, fmt.Sprintf("data-%d", i+1))
		if err := os.MkdirAll(dir, 0o700); err != nil {
			log.Fatal(err)
		}
		r.servers = append(r.servers, &server{name: fmt.Sprintf("crash-%d", i+1), dir: dir, port: freePort()})
	}
	// The first server seeds the demo content alone; the others join it.
	for _, s := range r.servers {
		if err := r.start(s); err != nil {
			log.Fatal(err)
		}
	}
	fx, err := r.fixtures(ctx)
	if err != nil {
		r.stopAll()
		log.Fatal(err)
	}

	// Each writer's signed-in accounts sign in before the kills start:
	// a password check takes a good part of a second, and a session, once
	// made, is in the database and outlives every kill.
	ws := make([]*writer, *writers)
	var signIns sync.WaitGroup
	for w := range ws {
		signIns.Go(func() { ws[w] = r.newWriter(w, fx) })
	}
	signIns.Wait()
	started := time.Now()
	deadline := started.Add(*duration)
	var wg sync.WaitGroup
	for _, w := range ws {
		wg.Go(func() { r.write(w, fx, deadline) })
	}
	killed := 0
	var down time.Duration
	gap := *duration / time.Duration(*kills)
	for time.Now().Before(deadline) {
		time.Sleep(gap/2 + time.Duration(mrand.Int64N(int64(gap))))
		if !time.Now().Before(deadline) {
			break
		}
		s := r.servers[mrand.IntN(len(r.servers))]
		s.kill()
		killed++
		t0 := time.Now()
		err := r.start(s)
		down += time.Since(t0)
		if err != nil {
			log.Printf("restarting %s after kill %d: %v", s.name, killed, err)
			break
		}
	}
	wg.Wait()
	// The last kill: the check reads what a crash leaves.
	for _, s := range r.servers {
		s.kill()
		killed++
	}

	lost, report := r.verify(ctx, engine)
	fmt.Printf("engine %s, %d instance(s), %s of writes with %d writers\n", engine, len(r.servers), duration.Round(time.Second), *writers)
	fmt.Printf("kills survived: %d (SIGKILL, then restart; %d during the writes, restart to first answer %s on average)\n",
		killed, killed-len(r.servers), (down / time.Duration(max(1, killed-len(r.servers)))).Round(time.Millisecond))
	for _, k := range kinds {
		fmt.Printf("  %-13s acknowledged %5d   attempted %5d   lost %d\n", k, r.acked[k], r.tried[k].Load(), lost[k])
	}
	total := 0
	for _, n := range lost {
		total += n
	}
	fmt.Print(report)
	fmt.Printf("acknowledged writes lost: %d\n", total)
	if total > 0 || strings.Contains(report, "FAILED") {
		os.Exit(1)
	}
}

var kinds = []string{"signup", "inquiry", "registration", "posting", "consent"}

type run struct {
	bin, db, key string
	servers      []*server

	mu    sync.Mutex
	acked map[string]int
	// writes acknowledged, by kind: what to look for afterwards.
	signups, inquiries, registrations, postings []ackedWrite
	// consent is each consent writer's last acknowledged state, "" when a
	// later request went unanswered and the state is unknown.
	consent map[string]string
	tried   map[string]*atomic.Int64
}

type ackedWrite struct{ key, name, text string }

type server struct {
	name, dir string
	port      int
	mu        sync.Mutex
	cmd       *exec.Cmd
	done      chan struct{}
}

func (s *server) url() string { return fmt.Sprintf("http://127.0.0.1:%d", s.port) }

func freePort() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// start runs `plenary serve` for s and waits until it answers.
func (r *run) start(s *server) error {
	args := []string{"serve", "--addr", fmt.Sprintf("127.0.0.1:%d", s.port), "--data", s.dir, "--instance", s.name,
		"--secret-key", r.key, "--base-url", "http://plenary.test", "--trusted-proxies", "127.0.0.1", "--demo"}
	if r.db != "" {
		args = append(args, "--db", r.db)
	}
	cmd := exec.Command(r.bin, args...)
	cmd.Env = environ()
	cmd.Stdout = io.Discard
	logf, err := os.OpenFile(filepath.Join(s.dir, "server.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd.Stderr = logf
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()
	c := &http.Client{Timeout: time.Second}
	for range 600 {
		select {
		case <-done:
			return fmt.Errorf("%s exited at start; see %s", s.name, filepath.Join(s.dir, "server.log"))
		default:
		}
		if res, err := c.Get(s.url() + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer within 12 s", s.name)
}

// kill ends s at once, as a crash or the out-of-memory killer would.
func (s *server) kill() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

func (r *run) stopAll() {
	for _, s := range r.servers {
		s.kill()
	}
}

// fixtures are what the writers need from the demo content.
type fixtures struct {
	meeting, ticket string
	list            string
	posters         []string // demo accounts that post to the list
	consenters      []string // demo accounts that change their mailing consent
}

func (r *run) fixtures(ctx context.Context) (fixtures, error) {
	var fx fixtures
	db, err := r.open(ctx)
	if err != nil {
		return fx, err
	}
	defer db.Close()
	var meeting, ticket int64
	today := time.Now().UTC().Format(time.DateOnly)
	if err := db.QueryRow(ctx, `SELECT m.id, t.id FROM meetings m JOIN meeting_tickets t ON t.meeting_id = m.id
		WHERE m.starts_on > ? AND t.fee = 0 ORDER BY m.id LIMIT 1`, today).Scan(&meeting, &ticket); err != nil {
		return fx, fmt.Errorf("finding the demo meeting's free ticket: %w", err)
	}
	fx.meeting, fx.ticket = strconv.FormatInt(meeting, 10), strconv.FormatInt(ticket, 10)
	if err := db.QueryRow(ctx, "SELECT name FROM lists ORDER BY id LIMIT 1").Scan(&fx.list); err != nil {
		return fx, fmt.Errorf("finding a demo list: %w", err)
	}
	fx.posters = []string{"grace@demo.example", "tim@demo.example"}
	fx.consenters = []string{"admin@demo.example", "secretariat@demo.example", "security@demo.example", "finance@demo.example", "privacy@demo.example"}
	r.acked = map[string]int{}
	r.consent = map[string]string{}
	r.tried = map[string]*atomic.Int64{}
	for _, k := range kinds {
		r.tried[k] = new(atomic.Int64)
	}
	return fx, nil
}

func (r *run) open(ctx context.Context) (*store.DB, error) {
	if r.db != "" {
		return store.Open(ctx, r.db, "")
	}
	return store.Open(ctx, "", r.servers[0].dir)
}

// client is one writer's browser: its own cookies, its own address.
type client struct {
	r    *run
	http *http.Client
	ip   string
}

// post sends a form to a random server and reports whether the answer
// acknowledged it (2xx or 3xx), and whether any answer came at all.
func (c *client) post(path string, form url.Values) (acked, answered bool) {
	s := c.r.servers[mrand.IntN(len(c.r.servers))]
	req, _ := http.NewRequest("POST", s.url()+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", c.ip)
	res, err := c.http.Do(req)
	if err != nil {
		if os.Getenv("CRASH_DEBUG") != "" {
			log.Printf("POST %s: %v", path, err)
		}
		// Down, or killed mid-request: wait a moment for the restart.
		time.Sleep(50 * time.Millisecond)
		return false, false
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if os.Getenv("CRASH_DEBUG") != "" && res.StatusCode >= 400 {
		msg := string(body)
		if i := strings.Index(msg, `class="lead">`); i >= 0 {
			msg = msg[i:]
		}
		log.Printf("POST %s: %d %.160s", path, res.StatusCode, msg)
	}
	if res.StatusCode >= 500 && res.StatusCode != 503 {
		log.Printf("POST %s: %d", path, res.StatusCode)
	}
	return res.StatusCode < 400, true
}

func newClient(r *run) *client {
	jar, _ := cookiejar.New(nil)
	return &client{r: r, http: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// signIn signs a demo account in, retrying until some server answers.
// The jar is keyed by host, and every server is 127.0.0.1, so the session
// goes to whichever server the next request reaches.
func (c *client) signIn(addr string, deadline time.Time) bool {
	for time.Now().Before(deadline) {
		if ok, _ := c.post("/login", url.Values{"email": {addr}, "password": {"plenary-demo-password"}}); ok {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

func (r *run) ack(kind string, w ackedWrite) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.acked[kind]++
	switch kind {
	case "signup":
		r.signups = append(r.signups, w)
	case "inquiry":
		r.inquiries = append(r.inquiries, w)
	case "registration":
		r.registrations = append(r.registrations, w)
	case "posting":
		r.postings = append(r.postings, w)
	}
}

// write is one writer: it cycles through the kinds of write until the
// deadline, each with a unique marker so it can be found afterwards.
type writer struct {
	n                         int
	c, posterClient, consentC *client
	consenter                 string
	postingReady, consentOK   bool
}

func (r *run) newWriter(w int, fx fixtures) *writer {
	c := newClient(r)
	c.ip = fmt.Sprintf("10.%d.%d.%d", w, mrand.IntN(250), mrand.IntN(250)+1)
	wr := &writer{n: w, c: c, posterClient: newClient(r), consentC: newClient(r)}
	wr.posterClient.ip, wr.consentC.ip = c.ip, c.ip
	signInBy := time.Now().Add(2 * time.Minute)
	wr.postingReady = wr.posterClient.signIn(fx.posters[w%len(fx.posters)], signInBy)
	if w < len(fx.consenters) {
		wr.consenter = fx.consenters[w]
		wr.consentOK = wr.consentC.signIn(wr.consenter, signInBy)
	}
	return wr
}

func (r *run) write(wr *writer, fx fixtures, deadline time.Time) {
	w, c, posterClient, consentClient, consenter := wr.n, wr.c, wr.posterClient, wr.consentC, wr.consenter
	postingReady, consentReady := wr.postingReady, wr.consentOK
	// The demo's staff accounts already take announcements: stop first.
	subscribe := false
	for n := 0; time.Now().Before(deadline); n++ {
		tag := fmt.Sprintf("w%d-%d-%s", w, n, randHex(4))
		// A new client address now and then keeps the per-client limits
		// (which are real, and answer 429) from refusing most writes.
		if n%5 == 0 {
			c.ip = fmt.Sprintf("10.%d.%d.%d", w, mrand.IntN(250), mrand.IntN(250)+1)
		}
		switch kind := kinds[n%len(kinds)]; kind {
		case "signup":
			r.tried[kind].Add(1)
			name, addr := "Crash Signup "+tag, "signup-"+tag+"@example.org"
			if ok, _ := c.post("/signup", url.Values{"name": {name}, "email": {addr}, "password": {"crash test passphrase " + tag},
				"age_ok": {"1"}, "consent": {"1"}}); ok {
				r.ack(kind, ackedWrite{key: addr, name: name})
			}
		case "inquiry":
			r.tried[kind].Add(1)
			name, addr, msg := "Crash Inquirer "+tag, "inquiry-"+tag+"@example.org", "Crash test inquiry "+tag+".\nIt has two lines."
			if ok, _ := c.post("/contact", url.Values{"name": {name}, "email": {addr}, "category": {"general"}, "message": {msg}, "consent": {"1"}}); ok {
				r.ack(kind, ackedWrite{key: addr, name: name, text: msg})
			}
		case "registration":
			r.tried[kind].Add(1)
			name, addr := "Crash Registrant "+tag, "reg-"+tag+"@example.org"
			if ok, _ := c.post("/meetings/"+fx.meeting+"/register", url.Values{"name": {name}, "email": {addr}, "ticket": {fx.ticket},
				"age_ok": {"1"}, "consent": {"1"}}); ok {
				r.ack(kind, ackedWrite{key: addr, name: name})
			}
		case "posting":
			if !postingReady {
				continue
			}
			r.tried[kind].Add(1)
			subject, body := "Crash posting "+tag, "Crash test posting "+tag+".\n\nSecond paragraph."
			if ok, _ := posterClient.post("/lists/"+fx.list+"/post", url.Values{"subject": {subject}, "body": {body}, "accept_terms": {"1"}}); ok {
				r.ack(kind, ackedWrite{key: subject, text: body})
			}
		case "consent":
			if !consentReady {
				continue
			}
			r.tried[kind].Add(1)
			form, want := url.Values{"action": {"stop"}}, "opted_out"
			if subscribe {
				form, want = url.Values{"action": {"subscribe"}, "optin": {"yes"}}, "pending"
			}
			ok, answered := consentClient.post("/account/mailings", form)
			r.mu.Lock()
			if answered {
				// Done, or refused with nothing changed (nothing to
				// stop, or too many opt-ins lately): try the other.
				subscribe = !subscribe
			}
			switch {
			case ok:
				r.acked[kind]++
				r.consent[consenter] = want
			case !answered:
				// Lost in a kill: it may or may not have happened.
				r.consent[consenter] = ""
			}
			r.mu.Unlock()
		}
	}
}

// environ is this process's environment without PLENARY_* settings, so
// the machine's configuration cannot leak into the servers under test.
func environ() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PLENARY_") {
			env = append(env, kv)
		}
	}
	return env
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// verify looks for every acknowledged write and runs the integrity checks.
func (r *run) verify(ctx context.Context, engine string) (map[string]int, string) {
	lost := map[string]int{}
	var report strings.Builder
	db, err := r.open(ctx)
	if err != nil {
		log.Fatalf("opening the database after the run: %v", err)
	}
	defer db.Close()
	check := func(kind string, ws []ackedWrite, query string, want func(w ackedWrite) []string) {
		for _, w := range ws {
			rows, err := db.Query(ctx, query, w.key)
			if err != nil {
				log.Fatalf("checking %s %s: %v", kind, w.key, err)
			}
			found := false
			for rows.Next() {
				var a, b string
				if err := rows.Scan(&a, &b); err != nil {
					log.Fatal(err)
				}
				if exp := want(w); a == exp[0] && b == exp[1] {
					found = true
				}
			}
			rows.Close()
			if !found {
				lost[kind]++
				fmt.Fprintf(&report, "LOST %s %s\n", kind, w.key)
			}
		}
	}
	check("signup", r.signups, "SELECT p.name, e.address FROM person_emails e JOIN people p ON p.id = e.person_id WHERE e.address = ?",
		func(w ackedWrite) []string { return []string{w.name, w.key} })
	check("inquiry", r.inquiries, "SELECT name, message FROM inquiries WHERE email = ?",
		func(w ackedWrite) []string { return []string{w.name, w.text} })
	check("registration", r.registrations, "SELECT name, email FROM registrations WHERE email = ?",
		func(w ackedWrite) []string { return []string{w.name, w.key} })
	check("posting", r.postings, "SELECT subject, body FROM list_posts WHERE subject = ?",
		func(w ackedWrite) []string { return []string{w.key, w.text} })
	for addr, want := range r.consent {
		if want == "" {
			continue
		}
		var state string
		err := db.QueryRow(ctx, `SELECT s.state FROM mailing_subscriptions s JOIN person_emails e ON e.person_id = s.person_id
			WHERE e.address = ?`, addr).Scan(&state)
		if err != nil || state != want {
			lost["consent"]++
			fmt.Fprintf(&report, "LOST consent of %s: %q, want %q (%v)\n", addr, state, want, err)
		}
	}
	if engine == "sqlite" {
		report.WriteString(sqliteIntegrity(ctx, db))
	} else {
		report.WriteString(postgresIntegrity(ctx, db))
	}
	args := []string{"audit", "verify", "--data", r.servers[0].dir, "--secret-key", r.key}
	if r.db != "" {
		args = append(args, "--db", r.db)
	}
	cmd := exec.Command(r.bin, args...)
	cmd.Env = environ()
	out, err := cmd.CombinedOutput()
	if err != nil {
		fmt.Fprintf(&report, "plenary audit verify FAILED: %v\n%s", err, out)
	} else {
		fmt.Fprintf(&report, "plenary audit verify: %s", out)
	}
	return lost, report.String()
}

// sqliteIntegrity runs SQLite's own checks: the file's structure, and
// every foreign key pointing at a row that exists.
func sqliteIntegrity(ctx context.Context, db *store.DB) string {
	var out strings.Builder
	var res string
	if err := db.QueryRow(ctx, "PRAGMA integrity_check").Scan(&res); err != nil || res != "ok" {
		fmt.Fprintf(&out, "integrity_check FAILED: %q %v\n", res, err)
	} else {
		out.WriteString("PRAGMA integrity_check: ok\n")
	}
	var broken int
	if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM pragma_foreign_key_check").Scan(&broken); err != nil || broken != 0 {
		fmt.Fprintf(&out, "foreign_key_check FAILED: %d rows point nowhere %v\n", broken, err)
	} else {
		out.WriteString("PRAGMA foreign_key_check: ok\n")
	}
	return out.String()
}

// postgresIntegrity checks every table of the run's schema with amcheck's
// verify_heapam and every B-tree index with bt_index_check, including
// that each row of the table is found in the index (heapallindexed). The
// extension is made in the run's schema, so dropping the schema drops it;
// a database that has it already keeps its own.
func postgresIntegrity(ctx context.Context, db *store.DB) string {
	var schema, ns string
	if err := db.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return fmt.Sprintf("amcheck FAILED: reading the schema: %v\n", err)
	}
	if _, err := db.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS amcheck SCHEMA "`+schema+`"`); err != nil {
		return fmt.Sprintf("amcheck FAILED: the extension is not available (%v)\n", err)
	}
	if err := db.QueryRow(ctx, `SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
		WHERE e.extname = 'amcheck'`).Scan(&ns); err != nil {
		return fmt.Sprintf("amcheck FAILED: finding the extension: %v\n", err)
	}
	texts := func(query string, args ...any) ([]string, error) {
		rows, err := db.Query(ctx, query, args...)
		if err != nil {
			return nil, err
		}
		return store.Collect(rows, store.Scalar[string])
	}
	list := func(kind string) ([]string, error) {
		return texts(`SELECT c.oid::regclass::text FROM pg_class c
			JOIN pg_namespace n ON n.oid = c.relnamespace
			LEFT JOIN pg_am a ON a.oid = c.relam
			WHERE n.nspname = ? AND c.relkind = ? AND (c.relkind = 'r' OR a.amname = 'btree') ORDER BY 1`, schema, kind)
	}
	tables, err := list("r")
	if err != nil {
		return fmt.Sprintf("amcheck FAILED: listing tables: %v\n", err)
	}
	indexes, err := list("i")
	if err != nil {
		return fmt.Sprintf("amcheck FAILED: listing indexes: %v\n", err)
	}
	var out strings.Builder
	problems := 0
	for _, t := range tables {
		rows, err := texts(`SELECT msg FROM "`+ns+`".verify_heapam(?::regclass)`, t)
		if err != nil {
			problems++
			fmt.Fprintf(&out, "verify_heapam %s FAILED: %v\n", t, err)
		}
		for _, msg := range rows {
			problems++
			fmt.Fprintf(&out, "verify_heapam %s: %s\n", t, msg)
		}
	}
	for _, ix := range indexes {
		if _, err := db.Exec(ctx, `SELECT "`+ns+`".bt_index_check(?::regclass, true)`, ix); err != nil {
			problems++
			fmt.Fprintf(&out, "bt_index_check %s FAILED: %v\n", ix, err)
		}
	}
	if problems == 0 {
		fmt.Fprintf(&out, "amcheck: ok (%d tables by verify_heapam, %d B-tree indexes by bt_index_check with every row looked up)\n", len(tables), len(indexes))
	}
	return out.String()
}
