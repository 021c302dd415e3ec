// Package hongmajia is the root of the Hongmajia (红马甲) volunteer-points
// system: a touch kiosk and headless station per service center, their
// SQLite ledger, our own card-reader drivers, and the technician's tool.
// ARCHITECTURE.md names the packages and the rules between them; the tests
// in this directory enforce those rules for every package and binary.
package hongmajia
