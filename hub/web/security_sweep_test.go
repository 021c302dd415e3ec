package web_test

import (
	"bytes"
	"fmt"
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
	before := len(e.audit())
	posts := 0
	for _, r := range routesOf(t, w) {
		if r.Method == http.MethodGet || slices.Contains(public, r) {
			continue
		}
		posts++
		path := fill(t, r.Pattern, someValues)
		fields := url.Values{"name": {"王堃"}, "note": {"x"}, "card": {"04A1B2C3"}, "into": {"1"}}
		ct, multi := multipartForm(t, fields)
		withTheirs := url.Values{"csrf": {theirs}}
		for k, v := range fields {
			withTheirs[k] = v
		}
		ctTheirs, multiTheirs := multipartForm(t, withTheirs)
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
	if after := len(e.audit()); after != before {
		t.Errorf("the refused forms changed something: %d audit entries, %d before:\n%+v", after, before, e.audit()[:after-before])
	}
	if res := b.get("/"); res.StatusCode != http.StatusOK {
		t.Errorf("the session after the refused forms: %d", res.StatusCode)
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
}

// secrets are what no page of A's staff may show of B's person.
var secrets = []string{"欧阳娜娜", "13912345678", "5678", "小黄庄社区", "04B1B2C3", residentNo, "0B0B0B02"}

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
	if err := e.hub.SetCertIssuer(ctx, by, district, hub.CertIssuer{Center: "B", Name: "小黄庄党群服务中心", Head: "钱进", Contact: "010-6421 2222"}); err != nil {
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
	return fmt.Sprintf("cards %v balance %+v id %+v walk-ins %v flags %v certificates %d issuers %+v", v.Cards, v.Balance, rec.ID, walkIns, flags, len(cs), is)
}

// TestSweepAnotherCentersIDsAreNotFound: a center's staff who edit
// another center's id into any URL that takes one get not found, see
// nothing of it, and change nothing; the same for the ids a query or a
// form names.
func TestSweepAnotherCentersIDsAreNotFound(t *testing.T) {
	e := newEnv(t)
	w := observed(t, e, nil)
	o := e.otherCenter()
	b := e.browser()
	token := field(b.login("刘芳").body, "csrf")
	before, audited := e.state(o), len(e.audit())
	id := strconv.FormatInt(int64(o.person.ID), 10)

	// The value of each route's parameter: B's thing of its kind.
	ids := map[string]map[string]string{
		"/people/{id}":                      {"id": id},
		"/people/{id}/card":                 {"id": id},
		"/people/{id}/lost":                 {"id": id},
		"/people/walkins/{id}":              {"id": strconv.FormatInt(int64(o.walkIn), 10)},
		"/service/people/{id}":              {"id": id},
		"/service/people/{id}/id":           {"id": id},
		"/service/people/{id}/certificates": {"id": id},
		"/service/certificates/{number}":    {"number": o.cert},
		"/dashboard/flags/{id}/resolve":     {"id": strconv.FormatInt(o.flag, 10)},
	}
	// A person's page by id is the district's to share (a card works at
	// every center): another center's shows what a search by their member
	// number or card shows, masked, and nothing to change. Person ids are
	// random 53-bit numbers: a page is reached from such a search, not by
	// counting ids.
	masked := map[string]bool{"/people/{id}": true}
	// Routes whose parameters name no center's thing.
	notIDs := map[string]bool{"/dashboard/export/{list}.{format}": true, "/static/*": true}
	// What a form of each route sends, as the page would have it.
	forms := map[string][]url.Values{
		"/people/{id}/card":                 {{"card": {"0C0C0C0C"}}, {"old": {string(o.card)}, "card": {"0C0C0C0C"}}, {"card": {"bad"}}},
		"/people/{id}/lost":                 {{"card": {string(o.card)}}},
		"/people/walkins/{id}":              {{"into": {strconv.FormatInt(int64(o.mine.ID), 10)}}},
		"/service/people/{id}/id":           {{"id_type": {"resident"}, "id_number": {"110105194912310037"}}, {"remove": {"1"}}},
		"/service/people/{id}/certificates": {{"issuer": {"A"}}, {"issuer": {"B"}}},
		"/dashboard/flags/{id}/resolve":     {{"note": {"不是我的"}}},
	}
	shows := func(what string, res response, never ...string) {
		t.Helper()
		wantSecure(t, what, res)
		for _, s := range never {
			if strings.Contains(res.body, s) {
				t.Errorf("%s shows %q", what, s)
			}
		}
	}
	check := func(what string, res response) {
		t.Helper()
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", what, res.StatusCode)
		}
		shows(what, res, append(secrets, o.cert)...)
	}
	for _, r := range routesOf(t, w) {
		if !strings.Contains(r.Pattern, "{") || notIDs[r.Pattern] {
			continue
		}
		values, ok := ids[r.Pattern]
		if !ok {
			t.Errorf("route %s takes an id the sweep has no other center's value for: add one", r)
			continue
		}
		path := fill(t, r.Pattern, values)
		if r.Method == http.MethodGet {
			for _, p := range []string{path, path + "?card=" + string(o.card)} {
				res := b.get(p)
				if masked[r.Pattern] && res.StatusCode == http.StatusOK {
					// What the district shares: no secret, no form.
					shows("GET "+p, res, append(secrets, o.cert, `method="post" action="/people/`)...)
					wantIn(t, "GET "+p, res.body, "欧**娜", "XHZ0001", "小黄庄党群服务中心")
					continue
				}
				check("GET "+p, res)
			}
			continue
		}
		fs, ok := forms[r.Pattern]
		if !ok {
			t.Errorf("route %s takes a form the sweep does not send: add one", r)
			continue
		}
		for _, f := range fs {
			f.Set("csrf", token)
			check(fmt.Sprintf("%s %s %v", r.Method, path, f), b.post(path, f))
		}
	}

	// Ids in a query.
	for _, path := range []string{"/dashboard?center=B", "/dashboard/export/flags.csv?center=B", "/dashboard/export/kiosks.xlsx?center=B",
		fmt.Sprintf("/people/%d/lost?card=%s", o.mine.ID, o.card)} {
		check("GET "+path, b.get(path))
	}
	for _, q := range []struct{ path, asked string }{
		{"/service/certificates?person=" + id, ""},
		{fmt.Sprintf("/people/walkins/%d?q=%s", o.myWalkIn, "XHZ0001"), ""},
		{"/service?q=XHZ0001", ""},
		{"/service?q=" + string(o.card), string(o.card)},
		{"/dashboard", ""},
		{"/dashboard/export/flags.csv", ""},
		{"/dashboard/export/kiosks.csv", ""},
	} {
		res := b.get(q.path)
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", q.path, res.StatusCode)
		}
		var never []string
		for _, s := range append(secrets, o.cert, "XHZ-K", "W-0778") {
			if s != q.asked { // the search's field holds what was typed
				never = append(never, s)
			}
		}
		shows("GET "+q.path, res, never...)
	}
	// Ids in a form: A's walk-in into B's person, A's person's
	// certificate as B, B's issuer, a registration at B.
	for what, res := range map[string]response{
		"merge A's walk-in into B's person": b.post(fmt.Sprintf("/people/walkins/%d", o.myWalkIn), url.Values{"csrf": {token}, "into": {id}}),
		"a certificate issued as B":         b.post(fmt.Sprintf("/service/people/%d/certificates", o.mine.ID), url.Values{"csrf": {token}, "issuer": {"B"}}),
		"B's issuer":                        b.post("/service/issuers", url.Values{"csrf": {token}, "center": {"B"}, "name": {"x"}, "head": {"x"}, "contact": {"x"}}),
	} {
		check(what, res)
	}
	if after := e.state(o); after != before {
		t.Errorf("B's things changed:\n%s\nwere:\n%s", after, before)
	}
	if n := len(e.audit()); n != audited {
		t.Errorf("%d audit entries after the refusals, %d before: %+v", n, audited, e.audit()[:n-audited])
	}
	// A registration that names B is A's.
	res := b.post("/people/new", url.Values{"csrf": {token}, "center": {"B"}, "name": {"李喆"}, "member_no": {"HPL0002"}, "kind": {"red-vest"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("a registration naming B: %d\n%s", res.StatusCode, res.body)
	}
	if v, ok := e.person("HPL0002"); !ok || v.Center != "A" {
		t.Errorf("a registration naming B by A's staff: %+v", v)
	}
}
