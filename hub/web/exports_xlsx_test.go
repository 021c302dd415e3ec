package web

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// cellsTable is a list of every kind of cell, the awkward texts too.
func cellsTable() Table {
	at := time.Date(2026, 3, 2, 9, 30, 15, 0, chinaTime)
	return Table{
		Name:    "志愿服务记录-和平里/2026",
		Headers: []string{"姓名", "编号", "时长（小时）", "积分", "签到", "备注"},
		Rows: RowsOf([][]any{
			{"王堃", "HPL0001", 1.5, int64(10), at, nil},
			{`=HYPERLINK("http://evil.example","点我")`, "@SUM(1+1)", 0.1, 7, at.Add(36 * time.Hour), "-2+3"},
			{"<b>赵</b>六 & \"引号\"", " 前后有空格 ", 2.0, int64(-5), time.Time{}, "第一行\r\n第二行\t制表"},
			{"控制\x01字符\x1f", "+86", float64(123456789), 0, at.UTC(), ""},
		}),
	}
}

// readBack opens an XLSX file with excelize.
func readBack(t *testing.T, b []byte) *excelize.File {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestStreamedXLSXIsTheOtherExports: a list written as it streams reads
// back as the same list written by excelize (xlsxOf) does: the sheet,
// every cell's value and type, the text format of text, dates, the bold
// header frozen on screen, the columns' widths.
func TestStreamedXLSXIsTheOtherExports(t *testing.T) {
	var streamed bytes.Buffer
	if err := writeXLSX(&streamed, cellsTable(), time.Date(2026, 3, 2, 9, 0, 0, 0, chinaTime), nil); err != nil {
		t.Fatal(err)
	}
	ref, err := xlsxOf(cellsTable())
	if err != nil {
		t.Fatal(err)
	}
	var made bytes.Buffer
	if err := ref.Write(&made); err != nil {
		t.Fatal(err)
	}
	ref.Close()
	s, x := readBack(t, streamed.Bytes()), readBack(t, made.Bytes())
	sheet := s.GetSheetName(0)
	if sheet != x.GetSheetName(0) || sheet != "志愿服务记录-和平里_2026" || s.SheetCount != 1 {
		t.Fatalf("sheet %q (%d), excelize's %q", sheet, s.SheetCount, x.GetSheetName(0))
	}
	sr, err := s.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	xr, _ := x.GetRows(sheet)
	if fmt.Sprint(sr) != fmt.Sprint(xr) {
		t.Errorf("rows:\n%q\nexcelize's:\n%q", sr, xr)
	}
	if len(sr) != 5 || sr[2][0] != `=HYPERLINK("http://evil.example","点我")` || sr[3][1] != " 前后有空格 " || sr[3][5] != "第一行\r\n第二行\t制表" ||
		sr[4][0] != "控制\uFFFD字符\uFFFD" || sr[1][4] != "2026-03-02 09:30:15" || sr[3][4] != "" {
		t.Errorf("rows as written:\n%q", sr)
	}
	for r := 1; r <= 5; r++ {
		for c := 1; c <= 6; c++ {
			cell, _ := excelize.CoordinatesToCellName(c, r)
			st, _ := s.GetCellType(sheet, cell)
			xt, _ := x.GetCellType(sheet, cell)
			text := func(t excelize.CellType) bool {
				return t == excelize.CellTypeInlineString || t == excelize.CellTypeSharedString
			}
			if st != xt && !(text(st) && text(xt)) {
				t.Errorf("%s: type %v, excelize's %v", cell, st, xt)
			}
			if f, _ := s.GetCellFormula(sheet, cell); f != "" {
				t.Errorf("%s: a formula %q", cell, f)
			}
			raw, _ := s.GetCellValue(sheet, cell, excelize.Options{RawCellValue: true})
			xraw, _ := x.GetCellValue(sheet, cell, excelize.Options{RawCellValue: true})
			if raw != xraw && !closeNumbers(raw, xraw) {
				t.Errorf("%s: raw %q, excelize's %q", cell, raw, xraw)
			}
			ss, _ := s.GetCellStyle(sheet, cell)
			xs, _ := x.GetCellStyle(sheet, cell)
			sst, err := s.GetStyle(ss)
			if err != nil {
				t.Fatal(err)
			}
			xst, _ := x.GetStyle(xs)
			if sst.NumFmt != xst.NumFmt || (sst.CustomNumFmt == nil) != (xst.CustomNumFmt == nil) ||
				(sst.CustomNumFmt != nil && *sst.CustomNumFmt != *xst.CustomNumFmt) || boldOf(sst) != boldOf(xst) || fillOf(sst) != fillOf(xst) {
				t.Errorf("%s: style %+v (font %+v), excelize's %+v (font %+v)", cell, sst, sst.Font, xst, xst.Font)
			}
		}
	}
	// Text is formatted as text, the header bold on its shade.
	for _, cell := range []string{"A3", "B3", "F3", "A1"} {
		id, _ := s.GetCellStyle(sheet, cell)
		st, _ := s.GetStyle(id)
		if st.NumFmt != 49 {
			t.Errorf("%s: number format %d, want 49 (text)", cell, st.NumFmt)
		}
	}
	if id, _ := s.GetCellStyle(sheet, "A1"); func() bool { st, _ := s.GetStyle(id); return !boldOf(st) || fillOf(st) != "pattern1" }() {
		t.Error("the header is not bold on its shade")
	}
	sp, err := s.GetPanes(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if !sp.Freeze || sp.YSplit != 1 || sp.TopLeftCell != "A2" {
		t.Errorf("panes %+v", sp)
	}
	for c := 1; c <= 6; c++ {
		col, _ := excelize.ColumnNumberToName(c)
		sw, _ := s.GetColWidth(sheet, col)
		xw, _ := x.GetColWidth(sheet, col)
		if sw != xw {
			t.Errorf("column %s: width %v, excelize's %v", col, sw, xw)
		}
	}
	// Every part is well-formed XML.
	z, err := zip.NewReader(bytes.NewReader(streamed.Bytes()), int64(streamed.Len()))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range z.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		var part bytes.Buffer
		d := xml.NewDecoder(io.TeeReader(r, &part))
		for {
			if _, err := d.Token(); err == io.EOF {
				break
			} else if err != nil {
				t.Errorf("%s: %v", f.Name, err)
				break
			}
		}
		r.Close()
		if f.Name == "xl/styles.xml" && !strings.Contains(part.String(), `<fill><patternFill patternType="solid"><fgColor rgb="FFEBE8E1"/>`) {
			t.Errorf("the header's shade is not in the styles:\n%s", part.String())
		}
	}
}

func boldOf(s *excelize.Style) bool { return s.Font != nil && s.Font.Bold }

// fillOf is a style's fill's pattern (excelize reads a fill's colour
// only from a workbook with a theme part, which the streamed one leaves
// out: its colour is read in its styles part).
func fillOf(s *excelize.Style) string { return fmt.Sprint(s.Fill.Type, s.Fill.Pattern) }

// closeNumbers: two dates' serials within a millisecond.
func closeNumbers(a, b string) bool {
	var x, y float64
	if _, err := fmt.Sscan(a, &x); err != nil {
		return false
	}
	if _, err := fmt.Sscan(b, &y); err != nil {
		return false
	}
	return math.Abs(x-y) < 1e-3/86400
}

// countingWriter counts what reached it.
type countingWriter struct{ n int }

func (c *countingWriter) Write(b []byte) (int, error) { c.n += len(b); return len(b), nil }

// TestStreamedXLSXGoesOutAsItsRowsCome: bytes reach the writer once the
// first row is written and every xlsxFlushRows rows after, long before
// the last row; the file reads back whole.
func TestStreamedXLSXGoesOutAsItsRowsCome(t *testing.T) {
	const n = 3*xlsxFlushRows + 7
	var buf bytes.Buffer
	w := &countingWriter{}
	out := io.MultiWriter(&buf, w)
	var flushed []int // bytes out at each flush
	made := 0
	rows := func(yield func([]any, error) bool) {
		for i := range n {
			made++
			if !yield([]any{fmt.Sprintf("志愿者%d", i), int64(i), float64(i) / 10}, nil) {
				return
			}
		}
	}
	err := writeXLSX(out, Table{Name: "长", Headers: []string{"姓名", "序号", "时长"}, Rows: rows}, time.Time{}, func() error {
		flushed = append(flushed, w.n)
		if len(flushed) == 1 && made != 1 {
			t.Errorf("the first flush after %d rows, want 1", made)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(flushed) != 4 || flushed[0] == 0 || flushed[0] >= w.n/2 {
		t.Errorf("flushes at %v bytes of %d", flushed, w.n)
	}
	f := readBack(t, buf.Bytes())
	got, err := f.GetRows("长")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n+1 || got[n][0] != fmt.Sprintf("志愿者%d", n-1) || got[n][2] != fmt.Sprint(float64(n-1)/10) {
		t.Errorf("%d rows read back, the last %q", len(got), got[len(got)-1])
	}
}

func TestStreamedXLSXFailures(t *testing.T) {
	boom := errors.New("the store failed")
	rows := func(yield func([]any, error) bool) {
		if yield([]any{"a"}, nil) {
			yield(nil, boom)
		}
	}
	if err := writeXLSX(io.Discard, Table{Name: "x", Headers: []string{"h"}, Rows: rows}, time.Time{}, nil); !errors.Is(err, boom) {
		t.Errorf("a row's error: %v", err)
	}
	bad := Table{Name: "x", Headers: []string{"h"}, Rows: RowsOf([][]any{{struct{}{}}})}
	if err := writeXLSX(io.Discard, bad, time.Time{}, nil); err == nil || !strings.Contains(err.Error(), "struct") {
		t.Errorf("a cell of no kind: %v", err)
	}
	flushErr := errors.New("the browser went away")
	if err := writeXLSX(io.Discard, cellsTable(), time.Time{}, func() error { return flushErr }); !errors.Is(err, flushErr) {
		t.Errorf("a failed flush: %v", err)
	}
	// A cell longer than Excel keeps is cut at its limit, whole characters.
	long := strings.Repeat("长", xlsxMaxCell-1) + "𠀀"
	var buf bytes.Buffer
	if err := writeXLSX(&buf, Table{Name: "x", Headers: []string{"h"}, Rows: RowsOf([][]any{{long}})}, time.Time{}, nil); err != nil {
		t.Fatal(err)
	}
	v, _ := readBack(t, buf.Bytes()).GetCellValue("x", "A2")
	if v != strings.Repeat("长", xlsxMaxCell-1) {
		t.Errorf("a cell of %d characters kept as %d", len([]rune(long)), len([]rune(v)))
	}
}

func TestExcelTime(t *testing.T) {
	for _, c := range []struct {
		t    time.Time
		want float64
	}{
		{time.Date(1900, 3, 1, 0, 0, 0, 0, chinaTime), 61},
		{time.Date(2026, 3, 2, 12, 0, 0, 0, chinaTime), 46083.5},
		{time.Date(2026, 3, 2, 4, 0, 0, 0, time.UTC), 46083.5}, // noon in the centers' zone
	} {
		if got := excelTime(c.t); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("%v: %v, want %v", c.t, got, c.want)
		}
	}
}

// TestXLSXColumnsFitTheirCells: a column is as wide as its header or its
// first row's cell, whichever is wider, in both writers: a date and time
// (an empty one too: a column of times) is not shown as ####, a center's
// long name is not cut off.
func TestXLSXColumnsFitTheirCells(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 30, 15, 0, chinaTime)
	table := func() Table {
		return Table{Name: "兑换记录", Headers: []string{"兑换时间", "中心", "领取时间", "数量", "备注"},
			Rows: RowsOf([][]any{{at, "和平里街道党群服务中心", time.Time{}, 2, "第一行\n" + strings.Repeat("长", 40)}, {at, "短", at, 1, nil}})}
	}
	var streamed bytes.Buffer
	if err := writeXLSX(&streamed, table(), at, nil); err != nil {
		t.Fatal(err)
	}
	ref, err := xlsxOf(table())
	if err != nil {
		t.Fatal(err)
	}
	var made bytes.Buffer
	if err := ref.Write(&made); err != nil {
		t.Fatal(err)
	}
	ref.Close()
	for name, b := range map[string][]byte{"streamed": streamed.Bytes(), "excelize": made.Bytes()} {
		f := readBack(t, b)
		sheet := f.GetSheetName(0)
		rows, err := f.GetRows(sheet)
		if err != nil || len(rows) != 3 || rows[2][3] != "1" {
			t.Errorf("%s: rows %q (%v)", name, rows, err)
		}
		for col, want := range map[string][2]float64{"A": {20, 22}, "B": {24, 26}, "C": {20, 22}, "D": {12, 12}, "E": {50, 50}} {
			w, err := f.GetColWidth(sheet, col)
			if err != nil || w < want[0] || w > want[1] {
				t.Errorf("%s: column %s is %v wide (%v), want %v to %v", name, col, w, err, want[0], want[1])
			}
		}
	}
}
