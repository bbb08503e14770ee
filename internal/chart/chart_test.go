package chart

import (
	"strings"
	"testing"
)

func TestNumber(t *testing.T) {
	for in, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -4500: "-4,500"} {
		if got := Number(in); got != want {
			t.Errorf("Number(%d) = %q, want %q", in, got, want)
		}
	}
}

func ticks(ts []Tick) string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Text)
	}
	return strings.Join(out, " ")
}

// TestScalesAreMarked: every chart says what its heights mean, with round
// numbers on its axis.
func TestScalesAreMarked(t *testing.T) {
	tests := []struct {
		values []int64
		log    bool
		want   string
	}{
		{[]int64{0}, false, "0 1"},
		{[]int64{3, 1}, false, "0 1 2 3"},
		{[]int64{10, 5}, false, "0 2 4 6 8 10"},
		{[]int64{1234}, false, "0 500 1,000 1,500"},
		{[]int64{48_000, 120}, false, "0 10k 20k 30k 40k 50k"},
		{[]int64{30_000, 3, 12}, true, "1 10 100 1,000 10k 100k"},
		{[]int64{0}, true, "1 10"},
	}
	for _, tt := range tests {
		names := make([]string, len(tt.values))
		c := Bars("t", names, tt.values, nil, 1)
		if tt.log {
			c = LogBars("t", names, tt.values, 1)
		}
		if got := ticks(c.Ticks); got != tt.want {
			t.Errorf("%v (log %v): ticks %q, want %q", tt.values, tt.log, got, tt.want)
		}
		for i, tk := range c.Ticks[1:] {
			if tk.Y >= c.Ticks[i].Y {
				t.Errorf("%v: tick %q is not above %q", tt.values, tk.Text, c.Ticks[i].Text)
			}
		}
	}
}

// TestLineHasAScaleOfItsOwn: visitors drawn over requests use the height
// of the chart and are marked on the right, instead of lying flat on the
// requests' scale.
func TestLineHasAScaleOfItsOwn(t *testing.T) {
	c := Bars("t", []string{"a", "b"}, []int64{10_000, 5_000}, []int64{40, 20}, 1)
	if len(c.Bars) != 2 || len(c.Line) != 2 || len(c.Labels) != 2 {
		t.Fatalf("laid out %d bars, %d points, %d labels", len(c.Bars), len(c.Line), len(c.Labels))
	}
	if got := ticks(c.LineTicks); got != "0 10 20 30 40" {
		t.Errorf("line ticks %q, want 0 to 40", got)
	}
	if got := ticks(c.Ticks); got != "0 2,000 4,000 6,000 8,000 10k" {
		t.Errorf("bar ticks %q", got)
	}
	if c.Line[0].Y != c.Bars[0].Y {
		t.Errorf("the line's largest point is at %.1f, the bars' largest at %.1f: both should touch the top", c.Line[0].Y, c.Bars[0].Y)
	}
	if c.Right >= float64(c.W)-10 {
		t.Error("no room is left on the right for the line's scale")
	}
	if c.Bars[0].Tip != "a: 10,000 / 40" {
		t.Errorf("tip %q", c.Bars[0].Tip)
	}
	if empty := Bars("e", nil, nil, nil, 0); len(empty.Bars) != 0 {
		t.Error("empty chart has bars")
	}
}

// TestLogBarsShowSmallCounts: beside 30,000 answers of 200, three errors
// still make a bar a reader can see.
func TestLogBarsShowSmallCounts(t *testing.T) {
	lin := Bars("t", []string{"200", "500"}, []int64{30_000, 3}, nil, 1)
	log := LogBars("t", []string{"200", "500"}, []int64{30_000, 3}, 1)
	plot := float64(lin.H) - 28 - 18
	if lin.Bars[1].H >= 1 {
		t.Errorf("linear bar for 3 is %.2f high; the test expects it invisible", lin.Bars[1].H)
	}
	if log.Bars[1].H < plot/10 {
		t.Errorf("log bar for 3 is %.1f of %.0f: too small to see", log.Bars[1].H, plot)
	}
	if !log.Log || log.Bars[0].H <= log.Bars[1].H {
		t.Error("log bars lost their order")
	}
}
