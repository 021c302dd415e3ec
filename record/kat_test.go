package record_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/record"
)

// The known answers: fixed entries with their exact canonical encoding and
// SHA-256, written once by the encoder as it was when the first kiosks went
// out. Every kiosk's chain and the hub depend on these bytes: if this test
// fails, the change is wrong, not the file. A new encoding is a new version
// byte beside this one, and this file stays.
const katFile = "testdata/entries.json"

// katEntry spells an entry in the file without the record's own text forms,
// so the file pins the binary encoding and nothing else: ids and hashes are
// hex (empty for zero), the kind is its number, the time RFC 3339.
type katEntry struct {
	Terminal  string `json:"terminal,omitempty"`
	Seq       uint64 `json:"seq,omitempty"`
	ID        string `json:"id,omitempty"`
	Kind      uint8  `json:"kind"`
	Center    string `json:"center,omitempty"`
	Person    int64  `json:"person,omitempty"`
	Card      string `json:"card,omitempty"`
	Minutes   int64  `json:"minutes,omitempty"`
	Points    int64  `json:"points,omitempty"`
	Stock     int64  `json:"stock,omitempty"`
	Activity  int64  `json:"activity,omitempty"`
	Shift     string `json:"shift,omitempty"`
	Item      int64  `json:"item,omitempty"`
	Reverses  string `json:"reverses,omitempty"`
	OtherCard string `json:"other_card,omitempty"`
	Operator  string `json:"operator,omitempty"`
	Reason    string `json:"reason,omitempty"`
	At        string `json:"at"`
	Boot      string `json:"boot,omitempty"`
	Trusted   bool   `json:"trusted,omitempty"`
	Prev      string `json:"prev,omitempty"`
}

type katCase struct {
	Name     string   `json:"name"`
	Entry    katEntry `json:"entry"`
	Encoding string   `json:"encoding"`
	SHA256   string   `json:"sha256"`
}

func unhex(t testing.TB, dst []byte, s string) {
	t.Helper()
	if s == "" {
		return
	}
	if len(s) != 2*len(dst) {
		t.Fatalf("hex %q: %d digits, want %d", s, len(s), 2*len(dst))
	}
	if _, err := hex.Decode(dst, []byte(s)); err != nil {
		t.Fatalf("hex %q: %v", s, err)
	}
}

func (k katEntry) entry(t testing.TB) record.Entry {
	t.Helper()
	at, err := time.Parse(time.RFC3339Nano, k.At)
	if err != nil {
		t.Fatal(err)
	}
	e := record.Entry{Terminal: k.Terminal, Seq: k.Seq, Kind: record.Kind(k.Kind), Center: k.Center, Person: record.PersonID(k.Person),
		Card: record.CardUID(k.Card), Minutes: k.Minutes, Points: k.Points, Stock: k.Stock, Activity: record.ActivityID(k.Activity),
		Item: record.ItemID(k.Item), OtherCard: record.CardUID(k.OtherCard), Operator: record.CardUID(k.Operator), Reason: k.Reason,
		At: at, Boot: k.Boot, Trusted: k.Trusted}
	unhex(t, e.ID[:], k.ID)
	unhex(t, e.Shift[:], k.Shift)
	unhex(t, e.Reverses[:], k.Reverses)
	unhex(t, e.Prev[:], k.Prev)
	return e
}

// katEntries reads the file: the entries, their encodings and hashes.
func katEntries(t testing.TB) ([]string, []record.Entry, [][]byte, []record.Hash) {
	t.Helper()
	b, err := os.ReadFile(katFile)
	if err != nil {
		t.Fatal(err)
	}
	var cases []katCase
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatalf("%s: %v", katFile, err)
	}
	var (
		names  []string
		es     []record.Entry
		encs   [][]byte
		hashes []record.Hash
	)
	for _, c := range cases {
		enc, err := hex.DecodeString(c.Encoding)
		if err != nil {
			t.Fatalf("%s: encoding: %v", c.Name, err)
		}
		var h record.Hash
		unhex(t, h[:], c.SHA256)
		names = append(names, c.Name)
		es = append(es, c.Entry.entry(t))
		encs = append(encs, enc)
		hashes = append(hashes, h)
	}
	return names, es, encs, hashes
}

