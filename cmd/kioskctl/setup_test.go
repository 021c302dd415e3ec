package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

func init() { ledgerOptions.PIN = ledgertest.CheapPIN }

const examples = "../../deploy/examples"

// kioskctlIn runs the tool with stdin.
func kioskctlIn(t *testing.T, stdin io.Reader, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(&env{stdout: &out, stderr: &errb, stdin: stdin}, args)
	return code, out.String(), errb.String()
}

// must runs kioskctl and fails the test unless it exits 0.
func must(t *testing.T, args ...string) string {
	t.Helper()
	code, out, stderr := kioskctl(t, args...)
	if code != 0 {
		t.Fatalf("kioskctl %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, stderr)
	}
	return out
}

// newCenter makes a real center with kioskctl init.
func newCenter(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	must(t, "init", "--data", dir, "--center", "和平里街道党群服务中心", "--center-id", "hepingli")
	return dir
}

func countPeople(t *testing.T, dir string) int64 {
	t.Helper()
	l := openDemo(t, dir)
	st, err := l.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	return st.People
}

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestInitMakesAnEmptyRealCenter(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	out := must(t, "init", "--data", dir, "--center", "和平里街道党群服务中心")
	wantIn(t, "init", out, "和平里街道党群服务中心", "C-", "kioskctl import people FILE --data "+dir)
	l := openDemo(t, dir)
	ctx := context.Background()
	if term := l.Terminal(); term.CenterName != "和平里街道党群服务中心" || term.Center != centerIDFor("和平里街道党群服务中心") {
		t.Errorf("terminal %+v", term)
	}
	// Empty, and not a demo: the kiosk starts in no demo mode.
	mark, err := l.Demo(ctx)
	if err != nil || mark.Demo || len(mark.KeyCards) != 0 {
		t.Errorf("demo mark %+v, %v", mark, err)
	}
	st, err := l.Status(ctx)
	if err != nil || st.People != 0 || st.Cards != 0 || st.Entries != 0 {
		t.Errorf("status %+v, %v", st, err)
	}
	if staff, _ := l.StaffCards(ctx); len(staff) != 0 {
		t.Errorf("staff %+v", staff)
	}
	l.Close()

	// A directory that holds a ledger is refused, a demo's too.
	code, _, stderr := kioskctl(t, "init", "--data", dir, "--center", "别的中心")
	if code != 1 || !strings.Contains(stderr, "a ledger already exists in "+dir) {
		t.Errorf("init over a ledger: exit %d: %s", code, stderr)
	}
	code, _, _ = kioskctl(t, "init", "--data", demoData(t), "--center", "别的中心")
	if code != 1 {
		t.Errorf("init over a demo: exit %d", code)
	}
	for _, args := range [][]string{{}, {"--center", " "}, {"--center", "中心", "--center-id", "有 空格"}, {"--center", "中心", "extra"}} {
		code, _, stderr := kioskctl(t, append([]string{"init", "--data", filepath.Join(t.TempDir(), "d")}, args...)...)
		if code != 2 {
			t.Errorf("init %q: exit %d, want 2: %s", args, code, stderr)
		}
	}
	// The id given is the id kept.
	other := newCenter(t)
	if l := openDemo(t, other); l.Terminal().Center != "hepingli" {
		t.Errorf("center id %q", l.Terminal().Center)
	}
}

// A district starts from the example files: every one imports, and the
// ledger is a working center's.
func TestImportTheExampleFiles(t *testing.T) {
	dir := newCenter(t)
	out := must(t, "import", "people", filepath.Join(examples, "people.csv"), "--data", dir)
	wantIn(t, "import people", out, "已导入 imported 20 people (15 with a card)")
	out = must(t, "import", "--data", dir, "activities", filepath.Join(examples, "activities.csv"))
	wantIn(t, "import activities", out, "6 activities (one the station's)")
	out = must(t, "import", "catalog", filepath.Join(examples, "catalog.csv"), "--data", dir)
	wantIn(t, "import catalog", out, "10 items (560 units of stock)")
	must(t, "verify", "--data", dir)

	l := openDemo(t, dir)
	ctx := context.Background()
	info, err := l.LookupCard(ctx, "00BC614E") // 李喆's card, written as a reader's decimal 0012345678
	if err != nil || info.Person.Name != "李喆" || info.Person.MemberNo != "HPL0002" || info.Person.Kind != record.GreenVest || info.Person.Community != "和平里中街社区" {
		t.Fatalf("李喆's card: %+v, %v", info.Person, err)
	}
	if p, err := l.PersonByMemberNo(ctx, "HPL0007"); err != nil || p.Name != "杨秀英" || p.Phone != "010****0007" {
		t.Fatalf("杨秀英: %+v, %v", p, err)
	}
	station, err := l.StationActivity(ctx)
	if err != nil || station.Name != "便民服务" || !station.Rules.AnyTime {
		t.Fatalf("station activity %+v, %v", station, err)
	}
	cat, err := l.Catalog(ctx)
	if err != nil || len(cat) != 10 {
		t.Fatalf("catalog %d, %v", len(cat), err)
	}
	for _, o := range cat {
		if o.Item.Name == "鸡蛋 30枚" && (o.Stock != 40 || o.Item.Limit != 1 || o.Item.Period != ledger.Weekly || o.Item.Price != 60) {
			t.Errorf("鸡蛋: %+v", o)
		}
	}
	// A volunteer can check in at once: the station activity takes anyone.
	if _, err := l.CheckIn(ctx, ledger.CheckIn{ID: record.NewEntryID(), Card: "3A7F2C91", Activity: station.ID}); err != nil {
		t.Fatalf("check in after import: %v", err)
	}
	l.Close()

	// The same file again: every row is refused, nothing is written twice.
	code, _, stderr := kioskctl(t, "import", "people", filepath.Join(examples, "people.csv"), "--data", dir)
	if code != 1 {
		t.Fatalf("second import: exit %d", code)
	}
	wantIn(t, "second import", stderr, "第2行 line 2: 志愿者编号 \"HPL0001\": 已登记", "20 problem(s): nothing imported")
	if n := countPeople(t, dir); n != 20 {
		t.Fatalf("%d people after the second import", n)
	}
}

// people.xlsx and people.csv register the same people.
func TestImportXLSXLikeCSV(t *testing.T) {
	fromCSV, fromXLSX := newCenter(t), newCenter(t)
	must(t, "import", "people", filepath.Join(examples, "people.csv"), "--data", fromCSV)
	out := must(t, "import", "people", filepath.Join(examples, "people.xlsx"), "--data", fromXLSX)
	wantIn(t, "xlsx import", out, "20 people (15 with a card)")
	a, b := openDemo(t, fromCSV), openDemo(t, fromXLSX)
	ctx := context.Background()
	for i := 1; i <= 20; i++ {
		no := "HPL00" + string(rune('0'+i/10)) + string(rune('0'+i%10))
		pa, err1 := a.PersonByMemberNo(ctx, no)
		pb, err2 := b.PersonByMemberNo(ctx, no)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v, %v", no, err1, err2)
		}
		ca, _ := a.Cards(ctx, pa.ID)
		cb, _ := b.Cards(ctx, pb.ID)
		if pa.Name != pb.Name || pa.Phone != pb.Phone || pa.Kind != pb.Kind || pa.Community != pb.Community || len(ca) != len(cb) || (len(ca) == 1 && ca[0].UID != cb[0].UID) {
			t.Errorf("%s: csv %+v %v, xlsx %+v %v", no, pa, ca, pb, cb)
		}
	}
}

