// Package chart lays out simple charts as data for server-rendered SVG:
// the geometry is computed in Go and a template draws rectangles and text,
// so report pages need no script and no inline style (the site's Content
// Security Policy forbids both).
package chart

import (
	"fmt"
	"math"
	"strconv"
)

// Bar is one rectangle with its tooltip.
type Bar struct {
	X, Y, W, H float64
	Tip        string
}

// Label is a piece of axis text.
type Label struct {
	X, Y float64
	Text string
}

// Point is a vertex of a line series.
type Point struct{ X, Y float64 }

// Tick is a value marked on an axis: a grid line at height Y and its text.
type Tick struct {
	Y    float64
	Text string
}

// Chart is a laid-out bar chart with an optional line drawn over it.
type Chart struct {
	Title  string
	W, H   int
	Bars   []Bar
	Line   []Point // second series, on a scale of its own (LineTicks)
	Labels []Label
	Max    string   // the largest bar
	Legend []string // names of the bar and line series
	// Ticks mark the bars' scale on the left; LineTicks the line's on the
	// right. Left and Right are where the plot area begins and ends.
	Ticks, LineTicks []Tick
	Left, Right      float64
	// Log is set when the bars' heights are logarithmic.
	Log bool
}

// TickX is where the bars' scale is written, right-aligned; LineTickX
// where the line's is, left-aligned.
func (c Chart) TickX() float64     { return c.Left - 4 }
func (c Chart) LineTickX() float64 { return c.Right + 4 }

// Polyline renders Line as an SVG points attribute.
func (c Chart) Polyline() string {
	b := make([]byte, 0, len(c.Line)*14)
	for i, p := range c.Line {
		if i > 0 {
			b = append(b, ' ')
		}
		b = strconv.AppendFloat(b, p.X, 'f', 1, 64)
		b = append(b, ',')
		b = strconv.AppendFloat(b, p.Y, 'f', 1, 64)
	}
	return string(b)
}

// Geometry of every chart: the plot area leaves room for the scales' text
// on the left and, with a line, on the right, and for the labels below.
const (
	width, height        = 720.0, 220.0
	marginLeft, marginRt = 52.0, 8.0
	marginLine           = 52.0 // right margin for the line's scale
	bottom, top          = 28.0, 18.0
)

// scale maps values to heights in the plot area.
type scale struct {
	top   int64 // the value at the top of the plot area
	log   bool
	ticks []int64
}

// linearScale runs from 0 to a round number at or above max, with ticks at
// a round step (1, 2 or 5 times a power of ten), at most six of them.
func linearScale(largest int64) scale {
	step := int64(1)
	for {
		for _, m := range []int64{1, 2, 5} {
			if s := step * m; (largest+s-1)/s <= 5 {
				sc := scale{top: max(1, (largest+s-1)/s) * s}
				for v := int64(0); v <= sc.top; v += s {
					sc.ticks = append(sc.ticks, v)
				}
				return sc
			}
		}
		step *= 10
	}
}

// logScale runs from 0 to the power of ten at or above max, with a tick at
// each power of ten from 1 (0 would sit on top of 1), so that a count of 3
// stays visible beside 30,000.
func logScale(largest int64) scale {
	sc := scale{top: 1, log: true, ticks: []int64{1}}
	for sc.top < largest {
		sc.top *= 10
		sc.ticks = append(sc.ticks, sc.top)
	}
	if sc.top == 1 {
		sc.top = 10
		sc.ticks = append(sc.ticks, 10)
	}
	return sc
}

// frac is how far up the plot area v stands.
func (s scale) frac(v int64) float64 {
	if v <= 0 {
		return 0
	}
	if s.log {
		return math.Log10(1+float64(v)) / math.Log10(1+float64(s.top))
	}
	return float64(v) / float64(s.top)
}

func (s scale) layTicks() []Tick {
	out := make([]Tick, len(s.ticks))
	for i, v := range s.ticks {
		out[i] = Tick{Y: height - bottom - (height-bottom-top)*s.frac(v), Text: Short(v)}
	}
	return out
}

// Bars lays out one bar per value, labelling every labelEvery-th bar (0 for
// an automatic spacing). line, when not nil, is a second series drawn as a
// line on a scale of its own, marked on the right: visitors are far fewer
// than requests, and on the bars' scale their line would lie flat.
func Bars(title string, names []string, values []int64, line []int64, labelEvery int) Chart {
	var bmax, lmax int64
	for _, v := range values {
		bmax = max(bmax, v)
	}
	for _, v := range line {
		lmax = max(lmax, v)
	}
	c := layout(title, names, values, linearScale(bmax), labelEvery, line != nil)
	if line != nil {
		ls := linearScale(lmax)
		c.LineTicks = ls.layTicks()
		slot := (c.Right - c.Left) / float64(max(1, len(values)))
		for i, v := range line {
			if i >= len(values) {
				break
			}
			c.Line = append(c.Line, Point{X: c.Left + float64(i)*slot + slot/2, Y: height - bottom - (height-bottom-top)*ls.frac(v)})
			c.Bars[i].Tip += " / " + Number(v)
		}
	}
	return c
}

// LogBars lays out bars on a logarithmic scale, for counts of very
// different sizes, such as status codes where 200 outnumbers the rest by
// thousands.
func LogBars(title string, names []string, values []int64, labelEvery int) Chart {
	var bmax int64
	for _, v := range values {
		bmax = max(bmax, v)
	}
	c := layout(title, names, values, logScale(bmax), labelEvery, false)
	c.Log = true
	return c
}

func layout(title string, names []string, values []int64, sc scale, labelEvery int, withLine bool) Chart {
	c := Chart{Title: title, W: int(width), H: int(height), Left: marginLeft, Right: width - marginRt, Ticks: sc.layTicks()}
	if withLine {
		c.Right = width - marginLine
	}
	var mx int64
	for _, v := range values {
		mx = max(mx, v)
	}
	c.Max = Number(mx)
	if len(values) == 0 {
		return c
	}
	if labelEvery <= 0 {
		labelEvery = max(1, len(values)/8)
	}
	slot := (c.Right - c.Left) / float64(len(values))
	for i, v := range values {
		bh := (height - bottom - top) * sc.frac(v)
		x := c.Left + float64(i)*slot
		c.Bars = append(c.Bars, Bar{X: x + slot*0.1, Y: height - bottom - bh, W: slot * 0.8, H: bh, Tip: names[i] + ": " + Number(v)})
		if i%labelEvery == 0 {
			c.Labels = append(c.Labels, Label{X: x + slot/2, Y: height - bottom + 16, Text: names[i]})
		}
	}
	return c
}

// Short formats a count for an axis: 950, 12k, 3.5M.
func Short(n int64) string {
	switch {
	case n >= 1_000_000 && n%100_000 == 0:
		return strconv.FormatFloat(float64(n)/1e6, 'f', -1, 64) + "M"
	case n >= 10_000 && n%1000 == 0:
		return strconv.FormatInt(n/1000, 10) + "k"
	}
	return Number(n)
}

// Number formats a count with thousands separators.
func Number(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	out := make([]byte, 0, len(s)+len(s)/3)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

// Percent formats part of total as a percentage with one decimal, or "-"
// when there is no total to be a share of.
func Percent(part, total int64) string {
	if total == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(part)/float64(total))
}

// Bytes formats a byte count for people: "1.5 MiB" rather than 1572864.
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	f, i := float64(n)/unit, 0
	for f >= unit && i < 4 {
		f /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", f, "KMGT"[i])
}
