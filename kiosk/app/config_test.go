package app_test

import (
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/kiosk/app"
)

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "kiosk.toml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadGood(t *testing.T) {
	for _, tc := range []struct {
		name  string
		text  string
		check func(t *testing.T, c app.Config)
	}{
		{"empty file is the defaults", "", func(t *testing.T, c app.Config) {
			if c.Data != app.DefaultDataDir || c.Reader.Kind != app.ReaderSim || !c.Screen.Fullscreen ||
				c.Screen.Width != 1024 || c.Screen.Height != 600 || c.Demo || c.Headless {
				t.Errorf("defaults: %+v", c)
			}
		}},
		{"mfrc522 station with pins", `
data = "/srv/hmj"
center = "hepingli"
station = "便民服务"
headless = true
idle_timeout = "45s"
placed_for = "2s"
log_file = "/var/log/hongmajia.log"

[reader]
kind = "mfrc522"
spi = "/dev/spidev0.1"
reset_pin = "GPIO25"
irq_pin = "24"

[feedback]
buzzer = "GPIO18"
green = "GPIO23"
red = ""
tone_hz = 2700
`, func(t *testing.T, c app.Config) {
			if c.Data != "/srv/hmj" || c.Center != "hepingli" || c.Station != "便民服务" || !c.Headless {
				t.Errorf("top level: %+v", c)
			}
			if time.Duration(c.IdleTimeout) != 45*time.Second || time.Duration(c.PlacedFor) != 2*time.Second {
				t.Errorf("durations: %v %v", c.IdleTimeout, c.PlacedFor)
			}
			if c.Reader.Kind != app.ReaderMFRC522 || c.Reader.SPI != "/dev/spidev0.1" || c.Reader.ResetPin != "GPIO25" || c.Reader.IRQPin != "24" {
				t.Errorf("reader: %+v", c.Reader)
			}
			if c.Feedback.Buzzer != "GPIO18" || c.Feedback.Green != "GPIO23" || c.Feedback.Red != "" || c.Feedback.ToneHz != 2700 {
				t.Errorf("feedback: %+v", c.Feedback)
			}
			if c.LogFile != "/var/log/hongmajia.log" {
				t.Errorf("log file %q", c.LogFile)
			}
		}},
		{"wedge reader", "[reader]\nkind = \"wedge\"\nwedge_device = \"/dev/input/by-id/usb-reader-event-kbd\"\nwedge_format = \"hex-msb\"\n",
			func(t *testing.T, c app.Config) {
				if c.Reader.Kind != app.ReaderWedge || c.Reader.WedgeDevice == "" || c.Reader.WedgeFormat != "hex-msb" {
					t.Errorf("reader: %+v", c.Reader)
				}
			}},
		{"windowed small screen", "[screen]\nsize = \"800x480\"\nfullscreen = false\n", func(t *testing.T, c app.Config) {
			if c.Screen.Width != 800 || c.Screen.Height != 480 || c.Screen.Fullscreen {
				t.Errorf("screen: %+v", c.Screen)
			}
		}},
		{"sync", "[sync]\nat = \"23:30\"\nwindow = \"90m\"\nhub = \"https://hub.example.org:8443\"\n", func(t *testing.T, c app.Config) {
			at, err := c.Sync.AtOfDay()
			if err != nil || at != 23*time.Hour+30*time.Minute || time.Duration(c.Sync.Window) != 90*time.Minute || c.Sync.Hub != "https://hub.example.org:8443" {
				t.Errorf("sync: %+v %v %v", c.Sync, at, err)
			}
		}},
		{"sync defaults", "[sync]\n", func(t *testing.T, c app.Config) {
			at, err := c.Sync.AtOfDay()
			if err != nil || at != 2*time.Hour || time.Duration(c.Sync.Window) != 2*time.Hour || c.Sync.Hub != "" {
				t.Errorf("sync: %+v %v %v", c.Sync, at, err)
			}
		}},
		{"dotted keys", "reader.kind = \"mfrc522\"\nscreen.size = \"1280X800\"\n", func(t *testing.T, c app.Config) {
			if c.Reader.Kind != app.ReaderMFRC522 || c.Screen.Width != 1280 || c.Screen.Height != 800 {
				t.Errorf("%+v", c)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := app.Load(writeConfig(t, tc.text))
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}

func TestLoadBad(t *testing.T) {
	for _, tc := range []struct {
		name string
		text string
		line int
		want string // in the message
	}{
		{"unknown key", "data = \"/x\"\n\ndatta = \"/y\"\n", 3, "datta: unknown key"},
		{"unknown key in a table", "[reader]\nkind = \"sim\"\nspii = \"/dev/spidev0.0\"\n", 3, "reader.spii: unknown key"},
		{"unknown table", "[camera]\nmodel = \"x\"\n", 1, "camera"},
		{"syntax", "data = \"/x\"\nheadless = \n", 2, ""},
		{"wrong type", "data = \"/x\"\nheadless = \"yes\"\n", 2, "headless"},
		{"duration as a number", "idle_timeout = 30\n", 1, "idle_timeout"},
		{"bad duration", "\nplaced_for = \"soon\"\n", 2, "duration"},
		{"negative duration", "idle_timeout = \"-5s\"\n", 1, "idle_timeout: negative"},
		{"unknown reader", "[reader]\n\nkind = \"nfc\"\n", 3, "unknown reader \"nfc\""},
		{"wedge without device", "[reader]\nkind = \"wedge\"\n", 2, "reader.wedge_device"},
		{"bad wedge format", "[reader]\nwedge_format = \"bcd\"\n", 2, "unknown format \"bcd\""},
		{"bad size", "[screen]\nsize = \"big\"\n", 2, "WIDTHxHEIGHT"},
		{"absurd size", "[screen]\nsize = \"10x10\"\n", 2, "each side"},
		{"sync at not a time", "[sync]\nat = \"2am\"\n", 2, "sync.at: \"2am\": want a time of day HH:MM"},
		{"sync at out of range", "[sync]\n\nat = \"24:00\"\n", 3, "sync.at"},
		{"sync window zero", "[sync]\nwindow = \"0s\"\n", 2, "sync.window"},
		{"sync window over a day", "[sync]\nwindow = \"30h\"\n", 2, "sync.window"},
		{"sync hub not a URL", "[sync]\nhub = \"hub.example.org\"\n", 2, "sync.hub"},
		{"sync unknown key", "[sync]\nevery = \"1h\"\n", 2, "sync.every: unknown key"},
		{"tone out of range", "[feedback]\ntone_hz = -1\n", 2, "feedback.tone_hz"},
		{"empty data", "data = \"\"\n", 1, "data: empty"},
		{"relative data", "headless = true\ndata = \"var/lib/x\"\n", 2, `data: "var/lib/x" is not an absolute, clean path`},
		{"data through ..", "data = \"/var/lib/../x\"\n", 1, `data: "/var/lib/../x" is not an absolute, clean path`},
		{"data through .", "data = \"/var/./lib/hongmajia\"\n", 1, "not an absolute, clean path"},
		{"data with //", "data = \"/var//lib/hongmajia\"\n", 1, "not an absolute, clean path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := writeConfig(t, tc.text)
			_, err := app.Load(p)
			var ce *app.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("Load: %v, want a *ConfigError", err)
			}
			if ce.Path != p || ce.Line != tc.line {
				t.Errorf("at %s:%d, want %s:%d (%v)", ce.Path, ce.Line, p, tc.line, err)
			}
			if !strings.HasPrefix(err.Error(), p+":") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("message %q: want %q in it, after the file and line", err, tc.want)
			}
		})
	}
	if _, err := app.Load(filepath.Join(t.TempDir(), "missing.toml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestParseFlags(t *testing.T) {
	file := writeConfig(t, "data = \"/from/file\"\nheadless = true\n[reader]\nkind = \"mfrc522\"\n[screen]\nsize = \"800x480\"\n")
	for _, tc := range []struct {
		name  string
		args  []string
		check func(t *testing.T, c app.Config)
	}{
		{"no flags, no file", nil, func(t *testing.T, c app.Config) {
			if c.Data != app.DefaultDataDir || c.Headless || c.Reader.Kind != app.ReaderSim || !c.Screen.Fullscreen {
				t.Errorf("%+v", c)
			}
		}},
		{"file only", []string{"--config", file}, func(t *testing.T, c app.Config) {
			if c.Data != "/from/file" || !c.Headless || c.Reader.Kind != app.ReaderMFRC522 || c.Screen.Width != 800 {
				t.Errorf("%+v", c)
			}
		}},
		{"flags override the file", []string{"--config", file, "--data", "/from/flag", "--reader", "sim", "--size", "1280x800", "--windowed", "--demo"},
			func(t *testing.T, c app.Config) {
				if c.Data != "/from/flag" || c.Reader.Kind != app.ReaderSim || c.Screen.Width != 1280 || c.Screen.Height != 800 ||
					c.Screen.Fullscreen || !c.Demo || !c.Headless {
					t.Errorf("%+v", c)
				}
			}},
		{"a flag left out keeps the file's value", []string{"--headless=false", "--config", file}, func(t *testing.T, c app.Config) {
			if c.Headless || c.Data != "/from/file" {
				t.Errorf("%+v", c)
			}
		}},
		{"a relative --data is from the working directory", []string{"--data", "./.demo/"}, func(t *testing.T, c app.Config) {
			wd, _ := os.Getwd()
			if c.Data != filepath.Join(wd, ".demo") {
				t.Errorf("data %q, want %q", c.Data, filepath.Join(wd, ".demo"))
			}
		}},
		{"fallback", []string{"--fallback-headless"}, func(t *testing.T, c app.Config) {
			if !c.FallbackHeadless || c.Headless {
				t.Errorf("%+v", c)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := app.ParseFlags("kiosk", tc.args, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--reader", "nfc"}, "command line: reader.kind: unknown reader"},
		{[]string{"--data", "/srv/../etc"}, `command line: data: "/srv/../etc" is not an absolute, clean path`},
		{[]string{"--size", "huge"}, "command line: screen.size"},
		{[]string{"--reader", "wedge"}, "reader.wedge_device"},
		{[]string{"extra"}, "unexpected argument"},
		{[]string{"--config", file + ".missing"}, "read config"},
	} {
		_, err := app.ParseFlags("kiosk", tc.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
	}
	if _, err := app.ParseFlags("kiosk", []string{"--help"}, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("--help: %v", err)
	}
}

// TestLoadReportsEveryUnknownKey: a file with several misspelt keys is
// refused once, naming each with its line; the keys of an unknown table
// are the table's one refusal.
func TestLoadReportsEveryUnknownKey(t *testing.T) {
	p := writeConfig(t, `datta = "/srv/hmj"
headless = true
idle_timout = "30s"

[reader]
kind = "mfrc522"
spii = "/dev/spidev0.0"
reset_pin = "GPIO25"

[camera]
model = "x"
port = "/dev/usb/lp0"

[screen]
fulscreen = false
`)
	_, err := app.Load(p)
	var errs app.ConfigErrors
	if !errors.As(err, &errs) {
		t.Fatalf("Load: %v, want ConfigErrors", err)
	}
	want := []string{
		p + ":1: datta: unknown key",
		p + ":3: idle_timout: unknown key",
		p + ":7: reader.spii: unknown key",
		p + ":10: camera: unknown key",
		p + ":15: screen.fulscreen: unknown key",
	}
	if got := strings.Split(err.Error(), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("error:\n%s\nwant:\n%s", err, strings.Join(want, "\n"))
	}
	var first *app.ConfigError
	if !errors.As(err, &first) || first.Line != 1 || first.Key != "datta" {
		t.Errorf("first refusal %+v", first)
	}
}

func TestDataDirectoryTrailingSlash(t *testing.T) {
	c, err := app.Load(writeConfig(t, "data = \"/srv/hmj/\"\n"))
	if err != nil || c.Data != "/srv/hmj" {
		t.Errorf("Load: %q %v, want /srv/hmj", c.Data, err)
	}
}

// The README's configuration block and the example every Pi starts from
// both load, and both document the nightly sync's keys.
func TestConfigDocsShowTheSync(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "## Configuration")
	_, rest, ok2 := strings.Cut(rest, "```toml\n")
	block, _, ok3 := strings.Cut(rest, "```")
	if !ok || !ok2 || !ok3 {
		t.Fatal("README has no toml block under ## Configuration")
	}
	example, err := os.ReadFile("../../deploy/etc/kiosk.toml")
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{"README": block, "deploy/etc/kiosk.toml": string(example)} {
		if _, err := app.Load(writeConfig(t, text)); err != nil {
			t.Errorf("%s's configuration: %v", name, err)
		}
		for _, key := range []string{"[sync]", "at = \"02:00\"", "window = \"2h\"", "hub = \"\""} {
			if !strings.Contains(text, key) {
				t.Errorf("%s does not show %s", name, key)
			}
		}
	}
}