func TestImportABadRowImportsNothing(t *testing.T) {
	dir := newCenter(t)
	file := writeFile(t, "roster.csv", `姓名,会员号,联系电话,社区,志愿者类型,卡号
王堃,HPL0001,13910230001,和平里东街社区,红马甲,3A7F2C91
李喆,HPL0002,1381023,和平里中街社区,绿马甲,
陈赟,HPL0003,15010230003,和平里北街社区,双报到,
`)
	code, out, stderr := kioskctl(t, "import", "people", file, "--data", dir)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, out, stderr)
	}
	wantIn(t, "stderr", stderr, `roster.csv: 第3行 line 3: 联系电话 "1381023": `, "not an 11-digit mobile", "1 problem(s): nothing imported")
	if strings.Contains(out, "imported") {
		t.Errorf("stdout says something was imported:\n%s", out)
	}
	if n := countPeople(t, dir); n != 0 {
		t.Fatalf("%d people imported from a file with a bad row", n)
	}
	l := openDemo(t, dir)
	if _, err := l.LookupCard(context.Background(), "3A7F2C91"); !errors.Is(err, ledger.ErrUnknownCard) {
		t.Fatalf("the good first row's card: %v", err)
	}
	l.Close()

	// The ledger's refusals are named by line too: a card bound already.
	if code, _, stderr := kioskctlIn(t, pipe(t, "2580\n2580\n"), "staff", "add", "--data", dir, "--name", "刘芳", "--card", "3A7F2C91"); code != 0 {
		t.Fatal(stderr)
	}
	good := writeFile(t, "good.csv", "姓名,会员号,志愿者类型,卡号\n陈赟,HPL0003,双报到,\n王堃,HPL0001,红马甲,3a:7f:2c:91\n")
	code, _, stderr = kioskctl(t, "import", "people", good, "--data", dir)
	if code != 1 || !strings.Contains(stderr, `good.csv: 第3行 line 3: 卡号 "3A7F2C91": 这张卡已绑定`) {
		t.Fatalf("card in use: exit %d: %s", code, stderr)
	}
	if n := countPeople(t, dir); n != 0 {
		t.Fatalf("%d people imported", n)
	}
}

