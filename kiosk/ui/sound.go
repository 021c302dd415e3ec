package ui

import (
	"encoding/binary"
	"errors"
	"math"
	"path/filepath"

	"github.com/hajimehoshi/ebiten/v2/audio"
)

// SampleRate of the generated tones.
const SampleRate = 44100

// ErrNoAudioDevice means there is no ALSA playback device: the terminal runs
// silent, with colours only.
var ErrNoAudioDevice = errors.New("ui: no audio playback device")

// Sounds plays the success and refusal tones. A nil *Sounds is silent, so
// callers never need to check.
type Sounds struct {
	ctx   *audio.Context
	tones map[Tone][]byte
}

// NewSounds opens audio when a playback device exists. Without one it
// returns nil and ErrNoAudioDevice; the caller carries on silent. It checks
// first because ebiten's audio context, once created, stops the game with an
// error when its device cannot be opened.
func NewSounds() (*Sounds, error) {
	devs, _ := filepath.Glob("/dev/snd/pcmC*D*p")
	if len(devs) == 0 {
		return nil, ErrNoAudioDevice
	}
	return &Sounds{ctx: audio.NewContext(SampleRate), tones: map[Tone][]byte{
		Success: ToneSamples(Success, SampleRate),
		Refusal: ToneSamples(Refusal, SampleRate),
	}}, nil
}

// Play starts the tone's sound and returns at once.
func (s *Sounds) Play(t Tone) {
	if s == nil || s.tones[t] == nil {
		return
	}
	s.ctx.NewPlayerFromBytes(s.tones[t]).Play()
}

// note is a sine at freq for ms milliseconds; freq 0 is silence.
type note struct{ freq, ms float64 }

// toneNotes: success rises (E5 then A5), refusal is two low buzzes (A3).
var toneNotes = map[Tone][]note{
	Success: {{659.25, 110}, {880, 190}},
	Refusal: {{220, 160}, {0, 70}, {220, 160}},
}

// ToneSamples is the tone as 16-bit little-endian stereo PCM at rate, each
// note faded in and out over 5 ms so it does not click. Neutral is silent.
func ToneSamples(t Tone, rate int) []byte {
	var out []byte
	fade := 0.005 * float64(rate)
	for _, n := range toneNotes[t] {
		count := int(n.ms / 1000 * float64(rate))
		for i := 0; i < count; i++ {
			v := 0.0
			if n.freq > 0 {
				env := math.Min(1, math.Min(float64(i)/fade, float64(count-i)/fade))
				v = 0.4 * env * math.Sin(2*math.Pi*n.freq*float64(i)/float64(rate))
			}
			s := uint16(int16(v * math.MaxInt16))
			out = binary.LittleEndian.AppendUint16(out, s)
			out = binary.LittleEndian.AppendUint16(out, s)
		}
	}
	return out
}
