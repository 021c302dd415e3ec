// Package record is the entry record that kiosks and the hub share: the
// ledger entry and its canonical encoding, entry ids and hashes, card UIDs,
// the ids an entry names, the check of a terminal's hash chain, and the pure
// rules that turn a shift into minutes and points (credit, schedule, policy).
//
// It imports only the standard library, so the hub can check a kiosk's
// entries without the kiosk's schema, SQLite, argon2 or periph.
//
// The encoding is frozen: kiosks and the hub of different versions must agree
// on every byte forever, or every existing chain fails verification after an
// upgrade. The known-answer tests (testdata/entries.json) hold fixed entries
// with their exact bytes and hashes; a change that breaks them is a new
// encoding version, never an edit.
package record