func TestImportPreviewChangesNothing(t *testing.T) {
	dir := newCenter(t)
	ledgerFile := filepath.Join(dir, ledger.FileName)
	before, err := os.ReadFile(ledgerFile)
	if err != nil {
		t.Fatal(err)
	}
	out := must(t, "import", "people", filepath.Join(examples, "people.xlsx"), "--preview", "--data", dir)
	wantIn(t, "preview", out, "文件 file people.xlsx (XLSX, sheet 志愿者), 表头 header on line 1", "将导入 would import (20)",
		"HPL0001", "王堃", "139****0001", "3A7F2C91", "没有问题 no problems", "20 people (15 with a card)", "the preview changed nothing")
	for _, what := range []string{"activities", "catalog"} {
		must(t, "import", what, filepath.Join(examples, what+".csv"), "--preview", "--data", dir)
	}
	after, err := os.ReadFile(ledgerFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("a preview changed ledger.db")
	}
	if n := countPeople(t, dir); n != 0 {
		t.Fatalf("a preview imported %d people", n)
	}
	l := openDemo(t, dir)
	if acts, _ := l.Activities(context.Background()); len(acts) != 0 {
		t.Fatalf("a preview imported %d activities", len(acts))
	}
	l.Close()

	// Every problem, the file's and the ledger's, and exit 1.
	must(t, "import", "people", filepath.Join(examples, "people.csv"), "--data", dir)
	file := writeFile(t, "more.csv", "姓名,会员号,志愿者类型\n吴国庆,HPL0010,绿马甲\n孙淑珍,HPL0021,绿马\n马骏,HPL0022,双报到\n")
	code, out, _ := kioskctl(t, "import", "people", file, "--preview", "--data", dir)
	if code != 1 {
		t.Fatalf("preview with problems: exit %d", code)
	}
	wantIn(t, "preview", out, "问题 problems (2)", `第2行 line 2: 会员号 "HPL0010": 已登记`, `第3行 line 3: 志愿者类型 "绿马"`, "would import (2)")
	if n := countPeople(t, dir); n != 20 {
		t.Fatalf("%d people after previews", n)
	}
}

