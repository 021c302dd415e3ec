package board

import (
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"

	"github.com/hongmajia/hongmajia/drivers/feedback"
)

// Feedback is the buzzer and the LEDs, by pin name; a pin without a name is
// not fitted.
type Feedback struct {
	Buzzer, Green, Red Pin
	// ToneHz drives a passive buzzer at this frequency; 0: an active buzzer,
	// switched on and off.
	ToneHz int
}

// Player looks the pins up and starts a player on them, all off;
// feedback.Nop when none is fitted. It fails for a pin that does not exist
// or may not be used.
func (f Feedback) Player(clk feedback.Clock) (feedback.Player, error) {
	if f.Buzzer.Name == "" && f.Green.Name == "" && f.Red.Name == "" {
		return feedback.Nop{}, nil
	}
	var ps feedback.Pins
	for _, p := range []struct {
		pin Pin
		out *gpio.PinOut
	}{{f.Buzzer, &ps.Buzzer}, {f.Green, &ps.Green}, {f.Red, &ps.Red}} {
		pin, err := p.pin.open()
		if err != nil {
			return nil, err
		}
		if pin != nil {
			*p.out = pin
		}
	}
	o := feedback.DefaultOpts
	o.Tone = physic.Frequency(f.ToneHz) * physic.Hertz
	return feedback.New(clk, ps, &o), nil
}
