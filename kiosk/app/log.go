package app

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
)

// OpenLog is the log of kiosk and kiosk-screen alike: stderr (journald adds
// the time, so none is written under it) and, when LogFile is set, that file
// too. The returned func closes the file.
func (c Config) OpenLog(stderr io.Writer) (*log.Logger, func(), error) {
	flags := log.LstdFlags
	if os.Getenv("JOURNAL_STREAM") != "" {
		flags = 0
	}
	if c.LogFile == "" {
		return log.New(stderr, "", flags), func() {}, nil
	}
	f, err := os.OpenFile(c.LogFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return nil, nil, fmt.Errorf("open log file: %w", err)
	}
	return log.New(io.MultiWriter(stderr, f), "", log.LstdFlags), func() { f.Close() }, nil
}

// Begin is how kiosk and kiosk-screen start alike (one execs the other with
// the same arguments): read the flags and the configuration, then open the
// log. When it returns exit >= 0 the program ends with that code (0: --help,
// 2: a bad flag or configuration, 1: the log cannot be opened), having said
// why on stderr; otherwise it goes on with cfg and logger, and calls
// closeLog when done.
func Begin(name string, args []string, stderr io.Writer) (cfg Config, logger *log.Logger, closeLog func(), exit int) {
	cfg, err := ParseFlags(name, args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return cfg, nil, nil, 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return cfg, nil, nil, 2
	}
	logger, closeLog, err = cfg.OpenLog(stderr)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return cfg, nil, nil, 1
	}
	return cfg, logger, closeLog, -1
}
