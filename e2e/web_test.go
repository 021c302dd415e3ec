package e2e_test

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/hongmajia/hongmajia/drivers/rfid"
	"github.com/hongmajia/hongmajia/hub"
	kioskflow "github.com/hongmajia/hongmajia/kiosk"
	"github.com/hongmajia/hongmajia/record"
)

// The first proof, end to end: district staff register a volunteer
// and bind a card in a browser on a real hubd; a kiosk of the center syncs,
// the card is tapped at its station to check in and, hours later, out; the
// kiosk syncs again; the shift is in the volunteer's record of service and
// on the center's dashboard, as the kiosk's ledger has it; another center's
// staff see neither.

// webActivities is center A's one activity: the station's, whole quarter
// hours, 30 points an hour for a 红马甲 and 20 for the others.
const webActivities = "活动名称,每小时积分,红马甲每小时积分,取整分钟,最短分钟,最长分钟,随时可签到,站点活动\n" +
	"环境整治,20,30,15,30,240,是,是\n"

// webPassword is every login's password here.
const webPassword = "红马甲-e2e-password"

// addUser makes a login with `hubd user add`, the password as two lines of
// stdin (as a script at the district office does).
func (h *hubProc) addUser(name, role, center string) {
	h.t.Helper()
	args := []string{"user", "add", "--role", role, "--name", name}
	if center != "" {
		args = append(args, "--center", center)
	}
	out, stderr, code := hubdRun(h.t, h.dir, strings.NewReader(webPassword+"\n"+webPassword+"\n"), args...)
	if code != 0 || !strings.Contains(out, name) {
		h.t.Fatalf("hubd user add %s: exit %d\n%s%s", name, code, out, stderr)
	}
}

// lastSync is the hub's time of terminal's last sync (hubd status --json).
func (h *hubProc) lastSync(terminal string) time.Time {
	h.t.Helper()
	var st struct {
		Kiosks []struct {
			Terminal string     `json:"terminal"`
			LastSync *time.Time `json:"last_sync"`
		} `json:"kiosks"`
	}
	out := hubd(h.t, h.dir, "status", "--json")
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		h.t.Fatalf("hubd status --json: %v\n%s", err, out)
	}
	for _, k := range st.Kiosks {
		if k.Terminal == terminal && k.LastSync != nil {
			return *k.LastSync
		}
	}
	return time.Time{}
}

