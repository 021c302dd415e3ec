package e2e_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// A headless Chromium driven from Go (chromedp) on a real hubd's web, as
// hub/web's browser tests drive it on an in-process one; those helpers are
// in hub/web's test package, so the few the proofs here need are below.

// screenSizes are an old office screen and a phone, as hub/web's tests.
var screenSizes = [][2]int64{{1366, 768}, {390, 844}}

// chromium is the browser's path: HONGMAJIA_CHROMIUM, or Debian's (`make
// test` installs it).
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("HONGMAJIA_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no Chromium: `make test` installs Debian's (deploy/dev/ensure-deps.sh test), " +
		"or apt-get install chromium, or set HONGMAJIA_CHROMIUM to a Chrome or Chromium binary")
	return ""
}

// screenshotDir is where hub/web's browser tests leave their screenshots
// (HONGMAJIA_SCREENSHOTS, else hub/web/testdata/screenshots): the proofs
// here write theirs beside them, named e2e-….
func screenshotDir(t *testing.T) string {
	t.Helper()
	d := os.Getenv("HONGMAJIA_SCREENSHOTS")
	if d == "" {
		d = filepath.Join("..", "hub", "web", "testdata", "screenshots")
	}
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

// chromiumTabs starts one Chromium for the test and returns how to open a
// tab on base, each with cookies of its own (another person's browser).
func chromiumTabs(t *testing.T, base string) func() *tab {
	t.Helper()
	alloc, cancel := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.WindowSize(1366, 768),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.Flag("disable-gpu", true),
	)...)
	t.Cleanup(cancel)
	browser, stop := chromedp.NewContext(alloc)
	t.Cleanup(stop)
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return func() *tab {
		t.Helper()
		ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
		if err := chromedp.Do(ctx); err != nil {
			t.Fatalf("open a tab: %v", err)
		}
		ctx, cancelTime := context.WithTimeout(ctx, 120*time.Second)
		t.Cleanup(func() { cancelTime(); cancel() })
		return &tab{t: t, base: base, ctx: ctx}
	}
}

// tab is a page of its own browser context on the hub at base.
type tab struct {
	t    *testing.T
	base string
	ctx  context.Context
}

// do runs actions in the tab, failing the test on an error.
func (b *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatal(err)
	}
}

// follow runs actions that load a page and returns its status.
func (b *tab) follow(actions ...chromedp.Action[chromedp.Void]) int64 {
	b.t.Helper()
	res, err := chromedp.RunResponse(b.ctx, actions...)
	if err != nil {
		b.t.Fatal(err)
	}
	return res.Status
}

// open loads path and returns the status of the page it ends at.
func (b *tab) open(path string) int64 {
	b.t.Helper()
	return b.follow(chromedp.Navigate(b.base + path))
}

// eval is a JavaScript expression's value, as text.
func (b *tab) eval(expr string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[any](expr))
	if err != nil {
		b.t.Fatal(err)
	}
	return fmt.Sprint(v)
}

func (b *tab) path() string { b.t.Helper(); return b.eval(`location.pathname`) }

// text is the text of the first element sel selects.
func (b *tab) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// texts is the text of every element sel selects, each with its runs of
// white space made one space.
func (b *tab) texts(sel string) []string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](fmt.Sprintf(
		`[...document.querySelectorAll(%q)].map(e => e.innerText.replace(/\s+/g, " ").trim())`, sel)))
	if err != nil {
		b.t.Fatalf("texts of %s: %v", sel, err)
	}
	return v
}

// logIn fills the login form on the page and sends it, and returns the
// status of the page it leads to.
func (b *tab) logIn(name, pw string) int64 {
	b.t.Helper()
	return b.follow(chromedp.SetValue(chromedp.CSS("#name"), name), chromedp.SetValue(chromedp.CSS("#password"), pw),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)))
}

// focused is the id of the element with the focus once the page has given
// it (autofocus is applied after the load; a reader types wherever the
// focus is).
func (b *tab) focused() string {
	b.t.Helper()
	id, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`new Promise(done => {
		let tries = 0;
		const look = () => {
			const id = document.activeElement ? document.activeElement.id : "";
			if (id || tries++ > 40) { done(id); } else { setTimeout(look, 50); }
		};
		look();
	})`, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatal(err)
	}
	return id
}

// shots writes the page at each screen size, named e2e-NAME-WxH.png; sel,
// when not "", is scrolled into view first.
func (b *tab) shots(name, sel string) {
	b.t.Helper()
	for _, s := range screenSizes {
		b.do(chromedp.EmulateViewport(s[0], s[1]))
		if sel != "" {
			b.do(chromedp.ScrollIntoView(chromedp.CSS(sel)))
		}
		if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.fonts.ready.then(() => true)`, chromedp.EvalAwaitPromise)); err != nil {
			b.t.Fatal(err)
		}
		png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
		if err != nil {
			b.t.Fatal(err)
		}
		path := filepath.Join(screenshotDir(b.t), fmt.Sprintf("e2e-%s-%dx%d.png", name, s[0], s[1]))
		if err := os.WriteFile(path, png, 0o644); err != nil {
			b.t.Fatal(err)
		}
		b.t.Logf("screenshot %s", path)
	}
	b.do(chromedp.EmulateViewport(screenSizes[0][0], screenSizes[0][1]))
}