func TestImportUsage(t *testing.T) {
	dir := newCenter(t)
	for _, args := range [][]string{{"import"}, {"import", "people"}, {"import", "volunteers", "x.csv"}, {"import", "people", "a.csv", "b.csv"}} {
		if code, _, stderr := kioskctl(t, append(args, "--data", dir)...); code != 2 {
			t.Errorf("%q: exit %d, want 2: %s", args, code, stderr)
		}
	}
	code, _, stderr := kioskctl(t, "import", "people", filepath.Join(t.TempDir(), "missing.csv"), "--data", dir)
	if code != 1 || !strings.Contains(stderr, "missing.csv") {
		t.Errorf("missing file: exit %d: %s", code, stderr)
	}
	code, _, stderr = kioskctl(t, "import", "people", writeFile(t, "x.csv", "姓名,电话\n王堃,139\n"), "--data", dir)
	if code != 1 || !strings.Contains(stderr, "志愿者编号") {
		t.Errorf("missing column: exit %d: %s", code, stderr)
	}
	code, _, stderr = kioskctl(t, "import", "people", writeFile(t, "h.csv", "姓名,会员号,类型\n"), "--data", dir)
	if code != 1 || !strings.Contains(stderr, "nothing to import") {
		t.Errorf("header only: exit %d: %s", code, stderr)
	}
	code, _, stderr = kioskctl(t, "import", "people", filepath.Join(examples, "people.csv"), "--data", filepath.Join(t.TempDir(), "nothing"))
	if code != 1 || !strings.Contains(stderr, "does not exist") {
		t.Errorf("no data directory: exit %d: %s", code, stderr)
	}
}

// pipe is stdin as a script gives it: a pipe, not a terminal.
func pipe(t *testing.T, text string) *os.File {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	go func() {
		_, _ = io.WriteString(w, text)
		w.Close()
	}()
	return r
}

func TestStaffAddAsksThePINTwice(t *testing.T) {
	dir := newCenter(t)
	code, out, stderr := kioskctlIn(t, pipe(t, "2580\n2580\n"), "staff", "add", "--data", dir, "--name", "刘芳", "--card", "99:00:00:01")
	if code != 0 {
		t.Fatalf("staff add: exit %d: %s", code, stderr)
	}
	wantIn(t, "staff add", out, "已添加 added 工作人员 staff 刘芳 (99000001)")
	if strings.Contains(out+stderr, "2580") {
		t.Errorf("the PIN was printed:\n%s%s", out, stderr)
	}
	l := openDemo(t, dir)
	if s, err := l.CheckPIN(context.Background(), "99000001", "2580"); err != nil || s.Role != ledger.RoleStaff || s.Name != "刘芳" {
		t.Fatalf("check the PIN: %+v, %v", s, err)
	}
	l.Close()
	// A technician, the last line without its newline.
	if code, _, stderr := kioskctlIn(t, pipe(t, "1379\n1379"), "staff", "add", "--data", dir, "--name", "孙立伟", "--role", "technician", "--card", "99000002"); code != 0 {
		t.Fatalf("technician: exit %d: %s", code, stderr)
	}

	for name, tc := range map[string]struct {
		stdin string
		say   string
	}{
		"differ":    {"2580\n2581\n", "the two PINs differ"},
		"once":      {"2580\n", "read the PIN again"},
		"none":      {"", "read the PIN from stdin"},
		"too short": {"258\n258\n", "4 to 12 digits"},
		"letters":   {"25a0\n25a0\n", "4 to 12 digits"},
	} {
		code, _, stderr := kioskctlIn(t, pipe(t, tc.stdin), "staff", "add", "--data", dir, "--name", "张三", "--card", "99000003")
		if code != 1 || !strings.Contains(stderr, tc.say) {
			t.Errorf("%s: exit %d, stderr %q, want 1 and %q", name, code, stderr, tc.say)
		}
	}
	l = openDemo(t, dir)
	if list, _ := l.StaffCards(context.Background()); len(list) != 2 {
		t.Errorf("staff %+v: a refused add added", list)
	}
	l.Close()

	// Never on the command line, in any spelling; nothing is read or added.
	for _, flag := range [][]string{{"--pin", "2580"}, {"-pin", "2580"}, {"--pin=2580"}, {"--PIN=2580"}} {
		args := append([]string{"staff", "add", "--data", dir, "--name", "张三", "--card", "99000003"}, flag...)
		code, _, stderr := kioskctlIn(t, pipe(t, "2580\n2580\n"), args...)
		if code != 2 || !strings.Contains(stderr, "never given on the command line") {
			t.Errorf("%q: exit %d: %s", flag, code, stderr)
		}
	}
	// A card in use is refused before the PIN is asked.
	code, _, stderr = kioskctlIn(t, nil, "staff", "add", "--data", dir, "--name", "张三", "--card", "99000001")
	if code != 1 || !strings.Contains(stderr, "bound already") {
		t.Errorf("card in use: exit %d: %s", code, stderr)
	}
	for _, args := range [][]string{{"--name", "张三"}, {"--card", "99000003"}, {"--name", "张三", "--card", "99000003", "--role", "boss"}, {"--name", "张三", "--card", "xyz"}} {
		if code, _, stderr := kioskctlIn(t, nil, append([]string{"staff", "add", "--data", dir}, args...)...); code != 2 {
			t.Errorf("%q: exit %d, want 2: %s", args, code, stderr)
		}
	}
}

