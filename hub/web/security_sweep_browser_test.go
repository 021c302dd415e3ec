package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/record"
	"github.com/hongmajia/hongmajia/roster"
)

// htmlName is a person's name that is HTML with a script in it, and
// htmlActivity an activity's.
const (
	htmlName     = `<img src=x onerror=alert(1)>`
	htmlActivity = `<img src=x onerror=alert(2)>服务`
)

// dialogs counts the JavaScript dialogs a tab opened, and dismisses each.
type dialogs struct {
	mu   sync.Mutex
	seen []string
}

func (d *dialogs) count() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.seen...)
}

func (b *tab) watchDialogs() *dialogs {
	b.t.Helper()
	d := &dialogs{}
	err := chromedp.Listen(b.ctx, func(ev any) {
		if o, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			d.mu.Lock()
			d.seen = append(d.seen, o.Message)
			d.mu.Unlock()
			// Not from the listener itself: it must not run a command.
			go chromedp.Call(b.ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	})
	if err != nil {
		b.t.Fatal(err)
	}
	return d
}

// htmlNameOnEveryPage: a person named with HTML, served at an activity
// named with HTML, on every page that shows a name: shown as text, no
// element made of it, no script run (TestInABrowser runs it).
func htmlNameOnEveryPage(t *testing.T, open func(*testing.T, *env) *tab) {
	e := newEnv(t)
	by, district := hub.CommandLine("test"), e.districtScope()
	p, err := e.hub.RegisterPerson(ctx, district, by, hub.Registration{Center: "A", Person: roster.Person{MemberNo: "HPL0666", Name: htmlName,
		Phone: "13812340666", Community: `<b>和平里</b>`, Kind: record.RedVest, Card: "04D1D2D3"}})
	if err != nil {
		t.Fatal(err)
	}
	k := e.kiosk("KA", "A")
	in := k.CheckIn(p.ID, "04D1D2D3", e.activity("A", htmlActivity))
	e.clk.Advance(2 * time.Hour)
	k.CheckOut(in, 120, 10)
	e.push(k)
	if err := e.hub.SetIDDocument(ctx, by, district, p.ID, hub.IDDocument{Type: hub.IDResident, Number: residentNo}); err != nil {
		t.Fatal(err)
	}
	if err := e.hub.SetCertIssuer(ctx, by, district, hub.CertIssuer{Center: "A", Name: "和平里党群服务中心", Head: "赵敏", Contact: "010-6421 0000"}); err != nil {
		t.Fatal(err)
	}
	cert, err := e.hub.IssueCertificate(ctx, by, district, hub.CertificateRequest{Person: p.ID, Issuer: "A"})
	if err != nil {
		t.Fatal(err)
	}
	e.walkIn("KA2", "A", 777, "W-0777", "0A0A0A01")

	b := open(t, e)
	seen := b.watchDialogs()
	// The watch sees a dialog when there is one.
	b.open("/login")
	b.eval(`setTimeout(() => alert("probe"), 0), 1`)
	for i := 0; i < 50 && len(seen.count()) == 0; i++ {
		time.Sleep(20 * time.Millisecond)
	}
	if got := seen.count(); len(got) != 1 || got[0] != "probe" {
		t.Fatalf("the dialog watch saw %q, want the probe's", got)
	}
	if status := b.logIn("王芳", password); status != http.StatusOK {
		t.Fatalf("login: %d", status)
	}
	id := strconv.FormatInt(int64(p.ID), 10)
	q := url.QueryEscape(htmlName)
	for _, c := range []struct{ path, shot string }{
		{"/people?q=" + q, "xss-people-search"},
		{"/people/" + id, "xss-person"},
		{"/people/" + id + "/lost?card=04D1D2D3", ""},
		{"/people/walkins/777?q=" + q, ""},
		{"/service?q=" + q, ""},
		{"/service/people/" + id, "xss-record"},
		{"/service/certificates", ""},
		{"/service/certificates/" + url.PathEscape(cert.Number), "xss-certificate"},
		{"/dashboard", "xss-dashboard"},
		{"/dashboard?center=A", ""},
		{"/audit", ""},
	} {
		if status := b.open(c.path); status != http.StatusOK {
			t.Errorf("GET %s: %d", c.path, status)
			continue
		}
		// Made of the name: an img with src=x, anything with an onerror,
		// a b element from the community.
		made := b.eval(`document.querySelectorAll('img[src="x"], [onerror], main b').length`)
		if made != "0" || b.eval(`document.querySelector('img[src=x]') === null`) != "true" {
			t.Errorf("GET %s: %s elements made of a name", c.path, made)
		}
		if txt := b.text("main"); !strings.Contains(txt, "onerror=alert(") {
			t.Errorf("GET %s does not show the name as text:\n%s", c.path, txt)
		}
		if c.shot != "" {
			b.shots(c.shot)
		}
	}
	// Time for a script that was let in to run.
	time.Sleep(100 * time.Millisecond)
	if got := seen.count(); len(got) != 1 {
		t.Errorf("dialogs opened: %q, want only the probe's", got[1:])
	}
	if title := b.eval(`document.title`); strings.Contains(title, "<") {
		t.Errorf("the title %q", title)
	}
}
