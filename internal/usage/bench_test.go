package usage_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"plenary/internal/store/storetest"
	"plenary/internal/usage"
)

// BenchmarkIngestDay measures counting one busy day's log file (100,000
// lines from 5,000 visitors over 2,000 pages) into the database on SQLite:
// parsing, per-group visitor sets, folding and the one transaction.
func BenchmarkIngestDay(b *testing.B) {
	dir := b.TempDir()
	const lines = 100_000
	path := filepath.Join(dir, "access-bench-2026-03-10.log")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	agents := []string{firefox, rareAgent, bot, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"}
	for i := range lines {
		v := i % 5000
		fmt.Fprintf(w, "10.%d.%d.%d - - [10/Mar/2026:%02d:%02d:%02d +0000] \"GET /doc/%d HTTP/1.1\" 200 %d \"https://ref%d.example/\" %q\n",
			v>>16, (v>>8)&255, v&255, i%24, i%60, i%60, i%2000, 500+i%700, i%40, agents[v%len(agents)])
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	ctx := context.Background()
	var sketchBytes int64
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		db := storetest.SQLite(b)
		in := &usage.Ingester{DB: db, Dir: dir, Instance: "bench", MinVisitors: 5}
		b.StartTimer()
		got, err := in.Run(ctx, time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC))
		if err != nil || len(got) != 1 {
			b.Fatalf("ingested %v, %v", got, err)
		}
		b.StopTimer()
		// What the day's sketches take in the database until they are
		// settled, as stored (hex).
		if err := db.QueryRow(ctx, `SELECT (SELECT COALESCE(SUM(LENGTH(visitor_sketch)), 0) FROM usage_counts)
			+ (SELECT COALESCE(SUM(LENGTH(visitor_sketch) + LENGTH(human_sketch)), 0) FROM usage_days)`).Scan(&sketchBytes); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
	b.ReportMetric(float64(sketchBytes), "sketch-bytes/day")
}
