package app

import (
	"context"
	"fmt"
	"strings"

	"github.com/hongmajia/hongmajia/drivers/rfid"
	"github.com/hongmajia/hongmajia/kiosk/control"
	"github.com/hongmajia/hongmajia/ledger"
)

// Health is the control socket's `health`: the screen has drawn a scene, the
// ledger passes a quick verification and every reader answers. An update
// keeps a new version only once it says OK.
func (a *App) Health(ctx context.Context) control.Health {
	st := a.Status(ctx)
	h := control.Health{Mode: st.Mode, Screen: "ok", Ledger: "ok", Reader: "ok"}
	switch {
	case st.Mode == "headless":
		h.Screen = "headless"
	case st.Drawn == "" || st.Frames == 0:
		h.Screen = "no frame drawn yet"
	}
	if st.Ledger != "ok" {
		h.Ledger = st.Ledger
		if st.LedgerError != "" {
			h.Ledger += ": " + st.LedgerError
		}
	} else if l := a.led; l != nil {
		rep, err := l.VerifyWith(ctx, ledger.VerifyOptions{Quick: true})
		switch {
		case err != nil:
			h.Ledger = fmt.Sprintf("verify: %v", err)
		case !rep.OK():
			h.Ledger = fmt.Sprintf("verify: %d problems, first %v", len(rep.Problems), rep.Problems[0])
		}
	}
	var readers []string
	for _, r := range st.Readers {
		if r.Kind == rfid.KindSim.String() || r.State == rfid.StateOK.String() {
			continue
		}
		s := fmt.Sprintf("%s %s: %s", r.Kind, r.Device, r.State)
		if r.Error != "" {
			s += " (" + r.Error + ")"
		}
		readers = append(readers, s)
	}
	if len(readers) > 0 {
		h.Reader = strings.Join(readers, "; ")
	}
	for _, p := range []struct{ what, got, want string }{
		{"screen", h.Screen, "ok"}, {"ledger", h.Ledger, "ok"}, {"reader", h.Reader, "ok"},
	} {
		if p.got != p.want && !(p.what == "screen" && p.got == "headless") {
			h.Problems = append(h.Problems, p.what+": "+p.got)
		}
	}
	h.OK = len(h.Problems) == 0
	h.Probation = a.OnProbation()
	return h
}
