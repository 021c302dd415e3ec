package ledger_test

import (
	"errors"
	"testing"

	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

func people(t *testing.T, e *ledgertest.Env) int64 {
	t.Helper()
	st, err := e.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return st.People
}

func rowsOf(t *testing.T, err error) map[int]error {
	t.Helper()
	var ie *ledger.ImportError
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v, want an *ImportError", err)
	}
	out := map[int]error{}
	for _, r := range ie.Rows {
		out[r.Row] = r.Err
	}
	return out
}

func TestImportPeopleAllOrNothing(t *testing.T) {
	e := ledgertest.MustOpen(t)
	had, taken := e.AddPerson(t, "已有", record.GreenVest)
	before := people(t, e)
	roster := []ledger.ImportPerson{
		{MemberNo: "HPL0001", Name: "王堃", Phone: "13910230001", Community: "和平里东街社区", Kind: record.RedVest, Card: "3A7F2C91"},
		{MemberNo: had.MemberNo, Name: "李喆", Kind: record.GreenVest}, // the ledger has this member number
		{MemberNo: "HPL0003", Name: "陈赟", Kind: record.InService, Card: taken},
		{MemberNo: "HPL0004", Name: "周玥", Kind: record.Resident},
		{MemberNo: "HPL0005", Name: "", Kind: record.Resident},
	}
	id := record.NewEntryID()
	_, err := e.ImportPeople(ctx, ledger.ImportPeople{ID: id, People: roster})
	bad := rowsOf(t, err)
	if len(bad) != 3 || !errors.Is(bad[1], ledger.ErrDuplicate) || !errors.Is(bad[2], ledger.ErrCardInUse) || !errors.Is(bad[4], ledger.ErrInvalid) {
		t.Fatalf("refused rows %v", bad)
	}
	if !errors.Is(err, ledger.ErrCardInUse) {
		t.Errorf("errors.Is(err, ErrCardInUse) = false: the rows' errors are not unwrapped")
	}
	// Nothing of it: not the good first row, not its card.
	if n := people(t, e); n != before {
		t.Fatalf("people %d after a refused import, want %d", n, before)
	}
	if _, err := e.LookupCard(ctx, "3A7F2C91"); !errors.Is(err, ledger.ErrUnknownCard) {
		t.Fatalf("card of a refused import: %v", err)
	}

	// Fixed, the same request id imports (a refusal stores nothing under it).
	good := []ledger.ImportPerson{roster[0], roster[3]}
	res, err := e.ImportPeople(ctx, ledger.ImportPeople{ID: id, People: good})
	if err != nil || res.People != 2 || res.Cards != 1 {
		t.Fatalf("import: %+v, %v", res, err)
	}
	info, err := e.LookupCard(ctx, "3A7F2C91")
	if err != nil || info.Person.Name != "王堃" || info.Person.MemberNo != "HPL0001" || info.Person.Phone != "139****0001" || info.Person.Kind != record.RedVest {
		t.Fatalf("imported card: %+v, %v", info.Person, err)
	}
	// Again with the same id: the first answer, nothing twice.
	again, err := e.ImportPeople(ctx, ledger.ImportPeople{ID: id, People: good})
	if err != nil || again != res || people(t, e) != before+2 {
		t.Fatalf("repeat: %+v, %v, %d people", again, err, people(t, e))
	}
	// A new run of the same file refuses every row: imports never overwrite.
	_, err = e.ImportPeople(ctx, ledger.ImportPeople{ID: record.NewEntryID(), People: good})
	if bad := rowsOf(t, err); len(bad) != 2 || !errors.Is(bad[0], ledger.ErrDuplicate) {
		t.Fatalf("second run: %v", bad)
	}
	e.MustVerify(t)
}

func TestImportDryRunWritesNothing(t *testing.T) {
	e := ledgertest.MustOpen(t)
	id := record.NewEntryID()
	req := ledger.ImportPeople{ID: id, DryRun: true, People: []ledger.ImportPerson{
		{MemberNo: "HPL0001", Name: "王堃", Kind: record.RedVest, Card: "3A7F2C91"},
		{MemberNo: "HPL0001", Name: "李喆", Kind: record.GreenVest}, // twice in one request
	}}
	_, err := e.ImportPeople(ctx, req)
	if bad := rowsOf(t, err); len(bad) != 1 || !errors.Is(bad[1], ledger.ErrDuplicate) {
		t.Fatalf("dry run: %v", bad)
	}
	req.People = req.People[:1]
	res, err := e.ImportPeople(ctx, req)
	if err != nil || res.People != 1 || res.Cards != 1 {
		t.Fatalf("dry run: %+v, %v", res, err)
	}
	if n := people(t, e); n != 0 {
		t.Fatalf("a dry run wrote %d people", n)
	}
	// The id is free for the real import.
	req.DryRun = false
	if res, err := e.ImportPeople(ctx, req); err != nil || res.People != 1 {
		t.Fatalf("import after dry run: %+v, %v", res, err)
	}
	if n := people(t, e); n != 1 {
		t.Fatalf("%d people after import", n)
	}
}

