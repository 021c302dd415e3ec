package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hongmajia/hongmajia/internal/atomicfile"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/record"
)

func init() {
	commands["export"] = command{summary: "entries and shifts to CSV or XLSX: --format csv|xlsx --from DATE --to DATE -o FILE", run: runExport}
}

// exportTable is one table of an export: a sheet of an XLSX workbook, or the
// whole of a CSV file. Cells are strings or int64.
type exportTable struct {
	flag   string // its --table name
	sheet  string // its sheet name
	header []string
	widths []float64 // column widths in characters, for XLSX
	rows   iter.Seq2[[]any, error]
}

// exportFormat writes tables to a file. A new format is one new file that
// adds itself here.
type exportFormat struct {
	ext string
	// oneTable formats (CSV) hold one table per file: --table picks it.
	oneTable bool
	write    func(w io.Writer, tables []exportTable) error
}

var exportFormats = map[string]exportFormat{}

const exportUsage = `usage: kioskctl export [--data DIR] --format csv|xlsx [--from DATE] [--to DATE] [--table entries|shifts] -o FILE
DATE is YYYY-MM-DD in the center's time zone; --to is inclusive. Without --from or
--to the export runs from the first entry or to the last. XLSX holds both tables
(sheets 流水 and 服务记录); a CSV file holds one, --table entries (default) or shifts.`

func runExport(e *env, args []string) error {
	f, data := newFlagSet(e, "export")
	f.Usage = func() { fmt.Fprintln(e.stderr, exportUsage); f.PrintDefaults() }
	format := f.String("format", "", "csv or xlsx (default: from -o's extension)")
	from := f.String("from", "", "first day, YYYY-MM-DD")
	to := f.String("to", "", "last day, YYYY-MM-DD (inclusive)")
	table := f.String("table", "entries", "CSV only: entries or shifts")
	out := f.String("o", "", "output file")
	if err := parseFlags(f, args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("%w: -o FILE is required", errUsage)
	}
	if *format == "" {
		*format = strings.TrimPrefix(strings.ToLower(filepath.Ext(*out)), ".")
	}
	ef, ok := exportFormats[*format]
	if !ok {
		return fmt.Errorf("%w: unknown format %q: want %s", errUsage, *format, strings.Join(slices.Sorted(mapKeys(exportFormats)), " or "))
	}
	for _, d := range []struct{ name, value string }{{"--from", *from}, {"--to", *to}} {
		if d.value == "" {
			continue
		}
		if _, err := time.Parse(time.DateOnly, d.value); err != nil {
			return fmt.Errorf("%w: %s %q is not a date: want YYYY-MM-DD, e.g. 2026-11-01", errUsage, d.name, d.value)
		}
	}
	if *from != "" && *to != "" && *from > *to {
		return fmt.Errorf("%w: --from %s is after --to %s", errUsage, *from, *to)
	}

	ctx, stop := interruptible()
	defer stop()
	l, err := openLedgerReadOnly(ctx, *data)
	if err != nil {
		return err
	}
	defer l.Close()
	start, end := exportRange(*from, *to, l.Location())
	tables := exportTables(ctx, l, start, end)
	if ef.oneTable {
		i := slices.IndexFunc(tables, func(t exportTable) bool { return t.flag == *table })
		if i < 0 {
			return fmt.Errorf("%w: unknown --table %q: want entries or shifts", errUsage, *table)
		}
		tables = tables[i : i+1]
	}
	counted := make([]int, len(tables))
	for i := range tables {
		tables[i].rows = countRows(tables[i].rows, &counted[i])
	}
	cleanStale(e, filepath.Dir(*out))
	// Owner-only: an export names people. Written whole or not at all, so a
	// full disk never leaves half a spreadsheet that looks complete.
	err = atomicfile.Write(*out, 0o600, func(w io.Writer) error { return ef.write(ctxWriter{ctx, w}, tables) })
	if err := interrupted(ctx, err, *out); errors.Is(err, errInterrupted) {
		return err
	} else if err != nil {
		return fmt.Errorf("export %s: %w", *out, err)
	}
	var parts []string
	for i, t := range tables {
		parts = append(parts, fmt.Sprintf("%d %s", counted[i], t.sheet))
	}
	fmt.Fprintf(e.stdout, "wrote %s (%s): %s\n", *out, ef.ext, strings.Join(parts, ", "))
	return nil
}

