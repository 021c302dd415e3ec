package app_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/hongmajia/hongmajia/assets"
	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/drivers/rfid"
	"github.com/hongmajia/hongmajia/kiosk"
	"github.com/hongmajia/hongmajia/kiosk/app"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

func TestLoadPrinter(t *testing.T) {
	for _, tc := range []struct {
		text       string
		dev        string
		baud       int
		line       int
		key, cause string // an error
	}{
		{"", "", 0, 0, "", ""},
		{"[printer]\ndevice = \"/dev/usb/lp0\"\n", "/dev/usb/lp0", 0, 0, "", ""},
		{"[printer]\ndevice = \"/dev/ttyUSB0\"\nbaud = 19200\n", "/dev/ttyUSB0", 19200, 0, "", ""},
		{"[printer]\ndevice = \"/dev/ttyUSB0\"\nbaud = 9601\n", "", 0, 3, "printer.baud", "9601"},
		{"[printer]\nbaud = 9600\n", "", 0, 2, "printer.baud", "printer.device is not"},
		{"[printer]\ndevice = \"lp0\"\n", "", 0, 2, "printer.device", "under /dev"},
		{"[printer]\ndevice = \"/dev/usb/../usb/lp0\"\n", "", 0, 2, "printer.device", "under /dev"},
		{"[printer]\ndevice = \"/tmp/lp0\"\n", "", 0, 2, "printer.device", "under /dev"},
		{"[printer]\ndevice = \"/dev/usb/lp0\"\nspeed = 9600\n", "", 0, 3, "printer.speed", "unknown key"},
	} {
		c, err := app.Load(writeConfig(t, tc.text))
		if tc.key == "" {
			if err != nil || c.Printer.Device != tc.dev || c.Printer.Baud != tc.baud {
				t.Errorf("%q: printer %+v, %v", tc.text, c.Printer, err)
			}
			continue
		}
		var ce *app.ConfigError
		if !errors.As(err, &ce) || ce.Key != tc.key || ce.Line != tc.line || !strings.Contains(err.Error(), tc.cause) {
			t.Errorf("%q: error %v, want %s at line %d saying %q", tc.text, err, tc.key, tc.line, tc.cause)
		}
	}
}

// The example every Pi starts from loads as it is, its printer lines too.
func TestExampleConfigLoads(t *testing.T) {
	c, err := app.Load("../../deploy/etc/kiosk.toml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Printer.Device != "" {
		t.Errorf("the example fits a printer (%q): most kiosks have none", c.Printer.Device)
	}
	b, err := os.ReadFile("../../deploy/etc/kiosk.toml")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"[printer]", "/dev/usb/lp0", "baud"} {
		if !bytes.Contains(b, []byte(w)) {
			t.Errorf("the example does not show %q", w)
		}
	}
}

// openPTY returns a pseudo-terminal's master and its slave's path, a serial
// port standing in for the printer.
func openPTY(t *testing.T) (*os.File, string) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open /dev/ptmx: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetUint32(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	dev := fmt.Sprintf("/dev/pts/%d", n)
	// Held open, so that what the printer wrote stays readable at the
	// master after it closed the port.
	hold, err := os.OpenFile(dev, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hold.Close() })
	return m, dev
}

// The App builds the configured printer into the terminal: a redemption on
// the screen prints its slip, decoded here from what the printer received.
func TestAppPrintsPickupSlip(t *testing.T) {
	m, dev := openPTY(t)
	clk := clock.NewFake(ledgertest.Start)
	dir, lo := newDemoDir(t, clk)
	f := startApp(t, dir, clk, lo, func(c *app.Config) { c.Printer = app.PrinterConfig{Device: dev, Baud: 19200} })
	led := f.app.Ledger()
	ctx := context.Background()
	card := record.CardUID(f.app.DemoCards()[0])
	info, err := led.LookupCard(ctx, card)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := led.Adjust(ctx, ledger.Adjust{ID: record.NewEntryID(), Person: info.Person.ID, Points: 10000, Reason: "test", Operator: "99000001"}); err != nil {
		t.Fatal(err)
	}
	strs := assets.Strings()
	term := f.app.Terminal(kiosk.Options{Words: func(k string) string { return strs.Text(assets.Chinese, k) }})
	t.Cleanup(term.Close)
	term.Settle()
	term.Reader(rfid.Event{Kind: rfid.EventTap, Tap: rfid.Tap{Card: rfid.Card{UID: rfid.UID(card.Bytes())}, Kind: rfid.KindSim, At: clk.Now()}})
	term.Settle()
	term.Press(kiosk.Action{Kind: kiosk.ActRedeem})
	term.Settle()
	v := term.View()
	if v.Scene != kiosk.SceneRedeemGrid || len(v.Choices) == 0 {
		t.Fatalf("scene %v with %d choices", v.Scene, len(v.Choices))
	}
	item := -1
	for i, c := range v.Choices {
		if c.Refusal == "" {
			item = i
			break
		}
	}
	if item < 0 {
		t.Fatalf("nothing to redeem: %+v", v.Choices)
	}
	name := v.Choices[item].Label
	term.Press(kiosk.Action{Kind: kiosk.ActChoose, Index: item})
	term.Settle()
	term.Press(kiosk.Action{Kind: kiosk.ActConfirm})
	term.Settle()
	if v = term.View(); v.Scene != kiosk.SceneRedeemDone {
		t.Fatalf("scene %v, want the pickup code", v.Scene)
	}

	got := make(chan []byte, 1)
	go func() {
		var b []byte
		buf := make([]byte, 4096)
		for !bytes.HasSuffix(b, []byte{0x1D, 'V', 1}) {
			n, err := m.Read(buf)
			b = append(b, buf[:n]...)
			if err != nil {
				break
			}
		}
		got <- b
	}()
	var b []byte
	select {
	case b = <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("no slip reached the printer")
	}
	text, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{led.Terminal().CenterName, "积分兑换凭证", "兑换物品：" + name, "取货码", string(v.Redeem.Code) + "\n", "请凭取货码到服务台领取"} {
		if !strings.Contains(string(text), w) {
			t.Errorf("the slip lacks %q:\n%s", w, text)
		}
	}
}

// A printer missing at start is a line in the log with what to do, not a
// terminal that does not start.
func TestAppPrinterMissingIsLogged(t *testing.T) {
	clk := clock.NewFake(ledgertest.Start)
	dir, lo := newDemoDir(t, clk)
	cfg := app.DefaultConfig()
	cfg.Data = dir
	cfg.Printer.Device = "/dev/usb/lp7"
	var log strings.Builder
	a, err := app.NewApp(context.Background(), cfg, &app.AppOptions{Clock: clk, Ledger: lo,
		Logf: func(format string, args ...any) { fmt.Fprintf(&log, format+"\n", args...) }})
	if err != nil {
		t.Fatalf("NewApp with the printer unplugged: %v", err)
	}
	defer a.Close()
	for _, w := range []string{"printer.device: no printer at /dev/usb/lp7", "plug it in and switch it on", "printed once it answers"} {
		if !strings.Contains(log.String(), w) {
			t.Errorf("log %q lacks %q", log.String(), w)
		}
	}
}