func TestStaffListAndDisable(t *testing.T) {
	dir := newCenter(t)
	out := must(t, "staff", "list", "--data", dir)
	wantIn(t, "empty list", out, "没有工作人员卡 no staff cards")
	for _, s := range [][]string{{"刘芳", "staff", "99000001", "2580"}, {"孙立伟", "technician", "99000002", "1379"}} {
		if code, _, stderr := kioskctlIn(t, pipe(t, s[3]+"\n"+s[3]+"\n"), "staff", "add", "--data", dir, "--name", s[0], "--role", s[1], "--card", s[2]); code != 0 {
			t.Fatalf("add %s: %s", s[0], stderr)
		}
	}
	out = must(t, "staff", "disable", "--card", "99000001", "--data", dir)
	wantIn(t, "disable", out, "已停用 disabled 工作人员 刘芳 (99000001)")
	out = must(t, "staff", "list", "--data", dir)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("list:\n%s", out)
	}
	wantIn(t, "list header", lines[0], "卡号 card", "姓名 name", "角色 role", "启用 enabled", "锁定 locked")
	wantIn(t, "technician", lines[1], "99000002", "孙立伟", "技术员 technician", "是 yes", "否 no")
	wantIn(t, "disabled staff", lines[2], "99000001", "刘芳", "工作人员 staff", "否 no (停用)")
	l := openDemo(t, dir)
	if _, err := l.LookupCard(context.Background(), "99000001"); !errors.Is(err, ledger.ErrStaffDisabled) {
		t.Fatalf("look up a disabled card: %v", err)
	}
	l.Close()
	must(t, "staff", "enable", "--card", "99000001", "--data", dir)
	if out := must(t, "staff", "list", "--data", dir); strings.Contains(out, "停用") {
		t.Errorf("enabled again, the list says:\n%s", out)
	}
	code, _, stderr := kioskctl(t, "staff", "disable", "--card", "88000001", "--data", dir)
	if code != 1 || !strings.Contains(stderr, "88000001 is not a staff card") {
		t.Errorf("disable a card that is not staff: exit %d: %s", code, stderr)
	}
	for _, args := range [][]string{{"staff"}, {"staff", "fire"}, {"staff", "disable"}, {"staff", "disable", "--card", "zz"}} {
		if code, _, _ := kioskctl(t, append(args, "--data", dir)...); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
}