func mapKeys[V any](m map[string]V) iter.Seq[string] {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// exportRange turns the days given into [start, end) in the center's time
// zone; a day not given leaves that side open.
func exportRange(from, to string, loc *time.Location) (time.Time, time.Time) {
	start, end := time.Unix(0, math.MinInt64), time.Unix(0, math.MaxInt64)
	if from != "" {
		d, _ := time.ParseInLocation(time.DateOnly, from, loc)
		start = d
	}
	if to != "" {
		d, _ := time.ParseInLocation(time.DateOnly, to, loc)
		end = d.AddDate(0, 0, 1)
	}
	return start, end
}

func countRows(rows iter.Seq2[[]any, error], n *int) iter.Seq2[[]any, error] {
	return func(yield func([]any, error) bool) {
		for r, err := range rows {
			if err == nil {
				*n++
			}
			if !yield(r, err) {
				return
			}
		}
	}
}

// Column headers: what the district's staff call each field.
var (
	entryHeader = []string{"终端", "序号", "时间", "时钟可信", "类型", "姓名", "登记编号", "卡号", "活动", "物品",
		"服务时长(分钟)", "积分", "库存变动", "冲正流水号", "原卡号", "操作员卡号", "原因", "流水号", "哈希"}
	entryWidths = []float64{18, 8, 20, 8, 6, 10, 11, 12, 10, 12, 14, 8, 8, 34, 12, 12, 16, 34, 66}
	shiftHeader = []string{"记录号", "姓名", "登记编号", "卡号", "活动", "签到时间", "签退时间", "状态", "服务时长(分钟)", "积分", "标记"}
	shiftWidths = []float64{34, 10, 11, 12, 10, 20, 20, 8, 14, 8, 18}
)

func exportTables(ctx context.Context, l *ledger.Ledger, start, end time.Time) []exportTable {
	loc := l.Location()
	at := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(loc).Format(time.DateTime)
	}
	id := func(x record.EntryID) string {
		if x.IsZero() {
			return ""
		}
		return x.String()
	}
	entries := func(yield func([]any, error) bool) {
		for x, err := range l.ExportEntries(ctx, start, end) {
			if err != nil {
				yield(nil, err)
				return
			}
			trusted := "否"
			if x.Trusted {
				trusted = "是"
			}
			row := []any{x.Terminal, int64(x.Seq), at(x.At), trusted, entryKindName(x.Kind), personName(x.PersonName, x.PersonProvisional), x.MemberNo,
				string(x.Card), x.ActivityName, x.ItemName, x.Minutes, x.Points, x.Stock, id(x.Reverses),
				string(x.OtherCard), string(x.Operator), x.Reason, x.ID.String(), x.Hash.String()}
			if !yield(row, nil) {
				return
			}
		}
	}
	shifts := func(yield func([]any, error) bool) {
		for s, err := range l.ExportShifts(ctx, start, end) {
			if err != nil {
				yield(nil, err)
				return
			}
			row := []any{s.ID.String(), personName(s.PersonName, s.PersonProvisional), s.MemberNo, string(s.Card), s.ActivityName, at(s.OpenedAt), at(s.ClosedAt),
				shiftStateName(s.State), s.Minutes, s.Points, flagName(s.Flag)}
			if !yield(row, nil) {
				return
			}
		}
	}
	return []exportTable{
		{flag: "entries", sheet: "流水", header: entryHeader, widths: entryWidths, rows: entries},
		{flag: "shifts", sheet: "服务记录", header: shiftHeader, widths: shiftWidths, rows: shifts},
	}
}
