package hub_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/hubtest"
	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/record"
)

// on is e for one run of a fuzz target: its failures are t's.
func (e *env) on(t *testing.T) *env {
	c := *e
	c.t = t
	return &c
}

// rechain makes the push's entries, where they decode, a chain of terminal
// from p.Acked: its terminal and sequence, each linked to the one before
// and hashed, and the head the last of them. What the fuzzer changed in an
// entry's fields then reaches the hub's ingest instead of stopping at the
// chain check.
func rechain(p *hubsync.Push, terminal string) {
	prev := p.Acked
	for i, raw := range p.Entries {
		e, err := record.DecodeEntry(raw)
		if err != nil {
			continue
		}
		e.Terminal, e.Seq, e.Prev = terminal, prev.Seq+1, prev.Hash
		if e.Hash, err = e.ComputeHash(); err != nil {
			continue
		}
		if b, err := e.Encode(); err == nil {
			p.Entries[i] = b
			prev = record.Head{Seq: e.Seq, Hash: e.Hash}
		}
	}
	if prev.Seq > p.Head.Seq {
		p.Head = prev
	}
}

// FuzzPush: any push a kiosk sends (its entries as the fuzzer makes them,
// rechained or not; its registry changes) to the hub. The hub never
// panics, never fails in its own name (a 500) for what the kiosk sent, and
// stores nothing of a push it refuses; what it takes it holds as sent.
func FuzzPush(f *testing.F) {
	e := newEnv(f)
	seed := hubtest.NewKiosk("SEED", "A", e.clk.Now)
	card := record.CardUID("04A1B2C3")
	person := &hubsync.Person{ID: 77, MemberNo: "K-0001", Name: "王五", Kind: record.RedVest}
	seed.AddChange(person, nil)
	seed.AddChange(nil, &hubsync.Card{UID: card, Person: 77, State: hubsync.CardActive})
	seed.Earn(77, card, 1, 60, 10)
	seed.Redeem(77, card, 9, 1, 30)
	seed.Restock(9, 5)
	for _, p := range []hubsync.Push{seed.Push(), {Terminal: "SEED", Head: seed.Head()}} {
		b, err := json.Marshal(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, true)
		f.Add(b, false)
	}
	f.Add([]byte(`{"entries":["AAEC"],"changes":[{"seq":1,"person":{"id":-1,"member_no":"","kind":9}}]}`), false)
	var n atomic.Int64
	f.Fuzz(func(t *testing.T, msg []byte, chain bool) {
		e := e.on(t)
		var p hubsync.Push
		if json.Unmarshal(msg, &p) != nil {
			return
		}
		// A new kiosk each time: what one push stored does not meet the
		// next one's.
		term := fmt.Sprintf("F%d", n.Add(1))
		k := hubtest.NewKiosk(term, "A", e.clk.Now)
		e.enroll(k, "A")
		p.Terminal = term
		if chain {
			rechain(&p, term)
		}
		res, err := e.hub.Push(ctx, k.Meta(), p)
		if err != nil && hubsync.Status(err) == http.StatusInternalServerError {
			t.Fatalf("the hub failed in its own name on a kiosk's push: %v", err)
		}
		held := e.stored(term)
		if err != nil || res.Refused != "" {
			if len(held) != 0 {
				t.Fatalf("a refused push (%v, %q) stored %d entries", err, res.Refused, len(held))
			}
			return
		}
		if res.Acked.Seq != uint64(len(held)) {
			t.Fatalf("acknowledged seq %d, %d stored", res.Acked.Seq, len(held))
		}
		for i, s := range held {
			if string(s.Raw) != string(p.Entries[i]) {
				t.Fatalf("entry %d stored as %x, sent as %x", i+1, s.Raw, p.Entries[i])
			}
		}
	})
}

// FuzzEnroll: any enrollment with a good token. The hub never panics, never
// fails in its own name, and enrolls the kiosk only when it answers so.
func FuzzEnroll(f *testing.F) {
	e := newEnv(f)
	f.Add("T1", "A", "和平里", "1.0", uint64(0), []byte{})
	f.Add("T2", "B", "", "", uint64(7), make([]byte, 32))
	f.Add("", "Z", "\x00", "\xff", uint64(1<<63), []byte{1})
	f.Fuzz(func(t *testing.T, terminal, center, centerName, version string, seq uint64, hash []byte) {
		e := e.on(t)
		tok, _, err := e.hub.IssueToken(ctx, "A", hub.DefaultTokenTTL)
		if err != nil {
			t.Fatal(err)
		}
		k := hubtest.NewKiosk(terminal, "A", e.clk.Now)
		req := hubsync.Enroll{Token: tok, Terminal: terminal, Center: center, CenterName: centerName, PublicKey: k.PublicKey(), Version: version}
		req.Head.Seq = seq
		copy(req.Head.Hash[:], hash)
		m := k.Meta()
		m.Terminal = terminal
		en, err := e.hub.Enroll(ctx, m, req)
		if err != nil && hubsync.Status(err) == http.StatusInternalServerError {
			t.Fatalf("the hub failed in its own name on an enrollment: %v", err)
		}
		_, kerr := e.hub.KioskKey(ctx, terminal)
		switch {
		case err == nil && (kerr != nil || en.Terminal != terminal):
			t.Fatalf("enrolled %+v, yet its key: %v", en, kerr)
		case err != nil && kerr == nil && errors.Is(err, hubsync.ErrMalformed):
			t.Fatalf("a malformed enrollment (%v) enrolled the kiosk", err)
		}
	})
}
