package app

import (
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
