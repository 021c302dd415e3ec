// Package roster reads the files a district keeps its registers in — the
// volunteer roster (花名册), the activities and the catalog — from CSV or
// XLSX with Chinese column headers, and turns each row into a plain row of
// record types (record.VolunteerKind, record.Schedule, record.Rules,
// record.CardUID), or into a Problem naming the row's line and what is wrong.
//
// It imports the record and excelize, never the ledger: `kioskctl import`
// applies its rows to a kiosk's ledger, and the district hub will read the
// same files with the same code into its own store.
//
// Reading is all or nothing for the caller to decide: a file with problems
// still yields its good rows, so a preview can show both; an import refuses
// the whole file when any row has a problem.
package roster

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	xunicode "golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// MaxFileSize bounds what is read: a district's roster of thousands of
// people is a few hundred kilobytes.
const MaxFileSize = 32 << 20

// ErrFile: the file as a whole cannot be read (not CSV or XLSX, no header
// row with the columns the import needs). Its rows are not looked at.
var ErrFile = errors.New("roster: unreadable file")

// Problem is what is wrong with one row (or, Line 0, with the file).
type Problem struct {
	// Line is the row's line in a CSV file or its row number in the sheet,
	// counting from 1 as Excel and a text editor do.
	Line int
	// Column is the column's header as the file wrote it; "" when the
	// problem is the row's as a whole.
	Column string
	// Value is the cell's text as read, when the problem is the cell's.
	Value string
	// Reason says what is wrong, in Chinese with an English gloss.
	Reason string
}

func (p Problem) Error() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "第%d行 line %d: ", p.Line, p.Line)
	}
	if p.Column != "" {
		b.WriteString(p.Column)
		if p.Value != "" {
			fmt.Fprintf(&b, " %q", p.Value)
		}
		b.WriteString(": ")
	}
	b.WriteString(p.Reason)
	return b.String()
}

// Source says where rows were read from.
type Source struct {
	// Format is "csv" or "xlsx".
	Format string
	// Encoding is the CSV file's text encoding ("UTF-8", "GB18030",
	// "UTF-16"); "" for XLSX.
	Encoding string
	// Sheet is the XLSX sheet the rows came from.
	Sheet string
	// HeaderLine is the line (row) of the header; rows start after it.
	HeaderLine int
	// Ignored are the file's columns the import does not read (身份证号, 备注…),
	// as the file wrote them.
	Ignored []string
	// Columns maps each column read (its key: ColName, ColPhone…) to its
	// header as the file wrote it ("联系电话").
	Columns map[string]string
}

// row is one line of a table: its line number and its cells, trimmed.
type row struct {
	line  int
	cells []string
}

// sheet is a file's table before its header is found.
type sheet struct {
	name string
	rows []row
}

// readSheets reads a CSV or XLSX file into tables of trimmed cells.
func readSheets(r io.Reader) ([]sheet, Source, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, Source{}, fmt.Errorf("roster: read: %w", err)
	}
	if len(data) > MaxFileSize {
		return nil, Source{}, fmt.Errorf("roster: file larger than %d MiB: %w", MaxFileSize>>20, ErrFile)
	}
	switch {
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		sheets, err := readXLSX(data)
		return sheets, Source{Format: "xlsx"}, err
	case bytes.HasPrefix(data, []byte("\xD0\xCF\x11\xE0")):
		return nil, Source{}, fmt.Errorf("roster: an Excel 97–2003 .xls file: save it as .xlsx or as CSV UTF-8 (另存为 .xlsx 或 CSV UTF-8): %w", ErrFile)
	}
	text, enc, err := decodeText(data)
	if err != nil {
		return nil, Source{}, err
	}
	rows, err := readCSV(text)
	if err != nil {
		return nil, Source{}, err
	}
	return []sheet{{rows: rows}}, Source{Format: "csv", Encoding: enc}, nil
}

