package record_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/record"
)

func sampleEntry() record.Entry {
	return record.Entry{
		Terminal: "0011223344556677", Seq: 42, ID: record.NewEntryID(), Kind: record.KindRedeem, Center: "C-1",
		Person: 123456789, Card: "04A1B2C3", Points: -50, Stock: -1, Item: 7, Minutes: 0, Activity: 3,
		Shift: record.NewEntryID(), Reverses: record.EntryID{}, OtherCard: "", Operator: "AABBCCDD", Reason: "补录 李喆",
		At: time.Date(2026, 3, 2, 9, 30, 0, 123, time.UTC), Boot: "8e1b-…", Trusted: true, Prev: record.Hash{1, 2, 3},
	}
}

func TestEntryEncodingRoundTrip(t *testing.T) {
	e := sampleEntry()
	b, err := e.Encode()
	if err != nil {
		t.Fatal(err)
	}
	d, err := record.DecodeEntry(b)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := e.ComputeHash()
	if d.Hash != h {
		t.Fatalf("decoded hash %v, computed %v", d.Hash, h)
	}
	d.Hash = record.Hash{}
	if !d.At.Equal(e.At) {
		t.Fatalf("time %v != %v", d.At, e.At)
	}
	d.At = e.At
	if d != e {
		t.Fatalf("round trip:\n got %+v\nwant %+v", d, e)
	}
	b2, _ := d.Encode()
	if !bytes.Equal(b, b2) {
		t.Fatal("re-encoding differs")
	}
}

func TestEntryHashCoversEveryField(t *testing.T) {
	base := sampleEntry()
	h0, _ := base.ComputeHash()
	mutations := map[string]func(e *record.Entry){
		"terminal": func(e *record.Entry) { e.Terminal += "x" },
		"seq":      func(e *record.Entry) { e.Seq++ },
		"id":       func(e *record.Entry) { e.ID[0] ^= 1 },
		"kind":     func(e *record.Entry) { e.Kind = record.KindAdjust },
		"center":   func(e *record.Entry) { e.Center = "C-2" },
		"person":   func(e *record.Entry) { e.Person++ },
		"card":     func(e *record.Entry) { e.Card = "04A1B2C4" },
		"minutes":  func(e *record.Entry) { e.Minutes = 1 },
		"points":   func(e *record.Entry) { e.Points = 50 },
		"stock":    func(e *record.Entry) { e.Stock = 0 },
		"activity": func(e *record.Entry) { e.Activity++ },
		"shift":    func(e *record.Entry) { e.Shift[3] ^= 1 },
		"item":     func(e *record.Entry) { e.Item++ },
		"reverses": func(e *record.Entry) { e.Reverses[0] = 1 },
		"other":    func(e *record.Entry) { e.OtherCard = "X" },
		"operator": func(e *record.Entry) { e.Operator = "" },
		"reason":   func(e *record.Entry) { e.Reason = "补录" },
		"at":       func(e *record.Entry) { e.At = e.At.Add(time.Nanosecond) },
		"boot":     func(e *record.Entry) { e.Boot = "other" },
		"trusted":  func(e *record.Entry) { e.Trusted = false },
		"prev":     func(e *record.Entry) { e.Prev[31] = 9 },
	}
	for name, mut := range mutations {
		t.Run(name, func(t *testing.T) {
			e := base
			mut(&e)
			h, err := e.ComputeHash()
			if err != nil {
				t.Fatal(err)
			}
			if h == h0 {
				t.Fatalf("changing %s leaves the hash unchanged", name)
			}
		})
	}
}

func TestDecodeEntryRejects(t *testing.T) {
	e := sampleEntry()
	good, _ := e.Encode()
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"version", append([]byte{2}, good[1:]...)},
		{"truncated", good[:len(good)-1]},
		{"trailing", append(append([]byte{}, good...), 0)},
		{"trusted byte", func() []byte { b := append([]byte{}, good...); b[len(b)-33] = 2; return b }()},
		{"string past end", func() []byte { b := append([]byte{}, good...); b[1], b[2] = 0xff, 0xff; return b }()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := record.DecodeEntry(tc.b); !errors.Is(err, record.ErrCorrupt) {
				t.Fatalf("DecodeEntry = %v, want ErrCorrupt", err)
			}
		})
	}
	bad := sampleEntry()
	bad.Kind = 99
	if _, err := bad.Encode(); !errors.Is(err, record.ErrInvalid) {
		t.Fatalf("Encode(kind 99) = %v, want ErrInvalid", err)
	}
	bad = sampleEntry()
	bad.Reason = "\xff"
	if _, err := bad.Encode(); !errors.Is(err, record.ErrInvalid) {
		t.Fatalf("Encode(invalid UTF-8) = %v, want ErrInvalid", err)
	}
}

