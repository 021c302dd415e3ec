// Package ui is the terminal's screens, drawn with ebiten: the only package of
// the project that imports ebiten.
//
// A scene turns the core's view (kiosk.View, from ScreenFor) into a Frame, a
// display list of rectangles, text and buttons whose actions are the core's
// (kiosk.Action), with no ebiten types; layout, hit-testing, wrapping and
// masking are therefore tested without a display.
// Draw only paints a Frame. The Manager is the ebiten.Game: it rebuilds and
// paints only when something changed (a new scene, a touch, the clock's next
// minute), with the screen not cleared between frames.
//
// Idle cost. Skipping the paint is not enough: ebiten's default loop still
// runs Update and presents 60 frames a second, and nothing throttles it on
// Xvfb. Measured on the idle scene under Xvfb (1024×600, 30 s, 2-core x86):
// the default loop with every paint skipped costs 7.3% of a core in the
// kiosk plus 2.2% in Xvfb; SetTPS or SetVsyncEnabled(false) do not help
// (7.7–8.1%). Run therefore uses FPSModeVsyncOffMinimum, deprecated but
// still implemented on GLFW as glfw.WaitEvents: the loop sleeps until an X
// event (a touch arrives as a mouse event) or a wake. The Manager wakes it
// when the scene's NextChange is due (the clock's next minute) or when a
// scene is posted from another goroutine. Measured the same way: 0.00% in
// the kiosk and in Xvfb over 30 s. testdata/idlecpu is the program measured.
//
// Taps. Waiting for X events, GLFW turns sticky mouse buttons off and keeps
// only the button's state after all the events it read at once: a press and
// release read together (a quick tap, or any tap while a new scene is being
// painted) are never seen. So the loop sleeps only while no button is on
// screen (the idle scene) and polls with vsync on, sticky buttons and
// frames presented before the next one, while there are buttons (a
// session, which ends 30 s after the last touch). Measured with the kiosk
// on demo data under Xvfb, 20 s each: idle scene 0 ticks in the kiosk and
// in Xvfb; person scene 10.2% of a core in the kiosk plus 2.5% in Xvfb.
//
// Linking ebiten has one more cost: on Linux its init opens the X display
// and panics without one, so a binary that must run headless cannot import
// this package.
package ui
