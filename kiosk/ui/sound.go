package ui

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"math"
	"path/filepath"

	"github.com/hajimehoshi/ebiten/v2/audio"
	"github.com/hajimehoshi/ebiten/v2/audio/wav"

	"github.com/hongmajia/hongmajia/assets"
	"github.com/hongmajia/hongmajia/kiosk"
)

// SampleRate of the generated tones.
const SampleRate = 44100

// ErrNoAudioDevice means there is no ALSA playback device: the terminal runs
// silent, with colours and marks only.
var ErrNoAudioDevice = errors.New("ui: no audio playback device")

// Sounds plays the success and refusal tones, each followed by its spoken
// prompt (签到成功) where the sound pack has one. A nil *Sounds is silent,
// so callers never need to check.
type Sounds struct {
	ctx     *audio.Context
	tones   map[Tone][]byte
	prompts map[kiosk.Prompt][]byte
}

// NewSounds opens audio when a playback device exists, with the embedded
// sound pack's prompts. Without a device it returns nil and
// ErrNoAudioDevice; the caller carries on silent. It checks first because
// ebiten's audio context, once created, stops the game with an error when
// its device cannot be opened.
func NewSounds() (*Sounds, error) {
	devs, _ := filepath.Glob("/dev/snd/pcmC*D*p")
	if len(devs) == 0 {
		return nil, ErrNoAudioDevice
	}
	return &Sounds{ctx: audio.NewContext(SampleRate), tones: map[Tone][]byte{
		Success: ToneSamples(Success, SampleRate),
		Refusal: ToneSamples(Refusal, SampleRate),
	}, prompts: LoadPrompts(assets.SoundPack(), SampleRate)}, nil
}

// Play starts the tone's sound and returns at once.
func (s *Sounds) Play(t Tone) { s.Say(t, kiosk.PromptNone) }

// Say starts the tone and, after it, the prompt's words where the pack has
// them, and returns at once.
func (s *Sounds) Say(t Tone, p kiosk.Prompt) {
	if s == nil {
		return
	}
	if pcm := CueSamples(s.tones[t], s.prompts[p], SampleRate); len(pcm) > 0 {
		s.ctx.NewPlayerFromBytes(pcm).Play()
	}
}

// LoadPrompts decodes the pack's prompts (kiosk.Prompts, each <prompt>.wav)
// to 16-bit little-endian stereo PCM at rate. A prompt whose file is
// missing or does not decode is left out: it is played as its tone alone.
func LoadPrompts(pack fs.FS, rate int) map[kiosk.Prompt][]byte {
	out := map[kiosk.Prompt][]byte{}
	if pack == nil {
		return out
	}
	for _, p := range kiosk.Prompts {
		b, err := fs.ReadFile(pack, string(p)+".wav")
		if err != nil {
			continue
		}
		st, err := wav.DecodeWithSampleRate(rate, bytes.NewReader(b))
		if err != nil {
			continue
		}
		if pcm, err := io.ReadAll(st); err == nil && len(pcm) > 0 {
			out[p] = pcm
		}
	}
	return out
}

// promptPause is the silence between a tone and its words.
const promptPause = 0.12 // seconds

// CueSamples is a tone followed, when there are words, by a short pause and
// the words: one buffer to play.
func CueSamples(tone, words []byte, rate int) []byte {
	if len(words) == 0 {
		return tone
	}
	pause := int(promptPause*float64(rate)) * 4 // stereo, 16 bits
	out := make([]byte, 0, len(tone)+pause+len(words))
	out = append(out, tone...)
	out = append(out, make([]byte, pause)...)
	return append(out, words...)
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
