package spirec

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/conntest"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"
	"periph.io/x/conn/v3/spi/spitest"
)

// chip answers like an MFRC522 asked for VersionReg, then a FIFO read.
var ops = []conntest.IO{
	{W: []byte{0xee, 0x00}, R: []byte{0x00, 0x92}}, // read VersionReg (0x37): v2.0
	{W: []byte{0x02, 0x80}, R: []byte{0x00, 0x00}}, // write CommandReg (0x01)
	{W: []byte{0x92, 0x92, 0x92, 0x00}, R: []byte{0x00, 0x04, 0xa1, 0xb2}},
}

func TestRecordLoadPlayback(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	// two sessions, as when the reader is opened again after a failure
	for range 2 {
		chip := &spitest.Playback{Playback: conntest.Playback{Ops: ops, DontPanic: true}}
		c, err := Record(chip, w).Connect(4*physic.MegaHertz, spi.Mode0, 8)
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range ops {
			r := make([]byte, len(op.R))
			if err := c.Tx(op.W, r); err != nil {
				t.Fatal(err)
			}
		}
		if err := chip.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Err(); err != nil {
		t.Fatal(err)
	}
	want := Header + "\nconnect 4000000 0 8\ntx ee00 0092\ntx 0280 0000\ntx 92929200 0004a1b2\n"
	if got := buf.String(); got != want+strings.TrimPrefix(want, Header+"\n") {
		t.Fatalf("recording:\n%s", got)
	}

	sessions, err := Load(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(sessions) != 2 {
		t.Fatalf("sessions = %d", len(sessions))
	}
	s := sessions[1]
	if s.Speed != 4*physic.MegaHertz || s.Mode != spi.Mode0 || s.Bits != 8 || len(s.Ops) != 3 {
		t.Fatalf("session = %+v", s)
	}
	// the loaded session replays the same traffic, and Close notices an op left over
	pb := s.Playback()
	c, err := pb.Connect(s.Speed, s.Mode, s.Bits)
	if err != nil {
		t.Fatal(err)
	}
	r := make([]byte, 2)
	if err := c.Tx([]byte{0xee, 0x00}, r); err != nil || r[1] != 0x92 {
		t.Fatalf("replay: %x, %v", r, err)
	}
	if err := pb.Close(); err == nil {
		t.Fatal("Close did not notice two unused operations")
	}
	if err := c.Tx([]byte{0x00, 0x00}, r); err == nil {
		t.Fatal("replay accepted a write that was not recorded")
	}
}

func TestRecordFailedTxIsAComment(t *testing.T) {
	var buf bytes.Buffer
	w, _ := NewWriter(&buf)
	chip := &spitest.Playback{Playback: conntest.Playback{DontPanic: true}}
	c, _ := Record(chip, w).Connect(physic.MegaHertz, spi.Mode0, 8)
	if err := c.Tx([]byte{1}, nil); err == nil {
		t.Fatal("Tx on an empty playback succeeded")
	}
	if !strings.Contains(buf.String(), "# tx 01 failed") {
		t.Fatalf("recording:\n%s", buf.String())
	}
	ss, err := Load(&buf)
	if err != nil || len(ss) != 1 || len(ss[0].Ops) != 0 {
		t.Fatalf("Load = %+v, %v", ss, err)
	}
}

type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.n == 0 {
		return 0, errors.New("disk full")
	}
	f.n--
	return len(p), nil
}

func TestRecordWriteErrorKeepsTrafficGoing(t *testing.T) {
	w, err := NewWriter(&failWriter{n: 1})
	if err != nil {
		t.Fatal(err)
	}
	chip := &spitest.Playback{Playback: conntest.Playback{Ops: ops[:1], DontPanic: true}}
	c, err := Record(chip, w).Connect(physic.MegaHertz, spi.Mode0, 8)
	if err != nil {
		t.Fatal(err)
	}
	r := make([]byte, 2)
	if err := c.Tx(ops[0].W, r); err != nil {
		t.Fatal(err)
	}
	if err := w.Err(); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Err = %v", err)
	}
	if _, err := NewWriter(&failWriter{}); err == nil {
		t.Fatal("header write error not reported")
	}
}

func TestLoadRejectsMalformed(t *testing.T) {
	for _, tc := range []struct{ name, in string }{
		{"empty", ""},
		{"no header", "connect 1 0 8\n"},
		{"tx before connect", Header + "\ntx 00 00\n"},
		{"bad hex", Header + "\nconnect 1 0 8\ntx zz 00\n"},
		{"bad connect", Header + "\nconnect fast 0 8\n"},
		{"unknown", Header + "\nfrobnicate\n"},
		{"too long", Header + "\nconnect 1 0 8\ntx " + strings.Repeat("00", 5000) + " -\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Load(strings.NewReader(tc.in)); !errors.Is(err, ErrFormat) {
				t.Fatalf("Load = %v, want ErrFormat", err)
			}
		})
	}
	ss, err := Load(strings.NewReader(Header + "\n\n# note\nconnect 1000000 3 8\ntx 01 -\n"))
	if err != nil || len(ss) != 1 || ss[0].Mode != spi.Mode3 || ss[0].Ops[0].R != nil {
		t.Fatalf("Load = %+v, %v", ss, err)
	}
}

func TestRecordTxPackets(t *testing.T) {
	var buf bytes.Buffer
	w, _ := NewWriter(&buf)
	chip := &spitest.Playback{Playback: conntest.Playback{Ops: ops[:2], DontPanic: true}}
	c, err := Record(chip, w).Connect(physic.MegaHertz, spi.Mode0, 8)
	if err != nil {
		t.Fatal(err)
	}
	// spitest.Playback does not do packets: the failure is kept as a comment
	err = c.TxPackets([]spi.Packet{{W: ops[0].W, R: make([]byte, 2)}, {W: ops[1].W, R: make([]byte, 2)}})
	if err == nil {
		t.Fatal("TxPackets on a playback succeeded")
	}
	if !strings.Contains(buf.String(), "# txpackets failed") {
		t.Fatalf("recording:\n%s", buf.String())
	}
	// a port that does packets: each is one recorded transaction
	buf.Reset()
	w, _ = NewWriter(&buf)
	rec := &conntest.Record{}
	c = &recConn{Conn: packetConn{rec}, p: Record(nil, w)}
	if err := c.TxPackets([]spi.Packet{{W: []byte{1, 2}}, {W: []byte{3}, R: make([]byte, 1)}}); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != Header+"\ntx 0102 -\ntx 03 00\n" {
		t.Fatalf("recording:\n%s", got)
	}
}

// packetConn does each packet as a Tx on a conntest.Record.
type packetConn struct{ r *conntest.Record }

func (p packetConn) String() string       { return "packets" }
func (p packetConn) Duplex() conn.Duplex  { return conn.Full }
func (p packetConn) Tx(w, r []byte) error { return p.r.Tx(w, r) }
func (p packetConn) TxPackets(ps []spi.Packet) error {
	for _, pk := range ps {
		if len(pk.R) > 0 {
			pk.R[0] = 0
		}
		if err := p.r.Tx(pk.W, nil); err != nil {
			return err
		}
	}
	return nil
}
