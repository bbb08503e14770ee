package chart

import "testing"

func TestNumber(t *testing.T) {
	for in, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -4500: "-4,500"} {
		if got := Number(in); got != want {
			t.Errorf("Number(%d) = %q, want %q", in, got, want)
		}
	}
}

func TestBarsScaleToTheLargestSeries(t *testing.T) {
	c := Bars("t", []string{"a", "b"}, []int64{10, 5}, []int64{20, 1}, 1)
	if len(c.Bars) != 2 || len(c.Line) != 2 || len(c.Labels) != 2 {
		t.Fatalf("laid out %d bars, %d points, %d labels", len(c.Bars), len(c.Line), len(c.Labels))
	}
	if c.Max != "20" {
		t.Errorf("Max = %q, want the line's 20", c.Max)
	}
	if c.Bars[0].H <= c.Bars[1].H {
		t.Error("larger value drew a shorter bar")
	}
	if c.Line[0].Y >= c.Bars[0].Y {
		t.Error("line point above a larger value is not higher than the bar")
	}
	if empty := Bars("e", nil, nil, nil, 0); len(empty.Bars) != 0 {
		t.Error("empty chart has bars")
	}
}
