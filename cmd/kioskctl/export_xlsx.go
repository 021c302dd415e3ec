package main

import (
	"io"

	"github.com/xuri/excelize/v2"
)

func init() {
	exportFormats["xlsx"] = exportFormat{ext: "XLSX", write: writeXLSX}
}

// writeXLSX writes each table to its own sheet, streamed so a year of
// entries does not sit in memory, with a bold, frozen header row.
func writeXLSX(w io.Writer, tables []exportTable) error {
	f := excelize.NewFile()
	defer f.Close()
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	first := f.GetSheetName(0)
	for i, t := range tables {
		if i == 0 {
			if err := f.SetSheetName(first, t.sheet); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(t.sheet); err != nil {
			return err
		}
		sw, err := f.NewStreamWriter(t.sheet)
		if err != nil {
			return err
		}
		for c, width := range t.widths {
			if err := sw.SetColWidth(c+1, c+1, width); err != nil {
				return err
			}
		}
		if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
			return err
		}
		header := make([]any, len(t.header))
		for c, h := range t.header {
			header[c] = h
		}
		if err := sw.SetRow("A1", header, excelize.RowOpts{StyleID: bold}); err != nil {
			return err
		}
		n := 1
		for row, err := range t.rows {
			if err != nil {
				return err
			}
			n++
			cell, err := excelize.CoordinatesToCellName(1, n)
			if err != nil {
				return err
			}
			if err := sw.SetRow(cell, row); err != nil {
				return err
			}
		}
		if err := sw.Flush(); err != nil {
			return err
		}
	}
	return f.Write(w)
}
