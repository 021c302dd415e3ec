package app_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/drivers/board"
	"github.com/hongmajia/hongmajia/drivers/feedback/feedbacktest"
	"github.com/hongmajia/hongmajia/drivers/rfid"
	"github.com/hongmajia/hongmajia/kiosk/app"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
)

// TestAppHardwareHints: the kiosk's errors name the configuration key at
// fault and say what the technician does, in the words kioskctl uses.
func TestAppHardwareHints(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*app.Config)
		want string
	}{
		{"reader reset pin", func(c *app.Config) {
			c.Reader.Kind, c.Reader.SPI, c.Reader.ResetPin = app.ReaderMFRC522, "/dev/spidev9.9", "GPIO_NO_SUCH_PIN"
		}, "reader.reset_pin GPIO_NO_SUCH_PIN: no such GPIO pin: " + board.HintPinName},
		{"reader irq pin", func(c *app.Config) {
			c.Reader.Kind, c.Reader.SPI, c.Reader.IRQPin = app.ReaderMFRC522, "/dev/spidev9.9", "99"
		}, "reader.irq_pin 99: no such GPIO pin: " + board.HintPinName},
		{"green LED", func(c *app.Config) { c.Feedback.Green = "GPIO_NO_SUCH_PIN" },
			"feedback.green GPIO_NO_SUCH_PIN: no such GPIO pin: " + board.HintPinName},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := app.DefaultConfig()
			cfg.Data = shortDir(t)
			tc.edit(&cfg)
			a, err := app.NewApp(context.Background(), cfg, &app.AppOptions{Logf: t.Logf})
			if err == nil {
				a.Close()
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("NewApp: %v\nwant %s", err, tc.want)
			}
		})
	}

	t.Run("no SPI device", func(t *testing.T) {
		clk := clock.NewFake(ledgertest.Start)
		dir, lo := newDemoDir(t, clk)
		cfg := app.DefaultConfig()
		cfg.Data = dir
		cfg.Reader.Kind, cfg.Reader.SPI = app.ReaderMFRC522, "/dev/spidev9.9"
		var mu sync.Mutex
		var logged strings.Builder
		logf := func(format string, args ...any) {
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintf(&logged, format+"\n", args...)
		}
		a, err := app.NewApp(context.Background(), cfg, &app.AppOptions{Clock: clk, Logf: logf, Feedback: &feedbacktest.Recorder{}, Ledger: lo})
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		if err := a.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		// The reader is absent, in its status and in the log, with the hint.
		want := "no SPI device /dev/spidev9.9: " + board.HintEnableSPI
		var hw rfid.Status
		waitFor(t, "the reader reported absent", func() bool {
			hw = a.ReaderStatus()[1]
			return hw.State == rfid.StateAbsent
		})
		if hw.Err == nil || !strings.Contains(hw.Err.Error(), want) {
			t.Errorf("reader status %v\nwant %s", hw, want)
		}
		waitFor(t, "the log says what to do", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return strings.Contains(logged.String(), want)
		})
	})
}
