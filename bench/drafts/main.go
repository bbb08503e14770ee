// Command drafts measures the public Internet-Draft pages on a large
// collection: it fills a fresh database (SQLite in a temporary directory,
// or a new schema of the PostgreSQL named by -db) with N drafts generated
// from the real samples in ../shared/testdata/drafts, then serves the real
// web application on a local port and times, through real HTTP requests
// one at a time, the search (/drafts?q=...) and each draft's page
// (/drafts/{name}; an XML-only draft is rendered on every view), printing
// p50 and p95 per engine.
//
//	go run ./bench/drafts -n 20000
//	go run ./bench/drafts -n 20000 -db postgres://postgres@127.0.0.1:5432/test
//
// The variation is deterministic (seed 20261129): draft i is sample i mod
// 4, renamed draft-SAMPLE-TOPICi with TOPIC one of 16 words, its title
// suffixed with the topic. Each keeps its sample's full source.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"plenary/bench/benchkit"
	"plenary/internal/accesslog"
	"plenary/internal/audit"
	"plenary/internal/config"
	"plenary/internal/documents"
	"plenary/internal/inventory"
	"plenary/internal/policy"
	"plenary/internal/store"
	"plenary/internal/web"
)

var topics = []string{"quic", "tls", "routing", "dns", "mail", "http", "yang", "mpls", "bgp", "ipv6", "privacy", "multicast", "sip", "oauth", "uuid", "mobile"}

var samples = []string{
	"draft-ietf-idr-rt-derived-community-00.txt",
	"draft-ietf-mip4-multiple-tunnel-support-07.txt",
	"draft-ietf-uuidrev-rfc4122bis-11.xml",
	"rfc9001.canonical.xml",
}

func main() {
	n := flag.Int("n", 20000, "number of drafts")
	dsn := flag.String("db", "", "PostgreSQL URL (a schema is created and dropped); empty for SQLite in a temporary directory")
	dir := flag.String("samples", "../shared/testdata/drafts", "directory of the real sample drafts")
	reqs := flag.Int("requests", 400, "timed requests per kind")
	flag.Parse()
	if err := run(*n, *dsn, *dir, *reqs); err != nil {
		log.Fatal(err)
	}
}

type sample struct {
	full    string // name with revision, as in the source
	checked documents.Checked
	xmlOnly bool
}

func loadSamples(dir string) ([]sample, error) {
	var out []sample
	for _, f := range samples {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			return nil, err
		}
		up := documents.Upload{AcceptTerms: true}
		if strings.HasSuffix(f, ".xml") {
			up.XML = b
		} else {
			up.Txt = b
		}
		c, err := documents.Check(up, func(string) (string, error) { return "", nil })
		if err != nil {
			return nil, err
		}
		if c.Problems != nil {
			return nil, fmt.Errorf("%s: %v", f, c.Problems)
		}
		out = append(out, sample{full: c.Meta.Name + "-" + c.Meta.Rev, checked: c, xmlOnly: up.Txt == nil})
	}
	return out, nil
}

// generate returns draft i: sample i mod 4 renamed, its sources with the
// new name, its title suffixed with the topic.
func generate(ss []sample, i int, rng *rand.Rand) (documents.Checked, string, bool) {
	s := ss[i%len(ss)]
	topic := topics[rng.IntN(len(topics))]
	c := s.checked
	name := fmt.Sprintf("%s-%s%d", strings.Replace(c.Meta.Name, "draft-ietf-", "draft-", 1), topic, i)
	c.Meta.Name, c.Meta.Rev = name, "00"
	c.Meta.Title = c.Meta.Title + " (" + topic + ")"
	if c.XML != "" {
		c.XML = strings.ReplaceAll(c.XML, s.full, name+"-00")
	}
	if c.Txt != "" {
		c.Txt = strings.ReplaceAll(c.Txt, s.full, name+"-00")
	}
	return c, name, s.xmlOnly
}

