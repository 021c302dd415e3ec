package hub

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	_ "image/png" // PNG is read as well as JPEG
	"time"

	"github.com/hongmajia/hongmajia/record"
	"golang.org/x/image/draw"
)

// An item's picture: a JPEG or PNG a district user uploads, read with the
// standard image packages (anything else is refused) and made again by the
// hub, so that what is served is what the hub made: a JPEG of at most
// PictureSide pixels on its longest side, turned upright as the camera
// said, on white where the upload was transparent, with nothing of the
// file's metadata (EXIF: the camera, the place, the time), and a thumbnail
// for lists.

// Limits of a picture.
const (
	// MaxPictureBytes: a larger upload is refused.
	MaxPictureBytes = 2 << 20
	// MaxPicturePixels: an upload of more pixels is refused before it is
	// decoded (a small PNG can hold a huge plain picture).
	MaxPicturePixels = 25_000_000
	// PictureSide is the longest side of the picture served, in pixels.
	PictureSide = 800
	// ThumbSide is the shorter side of the thumbnail (a list's 64 CSS
	// pixels on a screen of two pixels to one), its longer at most
	// 3×ThumbSide.
	ThumbSide = 128
)

// Errors of a picture (in a *FieldError of FieldPicture).
var (
	// ErrNotPicture: the upload is not a JPEG or PNG picture the hub can
	// read.
	ErrNotPicture = errors.New("hub: not a JPEG or PNG picture")
	// ErrPictureTooLarge: over MaxPictureBytes or MaxPicturePixels.
	ErrPictureTooLarge = errors.New("hub: picture too large")
)

// Picture is an item's picture as the hub made it.
type Picture struct {
	Item record.ItemID
	// Hash is the SHA-256 of Large: its address's version (Tag), so a
	// browser may keep it for ever.
	Hash [32]byte
	// Large is the picture (JPEG), Thumb its thumbnail (JPEG); nil when
	// read without their bytes (Reader.Pictures).
	Large, Thumb []byte
	// Width and Height are Large's, in pixels.
	Width, Height int
	Changed       time.Time
	ChangedBy     string // the web's user
}

// Tag is the picture's version in its address: its hash's first 16 hex
// digits.
func (p Picture) Tag() string { return hex.EncodeToString(p.Hash[:8]) }

// JPEG qualities of the pictures made.
const (
	largeQuality = 85
	thumbQuality = 80
)

// MakePicture reads an uploaded picture and makes the item's picture of
// it. A *FieldError of FieldPicture refuses it: ErrPictureTooLarge, or
// ErrNotPicture for anything that is not a JPEG or PNG the standard image
// packages read whole.
func MakePicture(data []byte) (Picture, error) {
	bad := func(err error, format string, args ...any) (Picture, error) {
		return Picture{}, &FieldError{Field: FieldPicture, Err: fmt.Errorf(format+": %w", append(args, err)...)}
	}
	if len(data) > MaxPictureBytes {
		return bad(ErrPictureTooLarge, "%d bytes, at most %d", len(data), MaxPictureBytes)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || (format != "jpeg" && format != "png") {
		return bad(ErrNotPicture, "%d bytes of %q (%v)", len(data), format, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > MaxPicturePixels {
		return bad(ErrPictureTooLarge, "%d×%d pixels, at most %d", cfg.Width, cfg.Height, MaxPicturePixels)
	}
	src, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return bad(ErrNotPicture, "a %s that does not decode (%v)", format, err)
	}
	orient := 1
	if format == "jpeg" {
		orient = exifOrientation(data)
	}
	large := upright(scaled(src, fitLongest(src.Bounds().Dx(), src.Bounds().Dy(), PictureSide)), orient)
	w, h := large.Bounds().Dx(), large.Bounds().Dy()
	thumb := scaled(large, fitShortest(w, h, ThumbSide, 3*ThumbSide))
	var p Picture
	if p.Large, err = encodeJPEG(large, largeQuality); err != nil {
		return Picture{}, err
	}
	if p.Thumb, err = encodeJPEG(thumb, thumbQuality); err != nil {
		return Picture{}, err
	}
	p.Hash, p.Width, p.Height = sha256.Sum256(p.Large), w, h
	return p, nil
}

// fitLongest is w×h made to fit side on its longer side (never larger).
func fitLongest(w, h, side int) image.Point {
	if w <= side && h <= side {
		return image.Pt(w, h)
	}
	if w >= h {
		return image.Pt(side, max(1, h*side/w))
	}
	return image.Pt(max(1, w*side/h), side)
}

// fitShortest is w×h made side on its shorter side (never larger), its
// longer side at most longest.
func fitShortest(w, h, side, longest int) image.Point {
	short := min(w, h)
	if short > side {
		w, h = max(1, w*side/short), max(1, h*side/short)
	}
	if w > longest || h > longest {
		return fitLongest(w, h, longest)
	}
	return image.Pt(w, h)
}

// scaled is src drawn at size on white (a transparent picture's
// background on the page), with a Catmull-Rom filter.
func scaled(src image.Image, size image.Point) *image.RGBA {
	dst := image.NewRGBA(image.Rectangle{Max: size})
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Over, nil)
	return dst
}

func encodeJPEG(m image.Image, quality int) ([]byte, error) {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: quality}); err != nil {
		return nil, fmt.Errorf("hub: encode picture: %w", err)
	}
	return b.Bytes(), nil
}

