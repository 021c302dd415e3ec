// Package ui is the terminal's screens, drawn with ebiten: the only package of
// the project that imports ebiten.
//
// A scene turns a plain view model (IdleView, PersonView, ...) into a Frame, a
// display list of rectangles, text and buttons, with no ebiten types; layout,
// hit-testing, wrapping and masking are therefore tested without a display.
// Draw only paints a Frame. The Manager is the ebiten.Game: it redraws only
// when something changed (a new scene, a touch, the clock's next second) and
// lets the frame loop sleep otherwise.
package ui
