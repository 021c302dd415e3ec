package web_test

import (
	"bytes"
	"fmt"
	"maps"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/web"
	"github.com/hongmajia/hongmajia/record"
	"github.com/hongmajia/hongmajia/roster"
)

// The security sweep: every route of the web, walked from its router
// (chi.Walk), not a list kept by hand, so that a route added without its
// guard fails here. A route with a parameter the sweep has no value for
// fails too, until one is added below.

// route is a method and pattern of the web's router.
type route struct{ Method, Pattern string }

func (r route) String() string { return r.Method + " " + r.Pattern }

// routesOf are every route of w, sorted.
func routesOf(t *testing.T, w *web.Web) []route {
	t.Helper()
	var rs []route
	err := chi.Walk(web.Routes(w), func(method, pattern string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		rs = append(rs, route{method, pattern})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(rs, func(a, b route) int { return strings.Compare(a.String(), b.String()) })
	if len(rs) < 20 {
		t.Fatalf("the walk found %d routes: %v", len(rs), rs)
	}
	return rs
}

// public are the web's routes that answer without a session: nothing
// else may. (The hub's listener adds /healthz, /metrics behind its token
// and the kiosks' signed /v1/ endpoints: hub/server's tests.)
var public = []route{
	{http.MethodGet, "/login"},
	{http.MethodPost, "/login"},
	{http.MethodGet, "/static/*"},
}

// uploads are the routes that take a file, and their body limit; every
// other route takes DefaultBodyLimit.
var uploads = map[route]int64{
	{http.MethodPost, "/people/import"}:            web.ImportBodyLimit,
	{http.MethodPost, "/points/catalog/new"}:       web.PictureBodyLimit,
	{http.MethodPost, "/points/catalog/{id}/edit"}: web.PictureBodyLimit,
}

// fill is pattern with each parameter's value from values ("*": a
// static file); it fails the test on a parameter it has no value for.
func fill(t *testing.T, pattern string, values map[string]string) string {
	t.Helper()
	var b strings.Builder
	for rest := pattern; rest != ""; {
		i := strings.IndexAny(rest, "{*")
		if i < 0 {
			b.WriteString(rest)
			break
		}
		b.WriteString(rest[:i])
		if rest[i] == '*' {
			b.WriteString("style.css")
			rest = rest[i+1:]
			continue
		}
		j := strings.IndexByte(rest[i:], '}')
		name := rest[i+1 : i+j]
		v, ok := values[name]
		if !ok {
			t.Fatalf("route %s has a parameter {%s} the sweep has no value for: add one to the sweep", pattern, name)
		}
		b.WriteString(url.PathEscape(v))
		rest = rest[i+j+1:]
	}
	return b.String()
}

// someValues are parameter values that need not name anything.
var someValues = map[string]string{"id": "1", "number": "2026-000001", "list": "kiosks", "format": "csv", "center": "A",
	"file": "0123456789abcdef.jpg"}

// wantSecure fails the test unless res carries the web's security
// headers.
func wantSecure(t *testing.T, what string, res response) {
	t.Helper()
	h := res.Header
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("%s: CSP %q lacks %q", what, csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") || strings.Contains(csp, "*") {
		t.Errorf("%s: CSP %q lets scripts in", what, csp)
	}
	for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY"} {
		if got := h.Get(k); got != v {
			t.Errorf("%s: %s = %q, want %q", what, k, got, v)
		}
	}
}

// send sends a request of method to path with body (a form when it is
// url.Values, else bytes of contentType), as a page of this site would.
func (b *browser) send(method, path, contentType string, body []byte, header http.Header) response {
	b.e.t.Helper()
	req, err := http.NewRequest(method, b.e.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		b.e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for k, vs := range header {
		req.Header[k] = vs
	}
	return b.do(req)
}

// multipartForm is fields as a browser's multipart form, and files: pairs
// of a file field's name and its content.
func multipartForm(t *testing.T, fields url.Values, files ...string) (string, []byte) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			if err := mw.WriteField(k, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := 0; i+1 < len(files); i += 2 {
		fw, err := mw.CreateFormFile(files[i], files[i]+".bin")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write([]byte(files[i+1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return mw.FormDataContentType(), body.Bytes()
}

const formType = "application/x-www-form-urlencoded"

// TestSweepOnlyThePublicRoutesAnswerWithoutASession: every route, by GET,
// HEAD or POST as it is served, without a session redirects to the login,
// but for exactly the public ones; every answer carries the security
// headers.
func TestSweepOnlyThePublicRoutesAnswerWithoutASession(t *testing.T) {
	e := newEnv(t)
	w := observed(t, e, nil)
	var answered []route
	for _, r := range routesOf(t, w) {
		path := fill(t, r.Pattern, someValues)
		b := e.browser()
		var res response
		switch r.Method {
		case http.MethodGet:
			res = b.get(path)
			// HEAD as its GET (without the way back: only a GET comes
			// back after the login).
			head := b.send(http.MethodHead, path, "", nil, nil)
			if hl, gl := head.Header.Get("Location"), res.Header.Get("Location"); head.StatusCode != res.StatusCode || (hl != gl && hl != "/login") {
				t.Errorf("HEAD %s: %d to %q, GET: %d to %q", path, head.StatusCode, hl, res.StatusCode, gl)
			}
			wantSecure(t, "HEAD "+path, head)
		case http.MethodPost:
			res = b.send(http.MethodPost, path, formType, []byte("csrf=x&name=x"), nil)
		default:
			t.Errorf("route %s: the sweep sends no %s", r, r.Method)
			continue
		}
		wantSecure(t, r.Method+" "+path, res)
		loc := res.Header.Get("Location")
		if res.StatusCode == http.StatusSeeOther && (loc == "/login" || strings.HasPrefix(loc, "/login?")) {
			if strings.Contains(res.body, "退出") {
				t.Errorf("%s %s without a session shows a page", r.Method, path)
			}
			continue
		}
		answered = append(answered, r)
	}
	want := slices.Clone(public)
	slices.SortFunc(want, func(a, b route) int { return strings.Compare(a.String(), b.String()) })
	if fmt.Sprint(answered) != fmt.Sprint(want) {
		t.Errorf("the routes that answer without a session:\n%v\nwant exactly:\n%v", answered, want)
	}
}

// TestSweepEveryFormWantsItsSessionsCSRFToken: every route that takes a
// form refuses it without the session's token, with another session's
// (in the form or its header), and from another site's page with the
// right one; nothing is changed and the session goes on.
func TestSweepEveryFormWantsItsSessionsCSRFToken(t *testing.T) {
	e := newEnv(t)
	w := observed(t, e, nil)
	b := e.browser()
	mine := field(b.login("王芳").body, "csrf")
	theirs := field(e.browser().login("刘芳").body, "csrf")
	if mine == "" || theirs == "" || mine == theirs {
		t.Fatalf("csrf tokens %q and %q", mine, theirs)
	}
	// Forms the routes would take with the token (their parameters' values
	// and fields, a picture where the page sends one): below, the same
	// form with it is taken, so the refusals refused a change.
	pic, err := hub.MakePicture(itemPhoto(t, 40, 30))
	if err != nil {
		t.Fatal(err)
	}
	it, err := e.hub.AddItem(ctx, e.districtScope(), hub.CommandLine("test"), hub.ItemFields{Name: "暖水壶", Price: 5, Active: true}, &pic)
	if err != nil {
		t.Fatal(err)
	}
	item := strconv.FormatInt(int64(it.ID), 10)
	photo := string(itemPhoto(t, 20, 20))
	type sample struct {
		values map[string]string
		fields url.Values
		files  []string
	}
	samples := map[string]sample{
		"/points/stock/{center}/{id}": {map[string]string{"center": "A", "id": item}, url.Values{"qty": {"5"}, "reason": {"到货"}}, nil},
		"/points/catalog/new": {nil, url.Values{"name": {"肥皂"}, "price": {"3"}, "limit": {"0"}, "period": {""}, "active": {"1"}},
			[]string{"picture", photo}},
		"/points/catalog/{id}/edit": {map[string]string{"id": item}, url.Values{"name": {"暖水壶"}, "price": {"6"}, "limit": {"1"}, "period": {"month"}},
			[]string{"picture", photo}},
	}
	unsent := map[string]bool{}
	for p := range samples {
		unsent[p] = true
	}
	before := len(e.audit())
	posts := 0
	for _, r := range routesOf(t, w) {
		if r.Method == http.MethodGet || slices.Contains(public, r) {
			continue
		}
		posts++
		path := fill(t, r.Pattern, someValues)
		fields := url.Values{"name": {"王堃"}, "note": {"x"}, "card": {"04A1B2C3"}, "into": {"1"}}
		var files []string
		if s, ok := samples[r.Pattern]; ok {
			path, fields, files = fill(t, r.Pattern, s.values), s.fields, s.files
			delete(unsent, r.Pattern)
		}
		ct, multi := multipartForm(t, fields, files...)
		withTheirs := url.Values{"csrf": {theirs}}
		for k, v := range fields {
			withTheirs[k] = v
		}
		ctTheirs, multiTheirs := multipartForm(t, withTheirs, files...)
		crossSite := http.Header{"Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://evil.example"}}
		withMine := url.Values{"csrf": {mine}}
		for k, v := range fields {
			withMine[k] = v
		}
		for what, res := range map[string]response{
			"no token":                    b.send(r.Method, path, formType, []byte(fields.Encode()), nil),
			"no token, multipart":         b.send(r.Method, path, ct, multi, nil),
			"another session's token":     b.send(r.Method, path, formType, []byte(withTheirs.Encode()), nil),
			"another session's multipart": b.send(r.Method, path, ctTheirs, multiTheirs, nil),
			"another session's header":    b.send(r.Method, path, formType, []byte(fields.Encode()), http.Header{web.CSRFHeader: {theirs}}),
			"another site's page":         b.send(r.Method, path, formType, []byte(withMine.Encode()), crossSite),
		} {
			if res.StatusCode != http.StatusForbidden || !strings.Contains(res.body, "表单已失效") {
				t.Errorf("%s %s with %s: %d, want 403", r.Method, path, what, res.StatusCode)
			}
			wantSecure(t, r.Method+" "+path+" with "+what, res)
		}
	}
	if posts < 10 {
		t.Errorf("the sweep sent %d forms: the walk missed routes", posts)
	}
	if len(unsent) > 0 {
		t.Errorf("samples of routes the walk did not find: %v", unsent)
	}
	if after := len(e.audit()); after != before {
		t.Errorf("the refused forms changed something: %d audit entries, %d before:\n%+v", after, before, e.audit()[:after-before])
	}
	if res := b.get("/"); res.StatusCode != http.StatusOK {
		t.Errorf("the session after the refused forms: %d", res.StatusCode)
	}
	// The samples with the session's token, as their pages send them:
	// taken, and audited.
	for pattern, s := range samples {
		r := route{http.MethodPost, pattern}
		path, f := fill(t, pattern, s.values), url.Values{"csrf": {mine}}
		for k, v := range s.fields {
			f[k] = v
		}
		n := len(e.audit())
		var res response
		if _, ok := uploads[r]; ok {
			ct, body := multipartForm(t, f, s.files...)
			res = b.send(r.Method, path, ct, body, nil)
		} else {
			res = b.post(path, f)
		}
		if res.StatusCode != http.StatusSeeOther || len(e.audit()) == n {
			t.Errorf("%s with its token: %d, %d audit entries, %d before\n%s", r, res.StatusCode, len(e.audit()), n, res.body)
		}
	}
}

// TestSweepEveryBodyIsLimited: a body over its route's limit is refused
// (413) on every route that takes one, with its length declared or not.
func TestSweepEveryBodyIsLimited(t *testing.T) {
	e := newEnv(t)
	w := observed(t, e, nil)
	b := e.browser()
	token := field(b.login("王芳").body, "csrf")
	before := len(e.audit())
	for _, r := range routesOf(t, w) {
		if r.Method == http.MethodGet {
			continue
		}
		limit, ok := uploads[r]
		if !ok {
			limit = web.DefaultBodyLimit
		}
		path := fill(t, r.Pattern, someValues)
		body := []byte("csrf=" + token + "&pad=" + strings.Repeat("x", int(limit)))
		if res := b.send(r.Method, path, formType, body, nil); res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("%s %s with %d bytes: %d, want 413", r.Method, path, len(body), res.StatusCode)
		}
		// Chunked: no length declared, refused as it is read; the same
		// with the token in its header (the body is read all the same),
		// and as the page's multipart form, a file in it.
		pad := strings.Repeat("x", int(limit))
		ct, multi := multipartForm(t, url.Values{"csrf": {token}, "name": {"王堃"}}, "file", pad)
		for what, sent := range map[string]struct {
			contentType string
			body        []byte
			header      http.Header
		}{
			"chunked":                          {formType, body, nil},
			"chunked, the token in its header": {formType, []byte("pad=" + pad), http.Header{web.CSRFHeader: {token}}},
			"chunked, multipart":               {ct, multi, nil},
		} {
			req, err := http.NewRequest(r.Method, e.srv.URL+path, struct{ *bytes.Reader }{bytes.NewReader(sent.body)})
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", sent.contentType)
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			for k, vs := range sent.header {
				req.Header[k] = vs
			}
			if res := b.do(req); res.StatusCode != http.StatusRequestEntityTooLarge {
				t.Errorf("%s %s with %d bytes %s: %d, want 413", r.Method, path, len(sent.body), what, res.StatusCode)
			} else {
				wantSecure(t, "a body too large", res)
			}
		}
	}
	if after := len(e.audit()); after != before {
		t.Errorf("a body too large changed something: %d audit entries, %d before", after, before)
	}
}

// TestSweepEveryBodyNotItsFormIsRefused: a body that is not the form its
// page sends — of another type, malformed, a route that takes a file sent
// a form without one — is refused with a 4xx (415, 400), never read as a
// form nor answered with a 500; nothing changes and the session goes on.
func TestSweepEveryBodyNotItsFormIsRefused(t *testing.T) {
	e := newEnv(t)
	w := observed(t, e, nil)
	b := e.browser()
	token := field(b.login("王芳").body, "csrf")
	before := len(e.audit())
	inHeader := http.Header{web.CSRFHeader: {token}}
	form := url.Values{"csrf": {token}, "name": {"王堃"}, "price": {"1"}, "center": {"A"}, "note": {"x"}}
	posts := 0
	for _, r := range routesOf(t, w) {
		if r.Method == http.MethodGet || slices.Contains(public, r) {
			continue
		}
		posts++
		path := fill(t, r.Pattern, someValues)
		type sent struct {
			contentType string
			body        []byte
			header      http.Header
			status      int
		}
		cases := map[string]sent{
			"JSON":                   {"application/json", []byte(`{"csrf":"` + token + `"}`), inHeader, http.StatusUnsupportedMediaType},
			"text without a type":    {"", []byte(form.Encode()), inHeader, http.StatusUnsupportedMediaType},
			"a malformed multipart":  {"multipart/form-data; boundary=xyz", []byte("--xyz\r\nnot a part"), inHeader, http.StatusBadRequest},
			"multipart, no boundary": {"multipart/form-data", []byte(form.Encode()), inHeader, http.StatusBadRequest},
			"a malformed form":       {formType, []byte("csrf=" + token + "&name=%zz"), inHeader, http.StatusBadRequest},
		}
		if _, ok := uploads[r]; ok {
			cases["a form without its file"] = sent{formType, []byte(form.Encode()), nil, http.StatusUnsupportedMediaType}
		}
		for what, c := range cases {
			res := b.send(r.Method, path, c.contentType, c.body, c.header)
			if res.StatusCode != c.status {
				t.Errorf("%s %s with %s: %d, want %d", r.Method, path, what, res.StatusCode, c.status)
			}
			wantSecure(t, r.Method+" "+path+" with "+what, res)
		}
	}
	if posts < 10 {
		t.Errorf("the sweep sent %d forms: the walk missed routes", posts)
	}
	if after := len(e.audit()); after != before {
		t.Errorf("a body not its form changed something: %d audit entries, %d before", after, before)
	}
	if res := b.get("/"); res.StatusCode != http.StatusOK {
		t.Errorf("the session after the bodies refused: %d", res.StatusCode)
	}
}

// otherCenter is what center B holds that A's staff must not reach, and
// A's own for the forms that name one of B's.
type otherCenter struct {
	person   hub.Person // registered at B: a card, a phone, a community; served at B; an ID document; a certificate of B
	card     record.CardUID
	walkIn   record.PersonID // a walk-in at B
	cert     string          // B's certificate's number
	flag     int64           // an open flag of B
	mine     hub.Person      // registered at A
	myWalkIn record.PersonID // a walk-in at A
	// item is the district's, with a picture (pic, its file's name): held
	// at A and at B, restocked at each (B's reason restockB), redeemed at
	// B by person with the pickup code codeB.
	item record.ItemID
	pic  string
}

// secrets are what no page of A's staff may show of B's person.
var secrets = []string{"欧阳娜娜", "13912345678", "5678", "小黄庄社区", "04B1B2C3", residentNo, "0B0B0B02"}

// B's 积分兑换: its restock's reason, its redemption's pickup code (what
// A's staff search by), and B's name, which no list of the catalog, the
// stock or the redemptions shows A's staff (a person's masked page and a
// search do: the district shares who a person is); a row of B's in a
// list of goods names B.
const (
	restockB = "黄庄仓库到货"
	codeB    = "9731"
	nameB    = "小黄庄党群服务中心"
)

func (e *env) otherCenter() otherCenter {
	e.t.Helper()
	t, by, district := e.t, hub.CommandLine("test"), e.districtScope()
	o := otherCenter{card: "04B1B2C3", walkIn: 778, myWalkIn: 777}
	var err error
	o.person, err = e.hub.RegisterPerson(ctx, district, by, hub.Registration{Center: "B", Person: roster.Person{MemberNo: "XHZ0001", Name: "欧阳娜娜",
		Phone: "13912345678", Community: "小黄庄社区", Kind: record.GreenVest, Card: o.card}})
	if err != nil {
		t.Fatal(err)
	}
	o.mine, err = e.hub.RegisterPerson(ctx, district, by, hub.Registration{Center: "A", Person: roster.Person{MemberNo: "HPL0001", Name: "王堃", Kind: record.RedVest}})
	if err != nil {
		t.Fatal(err)
	}
	kb := e.kiosk("XHZ-K1", "B")
	act := e.activity("B", "助老探访")
	in := kb.CheckIn(o.person.ID, o.card, act)
	e.clk.Advance(2 * time.Hour)
	kb.CheckOut(in, 120, 10)
	e.push(kb)
	if err := e.hub.SetIDDocument(ctx, by, district, o.person.ID, hub.IDDocument{Type: hub.IDResident, Number: residentNo}); err != nil {
		t.Fatal(err)
	}
	if err := e.hub.SetCertIssuer(ctx, by, district, hub.CertIssuer{Center: "B", Name: nameB, Head: "钱进", Contact: "010-6421 2222"}); err != nil {
		t.Fatal(err)
	}
	c, err := e.hub.IssueCertificate(ctx, by, district, hub.CertificateRequest{Person: o.person.ID, Issuer: "B"})
	if err != nil {
		t.Fatal(err)
	}
	o.cert = c.Number
	e.walkIn("XHZ-K2", "B", o.walkIn, "W-0778", "0B0B0B02")
	e.walkIn("HPL-K1", "A", o.myWalkIn, "W-0777", "0A0A0A01")
	fs, err := e.hub.OpenFlags(ctx, district, "B")
	if err != nil || len(fs) == 0 {
		t.Fatalf("B's open flags: %v, %v", fs, err)
	}
	o.flag = fs[0].ID

	pic, err := hub.MakePicture(itemPhoto(t, 40, 30))
	if err != nil {
		t.Fatal(err)
	}
	it, err := e.hub.AddItem(ctx, district, by, hub.ItemFields{Name: "暖水壶", Price: 5, Active: true}, &pic)
	if err != nil {
		t.Fatal(err)
	}
	o.item, o.pic = it.ID, pic.Tag()+".jpg"
	for _, r := range []hub.RestockRequest{{Center: "A", Item: o.item, Qty: 20, Reason: "和平里到货"}, {Center: "B", Item: o.item, Qty: 30, Reason: restockB}} {
		if _, err := e.hub.Restock(ctx, district, by, r); err != nil {
			t.Fatal(err)
		}
	}
	kb.RedeemWithCode(o.person.ID, o.card, o.item, 1, 5, codeB)
	e.push(kb)
	return o
}

// state is what the sweep checks B's things by after the requests: it
// must not change.
func (e *env) state(o otherCenter) string {
	e.t.Helper()
	district := e.districtScope()
	v, err := e.hub.ViewPerson(ctx, district, o.person.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	rec, err := e.hub.ServiceRecord(ctx, district, o.person.ID, hub.RecordQuery{})
	if err != nil {
		e.t.Fatal(err)
	}
	ws, err := e.hub.WalkIns(ctx, district)
	if err != nil {
		e.t.Fatal(err)
	}
	fs, err := e.hub.OpenFlags(ctx, district, "")
	if err != nil {
		e.t.Fatal(err)
	}
	cs, err := e.hub.Certificates(ctx, district, 0, 0, 100)
	if err != nil {
		e.t.Fatal(err)
	}
	is, err := e.hub.CertIssuers(ctx, district)
	if err != nil {
		e.t.Fatal(err)
	}
	var walkIns []record.PersonID
	for _, w := range ws {
		walkIns = append(walkIns, w.ID)
	}
	var flags []int64
	for _, f := range fs {
		flags = append(flags, f.ID)
	}
	// The catalog: each item as it is, its picture, its stock at each
	// center; the restocks; the redemptions and where each stands.
	var items []string
	for _, ci := range e.catalogOf(district).Items {
		s := fmt.Sprintf("%d %s %d %d %s %v", ci.ID, ci.Name, ci.Price, ci.LimitCount, ci.LimitPeriod, ci.Active)
		if ci.Picture != nil {
			s += " " + ci.Picture.Tag()
		}
		for _, st := range ci.Stock {
			s += fmt.Sprintf(" %s:%d", st.Center.ID, st.Qty)
		}
		items = append(items, s)
	}
	rs, err := e.hub.Restocks(ctx, district, "", 0, 0, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	red, _, err := e.hub.Redemptions(ctx, district, hub.RedemptionFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	var redemptions []string
	for _, r := range red {
		redemptions = append(redemptions, r.CenterName+" "+r.Code+" "+r.State.String())
	}
	return fmt.Sprintf("cards %v balance %+v id %+v walk-ins %v flags %v certificates %d issuers %+v items %v restocks %d redemptions %v",
		v.Cards, v.Balance, rec.ID, walkIns, flags, len(cs), is, items, len(rs), redemptions)
}

// formats are the exports' formats: the sweep asks for each.
var formats = []string{web.FormatCSV, web.FormatXLSX}

// bodyText is what res shows: an XLSX file's text unzipped.
func bodyText(t *testing.T, res response) string {
	t.Helper()
	if res.StatusCode == http.StatusOK && strings.Contains(res.Header.Get("Content-Type"), "spreadsheetml") {
		return unzipped(t, []byte(res.body))
	}
	return res.body
}

// TestSweepAnotherCentersIDsAreNotFound: a center's staff who edit
// another center's id into any URL that takes one get not found, see
// nothing of it, and change nothing (nor is anything audited); the same
// for the ids a query or a form names, the exports' filters too. What is
// the district's alone is forbidden to them; what the district shares
// (the catalog, its pictures) shows none of another center's.
func TestSweepAnotherCentersIDsAreNotFound(t *testing.T) {
	e := newEnv(t)
	w := observed(t, e, nil)
	o := e.otherCenter()
	b := e.browser()
	token := field(b.login("刘芳").body, "csrf")
	before, audited := e.state(o), len(e.audit())
	id := strconv.FormatInt(int64(o.person.ID), 10)
	item := strconv.FormatInt(int64(o.item), 10)

	// The value of each route's parameter: B's thing of its kind.
	ids := map[string]map[string]string{
		"/people/{id}":                         {"id": id},
		"/people/{id}/card":                    {"id": id},
		"/people/{id}/lost":                    {"id": id},
		"/people/walkins/{id}":                 {"id": strconv.FormatInt(int64(o.walkIn), 10)},
		"/service/people/{id}":                 {"id": id},
		"/service/people/{id}/id":              {"id": id},
		"/service/people/{id}/certificates":    {"id": id},
		"/service/people/{id}/export.{format}": {"id": id},
		"/service/certificates/{number}":       {"number": o.cert},
		"/dashboard/flags/{id}/resolve":        {"id": strconv.FormatInt(o.flag, 10)},
		"/points/stock/{center}/{id}":          {"center": "B", "id": item},
	}
	// A person's page by id is the district's to share (a card works at
	// every center): another center's shows what a search by their member
	// number or card shows, masked, and nothing to change. Person ids are
	// random 53-bit numbers: a page is reached from such a search, not by
	// counting ids.
	masked := map[string]bool{"/people/{id}": true}
	// The district's alone (the catalog's items, the audit log): a
	// center's staff are forbidden, whatever the id.
	districtOnly := map[string]map[string]string{
		"/points/catalog/{id}/edit": {"id": item},
		"/audit/export.{format}":    {},
	}
	// What the district shares with every center (the catalog, its
	// pictures): shown, with none of B's.
	shared := map[string]struct {
		values map[string]string
		want   []string
	}{
		"/points/catalog/{id}":         {map[string]string{"id": item}, []string{"暖水壶", "和平里党群服务中心", "和平里到货"}},
		"/points/pictures/{id}/{file}": {map[string]string{"id": item, "file": o.pic}, nil},
	}
	// The exports without an id, with a query that names B's: a list
	// filtered by center (as its page is) answers not found; one that is
	// not (its page has no such filter) is the user's own list, none of
	// B's rows in it, whatever the query says.
	type asked struct {
		values map[string]string
		query  string
		status int
		asked  string // the search typed: the file may hold it
	}
	exports := map[string][]asked{
		"/people/export.{format}": {{query: "q=XHZ0001", status: 200}, {query: "q=" + string(o.card), status: 200, asked: string(o.card)},
			{query: "q=%E6%AC%A7%E9%98%B3&center=B", status: 200}},
		"/people/walkins/export.{format}":       {{query: "center=B", status: 200}},
		"/points/catalog/export.{format}":       {{query: "center=B", status: 200}},
		"/points/stock/export.{format}":         {{query: "center=B", status: 404}, {status: 200}},
		"/points/stock/restocks.{format}":       {{query: "center=B", status: 404}, {status: 200}},
		"/points/redemptions/export.{format}":   {{query: "center=B", status: 404}, {query: "center=B&month=", status: 404}, {query: "month=&q=XHZ0001", status: 200}, {query: "month=&q=" + codeB, status: 200, asked: codeB}},
		"/points/month/export.{format}":         {{query: "center=B", status: 404}, {query: "center=B&month=2026-03", status: 404}, {query: "month=2026-03", status: 200}},
		"/service/certificates/export.{format}": {{query: "person=" + id, status: 200}, {query: "center=B", status: 200}},
		"/service/export/records.{format}":      {{query: "center=B&year=2026", status: 404}, {query: "center=B", status: 404}, {query: "year=2026", status: 200}},
	}
	for _, list := range []string{"centers", "activities", "items", "trend", "honour", "stock", "flags", "kiosks"} {
		v := map[string]string{"list": list}
		exports["/dashboard/export/{list}.{format}"] = append(exports["/dashboard/export/{list}.{format}"],
			asked{values: v, query: "center=B", status: 404}, asked{values: v, query: "center=B&month=2026-03", status: 404}, asked{values: v, status: 200})
	}
	// Routes whose parameters name no center's thing.
	notIDs := map[string]bool{"/static/*": true}
	// What a form of each route sends, as the page would have it.
	forms := map[string][]url.Values{
		"/people/{id}/card":                 {{"card": {"0C0C0C0C"}}, {"old": {string(o.card)}, "card": {"0C0C0C0C"}}, {"card": {"bad"}}},
		"/people/{id}/lost":                 {{"card": {string(o.card)}}},
		"/people/walkins/{id}":              {{"into": {strconv.FormatInt(int64(o.mine.ID), 10)}}},
		"/service/people/{id}/id":           {{"id_type": {"resident"}, "id_number": {"110105194912310037"}}, {"remove": {"1"}}},
		"/service/people/{id}/certificates": {{"issuer": {"A"}}, {"issuer": {"B"}}},
		"/dashboard/flags/{id}/resolve":     {{"note": {"不是我的"}}},
		"/points/stock/{center}/{id}":       {{"qty": {"500"}, "reason": {"到货"}}, {"qty": {"-30"}, "reason": {"盘点"}}, {"qty": {"x"}, "reason": {""}}},
		"/points/catalog/{id}/edit":         {{"name": {"改了"}, "price": {"1"}, "limit": {"0"}, "period": {""}, "active": {"1"}}, {"name": {"暖水壶"}, "price": {"5"}}},
	}
	shows := func(what string, res response, never ...string) {
		t.Helper()
		wantSecure(t, what, res)
		text := bodyText(t, res)
		for _, s := range never {
			if strings.Contains(text, s) {
				t.Errorf("%s shows %q", what, s)
			}
		}
	}
	// refused sends a request that must be refused with status, show
	// nothing of B's, and write nothing in the audit log.
	refused := func(what string, status int, send func() response) {
		t.Helper()
		n := len(e.audit())
		res := send()
		if res.StatusCode != status {
			t.Errorf("%s: %d, want %d", what, res.StatusCode, status)
		}
		shows(what, res, append(secrets, o.cert, restockB, nameB)...)
		if got := e.audit(); len(got) != n {
			t.Errorf("%s was refused, and audited: %+v", what, got[:len(got)-n])
		}
	}
	check := func(what string, send func() response) { t.Helper(); refused(what, http.StatusNotFound, send) }
	// withFormats is path with each format when it takes one.
	withFormats := func(pattern string, values map[string]string) []string {
		if !strings.Contains(pattern, "{format}") {
			return []string{fill(t, pattern, values)}
		}
		var out []string
		for _, f := range formats {
			v := map[string]string{"format": f}
			maps.Copy(v, values)
			out = append(out, fill(t, pattern, v))
		}
		return out
	}
	// post sends f as the route's page does: multipart where it takes a
	// file.
	post := func(r route, path string, f url.Values) response {
		if _, ok := uploads[r]; ok {
			ct, body := multipartForm(t, f, "picture", string(itemPhoto(t, 20, 20)))
			return b.send(r.Method, path, ct, body, nil)
		}
		return b.post(path, f)
	}
	for _, r := range routesOf(t, w) {
		if !strings.Contains(r.Pattern, "{") || notIDs[r.Pattern] {
			continue
		}
		status, values := http.StatusNotFound, ids[r.Pattern]
		if v, ok := districtOnly[r.Pattern]; ok {
			status, values = http.StatusForbidden, v
		}
		if s, ok := shared[r.Pattern]; ok && r.Method == http.MethodGet {
			path := fill(t, r.Pattern, s.values)
			res := b.get(path)
			if res.StatusCode != http.StatusOK {
				t.Errorf("GET %s: %d, want 200", path, res.StatusCode)
			}
			if s.want == nil {
				// A picture: its bytes, not a page.
				if ct := res.Header.Get("Content-Type"); ct != "image/jpeg" {
					t.Errorf("GET %s: %q, want a picture", path, ct)
				}
				wantSecure(t, "GET "+path, res)
				continue
			}
			shows("GET "+path, res, append(secrets, o.cert, restockB, nameB)...)
			wantIn(t, "GET "+path, res.body, s.want...)
			continue
		}
		if qs, ok := exports[r.Pattern]; ok && r.Method == http.MethodGet {
			for _, q := range qs {
				for _, path := range withFormats(r.Pattern, q.values) {
					if q.query != "" {
						path += "?" + q.query
					}
					if q.status != http.StatusOK {
						refused("GET "+path, q.status, func() response { return b.get(path) })
						continue
					}
					// The user's own list: none of B's in it.
					res := b.get(path)
					if res.StatusCode != http.StatusOK || res.Header.Get("Content-Disposition") == "" {
						t.Errorf("GET %s: %d %q, want the user's own list", path, res.StatusCode, res.Header.Get("Content-Disposition"))
					}
					var never []string
					for _, s := range append(secrets, o.cert, restockB, "XHZ-K", "W-0778") {
						if s != q.asked {
							never = append(never, s)
						}
					}
					if strings.HasPrefix(r.Pattern, "/points/") || strings.HasPrefix(r.Pattern, "/dashboard/") {
						never = append(never, nameB) // a person's masked row names their center: the lists of goods do not
					}
					shows("GET "+path, res, never...)
				}
			}
			continue
		}
		if values == nil {
			t.Errorf("route %s takes an id or a filter the sweep has no other center's value for: add one", r)
			continue
		}
		if r.Method == http.MethodGet {
			for _, path := range withFormats(r.Pattern, values) {
				for _, p := range []string{path, path + "?card=" + string(o.card) + "&center=B"} {
					if masked[r.Pattern] {
						res := b.get(p)
						if res.StatusCode != http.StatusOK {
							t.Errorf("GET %s: %d, want the district's masked page", p, res.StatusCode)
						}
						// What the district shares: no secret, no form.
						shows("GET "+p, res, append(secrets, o.cert, `method="post" action="/people/`)...)
						wantIn(t, "GET "+p, res.body, "欧**娜", "XHZ0001", nameB)
						continue
					}
					refused("GET "+p, status, func() response { return b.get(p) })
				}
			}
			continue
		}
		fs, ok := forms[r.Pattern]
		if !ok {
			t.Errorf("route %s takes a form the sweep does not send: add one", r)
			continue
		}
		path := fill(t, r.Pattern, values)
		for _, f := range fs {
			f = maps.Clone(f)
			f.Set("csrf", token)
			refused(fmt.Sprintf("%s %s %v", r.Method, path, f), status, func() response { return post(r, path, f) })
		}
	}

	// Ids in a query.
	for _, path := range []string{"/dashboard?center=B", "/dashboard/export/flags.csv?center=B", "/dashboard/export/kiosks.xlsx?center=B",
		fmt.Sprintf("/people/%d/lost?card=%s", o.mine.ID, o.card), "/points/stock?center=B", "/points/redemptions?center=B",
		"/points/redemptions?center=B&month=&q=" + codeB, "/points/month?center=B", "/points/month?center=B&month=2026-03"} {
		check("GET "+path, func() response { return b.get(path) })
	}
	// The district's alone, without an id: an item added, the audit log.
	for _, path := range []string{"/points/catalog/new", "/audit", "/audit/export.csv"} {
		refused("GET "+path, http.StatusForbidden, func() response { return b.get(path) })
	}
	refused("POST /points/catalog/new", http.StatusForbidden, func() response {
		return post(route{http.MethodPost, "/points/catalog/new"}, "/points/catalog/new",
			url.Values{"csrf": {token}, "name": {"新物品"}, "price": {"1"}, "limit": {"0"}, "active": {"1"}})
	})
	// What A's staff see: their own, none of B's.
	for _, q := range []struct{ path, asked string }{
		{"/service/certificates?person=" + id, ""},
		{fmt.Sprintf("/people/walkins/%d?q=%s", o.myWalkIn, "XHZ0001"), ""},
		{"/service?q=XHZ0001", ""},
		{"/service?q=" + string(o.card), string(o.card)},
		{"/dashboard", ""},
		{"/dashboard/export/flags.csv", ""},
		{"/dashboard/export/kiosks.csv", ""},
		{"/points", ""},
		{"/points/catalog", ""},
		{"/points/stock", ""},
		{"/points/stock/A/" + item + "?center=B", ""},
		{"/points/redemptions?month=", ""},
		{"/points/redemptions?month=&q=" + codeB, codeB},
		{"/points/month", ""},
		// Lists without a filter by center: a query naming B is no
		// filter of theirs, and they stay the user's own.
		{"/people/walkins?center=B", ""},
		{"/points/catalog?center=B", ""},
		{"/service/certificates?center=B", ""},
	} {
		res := b.get(q.path)
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", q.path, res.StatusCode)
		}
		var never []string
		for _, s := range append(secrets, o.cert, "XHZ-K", "W-0778", restockB) {
			if s != q.asked { // the search's field holds what was typed
				never = append(never, s)
			}
		}
		if strings.HasPrefix(q.path, "/points") || strings.HasPrefix(q.path, "/dashboard") {
			never = append(never, nameB)
		}
		shows("GET "+q.path, res, never...)
	}
	// Ids in a form: A's walk-in into B's person, A's person's
	// certificate as B, B's issuer, a registration at B.
	for what, send := range map[string]func() response{
		"merge A's walk-in into B's person": func() response {
			return b.post(fmt.Sprintf("/people/walkins/%d", o.myWalkIn), url.Values{"csrf": {token}, "into": {id}})
		},
		"a certificate issued as B": func() response {
			return b.post(fmt.Sprintf("/service/people/%d/certificates", o.mine.ID), url.Values{"csrf": {token}, "issuer": {"B"}})
		},
		"B's issuer": func() response {
			return b.post("/service/issuers", url.Values{"csrf": {token}, "center": {"B"}, "name": {"x"}, "head": {"x"}, "contact": {"x"}})
		},
	} {
		check(what, send)
	}
	if after := e.state(o); after != before {
		t.Errorf("B's things changed:\n%s\nwere:\n%s", after, before)
	}
	// What was audited: A's staff's downloads of A's own lists, nothing
	// else.
	if all := e.audit(); len(all) > audited {
		for _, a := range all[:len(all)-audited] {
			if a.Action != hub.AuditExport || a.Actor != "刘芳" || a.Center != "A" || strings.Contains(a.Subject, nameB) {
				t.Errorf("audited in the sweep: %+v", a)
			}
		}
	}
	// A restock of A's stock that names B in its form is A's (B's 30
	// less the one redeemed stay).
	res := b.post("/points/stock/A/"+item, url.Values{"csrf": {token}, "center": {"B"}, "qty": {"1"}, "reason": {"到货"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("A's restock naming B: %d\n%s", res.StatusCode, res.body)
	}
	if after := e.state(o); !strings.Contains(after, "A:21 B:29") {
		t.Errorf("A's restock naming B: %s", after)
	}
	// A registration that names B is A's.
	res = b.post("/people/new", url.Values{"csrf": {token}, "center": {"B"}, "name": {"李喆"}, "member_no": {"HPL0002"}, "kind": {"red-vest"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("a registration naming B: %d\n%s", res.StatusCode, res.body)
	}
	if v, ok := e.person("HPL0002"); !ok || v.Center != "A" {
		t.Errorf("a registration naming B by A's staff: %+v", v)
	}
}
