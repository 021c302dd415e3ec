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

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/record"
	"github.com/hongmajia/hongmajia/roster"
)

func init() {
	commands["import"] = command{summary: "import people|activities|catalog FILE (CSV or XLSX) all or nothing; --center ID for activities and stock; --preview changes nothing", run: runImport}
}

// importRun is what an import found: the file's source, a line per good
// row for the preview, every problem, and what the hub wrote or would.
type importRun struct {
	src      roster.Source
	lines    []string
	problems []roster.Problem
	result   hub.ImportResult
}

type importer func(ctx context.Context, h *hub.Hub, center string, r io.Reader, dry bool) (*importRun, error)

var importers = map[string]importer{"people": importPeople, "activities": importActivities, "catalog": importCatalog}

func runImport(e *env, args []string) error {
	f, data := newFlagSet(e, "import")
	preview := f.Bool("preview", false, "show what would be imported and every row's problem; change nothing")
	center := f.String("center", "", "the center the activities are of, or the catalog's stock is at")
	f.Usage = func() {
		fmt.Fprintln(e.stderr, "usage: hubd import people|activities|catalog FILE [--center ID] [--preview] [--data DIR]")
		fmt.Fprintln(e.stderr, "Reads a CSV (UTF-8 or GB18030) or XLSX file with Chinese headers and imports every row, or")
		fmt.Fprintln(e.stderr, "none: a bad row is named with its line and reason. People and the catalog are the district's;")
		fmt.Fprintln(e.stderr, "activities are a center's (--center), and so is a catalog's stock.")
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
	if rest[0] == "activities" && *center == "" {
		return fmt.Errorf("%w: activities are a center's: give --center ID", errUsage)
	}
	file := rest[1]
	ctx := context.Background()
	h, err := openHub(ctx, data, false, hub.Options{})
	if err != nil {
		return err
	}
	defer h.Close()
	fh, err := os.Open(file)
	if err != nil {
		return err
	}
	defer fh.Close()
	// A dry run first, so every problem is known: the file's and the hub's.
	ir, err := imp(ctx, h, *center, fh, true)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	name := filepath.Base(file)
	if len(ir.lines) == 0 && len(ir.problems) == 0 {
		return fmt.Errorf("%s: no rows under the header (line %d): nothing to import", name, ir.src.HeaderLine)
	}
	out := e.stdout
	if *preview {
		fmt.Fprintf(out, "文件 file %s (%s), 表头 header on line %d\n", name, strings.ToUpper(ir.src.Format), ir.src.HeaderLine)
		if len(ir.src.Ignored) > 0 {
			fmt.Fprintf(out, "未导入的列 columns not imported: %s\n", strings.Join(ir.src.Ignored, ", "))
		}
		fmt.Fprintf(out, "\n将导入 would import (%d):\n", len(ir.lines))
		for _, l := range ir.lines {
			fmt.Fprintf(out, "  %s\n", l)
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
		fmt.Fprintf(out, "\n没有问题 no problems: without --preview it imports %s (预览未做任何更改 the preview changed nothing)\n", summary(ir.result))
		return nil
	}
	if _, err := fh.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if ir, err = imp(ctx, h, *center, fh, false); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	if len(ir.problems) > 0 { // the hub changed since the dry run
		for _, p := range ir.problems {
			fmt.Fprintf(e.stderr, "  %s: %v\n", name, p)
		}
		return fmt.Errorf("%s: %d problem(s): nothing imported", name, len(ir.problems))
	}
	fmt.Fprintf(out, "已导入 imported %s from %s\n", summary(ir.result), name)
	return nil
}

func summary(r hub.ImportResult) string {
	switch {
	case r.Items > 0 || r.Stock > 0:
		return fmt.Sprintf("%d new items (%d units of stock)", r.Items, r.Stock)
	case r.Activities > 0:
		return fmt.Sprintf("%d activities", r.Activities)
	}
	return fmt.Sprintf("%d people (%d with a card)", r.People, r.Cards)
}

// hubProblems turns the rows the hub refused into problems on their
// lines; any other error stops the import.
func hubProblems(err error, line func(row int) int, column func(row int, f hub.Field) (string, string)) ([]roster.Problem, error) {
	if err == nil {
		return nil, nil
	}
	var ie *hub.ImportError
	if !errors.As(err, &ie) {
		return nil, err
	}
	var out []roster.Problem
	for _, r := range ie.Rows {
		col, val := column(r.Row, r.Field)
		reason := fmt.Sprintf("被拒绝 (refused): %v", r.Err)
		if errors.Is(r.Err, hub.ErrExists) {
			reason = fmt.Sprintf("已在中心平台 (already at the hub; an import never changes what is there): %v", r.Err)
		}
		out = append(out, roster.Problem{Line: line(r.Row), Column: col, Value: val, Reason: reason})
	}
	return out, nil
}

func sorted(ps []roster.Problem) []roster.Problem {
	slices.SortStableFunc(ps, func(a, b roster.Problem) int { return a.Line - b.Line })
	return ps
}

var kindNames = map[record.VolunteerKind]string{record.RedVest: "红马甲", record.GreenVest: "绿马甲", record.InService: "双报到", record.Resident: "居民"}

func importPeople(ctx context.Context, h *hub.Hub, _ string, r io.Reader, dry bool) (*importRun, error) {
	ppl, err := roster.ReadPeople(r)
	if err != nil {
		return nil, err
	}
	ir := &importRun{src: ppl.Source, problems: ppl.Problems}
	for _, p := range ppl.Rows {
		ir.lines = append(ir.lines, fmt.Sprintf("%-5d %s %s %s %s", p.Line, padRight(p.MemberNo, 10), padRight(p.Name, 10), padRight(kindNames[p.Kind], 8), p.Card))
	}
	if len(ppl.Problems) > 0 {
		dry = true // the file is refused anyway: only the hub's problems are wanted
	}
	ir.result, err = h.ImportPeople(ctx, ppl.Rows, dry)
	more, err := hubProblems(err, func(i int) int { return ppl.Rows[i].Line }, func(i int, f hub.Field) (string, string) {
		if f == hub.FieldCard {
			return ppl.Columns[roster.ColCard], string(ppl.Rows[i].Card)
		}
		return ppl.Columns[roster.ColMemberNo], ppl.Rows[i].MemberNo
	})
	ir.problems = sorted(append(ir.problems, more...))
	return ir, err
}

func importActivities(ctx context.Context, h *hub.Hub, center string, r io.Reader, dry bool) (*importRun, error) {
	acts, err := roster.ReadActivities(r)
	if err != nil {
		return nil, err
	}
	ir := &importRun{src: acts.Source, problems: acts.Problems}
	for _, a := range acts.Rows {
		station := ""
		if a.Station {
			station = "站点活动 station"
		}
		ir.lines = append(ir.lines, fmt.Sprintf("%-5d %s %s", a.Line, padRight(a.Name, 14), station))
	}
	if len(acts.Problems) > 0 {
		dry = true
	}
	ir.result, err = h.ImportActivities(ctx, center, acts.Rows, dry)
	if errors.Is(err, hub.ErrNotFound) {
		return nil, fmt.Errorf("no center %s (hubd center list shows them)", center)
	}
	more, err := hubProblems(err, func(i int) int { return acts.Rows[i].Line }, func(i int, f hub.Field) (string, string) {
		if f == hub.FieldStation {
			return acts.Columns[roster.ColStation], "是"
		}
		return acts.Columns[roster.ColActivity], acts.Rows[i].Name
	})
	ir.problems = sorted(append(ir.problems, more...))
	return ir, err
}

func importCatalog(ctx context.Context, h *hub.Hub, center string, r io.Reader, dry bool) (*importRun, error) {
	cat, err := roster.ReadCatalog(r)
	if err != nil {
		return nil, err
	}
	ir := &importRun{src: cat.Source, problems: cat.Problems}
	for _, it := range cat.Rows {
		limit := ""
		if it.Limit > 0 {
			limit = fmt.Sprintf("每%s %d", it.Period, it.Limit)
		}
		ir.lines = append(ir.lines, fmt.Sprintf("%-5d %s %-9d %-7d %s", it.Line, padRight(it.Name, 16), it.Price, it.Stock, limit))
	}
	if len(cat.Problems) > 0 {
		dry = true
	}
	ir.result, err = h.ImportCatalog(ctx, center, cat.Rows, dry)
	if errors.Is(err, hub.ErrNotFound) {
		return nil, fmt.Errorf("no center %s (hubd center list shows them)", center)
	}
	more, err := hubProblems(err, func(i int) int { return cat.Rows[i].Line }, func(i int, f hub.Field) (string, string) {
		switch f {
		case hub.FieldStock:
			return cat.Columns[roster.ColStock], fmt.Sprint(cat.Rows[i].Stock)
		case hub.FieldPrice:
			return cat.Columns[roster.ColPrice], fmt.Sprint(cat.Rows[i].Price)
		}
		return cat.Columns[roster.ColItem], cat.Rows[i].Name
	})
	ir.problems = sorted(append(ir.problems, more...))
	return ir, err
}
