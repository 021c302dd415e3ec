package main

import (
	"context"
	"encoding/csv"
	"iter"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/record"
	"github.com/xuri/excelize/v2"
)

var allTime = [2]time.Time{time.Unix(0, math.MinInt64), time.Unix(0, math.MaxInt64)}

// readCSV reads an export back as Excel would: BOM, then records.
func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, ok := strings.CutPrefix(string(b), utf8BOM)
	if !ok {
		t.Fatalf("%s does not start with a UTF-8 BOM: Excel would read it as GBK", path)
	}
	recs, err := csv.NewReader(strings.NewReader(s)).ReadAll()
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return recs
}

// collect reads one of the ledger's export iterators into a slice.
func collect[T any](t *testing.T, seq iter.Seq2[T, error]) []T {
	t.Helper()
	var out []T
	for x, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, x)
	}
	return out
}

func ledgerEntries(t *testing.T, l *ledger.Ledger, from, to time.Time) []ledger.ExportEntry {
	return collect(t, l.ExportEntries(context.Background(), from, to))
}

func ledgerShifts(t *testing.T, l *ledger.Ledger, from, to time.Time) []ledger.ExportShift {
	return collect(t, l.ExportShifts(context.Background(), from, to))
}

func TestExportCSVEntries(t *testing.T) {
	dir := demoData(t)
	out := filepath.Join(t.TempDir(), "流水.csv")
	code, stdout, stderr := kioskctl(t, "export", "--data", dir, "--format", "csv", "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	l := openDemo(t, dir)
	want := ledgerEntries(t, l, allTime[0], allTime[1])
	wantIn(t, "stdout", stdout, strconv.Itoa(len(want))+" 流水")
	recs := readCSV(t, out)
	if !slices.Equal(recs[0], entryHeader) {
		t.Fatalf("header = %v", recs[0])
	}
	if len(recs)-1 != len(want) {
		t.Fatalf("%d rows, ledger has %d entries", len(recs)-1, len(want))
	}
	kinds := map[string]bool{}
	for i, e := range want {
		r := recs[i+1]
		kinds[r[4]] = true
		if r[0] != e.Terminal || r[1] != strconv.FormatUint(e.Seq, 10) || r[17] != e.ID.String() || r[18] != e.Hash.String() {
			t.Fatalf("row %d = %v, entry %+v", i+1, r, e)
		}
		if r[2] != e.At.In(l.Location()).Format(time.DateTime) || r[4] != entryKindName(e.Kind) || r[5] != e.PersonName ||
			r[10] != strconv.FormatInt(e.Minutes, 10) || r[11] != strconv.FormatInt(e.Points, 10) || r[12] != strconv.FormatInt(e.Stock, 10) {
			t.Fatalf("row %d = %v, entry %+v", i+1, r, e)
		}
	}
	for _, k := range []string{"签到", "签退", "兑换", "补货", "补卡"} {
		if !kinds[k] {
			t.Errorf("no %s entry exported", k)
		}
	}
}

func TestExportCSVShiftsInDateRange(t *testing.T) {
	dir := demoData(t)
	l := openDemo(t, dir)
	all := ledgerShifts(t, l, allTime[0], allTime[1])
	// A week in the middle of the history, --to inclusive.
	mid := all[len(all)/2].OpenedAt.In(l.Location())
	from, to := mid.AddDate(0, 0, -3).Format(time.DateOnly), mid.AddDate(0, 0, 3).Format(time.DateOnly)
	start, _ := time.ParseInLocation(time.DateOnly, from, l.Location())
	end, _ := time.ParseInLocation(time.DateOnly, to, l.Location())
	want := ledgerShifts(t, l, start, end.AddDate(0, 0, 1))
	if len(want) == 0 || len(want) == len(all) {
		t.Fatalf("%d of %d shifts in the week: the demo is too thin to test a range", len(want), len(all))
	}

	out := filepath.Join(t.TempDir(), "shifts.csv")
	code, _, stderr := kioskctl(t, "export", "--data", dir, "--table", "shifts", "--from", from, "--to", to, "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	recs := readCSV(t, out)
	if !slices.Equal(recs[0], shiftHeader) {
		t.Fatalf("header = %v", recs[0])
	}
	if len(recs)-1 != len(want) {
		t.Fatalf("%d rows, want %d shifts from %s to %s", len(recs)-1, len(want), from, to)
	}
	for i, s := range want {
		r := recs[i+1]
		if r[0] != s.ID.String() || r[1] != s.PersonName || r[4] != s.ActivityName || r[7] != shiftStateName(s.State) ||
			r[8] != strconv.FormatInt(s.Minutes, 10) || r[9] != strconv.FormatInt(s.Points, 10) {
			t.Errorf("row %d = %v, shift %+v", i+1, r, s)
		}
		if day := r[5][:10]; day < from || day > to {
			t.Errorf("row %d checked in on %s, outside %s..%s", i+1, day, from, to)
		}
	}
}

func TestExportXLSX(t *testing.T) {
	dir := demoData(t)
	out := filepath.Join(t.TempDir(), "report.xlsx")
	code, _, stderr := kioskctl(t, "export", "--data", dir, "-o", out) // format from the extension
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	l := openDemo(t, dir)
	entries := ledgerEntries(t, l, allTime[0], allTime[1])
	shifts := ledgerShifts(t, l, allTime[0], allTime[1])

	f, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatalf("excelize cannot open the export: %v", err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !slices.Equal(got, []string{"流水", "服务记录"}) {
		t.Fatalf("sheets = %v", got)
	}
	rows, err := f.GetRows("流水")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rows[0], entryHeader) || len(rows)-1 != len(entries) {
		t.Fatalf("流水: header %v, %d rows, want %d", rows[0], len(rows)-1, len(entries))
	}
	last := entries[len(entries)-1]
	if r := rows[len(rows)-1]; r[1] != strconv.FormatUint(last.Seq, 10) || r[17] != last.ID.String() {
		t.Errorf("last row %v, last entry %+v", r, last)
	}
	// Numbers are numbers, so a sum in Excel works.
	cell, _ := excelize.CoordinatesToCellName(12, len(rows))
	if typ, err := f.GetCellType("流水", cell); err != nil || typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
		t.Errorf("points cell %s has type %v %v", cell, typ, err)
	}
	rows, err = f.GetRows("服务记录")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rows[0], shiftHeader) || len(rows)-1 != len(shifts) {
		t.Fatalf("服务记录: header %v, %d rows, want %d", rows[0], len(rows)-1, len(shifts))
	}
	for i, s := range shifts {
		if rows[i+1][0] != s.ID.String() || rows[i+1][1] != s.PersonName {
			t.Fatalf("row %d = %v, shift %+v", i+1, rows[i+1], s)
		}
	}
}

