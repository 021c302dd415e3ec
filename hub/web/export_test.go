package web

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

func TestCSVEscapesWhatExcelWouldRun(t *testing.T) {
	at := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		in   any
		want string
	}{
		{"=1+2", "'=1+2"},
		{"+86 138", "'+86 138"},
		{"-cmd", "'-cmd"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\r=1"},
		{"a=b", "a=b"},
		{"＝1", "＝1"}, // a full-width sign is no formula
		{"王堃", "王堃"},
		{"", ""},
		{nil, ""},
		{int64(-5), "-5"}, // a number is a number
		{-7, "-7"},
		{-1.25, "-1.25"},
		{at, "2026-03-02 09:00:00"}, // in the centers' zone
		{time.Time{}, ""},
	} {
		got, err := csvCell(c.in)
		if err != nil || got != c.want {
			t.Errorf("csvCell(%#v) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	if _, err := csvCell(struct{}{}); err == nil {
		t.Error("a cell of an unknown type written")
	}
}

func TestWriteCSV(t *testing.T) {
	var b bytes.Buffer
	err := writeCSV(&b, Table{Name: "x", Headers: []string{"姓名", "备注"}, Rows: RowsOf([][]any{
		{"王堃", `他说 "好", 然后走了`},
		{"=2*3", "两行\n文字"},
		{int64(3), nil},
	})})
	if err != nil {
		t.Fatal(err)
	}
	want := "\xef\xbb\xbf姓名,备注\r\n王堃,\"他说 \"\"好\"\", 然后走了\"\r\n'=2*3,\"两行\r\n文字\"\r\n3,\r\n"
	if b.String() != want {
		t.Errorf("CSV:\n%q\nwant\n%q", b.String(), want)
	}
	// A row's error ends the file with the error.
	boom := errors.New("boom")
	err = writeCSV(io.Discard, Table{Headers: []string{"a"}, Rows: func(yield func([]any, error) bool) {
		if yield([]any{"1"}, nil) {
			yield(nil, boom)
		}
	}})
	if !errors.Is(err, boom) {
		t.Errorf("a failing row: %v", err)
	}
}

func TestXLSXReadsBack(t *testing.T) {
	at := time.Date(2026, 3, 2, 1, 30, 0, 0, time.UTC)
	f, err := xlsxOf(Table{Name: "看板:各中心/2026[3]?*" + strings.Repeat("长", 40), Headers: []string{"姓名", "时长", "时间", "空"},
		Rows: RowsOf([][]any{{"=HYPERLINK(\"x\")", 1.5, at, nil}, {"-3", int64(-3), time.Time{}, nil}})})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	f.Close()
	g, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	sheet := g.GetSheetName(0)
	if want := "看板_各中心_2026_3___" + strings.Repeat("长", 15); sheet != want { // 31 characters
		t.Errorf("sheet %q, want %q", sheet, want)
	}
	rows, err := g.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"姓名", "时长", "时间", "空"}, {"=HYPERLINK(\"x\")", "1.5", "2026-03-02 09:30:00"}, {"-3", "-3"}}
	if len(rows) != len(want) {
		t.Fatalf("rows %q, want %q", rows, want)
	}
	for i := range want {
		if strings.Join(rows[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d: %q, want %q", i+1, rows[i], want[i])
		}
	}
	for cell, typ := range map[string]excelize.CellType{"A2": excelize.CellTypeInlineString, "A3": excelize.CellTypeInlineString, "B3": excelize.CellTypeUnset} {
		got, _ := g.GetCellType(sheet, cell)
		if got != typ && !(typ == excelize.CellTypeInlineString && got == excelize.CellTypeSharedString) {
			t.Errorf("%s: type %v, want %v", cell, got, typ)
		}
		if formula, _ := g.GetCellFormula(sheet, cell); formula != "" {
			t.Errorf("%s: formula %q", cell, formula)
		}
	}
	if v, _ := g.GetCellValue(sheet, "B3", excelize.Options{RawCellValue: true}); v != "-3" {
		t.Errorf("B3 = %q, want the number -3", v)
	}
	var failing iter.Seq2[[]any, error] = func(yield func([]any, error) bool) { yield(nil, errors.New("boom")) }
	if _, err := xlsxOf(Table{Headers: []string{"a"}, Rows: failing}); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("a failing row: %v", err)
	}
}

