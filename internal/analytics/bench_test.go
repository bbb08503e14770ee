package analytics

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// benchLines is a mix of realistic lines: browsers, a bot, IPv6, a 404.
func benchLines(n int) []byte {
	agents := []string{chrome, firefox, "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"}
	var b strings.Builder
	for i := range n {
		ip := fmt.Sprintf("10.%d.%d.%d", i%13, i%211, i%251)
		if i%25 == 0 {
			ip = fmt.Sprintf("2001:db8::%x", i%4099)
		}
		b.WriteString(line(ip, 1+i*30/n, i%24, fmt.Sprintf("/drafts/draft-ietf-quic-topic%d-01.txt", i%500), []int{200, 200, 304, 404}[i%4], agents[i%3]))
	}
	return []byte(b.String())
}

func BenchmarkParseLine(b *testing.B) {
	data := benchLines(1000)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	raw := make([][]byte, len(lines))
	for i, l := range lines {
		raw[i] = []byte(l)
	}
	b.SetBytes(int64(len(data) / len(lines)))
	b.ReportAllocs()
	var e Entry
	for i := 0; b.Loop(); i++ {
		parseInto(&e, raw[i%len(raw)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkAggregate measures parsing plus counting on one goroutine.
func BenchmarkAggregate(b *testing.B) {
	data := benchLines(1000)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	raw := make([][]byte, len(lines))
	for i, l := range lines {
		raw[i] = []byte(l)
	}
	a := NewAggregator(Options{})
	b.SetBytes(int64(len(data) / len(lines)))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		a.AddLine("bench", int64(i), raw[i%len(raw)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkAnalyze runs the whole parallel pipeline on 100,000 lines.
func BenchmarkAnalyze(b *testing.B) {
	const n = 100_000
	data := benchLines(n)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Analyze(context.Background(), []Source{ReaderSource("bench", strings.NewReader(string(data)))}, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "lines/s")
}
