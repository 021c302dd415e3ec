package web

import (
	"archive/zip"
	"bufio"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// A workbook written as its rows come: the one sheet's XML goes through
// the zip's deflate straight to the response, so the download starts with
// the first rows and the hub holds a few kilobytes of it at any time,
// however long the list. (excelize's StreamWriter, which the other
// exports use, keeps the sheet in a temporary file and sends the whole
// workbook at the end.) The cells are what xlsxOf makes: the same
// styles, text formatted as text, numbers as numbers, times as dates, a
// bold header row that stays on screen.

// xlsxMaxRows is the most rows a sheet holds (Excel's limit), the header's
// with them.
const xlsxMaxRows = 1 << 20

// xlsxMaxCell is the most UTF-16 units Excel keeps in a cell.
const xlsxMaxCell = 32767

// xlsxFlushRows is how many rows go out at most before what is written is
// sent on.
const xlsxFlushRows = 2000

// errTooManyRows: a list longer than a sheet.
var errTooManyRows = errors.New("web: export xlsx: more rows than a sheet holds")

// The parts of the workbook besides its sheet.
const (
	xlsxContentTypes = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>`
	xlsxRels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`
	xlsxWorkbookRels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`
	// The workbook; %s is the sheet's name (escaped).
	xlsxWorkbook = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><bookViews><workbookView/></bookViews><sheets><sheet name="%s" sheetId="1" r:id="rId1"/></sheets></workbook>`
	// The styles: 0 the default, 1 text (number format 49, "@"), 2 the
	// header (text, bold, shaded), 3 a date and time.
	xlsxStyles = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts><fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font><font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts><fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill><fill><patternFill patternType="solid"><fgColor rgb="FFEBE8E1"/></patternFill></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="49" fontId="1" fillId="2" borderId="0" xfId="0" applyNumberFormat="1" applyFont="1" applyFill="1"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>`
)

// The styles' indexes in xlsxStyles.
const (
	styleText   = 1
	styleHeader = 2
	styleDate   = 3
)

// writeXLSX writes t to w as an XLSX workbook of one sheet, each row as
// t.Rows yields it; flush (when not nil) sends on what was written, after
// the first row and then every xlsxFlushRows rows. modified is the
// parts' time in the zip. A row's error ends it with that error, the
// workbook unfinished.
func writeXLSX(w io.Writer, t Table, modified time.Time, flush func() error) error {
	zw := zip.NewWriter(w)
	// The sheet's compressor, to push its rows out through the zip.
	var sheet *flate.Writer
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		fw, err := flate.NewWriter(out, flate.BestSpeed)
		sheet = fw
		return fw, err
	})
	// The few hundred bytes of each part but the sheet are stored as
	// they are: a compressor each would cost more than it saves.
	create := func(name string, method uint16) (io.Writer, error) {
		return zw.CreateHeader(&zip.FileHeader{Name: name, Method: method, Modified: modified})
	}
	var name strings.Builder
	xmlText(&name, sheetName(t.Name))
	for _, p := range []struct{ name, body string }{
		{"[Content_Types].xml", xlsxContentTypes},
		{"_rels/.rels", xlsxRels},
		{"xl/workbook.xml", fmt.Sprintf(xlsxWorkbook, name.String())},
		{"xl/_rels/workbook.xml.rels", xlsxWorkbookRels},
		{"xl/styles.xml", xlsxStyles},
	} {
		f, err := create(p.name, zip.Store)
		if err != nil {
			return fmt.Errorf("web: export xlsx: %w", err)
		}
		if _, err := io.WriteString(f, p.body); err != nil {
			return fmt.Errorf("web: export xlsx: %w", err)
		}
	}
	f, err := create("xl/worksheets/sheet1.xml", zip.Deflate)
	if err != nil {
		return fmt.Errorf("web: export xlsx: %w", err)
	}
	sw := &sheetWriter{w: bufio.NewWriterSize(f, 32<<10)}
	first, rows, stop := firstRow(t.Rows)
	defer stop()
	sw.head(t.Headers, colWidths(t.Headers, first))
	sent := func() error {
		if err := sw.w.Flush(); err != nil {
			return err
		}
		if err := sheet.Flush(); err != nil {
			return err
		}
		if err := zw.Flush(); err != nil {
			return err
		}
		if flush != nil {
			return flush()
		}
		return nil
	}
	for row, err := range rows {
		if err != nil {
			return err
		}
		if sw.n == xlsxMaxRows {
			return errTooManyRows
		}
		if err := sw.row(row); err != nil {
			return err
		}
		if sw.n == 2 || sw.n%xlsxFlushRows == 0 {
			if err := sent(); err != nil {
				return err
			}
		}
	}
	sw.w.WriteString(`</sheetData></worksheet>`)
	if err := sw.w.Flush(); err != nil {
		return err
	}
	return zw.Close()
}

// sheetWriter writes a sheet's XML; the bufio.Writer keeps its first
// error, which its Flush returns.
type sheetWriter struct {
	w    *bufio.Writer
	n    int      // rows written
	cols []string // the columns' letters
}

// head starts the sheet: the header row frozen, the columns' widths (as
// xlsxOf's), then the header row.
func (s *sheetWriter) head(headers []string, widths []float64) {
	for i := range headers {
		s.cols = append(s.cols, columnName(i+1))
	}
	s.w.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
		`<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>` +
		`<sheetFormatPr defaultRowHeight="15"/>`)
	if len(headers) > 0 {
		s.w.WriteString(`<cols>`)
		for i, width := range widths {
			fmt.Fprintf(s.w, `<col min="%d" max="%d" width="%s" customWidth="1"/>`, i+1, i+1, strconv.FormatFloat(width, 'f', -1, 64))
		}
		s.w.WriteString(`</cols>`)
	}
	s.w.WriteString(`<sheetData>`)
	cells := make([]any, len(headers))
	for i, h := range headers {
		cells[i] = h
	}
	s.write(cells, styleHeader)
}

func (s *sheetWriter) row(cells []any) error {
	for _, v := range cells {
		switch v := v.(type) {
		case nil, string, int, int64, float64, time.Time:
		default:
			return fmt.Errorf("web: export xlsx: a cell of type %T", v)
		}
	}
	s.write(cells, styleText)
	return nil
}

// write writes a row: text in style text (the header's or a cell's),
// numbers and dates as such.
func (s *sheetWriter) write(cells []any, text int) {
	s.n++
	r := strconv.Itoa(s.n)
	s.w.WriteString(`<row r="` + r + `">`)
	for i, v := range cells {
		col := ""
		if i < len(s.cols) {
			col = s.cols[i]
		} else {
			col = columnName(i + 1)
		}
		ref := col + r
		switch v := v.(type) {
		case string:
			s.w.WriteString(`<c r="` + ref + `" s="` + strconv.Itoa(text) + `" t="inlineStr"><is><t`)
			if v != strings.TrimSpace(v) {
				s.w.WriteString(` xml:space="preserve"`)
			}
			s.w.WriteString(`>`)
			xmlText(s.w, cellText(v))
			s.w.WriteString(`</t></is></c>`)
		case int:
			s.number(ref, strconv.Itoa(v))
		case int64:
			s.number(ref, strconv.FormatInt(v, 10))
		case float64:
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				s.number(ref, strconv.FormatFloat(v, 'f', -1, 64))
			}
		case time.Time:
			if !v.IsZero() {
				s.w.WriteString(`<c r="` + ref + `" s="` + strconv.Itoa(styleDate) + `"><v>` + strconv.FormatFloat(excelTime(v), 'f', -1, 64) + `</v></c>`)
			}
		}
	}
	s.w.WriteString(`</row>`)
}

func (s *sheetWriter) number(ref, v string) {
	s.w.WriteString(`<c r="` + ref + `"><v>` + v + `</v></c>`)
}

// columnName is column n's letters (1 is A, 27 is AA).
func columnName(n int) string {
	name, _ := excelize.ColumnNumberToName(n)
	return name
}

// excelEpoch is day 0 of Excel's dates (the 1900 date system as Excel
// counts it, its 1900-02-29 included).
var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// excelTime is t's wall time in the centers' zone as Excel's serial
// date: days since excelEpoch, the time of day as their fraction (of
// whole milliseconds).
func excelTime(t time.Time) float64 {
	wall := t.In(chinaTime)
	d := time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), wall.Nanosecond(), time.UTC).Sub(excelEpoch)
	return float64(d.Milliseconds()) / float64(24*time.Hour/time.Millisecond)
}

// cellText is s as a cell keeps it: at most xlsxMaxCell UTF-16 units.
func cellText(s string) string {
	n := 0
	for i, r := range s {
		n += utf16.RuneLen(r)
		if n > xlsxMaxCell {
			return s[:i]
		}
	}
	return s
}

// xmlText writes s as XML character data: escaped, and what XML 1.0
// cannot hold (control characters but tab, line feed and carriage
// return; invalid UTF-8) as U+FFFD.
func xmlText(w io.StringWriter, s string) {
	last := 0
	for i, r := range s {
		var esc string
		switch {
		case r == '<':
			esc = "&lt;"
		case r == '>':
			esc = "&gt;"
		case r == '&':
			esc = "&amp;"
		case r == '"':
			esc = "&quot;"
		case r == '\r':
			esc = "&#xD;" // kept: a bare CR is read as a line end
		case r == '\t' || r == '\n':
			continue
		case r < 0x20 || r == 0xFFFE || r == 0xFFFF || (r == utf8.RuneError && isBadByte(s, i)):
			esc = "\uFFFD"
		default:
			continue
		}
		w.WriteString(s[last:i])
		w.WriteString(esc)
		_, size := utf8.DecodeRuneInString(s[i:])
		last = i + size
	}
	w.WriteString(s[last:])
}

// isBadByte reports whether s holds invalid UTF-8 at i (not a U+FFFD
// written as such).
func isBadByte(s string, i int) bool {
	_, size := utf8.DecodeRuneInString(s[i:])
	return size == 1
}
