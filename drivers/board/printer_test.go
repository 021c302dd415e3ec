package board

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/hongmajia/hongmajia/drivers/printer"
)

var slip = printer.Slip{
	Heading:   "和平里街道党群服务中心",
	Title:     "积分兑换凭证",
	Lines:     []printer.Line{{Label: "兑换物品", Value: "洗衣液"}},
	CodeLabel: "取货码",
	Code:      "5521",
	Footer:    "请凭取货码到服务台领取",
}

// pty returns a pseudo-terminal's master and its slave's path: a character
// device standing in for a serial printer.
func pty(t *testing.T) (*os.File, string) {
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
	// Hold the slave open for the test's life: with no slave open, a read
	// on the master fails at once with EIO, before the printer opens it.
	s, err := os.OpenFile(dev, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open %s: %v", dev, err)
	}
	t.Cleanup(func() { s.Close() })
	return m, dev
}

func TestPrinterPrintsOnADevice(t *testing.T) {
	m, dev := pty(t)
	p := NewPrinter("printer.device", dev, 9600)
	if err := p.Check(); err != nil {
		t.Fatalf("Check: %v", err)
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
	if err := p.Print(context.Background(), slip); err != nil {
		t.Fatal(err)
	}
	select {
	case b := <-got:
		text, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range []string{"取货码", "洗衣液", "5521"} {
			if !strings.Contains(string(text), w) {
				t.Errorf("the slip lacks %q", w)
			}
		}
	case <-time.After(5 * time.Second):
		t.Fatal("nothing reached the printer")
	}
}

func TestPrinterSaysWhatIsWrong(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "lp0")
	if err := os.WriteFile(plain, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		dev  string
		want []string
		is   error
	}{
		{filepath.Join(dir, "lp9"), []string{"printer.device: no printer at", "plug it in and switch it on", "ls /dev/usb/"}, fs.ErrNotExist},
		{plain, []string{"is a plain file, not a printer", "sudo rm " + plain}, nil},
		{dir, []string{"is not a printer"}, nil},
	} {
		p := NewPrinter("printer.device", tc.dev, 0)
		for name, err := range map[string]error{"Check": p.Check(), "Print": p.Print(context.Background(), slip)} {
			if err == nil {
				t.Fatalf("%s(%s) succeeded", name, tc.dev)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%s(%s) = %q, lacks %q", name, tc.dev, err, w)
				}
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("%s(%s) = %v, not %v", name, tc.dev, err, tc.is)
			}
		}
	}
	if b, _ := os.ReadFile(plain); len(b) != 0 {
		t.Fatalf("a slip went into the plain file: % X", b)
	}
}

// The errors the device itself gives, in a technician's words. (The test
// runs as root in CI, where no permission is ever denied, so the error is
// made here.)
func TestPrinterExplainsDeviceErrors(t *testing.T) {
	for _, tc := range []struct {
		dev  string
		err  error
		want []string
	}{
		{"/dev/usb/lp0", &fs.PathError{Op: "open", Path: "/dev/usb/lp0", Err: syscall.EACCES},
			[]string{"permission denied", "lp group", "usermod -aG lp "}},
		{"/dev/ttyUSB0", &fs.PathError{Op: "open", Path: "/dev/ttyUSB0", Err: syscall.EACCES},
			[]string{"permission denied", "dialout group", "usermod -aG dialout "}},
		{"/dev/usb/lp0", &fs.PathError{Op: "write", Path: "/dev/usb/lp0", Err: syscall.ENODEV},
			[]string{"does not answer", "switched on"}},
		{"/dev/usb/lp0", fmt.Errorf("printer: write /dev/usb/lp0: %w", context.DeadlineExceeded),
			[]string{"took no slip in time", "paper"}},
	} {
		err := NewPrinter("printer.device", tc.dev, 0).explain(tc.err)
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("explain(%v) = %q, lacks %q", tc.err, err, w)
			}
		}
		if !strings.HasPrefix(err.Error(), "printer.device: ") {
			t.Errorf("explain(%v) = %q does not name the setting", tc.err, err)
		}
	}
}