func TestPersonShowRenameAndBlockCard(t *testing.T) {
	dir := newCenter(t)
	must(t, "import", "people", filepath.Join(examples, "people.csv"), "--data", dir)
	must(t, "import", "activities", filepath.Join(examples, "activities.csv"), "--data", dir)
	if code, _, stderr := kioskctlIn(t, pipe(t, "2580\n2580\n"), "staff", "add", "--data", dir, "--name", "刘芳", "--card", "99000001"); code != 0 {
		t.Fatal(stderr)
	}
	ctx := context.Background()
	l := openDemo(t, dir)
	station, err := l.StationActivity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.CheckIn(ctx, ledger.CheckIn{ID: record.NewEntryID(), Card: "3A7F2C91", Activity: station.ID}); err != nil {
		t.Fatal(err)
	}
	// A walk-in registered at the kiosk: a member number and a card, no name.
	walkIn, err := l.EnrolPerson(ctx, ledger.EnrolPerson{ID: record.NewEntryID(), MemberNo: "20261125", Kind: record.GreenVest, Provisional: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.BindCard(ctx, ledger.BindCard{ID: record.NewEntryID(), Person: walkIn.ID, UID: "A1B2C3D4", Operator: "99000001"}); err != nil {
		t.Fatal(err)
	}
	l.Close()

	for _, who := range []string{"HPL0001", "hpl0001", "3A7F2C91", "3a:7f:2c:91"} {
		out := must(t, "person", "show", who, "--data", dir)
		wantIn(t, "show "+who, out, "姓名 name", "王堃", "会员号 member", "HPL0001", "红马甲", "和平里东街社区", "139****0001",
			"3A7F2C91", "正常 active", "签到中 on duty", "便民服务 since", "最近记录 last entries (1)", "签到")
	}
	out := must(t, "person", "show", "20261125", "--data", dir)
	wantIn(t, "walk-in", out, "待补登记", "provisional", "A1B2C3D4")

	out = must(t, "person", "rename", "20261125", "--name", "周玥", "--data", dir)
	wantIn(t, "rename", out, "20261125", "周玥")
	l = openDemo(t, dir)
	if p, err := l.PersonByMemberNo(ctx, "20261125"); err != nil || p.Name != "周玥" || p.Provisional {
		t.Fatalf("renamed: %+v, %v", p, err)
	}
	l.Close()

	// Report a card lost: named by the staff card that took the report.
	code, _, stderr := kioskctl(t, "person", "block-card", "5B8E1D02", "--data", dir)
	if code != 2 || !strings.Contains(stderr, "--by STAFFCARD") {
		t.Fatalf("block-card without --by: exit %d: %s", code, stderr)
	}
	code, _, stderr = kioskctl(t, "person", "block-card", "5B8E1D02", "--by", "5B8E1D03", "--data", dir)
	if code != 1 || !strings.Contains(stderr, "not a staff card") {
		t.Fatalf("block-card --by a volunteer's card: exit %d: %s", code, stderr)
	}
	out = must(t, "person", "block-card", "5B8E1D02", "--by", "99000001", "--data", dir)
	wantIn(t, "block-card", out, "已挂失 blocked 5B8E1D02 of 张桂兰 (HPL0005)")
	l = openDemo(t, dir)
	if _, err := l.LookupCard(ctx, "5B8E1D02"); !errors.Is(err, ledger.ErrCardLost) {
		t.Fatalf("blocked card: %v", err)
	}
	l.Close()
	wantIn(t, "show blocked", must(t, "person", "show", "HPL0005", "--data", dir), "5B8E1D02", "挂失 lost")
	wantIn(t, "block again", must(t, "person", "block-card", "5B8E1D02", "--by", "99000001", "--data", dir), "reported lost already")

	for _, tc := range []struct {
		args []string
		code int
		say  string
	}{
		{[]string{"person", "show", "HPL9999"}, 1, "nobody has member number HPL9999"},
		{[]string{"person", "show", "99000001"}, 1, "staff card of 刘芳"},
		{[]string{"person", "show"}, 2, ""},
		{[]string{"person", "rename", "HPL0001"}, 2, ""},
		{[]string{"person", "block-card", "99000001", "--by", "99000001"}, 1, "staff disable"},
		{[]string{"person", "block-card", "0BADCAFE", "--by", "99000001"}, 1, "not registered"},
		{[]string{"person", "forget", "HPL0001"}, 2, ""},
	} {
		code, _, stderr := kioskctl(t, append(tc.args, "--data", dir)...)
		if code != tc.code || !strings.Contains(stderr, tc.say) {
			t.Errorf("%q: exit %d, stderr %q; want %d and %q", tc.args, code, stderr, tc.code, tc.say)
		}
	}
}

// `sudo kioskctl init` leaves a ledger the kiosk's user owns: the data
// directory's owner. Not as root, the files are simply the caller's.
func TestInitGivesTheLedgerToTheDirectorysOwner(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	want := os.Getuid()
	if os.Geteuid() == 0 {
		want = 4242 // the kiosk's user, as systemd-tmpfiles made the directory
		if err := os.Chown(dir, want, want); err != nil {
			t.Fatal(err)
		}
	}
	out := must(t, "init", "--data", dir, "--center", "和平里街道党群服务中心")
	st, err := os.Stat(filepath.Join(dir, ledger.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if uid := int(st.Sys().(*syscall.Stat_t).Uid); uid != want {
		t.Fatalf("ledger.db owned by uid %d, want %d", uid, want)
	}
	if os.Geteuid() == 0 {
		wantIn(t, "init", out, "所有者 owner: uid 4242")
	}
}
