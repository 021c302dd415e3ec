// Package hubsync is the sync protocol the kiosk and the district hub share:
// the messages of enrollment, push, pull and restore, their wire form
// (JSON, gzip), the signatures on every request (the kiosk's ed25519 key)
// and on every answer the kiosk applies (the hub's), and the limits both
// sides enforce. It imports the entry record and nothing of either side:
// no SQLite, no ledger, no hub store (ARCHITECTURE.md, "The hub and the
// sync").
//
// A sync is: push (the kiosk's registry changes, then its entries after
// what the hub acknowledged, in bounded batches), then pull (the registry's
// changes since the kiosk's version, the district balances of the people
// whose balance changed elsewhere, and the hub's clock). Both are
// idempotent: a push is keyed by (terminal, seq), a pull by version, so an
// interrupted sync is simply run again.
package hubsync