func TestImportActivitiesAndStation(t *testing.T) {
	e := ledgertest.MustOpen(t)
	e.AnyTime(t) // 便民服务
	rules := record.Rules{PointsPerHour: map[record.VolunteerKind]int64{record.RedVest: 10}, RoundMinutes: 15}
	req := ledger.ImportActivities{ID: record.NewEntryID(), Activities: []ledger.ImportActivity{
		{Name: "助老服务", Schedule: record.Schedule{Start: "09:00", End: "11:30"}, Rules: rules},
		{Name: "便民服务", Rules: record.Rules{AnyTime: true}},
		{Name: "巡查", Schedule: record.Schedule{Start: "19:00", End: "18:00"}, Rules: rules},
		{Name: "签到台", Rules: record.Rules{AnyTime: true}, Station: true},
		{Name: "第二个签到台", Rules: record.Rules{AnyTime: true}, Station: true},
	}}
	_, err := e.ImportActivities(ctx, req)
	bad := rowsOf(t, err)
	if len(bad) != 3 || !errors.Is(bad[1], ledger.ErrDuplicate) || !errors.Is(bad[2], ledger.ErrInvalid) || !errors.Is(bad[4], ledger.ErrInvalid) {
		t.Fatalf("refused rows %v", bad)
	}
	if acts, _ := e.Activities(ctx); len(acts) != 1 {
		t.Fatalf("%d activities after a refused import", len(acts))
	}
	if _, err := e.StationActivity(ctx); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("station after a refused import: %v", err)
	}
	req.Activities = []ledger.ImportActivity{req.Activities[0], req.Activities[3]}
	res, err := e.ImportActivities(ctx, req)
	if err != nil || res.Activities != 2 || !res.Station {
		t.Fatalf("import: %+v, %v", res, err)
	}
	st, err := e.StationActivity(ctx)
	if err != nil || st.Name != "签到台" || !st.Active || st.Center != ledgertest.Center {
		t.Fatalf("station: %+v, %v", st, err)
	}
}

func TestImportCatalogStocks(t *testing.T) {
	e := ledgertest.MustOpen(t)
	req := ledger.ImportCatalog{ID: record.NewEntryID(), Items: []ledger.ImportItem{
		{Item: ledger.Item{Name: "大米 5kg", Price: 120, Limit: 1, Period: ledger.Monthly, Active: true}, Stock: 30},
		{Item: ledger.Item{Name: "牙膏", Price: 15, Active: true}},
		{Item: ledger.Item{Name: "毛巾", Price: 0, Active: true}, Stock: 3},
	}}
	_, err := e.ImportCatalog(ctx, req)
	if bad := rowsOf(t, err); len(bad) != 1 || !errors.Is(bad[2], ledger.ErrInvalid) {
		t.Fatalf("refused rows %v", bad)
	}
	if cat, _ := e.Catalog(ctx); len(cat) != 0 {
		t.Fatalf("catalog after a refused import: %+v", cat)
	}
	req.Items = req.Items[:2]
	res, err := e.ImportCatalog(ctx, req)
	if err != nil || res.Items != 2 || res.Stock != 30 {
		t.Fatalf("import: %+v, %v", res, err)
	}
	cat, err := e.Catalog(ctx)
	if err != nil || len(cat) != 2 {
		t.Fatalf("catalog %+v, %v", cat, err)
	}
	stock := map[string]int64{}
	for _, o := range cat {
		stock[o.Item.Name] = o.Stock
	}
	if stock["大米 5kg"] != 30 || stock["牙膏"] != 0 {
		t.Errorf("stock %v", stock)
	}
	// The stock is an entry like any restock, so balances verify.
	e.MustVerify(t)
	_, err = e.ImportCatalog(ctx, ledger.ImportCatalog{ID: record.NewEntryID(), Items: req.Items[1:]})
	if bad := rowsOf(t, err); !errors.Is(bad[0], ledger.ErrDuplicate) {
		t.Fatalf("second import: %v", bad)
	}
}