// wellFormed fails t unless svg is XML, and returns its text.
func wellFormed(t *testing.T, svg string) string {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(svg))
	var text strings.Builder
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not XML: %v\n%s", err, svg)
		}
		if c, ok := tok.(xml.CharData); ok {
			text.Write(c)
		}
		if s, ok := tok.(xml.StartElement); ok && (s.Name.Local == "script" || s.Name.Local == "b" || s.Name.Local == "foreignObject") {
			t.Errorf("an element %s in the chart", s.Name.Local)
		}
	}
	return text.String()
}

func TestBarChart(t *testing.T) {
	svg := string(barChart{Title: `<b>各中心</b>"`, Bars: []bar{
		{Label: "和平里党群服务中心", Value: 30, Text: "30 小时"},
		{Label: `<script>alert(1)</script>`, Value: 15, Text: "15 小时"},
		{Label: strings.Repeat("很长", 15) + "的活动", Value: 0, Text: "0 小时"},
	}}.SVG())
	text := wellFormed(t, svg)
	for _, want := range []string{`<b>各中心</b>"`, "<script>alert(1)</script>: 15 小时", "30 小时", strings.Repeat("很长", 12) + "…"} {
		if !strings.Contains(text, want) {
			t.Errorf("the chart's text lacks %q:\n%s", want, text)
		}
	}
	if !strings.Contains(svg, `role="img"`) || !strings.Contains(svg, `aria-label="&lt;b&gt;各中心&lt;/b&gt;&#34;"`) {
		t.Errorf("the chart is no image with its title:\n%s", svg)
	}
	// To scale: the longest bar spans the plot, half its value half.
	for _, want := range []string{`width="240" height="16"`, `width="120" height="16"`, `width="0" height="16"`} {
		if !strings.Contains(svg, want) {
			t.Errorf("no bar %s:\n%s", want, svg)
		}
	}
	wellFormed(t, string(barChart{Title: "空"}.SVG()))
}

func TestLineChart(t *testing.T) {
	c := lineChart{Title: "趋势", Labels: []string{"1月", "2月", "3月"}, Series: []series{
		{Name: "获得积分", Values: []float64{0, 50, 100}},
		{Name: "兑换<积分>", Values: []float64{10, 0, 30}, Texts: []string{"10 分", "0 分", "30 分"}},
	}}
	svg := string(c.SVG())
	text := wellFormed(t, svg)
	for _, want := range []string{"1月", "3月", "获得积分", "兑换<积分>", "3月 兑换<积分>: 30 分", "2月 获得积分: 50", "100"} {
		if !strings.Contains(text, want) {
			t.Errorf("the chart's text lacks %q:\n%s", want, text)
		}
	}
	// The scale tops at 100: the first series from the bottom of the plot
	// (y 194) to its top (y 28), across it (x 40 to 346).
	if !strings.Contains(svg, `<polyline points="40,194 193,111 346,28">`) {
		t.Errorf("the first line's points:\n%s", svg)
	}
	wellFormed(t, string(lineChart{Title: "一点", Labels: []string{"1月"}, Series: []series{{Name: "a", Values: []float64{3}}}}.SVG()))
	for v, want := range map[float64]string{0: "5/5", 0.4: "1/5", 3.75: "5/5", 7: "10/5", 10: "10/5", 11: "20/4", 180: "200/4", 201: "500/5", 999: "1000/5"} {
		if top, steps := niceMax(v); fmt.Sprintf("%v/%d", top, steps) != want {
			t.Errorf("niceMax(%v) = %v, %d; want %s", v, top, steps, want)
		}
	}
}
