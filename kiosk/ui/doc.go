// Package ui is the terminal's screens, drawn with ebiten: the only package of
// the project that imports ebiten.
//
// A scene turns the core's view (kiosk.View, from ScreenFor) into a Frame, a
// display list of rectangles, text and buttons whose actions are the core's
// (kiosk.Action), with no ebiten types; layout, hit-testing, wrapping and
// masking are therefore tested without a display.
// Draw only paints a Frame. The Manager is the ebiten.Game: it rebuilds and
// paints only when something changed (a new scene, a touch, the clock's next
// minute, the idle scene's next page), with the screen not cleared between
// frames; and then only where the new frame differs from the one on screen
// (a page turn repaints the activity list, the minute the header's clock),
// and it sleeps again right after the paint's frame.
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
// painted) are never seen. Polling with vsync on keeps the buttons sticky,
// but costs what the idle loop saved: measured with the kiosk on demo data
// under Xvfb (30 s, 2-core x86, load 23), the person scene polled at
// 7.8% of a core in the kiosk plus 2.1% in Xvfb. So the pointer is not read
// from GLFW: a Recorder, on two X connections of its own, records the
// server's ButtonPress, ButtonRelease and MotionNotify through the RECORD
// extension (Xorg and Xvfb have it; a touchscreen arrives as this pointer),
// queues them in the window's coordinates and wakes the loop, and each
// Update feeds every one of them to the Tracker: the loop sleeps on every
// scene and a burst of taps between two frames acts once per tap. Measured
// the same way and in the same run: the person scene 0.43% in the kiosk
// (its once-a-second wake for the session's timeout) plus 0.03% in Xvfb.
// Where RECORD is missing or the connection is refused the Manager falls
// back to polling GLFW while buttons are on screen, and logs it once.
// Keys are GLFW's still: the demo keys count the characters typed, which
// GLFW hands over one per press whatever the batch.
//
// Linking ebiten has one more cost: on Linux its init opens the X display
// and panics without one, so a binary that must run headless cannot import
// this package.
package ui