func TestRenameCompletesAWalkIn(t *testing.T) {
	e := ledgertest.MustOpen(t)
	p, err := e.EnrolPerson(ctx, ledger.EnrolPerson{ID: record.NewEntryID(), MemberNo: "hpl0099", Kind: record.GreenVest, Provisional: true})
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.PersonByMemberNo(ctx, "hpl0099")
	if err != nil || got.ID != p.ID {
		t.Fatalf("by member number: %+v, %v", got, err)
	}
	if _, err := e.PersonByMemberNo(ctx, "HPL0100"); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("unknown member number: %v", err)
	}
	if _, err := e.RenamePerson(ctx, ledger.RenamePerson{ID: record.NewEntryID(), Person: p.ID, Name: "  "}); !errors.Is(err, ledger.ErrInvalid) {
		t.Fatalf("blank name: %v", err)
	}
	r, err := e.RenamePerson(ctx, ledger.RenamePerson{ID: record.NewEntryID(), Person: p.ID, Name: " 周玥 "})
	if err != nil || r.Name != "周玥" || r.Provisional {
		t.Fatalf("rename: %+v, %v", r, err)
	}
	if got, _ := e.Person(ctx, p.ID); got.Name != "周玥" || got.Provisional {
		t.Fatalf("stored: %+v", got)
	}
	// Upper case is found too (imports store it so).
	q, err := e.EnrolPerson(ctx, ledger.EnrolPerson{ID: record.NewEntryID(), MemberNo: "HPL0012", Name: "马骏", Kind: record.InService})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := e.PersonByMemberNo(ctx, "hpl0012"); err != nil || got.ID != q.ID {
		t.Fatalf("lower-case lookup: %+v, %v", got, err)
	}
}

func TestDisabledStaffCard(t *testing.T) {
	e := ledgertest.MustOpen(t)
	tech := e.NewUID()
	if _, err := e.AddStaff(ctx, ledger.AddStaff{ID: record.NewEntryID(), UID: tech, Name: "孙立伟", Role: ledger.RoleTechnician, PIN: "1379"}); err != nil {
		t.Fatal(err)
	}
	list, err := e.StaffCards(ctx)
	if err != nil || len(list) != 2 || list[0].UID != tech || list[1].UID != e.Staff || !list[0].Active {
		t.Fatalf("staff list %+v, %v", list, err)
	}
	if _, err := e.SetStaffActive(ctx, ledger.SetStaffActive{ID: record.NewEntryID(), UID: "0BADCAFE"}); !errors.Is(err, ledger.ErrNotStaff) {
		t.Fatalf("disable a card that is not staff: %v", err)
	}
	s, err := e.SetStaffActive(ctx, ledger.SetStaffActive{ID: record.NewEntryID(), UID: e.Staff, Active: false})
	if err != nil || s.Active {
		t.Fatalf("disable: %+v, %v", s, err)
	}
	// Refused at the tap, at the PIN and as the operator of a write.
	info, err := e.LookupCard(ctx, e.Staff)
	if !errors.Is(err, ledger.ErrStaffDisabled) || info.Staff == nil || info.Staff.Name != "值班员" {
		t.Fatalf("look up a disabled staff card: %+v, %v", info, err)
	}
	if _, err := e.CheckPIN(ctx, e.Staff, ledgertest.StaffPIN); !errors.Is(err, ledger.ErrStaffDisabled) {
		t.Fatalf("PIN of a disabled card: %v", err)
	}
	item := e.AddItem(t, "牙膏", 15, 0)
	if _, err := e.Restock(ctx, ledger.Restock{ID: record.NewEntryID(), Item: item.ID, Quantity: 1, Operator: e.Staff}); !errors.Is(err, ledger.ErrStaffDisabled) {
		t.Fatalf("restock by a disabled card: %v", err)
	}
	if list, _ := e.StaffCards(ctx); list[1].Active {
		t.Fatalf("list says %+v", list[1])
	}
	// Enabled again, it works.
	if _, err := e.SetStaffActive(ctx, ledger.SetStaffActive{ID: record.NewEntryID(), UID: e.Staff, Active: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CheckPIN(ctx, e.Staff, ledgertest.StaffPIN); err != nil {
		t.Fatalf("PIN after enabling: %v", err)
	}
}
