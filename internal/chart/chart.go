// Package chart lays out simple charts as data for server-rendered SVG:
// the geometry is computed in Go and a template draws rectangles and text,
// so report pages need no script and no inline style (the site's Content
// Security Policy forbids both).
package chart

import (
	"fmt"
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

// Chart is a laid-out bar chart with an optional line drawn over it.
type Chart struct {
	Title  string
	W, H   int
	Bars   []Bar
	Line   []Point // second series, same scale as the bars
	Labels []Label
	Max    string
	Legend []string // names of the bar and line series
}

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

// Bars lays out one bar per value, labelling every labelEvery-th bar (0 for
// an automatic spacing); line, when not nil, is drawn as a second series
// on the same scale.
func Bars(title string, names []string, values []int64, line []int64, labelEvery int) Chart {
	const w, h, left, bottom, top = 720.0, 220.0, 8.0, 28.0, 18.0
	c := Chart{Title: title, W: int(w), H: int(h)}
	var mx int64 = 1
	for i, v := range values {
		mx = max(mx, v)
		if i < len(line) {
			mx = max(mx, line[i])
		}
	}
	c.Max = Number(mx)
	if len(values) == 0 {
		return c
	}
	if labelEvery <= 0 {
		labelEvery = max(1, len(values)/8)
	}
	slot := (w - left) / float64(len(values))
	for i, v := range values {
		bh := (h - bottom - top) * float64(v) / float64(mx)
		x := left + float64(i)*slot
		tip := names[i] + ": " + Number(v)
		if i < len(line) {
			tip += " / " + Number(line[i])
		}
		c.Bars = append(c.Bars, Bar{X: x + slot*0.1, Y: h - bottom - bh, W: slot * 0.8, H: bh, Tip: tip})
		if i%labelEvery == 0 {
			c.Labels = append(c.Labels, Label{X: x + slot/2, Y: h - bottom + 16, Text: names[i]})
		}
		if i < len(line) {
			c.Line = append(c.Line, Point{X: x + slot/2, Y: h - bottom - (h-bottom-top)*float64(line[i])/float64(mx)})
		}
	}
	return c
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