// TestKnownAnswers: each fixed entry encodes to its fixed bytes and hash,
// and the bytes decode to the entry.
func TestKnownAnswers(t *testing.T) {
	names, es, encs, hashes := katEntries(t)
	for i, name := range names {
		t.Run(name, func(t *testing.T) {
			e, want, wantHash := es[i], encs[i], hashes[i]
			got, err := e.Encode()
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("Encode differs from the known answer:\n got %x\nwant %x", got, want)
			}
			if sha256.Sum256(want) != wantHash {
				t.Fatalf("the file's hash is not the SHA-256 of its encoding")
			}
			if h, err := e.ComputeHash(); err != nil || h != wantHash {
				t.Fatalf("ComputeHash = %v, %v; want %v", h, err, wantHash)
			}
			d, err := record.DecodeEntry(want)
			if err != nil {
				t.Fatalf("DecodeEntry: %v", err)
			}
			if d.Hash != wantHash {
				t.Fatalf("decoded Hash %v, want %v", d.Hash, wantHash)
			}
			if !d.At.Equal(e.At) || d.At.Location() != time.UTC {
				t.Fatalf("decoded At %v, want %v in UTC", d.At, e.At)
			}
			d.Hash, d.At = record.Hash{}, e.At
			if d != e {
				t.Fatalf("DecodeEntry:\n got %+v\nwant %+v", d, e)
			}
		})
	}
}

// TestKnownAnswersCover: the file exercises every kind, every field with a
// value other than zero, strings beyond ASCII, an untrusted clock, times
// before 1970, negative deltas, and cards of 4, 7 and 10 bytes, so a change
// to any of them shows.
func TestKnownAnswersCover(t *testing.T) {
	_, es, _, _ := katEntries(t)
	kinds := map[record.Kind]bool{}
	cardSizes := map[int]bool{}
	var multiByte, untrusted, before1970, negative bool
	setFields := map[string]bool{}
	for _, e := range es {
		kinds[e.Kind] = true
		for _, c := range []record.CardUID{e.Card, e.OtherCard, e.Operator} {
			if c != "" {
				cardSizes[len(c.Bytes())] = true
			}
		}
		for _, s := range []string{e.Terminal, e.Center, e.Reason} {
			if len([]rune(s)) < len(s) {
				multiByte = true
			}
		}
		untrusted = untrusted || !e.Trusted
		before1970 = before1970 || e.At.Before(time.Unix(0, 0))
		negative = negative || e.Minutes < 0 || e.Points < 0 || e.Stock < 0
		v := reflect.ValueOf(e)
		for i := range v.NumField() {
			if !v.Field(i).IsZero() {
				setFields[v.Type().Field(i).Name] = true
			}
		}
	}
	for _, k := range record.Kinds() {
		if !kinds[k] {
			t.Errorf("no entry of kind %v", k)
		}
	}
	for _, n := range []int{4, 7, 10} {
		if !cardSizes[n] {
			t.Errorf("no card of %d bytes", n)
		}
	}
	typ := reflect.TypeFor[record.Entry]()
	for i := range typ.NumField() {
		if name := typ.Field(i).Name; name != "Hash" && !setFields[name] {
			t.Errorf("field %s is zero in every entry", name)
		}
	}
	for what, ok := range map[string]bool{"a multi-byte UTF-8 string": multiByte, "an untrusted clock": untrusted,
		"a time before 1970": before1970, "a negative delta": negative} {
		if !ok {
			t.Errorf("no entry with %s", what)
		}
	}
}

// TestKnownAnswersChain: the first eight known entries are one terminal's
// chain from seq 1, so the chain check passes them as they are.
func TestKnownAnswersChain(t *testing.T) {
	_, es, _, hashes := katEntries(t)
	chain := es[:8]
	for i := range chain {
		chain[i].Hash = hashes[i]
	}
	if err := record.CheckChain(chain[0].Terminal, record.Head{}, chain); err != nil {
		t.Fatalf("CheckChain of the known chain: %v", err)
	}
}

// TestDeriveIDKnownAnswer: derived ids are in entries already written (the
// known expire entry's id is the fourth of its request), so DeriveID is as
// frozen as the encoding.
func TestDeriveIDKnownAnswer(t *testing.T) {
	req, err := record.ParseEntryID("5b1f0e7ad3c24e8f9a60b2d4c8e1f307")
	if err != nil {
		t.Fatal(err)
	}
	names, es, _, _ := katEntries(t)
	if names[6] != "expire with a derived id, before 1970" {
		t.Fatalf("entry 6 is %q", names[6])
	}
	if got := record.DeriveID(req, 3); got != es[6].ID {
		t.Fatalf("DeriveID(req, 3) = %v, want %v", got, es[6].ID)
	}
	if record.DeriveID(req, 0) == record.DeriveID(req, 1) || record.DeriveID(req, 0) == req {
		t.Fatal("derived ids collide")
	}
}
