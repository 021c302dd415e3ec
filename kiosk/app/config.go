package app

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/hongmajia/hongmajia/drivers/wedge"
)

// DefaultDataDir is the one writable place a kiosk keeps its data in.
const DefaultDataDir = "/var/lib/hongmajia"

// ReaderKind names the card reader a terminal uses.
type ReaderKind string

// Reader kinds. The simulated reader is always present as well, so the
// control socket can inject taps (`kioskctl tap`).
const (
	ReaderSim     ReaderKind = "sim"     // no hardware: taps come from the control socket and keys 1–9
	ReaderMFRC522 ReaderKind = "mfrc522" // MFRC522 on SPI
	ReaderWedge   ReaderKind = "wedge"   // USB keyboard-wedge reader through evdev
)

// Config is a terminal's configuration: a TOML file (kiosk.toml) with flags
// over it. The zero file is a working demo terminal: everything a kiosk needs
// to know about its center is in its ledger.
type Config struct {
	// Data is the data directory holding ledger.db and control.sock.
	Data string `toml:"data"`
	// Center, when set, must be the ledger's: a data disk from another center
	// is refused (the terminal then needs a technician).
	Center string `toml:"center"`
	// Station is the activity a headless station checks volunteers in and out
	// of, by name or id; empty: the one the ledger names (SetStationActivity).
	Station string `toml:"station"`
	// Headless runs the service station (reader, buzzer, LEDs) without a screen.
	Headless bool `toml:"headless"`
	// Demo shows keys 1–9 tapping the demo cards. A ledger made by
	// `kioskctl demo` turns it on by itself.
	Demo bool `toml:"demo"`
	// IdleTimeout returns the screen to idle without a touch (default 30 s).
	IdleTimeout Duration `toml:"idle_timeout"`
	// PlacedFor: a card lying on the reader at least this long ends the
	// session when it is taken away (default 3 s).
	PlacedFor Duration `toml:"placed_for"`
	// LogFile, when set, receives the log as well as stderr (journald).
	LogFile string `toml:"log_file"`

	Reader   ReaderConfig   `toml:"reader"`
	Feedback FeedbackConfig `toml:"feedback"`
	Screen   ScreenConfig   `toml:"screen"`
	Printer  PrinterConfig  `toml:"printer"`
	Sync     SyncConfig     `toml:"sync"`

	// FallbackHeadless: `kiosk` without a display runs the station instead of
	// exiting. A flag only.
	FallbackHeadless bool `toml:"-"`
	// CheckDisplay: `kiosk` only checks that the display can be opened, and
	// exits 0 if it can. A flag only.
	CheckDisplay bool `toml:"-"`
}

// ReaderConfig is the card reader.
type ReaderConfig struct {
	Kind ReaderKind `toml:"kind"`
	// SPI is the MFRC522's SPI device.
	SPI string `toml:"spi"`
	// ResetPin and IRQPin are GPIO names ("GPIO25" or "25"); empty: not wired.
	ResetPin string `toml:"reset_pin"`
	IRQPin   string `toml:"irq_pin"`
	// WedgeDevice is the keyboard-wedge's input device, best a stable
	// /dev/input/by-id/... name.
	WedgeDevice string `toml:"wedge_device"`
	// WedgeFormat is how the wedge types a card: dec-lsb (the common
	// 10-digit readers), dec-msb, hex-msb or hex-lsb.
	WedgeFormat string `toml:"wedge_format"`
}

// FeedbackConfig names the GPIO pins of the buzzer and the LEDs; an empty
// name is not fitted.
type FeedbackConfig struct {
	Buzzer string `toml:"buzzer"`
	Green  string `toml:"green"`
	Red    string `toml:"red"`
	// ToneHz drives a passive buzzer at this frequency; 0: an active buzzer.
	ToneHz int `toml:"tone_hz"`
}

// ScreenConfig is the window.
type ScreenConfig struct {
	Width      int  `toml:"-"`
	Height     int  `toml:"-"`
	Fullscreen bool `toml:"fullscreen"`
	// Size is "WIDTHxHEIGHT", e.g. "1024x600" (the 7" panels are 800x480 or
	// 1024x600).
	Size string `toml:"size"`
}

