package roster_test

import (
	"bytes"
	"encoding/csv"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/record"
	"github.com/hongmajia/hongmajia/roster"
	"github.com/xuri/excelize/v2"
)

// The example files a district starts from (deploy/examples). people.xlsx is
// made from people.csv:
//
//	go test ./roster -run TestExamplePeopleXLSX -update-examples
var updateExamples = flag.Bool("update-examples", false, "remake deploy/examples/people.xlsx from people.csv")

const examples = "../deploy/examples"

func open(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(examples, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestExamplePeopleCSV(t *testing.T) {
	ppl, err := roster.ReadPeople(bytes.NewReader(open(t, "people.csv")))
	if err != nil {
		t.Fatal(err)
	}
	if len(ppl.Problems) != 0 {
		t.Fatalf("problems in the example: %v", ppl.Problems)
	}
	if ppl.Format != "csv" || ppl.Encoding != "UTF-8" || ppl.HeaderLine != 1 || len(ppl.Ignored) != 0 {
		t.Errorf("source %+v", ppl.Source)
	}
	if len(ppl.Rows) != 20 {
		t.Fatalf("%d rows, want 20", len(ppl.Rows))
	}
	want := map[int]roster.Person{
		0: {Line: 2, MemberNo: "HPL0001", Name: "王堃", Phone: "13910230001", Community: "和平里东街社区", Kind: record.RedVest, Card: "3A7F2C91"},
		// A wedge reader's ten decimal digits, and a 7-byte UID with colons.
		1: {Line: 3, MemberNo: "HPL0002", Name: "李喆", Phone: "13810230002", Community: "和平里中街社区", Kind: record.GreenVest, Card: "00BC614E"},
		2: {Line: 4, MemberNo: "HPL0003", Name: "陈赟", Phone: "15010230003", Community: "和平里北街社区", Kind: record.InService, Card: "04A1B2C3D4E5F6"},
		3: {Line: 5, MemberNo: "HPL0004", Name: "周玥", Phone: "18610230004", Community: "和平里西街社区", Kind: record.Resident},
		// A landline with its area code.
		6: {Line: 8, MemberNo: "HPL0007", Name: "杨秀英", Phone: "01064210007", Community: "和平里东街社区", Kind: record.Resident},
	}
	for i, w := range want {
		if ppl.Rows[i] != w {
			t.Errorf("row %d = %+v, want %+v", i, ppl.Rows[i], w)
		}
	}
}

func TestExampleActivitiesCSV(t *testing.T) {
	acts, err := roster.ReadActivities(bytes.NewReader(open(t, "activities.csv")))
	if err != nil {
		t.Fatal(err)
	}
	if len(acts.Problems) != 0 || len(acts.Rows) != 6 {
		t.Fatalf("%d rows, problems %v", len(acts.Rows), acts.Problems)
	}
	a := acts.Rows[0]
	wantRules := record.Rules{
		PointsPerHour: map[record.VolunteerKind]int64{record.RedVest: 10, record.GreenVest: 12, record.InService: 10, record.Resident: 5},
		RoundMinutes:  15, MinMinutes: 30, MaxMinutes: 240, DailyCapMinutes: 240, EarlyMinutes: 15, Forgotten: record.CloseAtEnd,
	}
	wantSched := record.Schedule{Weekdays: []time.Weekday{time.Monday, time.Wednesday, time.Friday}, Start: "09:00", End: "11:30"}
	if a.Name != "助老服务" || a.Line != 2 || !reflect.DeepEqual(a.Rules, wantRules) || !reflect.DeepEqual(a.Schedule, wantSched) || a.Station {
		t.Errorf("助老服务 = %+v", a)
	}
	// 一至五 is Monday to Friday; 每天 is every day; one station activity.
	if got := acts.Rows[3].Schedule.Weekdays; !reflect.DeepEqual(got, []time.Weekday{1, 2, 3, 4, 5}) {
		t.Errorf("文明劝导 weekdays %v", got)
	}
	st := acts.Rows[4]
	if st.Name != "便民服务" || !st.Station || !st.Rules.AnyTime || st.Schedule.Weekdays != nil || st.Rules.Forgotten != record.FlagForStaff {
		t.Errorf("便民服务 = %+v", st)
	}
	if acts.Rows[2].Rules.PointsPerHour[record.Resident] != 0 || acts.Rows[2].Rules.PointsPerHour[record.InService] != 10 {
		t.Errorf("政策宣传 rates %v", acts.Rows[2].Rules.PointsPerHour)
	}
}

func TestExampleCatalogCSV(t *testing.T) {
	cat, err := roster.ReadCatalog(bytes.NewReader(open(t, "catalog.csv")))
	if err != nil {
		t.Fatal(err)
	}
	if len(cat.Problems) != 0 || len(cat.Rows) != 10 {
		t.Fatalf("%d rows, problems %v", len(cat.Rows), cat.Problems)
	}
	if got, want := cat.Rows[2], (roster.Item{Line: 4, Name: "鸡蛋 30枚", Price: 60, Stock: 40, Limit: 1, Period: roster.Weekly}); got != want {
		t.Errorf("row 3 = %+v, want %+v", got, want)
	}
	if got, want := cat.Rows[3], (roster.Item{Line: 5, Name: "酱油 500ml", Price: 25, Stock: 50}); got != want {
		t.Errorf("row 4 = %+v, want %+v", got, want)
	}
}

// TestExamplePeopleXLSX: people.xlsx holds the rows of people.csv. With
// -update-examples it is made again from the CSV first.
func TestExamplePeopleXLSX(t *testing.T) {
	if *updateExamples {
		b, err := xlsxFromCSV(open(t, "people.csv"), "志愿者")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(examples, "people.xlsx"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fromCSV, err := roster.ReadPeople(bytes.NewReader(open(t, "people.csv")))
	if err != nil {
		t.Fatal(err)
	}
	fromXLSX, err := roster.ReadPeople(bytes.NewReader(open(t, "people.xlsx")))
	if err != nil {
		t.Fatal(err)
	}
	if fromXLSX.Format != "xlsx" || len(fromXLSX.Problems) != 0 {
		t.Fatalf("xlsx: %+v, problems %v", fromXLSX.Source, fromXLSX.Problems)
	}
	if !reflect.DeepEqual(fromCSV.Rows, fromXLSX.Rows) {
		t.Fatalf("people.xlsx does not hold the rows of people.csv; remake it:\n\tgo test ./roster -run TestExamplePeopleXLSX -update-examples\ncsv:  %+v\nxlsx: %+v", fromCSV.Rows, fromXLSX.Rows)
	}
}

// xlsxFromCSV writes a CSV file's cells to one sheet, every cell as text (a
// phone, a member number or a card number typed later stays text too: the
// columns are formatted as text), with a bold header.
func xlsxFromCSV(data []byte, sheet string) ([]byte, error) {
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(data), "\ufeff"))).ReadAll()
	if err != nil {
		return nil, err
	}
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName(f.GetSheetName(0), sheet); err != nil {
		return nil, err
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49}) // "@": text
	if err != nil {
		return nil, err
	}
	bold, err := f.NewStyle(&excelize.Style{NumFmt: 49, Font: &excelize.Font{Bold: true}})
	if err != nil {
		return nil, err
	}
	last, _ := excelize.ColumnNumberToName(len(recs[0]))
	if err := f.SetColStyle(sheet, "A:"+last, text); err != nil {
		return nil, err
	}
	if err := f.SetColWidth(sheet, "A", last, 16); err != nil {
		return nil, err
	}
	for r, rec := range recs {
		for c, v := range rec {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
			if err := f.SetCellStr(sheet, cell, v); err != nil {
				return nil, err
			}
			if r == 0 {
				if err := f.SetCellStyle(sheet, cell, cell, bold); err != nil {
					return nil, err
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
