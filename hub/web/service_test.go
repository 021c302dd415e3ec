package web_test

import (
	"bytes"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/hubtest"
	"github.com/hongmajia/hongmajia/record"
	"github.com/hongmajia/hongmajia/roster"
)

// residentNo is a resident ID number with a right check digit (GB 11643's
// own example); residentMasked is how pages show it.
const (
	residentNo     = "11010519491231002X"
	residentMasked = "1101**********002X"
)

// kiosk is a kiosk of center enrolled at the hub, its clock the hub's.
func (e *env) kiosk(terminal, center string) *hubtest.Kiosk {
	e.t.Helper()
	k := hubtest.NewKiosk(terminal, center, e.clk.Now)
	tok, _, err := e.hub.IssueToken(ctx, center, time.Hour)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.hub.Enroll(ctx, k.Meta(), k.Enroll(tok)); err != nil {
		e.t.Fatal(err)
	}
	return k
}

// push sends what k holds to the hub.
func (e *env) push(k *hubtest.Kiosk) {
	e.t.Helper()
	res, err := e.hub.Push(ctx, k.Meta(), k.Push())
	if err != nil || res.Refused != "" {
		e.t.Fatalf("push %s: %v %s", k.Terminal, err, res.Refused)
	}
	k.Record(res)
}

// importPerson imports a registered person with a card.
func (e *env) importPerson(memberNo, name string, card record.CardUID) hub.Person {
	e.t.Helper()
	if _, err := e.hub.ImportPeople(ctx, []roster.Person{{Line: 2, MemberNo: memberNo, Name: name, Kind: record.GreenVest, Card: card,
		Community: "和平里社区"}}, false); err != nil {
		e.t.Fatal(err)
	}
	p, err := e.hub.FindPerson(ctx, memberNo)
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// activity imports an activity of center and returns its id.
func (e *env) activity(center, name string) record.ActivityID {
	e.t.Helper()
	if _, err := e.hub.ImportActivities(ctx, center, []roster.Activity{{Line: 2, Name: name}}, false); err != nil {
		e.t.Fatal(err)
	}
	var id record.ActivityID
	err := e.store.View(ctx, func(r hub.Reader) error {
		as, err := r.Activities(center)
		for _, a := range as {
			if a.Name == name {
				id = a.ID
			}
		}
		return err
	})
	if err != nil || id == 0 {
		e.t.Fatalf("activity %s: %v", name, err)
	}
	return id
}

// district is a district served at two centers: 王堃, two shifts at A
// (环境整治, 2 h and 1.5 h) and one at B (助老探访, 1 h); 李喆, one shift at
// B only.
type district struct {
	wang, li hub.Person
	a, b     *hubtest.Kiosk
}

func (e *env) district() district {
	e.t.Helper()
	d := district{wang: e.importPerson("HPL0001", "王堃", "04A1B2C3"), li: e.importPerson("HPL0002", "李喆", "04A1B2C4"),
		a: e.kiosk("TA", "A"), b: e.kiosk("TB", "B")}
	cleaning, visiting := e.activity("A", "环境整治"), e.activity("B", "助老探访")
	in := d.a.CheckIn(d.wang.ID, "04A1B2C3", cleaning)
	e.clk.Advance(2 * time.Hour)
	d.a.CheckOut(in, 120, 10)
	e.clk.Advance(22 * time.Hour)
	in = d.a.CheckIn(d.wang.ID, "04A1B2C3", cleaning)
	e.clk.Advance(90 * time.Minute)
	d.a.CheckOut(in, 90, 8)
	e.push(d.a)
	e.clk.Advance(24 * time.Hour)
	in = d.b.CheckIn(d.wang.ID, "04A1B2C3", visiting)
	e.clk.Advance(time.Hour)
	d.b.CheckOut(in, 60, 5)
	in = d.b.CheckIn(d.li.ID, "04A1B2C4", visiting)
	e.clk.Advance(time.Hour)
	d.b.CheckOut(in, 60, 5)
	e.push(d.b)
	return d
}

func path(p hub.Person) string { return "/service/people/" + strconv.FormatInt(int64(p.ID), 10) }

// csrfOf is the session's CSRF token, from its home page.
func (b *browser) csrfOf() string {
	b.e.t.Helper()
	tok := field(b.get("/").body, "csrf")
	if tok == "" {
		b.e.t.Fatal("no CSRF token on the home page")
	}
	return tok
}

func (b *browser) form(path string, fields ...string) response {
	b.e.t.Helper()
	v := url.Values{"csrf": {b.csrfOf()}}
	for i := 0; i+1 < len(fields); i += 2 {
		v.Set(fields[i], fields[i+1])
	}
	return b.post(path, v)
}

func wantStatus(t *testing.T, what string, res response, status int) {
	t.Helper()
	if res.StatusCode != status {
		t.Errorf("%s: %d, want %d\n%s", what, res.StatusCode, status, res.body)
	}
}

func notIn(t *testing.T, what, text string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if strings.Contains(text, p) {
			t.Errorf("%s holds %q", what, p)
		}
	}
}