// syncTable is the [sync] table's name, apart from its keys: "sync.at" as
// one literal would read as a catalog key of the screen's words.
const syncTable = "sync"

// SyncConfig is when a terminal enrolled with its district hub syncs by
// itself (kioskctl enroll makes it so; a terminal not enrolled ignores it).
type SyncConfig struct {
	// At is the time of day, in the center's zone, the nightly sync starts
	// ("HH:MM", default "02:00"); each kiosk adds a jitter of its own (up to
	// 30 minutes) so that a district's kiosks do not all call at once.
	At string `toml:"at"`
	// Window is how long after At a failed sync is tried again, with
	// backoff (default "2h"; at most a day).
	Window Duration `toml:"window"`
	// Hub, when set, is the hub's address to use instead of the one the
	// enrollment stored: a hub that moved.
	Hub string `toml:"hub"`
}

// AtOfDay is At as the time since local midnight.
func (s SyncConfig) AtOfDay() (time.Duration, error) {
	hh, mm, ok := strings.Cut(s.At, ":")
	h, herr := strconv.Atoi(hh)
	m, merr := strconv.Atoi(mm)
	if !ok || herr != nil || merr != nil || len(mm) != 2 || h < 0 || h > 23 || m < 0 || m > 59 {
		return 0, fmt.Errorf("%q: want a time of day HH:MM, e.g. \"02:00\"", s.At)
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, nil
}

// Duration is a TOML duration written as a string ("30s", "2m"): a bare
// number would be read as nanoseconds, which nobody means.
type Duration time.Duration

// UnmarshalText reads a Go duration.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("want a duration such as \"30s\" or \"2m\": %w", err)
	}
	*d = Duration(v)
	return nil
}

// MarshalText writes the duration as Go does ("30s").
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// DefaultConfig is the configuration without a file or flags.
func DefaultConfig() Config {
	return Config{
		Data: DefaultDataDir,
		Reader: ReaderConfig{
			Kind:        ReaderSim,
			SPI:         "/dev/spidev0.0",
			WedgeFormat: "dec-lsb",
		},
		Screen: ScreenConfig{Fullscreen: true, Size: "1024x600", Width: 1024, Height: 600},
		Sync:   SyncConfig{At: "02:00", Window: Duration(2 * time.Hour)},
	}
}

// ConfigError is a configuration refused: the file, the line (0 when not
// known) and the reason.
type ConfigError struct {
	Path   string
	Line   int
	Key    string
	Reason string
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString(e.Path)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// ConfigErrors are several refusals of one file, each with its line: every
// unknown key is reported at once, so a technician fixes them in one go.
// errors.As finds the first *ConfigError.
type ConfigErrors []*ConfigError

func (es ConfigErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns each refusal.
func (es ConfigErrors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// Load reads a configuration file over DefaultConfig. Unknown keys (all of
// them), wrong types and bad values are refused with the file, the line and
// the reason.
func Load(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("read config: %w", err)
	}
	cfg := DefaultConfig()
	if err := cfg.decode(path, b); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// decodeLine pulls the line out of the errors toml gives for wrong types,
// which are not ParseErrors: `toml: line 3 (last key "d"): incompatible ...`.
var decodeLine = regexp.MustCompile(`^toml: line (\d+) \(last key "([^"]*)"\): (.*)$`)

func (c *Config) decode(path string, b []byte) error {
	md, err := toml.Decode(string(b), c)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return &ConfigError{Path: path, Line: pe.Position.Line, Key: pe.LastKey, Reason: pe.Message}
		}
		if m := decodeLine.FindStringSubmatch(err.Error()); m != nil {
			line, _ := strconv.Atoi(m[1])
			return &ConfigError{Path: path, Line: line, Key: m[2], Reason: m[3]}
		}
		return &ConfigError{Path: path, Reason: err.Error()}
	}
	if un := md.Undecoded(); len(un) > 0 {
		var errs ConfigErrors
		reported := map[string]bool{}
	keys:
		for _, k := range un {
			// The keys inside an unknown table are not reported again.
			for i := 1; i < len(k); i++ {
				if reported[strings.Join(k[:i], ".")] {
					continue keys
				}
			}
			reported[k.String()] = true
			errs = append(errs, &ConfigError{Path: path, Line: keyLine(b, k), Key: k.String(), Reason: "unknown key"})
		}
		if len(errs) == 1 {
			return errs[0]
		}
		return errs
	}
	if err := c.check(); err != nil {
		var ce *ConfigError
		if errors.As(err, &ce) {
			ce.Path = path
			ce.Line = keyLine(b, strings.Split(ce.Key, "."))
		}
		return err
	}
	return nil
}

// keyLine finds the line that sets key, following [table] headers and
// dotted keys; 0 when it cannot tell.
func keyLine(b []byte, key []string) int {
	want := strings.Join(key, ".")
	table := ""
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			table = strings.Trim(line, "[] \t")
			if i := strings.Index(table, "]"); i >= 0 {
				table = table[:i]
			}
			if table == want {
				return n
			}
			continue
		}
		k, _, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		full := strings.Trim(strings.TrimSpace(k), `"`)
		if table != "" {
			full = table + "." + full
		}
		if full == want {
			return n
		}
	}
	return 0
}

