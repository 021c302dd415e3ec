package web

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Charts drawn on the server as SVG, in the page: nothing to load, no
// script, no network (the content security policy allows none of that
// anyway). Each is an image with a title for a screen reader, and each
// page shows the same numbers in a table beside or below it. Colours come
// from the style sheet (classes), so print and the phone see the same.
//
// The drawing's units are CSS pixels at about the width of a phone's
// column, so its type stays readable there; on a wide screen it scales up
// to the style sheet's max-width.

const chartFont = 13

// bar is one bar of a bar chart.
type bar struct {
	Label string
	Value float64
	Text  string // the value as shown, with its unit
}

// barChart is a horizontal bar chart: a bar a row, its label above it
// (whole, however long, up to the drawing's width) and its value after
// it, the longest to scale.
type barChart struct {
	Title string
	Bars  []bar
}

// textWidth is about how wide s is at size px: a CJK character is a
// square, a Latin one about half of it.
func textWidth(s string, size float64) float64 {
	w := 0.0
	for _, r := range s {
		if r >= 0x2e80 {
			w += size
		} else {
			w += size * 0.58
		}
	}
	return w
}

// clip is s cut to fit width px at size, with an ellipsis when cut.
func clip(s string, width, size float64) string {
	if textWidth(s, size) <= width {
		return s
	}
	for s != "" && textWidth(s+"…", size) > width {
		_, n := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-n]
	}
	return s + "…"
}

func esc(s string) string { return template.HTMLEscapeString(s) }

func num(f float64) string { return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64) }

// barWidth is the bar chart's drawing width.
const barWidth = 320

// SVG draws c.
func (c barChart) SVG() template.HTML {
	const row, barH, labelH, valueW = 44, 16, 18, 80
	h := len(c.Bars)*row + 4
	maxV := 0.0
	for _, b := range c.Bars {
		maxV = max(maxV, b.Value)
	}
	var s strings.Builder
	fmt.Fprintf(&s, `<svg class="chart bars" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s" font-size="%d">`,
		barWidth, h, barWidth, h, esc(c.Title), chartFont)
	fmt.Fprintf(&s, `<title>%s</title>`, esc(c.Title))
	span := float64(barWidth - valueW)
	for i, b := range c.Bars {
		y := i*row + 4
		w := 0.0
		if maxV > 0 && b.Value > 0 {
			w = math.Max(1, span*b.Value/maxV)
		}
		fmt.Fprintf(&s, `<g class="bar"><title>%s: %s</title>`, esc(b.Label), esc(b.Text))
		fmt.Fprintf(&s, `<text class="label" x="0" y="%d">%s</text>`, y+labelH-5, esc(clip(b.Label, barWidth, chartFont)))
		fmt.Fprintf(&s, `<rect x="0" y="%d" width="%s" height="%d" rx="2"></rect>`, y+labelH, num(w), barH)
		fmt.Fprintf(&s, `<text class="value" x="%s" y="%d">%s</text>`, num(w+6), y+labelH+barH-3, esc(b.Text))
		s.WriteString(`</g>`)
	}
	s.WriteString(`</svg>`)
	return template.HTML(s.String()) // every text is escaped above
}

// series is one line of a line chart.
type series struct {
	Name   string
	Values []float64
	Texts  []string // each value as shown, with its unit
}

// lineChart is a line chart of a few series over the same labels (months),
// on one scale from zero.
type lineChart struct {
	Title  string
	Labels []string
	Series []series
}

// niceMax is the top of a scale for values up to v, 1, 2 or 5 times a
// power of ten and at least 1 (5 when there is nothing to draw), and how
// many steps divide it into round numbers (1: fifths; 2: quarters; 5:
// fifths).
func niceMax(v float64) (top float64, steps int) {
	if v <= 0 {
		return 5, 5 // nothing to draw: whole steps, not fifths of a point
	}
	if v <= 1 {
		return 1, 5
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			top = m * p
			break
		}
	}
	if m := top / math.Pow(10, math.Floor(math.Log10(top))); math.Round(m) == 2 {
		return top, 4
	}
	return top, 5
}

// lineWidth is the line chart's drawing width.
const lineWidth = 360

// SVG draws c.
func (c lineChart) SVG() template.HTML {
	const h, left, right, top, bottom = 220, 40, 14, 28, 26
	plotW, plotH := float64(lineWidth-left-right), float64(h-top-bottom)
	maxV := 0.0
	for _, se := range c.Series {
		for _, v := range se.Values {
			maxV = max(maxV, v)
		}
	}
	top1, ticks := niceMax(maxV)
	x := func(i int) float64 {
		if len(c.Labels) < 2 {
			return left + plotW/2
		}
		return left + plotW*float64(i)/float64(len(c.Labels)-1)
	}
	y := func(v float64) float64 { return top + plotH*(1-v/top1) }
	var s strings.Builder
	fmt.Fprintf(&s, `<svg class="chart lines" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s" font-size="%d">`,
		lineWidth, h, lineWidth, h, esc(c.Title), chartFont)
	fmt.Fprintf(&s, `<title>%s</title>`, esc(c.Title))
	s.WriteString(`<g class="grid">`)
	for i := 0; i <= ticks; i++ {
		v := top1 * float64(i) / float64(ticks)
		fmt.Fprintf(&s, `<line x1="%d" x2="%d" y1="%s" y2="%s"></line>`, left, lineWidth-right, num(y(v)), num(y(v)))
		fmt.Fprintf(&s, `<text class="tick" x="%d" y="%s" text-anchor="end">%s</text>`, left-6, num(y(v)+4), esc(num(v)))
	}
	s.WriteString(`</g>`)
	// A label under every point when they fit, else under every other,
	// counted from the last (the month chosen).
	step := 1
	if len(c.Labels) > 1 && plotW/float64(len(c.Labels)-1) < 32 {
		step = 2
	}
	for i, l := range c.Labels {
		if (len(c.Labels)-1-i)%step != 0 {
			continue
		}
		fmt.Fprintf(&s, `<text class="tick" x="%s" y="%d" text-anchor="middle">%s</text>`, num(x(i)), h-8, esc(l))
	}
	legendX := float64(left)
	for k, se := range c.Series {
		fmt.Fprintf(&s, `<g class="series s%d">`, k)
		if len(c.Series) > 1 {
			fmt.Fprintf(&s, `<rect class="swatch" x="%s" y="6" width="14" height="4"></rect><text class="legend" x="%s" y="13">%s</text>`,
				num(legendX), num(legendX+18), esc(se.Name))
			legendX += 18 + textWidth(se.Name, chartFont) + 16
		}
		var pts []string
		for i, v := range se.Values {
			pts = append(pts, num(x(i))+","+num(y(v)))
		}
		fmt.Fprintf(&s, `<polyline points="%s"></polyline>`, strings.Join(pts, " "))
		for i, v := range se.Values {
			text := num(v)
			if i < len(se.Texts) {
				text = se.Texts[i]
			}
			label := ""
			if i < len(c.Labels) {
				label = c.Labels[i]
			}
			fmt.Fprintf(&s, `<circle cx="%s" cy="%s" r="3.5"><title>%s %s: %s</title></circle>`, num(x(i)), num(y(v)), esc(label), esc(se.Name), esc(text))
		}
		s.WriteString(`</g>`)
	}
	s.WriteString(`</svg>`)
	return template.HTML(s.String()) // every text is escaped above
}
