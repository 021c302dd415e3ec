//go:build ignore

// make.go makes the spoken prompts of the sound pack with espeak-ng (Debian
// package espeak-ng), as 16 kHz 16-bit mono WAV files beside this one. The
// files are checked in; run this again only to change the words:
//
//	sudo apt-get install espeak-ng
//	go run assets/sounds/make.go
//
// Each file is named after its kiosk.Prompt. A kiosk plays a prompt after
// its success or refusal tone where a sound device exists; a prompt whose
// file is missing is the tone alone.
package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// prompts are the file names (kiosk.Prompt) and the words spoken.
var prompts = []struct{ name, words string }{
	{"checkin-done", "签到成功"},
	{"checkout-done", "签退成功"},
	{"redeem-done", "兑换成功"},
	{"try-again", "请重试"},
	{"refused", "未能完成，请看屏幕"},
}

// The voice: Mandarin, a little slower than espeak-ng's 175 words a minute,
// for elderly listeners.
var espeak = []string{"-v", "cmn", "-s", "140", "-a", "160"}

const rate = 16000

func main() {
	_, self, _, _ := runtime.Caller(0)
	dir := filepath.Dir(self)
	for _, p := range prompts {
		out, err := exec.Command("espeak-ng", append(espeak, "--stdout", p.words)...).Output()
		if err != nil {
			fail(fmt.Errorf("espeak-ng %q: %w (install the Debian package espeak-ng)", p.words, err))
		}
		in, inRate, err := readWAV(out)
		if err != nil {
			fail(fmt.Errorf("espeak-ng %q: %w", p.words, err))
		}
		path := filepath.Join(dir, p.name+".wav")
		if err := os.WriteFile(path, wav(resample(trim(in), inRate, rate), rate), 0o644); err != nil {
			fail(err)
		}
		fmt.Println(path)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "make sounds:", err)
	os.Exit(1)
}

// readWAV reads 16-bit mono PCM WAV as espeak-ng writes it. espeak-ng's
// --stdout leaves the sizes unset (0xFFFFFFFF): the data runs to the end.
func readWAV(b []byte) ([]int16, int, error) {
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, 0, errors.New("not a WAV file")
	}
	var sampleRate int
	for p := 12; p+8 <= len(b); {
		id, size := string(b[p:p+4]), int(binary.LittleEndian.Uint32(b[p+4:p+8]))
		body := b[p+8:]
		switch id {
		case "fmt ":
			if binary.LittleEndian.Uint16(body[0:2]) != 1 || binary.LittleEndian.Uint16(body[2:4]) != 1 || binary.LittleEndian.Uint16(body[14:16]) != 16 {
				return nil, 0, errors.New("not 16-bit mono PCM")
			}
			sampleRate = int(binary.LittleEndian.Uint32(body[4:8]))
		case "data":
			if size > len(body) || size < 0 {
				size = len(body)
			}
			s := make([]int16, size/2)
			binary.Read(bytes.NewReader(body[:len(s)*2]), binary.LittleEndian, s)
			return s, sampleRate, nil
		}
		p += 8 + size + size%2
	}
	return nil, 0, errors.New("no data chunk")
}

// trim cuts the silence espeak-ng leaves before and after the words.
func trim(s []int16) []int16 {
	const quiet = 200
	i, j := 0, len(s)
	for i < j && abs(s[i]) < quiet {
		i++
	}
	for j > i && abs(s[j-1]) < quiet {
		j--
	}
	return s[i:j]
}

func abs(v int16) int16 {
	if v < 0 {
		return -v
	}
	return v
}

// resample converts by linear interpolation; speech has little above 4 kHz,
// so 22050 Hz to 16000 Hz loses nothing a listener would miss.
func resample(in []int16, from, to int) []int16 {
	n := len(in) * to / from
	out := make([]int16, n)
	for i := range out {
		x := float64(i) * float64(from) / float64(to)
		k := int(x)
		f := x - float64(k)
		a, b := float64(in[k]), a0(in, k+1)
		out[i] = int16(a + (b-a)*f)
	}
	return out
}

func a0(s []int16, k int) float64 {
	if k >= len(s) {
		return 0
	}
	return float64(s[k])
}

// wav is a 16-bit mono PCM WAV file of samples.
func wav(s []int16, rate int) []byte {
	var b bytes.Buffer
	data := len(s) * 2
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, uint32(36+data))
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(rate), uint32(rate * 2), uint16(2), uint16(16)} {
		binary.Write(&b, binary.LittleEndian, v)
	}
	b.WriteString("data")
	binary.Write(&b, binary.LittleEndian, uint32(data))
	binary.Write(&b, binary.LittleEndian, s)
	return b.Bytes()
}