func TestServiceRecordByScope(t *testing.T) {
	e := newEnv(t)
	d := e.district()
	e.addUser("孙丽", hub.RoleCenter, "B")

	district := e.browser()
	district.login("王芳")
	found := district.get("/service?q=王")
	wantIn(t, "the district's search", found.body, path(d.wang), "王堃", "HPL0001", "和平里社区")
	rec := district.get(path(d.wang))
	wantStatus(t, "the district's record", rec, http.StatusOK)
	wantIn(t, "the district's record", rec.body, "王堃", "HPL0001", "和平里党群服务中心", "小黄庄党群服务中心", "环境整治", "助老探访",
		"2026-03-02", "09:00", "11:00", ">4.5<", ">3<", ">23<", "已签退", "未登记")

	a := e.browser()
	a.login("刘芳") // center A
	rec = a.get(path(d.wang))
	wantStatus(t, "A's record", rec, http.StatusOK)
	wantIn(t, "A's record", rec.body, "和平里党群服务中心", "环境整治", ">3.5<", ">2<", ">18<")
	notIn(t, "A's record", rec.body, "小黄庄党群服务中心", "助老探访")
	// 李喆 never served at A: not found by search, by URL, or by a form.
	notIn(t, "A's search", a.get("/service?q=李喆").body, path(d.li))
	wantIn(t, "A's search", a.get("/service?q=李喆").body, "没有找到在本中心服务过的", "还没有来服务过的人请到“注册登记”查找")
	wantStatus(t, "A opening B's person", a.get(path(d.li)), http.StatusNotFound)
	wantStatus(t, "A recording B's person's ID", a.form(path(d.li)+"/id", "id_type", "passport", "id_number", "E12345678"), http.StatusNotFound)
	wantStatus(t, "A issuing for B's person", a.form(path(d.li)+"/certificates", "issuer", "A"), http.StatusNotFound)
	wantStatus(t, "a person who is not there", a.get("/service/people/999999"), http.StatusNotFound)
	wantStatus(t, "a person id that is no number", a.get("/service/people/x"), http.StatusNotFound)

	b := e.browser()
	b.login("孙丽") // center B
	wantIn(t, "B's search", b.get("/service?q=李喆").body, path(d.li))
	rec = b.get(path(d.wang))
	wantIn(t, "B's record", rec.body, "助老探访", ">1.0<")
	notIn(t, "B's record", rec.body, "环境整治")
}

func TestIDDocumentMaskedAndAudited(t *testing.T) {
	e := newEnv(t)
	d := e.district()
	b := e.browser()
	b.login("刘芳")
	p := path(d.wang)
	// A wrong check digit: sent back with its problem, nothing kept.
	res := b.form(p+"/id", "id_type", "resident", "id_number", "110105194912310021")
	wantStatus(t, "a wrong check digit", res, http.StatusUnprocessableEntity)
	wantIn(t, "a wrong check digit", res.body, "证件号码不符合居民身份证的格式", `<option value="resident" selected>`)
	wantStatus(t, "an empty number", b.form(p+"/id", "id_type", "resident", "id_number", " "), http.StatusUnprocessableEntity)
	wantStatus(t, "an unknown type", b.form(p+"/id", "id_type", "licence", "id_number", "E12345678"), http.StatusUnprocessableEntity)
	// Without its CSRF token: refused.
	if res := b.post(p+"/id", url.Values{"id_type": {"resident"}, "id_number": {residentNo}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("a form without its token: %d", res.StatusCode)
	}
	before := len(e.audit())
	res = b.form(p+"/id", "id_type", "resident", "id_number", "110105 19491231 002x")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != p+"?done=id#id" {
		t.Fatalf("record the ID: %d to %q\n%s", res.StatusCode, res.Header.Get("Location"), res.body)
	}
	page := b.get(p + "?done=id")
	wantIn(t, "the record", page.body, "居民身份证", residentMasked, "证件信息已保存")
	notIn(t, "the record", page.body, residentNo, "19491231")
	// Recorded once, with the type and never the number; viewing the
	// masked number is no view of the number.
	log := e.audit()
	if len(log) != before+1 {
		t.Fatalf("%d audit entries after recording an ID, want %d", len(log), before+1)
	}
	if a := log[0]; a.Action != hub.AuditIDSet || a.Actor != "刘芳" || a.Center != "A" || a.Subject != "王堃 HPL0001" || a.Detail != "resident" {
		t.Errorf("the audit entry: %+v", a)
	}
	district := e.browser()
	district.login("王芳")
	auditPage := district.get("/audit")
	wantIn(t, "the audit page", auditPage.body, "登记证件", "居民身份证", "王堃 HPL0001")
	// At rest: neither the store's file nor its WAL holds it; nor the log.
	raw := storeBytes(t, e)
	for _, form := range []string{residentNo, "19491231", "110105"} {
		if bytes.Contains(raw, []byte(form)) {
			t.Errorf("the store's files hold %q", form)
		}
	}
	notIn(t, "the web's log", e.log.String(), residentNo, "19491231")
	// Deleted.
	res = b.form(p+"/id", "remove", "1")
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete the ID: %d", res.StatusCode)
	}
	wantIn(t, "after the deletion", b.get(p+"?done=id-removed").body, "证件信息已删除", "未登记")
	if a := e.audit()[0]; a.Action != hub.AuditIDSet || a.Detail != hub.DetailIDRemoved {
		t.Errorf("the audit of the deletion: %+v", a)
	}
}

