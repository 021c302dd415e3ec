package web_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/hubtest"
	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/record"
)

// The 注册登记 section over HTTP: each handler's CSRF check, scope,
// validation and audit entry.

// postCSRF posts form with the session's CSRF token, read from page.
func (b *browser) postCSRF(path string, page response, form url.Values) response {
	b.e.t.Helper()
	withToken := url.Values{"csrf": {field(page.body, "csrf")}}
	for k, v := range form {
		withToken[k] = v
	}
	return b.post(path, withToken)
}

// upload posts a file to the import as a browser's form does.
func (b *browser) upload(page response, center, name string, data []byte, withCSRF bool) response {
	b.e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if withCSRF {
		mw.WriteField("csrf", field(page.body, "csrf"))
	}
	if center != "" {
		mw.WriteField("center", center)
	}
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		b.e.t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, b.e.srv.URL+"/people/import", &body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return b.do(req)
}

// person is the registry's person of memberNo, as the district sees them.
func (e *env) person(memberNo string) (hub.PersonView, bool) {
	e.t.Helper()
	vs, _, err := e.hub.SearchPeople(ctx, e.districtScope(), memberNo)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, v := range vs {
		if v.MemberNo == memberNo {
			return v, true
		}
	}
	return hub.PersonView{}, false
}

// districtScope is the scope of the district user 王芳.
func (e *env) districtScope() hub.Scope {
	e.t.Helper()
	us, err := e.hub.Users(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, u := range us {
		if u.Name == "王芳" {
			return u.Scope()
		}
	}
	e.t.Fatal("no 王芳")
	return hub.Scope{}
}

// actions are the audit log's actions of kind, newest first.
func (e *env) actions(kind hub.AuditAction) []hub.AuditEntry {
	e.t.Helper()
	var out []hub.AuditEntry
	for _, a := range e.audit() {
		if a.Action == kind {
			out = append(out, a)
		}
	}
	return out
}

var personLink = regexp.MustCompile(`^/people/(\d+)\?done=`)

// register registers through the form as the logged-in user and returns
// the person's page's path.
func (b *browser) register(form url.Values) string {
	b.e.t.Helper()
	page := b.get("/people/new")
	res := b.postCSRF("/people/new", page, form)
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !personLink.MatchString(loc) {
		b.e.t.Fatalf("register %v: %d to %q\n%s", form, res.StatusCode, loc, res.body)
	}
	return loc[:strings.IndexByte(loc, '?')]
}

func TestRegisterAPerson(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("刘芳")
	page := b.get("/people/new")
	wantIn(t, "the form", page.body, "登记志愿者", "和平里党群服务中心", `name="name"`, `name="member_no"`, `name="kind"`, `name="card"`, "红马甲", "双报到")
	if strings.Contains(page.body, `<select id="center"`) {
		t.Error("a center's staff choose a center")
	}
	form := url.Values{"name": {"王堃"}, "member_no": {"hpl0001"}, "kind": {"red-vest"}, "phone": {"138-1234-5678"},
		"community": {"和平里社区"}, "card": {"0077705923"}, "center": {"B"}}
	// Without the CSRF token: refused, nothing registered.
	if res := b.post("/people/new", form); res.StatusCode != http.StatusForbidden {
		t.Errorf("a registration without its token: %d", res.StatusCode)
	}
	if _, ok := e.person("HPL0001"); ok {
		t.Fatal("a form without its token registered")
	}
	path := b.register(form)
	v, ok := e.person("HPL0001")
	if !ok || v.Center != "A" || v.Name != "王堃" || v.Kind != record.RedVest || v.Phone != "138****5678" || len(v.Cards) != 1 || v.Cards[0].UID != "04A1B2C3" {
		t.Fatalf("registered %+v (a center's staff at their own center, whatever the form says)", v)
	}
	res := b.get(path + "?done=registered")
	wantIn(t, "the person's page", res.body, "已登记", "王堃", "HPL0001", "红马甲", "138****5678", "和平里社区", "04A1B2C3", "在用", "挂失", "补卡")
	if strings.Contains(res.body, "13812345678") {
		t.Error("the phone is shown whole")
	}
	if as := e.actions(hub.AuditPersonRegister); len(as) != 1 || as[0].Actor != "刘芳" || as[0].Center != "A" || as[0].Subject != "HPL0001" || as[0].Detail != "04A1B2C3" {
		t.Errorf("audit %+v", as)
	}

	// Each field's problem, the values kept, nothing registered.
	page = b.get("/people/new")
	bad := b.postCSRF("/people/new", page, url.Values{"name": {""}, "member_no": {"HPL 2"}, "kind": {"党员"}, "phone": {"12345"},
		"community": {"社区"}, "card": {"04:A1:B2"}})
	if bad.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a form with problems: %d", bad.StatusCode)
	}
	wantIn(t, "the form with problems", bad.body, "请修改以下内容", "姓名", "不能为空", "只能有字母、数字和 -", "红马甲、绿马甲、双报到 或 居民",
		"不是手机号", "不是卡号", `value="HPL 2"`, `value="12345"`, `value="社区"`, `aria-invalid="true"`)
	if strings.Contains(bad.body, "(required)") {
		t.Error("a problem's English gloss is on the page")
	}
	taken := b.postCSRF("/people/new", page, url.Values{"name": {"李四"}, "member_no": {"HPL0001"}, "kind": {"green-vest"}})
	if taken.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(taken.body, "此志愿者编号已经登记过了") {
		t.Errorf("a member number taken: %d\n%s", taken.StatusCode, taken.body)
	}
	cardTaken := b.postCSRF("/people/new", page, url.Values{"name": {"李四"}, "member_no": {"HPL0002"}, "kind": {"green-vest"}, "card": {"04:a1:b2:c3"}})
	if cardTaken.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(cardTaken.body, "此卡已被他人使用") {
		t.Errorf("a card taken: %d", cardTaken.StatusCode)
	}
	if n := len(e.actions(hub.AuditPersonRegister)); n != 1 {
		t.Errorf("%d registrations recorded, want 1", n)
	}

	// District staff choose the center.
	d := e.browser()
	d.login("王芳")
	page = d.get("/people/new")
	wantIn(t, "the district's form", page.body, `<select id="center"`, "小黄庄党群服务中心", "区级（全区）")
	d.register(url.Values{"name": {"赵敏"}, "member_no": {"XHZ0001"}, "kind": {"resident"}, "center": {"B"}})
	if v, _ := e.person("XHZ0001"); v.Center != "B" {
		t.Errorf("the district registered at %q", v.Center)
	}
}

