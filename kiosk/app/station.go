package app

import (
	"context"

	"github.com/hongmajia/hongmajia/kiosk"
	"github.com/hongmajia/hongmajia/kiosk/control"
)

// RunStation runs the headless station on the App until ctx ends.
func (a *App) RunStation(ctx context.Context) error {
	s := kiosk.NewStation(a.led, a.ledErr, kiosk.StationOptions{Clock: a.clk, Feedback: a.fb, Logf: a.logf, Activity: a.cfg.Station,
		OnTap: a.answers.answered, Held: a.OnProbation})
	if !a.cfg.Headless { // a headless App counted its station at the start
		a.answers.addFace()
	}
	a.reportHealth(s)
	a.OnStatus(func(st *control.Status) {
		if a.led != nil {
			if act, err := s.Activity(ctx); err == nil {
				st.Station = act.Name
			}
		}
		if last := s.Last(); last.Outcome != 0 {
			st.LastTap = last.String()
		}
	})
	a.Watch(s.Alive)
	return s.Run(ctx, a.events)
}
