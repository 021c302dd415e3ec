package hubsync_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/record"
)

// The known answers of what is signed: fixed keys, fixed requests, answers,
// snapshots and stocks, each with the exact bytes signed and the signature,
// written once by the code as it was when the first kiosks enrolled. A
// kiosk and a hub of different versions must agree on these forever: if
// this test fails, the change is wrong, not the file. A new form is a new
// prefix ("hmj-req-v2") beside this one, and this file stays.
const katFile = "testdata/signatures.json"

type katRequest struct {
	Name      string `json:"name"`
	Method    string `json:"method"`
	Path      string `json:"path"`
	Body      string `json:"body"` // hex: the bytes sent, whatever they hold
	Terminal  string `json:"terminal"`
	Time      string `json:"time"` // the header, as sent
	Trusted   string `json:"trusted"`
	Nonce     string `json:"nonce"`
	Counter   string `json:"counter"`
	Signed    string `json:"signed"`    // the bytes signed, as text
	Signature string `json:"signature"` // the header, as sent
}

type katAnswer struct {
	Name      string `json:"name"`
	Status    int    `json:"status"`
	Body      string `json:"body"`
	Terminal  string `json:"terminal"`
	Nonce     string `json:"nonce"`
	Signed    string `json:"signed"`
	Signature string `json:"signature"`
}

type katSnapshot struct {
	Terminal  string `json:"terminal"`
	Person    int64  `json:"person"`
	Points    int64  `json:"points"`
	Minutes   int64  `json:"minutes"`
	AsOf      uint64 `json:"as_of"`
	Version   uint64 `json:"version"`
	Signed    string `json:"signed"`
	Signature string `json:"signature"` // hex
}

type katStock struct {
	Terminal  string `json:"terminal"`
	Center    string `json:"center"`
	Item      int64  `json:"item"`
	Qty       int64  `json:"qty"`
	AsOf      uint64 `json:"as_of"`
	Version   uint64 `json:"version"`
	Signed    string `json:"signed"`
	Signature string `json:"signature"` // hex
}

type katFileT struct {
	KioskSeed        string        `json:"kiosk_seed"`
	KioskPublic      string        `json:"kiosk_public"`
	KioskFingerprint string        `json:"kiosk_fingerprint"`
	HubSeed          string        `json:"hub_seed"`
	HubPublic        string        `json:"hub_public"`
	HubFingerprint   string        `json:"hub_fingerprint"`
	Requests         []katRequest  `json:"requests"`
	Answers          []katAnswer   `json:"answers"`
	Snapshots        []katSnapshot `json:"snapshots"`
	Stocks           []katStock    `json:"stocks"`
}

func unhexT(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("hex %q: %v", s, err)
	}
	return b
}

func readKAT(t *testing.T) (katFileT, ed25519.PrivateKey, ed25519.PrivateKey) {
	t.Helper()
	b, err := os.ReadFile(katFile)
	if err != nil {
		t.Fatal(err)
	}
	var k katFileT
	if err := json.Unmarshal(b, &k); err != nil {
		t.Fatalf("%s: %v", katFile, err)
	}
	kiosk := ed25519.NewKeyFromSeed(unhexT(t, k.KioskSeed))
	hub := ed25519.NewKeyFromSeed(unhexT(t, k.HubSeed))
	return k, kiosk, hub
}

