package assets

import (
	"embed"
	"io/fs"
)

//go:embed sounds/*.wav
var sounds embed.FS

// SoundPack is the optional sound pack: short spoken prompts, one WAV file
// each (16 kHz, 16-bit mono), named after the prompt (checkin-done.wav),
// made by sounds/make.go with espeak-ng. A prompt missing from it is played
// as its tone alone.
func SoundPack() fs.FS {
	sub, err := fs.Sub(sounds, "sounds")
	if err != nil {
		panic(err) // "sounds" is a valid path: cannot happen
	}
	return sub
}