func TestWebToKioskInABrowser(t *testing.T) {
	const (
		centerA   = "和平里街道党群服务中心"
		name      = "买买提·艾力"
		memberNo  = "HPL0101"
		activity  = "环境整治"
		shiftSpan = 2*time.Hour + 50*time.Minute
	)
	// The card as the desk's USB reader types it: the UID's big-endian
	// value, ten decimal digits.
	uid := []byte{0x3C, 0x5A, 0x9E, 0x17}
	card := record.CardUID("3C5A9E17")
	typed := fmt.Sprintf("%010d", binary.BigEndian.Uint32(uid))

	h := newHub(t, "A", centerA, "B", "小黄庄党群服务中心")
	hubd(t, h.dir, "import", "activities", writeFile(t, "activities.csv", webActivities), "--center", "A")
	h.addUser("王芳", "district", "")
	h.addUser("孙丽", "center", "B")
	// The hub runs on the real clock; the kiosk's is the real one shifted,
	// so the volunteer's morning takes a moment: until the shift its clock
	// runs behind the hub's and is not NTP-synced (a Pi without a
	// real-time clock after a boot), so the hub takes its requests at any
	// offset; when NTP syncs, the check-in is the first entry it writes
	// with a trusted time, and the check-out and the last sync are on the
	// hub's time. Its clock only ever moves forward, as a kiosk's does.
	clk := &liveClock{}
	clk.shift(-shiftSpan - 10*time.Minute)
	k := newKiosk(t, "W1", "A", kioskOpts{clk: clk, synced: false})
	k.mustEnroll(h.url(), h.token("A"))
	k.mustSync()
	terminal := k.l.Terminal().ID

	open := chromiumTabs(t, h.url())
	b := open()

	// Log in as the district's administrator.
	b.open("/")
	if p := b.path(); p != "/login" {
		t.Fatalf("without a session / went to %s, want /login", p)
	}
	b.shots("login", "")
	if status := b.logIn("王芳", webPassword); status != http.StatusOK || b.path() != "/" {
		t.Fatalf("the login: %d at %s", status, b.path())
	}
	if who := b.text("header .who"); !strings.Contains(who, "王芳") || !strings.Contains(who, "退出") {
		t.Errorf("the header says %q", who)
	}

	// 注册登记: register the volunteer at center A.
	b.follow(chromedp.Click(chromedp.CSS(`nav.sections a[href="/people"]`)))
	b.follow(chromedp.Click(chromedp.CSS(`a[href="/people/new"]`)))
	b.do(chromedp.SetValue(chromedp.CSS("#center"), "A"),
		chromedp.SendKeys(chromedp.CSS("#name"), name),
		chromedp.SendKeys(chromedp.CSS("#member_no"), memberNo),
		chromedp.SetValue(chromedp.CSS("#kind"), "red-vest"),
		chromedp.SendKeys(chromedp.CSS("#phone"), "13912345678"),
		chromedp.SendKeys(chromedp.CSS("#community"), "和平里东街社区"))
	b.shots("register", "")
	if status := b.follow(chromedp.Click(chromedp.CSS(`form[action="/people/new"] button[type="submit"]`))); status != http.StatusOK {
		t.Fatalf("the registration: %d\n%s", status, b.text("main"))
	}
	if txt := b.text("main"); !strings.Contains(txt, "已登记") || !strings.Contains(txt, name) || !strings.Contains(txt, memberNo) {
		t.Fatalf("after the registration:\n%s", txt)
	}
	personPath := b.path()
	id, err := strconv.ParseInt(strings.TrimPrefix(personPath, "/people/"), 10, 64)
	if err != nil {
		t.Fatalf("the person's page is %s", personPath)
	}
	// The card field has the focus: the reader types the card's number
	// and presses Enter.
	if f := b.focused(); f != "card" {
		t.Fatalf("the person's page focuses %q, want the card field", f)
	}
	b.shots("registered", "")
	if status := b.follow(chromedp.KeyEvent(typed + kb.Enter)); status != http.StatusOK {
		t.Fatalf("the tap at the desk: %d", status)
	}
	if txt := b.text("main"); !strings.Contains(txt, "卡片已绑定") || !strings.Contains(txt, string(card)) || !strings.Contains(txt, "在用") {
		t.Fatalf("after the tap at the desk:\n%s", txt)
	}
	b.shots("person", "")

	// The kiosk syncs: it knows the volunteer and the card.
	k.mustSync()
	info, err := k.l.LookupCard(ctx, card)
	if err != nil || info.Person == nil {
		t.Fatalf("the kiosk looks the card up after its sync: %+v, %v", info, err)
	}
	if p := info.Person; int64(p.ID) != id || p.Name != name || p.MemberNo != memberNo || p.Kind != record.RedVest {
		t.Fatalf("the kiosk has the card's holder as %+v, want %d %s %s, 红马甲", *p, id, name, memberNo)
	}

	// The card tapped at the kiosk's station: in, and out 2 h 50 min
	// later: whole quarter hours are 2 h 45 min, 165 minutes at 30 points
	// an hour are 82 points.
	st := kioskflow.NewStation(k.l, nil, kioskflow.StationOptions{Clock: clk})
	tap := func() kioskflow.StationResult {
		return st.Tap(ctx, rfid.Tap{Card: rfid.Card{UID: uid}, Kind: rfid.KindSim, At: clk.Now()})
	}
	clk.shift(-shiftSpan)
	k.synced.Set(true)
	if r := tap(); r.Outcome != kioskflow.CheckedIn || r.Activity != activity || r.Member != memberNo {
		t.Fatalf("the first tap at the station: %s (activity %q)", r, r.Activity)
	}
	clk.shift(0)
	out := tap()
	if out.Outcome != kioskflow.CheckedOut || out.Credit.Minutes != 165 || out.Credit.Points != 82 {
		t.Fatalf("the second tap at the station: %s, want checked out with 165 minutes and 82 points", out)
	}
	k.mustSync()
	k.mustVerify()
	var in, outAt time.Time
	var minutes, points int64
	for _, e := range k.entries() {
		switch {
		case e.Kind == record.KindCheckIn && e.Card == card:
			in = e.At
		case e.Kind == record.KindCheckOut && e.Card == card:
			outAt, minutes, points = e.At, e.Minutes, e.Points
		}
	}
	if in.IsZero() || outAt.IsZero() || minutes != 165 || points != 82 {
		t.Fatalf("the kiosk's ledger: in %s, out %s, %d minutes, %d points", in, outAt, minutes, points)
	}
	// The hub holds the ledger's entries, the shift's on the kiosk's
	// trusted times (nothing corrected): the pages show the ledger's.
	h.look(func(hb *hub.Hub, st hub.Store) {
		checkEntriesAtHub(t, hb, st, []*kiosk{k})
		for _, e := range hubEntries(t, st, terminal) {
			if e.Card == card && (!e.Trusted || !e.Corrected.IsZero() || !e.HubTime().Equal(e.At)) {
				t.Errorf("the hub holds the shift's seq %d at %s, trusted %v, corrected %s", e.Seq, e.At, e.Trusted, e.Corrected)
			}
		}
	})

	// The registration's page: the district balance the shift made.
	b.open(personPath)
	// Its facts: member number, kind, center, phone, community, points,
	// hours.
	if dd := b.texts("dl.facts dd"); len(dd) != 7 || dd[5] != "82" || dd[6] != "2 小时 45 分钟" {
		t.Errorf("the person's facts after the shift: %q, want 82 points and 2 小时 45 分钟", dd)
	}
	b.shots("person-served", "")

	// 志愿服务记录: find the volunteer, the shift as the ledger has it.
	b.follow(chromedp.Click(chromedp.CSS(`nav.sections a[href="/service"]`)))
	b.do(chromedp.SetValue(chromedp.CSS("#q"), name))
	b.follow(chromedp.Click(chromedp.CSS(`form.search button[type="submit"]`)))
	if txt := b.text("table.people"); !strings.Contains(txt, name) || !strings.Contains(txt, memberNo) {
		t.Fatalf("the search found:\n%s", txt)
	}
	b.shots("service-search", "")
	b.follow(chromedp.Click(chromedp.CSS(`table.people a`)))
	recordPath := fmt.Sprintf("/service/people/%d", id)
	if p := b.path(); p != recordPath {
		t.Fatalf("the search's result opened %s, want %s", p, recordPath)
	}
	rows := b.texts("table.shifts tbody tr")
	want := strings.Join([]string{in.In(cst).Format("2006-01-02"), centerA, activity, in.In(cst).Format("15:04"),
		outAt.In(cst).Format("15:04"), "2.8", strconv.FormatInt(points, 10), "已签退"}, " ")
	if len(rows) != 1 || rows[0] != want {
		t.Errorf("the record's shifts are %q, want one: %q", rows, want)
	}
	if got := strings.Join(b.texts("ul.totals li"), " "); got != "1 服务次数 2.8 服务时长（小时） 82 获得积分" {
		t.Errorf("the record's totals: %q", got)
	}
	b.shots("service-record", "")

	// 看板: the center's month, the volunteer active, the hours and points;
	// the kiosk's row with its last sync.
	b.follow(chromedp.Click(chromedp.CSS(`nav.sections a[href="/dashboard"]`)))
	b.do(chromedp.SetValue(chromedp.CSS("#center"), "A"))
	b.follow(chromedp.Click(chromedp.CSS(`form.filter button[type="submit"]`)))
	month := outAt.In(cst)
	if got, want := b.text("h1"), fmt.Sprintf("看板 %s · %d年%d月", centerA, month.Year(), int(month.Month())); got != want {
		t.Errorf("the dashboard's heading is %q, want %q", got, want)
	}
	if got := strings.Join(b.texts(".stats li"), " "); got != "活跃志愿者 1 人 服务人次 1 人次 服务时长 2.75 小时 获得积分 82 分 兑换积分 0 分 兑出物品 0 件" {
		t.Errorf("the dashboard's tiles say %q", got)
	}
	if got := b.texts("table.activities tbody tr"); len(got) != 1 || !strings.HasPrefix(got[0], activity+" ") || !strings.Contains(got[0], " 2.75 ") {
		t.Errorf("the dashboard's activities: %q", got)
	}
	if got := b.texts("table.honour tbody tr"); len(got) != 1 || !strings.Contains(got[0], name) || !strings.Contains(got[0], memberNo) {
		t.Errorf("the honour roll: %q", got)
	}
	lastSync := h.lastSync(terminal)
	if lastSync.IsZero() {
		t.Fatalf("hubd status has no last sync of %s", terminal)
	}
	kiosks := b.texts("table.kiosks tbody tr")
	wantKiosk := strings.Join([]string{terminal, centerA, "正常", lastSync.In(cst).Format("2006-01-02 15:04")}, " ")
	if len(kiosks) != 1 || !strings.HasPrefix(kiosks[0], wantKiosk+" ") || !strings.HasSuffix(kiosks[0], " 0 e2e") {
		t.Errorf("the dashboard's kiosks: %q, want one starting %q, ending with no lag and its version", kiosks, wantKiosk)
	}
	b.shots("dashboard", "")
	b.shots("dashboard-kiosks", "#kiosks")

	// Center B's staff: neither the volunteer's record nor A's dashboard.
	other := open()
	other.open("/login")
	if status := other.logIn("孙丽", webPassword); status != http.StatusOK {
		t.Fatalf("B's login: %d", status)
	}
	if status := other.open(recordPath); status != http.StatusNotFound {
		t.Errorf("B's user opening the record: %d, want 404", status)
	}
	if txt := other.text("main"); strings.Contains(txt, name) || strings.Contains(txt, memberNo) {
		t.Errorf("B's user sees the record:\n%s", txt)
	}
	other.shots("elsewhere-record", "")
	other.open("/service?q=" + memberNo)
	if n := other.eval(`document.querySelectorAll("table.people").length`); n != "0" {
		t.Errorf("B's user finds the volunteer: %s", other.text("main"))
	}
	if status := other.open("/dashboard?center=A"); status != http.StatusNotFound {
		t.Errorf("B's user opening A's dashboard: %d, want 404", status)
	}
	if txt := other.text("main"); strings.Contains(txt, centerA) || strings.Contains(txt, terminal) {
		t.Errorf("B's user sees A's dashboard:\n%s", txt)
	}
	other.open("/dashboard")
	body := other.text("main")
	if strings.Contains(body, name) || strings.Contains(body, terminal) || strings.Contains(body, centerA) {
		t.Errorf("B's own dashboard shows A's:\n%s", body)
	}
	if got := other.texts(".stats li"); len(got) == 0 || got[0] != "活跃志愿者 0 人" {
		t.Errorf("B's dashboard's tiles: %q", got)
	}
	other.shots("elsewhere-dashboard", "")
}