// TestKnownAnswers: each fixed request, answer, snapshot and stock signs
// the fixed bytes to the fixed signature, the signature verifies, and the
// client writes the same headers the file holds.
func TestKnownAnswers(t *testing.T) {
	k, kioskKey, hubKey := readKAT(t)
	kioskPub, hubPub := kioskKey.Public().(ed25519.PublicKey), hubKey.Public().(ed25519.PublicKey)
	if hex.EncodeToString(kioskPub) != k.KioskPublic || hex.EncodeToString(hubPub) != k.HubPublic {
		t.Fatal("public keys differ from the file's")
	}
	if hubsync.Fingerprint(kioskPub) != k.KioskFingerprint || hubsync.Fingerprint(hubPub) != k.HubFingerprint {
		t.Fatalf("Fingerprint = %s, %s; want %s, %s", hubsync.Fingerprint(kioskPub), hubsync.Fingerprint(hubPub), k.KioskFingerprint, k.HubFingerprint)
	}
	if len(k.Requests) < 3 || len(k.Answers) < 3 || len(k.Snapshots) < 2 || len(k.Stocks) < 1 {
		t.Fatalf("%s holds too few cases", katFile)
	}
	for _, c := range k.Requests {
		t.Run("request "+c.Name, func(t *testing.T) {
			body := unhexT(t, c.Body)
			r, err := http.NewRequest(c.Method, "https://hub.example"+c.Path, nil)
			if err != nil {
				t.Fatal(err)
			}
			for h, v := range map[string]string{hubsync.HeaderTerminal: c.Terminal, hubsync.HeaderTime: c.Time, hubsync.HeaderTrusted: c.Trusted,
				hubsync.HeaderNonce: c.Nonce, hubsync.HeaderCounter: c.Counter, hubsync.HeaderSignature: c.Signature} {
				r.Header.Set(h, v)
			}
			m, err := hubsync.ReadMeta(r)
			if err != nil {
				t.Fatalf("ReadMeta: %v", err)
			}
			if got := string(hubsync.RequestBytes(m, c.Method, c.Path, body)); got != c.Signed {
				t.Fatalf("signed bytes:\n got %q\nwant %q", got, c.Signed)
			}
			if got := base64.StdEncoding.EncodeToString(ed25519.Sign(kioskKey, []byte(c.Signed))); got != c.Signature {
				t.Fatalf("signature %s, want %s", got, c.Signature)
			}
			if err := hubsync.VerifyRequest(kioskPub, r, body, m, m.Time); err != nil {
				t.Fatalf("VerifyRequest: %v", err)
			}
			again, _ := http.NewRequest(c.Method, "https://hub.example"+c.Path, nil)
			hubsync.SignRequest(kioskKey, again, body, m)
			for _, h := range []string{hubsync.HeaderTerminal, hubsync.HeaderTime, hubsync.HeaderTrusted, hubsync.HeaderNonce, hubsync.HeaderCounter, hubsync.HeaderSignature} {
				if again.Header.Get(h) != r.Header.Get(h) {
					t.Errorf("SignRequest writes %s %q, the file %q", h, again.Header.Get(h), r.Header.Get(h))
				}
			}
		})
	}
	for _, c := range k.Answers {
		t.Run("answer "+c.Name, func(t *testing.T) {
			body := unhexT(t, c.Body)
			m := hubsync.Meta{Terminal: c.Terminal, Nonce: c.Nonce}
			if got := string(hubsync.AnswerBytes(c.Status, body, m)); got != c.Signed {
				t.Fatalf("signed bytes:\n got %q\nwant %q", got, c.Signed)
			}
			if got := hubsync.SignAnswer(hubKey, c.Status, body, m); got != c.Signature {
				t.Fatalf("SignAnswer = %s, want %s", got, c.Signature)
			}
			if err := hubsync.VerifyAnswer(hubPub, c.Status, body, m, c.Signature); err != nil {
				t.Fatalf("VerifyAnswer: %v", err)
			}
		})
	}
	for i, c := range k.Snapshots {
		t.Run("snapshot "+strconv.Itoa(i), func(t *testing.T) {
			s := hubsync.Snapshot{Person: record.PersonID(c.Person), Points: c.Points, Minutes: c.Minutes, AsOf: c.AsOf, Version: c.Version}
			if got := string(s.SigningBytes(c.Terminal)); got != c.Signed {
				t.Fatalf("signed bytes:\n got %q\nwant %q", got, c.Signed)
			}
			if got := hex.EncodeToString(ed25519.Sign(hubKey, []byte(c.Signed))); got != c.Signature {
				t.Fatalf("signature %s, want %s", got, c.Signature)
			}
		})
	}
	for i, c := range k.Stocks {
		t.Run("stock "+strconv.Itoa(i), func(t *testing.T) {
			s := hubsync.Stock{Center: c.Center, Item: record.ItemID(c.Item), Qty: c.Qty, AsOf: c.AsOf, Version: c.Version}
			if got := string(s.SigningBytes(c.Terminal)); got != c.Signed {
				t.Fatalf("signed bytes:\n got %q\nwant %q", got, c.Signed)
			}
			if got := hex.EncodeToString(ed25519.Sign(hubKey, []byte(c.Signed))); got != c.Signature {
				t.Fatalf("signature %s, want %s", got, c.Signature)
			}
		})
	}
}

// TestKnownAnswersCover: the file holds a trusted and an untrusted clock,
// a time before 1970 and one with nanoseconds, an empty body, the largest
// counter, an error answer, a negative balance and an id past 2^53.
func TestKnownAnswersCover(t *testing.T) {
	k, _, _ := readKAT(t)
	var trusted, untrusted, before1970, nanos, empty, maxCounter, refusal, negative, bigID bool
	for _, c := range k.Requests {
		at, err := time.Parse(time.RFC3339Nano, c.Time)
		if err != nil {
			t.Fatal(err)
		}
		trusted = trusted || c.Trusted == "1"
		untrusted = untrusted || c.Trusted == "0"
		before1970 = before1970 || at.Before(time.Unix(0, 0))
		nanos = nanos || at.Nanosecond()%1000 != 0
		empty = empty || c.Body == ""
		maxCounter = maxCounter || c.Counter == "18446744073709551615"
	}
	for _, c := range k.Answers {
		refusal = refusal || c.Status >= 400
	}
	for _, c := range k.Snapshots {
		negative = negative || c.Points < 0 || c.Minutes < 0
		bigID = bigID || c.Person > 1<<53
	}
	for what, ok := range map[string]bool{"a trusted clock": trusted, "an untrusted clock": untrusted, "a time before 1970": before1970,
		"nanoseconds": nanos, "an empty body": empty, "the largest counter": maxCounter, "an error answer": refusal,
		"a negative balance": negative, "a person id past 2^53": bigID} {
		if !ok {
			t.Errorf("no case with %s", what)
		}
	}
}
