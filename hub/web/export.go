package web

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"iter"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// Exports: every list of the web as a file for Excel, XLSX or CSV, with
// the page's Chinese headers. A section builds a Table of its list (the
// same reads as its page, through the user's Scope) and answers with
// Page.Export.
//
// A cell is what a person typed somewhere (a name, a note), so a text that
// Excel would take for a formula (=, +, -, @, a tab or a carriage return
// first: "=HYPERLINK(…)") is never one: in a CSV it gets a leading
// apostrophe, which Excel shows as text; in an XLSX it is a text cell
// formatted as text ("@"), which Excel keeps as text even when edited.
// Numbers stay numbers.

// Export formats, as a URL names them.
const (
	FormatXLSX = "xlsx"
	FormatCSV  = "csv"
)

// Table is a list as it is exported.
type Table struct {
	// Name is the file's name without its extension; the XLSX sheet's
	// name too (its first 31 characters).
	Name string
	// Headers are the columns' titles, from the catalog.
	Headers []string
	// Rows are the rows' cells, in the Headers' order: a string (text), an
	// int, int64 or float64 (a number), a time.Time (a date and time, in
	// the centers' zone), or nil (empty). A row's error ends the export:
	// before anything was sent, as an error page; after (a CSV streams), by
	// cutting the download, so nobody keeps a file that looks whole.
	Rows iter.Seq2[[]any, error]
}

// RowsOf are rows of a list already read.
func RowsOf(rows [][]any) iter.Seq2[[]any, error] {
	return func(yield func([]any, error) bool) {
		for _, r := range rows {
			if !yield(r, nil) {
				return
			}
		}
	}
}

// errBadFormat: a URL names a format that is neither.
var errBadFormat = fmt.Errorf("web: export format: %w", errNotFound)

// Export answers with t as a file of format (FormatXLSX or FormatCSV;
// another is a 404).
func (p *Page) Export(format string, t Table) error {
	h := p.rw.Header()
	switch format {
	case FormatXLSX:
		// Written whole before anything is sent: a failure is an error
		// page.
		f, err := xlsxOf(t)
		if err != nil {
			return err
		}
		defer f.Close()
		h.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		h.Set("Content-Disposition", attachment(t.Name+".xlsx"))
		if err := f.Write(p.rw); err != nil {
			p.web.log.Warn("web: export cut", "path", p.R.URL.Path, "err", err)
		}
		return nil
	case FormatCSV:
		h.Set("Content-Type", "text/csv; charset=utf-8")
		h.Set("Content-Disposition", attachment(t.Name+".csv"))
		if err := writeCSV(p.rw, t); err != nil {
			// The status and part of the file are sent: cut the download.
			p.web.log.Error("web: export failed", "path", p.R.URL.Path, "user", p.User.Name, "err", err)
			panic(http.ErrAbortHandler)
		}
		return nil
	}
	return errBadFormat
}

// attachment is a Content-Disposition of a download named name (RFC 6266:
// a Chinese name as filename*, UTF-8).
func attachment(name string) string {
	return mime.FormatMediaType("attachment", map[string]string{"filename": name})
}

// formulaLike reports whether Excel would read s as a formula or a
// command.
func formulaLike(s string) bool {
	return s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0]))
}

// csvCell is v as CSV text.
func csvCell(v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil
	case string:
		if formulaLike(v) {
			return "'" + v, nil
		}
		return v, nil
	case int:
		return strconv.Itoa(v), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	case time.Time:
		if v.IsZero() {
			return "", nil
		}
		return v.In(chinaTime).Format("2006-01-02 15:04:05"), nil
	}
	return "", fmt.Errorf("web: export: a cell of type %T", v)
}

// utf8BOM starts a CSV file: Excel on a Chinese Windows reads a file
// without it as GBK.
const utf8BOM = "\uFEFF"

