// Package kiosk is the terminal's core: the flows a volunteer, a resident and a
// staff member go through, decided from taps, touches, ledger answers and the
// clock, apart from any drawing. Its screens live in kiosk/ui, the only package
// that imports ebiten.
package kiosk