// A reason typed by staff that looks like a formula reaches Excel as text.
func TestExportCSVDefusesFormulas(t *testing.T) {
	dir := demoData(t)
	l := openDemo(t, dir)
	ctx := context.Background()
	info, err := l.LookupCard(ctx, "88000001")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Adjust(ctx, ledger.Adjust{ID: record.NewEntryID(), Person: info.Person.ID, Points: 5,
		Reason: `=HYPERLINK("http://example.invalid","补录")`, Operator: "99000001"}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "e.csv")
	if code, _, stderr := kioskctl(t, "export", "--data", dir, "-o", out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	recs := readCSV(t, out)
	last := recs[len(recs)-1]
	if last[4] != "调整" || last[16] != `'=HYPERLINK("http://example.invalid","补录")` || last[11] != "5" {
		t.Errorf("adjustment row = %v", last)
	}
}

func TestExportBadInvocations(t *testing.T) {
	dir := demoData(t)
	outDir := t.TempDir()
	out := filepath.Join(outDir, "x.csv")
	for name, tc := range map[string]struct {
		args []string
		code int
		want string
	}{
		"no output":         {[]string{"--format", "csv"}, 2, "-o FILE is required"},
		"unknown format":    {[]string{"--format", "pdf", "-o", out}, 2, `unknown format "pdf": want csv or xlsx`},
		"unknown extension": {[]string{"-o", filepath.Join(outDir, "x.ods")}, 2, `unknown format "ods"`},
		"not a date":        {[]string{"--from", "yesterday", "-o", out}, 2, `--from "yesterday" is not a date`},
		"no such day":       {[]string{"--to", "2026-02-30", "-o", out}, 2, `--to "2026-02-30" is not a date`},
		"month 13":          {[]string{"--from", "2026-13-01", "-o", out}, 2, "is not a date"},
		"backwards":         {[]string{"--from", "2026-11-02", "--to", "2026-11-01", "-o", out}, 2, "--from 2026-11-02 is after --to 2026-11-01"},
		"unknown table":     {[]string{"--table", "people", "-o", out}, 2, `unknown --table "people"`},
		"missing directory": {[]string{"-o", filepath.Join(outDir, "no", "such", "dir", "x.csv")}, 1, "no such file or directory"},
	} {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := kioskctl(t, append([]string{"export", "--data", dir}, tc.args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d: %s", code, tc.code, stderr)
			}
			wantIn(t, "stderr", stderr, tc.want)
			if left, _ := os.ReadDir(outDir); len(left) != 0 {
				t.Errorf("left behind: %v", left)
			}
		})
	}
}

