package e2e

import (
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"plenary/internal/store/storetest"
	"plenary/internal/testcert"
)

// foundationPaths are the pages a fresh installation must serve.
var foundationPaths = []string{"/", "/privacy", "/privacy/versions", "/privacy/cookies", "/healthz"}

// TestFreshStart checks the newcomer's first run on each engine: nothing
// but a data directory, and the public pages answer 200, the health check
// names the engine, and each request is in the access log.
func TestFreshStart(t *testing.T) {
	engines(t, func(t *testing.T, db []string) {
		srv := startServer(t, db...)
		for _, p := range foundationPaths {
			if res := srv.get(t, p); res.Status != 200 {
				t.Errorf("GET %s: %d", p, res.Status)
			} else if c := res.Header.Values("Set-Cookie"); len(c) > 0 {
				t.Errorf("GET %s set cookies %q", p, c)
			}
		}
		h := health(t, srv)
		want := "sqlite"
		if len(db) > 0 {
			want = "postgres"
		}
		if h["engine"] != want || h["status"] != "ok" {
			t.Errorf("healthz %v, want engine %s", h, want)
		}
		if len(db) == 0 {
			if _, err := os.Stat(filepath.Join(srv.DataDir, "plenary.db")); err != nil {
				t.Errorf("no SQLite database in the data directory: %v", err)
			}
		}
		srv.waitForLog(t, `"GET /healthz HTTP/1.1" 200`)
		lines := srv.logLines(t)
		if len(lines) < len(foundationPaths) {
			t.Errorf("%d access-log lines for %d requests", len(lines), len(foundationPaths)+1)
		}
	})
}

func health(t *testing.T, s *server) map[string]string {
	t.Helper()
	res := s.get(t, "/healthz")
	var h map[string]string
	if err := json.Unmarshal([]byte(res.Body), &h); err != nil {
		t.Fatalf("healthz %d %q: %v", res.Status, res.Body, err)
	}
	return h
}

// TestTwoInstancesSharePostgres checks the scale-out set-up: two servers
// against one PostgreSQL both serve, agree on the privacy statement (one
// first version, not two), and each writes its own access log.
func TestTwoInstancesSharePostgres(t *testing.T) {
	db := storetest.PostgresURL(t)
	// Started together, so that they race for migrations and the first
	// statement version, as instances behind one proxy do after a deploy.
	names := []string{"web-1", "web-2"}
	srvs := make([]*server, len(names))
	for i, name := range names {
		srvs[i] = launchServer(t, "--db", db, "--instance", name, "--trusted-proxies", "127.0.0.1")
	}
	for _, s := range srvs {
		s.waitReady(t)
	}
	for i, s := range srvs {
		for _, p := range foundationPaths {
			if res := s.get(t, p); res.Status != 200 {
				t.Errorf("%s: GET %s: %d", names[i], p, res.Status)
			}
		}
		h := health(t, s)
		if h["engine"] != "postgres" || h["instance"] != names[i] {
			t.Errorf("%s: healthz %v", names[i], h)
		}
		// A request through the proxy is logged with the visitor's address.
		req, _ := http.NewRequest("GET", s.URL+"/privacy?from="+names[i], nil)
		req.Header.Set("X-Forwarded-For", "198.51.100.7")
		res, err := s.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	for i, s := range srvs {
		files := s.logFiles(t)
		if len(files) != 1 || !strings.Contains(filepath.Base(files[0]), "access-"+names[i]+"-") {
			t.Errorf("%s: access log files %v", names[i], files)
		}
		if l := s.waitForLog(t, "/privacy?from="+names[i]); !strings.HasPrefix(l, "198.51.100.7 - - [") {
			t.Errorf("%s: forwarded request logged as %q", names[i], l)
		}
		lines := strings.Join(s.logLines(t), "\n")
		if other := names[1-i]; strings.Contains(lines, "from="+other) {
			t.Errorf("%s logged a request of %s", names[i], other)
		}
	}
	for i, s := range srvs {
		body := s.get(t, "/privacy/versions").Body
		if n := strings.Count(body, "First version of the privacy statement."); n != 1 {
			t.Errorf("%s: versions page lists %d first versions, want 1", names[i], n)
		}
	}
	if a, b := srvs[0].get(t, "/privacy").Body, srvs[1].get(t, "/privacy").Body; a != b {
		t.Error("the two instances serve different privacy statements")
	}
}

// TestGracefulShutdown checks that SIGTERM stops the server cleanly: exit
// status 0, a last log line saying so, and an idle keep-alive connection
// does not hold it up.
func TestGracefulShutdown(t *testing.T) {
	srv := startServer(t)
	srv.get(t, "/") // leaves an idle keep-alive connection in the client
	start := time.Now()
	if code := srv.stop(t); code != 0 {
		t.Fatalf("exit status %d after SIGTERM:\n%s", code, srv.output())
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("stopping took %v", d)
	}
	out := srv.output()
	if !strings.Contains(out, "shutting down") || !strings.Contains(out, "msg=stopped") {
		t.Errorf("no clean stop in the log:\n%s", out)
	}
	if _, err := net.DialTimeout("tcp", strings.TrimPrefix(srv.URL, "http://"), time.Second); err == nil {
		t.Error("the port still accepts connections after the server stopped")
	}
}

// TestServeTLS checks S2 with the operator's certificate: HTTPS is served
// with HSTS on every answer.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key := testcert.SelfSigned(t, dir)
	srv := startServer(t, "--tls-cert", cert, "--tls-key", key)
	if !strings.HasPrefix(srv.URL, "https://") {
		t.Fatalf("serving %s, want https", srv.URL)
	}
	for _, p := range []string{"/", "/privacy", "/healthz", "/missing"} {
		res := srv.get(t, p)
		if hsts := res.Header.Get("Strict-Transport-Security"); !strings.Contains(hsts, "max-age=") {
			t.Errorf("GET %s: Strict-Transport-Security %q", p, hsts)
		}
	}
	// Plain HTTP to the TLS port is not served.
	res, err := http.Get("http://" + strings.TrimPrefix(srv.URL, "https://") + "/")
	if err == nil {
		res.Body.Close()
		if res.StatusCode == 200 {
			t.Error("plain HTTP was served on the TLS port")
		}
	}
}

// TestBadConfigurationExits checks the binary itself: a bad setting
// exits 1 with one line on stderr that names it.
func TestBadConfigurationExits(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, []byte("x"), 0o600)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unwritable data dir", []string{"--data", filepath.Join(file, "sub")}, "plenary serve: --data:"},
		{"MySQL URL", []string{"--data", dir, "--db", "mysql://x"}, "plenary serve: --db:"},
		{"unreachable PostgreSQL", []string{"--data", dir, "--db", "postgres://127.0.0.1:1/nope"}, "plenary serve: --db: connecting to PostgreSQL"},
		{"bad TLS files", []string{"--data", dir, "--tls-cert", file, "--tls-key", file}, "plenary serve: --tls-cert:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := run(t, append([]string{"serve", "--addr", "127.0.0.1:0"}, tt.args...)...)
			if code != 1 || !strings.HasPrefix(stderr, tt.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want 1 and one line starting %q", code, stderr, tt.want)
			}
		})
	}
}
