package hubsync_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/record"
)

// The pickup rows' wire form, as the first kiosks that send them write it:
// a hub and a kiosk of later versions read these bytes the same, and an
// older one's messages (no pickups, no pickups_acked) read as none.
const (
	pickupsWire = `{"terminal":"3F9A0B12C4D5E6F7","version":"2.0.0","acked":{"Seq":0,"Hash":"0000000000000000000000000000000000000000000000000000000000000000"},` +
		`"changes_acked":0,"head":{"Seq":0,"Hash":"0000000000000000000000000000000000000000000000000000000000000000"},"pickups_acked":4,` +
		`"pickups":[{"seq":5,"redemption":"e4010000000000000000000000000000","code":"0427"},` +
		`{"seq":6,"redemption":"e4010000000000000000000000000000","handout":{"operator":"5AF00001","at":"2026-03-01T09:30:00+08:00","trusted":true}},` +
		`{"seq":7,"redemption":"e3020000000000000000000000000000","handout":{"operator":"5AF00002","at":"1970-01-01T00:05:00Z"}}]}`
	resultWire = `{"acked":{"Seq":0,"Hash":"0000000000000000000000000000000000000000000000000000000000000000"},"changes_acked":0,"hub_time":"2026-03-01T02:00:00Z","pickups_acked":7}`
	// What a hub and a kiosk older than pickups send.
	olderPush   = `{"terminal":"3F9A0B12C4D5E6F7","version":"1.9.0","acked":{"Seq":3,"Hash":"0000000000000000000000000000000000000000000000000000000000000000"},"changes_acked":2,"head":{"Seq":3,"Hash":"0000000000000000000000000000000000000000000000000000000000000000"}}`
	olderResult = `{"acked":{"Seq":3,"Hash":"0000000000000000000000000000000000000000000000000000000000000000"},"changes_acked":2,"hub_time":"2026-03-01T02:00:00Z"}`
)

func wirePickups() []hubsync.Pickup {
	return []hubsync.Pickup{
		{Seq: 5, Redemption: record.EntryID{0xE4, 1}, Code: "0427"},
		{Seq: 6, Redemption: record.EntryID{0xE4, 1}, Handout: &hubsync.Handout{Operator: "5AF00001",
			At: time.Date(2026, 3, 1, 9, 30, 0, 0, time.FixedZone("CST", 8*3600)), Trusted: true}},
		{Seq: 7, Redemption: record.EntryID{0xE3, 2}, Handout: &hubsync.Handout{Operator: "5AF00002", At: time.Unix(300, 0).UTC()}},
	}
}