// storeBytes are the store's file and its WAL.
func storeBytes(t *testing.T, e *env) []byte {
	t.Helper()
	names, err := filepath.Glob(e.store.Path() + "*")
	if err != nil || len(names) == 0 {
		t.Fatalf("the store's files: %v %v", names, err)
	}
	var all []byte
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

var certLink = regexp.MustCompile(`^/service/certificates/(\d{4}-\d{6})$`)

func TestCertificatesNumberedRegisteredAndAudited(t *testing.T) {
	e := newEnv(t)
	d := e.district()
	a := e.browser()
	a.login("刘芳")
	p := path(d.wang)
	issue := func(fields ...string) response {
		t.Helper()
		return a.form(p+"/certificates", append([]string{"issuer", "A"}, fields...)...)
	}
	// What is missing is said, and nothing is issued.
	res := issue()
	wantStatus(t, "an issuer without its person in charge", res, http.StatusUnprocessableEntity)
	wantIn(t, "an issuer without its person in charge", res.body, "请先填写出具单位信息")
	wantIn(t, "the issuers' page", a.get("/service/issuers").body, "和平里党群服务中心", "未填写完整")
	notIn(t, "A's issuers' page", a.get("/service/issuers").body, "小黄庄党群服务中心", `name="center" value=""`)
	wantStatus(t, "A setting B's issuer", a.form("/service/issuers", "center", "B", "name", "x", "head", "x", "contact", "x"), http.StatusNotFound)
	res = a.form("/service/issuers", "center", "A", "name", "和平里党群服务中心", "head", "赵敏", "contact", "010-6421 0000")
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("set A's issuer: %d\n%s", res.StatusCode, res.body)
	}
	wantIn(t, "the issuers' page", a.get("/service/issuers?done=1").body, "出具单位信息已保存", "赵敏", "010-6421 0000")
	res = a.form("/service/issuers", "center", "A", "name", strings.Repeat("长", hub.MaxIssuerName+1), "head", "赵敏", "contact", "1")
	wantStatus(t, "a name too long", res, http.StatusUnprocessableEntity)
	res = issue()
	wantStatus(t, "a person without an ID document", res, http.StatusUnprocessableEntity)
	wantIn(t, "a person without an ID document", res.body, "请先登记证件")
	if res := a.form(p+"/id", "id_type", "resident", "id_number", residentNo); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("record the ID: %d", res.StatusCode)
	}
	res = issue("from", "2027-01-01")
	wantStatus(t, "a period without service", res, http.StatusUnprocessableEntity)
	wantIn(t, "a period without service", res.body, "没有可计入的服务时长")
	wantStatus(t, "a date that is none", issue("from", "2026-13-01"), http.StatusUnprocessableEntity)
	wantStatus(t, "a period backwards", issue("from", "2026-03-05", "to", "2026-03-01"), http.StatusUnprocessableEntity)
	if reg := a.get("/service/certificates"); !strings.Contains(reg.body, "还没有开具证明") {
		t.Fatalf("refused certificates are in the register:\n%s", reg.body)
	}

	// Issued: numbered, and shown with the ID number in clear.
	before := len(e.audit())
	res = issue("from", "2026-03-02", "to", "2026-03-03", "content", "社区环境整治。")
	m := certLink.FindStringSubmatch(res.Header.Get("Location"))
	if res.StatusCode != http.StatusSeeOther || m == nil || m[1] != "2026-000001" {
		t.Fatalf("issue: %d to %q\n%s", res.StatusCode, res.Header.Get("Location"), res.body)
	}
	cert := a.get(res.Header.Get("Location"))
	wantStatus(t, "the certificate", cert, http.StatusOK)
	wantIn(t, "the certificate", cert.body, "志愿服务记录证明", "2026-000001", "王堃", "居民身份证", residentNo, "HPL0001",
		"2026年3月2日", "2026年3月3日", "和平里党群服务中心", ">3.5<", "社区环境整治</span>。", "环境整治", "赵敏", "刘芳", "010-6421 0000",
		"出具日期：", "盖章处", "特此证明")
	notIn(t, "the certificate", cert.body, "助老探访", "社区环境整治。。")
	// The issue and the view are in the audit log; every view again.
	log := e.audit()
	if len(log) != before+2 || log[1].Action != hub.AuditCertIssue || log[1].Detail != "2026-000001" ||
		log[0].Action != hub.AuditIDView || log[0].Actor != "刘芳" || log[0].Subject != "王堃 HPL0001" || log[0].Detail != "2026-000001" {
		t.Fatalf("the audit log after the issue: %+v", log[:3])
	}
	a.get("/service/certificates/2026-000001")
	if log := e.audit(); len(log) != before+3 || log[0].Action != hub.AuditIDView {
		t.Errorf("a second view was not recorded: %+v", log[0])
	}
	// The register and the record list it; neither shows the number.
	res = issue()
	if m := certLink.FindStringSubmatch(res.Header.Get("Location")); m == nil || m[1] != "2026-000002" {
		t.Fatalf("the second certificate: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	reg := a.get("/service/certificates")
	wantIn(t, "the register", reg.body, "2026-000002", "2026-000001", "王堃", "HPL0001", "刘芳", "和平里党群服务中心")
	if strings.Index(reg.body, "2026-000002") > strings.Index(reg.body, "2026-000001") {
		t.Error("the register is not newest first")
	}
	rec := a.get(p)
	wantIn(t, "the record", rec.body, "已开具的证明", "/service/certificates/2026-000001", "/service/certificates/2026-000002")
	for what, body := range map[string]string{"the register": reg.body, "the record": rec.body} {
		notIn(t, what, body, residentNo)
	}
	// Another center's staff: not found, and not in their register.
	e.addUser("孙丽", hub.RoleCenter, "B")
	b := e.browser()
	b.login("孙丽")
	n := len(e.audit())
	wantStatus(t, "B opening A's certificate", b.get("/service/certificates/2026-000001"), http.StatusNotFound)
	if len(e.audit()) != n+0 {
		t.Error("a refused view was recorded")
	}
	wantIn(t, "B's register", b.get("/service/certificates").body, "还没有开具证明")
	// The district sees every certificate and issues as the district office.
	district := e.browser()
	district.login("王芳")
	wantIn(t, "the district's register", district.get("/service/certificates").body, "2026-000001", "2026-000002")
	res = district.form(p+"/certificates", "issuer", "")
	wantStatus(t, "the district office without its details", res, http.StatusUnprocessableEntity)
	district.form("/service/issuers", "center", "", "name", "和平街道办事处", "head", "钱进", "contact", "010-6421 1111")
	res = district.form(p+"/certificates", "issuer", "")
	if m := certLink.FindStringSubmatch(res.Header.Get("Location")); m == nil || m[1] != "2026-000003" {
		t.Fatalf("the district's certificate: %d to %q\n%s", res.StatusCode, res.Header.Get("Location"), res.body)
	}
	wantIn(t, "the district's certificate", district.get(res.Header.Get("Location")).body, "和平街道办事处", ">4.5<", "助老探访", "钱进")
	wantIn(t, "A's register", a.get("/service/certificates").body, "2026-000002")
	notIn(t, "A's register", a.get("/service/certificates").body, "2026-000003")
}

func TestHTMLOnTheCertificateIsText(t *testing.T) {
	e := newEnv(t)
	const name = `<script>alert(1)</script>赵`
	p := e.importPerson("HPL0009", name, "04A1B2C9")
	k := e.kiosk("TA", "A")
	k.Earn(p.ID, "04A1B2C9", e.activity("A", `<b>活动</b>`), 60, 5)
	e.push(k)
	b := e.browser()
	b.login("王芳")
	b.form("/service/issuers", "center", "A", "name", "<i>中心</i>", "head", "赵敏", "contact", "1")
	b.form(path(p)+"/id", "id_type", "passport", "id_number", "E12345678")
	res := b.form(path(p)+"/certificates", "issuer", "A", "content", `<img src=x onerror=alert(1)>`)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("issue: %d\n%s", res.StatusCode, res.body)
	}
	for _, page := range []string{res.Header.Get("Location"), path(p), "/service/certificates", "/service?q=HPL0009"} {
		body := b.get(page).body
		notIn(t, page, body, "<script>alert", "<b>活动", "<i>中心", "<img src=x")
		if !strings.Contains(body, "&lt;script&gt;") {
			t.Errorf("%s does not show the name as text", page)
		}
	}
}