// FuzzDecodeEntry: DecodeEntry never panics, fails only with ErrCorrupt, and
// what it accepts is canonical: encoding the result gives the same bytes.
func FuzzDecodeEntry(f *testing.F) {
	e := sampleEntry()
	b, _ := e.Encode()
	f.Add(b)
	e2 := record.Entry{Kind: record.KindCheckIn, At: time.Unix(0, 0)}
	b2, _ := e2.Encode()
	f.Add(b2)
	f.Add([]byte{})
	f.Add([]byte{1, 0, 0})
	_, _, encs, _ := katEntries(f)
	for _, b := range encs {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := record.DecodeEntry(b)
		if err != nil {
			if !errors.Is(err, record.ErrCorrupt) {
				t.Fatalf("DecodeEntry error %v is not ErrCorrupt", err)
			}
			return
		}
		again, err := d.Encode()
		if err != nil {
			t.Fatalf("Encode of decoded entry: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("not canonical:\n in %x\nout %x", b, again)
		}
		if h, _ := d.ComputeHash(); h != d.Hash {
			t.Fatal("decoded hash differs from computed")
		}
	})
}

func TestEntryIDText(t *testing.T) {
	id := record.NewEntryID()
	if id.IsZero() || id == record.NewEntryID() {
		t.Fatal("NewEntryID is zero or repeats")
	}
	b, err := id.MarshalText()
	if err != nil || len(b) != 32 {
		t.Fatalf("MarshalText = %q, %v", b, err)
	}
	var back record.EntryID
	if err := back.UnmarshalText(b); err != nil || back != id {
		t.Fatalf("UnmarshalText(%q) = %v, %v", b, back, err)
	}
	if got, err := record.ParseEntryID(strings.ToUpper(id.String())); err != nil || got != id {
		t.Fatalf("ParseEntryID(upper) = %v, %v", got, err)
	}
	for _, bad := range []string{"", "00", strings.Repeat("0", 31), strings.Repeat("0", 33), strings.Repeat("g", 32)} {
		if _, err := record.ParseEntryID(bad); !errors.Is(err, record.ErrInvalid) {
			t.Errorf("ParseEntryID(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestHashText(t *testing.T) {
	h := record.Hash{0: 0xab, 31: 0x01}
	b, _ := h.MarshalText()
	var back record.Hash
	if err := back.UnmarshalText(b); err != nil || back != h {
		t.Fatalf("UnmarshalText(%q) = %v, %v", b, back, err)
	}
	for _, bad := range []string{"", "ab", strings.Repeat("z", 64)} {
		kept := h
		if err := kept.UnmarshalText([]byte(bad)); !errors.Is(err, record.ErrInvalid) || kept != h {
			t.Errorf("UnmarshalText(%q) = %v, hash now %v; want ErrInvalid and no change", bad, err, kept)
		}
	}
	if !(record.Hash{}).IsZero() || h.IsZero() {
		t.Fatal("IsZero")
	}
}

func TestKindText(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range record.Kinds() {
		if !k.Valid() {
			t.Fatalf("%d not valid", k)
		}
		b, _ := k.MarshalText()
		if seen[string(b)] {
			t.Fatalf("name %q twice", b)
		}
		seen[string(b)] = true
		var back record.Kind
		if err := back.UnmarshalText(b); err != nil || back != k {
			t.Fatalf("UnmarshalText(%q) = %v, %v", b, back, err)
		}
	}
	if len(seen) != 8 || record.Kind(0).Valid() || record.Kind(9).Valid() {
		t.Fatalf("%d kinds; 0 or 9 valid", len(seen))
	}
	var k record.Kind
	if err := k.UnmarshalText([]byte("Kind(9)")); !errors.Is(err, record.ErrInvalid) {
		t.Fatalf("UnmarshalText(Kind(9)) = %v, want ErrInvalid", err)
	}
}
