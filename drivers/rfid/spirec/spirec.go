// Package spirec records the SPI traffic between a driver and its chip into
// a text file, and loads such a file back as spitest.Playback, so that a
// technician's capture on a real reader (kioskctl reader test --record)
// becomes a playback test.
//
// The format is line-oriented text, one transaction per line:
//
//	# hongmajia SPI recording v1
//	connect 4000000 0 8
//	tx 8000 0091
//
// "connect" opens a session (frequency in Hz, SPI mode, bits per word); "tx"
// is one transaction: the bytes written, then the bytes read, in hex ("-"
// for none). Lines starting with '#' are comments.
package spirec

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/conntest"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"
	"periph.io/x/conn/v3/spi/spitest"
)

// Header is the first line of every recording.
const Header = "# hongmajia SPI recording v1"

// maxLine bounds a line: a 64-byte FIFO burst and its address bytes, in hex,
// with room to spare.
const maxLine = 4096

// Writer is the destination of one recording. Several ports (a reader opened
// again and again) may record into one Writer; it is safe for concurrent use.
type Writer struct {
	mu  sync.Mutex
	w   io.Writer
	err error
}

// NewWriter writes the header to w and returns the recording's Writer.
func NewWriter(w io.Writer) (*Writer, error) {
	if _, err := fmt.Fprintln(w, Header); err != nil {
		return nil, fmt.Errorf("spirec: write header: %w", err)
	}
	return &Writer{w: w}, nil
}

// Err returns the first error writing the recording; the SPI traffic itself
// goes on regardless.
func (w *Writer) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

func (w *Writer) printf(format string, a ...any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, err := fmt.Fprintf(w.w, format, a...); err != nil && w.err == nil {
		w.err = fmt.Errorf("spirec: write: %w", err)
	}
}

// Port is an SPI port whose connections and transactions are recorded.
type Port struct {
	spi.Port
	rec *Writer
}

// Record returns p with its traffic written to w.
func Record(p spi.Port, w *Writer) *Port { return &Port{Port: p, rec: w} }

// Connect connects the wrapped port and records the session's parameters.
func (p *Port) Connect(f physic.Frequency, mode spi.Mode, bits int) (spi.Conn, error) {
	c, err := p.Port.Connect(f, mode, bits)
	if err != nil {
		return nil, err
	}
	p.rec.printf("connect %d %d %d\n", int64(f/physic.Hertz), int(mode), bits)
	return &recConn{Conn: c, p: p}, nil
}

type recConn struct {
	spi.Conn
	p *Port
}

func (c *recConn) Tx(w, r []byte) error {
	if err := c.Conn.Tx(w, r); err != nil {
		c.p.rec.printf("# tx %s failed: %v\n", hexOrDash(w), oneLine(err.Error()))
		return err
	}
	c.p.rec.printf("tx %s %s\n", hexOrDash(w), hexOrDash(r))
	return nil
}

// TxPackets records each packet as its own transaction; playback then
// expects them as separate Tx calls.
func (c *recConn) TxPackets(ps []spi.Packet) error {
	if err := c.Conn.TxPackets(ps); err != nil {
		c.p.rec.printf("# txpackets failed: %v\n", oneLine(err.Error()))
		return err
	}
	for _, pk := range ps {
		c.p.rec.printf("tx %s %s\n", hexOrDash(pk.W), hexOrDash(pk.R))
	}
	return nil
}

func hexOrDash(b []byte) string {
	if len(b) == 0 {
		return "-"
	}
	return hex.EncodeToString(b)
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }

// Session is one connection of a recording.
type Session struct {
	Speed physic.Frequency
	Mode  spi.Mode
	Bits  int
	Ops   []conntest.IO
}

// Playback returns a port that expects exactly this session's traffic; its
// Close fails when an operation was not used.
func (s *Session) Playback() *spitest.Playback {
	return &spitest.Playback{Playback: conntest.Playback{Ops: s.Ops, D: conn.Full, DontPanic: true}}
}

// ErrFormat is wrapped by every error about a malformed recording.
var ErrFormat = errors.New("spirec: malformed recording")

// Load reads a recording made by Record.
func Load(r io.Reader) ([]Session, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 256), maxLine)
	var ss []Session
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if n == 1 {
			if line != Header {
				return nil, fmt.Errorf("%w: line 1: want %q", ErrFormat, Header)
			}
			continue
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		switch {
		case f[0] == "connect" && len(f) == 4:
			hz, err1 := strconv.ParseInt(f[1], 10, 64)
			mode, err2 := strconv.ParseUint(f[2], 10, 16)
			bits, err3 := strconv.Atoi(f[3])
			if err := errors.Join(err1, err2, err3); err != nil || hz <= 0 || bits <= 0 {
				return nil, fmt.Errorf("%w: line %d: bad connect %q", ErrFormat, n, line)
			}
			ss = append(ss, Session{Speed: physic.Frequency(hz) * physic.Hertz, Mode: spi.Mode(mode), Bits: bits})
		case f[0] == "tx" && len(f) == 3:
			if len(ss) == 0 {
				return nil, fmt.Errorf("%w: line %d: tx before connect", ErrFormat, n)
			}
			w, err1 := unhex(f[1])
			rd, err2 := unhex(f[2])
			if err := errors.Join(err1, err2); err != nil {
				return nil, fmt.Errorf("%w: line %d: %v", ErrFormat, n, err)
			}
			s := &ss[len(ss)-1]
			s.Ops = append(s.Ops, conntest.IO{W: w, R: rd})
		default:
			return nil, fmt.Errorf("%w: line %d: %q", ErrFormat, n, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: line %d: %v", ErrFormat, n+1, err)
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: empty", ErrFormat)
	}
	return ss, nil
}

func unhex(s string) ([]byte, error) {
	if s == "-" {
		return nil, nil
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("bad hex %q", s)
	}
	return b, nil
}
