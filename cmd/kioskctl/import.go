package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/record"
	"github.com/hongmajia/hongmajia/roster"
)

func init() {
	commands["import"] = command{summary: "import people|activities|catalog FILE (CSV or XLSX) all or nothing; --preview changes nothing", run: runImport}
}

// importer is one kind of import: it reads the file with the roster and
// applies its rows to the ledger, dry or not.
type importer struct {
	what string // for messages: people, activities, items
	run  func(ctx context.Context, l *ledger.Ledger, r io.Reader, dry bool) (*importRun, error)
}

// importRun is what an import found: the file's source, its good rows
// (each line as the preview prints it), every problem, and what the ledger
// wrote or would write.
type importRun struct {
	src      roster.Source
	header   string
	lines    []string // one per good row, by line
	problems []roster.Problem
	result   ledger.ImportResult
}

var importers = map[string]importer{
	"people":     {what: "people", run: importPeople},
	"activities": {what: "activities", run: importActivities},
	"catalog":    {what: "items", run: importCatalog},
}

func runImport(e *env, args []string) error {
	f, data := newFlagSet(e, "import")
	preview := f.Bool("preview", false, "show what would be imported and every row's problem; change nothing")
	f.Usage = func() {
		fmt.Fprintln(e.stderr, "usage: kioskctl import people|activities|catalog FILE [--preview] [--data DIR]")
		fmt.Fprintln(e.stderr, "Reads a CSV (UTF-8 or GB18030) or XLSX file with Chinese headers (deploy/examples has one of")
		fmt.Fprintln(e.stderr, "each) and imports every row, or none: a bad row is named with its line and reason.")
		fmt.Fprintln(e.stderr, "An existing member number, activity or item is refused: an import never changes one.")
		f.PrintDefaults()
	}
	rest, err := parseArgs(f, args)
	if err != nil {
		return err
	}
	if len(rest) != 2 {
		f.Usage()
		return fmt.Errorf("%w: want what to import (people, activities or catalog) and a file", errUsage)
	}
	imp, ok := importers[rest[0]]
	if !ok {
		return fmt.Errorf("%w: import %q: want people, activities or catalog", errUsage, rest[0])
	}
	file := rest[1]
	ctx := context.Background()
	l, err := openLedgerDir(ctx, *data)
	if err != nil {
		return err
	}
	defer l.Close()
	fh, err := os.Open(file)
	if err != nil {
		return err
	}
	defer fh.Close()
	// First a dry run over every row, so every problem is known, the
	// ledger's (a member number it holds already) with the file's.
	ir, err := imp.run(ctx, l, fh, true)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	slices.SortStableFunc(ir.problems, func(a, b roster.Problem) int { return a.Line - b.Line })
	name := filepath.Base(file)
	if len(ir.lines) == 0 && len(ir.problems) == 0 {
		return fmt.Errorf("%s: no %s under the header (line %d): nothing to import", name, imp.what, ir.src.HeaderLine)
	}
	out := e.stdout
	if *preview {
		describeSource(out, name, ir.src)
		fmt.Fprintf(out, "\n将导入 would import (%d):\n  %s\n", len(ir.lines), ir.header)
		for _, line := range ir.lines {
			fmt.Fprintf(out, "  %s\n", line)
		}
	}
	if len(ir.problems) > 0 {
		w := e.stderr
		if *preview {
			w = out
			fmt.Fprintf(w, "\n问题 problems (%d):\n", len(ir.problems))
		}
		for _, p := range ir.problems {
			fmt.Fprintf(w, "  %s: %v\n", name, p)
		}
		if *preview {
			return fmt.Errorf("%s: %d problem(s): fix them and preview again; as it is nothing would be imported", name, len(ir.problems))
		}
		return fmt.Errorf("%s: %d problem(s): nothing imported", name, len(ir.problems))
	}
	if *preview {
		at := ""
		if *data != defaultData {
			at = " --data " + *data
		}
		fmt.Fprintf(out, "\n没有问题 no problems: `kioskctl import %s %s%s` imports %s (预览未做任何更改 the preview changed nothing)\n", rest[0], file, at, summary(ir.result))
		return nil
	}
	if _, err := fh.Seek(0, io.SeekStart); err != nil {
		return err
	}
	ir, err = imp.run(ctx, l, fh, false)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	if len(ir.problems) > 0 { // the ledger changed since the dry run
		for _, p := range ir.problems {
			fmt.Fprintf(e.stderr, "  %s: %v\n", name, p)
		}
		return fmt.Errorf("%s: %d problem(s): nothing imported", name, len(ir.problems))
	}
	fmt.Fprintf(out, "已导入 imported %s from %s into %s (%s)\n", summary(ir.result), name, l.Terminal().CenterName, l.Terminal().Center)
	return nil
}

