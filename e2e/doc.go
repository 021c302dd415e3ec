// Package e2e holds the district's end-to-end proofs of the sync (issue 9):
// real hubd processes on loopback, real kiosk ledgers in temporary data
// directories synced through kiosk/hublink, a fault-injecting TCP proxy
// between them, forged requests and answers, and kiosks with wrong clocks.
// With the hub's web (issue 10), in a headless Chromium: a volunteer
// registered in the browser, their card tapped at a kiosk, the shift seen
// in the browser again. With PostgreSQL (issue 13), two hubd processes on
// one database behind the fault proxy, which sends each connection to
// either (internal/pgtest's server, started once per run).
// It has tests only; `go test ./e2e` builds cmd/hubd once per run.
package e2e
