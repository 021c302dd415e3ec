package ledger

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
)

// ApplicationID marks an SQLite file as a Hongmajia ledger: SQLite keeps it
// in the database header (PRAGMA application_id, offset 68). It is the ASCII
// of "HMJL" (Hongmajia ledger) read as a big-endian 32-bit number. Create
// sets it (through the schema's migrations); a ledger made before the mark
// existed gets it from a migration once it is recognised by its meta table.
const ApplicationID = 0x484D4A4C // "HMJL"

// applicationIDOffset is where the header keeps the application id.
const applicationIDOffset = 68

// checkIdentity refuses a database that is not a ledger of ours, before
// anything is written to it: another application's file named ledger.db must
// not get our tables, nor be switched to WAL, nor be called corrupt. It
// reads the header's application id; a file without one (0) is ours only
// if it holds the meta table with a terminal's identity, as every ledger
// made before the mark did. Anything else is a *FileError wrapping
// ErrForeign.
func checkIdentity(ctx context.Context, path string) error {
	id, err := headerApplicationID(path)
	if err != nil {
		return err
	}
	switch id {
	case ApplicationID:
		return nil
	case 0:
	default:
		return &FileError{Path: path, Err: ErrForeign, Detail: fmt.Sprintf("application_id %#08x, not a Hongmajia ledger's %#08x", id, ApplicationID)}
	}
	// The header is read directly above, so a file of another application
	// that carries its own id is never opened by SQLite. One without an id is
	// opened read-only to look for our meta table.
	db, err := sql.Open("sqlite", fileURI(path)+"?"+readOnlyQuery(path))
	if err != nil {
		return err
	}
	defer db.Close()
	var tables int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'").Scan(&tables); err != nil {
		return fileErr(path, err)
	}
	if tables == 1 {
		var terminal, center string
		err := db.QueryRowContext(ctx, "SELECT (SELECT value FROM meta WHERE key = 'terminal'), (SELECT value FROM meta WHERE key = 'center')").
			Scan(&terminal, &center)
		if err == nil && terminal != "" && center != "" {
			return nil
		}
	}
	return &FileError{Path: path, Err: ErrForeign, Detail: "no application_id and no ledger meta table: another program's database"}
}

// headerApplicationID reads the application id from the database header.
func headerApplicationID(path string) (uint32, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var b [4]byte
	if _, err := f.ReadAt(b[:], applicationIDOffset); err != nil {
		return 0, &FileError{Path: path, Err: ErrNotDatabase, Detail: "header too short"}
	}
	return binary.BigEndian.Uint32(b[:]), nil
}

// fileErr names path in an SQLite error that says the file is damaged or
// not a database; other errors are returned as storageErr maps them.
func fileErr(path string, err error) error {
	mapped := storageErr(err)
	switch {
	case errors.Is(mapped, ErrNotDatabase):
		return &FileError{Path: path, Err: ErrNotDatabase, Detail: err.Error()}
	case errors.Is(mapped, ErrCorrupt):
		return &FileError{Path: path, Err: ErrCorrupt, Detail: err.Error()}
	}
	return mapped
}