func describeSource(w io.Writer, name string, src roster.Source) {
	what := strings.ToUpper(src.Format)
	if src.Encoding != "" {
		what += ", " + src.Encoding
	}
	if src.Sheet != "" {
		what += ", sheet " + src.Sheet
	}
	fmt.Fprintf(w, "文件 file %s (%s), 表头 header on line %d\n", name, what, src.HeaderLine)
	if len(src.Ignored) > 0 {
		fmt.Fprintf(w, "未导入的列 columns not imported: %s\n", strings.Join(src.Ignored, ", "))
	}
}

func summary(r ledger.ImportResult) string {
	switch {
	case r.Items > 0:
		return fmt.Sprintf("%d items (%d units of stock)", r.Items, r.Stock)
	case r.Activities > 0:
		s := fmt.Sprintf("%d activities", r.Activities)
		if r.Station {
			s += " (one the station's)"
		}
		return s
	}
	return fmt.Sprintf("%d people (%d with a card)", r.People, r.Cards)
}

// ledgerProblems turns the ledger's refused rows into problems on the rows'
// lines; any other error stops the import.
func ledgerProblems(err error, line func(row int) int, describe func(row int, err error) roster.Problem) ([]roster.Problem, error) {
	if err == nil {
		return nil, nil
	}
	var ie *ledger.ImportError
	if !errors.As(err, &ie) {
		return nil, err
	}
	var out []roster.Problem
	for _, r := range ie.Rows {
		p := describe(r.Row, r.Err)
		p.Line = line(r.Row)
		out = append(out, p)
	}
	return out, nil
}

func refusedReason(err error) string {
	switch {
	case errors.Is(err, ledger.ErrDuplicate):
		return "已登记 (already in the ledger; an import never changes what is there)"
	case errors.Is(err, ledger.ErrCardInUse):
		return "这张卡已绑定 (the card is bound already)"
	}
	return fmt.Sprintf("被拒绝 (refused): %v", err)
}

func importPeople(ctx context.Context, l *ledger.Ledger, r io.Reader, dry bool) (*importRun, error) {
	ppl, err := roster.ReadPeople(r)
	if err != nil {
		return nil, err
	}
	ir := &importRun{src: ppl.Source, problems: ppl.Problems,
		header: fmt.Sprintf("%s %s %s %s %s %s %s", padRight("行", 5), padRight("编号", 10), padRight("姓名", 10), padRight("类型", 8), padRight("电话", 13), padRight("卡号", 20), "社区")}
	req := ledger.ImportPeople{ID: record.NewEntryID(), DryRun: dry}
	for _, p := range ppl.Rows {
		req.People = append(req.People, ledger.ImportPerson{MemberNo: p.MemberNo, Name: p.Name, Phone: p.Phone, Community: p.Community, Kind: p.Kind, Card: p.Card})
		ir.lines = append(ir.lines, fmt.Sprintf("%-5d %s %s %s %s %s %s", p.Line, padRight(p.MemberNo, 10), padRight(p.Name, 10),
			padRight(volunteerKindName(p.Kind), 8), padRight(ledger.MaskPhone(p.Phone), 13), padRight(string(p.Card), 20), p.Community))
	}
	ir.result, err = l.ImportPeople(ctx, req)
	more, err := ledgerProblems(err, func(i int) int { return ppl.Rows[i].Line }, func(i int, err error) roster.Problem {
		p := ppl.Rows[i]
		if errors.Is(err, ledger.ErrCardInUse) {
			return roster.Problem{Column: ppl.Columns[roster.ColCard], Value: string(p.Card), Reason: refusedReason(err)}
		}
		if errors.Is(err, ledger.ErrDuplicate) {
			return roster.Problem{Column: ppl.Columns[roster.ColMemberNo], Value: p.MemberNo, Reason: refusedReason(err)}
		}
		return roster.Problem{Reason: refusedReason(err)}
	})
	ir.problems = append(ir.problems, more...)
	return ir, err
}