// An export replaces an older file whole; a failed one leaves it alone.
func TestExportReplacesWholeFile(t *testing.T) {
	dir := demoData(t)
	out := filepath.Join(t.TempDir(), "e.csv")
	if err := os.WriteFile(out, []byte("last month's export"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := kioskctl(t, "export", "--data", dir, "--from", "2026-13-01", "-o", out); code != 2 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if b, _ := os.ReadFile(out); string(b) != "last month's export" {
		t.Fatalf("a refused export changed the file: %q", b)
	}
	if code, _, stderr := kioskctl(t, "export", "--data", dir, "-o", out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if recs := readCSV(t, out); !slices.Equal(recs[0], entryHeader) {
		t.Fatalf("header = %v", recs[0])
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".*tmp*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestExportNamesAWalkIn: a provisional person has no name; the export shows
// the words the kiosk's screen shows for one.
func TestExportNamesAWalkIn(t *testing.T) {
	dir := demoData(t)
	ctx := context.Background()
	l := openDemo(t, dir)
	p, err := l.EnrolPerson(ctx, ledger.EnrolPerson{ID: record.NewEntryID(), MemberNo: "W20261125", Kind: record.GreenVest, Provisional: true})
	if err != nil {
		t.Fatal(err)
	}
	card := record.CardUID("77000001")
	station, err := l.StationActivity(ctx)
	if err == nil {
		_, err = l.BindCard(ctx, ledger.BindCard{ID: record.NewEntryID(), Person: p.ID, UID: card})
	}
	if err == nil {
		_, err = l.CheckIn(ctx, ledger.CheckIn{ID: record.NewEntryID(), Card: card, Activity: station.ID})
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, table := range []struct {
		name           string
		member, person int // columns
	}{{"entries", 6, 5}, {"shifts", 2, 1}} {
		out := filepath.Join(t.TempDir(), table.name+".csv")
		if code, _, stderr := kioskctl(t, "export", "--data", dir, "--table", table.name, "-o", out); code != 0 {
			t.Fatalf("export %s: exit %d: %s", table.name, code, stderr)
		}
		var rows int
		for _, r := range readCSV(t, out) {
			if r[table.member] == "W20261125" {
				rows++
				if r[table.person] != "待补登记" {
					t.Errorf("%s: the walk-in's row names %q, want 待补登记: %v", table.name, r[table.person], r)
				}
			}
		}
		if rows != 1 {
			t.Errorf("%s: %d rows of the walk-in, want 1", table.name, rows)
		}
	}
}