// decodeText returns a CSV file's text as UTF-8: UTF-8 with or without a
// BOM, UTF-16 with a BOM (Excel's "Unicode text"), or, when the bytes are
// not UTF-8, GB18030 — what Excel on a Chinese Windows saves as "CSV" (GBK,
// of which GB18030 is a superset). Text in GBK is almost never valid UTF-8,
// so the check is cheap and safe.
func decodeText(data []byte) (string, string, error) {
	switch {
	case bytes.HasPrefix(data, []byte("\xEF\xBB\xBF")):
		data = data[3:]
	case bytes.HasPrefix(data, []byte("\xFF\xFE")), bytes.HasPrefix(data, []byte("\xFE\xFF")):
		s, _, err := transform.Bytes(xunicode.UTF16(xunicode.BigEndian, xunicode.ExpectBOM).NewDecoder(), data)
		if err != nil {
			return "", "", fmt.Errorf("roster: UTF-16 text: %v: %w", err, ErrFile)
		}
		return string(s), "UTF-16", nil
	}
	if utf8.Valid(data) {
		return string(data), "UTF-8", nil
	}
	s, _, err := transform.Bytes(simplifiedchinese.GB18030.NewDecoder(), data)
	if err != nil || bytes.ContainsRune(s, utf8.RuneError) {
		return "", "", fmt.Errorf("roster: the file is neither UTF-8 nor GB18030 text (save it as CSV UTF-8): %w", ErrFile)
	}
	return string(s), "GB18030", nil
}

// readCSV splits CSV text into rows. The separator is the comma, or the
// tab or semicolon when the first line holds more of them (Excel's
// "Unicode text" is tab-separated; some locales save with semicolons).
func readCSV(text string) ([]row, error) {
	cr := csv.NewReader(strings.NewReader(text))
	cr.Comma = separator(text)
	cr.FieldsPerRecord = -1
	var rows []row
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("roster: 第%d行 line %d: %v: %w", pe.StartLine, pe.StartLine, pe.Err, ErrFile)
			}
			return nil, fmt.Errorf("roster: %v: %w", err, ErrFile)
		}
		line, _ := cr.FieldPos(0)
		rows = append(rows, row{line: line, cells: trimCells(rec)})
	}
}

func separator(text string) rune {
	first, _, _ := strings.Cut(text, "\n")
	comma, tab, semi := strings.Count(first, ","), strings.Count(first, "\t"), strings.Count(first, ";")
	switch {
	case tab > comma && tab >= semi:
		return '\t'
	case semi > comma:
		return ';'
	}
	return ','
}

// readXLSX reads every visible sheet's cells as Excel shows them (a time as
// "8:30", a number in its format).
func readXLSX(data []byte) ([]sheet, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("roster: XLSX: %v: %w", err, ErrFile)
	}
	defer f.Close()
	var out []sheet
	for _, name := range f.GetSheetList() {
		if visible, err := f.GetSheetVisible(name); err == nil && !visible {
			continue
		}
		rows, err := f.GetRows(name)
		if err != nil {
			return nil, fmt.Errorf("roster: XLSX sheet %s: %v: %w", name, err, ErrFile)
		}
		s := sheet{name: name}
		for i, cells := range rows {
			s.rows = append(s.rows, row{line: i + 1, cells: trimCells(cells)})
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("roster: XLSX without a visible sheet: %w", ErrFile)
	}
	return out, nil
}

func trimCells(cells []string) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = trim(c)
	}
	return out
}

// trim removes spaces, including the ideographic space and the no-break
// space a copy from a web page leaves.
func trim(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '\u3000' || r == '\u00a0' || r == '\ufeff' })
}

func blank(cells []string) bool {
	for _, c := range cells {
		if c != "" {
			return false
		}
	}
	return true
}

// column is one column an import reads.
type column struct {
	key      string   // what the code calls it: the header the example files use
	names    []string // every header accepted, normalised (see headerKey)
	required bool
}

