package main

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
)

func init() {
	exportFormats["csv"] = exportFormat{ext: "CSV", oneTable: true, write: writeCSV}
}

// utf8BOM starts the file so that Excel, which otherwise guesses GBK on a
// Chinese Windows, reads the headers and names as UTF-8.
const utf8BOM = "\ufeff"

func writeCSV(w io.Writer, tables []exportTable) error {
	bw := bufio.NewWriter(w)
	if _, err := bw.WriteString(utf8BOM); err != nil {
		return err
	}
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true // what Excel writes and expects
	for _, t := range tables {
		if err := cw.Write(t.header); err != nil {
			return err
		}
		rec := make([]string, len(t.header))
		for row, err := range t.rows {
			if err != nil {
				return err
			}
			for i, v := range row {
				rec[i] = csvCell(v)
			}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// csvCell writes a value; a text starting like a formula (a staff member's
// reason "=1+1", a name "@…") gets a leading apostrophe, so a spreadsheet
// shows it instead of evaluating it.
func csvCell(v any) string {
	switch v := v.(type) {
	case int64:
		return strconv.FormatInt(v, 10)
	case string:
		if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
			return "'" + v
		}
		return v
	}
	return fmt.Sprint(v)
}