// check refuses values that parse but make no sense; the error names the
// key so that decode can add its line.
func (c *Config) check() error {
	bad := func(key, format string, args ...any) error {
		return &ConfigError{Key: key, Reason: fmt.Sprintf(format, args...)}
	}
	if c.Data == "" {
		return bad("data", "empty: give the data directory")
	}
	// A relative directory would depend on where the service happens to
	// start; one with "." or ".." in it may not be where it seems.
	if d := strings.TrimSuffix(c.Data, "/"); !filepath.IsAbs(c.Data) || (d != "" && filepath.Clean(d) != d) {
		return bad("data", "%q is not an absolute, clean path: give the data directory from the root, e.g. %s", c.Data, DefaultDataDir)
	} else if d != "" {
		c.Data = d
	}
	switch c.Reader.Kind {
	case ReaderSim, ReaderMFRC522:
	case ReaderWedge:
		if c.Reader.WedgeDevice == "" {
			return bad("reader.kind", "a wedge reader needs reader.wedge_device, its input device, e.g. /dev/input/by-id/usb-...-event-kbd")
		}
	default:
		return bad("reader.kind", "unknown reader %q: want sim, mfrc522 or wedge", c.Reader.Kind)
	}
	if c.Reader.Kind == ReaderMFRC522 && c.Reader.SPI == "" {
		return bad("reader.spi", "an mfrc522 reader needs its SPI device, e.g. /dev/spidev0.0")
	}
	if _, err := ParseWedgeFormat(c.Reader.WedgeFormat); err != nil {
		return bad("reader.wedge_format", "%v", err)
	}
	if c.IdleTimeout < 0 {
		return bad("idle_timeout", "negative")
	}
	if c.PlacedFor < 0 {
		return bad("placed_for", "negative")
	}
	if c.Feedback.ToneHz < 0 || c.Feedback.ToneHz > 20000 {
		return bad("feedback.tone_hz", "%d Hz: want 0 (an active buzzer) up to 20000", c.Feedback.ToneHz)
	}
	if err := c.Printer.check(); err != nil {
		return err
	}
	if _, err := c.Sync.AtOfDay(); err != nil {
		return bad(syncTable+".at", "%v", err)
	}
	if c.Sync.Window <= 0 || time.Duration(c.Sync.Window) > 24*time.Hour {
		return bad(syncTable+".window", "%s: want a duration above 0 and at most a day, e.g. \"2h\"", time.Duration(c.Sync.Window))
	}
	if c.Sync.Hub != "" {
		u, err := url.Parse(c.Sync.Hub)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return bad(syncTable+".hub", "%q: want the hub's address, e.g. https://hub.example.org", c.Sync.Hub)
		}
	}
	w, h, err := parseSize(c.Screen.Size)
	if err != nil {
		return bad("screen.size", "%v", err)
	}
	c.Screen.Width, c.Screen.Height = w, h
	return nil
}

