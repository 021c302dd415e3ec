// Package app wires a terminal together from its configuration: the ledger,
// the card readers and the buzzer and LEDs opened by name, and the control
// socket. The touch screen (cmd/kiosk-screen) and the headless station
// (cmd/kiosk --headless) both run on an App; the flows themselves are
// package kiosk's.
package app