func TestPickupsWireForm(t *testing.T) {
	var p hubsync.Push
	if err := json.Unmarshal([]byte(pickupsWire), &p); err != nil {
		t.Fatal(err)
	}
	want := wirePickups()
	if p.PickupsAcked != 4 || len(p.Pickups) != len(want) {
		t.Fatalf("decoded %d after %d, want %d after 4", len(p.Pickups), p.PickupsAcked, len(want))
	}
	for i, w := range want {
		g := p.Pickups[i]
		if g.Seq != w.Seq || g.Redemption != w.Redemption || g.Code != w.Code || (g.Handout == nil) != (w.Handout == nil) {
			t.Fatalf("pickup %d: %+v, want %+v", i, g, w)
		}
		if w.Handout != nil && (g.Handout.Operator != w.Handout.Operator || !g.Handout.At.Equal(w.Handout.At) || g.Handout.Trusted != w.Handout.Trusted) {
			t.Errorf("pickup %d's hand-out: %+v, want %+v", i, *g.Handout, *w.Handout)
		}
	}
	if err := p.Check(hubsync.Meta{Terminal: p.Terminal}); err != nil {
		t.Errorf("the known push is refused: %v", err)
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != pickupsWire {
		t.Errorf("encoded again:\n%s\nwant\n%s", b, pickupsWire)
	}
	var r hubsync.PushResult
	if err := json.Unmarshal([]byte(resultWire), &r); err != nil || r.PickupsAcked != 7 {
		t.Errorf("the answer's pickups_acked: %d, %v", r.PickupsAcked, err)
	}
	if b, _ := json.Marshal(r); string(b) != resultWire {
		t.Errorf("the answer encoded again:\n%s\nwant\n%s", b, resultWire)
	}

	// An older kiosk's push carries none; an older hub's answer takes
	// none (its kiosk keeps its rows); each encodes as it did.
	var op hubsync.Push
	if err := json.Unmarshal([]byte(olderPush), &op); err != nil || op.PickupsAcked != 0 || op.Pickups != nil {
		t.Errorf("an older kiosk's push: %+v, %v", op, err)
	}
	if b, _ := json.Marshal(op); string(b) != olderPush {
		t.Errorf("an older kiosk's push encoded again:\n%s", b)
	}
	var or hubsync.PushResult
	if err := json.Unmarshal([]byte(olderResult), &or); err != nil || or.PickupsAcked != 0 {
		t.Errorf("an older hub's answer: %+v, %v", or, err)
	}
	if b, _ := json.Marshal(or); string(b) != olderResult {
		t.Errorf("an older hub's answer encoded again:\n%s", b)
	}
}

func TestPushCheckRefusesBadPickups(t *testing.T) {
	m := hubsync.Meta{Terminal: termA}
	good := func() hubsync.Push {
		return hubsync.Push{Terminal: termA, PickupsAcked: 4, Pickups: wirePickups()}
	}
	if err := good().Check(m); err != nil {
		t.Fatalf("good pickups refused: %v", err)
	}
	for _, c := range []struct {
		name string
		edit func(*hubsync.Push)
	}{
		{"a row not after the acknowledged", func(p *hubsync.Push) { p.PickupsAcked = 5 }},
		{"rows out of order", func(p *hubsync.Push) { p.Pickups[1].Seq, p.Pickups[2].Seq = 7, 6 }},
		{"a row twice", func(p *hubsync.Push) { p.Pickups[2].Seq = 6 }},
		{"no redemption", func(p *hubsync.Push) { p.Pickups[0].Redemption = record.EntryID{} }},
		{"a code and a hand-out", func(p *hubsync.Push) { p.Pickups[1].Code = "0427" }},
		{"neither", func(p *hubsync.Push) { p.Pickups[0].Code = "" }},
		{"a code of other characters", func(p *hubsync.Push) { p.Pickups[0].Code = "04 27" }},
		{"a code of lower case", func(p *hubsync.Push) { p.Pickups[0].Code = "r12" }},
		{"a code too long", func(p *hubsync.Push) { p.Pickups[0].Code = strings.Repeat("9", hubsync.MaxCode+1) }},
		{"a hand-out by nobody", func(p *hubsync.Push) { p.Pickups[1].Handout.Operator = "" }},
	} {
		p := good()
		c.edit(&p)
		if err := p.Check(m); !errors.Is(err, hubsync.ErrMalformed) {
			t.Errorf("%s: %v, want malformed", c.name, err)
		}
	}
	p := good()
	p.Pickups = make([]hubsync.Pickup, hubsync.MaxPickups+1)
	for i := range p.Pickups {
		p.Pickups[i] = hubsync.Pickup{Seq: uint64(i + 5), Redemption: record.EntryID{1}, Code: "1"}
	}
	if err := p.Check(m); !errors.Is(err, hubsync.ErrTooLarge) {
		t.Errorf("%d pickups: %v, want too large", len(p.Pickups), err)
	}
	p.Pickups = p.Pickups[:hubsync.MaxPickups]
	if err := p.Check(m); err != nil {
		t.Errorf("%d pickups: %v", len(p.Pickups), err)
	}
}

// TestKnownPushWithPickups: the known answers' push with pickup rows (sent
// with a kiosk's untrusted clock) holds the known wire form above: the
// bytes signed and the rows read from them stay together.
func TestKnownPushWithPickups(t *testing.T) {
	k, _, _ := readKAT(t)
	found := false
	for _, c := range k.Requests {
		if c.Path != hubsync.PathPush || !strings.Contains(c.Name, "pickup") {
			continue
		}
		found = true
		var p hubsync.Push
		if err := hubsync.DecodeBody(unhexT(t, c.Body), &p); err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != pickupsWire {
			t.Errorf("%s holds\n%s\nwant\n%s", c.Name, b, pickupsWire)
		}
	}
	if !found {
		t.Error("the known answers hold no push with pickups")
	}
}