func run(n int, dsn, dir string, reqs int) error {
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "plenary-bench-drafts-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	engine := "SQLite"
	if dsn != "" {
		engine = "PostgreSQL"
		var drop func()
		if dsn, drop, err = benchkit.WithSchema(ctx, dsn, tmp, "bench_drafts"); err != nil {
			return err
		}
		defer drop()
	}
	db, err := store.Open(ctx, dsn, tmp)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	ss, err := loadSamples(dir)
	if err != nil {
		return err
	}

	start := time.Now()
	rng := rand.New(rand.NewPCG(20261129, 1))
	var xmlNames, txtNames []string
	posted := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const batch = 250
	for from := 0; from < n; from += batch {
		err := db.Tx(ctx, func(tx *store.Tx) error {
			for i := from; i < min(from+batch, n); i++ {
				c, name, xmlOnly := generate(ss, i, rng)
				if _, err := documents.Post(ctx, tx, c, 0, documents.Submission{}, posted.Add(time.Duration(i)*time.Minute)); err != nil {
					return fmt.Errorf("draft %d: %w", i, err)
				}
				if xmlOnly {
					xmlNames = append(xmlNames, name)
				} else {
					txtNames = append(txtNames, name)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	fmt.Printf("%s: %d drafts loaded in %s\n", engine, n, time.Since(start).Round(time.Millisecond))

	base, stop, err := serve(ctx, db, tmp)
	if err != nil {
		return err
	}
	defer stop()
	client := &http.Client{Timeout: 30 * time.Second}
	get := func(path string) (time.Duration, error) {
		t := time.Now()
		res, err := client.Get(base + path)
		if err != nil {
			return 0, err
		}
		_, err = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			return 0, fmt.Errorf("GET %s: %d", path, res.StatusCode)
		}
		return time.Since(t), err
	}
	qrng := rand.New(rand.NewPCG(7, 7))
	words := append(slices.Clone(topics), "thomson", "uuid", "tunnel", "route target", "nothing-matches-this")
	kinds := []struct {
		label string
		path  func() string
	}{
		{"GET /drafts (newest 200)", func() string { return "/drafts" }},
		{"GET /drafts?q=WORD (topic, author or no match)", func() string { return "/drafts?q=" + url.QueryEscape(words[qrng.IntN(len(words))]) }},
		{"GET /drafts/{name}, text drafts", func() string { return "/drafts/" + txtNames[qrng.IntN(len(txtNames))] }},
		{"GET /drafts/{name}, XML drafts rendered per view", func() string { return "/drafts/" + xmlNames[qrng.IntN(len(xmlNames))] }},
	}
	for _, k := range kinds {
		for range 20 { // warm-up
			if _, err := get(k.path()); err != nil {
				return err
			}
		}
		var ds []time.Duration
		for range reqs {
			d, err := get(k.path())
			if err != nil {
				return err
			}
			ds = append(ds, d)
		}
		slices.Sort(ds)
		fmt.Printf("%s: %-50s p50 %7.2f ms  p95 %7.2f ms  (%d requests)\n", engine, k.label,
			ms(ds[len(ds)/2]), ms(ds[len(ds)*95/100]), len(ds))
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// serve starts the real web application on a local port.
func serve(ctx context.Context, db *store.DB, dir string) (string, func(), error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	load := config.Flags(fs)
	if err := fs.Parse([]string{"--data", dir, "--instance", "bench", "--org-name", "Bench Org", "--privacy-contact", "privacy@bench.example", "--base-url", "http://127.0.0.1"}); err != nil {
		return "", nil, err
	}
	cfg, err := load()
	if err != nil {
		return "", nil, err
	}
	inv := inventory.Default()
	pol := &policy.Service{DB: db, Inventory: inv, Facts: policy.Facts{Org: cfg.OrgName, Contact: cfg.PrivacyContact, RetentionDays: cfg.RetentionDays}}
	if _, err := pol.EnsureCurrent(ctx, time.Now()); err != nil {
		return "", nil, err
	}
	logs, err := accesslog.NewWriter(filepath.Join(dir, "logs"), cfg.Instance)
	if err != nil {
		return "", nil, err
	}
	srv, err := web.New(web.Deps{Config: cfg, DB: db, Inventory: inv, Policy: pol, AccessLog: logs, Version: "bench",
		Audit: &audit.Log{DB: db, Key: []byte("bench audit key, 32 bytes long..")}})
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	return "http://" + ln.Addr().String(), func() { hs.Close(); logs.Close() }, nil
}