func importActivities(ctx context.Context, l *ledger.Ledger, r io.Reader, dry bool) (*importRun, error) {
	acts, err := roster.ReadActivities(r)
	if err != nil {
		return nil, err
	}
	ir := &importRun{src: acts.Source, problems: acts.Problems,
		header: fmt.Sprintf("%s %s %s %s %s", padRight("行", 5), padRight("活动名称", 14), padRight("时间 when", 30), padRight("积分/小时 points/h", 28), "规则 rules")}
	req := ledger.ImportActivities{ID: record.NewEntryID(), DryRun: dry}
	for _, a := range acts.Rows {
		req.Activities = append(req.Activities, ledger.ImportActivity{Name: a.Name, Schedule: a.Schedule, Rules: a.Rules, Station: a.Station})
		ir.lines = append(ir.lines, fmt.Sprintf("%-5d %s %s %s %s", a.Line, padRight(a.Name, 14), padRight(scheduleText(a.Schedule), 30),
			padRight(ratesText(a.Rules), 28), rulesText(a)))
	}
	ir.result, err = l.ImportActivities(ctx, req)
	more, err := ledgerProblems(err, func(i int) int { return acts.Rows[i].Line }, func(i int, err error) roster.Problem {
		if errors.Is(err, ledger.ErrDuplicate) {
			return roster.Problem{Column: acts.Columns[roster.ColActivity], Value: acts.Rows[i].Name, Reason: refusedReason(err)}
		}
		return roster.Problem{Reason: refusedReason(err)}
	})
	ir.problems = append(ir.problems, more...)
	return ir, err
}

var weekdayChars = [...]string{"日", "一", "二", "三", "四", "五", "六"}

func scheduleText(s record.Schedule) string {
	days := "每天"
	if len(s.Weekdays) > 0 {
		var d []string
		for _, w := range s.Weekdays {
			d = append(d, weekdayChars[w])
		}
		days = "周" + strings.Join(d, "、")
	}
	if s.Start == "" {
		return days
	}
	return days + " " + s.Start + "–" + s.End
}

func ratesText(r record.Rules) string {
	var parts []string
	for _, k := range []record.VolunteerKind{record.RedVest, record.GreenVest, record.InService, record.Resident} {
		parts = append(parts, fmt.Sprintf("%s%d", strings.TrimSuffix(volunteerKindName(k), "马甲"), r.PointsPerHour[k]))
	}
	return strings.Join(parts, " ")
}

func rulesText(a roster.Activity) string {
	r := a.Rules
	var parts []string
	add := func(label string, n int64) {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%s%d", label, n))
		}
	}
	add("取整", r.RoundMinutes)
	add("最短", r.MinMinutes)
	add("最长", r.MaxMinutes)
	add("日上限", r.DailyCapMinutes)
	add("提前", r.EarlyMinutes)
	if r.AnyTime {
		parts = append(parts, "随时可签到")
	}
	if r.Forgotten == record.CloseAtEnd {
		parts = append(parts, "未签退:结束时签退")
	}
	if a.Station {
		parts = append(parts, "站点活动 station")
	}
	return strings.Join(parts, " ")
}

var ledgerPeriods = map[roster.Period]ledger.Period{
	roster.NoLimit: ledger.NoLimit, roster.Daily: ledger.Daily, roster.Weekly: ledger.Weekly,
	roster.Monthly: ledger.Monthly, roster.Yearly: ledger.Yearly,
}

func importCatalog(ctx context.Context, l *ledger.Ledger, r io.Reader, dry bool) (*importRun, error) {
	cat, err := roster.ReadCatalog(r)
	if err != nil {
		return nil, err
	}
	ir := &importRun{src: cat.Source, problems: cat.Problems,
		header: fmt.Sprintf("%s %s %s %s %s", padRight("行", 5), padRight("物品名称", 16), padRight("所需积分", 9), padRight("库存", 7), "限兑")}
	req := ledger.ImportCatalog{ID: record.NewEntryID(), DryRun: dry}
	for _, it := range cat.Rows {
		period, ok := ledgerPeriods[it.Period]
		if !ok {
			return nil, fmt.Errorf("period %v: %w", it.Period, ledger.ErrInvalid)
		}
		req.Items = append(req.Items, ledger.ImportItem{Stock: it.Stock,
			Item: ledger.Item{Name: it.Name, Price: it.Price, Limit: it.Limit, Period: period, Active: true}})
		limit := ""
		if it.Limit > 0 {
			limit = fmt.Sprintf("每%s %d", it.Period, it.Limit)
		}
		ir.lines = append(ir.lines, fmt.Sprintf("%-5d %s %-9d %-7d %s", it.Line, padRight(it.Name, 16), it.Price, it.Stock, limit))
	}
	ir.result, err = l.ImportCatalog(ctx, req)
	more, err := ledgerProblems(err, func(i int) int { return cat.Rows[i].Line }, func(i int, err error) roster.Problem {
		if errors.Is(err, ledger.ErrDuplicate) {
			return roster.Problem{Column: cat.Columns[roster.ColItem], Value: cat.Rows[i].Name, Reason: refusedReason(err)}
		}
		return roster.Problem{Reason: refusedReason(err)}
	})
	ir.problems = append(ir.problems, more...)
	return ir, err
}