// upright is m turned as EXIF orientation o says (1, or unknown: as it
// is): the stored picture's pixels, shown the way the camera was held.
func upright(m *image.RGBA, o int) *image.RGBA {
	if o < 2 || o > 8 {
		return m
	}
	w, h := m.Bounds().Dx(), m.Bounds().Dy()
	W, H := w, h
	if o >= 5 {
		W, H = h, w
	}
	out := image.NewRGBA(image.Rect(0, 0, W, H))
	for y := range H {
		for x := range W {
			var sx, sy int
			switch o {
			case 2: // mirrored
				sx, sy = w-1-x, y
			case 3: // upside down
				sx, sy = w-1-x, h-1-y
			case 4: // mirrored upside down
				sx, sy = x, h-1-y
			case 5: // mirrored, turned a quarter anticlockwise
				sx, sy = y, x
			case 6: // turned a quarter clockwise to show
				sx, sy = y, h-1-x
			case 7: // mirrored, turned a quarter clockwise
				sx, sy = w-1-y, h-1-x
			case 8: // turned a quarter anticlockwise to show
				sx, sy = w-1-y, x
			}
			i, j := out.PixOffset(x, y), m.PixOffset(sx, sy)
			copy(out.Pix[i:i+4], m.Pix[j:j+4])
		}
	}
	return out
}

// exifOrientation is the Orientation (0x0112) of a JPEG's EXIF segment,
// 1 when it has none or it cannot be read.
func exifOrientation(data []byte) int {
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return 1
	}
	for i := 2; i+4 <= len(data); {
		if data[i] != 0xFF {
			return 1
		}
		marker := data[i+1]
		if marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7) {
			i += 2
			continue
		}
		if marker == 0xDA || marker == 0xD9 { // the picture's data: no EXIF after it
			return 1
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return 1
		}
		seg := data[i+4 : i+2+n]
		if marker == 0xE1 && len(seg) >= 6 && string(seg[:6]) == "Exif\x00\x00" {
			return tiffOrientation(seg[6:])
		}
		i += 2 + n
	}
	return 1
}

// tiffOrientation reads the Orientation of a TIFF header's first IFD.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	off := int(bo.Uint32(t[4:]))
	if off < 8 || off+2 > len(t) {
		return 1
	}
	n := int(bo.Uint16(t[off:]))
	for k := range n {
		e := off + 2 + 12*k
		if e+12 > len(t) {
			return 1
		}
		if bo.Uint16(t[e:]) == 0x0112 && bo.Uint16(t[e+2:]) == 3 {
			if o := int(bo.Uint16(t[e+8:])); o >= 1 && o <= 8 {
				return o
			}
			return 1
		}
	}
	return 1
}
