package ledger

// CurrentSchema is the schema version this program writes: tests of an
// upgrade compare with it rather than with a number each migration changes.
var CurrentSchema = schemaVersion