// Screens the layout is made for (ARCHITECTURE.md: 800×480 to 1280×800); a window
// may be smaller on a developer's desk, never absurd.
const (
	minScreenSide = 320
	maxScreenSide = 7680
)

func parseSize(s string) (w, h int, err error) {
	ws, hs, ok := strings.Cut(strings.ToLower(s), "x")
	if ok {
		w, err = strconv.Atoi(ws)
		if err == nil {
			h, err = strconv.Atoi(hs)
		}
	}
	if !ok || err != nil {
		return 0, 0, fmt.Errorf("%q: want WIDTHxHEIGHT, e.g. 1024x600", s)
	}
	if w < minScreenSide || h < minScreenSide || w > maxScreenSide || h > maxScreenSide {
		return 0, 0, fmt.Errorf("%q: each side must be %d to %d pixels", s, minScreenSide, maxScreenSide)
	}
	return w, h, nil
}

// ParseWedgeFormat reads a keyboard-wedge format name (wedge.ParseFormat).
func ParseWedgeFormat(s string) (wedge.Format, error) { return wedge.ParseFormat(s) }

// ParseFlags reads the command line of `kiosk` and `kiosk-screen` (they take
// the same arguments: one execs the other): the file named by --config,
// then the flags given over it.
func ParseFlags(name string, args []string, stderr io.Writer) (Config, error) {
	fl := flag.NewFlagSet(name, flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() {
		fmt.Fprintf(stderr, "usage: %s [--config FILE] [--data DIR] [--headless] [--windowed] [--size WxH] [--reader sim|mfrc522|wedge] [--demo]\n", name)
		fl.PrintDefaults()
	}
	def := DefaultConfig()
	configPath := fl.String("config", "", "configuration file (TOML); none: the defaults")
	data := fl.String("data", def.Data, "data directory")
	headless := fl.Bool("headless", false, "run the service station without a screen: reader, buzzer and LEDs")
	fallback := fl.Bool("fallback-headless", false, "without a display, run the headless station instead of exiting")
	checkDisplay := fl.Bool("check-display", false, "only check that the display (DISPLAY, XAUTHORITY) can be opened: exit 0 if it can")
	windowed := fl.Bool("windowed", false, "a window instead of the full screen")
	size := fl.String("size", def.Screen.Size, "window size WIDTHxHEIGHT")
	reader := fl.String("reader", string(def.Reader.Kind), "card reader: sim, mfrc522 or wedge")
	demo := fl.Bool("demo", false, "demo mode: keys 1–9 tap the demo cards")
	if err := fl.Parse(args); err != nil {
		return Config{}, err
	}
	if fl.NArg() > 0 {
		return Config{}, fmt.Errorf("%s: unexpected argument %q", name, fl.Arg(0))
	}
	cfg := def
	if *configPath != "" {
		var err error
		if cfg, err = Load(*configPath); err != nil {
			return Config{}, err
		}
	}
	var err error
	fl.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "data":
			// A path typed in a shell is from where it was typed: kiosk and
			// kioskctl read `--data .demo` alike. The configuration file
			// has no such place, so there it must be absolute.
			cfg.Data = *data
			if !filepath.IsAbs(cfg.Data) {
				if abs, err := filepath.Abs(cfg.Data); err == nil {
					cfg.Data = abs
				}
			}
		case "headless":
			cfg.Headless = *headless
		case "fallback-headless":
			cfg.FallbackHeadless = *fallback
		case "check-display":
			cfg.CheckDisplay = *checkDisplay
		case "windowed":
			cfg.Screen.Fullscreen = !*windowed
		case "size":
			cfg.Screen.Size = *size
		case "reader":
			cfg.Reader.Kind = ReaderKind(*reader)
		case "demo":
			cfg.Demo = *demo
		}
	})
	if err = cfg.check(); err != nil {
		var ce *ConfigError
		if errors.As(err, &ce) {
			ce.Path = "command line" // the file passed Load: a flag made it wrong
		}
		return Config{}, err
	}
	return cfg, nil
}
