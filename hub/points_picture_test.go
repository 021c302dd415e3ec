package hub_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"

	"github.com/hongmajia/hongmajia/hub"
)

// picturePNG is a w×h PNG: its left half red, its right half blue; clear (its
// right half transparent) when asked.
func picturePNG(t testing.TB, w, h int, clear bool) []byte {
	t.Helper()
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.NRGBA{R: 200, A: 255}
			if x >= w/2 {
				c = color.NRGBA{B: 200, A: 255}
				if clear {
					c.A = 0
				}
			}
			m.SetNRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pictureJPEG is a w×h JPEG as picturePNG draws it, with an EXIF segment saying
// orientation o (none when 0) and a camera's name.
func pictureJPEG(t testing.TB, w, h, o int) []byte {
	t.Helper()
	m, err := png.Decode(bytes.NewReader(picturePNG(t, w, h, false)))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	if o == 0 {
		return b.Bytes()
	}
	// APP1: "Exif\0\0", a big-endian TIFF header, one IFD of two entries:
	// Orientation (SHORT) and Make (ASCII, at an offset).
	tiff := []byte("MM\x00\x2a\x00\x00\x00\x08")
	tiff = binary.BigEndian.AppendUint16(tiff, 2)
	tiff = append(tiff, 0x01, 0x12, 0x00, 0x03, 0, 0, 0, 1)
	tiff = binary.BigEndian.AppendUint16(tiff, uint16(o))
	tiff = append(tiff, 0, 0)
	tiff = append(tiff, 0x01, 0x0F, 0x00, 0x02, 0, 0, 0, 12)
	tiff = binary.BigEndian.AppendUint32(tiff, uint32(len(tiff)+4+4))
	tiff = append(tiff, 0, 0, 0, 0)
	tiff = append(tiff, "SpyCam 3000\x00"...)
	seg := append([]byte("Exif\x00\x00"), tiff...)
	app1 := []byte{0xFF, 0xE1}
	app1 = binary.BigEndian.AppendUint16(app1, uint16(len(seg)+2))
	app1 = append(app1, seg...)
	out := append([]byte{0xFF, 0xD8}, app1...)
	return append(out, b.Bytes()[2:]...)
}

func pictureDecoded(t *testing.T, b []byte) image.Image {
	t.Helper()
	m, format, err := image.Decode(bytes.NewReader(b))
	if err != nil || format != "jpeg" {
		t.Fatalf("the picture made is not a JPEG: %q, %v", format, err)
	}
	return m
}

// pictureNear reports whether c is about want (JPEG moves colours a little).
func pictureNear(c color.Color, want color.NRGBA) bool {
	r, g, b, _ := c.RGBA()
	d := func(a uint32, b uint8) bool { x := int(a>>8) - int(b); return x > -40 && x < 40 }
	return d(r, want.R) && d(g, want.G) && d(b, want.B)
}

var (
	picRed   = color.NRGBA{R: 200}
	picBlue  = color.NRGBA{B: 200}
	picWhite = color.NRGBA{R: 255, G: 255, B: 255}
)

// TestMakePictureMakesASmallJPEG: a large picture comes out a JPEG of
// PictureSide on its longer side, with a thumbnail of ThumbSide on its
// shorter; a small one is not enlarged; a transparent PNG is on white;
// its hash is the JPEG's.
func TestMakePictureMakesASmallJPEG(t *testing.T) {
	for _, c := range []struct {
		w, h           int
		wantW, wantH   int
		thumbW, thumbH int
		clear          bool
		left, right    color.NRGBA
	}{
		{2000, 1000, 800, 400, 256, 128, false, picRed, picBlue},
		{900, 1800, 400, 800, 128, 256, false, picRed, picBlue},
		{300, 200, 300, 200, 192, 128, true, picRed, picWhite},
		{60, 40, 60, 40, 60, 40, false, picRed, picBlue},
		{3000, 100, 800, 26, 384, 12, false, picRed, picBlue},
	} {
		p, err := hub.MakePicture(picturePNG(t, c.w, c.h, c.clear))
		if err != nil {
			t.Fatalf("%d×%d: %v", c.w, c.h, err)
		}
		large, thumb := pictureDecoded(t, p.Large), pictureDecoded(t, p.Thumb)
		if b := large.Bounds(); b.Dx() != c.wantW || b.Dy() != c.wantH || p.Width != c.wantW || p.Height != c.wantH {
			t.Errorf("%d×%d made %v (said %d×%d), want %d×%d", c.w, c.h, b, p.Width, p.Height, c.wantW, c.wantH)
		}
		if b := thumb.Bounds(); b.Dx() != c.thumbW || b.Dy() != c.thumbH {
			t.Errorf("%d×%d: thumbnail %v, want %d×%d", c.w, c.h, b, c.thumbW, c.thumbH)
		}
		for _, m := range []image.Image{large, thumb} {
			b := m.Bounds()
			if l, r := m.At(b.Dx()/8, b.Dy()/2), m.At(b.Dx()*7/8, b.Dy()/2); !pictureNear(l, c.left) || !pictureNear(r, c.right) {
				t.Errorf("%d×%d (clear %t): left %v, right %v", c.w, c.h, c.clear, l, r)
			}
		}
		if p.Hash != sha256.Sum256(p.Large) || len(p.Tag()) != 16 {
			t.Errorf("%d×%d: hash %x, tag %q", c.w, c.h, p.Hash, p.Tag())
		}
	}
}

// TestMakePictureTurnsItUprightAndDropsEXIF: a phone's JPEG that says it
// was held turned is made upright, and nothing of its EXIF is kept.
func TestMakePictureTurnsItUprightAndDropsEXIF(t *testing.T) {
	// Stored 80×40, red left, blue right.
	for _, c := range []struct {
		o        int
		w, h     int
		at1, at2 image.Point // in the upright picture: red, then blue
	}{
		{1, 80, 40, image.Pt(10, 20), image.Pt(70, 20)},
		{3, 80, 40, image.Pt(70, 20), image.Pt(10, 20)}, // upside down: red right
		{6, 40, 80, image.Pt(20, 10), image.Pt(20, 70)}, // turned clockwise: red on top
		{8, 40, 80, image.Pt(20, 70), image.Pt(20, 10)}, // anticlockwise: red below
		{2, 80, 40, image.Pt(70, 20), image.Pt(10, 20)}, // mirrored
	} {
		in := pictureJPEG(t, 80, 40, c.o)
		if !bytes.Contains(in, []byte("SpyCam")) {
			t.Fatal("the upload holds no EXIF")
		}
		p, err := hub.MakePicture(in)
		if err != nil {
			t.Fatalf("orientation %d: %v", c.o, err)
		}
		m := pictureDecoded(t, p.Large)
		if b := m.Bounds(); b.Dx() != c.w || b.Dy() != c.h {
			t.Errorf("orientation %d: %v, want %d×%d", c.o, b, c.w, c.h)
		}
		if !pictureNear(m.At(c.at1.X, c.at1.Y), picRed) || !pictureNear(m.At(c.at2.X, c.at2.Y), picBlue) {
			t.Errorf("orientation %d: %v at %v, %v at %v; want red, then blue", c.o, m.At(c.at1.X, c.at1.Y), c.at1, m.At(c.at2.X, c.at2.Y), c.at2)
		}
		for _, b := range [][]byte{p.Large, p.Thumb} {
			if bytes.Contains(b, []byte("Exif")) || bytes.Contains(b, []byte("SpyCam")) {
				t.Errorf("orientation %d: the picture made keeps the upload's EXIF", c.o)
			}
		}
	}
}

// TestMakePictureRefusesWhatIsNotAPicture: text, a GIF, a cut JPEG, a
// file too large and a PNG of too many pixels are refused at the field,
// each with its reason.
func TestMakePictureRefusesWhatIsNotAPicture(t *testing.T) {
	var g bytes.Buffer
	if err := gif.Encode(&g, image.NewPaletted(image.Rect(0, 0, 4, 4), []color.Color{color.White, color.Black}), nil); err != nil {
		t.Fatal(err)
	}
	good := pictureJPEG(t, 80, 40, 0)
	for _, c := range []struct {
		what string
		data []byte
		want error
	}{
		{"nothing", nil, hub.ErrNotPicture},
		{"text", []byte("名称,积分\n大米,80\n"), hub.ErrNotPicture},
		{"HTML", []byte(`<svg onload="alert(1)"></svg>`), hub.ErrNotPicture},
		{"a GIF", g.Bytes(), hub.ErrNotPicture},
		{"a cut JPEG", good[:len(good)/2], hub.ErrNotPicture},
		{"a file over 2 MB", append(bytes.Clone(good), make([]byte, hub.MaxPictureBytes)...), hub.ErrPictureTooLarge},
		{"a PNG of 10000×10000 pixels", pngHeader(10000, 10000), hub.ErrPictureTooLarge},
	} {
		_, err := hub.MakePicture(c.data)
		var fe *hub.FieldError
		if !errors.Is(err, c.want) || !errors.As(err, &fe) || fe.Field != hub.FieldPicture {
			t.Errorf("%s: %v, want %v at the picture", c.what, err, c.want)
		}
	}
}

// pngHeader is a PNG's signature and IHDR chunk saying w×h, and nothing
// more: enough for image.DecodeConfig.
func pngHeader(w, h int) []byte {
	ihdr := binary.BigEndian.AppendUint32([]byte("IHDR"), uint32(w))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(h))
	ihdr = append(ihdr, 8, 6, 0, 0, 0)
	out := []byte("\x89PNG\r\n\x1a\n")
	out = binary.BigEndian.AppendUint32(out, uint32(len(ihdr)-4))
	out = append(out, ihdr...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(ihdr))
}
