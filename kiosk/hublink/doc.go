// Package hublink is the kiosk's side of the sync with its district hub:
// the kiosk's key, enrollment, one sync (push, then pull), the nightly
// schedule and a restore from the hub onto a new SD card.
//
// A sync never blocks a tap: it runs beside the terminal, and the ledger's
// writes it makes are short transactions like a tap's. It resumes where an
// interrupted one stopped: the hub stores each entry once by (terminal,
// seq) and answers with what it holds, and a pull moves the ledger's
// registry version only in the transaction that applies it.
package hublink