func TestCardsAtTheDesk(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("刘芳")
	path := b.register(url.Values{"name": {"王堃"}, "member_no": {"HPL0001"}, "kind": {"red-vest"}})
	page := b.get(path)
	wantIn(t, "a person without a card", page.body, "未绑卡", "绑定卡片", `id="card"`, "autofocus", "读卡器")
	// A wedge reader types hex with colons; a typing mistake is refused.
	if res := b.post(path+"/card", url.Values{"card": {"04:A1:B2:C3"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("a card without the token: %d", res.StatusCode)
	}
	res := b.postCSRF(path+"/card", page, url.Values{"card": {"04:A1:B2"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.body, "不是卡号") || !strings.Contains(res.body, `value="04:A1:B2"`) {
		t.Errorf("a short card: %d\n%s", res.StatusCode, res.body)
	}
	res = b.postCSRF(path+"/card", page, url.Values{"card": {"04:a1:b2:c3"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != path+"?done=bound" {
		t.Fatalf("bind: %d to %q\n%s", res.StatusCode, res.Header.Get("Location"), res.body)
	}
	if as := e.actions(hub.AuditCardBind); len(as) != 1 || as[0].Actor != "刘芳" || as[0].Detail != "04A1B2C3" || as[0].Subject != "HPL0001" {
		t.Errorf("audit %+v", as)
	}
	page = b.get(path + "?done=bound")
	wantIn(t, "after the bind", page.body, "卡片已绑定", "04A1B2C3", "在用", `name="old" value="04A1B2C3"`, "补卡")
	// A second card is a replacement; binding one anyway is refused.
	res = b.postCSRF(path+"/card", page, url.Values{"card": {"0A0B0C0D"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.body, "已有在用的卡") {
		t.Errorf("a second card: %d", res.StatusCode)
	}

	// Report it lost: asked first.
	lost := b.get(path + "/lost?card=04A1B2C3")
	wantIn(t, "the question", lost.body, "确认挂失卡 04A1B2C3", "王堃", "确认挂失", "取消")
	if res := b.post(path+"/lost", url.Values{"card": {"04A1B2C3"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("lost without the token: %d", res.StatusCode)
	}
	if res := b.get(path + "/lost?card=0A0B0C0D"); res.StatusCode != http.StatusNotFound {
		t.Errorf("a card not the person's: %d", res.StatusCode)
	}
	res = b.postCSRF(path+"/lost", lost, url.Values{"card": {"04A1B2C3"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != path+"?done=lost" {
		t.Fatalf("lost: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if v, _ := e.person("HPL0001"); v.Cards[0].State != hubsync.CardLost {
		t.Errorf("cards %+v", v.Cards)
	}
	if as := e.actions(hub.AuditCardLost); len(as) != 1 || as[0].Actor != "刘芳" {
		t.Errorf("audit %+v", as)
	}
	if res := b.get(path + "/lost?card=04A1B2C3"); res.StatusCode != http.StatusNotFound {
		t.Errorf("a lost card asked again: %d", res.StatusCode)
	}
	// A new card after the loss: bound (the wedge's decimal), then
	// replaced.
	page = b.get(path)
	wantIn(t, "after the loss", page.body, "已挂失", "绑定卡片")
	res = b.postCSRF(path+"/card", page, url.Values{"card": {"0168496141"}}) // 0x0A0B0C0D
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("bind after the loss: %d\n%s", res.StatusCode, res.body)
	}
	page = b.get(path)
	res = b.postCSRF(path+"/card", page, url.Values{"old": {"0A0B0C0D"}, "card": {"11:22:33:44"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != path+"?done=replaced" {
		t.Fatalf("replace: %d\n%s", res.StatusCode, res.body)
	}
	if as := e.actions(hub.AuditCardReplace); len(as) != 1 || as[0].Detail != "0A0B0C0D → 11223344" {
		t.Errorf("audit %+v", as)
	}
	states := map[record.CardUID]string{}
	v, _ := e.person("HPL0001")
	for _, c := range v.Cards {
		states[c.UID] = c.State
	}
	if states["04A1B2C3"] != hubsync.CardLost || states["0A0B0C0D"] != hubsync.CardLost || states["11223344"] != hubsync.CardActive {
		t.Errorf("cards %v", states)
	}
}

// TestAnotherCentersPersonByURL: a center's staff who edit another
// center's person's id into a URL see what the district shares of them
// and change nothing.
func TestAnotherCentersPersonByURL(t *testing.T) {
	e := newEnv(t)
	d := e.browser()
	d.login("王芳")
	path := d.register(url.Values{"name": {"欧阳娜娜"}, "member_no": {"XHZ0001"}, "kind": {"green-vest"}, "phone": {"13912345678"},
		"community": {"小黄庄社区"}, "card": {"04A1B2C3"}, "center": {"B"}})
	b := e.browser()
	home := b.login("刘芳")
	page := b.get(path)
	if page.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", path, page.StatusCode)
	}
	wantIn(t, "another center's person", page.body, "欧**娜", "XHZ0001", "绿马甲", "小黄庄党群服务中心", "只能看到部分信息")
	for _, secret := range []string{"欧阳娜娜", "5678", "小黄庄社区", "04A1B2C3", `action="` + path + `/card"`, "<dt>积分</dt>"} {
		if strings.Contains(page.body, secret) {
			t.Errorf("another center's person's page shows %q", secret)
		}
	}
	for what, res := range map[string]response{
		"bind":          b.postCSRF(path+"/card", home, url.Values{"card": {"0A0B0C0D"}}),
		"replace":       b.postCSRF(path+"/card", home, url.Values{"old": {"04A1B2C3"}, "card": {"0A0B0C0D"}}),
		"ask lost":      b.get(path + "/lost?card=04A1B2C3"),
		"report lost":   b.postCSRF(path+"/lost", home, url.Values{"card": {"04A1B2C3"}}),
		"a typed card":  b.postCSRF(path+"/card", home, url.Values{"card": {"bad"}}),
		"no such id":    b.get("/people/999999"),
		"not an id":     b.get("/people/abc"),
		"no such card":  b.postCSRF("/people/999999/card", home, url.Values{"card": {"0A0B0C0D"}}),
		"no such lost":  b.postCSRF("/people/999999/lost", home, url.Values{"card": {"0A0B0C0D"}}),
		"merge into it": b.postCSRF("/people/walkins/"+strings.TrimPrefix(path, "/people/"), home, url.Values{"into": {"1"}}),
	} {
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", what, res.StatusCode)
		}
		if strings.Contains(res.body, "欧阳") || strings.Contains(res.body, "5678") {
			t.Errorf("%s shows the person", what)
		}
	}
	v, _ := e.person("XHZ0001")
	if len(v.Cards) != 1 || v.Cards[0].State != hubsync.CardActive {
		t.Errorf("cards after the refusals %+v", v.Cards)
	}
	if n := len(e.actions(hub.AuditCardBind)) + len(e.actions(hub.AuditCardLost)) + len(e.actions(hub.AuditCardReplace)); n != 0 {
		t.Errorf("%d card changes recorded", n)
	}
	// Found by what the person carries, not by name or phone.
	for _, q := range []string{"欧阳", "5678", "XHZ"} {
		if res := b.get("/people?q=" + url.QueryEscape(q)); strings.Contains(res.body, "XHZ0001") || !strings.Contains(res.body, "没有找到") {
			t.Errorf("刘芳 searching %q finds another center's person", q)
		}
	}
	for _, q := range []string{"XHZ0001", "0077705923", "04:A1:B2:C3"} {
		res := b.get("/people?q=" + url.QueryEscape(q))
		wantIn(t, "刘芳 searching "+q, res.body, "XHZ0001", "欧**娜", "其他中心", "小黄庄党群服务中心")
		if strings.Contains(res.body, "5678") || strings.Contains(res.body, "欧阳") {
			t.Errorf("刘芳 searching %q sees the phone or the name", q)
		}
	}
}

func TestSearchShowsPhonesMaskedAndNamesAsText(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("刘芳")
	const name = `<img src=x onerror=alert(1)>`
	path := b.register(url.Values{"name": {name}, "member_no": {"HPL0001"}, "kind": {"red-vest"}, "phone": {"13812345678"}})
	b.register(url.Values{"name": {"王堃"}, "member_no": {"HPL0002"}, "kind": {"red-vest"}, "phone": {"13987655678"}, "card": {"0A0B0C0D"}})
	res := b.get("/people?q=5678")
	wantIn(t, "a phone's last four", res.body, "138****5678", "139****5678", "HPL0001", "HPL0002", "0A0B0C0D", "未绑卡",
		"&lt;img src=x onerror=alert(1)&gt;")
	if strings.Contains(res.body, "<img") || strings.Contains(res.body, "13812345678") {
		t.Errorf("the results hold a name as HTML or a whole phone:\n%s", res.body)
	}
	if page := b.get(path); strings.Contains(page.body, "<img") || !strings.Contains(page.body, "&lt;img") {
		t.Error("the person's page holds the name as HTML")
	}
	for q, want := range map[string]string{"堃": "HPL0002", "hpl0002": "HPL0002", "0168496141": "HPL0002", "0a:0b:0c:0d": "HPL0002"} {
		res := b.get("/people?q=" + url.QueryEscape(q))
		if !strings.Contains(res.body, want) || strings.Contains(res.body, "HPL0001") {
			t.Errorf("searching %q: want %s alone", q, want)
		}
	}
	if res := b.get("/people?q=nobody"); !strings.Contains(res.body, "没有找到") {
		t.Error("no result says nothing")
	}
}

const rosterCSV = "姓名,志愿者编号,志愿者类型,手机号,所属社区,卡号\n"

func TestImportAList(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	home := b.login("刘芳")
	b.register(url.Values{"name": {"王堃"}, "member_no": {"HPL0001"}, "kind": {"red-vest"}})
	form := b.get("/people/import")
	wantIn(t, "the import form", form.body, "导入名单", `enctype="multipart/form-data"`, `type="file"`, "和平里党群服务中心", "姓名、志愿者编号、志愿者类型")

	// Bad rows: each problem shown by its line, nothing saved.
	bad := rosterCSV +
		"李四,HPL0002,绿马甲,13800000001,和平里,04A1B2C3\n" +
		",HPL0003,绿马甲,,,\n" + // line 3: no name
		"赵六,HPL0002,党员,123,,\n" + // line 4: the same member number as line 2, no kind, a bad phone
		"孙七,HPL0001,居民,,,\n" + // line 5: registered already
		"周八,HPL0005,居民,,,04:A1:B2:C3\n" // line 6: the same card as line 2
	if res := b.upload(form, "", "名单.csv", []byte(bad), false); res.StatusCode != http.StatusForbidden {
		t.Errorf("an upload without the token: %d", res.StatusCode)
	}
	res := b.upload(form, "", "名单.csv", []byte(bad), true)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad rows: %d\n%s", res.StatusCode, res.body)
	}
	wantIn(t, "the preview of bad rows", res.body, "名单.csv", "UTF-8", "没有导入任何内容", "每一行的问题",
		"第 3 行", "不能为空", "第 4 行", "与第2行重复", "红马甲、绿马甲、双报到 或 居民", "不是手机号",
		"第 5 行", "此志愿者编号已经登记过了", "第 6 行", "与第2行是同一张卡", "李四",
		"格式无误的行（2 行；格式有误的行只列在上表，标红的行另有问题）")
	if strings.Contains(res.body, `action="/people/import/commit"`) {
		t.Error("a file with problems can be imported")
	}
	if _, ok := e.person("HPL0002"); ok {
		t.Error("the preview saved a row")
	}
	if n := len(e.actions(hub.AuditPeopleImport)); n != 0 {
		t.Errorf("the preview recorded %d imports", n)
	}

	// A good file: previewed, then imported when asked, all of it.
	good := rosterCSV + "李四,HPL0002,绿马甲,13800000001,和平里,04A1B2C3\n赵六,HPL0003,双报到,,,\n"
	res = b.upload(form, "B", "good.csv", []byte(good), true)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("a good file: %d\n%s", res.StatusCode, res.body)
	}
	wantIn(t, "the preview", res.body, "没有问题：可以导入 2 人", "全部导入（2 人）", "李四", "138****0001", "04A1B2C3", "和平里党群服务中心")
	if strings.Contains(res.body, "13800000001") {
		t.Error("the preview shows a whole phone")
	}
	token := field(res.body, "token")
	if _, ok := e.person("HPL0002"); ok || token == "" {
		t.Fatalf("the preview saved a row, or offers no import (token %q)", token)
	}
	// Another user cannot import it; without the CSRF token neither.
	d := e.browser()
	dh := d.login("王芳")
	if res := d.postCSRF("/people/import/commit", dh, url.Values{"token": {token}}); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("another user's import: %d", res.StatusCode)
	}
	if res := b.post("/people/import/commit", url.Values{"token": {token}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("an import without the CSRF token: %d", res.StatusCode)
	}
	res = b.postCSRF("/people/import/commit", home, url.Values{"token": {token}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/people/import?imported=2&cards=1" {
		t.Fatalf("import: %d to %q\n%s", res.StatusCode, res.Header.Get("Location"), res.body)
	}
	wantIn(t, "after the import", b.get(res.Header.Get("Location")).body, "已导入 2 人，绑定 1 张卡")
	if v, ok := e.person("HPL0003"); !ok || v.Center != "A" || v.Kind != record.InService {
		t.Errorf("imported %+v (a center's staff import at their center)", v)
	}
	if as := e.actions(hub.AuditPeopleImport); len(as) != 1 || as[0].Actor != "刘芳" || as[0].Center != "A" || as[0].Subject != "2" {
		t.Errorf("audit %+v", as)
	}
	// The same token again: gone.
	if res := b.postCSRF("/people/import/commit", home, url.Values{"token": {token}}); res.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(res.body, "已过期或已导入") {
		t.Errorf("the token twice: %d", res.StatusCode)
	}

	// The registry changed between the preview and the import: none.
	res = b.upload(form, "", "late.csv", []byte(rosterCSV+"钱九,HPL0009,居民,,,\n吴十,HPL0010,居民,,,\n"), true)
	token = field(res.body, "token")
	b.register(url.Values{"name": {"钱九"}, "member_no": {"HPL0009"}, "kind": {"resident"}})
	res = b.postCSRF("/people/import/commit", home, url.Values{"token": {token}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.body, "此志愿者编号已经登记过了") || !strings.Contains(res.body, "第 2 行") {
		t.Errorf("an import the registry refuses: %d\n%s", res.StatusCode, res.body)
	}
	if _, ok := e.person("HPL0010"); ok {
		t.Error("a refused import kept a row")
	}

	// XLSX, and a file that is not a list.
	x := excelize.NewFile()
	for i, row := range [][]any{{"志愿者姓名", "会员号", "类型"}, {"郑一", "HPL0011", "红马甲志愿者"}} {
		x.SetSheetRow("Sheet1", "A"+string(rune('1'+i)), &row)
	}
	var xb bytes.Buffer
	if err := x.Write(&xb); err != nil {
		t.Fatal(err)
	}
	res = b.upload(form, "", "名单.xlsx", xb.Bytes(), true)
	wantIn(t, "an XLSX file", res.body, "XLSX 工作表“Sheet1”", "郑一", "全部导入（1 人）")
	res = b.upload(form, "", "notes.txt", []byte("hello\nworld\n"), true)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.body, "无法读取此文件") {
		t.Errorf("not a list: %d", res.StatusCode)
	}
	// A district user chooses where; a center's staff cannot.
	res = d.upload(dh, "B", "b.csv", []byte(rosterCSV+"冯二,XHZ0002,居民,,,\n"), true)
	wantIn(t, "the district's import to B", res.body, "导入到：小黄庄党群服务中心")
	d.postCSRF("/people/import/commit", dh, url.Values{"token": {field(res.body, "token")}})
	if v, _ := e.person("XHZ0002"); v.Center != "B" {
		t.Errorf("the district imported at %q", v.Center)
	}
}

func TestAnImportTooLargeIsRefused(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	home := b.login("刘芳")
	res := b.upload(home, "", "big.csv", bytes.Repeat([]byte("x"), 33<<20), true)
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a 33 MB upload: %d, want 413", res.StatusCode)
	}
	// A form elsewhere still has the small limit.
	if res := b.postCSRF("/people/new", home, url.Values{"name": {strings.Repeat("x", 300<<10)}}); res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a large registration form: %d, want 413", res.StatusCode)
	}
}

// walkIn has a kiosk of center push a walk-in with a card and 30 points.
func (e *env) walkIn(terminal, center string, id record.PersonID, memberNo string, card record.CardUID) {
	e.t.Helper()
	k := hubtest.NewKiosk(terminal, center, e.clk.Now)
	tok, _, err := e.hub.IssueToken(ctx, center, time.Hour)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.hub.Enroll(ctx, k.Meta(), k.Enroll(tok)); err != nil {
		e.t.Fatal(err)
	}
	k.AddChange(&hubsync.Person{ID: id, MemberNo: memberNo, Provisional: true, Kind: record.Resident},
		&hubsync.Card{UID: card, Person: id, State: hubsync.CardActive})
	k.Earn(id, card, 1, 180, 30)
	res, err := e.hub.Push(ctx, k.Meta(), k.Push())
	if err != nil || res.Refused != "" {
		e.t.Fatalf("push: %v %s", err, res.Refused)
	}
}

func TestMergeAWalkIn(t *testing.T) {
	e := newEnv(t)
	e.addUser("张伟", hub.RoleCenter, "B")
	e.walkIn("TA", "A", 777, "W-0777", "0A0B0C0D")
	b := e.browser()
	b.login("刘芳")
	reg := b.register(url.Values{"name": {"王堃"}, "member_no": {"HPL0001"}, "kind": {"red-vest"}})
	list := b.get("/people")
	wantIn(t, "the section", list.body, `待合并的临时登记 <span class="count">1</span>`)
	list = b.get("/people/walkins")
	wantIn(t, "the walk-ins", list.body, "W-0777", "和平里党群服务中心", "30", "3 小时 0 分钟", "0A0B0C0D", `href="/people/walkins/777"`)
	page := b.get("/people/walkins/777?q=HPL0001")
	wantIn(t, "the merge", page.body, "合并临时登记 W-0777", "王堃", "合并到此人", `name="into" value="`+strings.TrimPrefix(reg, "/people/")+`"`)
	into := url.Values{"into": {strings.TrimPrefix(reg, "/people/")}}

	// B's staff see no walk-in of A's and cannot merge it.
	z := e.browser()
	zh := z.login("张伟")
	if res := z.get("/people/walkins"); strings.Contains(res.body, "W-0777") {
		t.Error("B's staff see A's walk-in")
	}
	for what, res := range map[string]response{
		"the merge page": z.get("/people/walkins/777?q=HPL0001"),
		"the merge":      z.postCSRF("/people/walkins/777", zh, into),
	} {
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("B's staff, %s: %d, want 404", what, res.StatusCode)
		}
	}
	if res := b.post("/people/walkins/777", into); res.StatusCode != http.StatusForbidden {
		t.Errorf("a merge without the token: %d", res.StatusCode)
	}
	if res := b.postCSRF("/people/walkins/777", page, url.Values{"into": {"777"}}); res.StatusCode != http.StatusNotFound {
		t.Errorf("a walk-in into itself: %d", res.StatusCode)
	}
	if n := len(e.actions(hub.AuditPersonMerge)); n != 0 {
		t.Fatalf("%d merges recorded before the merge", n)
	}

	res := b.postCSRF("/people/walkins/777", page, into)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != reg+"?done=merged" {
		t.Fatalf("merge: %d to %q\n%s", res.StatusCode, res.Header.Get("Location"), res.body)
	}
	wantIn(t, "the registration after the merge", b.get(reg+"?done=merged").body, "已合并临时登记", "0A0B0C0D", "30", "3 小时 0 分钟")
	if as := e.actions(hub.AuditPersonMerge); len(as) != 1 || as[0].Actor != "刘芳" || as[0].Subject != "W-0777" || as[0].Detail != "HPL0001" {
		t.Errorf("audit %+v", as)
	}
	if res := b.get("/people/walkins"); strings.Contains(res.body, "W-0777") {
		t.Error("a merged walk-in still waits")
	}
	if res := b.get("/people/777"); !strings.Contains(res.body, "此临时登记已合并") || !strings.Contains(res.body, `href="`+reg+`"`) {
		t.Errorf("the merged walk-in's page:\n%s", res.body)
	}
}

// TestAPreviewExpires: a preview not imported within half an hour is
// gone; the file must be checked again.
func TestAPreviewExpires(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	home := b.login("刘芳")
	res := b.upload(home, "", "a.csv", []byte(rosterCSV+"李四,HPL0002,绿马甲,,,\n"), true)
	token := field(res.body, "token")
	if token == "" {
		t.Fatalf("no token:\n%s", res.body)
	}
	e.clk.Advance(31 * time.Minute)
	b.get("/") // the session is kept alive as a person at the desk would
	if res := b.postCSRF("/people/import/commit", home, url.Values{"token": {token}}); res.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(res.body, "已过期") {
		t.Errorf("an expired preview: %d", res.StatusCode)
	}
	if _, ok := e.person("HPL0002"); ok {
		t.Error("an expired preview was imported")
	}
}