// writeCSV writes t as CSV: UTF-8 with a BOM, CRLF line ends, a header
// row, text that looks like a formula escaped.
func writeCSV(w io.Writer, t Table) error {
	bw := bufio.NewWriter(w)
	if _, err := bw.WriteString(utf8BOM); err != nil {
		return err
	}
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true
	head := make([]string, len(t.Headers))
	for i, h := range t.Headers {
		head[i], _ = csvCell(h)
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	for row, err := range t.Rows {
		if err != nil {
			return err
		}
		rec := make([]string, len(row))
		for i, v := range row {
			if rec[i], err = csvCell(v); err != nil {
				return err
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// sheetName is name as an XLSX sheet may be named: at most 31
// characters, none of : \ / ? * [ ].
func sheetName(name string) string {
	name = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`:\/?*[]`, r) {
			return '_'
		}
		return r
	}, name)
	name = strings.Trim(name, "'")
	for utf8.RuneCountInString(name) > 31 {
		_, n := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-n]
	}
	if name == "" {
		return "Sheet1"
	}
	return name
}

// xlsxOf is t as an XLSX workbook of one sheet: a bold header row that
// stays on screen, numbers as numbers, text as text cells formatted as
// text, times as dates. Rows stream through excelize's writer, which
// keeps a long list on disk rather than in memory.
func xlsxOf(t Table) (*excelize.File, error) {
	f := excelize.NewFile()
	fail := func(err error) (*excelize.File, error) {
		f.Close()
		return nil, fmt.Errorf("web: export xlsx: %w", err)
	}
	sheet := sheetName(t.Name)
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return fail(err)
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49})
	if err != nil {
		return fail(err)
	}
	head, err := f.NewStyle(&excelize.Style{NumFmt: 49, Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"EBE8E1"}}})
	if err != nil {
		return fail(err)
	}
	when := "yyyy-mm-dd hh:mm:ss"
	date, err := f.NewStyle(&excelize.Style{CustomNumFmt: &when})
	if err != nil {
		return fail(err)
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return fail(err)
	}
	first, rows, stop := firstRow(t.Rows)
	defer stop()
	for i, width := range colWidths(t.Headers, first) {
		if err := sw.SetColWidth(i+1, i+1, width); err != nil {
			return fail(err)
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return fail(err)
	}
	cells := make([]any, len(t.Headers))
	for i, h := range t.Headers {
		cells[i] = excelize.Cell{StyleID: head, Value: h}
	}
	if err := sw.SetRow("A1", cells); err != nil {
		return fail(err)
	}
	n := 1
	for row, err := range rows {
		if err != nil {
			return fail(err)
		}
		n++
		cells := make([]any, len(row))
		for i, v := range row {
			switch v := v.(type) {
			case nil:
			case string:
				cells[i] = excelize.Cell{StyleID: text, Value: v}
			case int, int64, float64:
				cells[i] = v
			case time.Time:
				if !v.IsZero() {
					cells[i] = excelize.Cell{StyleID: date, Value: v.In(chinaTime)}
				}
			default:
				return fail(fmt.Errorf("a cell of type %T", v))
			}
		}
		cell, err := excelize.CoordinatesToCellName(1, n)
		if err != nil {
			return fail(err)
		}
		if err := sw.SetRow(cell, cells); err != nil {
			return fail(err)
		}
	}
	if err := sw.Flush(); err != nil {
		return fail(err)
	}
	return f, nil
}

// colWidths are an XLSX's columns' widths (in Excel's unit, a digit's
// width; a CJK character is two): each column as wide as its header or
// its cell in first (the first row), whichever is wider; at least 12, at
// most 50 (a long text wraps in Excel). A time, an empty one too, is
// "2026-03-02 09:30:15": a narrower column shows it as ####.
func colWidths(headers []string, first []any) []float64 {
	text := func(s string) float64 {
		widest := 0.0
		for line := range strings.Lines(s) {
			n := 0.0
			for _, r := range strings.TrimRight(line, "\r\n") {
				n++
				if r > 0x2e80 {
					n++
				}
			}
			widest = max(widest, n)
		}
		return widest + 2
	}
	out := make([]float64, len(headers))
	for i, h := range headers {
		w := text(h)
		if i < len(first) {
			switch v := first[i].(type) {
			case string:
				w = max(w, text(v))
			case time.Time:
				w = max(w, 21)
			case int, int64, float64:
				w = max(w, text(fmt.Sprint(v)))
			}
		}
		out[i] = min(max(w, 12), 50)
	}
	return out
}

// firstRow reads the first of rows (nil when there is none, or it is an
// error) and returns it with every row of rows, that one included, each
// once; stop ends the reading early.
func firstRow(rows iter.Seq2[[]any, error]) (first []any, all iter.Seq2[[]any, error], stop func()) {
	next, stop := iter.Pull2(rows)
	row, err, ok := next()
	all = func(yield func([]any, error) bool) {
		if !ok || !yield(row, err) || err != nil {
			return
		}
		for {
			r, err, ok := next()
			if !ok || !yield(r, err) {
				return
			}
		}
	}
	if err == nil {
		first = row
	}
	return first, all, stop
}

// exportFormat is a URL's format, or errBadFormat.
func exportFormat(s string) (string, error) {
	if s == FormatXLSX || s == FormatCSV {
		return s, nil
	}
	return "", errBadFormat
}