// headerKey normalises a header for matching: no spaces, no "*" a template
// marks required columns with, nothing in brackets ("手机号（必填）"), ASCII
// lower case, full-width letters and digits as ASCII.
func headerKey(h string) string {
	h = foldWidth(h)
	var b strings.Builder
	depth := 0
	for _, r := range h {
		switch {
		case r == '(' || r == '（' || r == '[' || r == '【':
			depth++
		case r == ')' || r == '）' || r == ']' || r == '】':
			depth = max(depth-1, 0)
		case depth > 0, unicode.IsSpace(r), r == '*', r == '＊', r == '\u3000', r == '\ufeff', r == ':', r == '：':
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// table is a sheet whose header row was found: each wanted column's index.
type table struct {
	sheet
	header int            // index in rows of the header row
	index  map[string]int // column key → cell index
	names  map[string]string
}

// headerSearch is how many rows from the top may hold the header: a roster
// often starts with a title row ("和平里街道志愿者花名册") or two.
const headerSearch = 10

// findTable finds, in the first sheet that has one, a header row with every
// required column; columns the import does not know are reported in Ignored.
func findTable(sheets []sheet, cols []column, src *Source) (*table, error) {
	var best *table
	var bestMissing []string
	for _, s := range sheets {
		seen := 0
		for i, r := range s.rows {
			if blank(r.cells) {
				continue
			}
			if seen++; seen > headerSearch {
				break
			}
			t, missing, err := matchHeader(s, i, cols)
			if err != nil {
				return nil, err
			}
			if len(missing) == 0 {
				src.Sheet, src.HeaderLine, src.Columns = s.name, r.line, t.names
				used := map[int]bool{}
				for _, c := range t.index {
					used[c] = true
				}
				for c, h := range r.cells {
					if h != "" && !used[c] {
						src.Ignored = append(src.Ignored, h)
					}
				}
				return t, nil
			}
			if best == nil || len(missing) < len(bestMissing) {
				best, bestMissing = t, missing
			}
		}
	}
	if best == nil {
		return nil, fmt.Errorf("roster: the file has no rows: %w", ErrFile)
	}
	var want []string
	for _, key := range bestMissing {
		for _, c := range cols {
			if c.key == key {
				want = append(want, fmt.Sprintf("%s (或 or %s)", c.key, strings.Join(c.names[1:], ", ")))
			}
		}
	}
	return nil, fmt.Errorf("roster: no header row with the column(s) %s in the first %d rows (缺少列 missing): %w",
		strings.Join(want, "; "), headerSearch, ErrFile)
}

// matchHeader reads row i of s as a header: which cell holds which column,
// and which required columns are missing. Two cells naming one column are
// an error: which one would be read is a guess.
func matchHeader(s sheet, i int, cols []column) (*table, []string, error) {
	t := &table{sheet: s, header: i, index: map[string]int{}, names: map[string]string{}}
	r := s.rows[i]
	for c, h := range r.cells {
		k := headerKey(h)
		if k == "" {
			continue
		}
		for _, col := range cols {
			if !slices.Contains(col.names, k) {
				continue
			}
			if prev, ok := t.index[col.key]; ok {
				return nil, nil, fmt.Errorf("roster: 第%d行 line %d: two columns %q and %q are both %s: keep one: %w",
					r.line, r.line, r.cells[prev], h, col.key, ErrFile)
			}
			t.index[col.key], t.names[col.key] = c, h
		}
	}
	var missing []string
	for _, col := range cols {
		if _, ok := t.index[col.key]; col.required && !ok {
			missing = append(missing, col.key)
		}
	}
	return t, missing, nil
}

// dataRow is one data row of a table, read by column key; its problems go
// to the reader's list.
type dataRow struct {
	t        *table
	line     int
	cells    []string
	problems *[]Problem
}

// dataRows returns the table's data rows, blank rows skipped.
func (t *table) dataRows(problems *[]Problem) []dataRow {
	var out []dataRow
	for _, r := range t.rows[t.header+1:] {
		if blank(r.cells) {
			continue
		}
		out = append(out, dataRow{t: t, line: r.line, cells: r.cells, problems: problems})
	}
	return out
}

// get returns the cell of the column key ("" when the file has no such
// column or the row is short).
func (r dataRow) get(key string) string {
	i, ok := r.t.index[key]
	if !ok || i >= len(r.cells) {
		return ""
	}
	return r.cells[i]
}

// problem records a problem with the column key's cell.
func (r dataRow) problem(key, reason string) {
	*r.problems = append(*r.problems, Problem{Line: r.line, Column: r.t.names[key], Value: r.get(key), Reason: reason})
}

// rowProblem records a problem with the row as a whole.
func (r dataRow) rowProblem(key, reason string) {
	*r.problems = append(*r.problems, Problem{Line: r.line, Column: r.t.names[key], Reason: reason})
}

// read finds the table of cols in the file.
func read(rd io.Reader, cols []column) (*table, Source, error) {
	sheets, src, err := readSheets(rd)
	if err != nil {
		return nil, src, err
	}
	t, err := findTable(sheets, cols, &src)
	return t, src, err
}
