package ledger_test

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

// The kiosk's decoders of what the hub sends, fuzzed: a pull's answer
// (ApplyPull), a push's answer (RecordPush), a restore (RestoreFromHub)
// and an enrollment's answer (Enroll).
// The fuzzer's messages are signed with the test hub's key when the flag
// says so, so that they reach past the signature check.

// fuzzPerson and fuzzCard are the local person and card of a fuzzed
// ledger; the seeds name them.
const (
	fuzzPerson record.PersonID = 4242
	fuzzCard   record.CardUID  = "A0004242"
)

// fuzzLedger is an enrolled ledger, synced once, with a person, their
// card, a credit and an item in stock.
func fuzzLedger(t testing.TB) (*ledgertest.Env, ledger.Item) {
	t.Helper()
	e := ledgertest.MustOpen(t)
	if err := e.Enroll(ctx, enrolled(e)); err != nil {
		t.Fatal(err)
	}
	// A first pull: an enrolled kiosk that never synced redeems nothing.
	if err := e.ApplyPull(ctx, hubsync.PullResult{Version: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.EnrolPerson(ctx, ledger.EnrolPerson{ID: record.NewEntryID(), Person: fuzzPerson, MemberNo: "F0001", Name: "王五", Kind: record.RedVest}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.BindCard(ctx, ledger.BindCard{ID: record.NewEntryID(), Person: fuzzPerson, UID: fuzzCard, Operator: e.Staff}); err != nil {
		t.Fatal(err)
	}
	e.Credit(t, fuzzPerson, 100)
	it := e.AddItem(t, "毛巾", 30, 5)
	return e, it
}

// template is a ledger closed on disk: each run of a fuzz target opens a
// copy of it, which costs far less than making one.
type template struct {
	dir   string
	staff record.CardUID
	now   time.Time
}

// newTemplate makes the template; seed, before it is closed, adds the
// fuzz target's seeds made from it.
func newTemplate(f *testing.F, seed func(e *ledgertest.Env, it ledger.Item, h record.Head)) template {
	e, it := fuzzLedger(f)
	return closeTemplate(f, e, it, seed)
}

// closeTemplate makes e, once seed has seen it, the template.
func closeTemplate(f *testing.F, e *ledgertest.Env, it ledger.Item, seed func(e *ledgertest.Env, it ledger.Item, h record.Head)) template {
	tp := template{dir: e.Dir, staff: e.Staff, now: e.Clock.Now()}
	h, err := e.Head(ctx)
	if err != nil {
		f.Fatal(err)
	}
	seed(e, it, h)
	if err := e.Ledger.Close(); err != nil {
		f.Fatal(err)
	}
	return tp
}

// open is a copy of the template ledger, open, closed when t ends.
func (tp template) open(t *testing.T) *ledgertest.Env {
	t.Helper()
	e := &ledgertest.Env{Dir: t.TempDir(), Clock: clock.NewFake(tp.now), Sync: clock.NewFakeSync(true), Staff: tp.staff}
	e.Opts = ledgertest.Options(e.Clock, e.Sync)
	for _, name := range []string{ledger.FileName, ledger.FileName + "-wal"} {
		b, err := os.ReadFile(filepath.Join(tp.dir, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(e.Dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	l, err := ledger.Open(ctx, e.Dir, e.Opts)
	if err != nil {
		t.Fatal(err)
	}
	e.Ledger = l
	t.Cleanup(func() { l.Close() })
	return e
}

// resign signs every snapshot and stock of p for terminal with the test
// hub's key.
func resign(p *hubsync.PullResult, terminal string) {
	for i := range p.Balances {
		p.Balances[i].Sig = ed25519.Sign(hubKey, p.Balances[i].SigningBytes(terminal))
	}
	for i := range p.Stock {
		p.Stock[i].Sig = ed25519.Sign(hubKey, p.Stock[i].SigningBytes(terminal))
	}
}

// kioskState is what a refused message must leave as it was.
type kioskState struct {
	Enrollment ledger.Enrollment
	Sync       ledger.SyncState
	Head       record.Head
	Balance    ledger.Balance
	Card       string
	Policy     record.Policy
	Catalog    string
}

func kioskStateOf(t *testing.T, e *ledgertest.Env) kioskState {
	t.Helper()
	var s kioskState
	var err error
	if s.Enrollment, err = e.Enrollment(ctx); err != nil {
		t.Fatal(err)
	}
	if s.Sync, err = e.SyncState(ctx); err != nil {
		t.Fatal(err)
	}
	s.Head = head(t, e)
	if s.Balance, err = e.Balance(ctx, fuzzPerson); err != nil {
		t.Fatal(err)
	}
	info, err := e.LookupCard(ctx, fuzzCard)
	s.Card = fmt.Sprint(info.Card, err)
	if s.Policy, err = e.Policy(ctx); err != nil {
		t.Fatal(err)
	}
	offers, err := e.Catalog(ctx)
	s.Catalog = fmt.Sprint(offers, err)
	return s
}

func mustVerify(t *testing.T, l *ledger.Ledger, what string) {
	t.Helper()
	rep, err := l.Verify(ctx)
	if err != nil {
		t.Fatalf("%s: verify: %v", what, err)
	}
	if !rep.OK() {
		t.Fatalf("%s: the ledger no longer verifies: %v", what, rep.Problems)
	}
}

// FuzzApplyPull: any pull answer, applied whole or not at all. A refused
// one changes nothing; an applied one moves the registry version to its
// own and leaves a ledger that still proves every balance it holds.
func FuzzApplyPull(f *testing.F) {
	tp := newTemplate(f, func(e *ledgertest.Env, it ledger.Item, h record.Head) {
		for _, p := range []hubsync.PullResult{
			districtPull(e),
			{Version: 2, Cards: []hubsync.Card{{UID: fuzzCard, Person: fuzzPerson, State: hubsync.CardLost}},
				Balances: []hubsync.Snapshot{{Person: fuzzPerson, Points: 40, Minutes: 60, AsOf: h.Seq, Version: 2}},
				Stock:    []hubsync.Stock{{Center: ledgertest.Center, Item: it.ID, Qty: 3, AsOf: h.Seq, Version: 2}}},
			{Version: 3, People: []hubsync.Person{{ID: 9002, MemberNo: "F0001", Name: "李四", Kind: record.GreenVest}},
				Aliases: []hubsync.Alias{{From: fuzzPerson, To: 9002}}},
			{Version: 1, Aliases: []hubsync.Alias{{From: 1, To: 2}, {From: 2, To: 1}}},
		} {
			b, err := json.Marshal(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b, true)
			f.Add(b, false)
		}
	})
	f.Fuzz(func(t *testing.T, msg []byte, sign bool) {
		var p hubsync.PullResult
		if json.Unmarshal(msg, &p) != nil {
			return
		}
		e := tp.open(t)
		if sign {
			resign(&p, e.Terminal().ID)
		}
		before := kioskStateOf(t, e)
		err := e.ApplyPull(ctx, p)
		if err != nil {
			if after := kioskStateOf(t, e); !reflect.DeepEqual(before, after) {
				t.Fatalf("a refused pull (%v) changed the ledger:\n%+v\n%+v", err, before, after)
			}
			return
		}
		if en := enrollment(t, e); en.RegistryVersion != p.Version {
			t.Fatalf("registry version %d after a pull of version %d", en.RegistryVersion, p.Version)
		}
		mustVerify(t, e.Ledger, "after a pull")
	})
}

// FuzzRecordPush: any push answer. The acknowledged entry is never past
// the head, never one the ledger does not hold, never moves back, and the
// ledger still verifies.
func FuzzRecordPush(f *testing.F) {
	tp := newTemplate(f, func(_ *ledgertest.Env, _ ledger.Item, h record.Head) {
		for _, r := range []hubsync.PushResult{
			{Acked: h, ChangesAcked: 2, HubTime: ledgertest.Start},
			{Acked: record.Head{Seq: h.Seq + 3}, ChangesAcked: 99},
			{Acked: record.Head{Seq: 1}, Refused: "gap", Fork: true},
			{},
		} {
			b, err := json.Marshal(r)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	})
	f.Fuzz(func(t *testing.T, msg []byte) {
		var r hubsync.PushResult
		if json.Unmarshal(msg, &r) != nil {
			return
		}
		e := tp.open(t)
		before := enrollment(t, e)
		_ = e.RecordPush(ctx, r)
		after := enrollment(t, e)
		hd := head(t, e)
		if after.Acked.Seq > hd.Seq || after.Acked.Seq < before.Acked.Seq || after.ChangesAcked < before.ChangesAcked {
			t.Fatalf("acknowledged %+v (changes %d) after %+v (changes %d); head %d", after.Acked, after.ChangesAcked, before.Acked, before.ChangesAcked, hd.Seq)
		}
		if after.Acked.Seq > 0 {
			es, err := e.EntriesAfter(ctx, after.Acked.Seq-1, 1)
			if err != nil || len(es) != 1 || es[0].Hash != after.Acked.Hash {
				t.Fatalf("acknowledged %+v, which is not the ledger's entry: %v %v", after.Acked, es, err)
			}
		}
		mustVerify(t, e.Ledger, "after a push answer")
	})
}

// rechainRestored makes the restored entries that decode a chain of
// terminal from its first entry, so what the fuzzer changed in them reaches
// the restore.
func rechainRestored(r *hubsync.Restored, terminal string) {
	var prev record.Head
	for i, raw := range r.Entries {
		e, err := record.DecodeEntry(raw)
		if err != nil {
			continue
		}
		e.Terminal, e.Seq, e.Prev = terminal, prev.Seq+1, prev.Hash
		if e.Hash, err = e.ComputeHash(); err != nil {
			continue
		}
		if b, err := e.Encode(); err == nil {
			r.Entries[i] = b
			prev = record.Head{Seq: e.Seq, Hash: e.Hash}
		}
	}
}

// FuzzRestoreFromHub: any restore the hub sends for a terminal. A refused
// one leaves no ledger behind; a restored ledger continues the chain it
// was given, holds it acknowledged, and verifies.
func FuzzRestoreFromHub(f *testing.F) {
	src, it := fuzzLedger(f)
	if _, err := src.Redeem(ctx, ledger.Redeem{ID: record.NewEntryID(), Card: fuzzCard, Item: it.ID}); err != nil {
		f.Fatal(err)
	}
	es, err := src.EntriesAfter(ctx, 0, 100)
	if err != nil {
		f.Fatal(err)
	}
	var raw [][]byte
	for _, e := range es {
		b, err := e.Encode()
		if err != nil {
			f.Fatal(err)
		}
		raw = append(raw, b)
	}
	h := es[len(es)-1]
	full := hubsync.PullResult{Version: 5,
		People:   []hubsync.Person{{ID: fuzzPerson, MemberNo: "F0001", Name: "王五", Kind: record.RedVest}},
		Cards:    []hubsync.Card{{UID: fuzzCard, Person: fuzzPerson, State: hubsync.CardActive}},
		Items:    []hubsync.Item{{ID: it.ID, Name: it.Name, Price: it.Price, Active: true}},
		Stock:    []hubsync.Stock{{Center: ledgertest.Center, Item: it.ID, Qty: 4, AsOf: h.Seq, Version: 5}},
		Balances: []hubsync.Snapshot{{Person: fuzzPerson, Points: 70, AsOf: h.Seq, Version: 5}},
	}
	for _, r := range []hubsync.Restored{
		{Entries: raw, ChangesAcked: 2, Pull: full, Counter: 9},
		{Entries: raw[1:], Pull: full},
		{Entries: raw, Pull: hubsync.PullResult{Version: 1}},
	} {
		b, err := json.Marshal(r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, true, true)
		f.Add(b, false, false)
	}
	en := enrolled(src)
	opts := ledgertest.Options(src.Clock, src.Sync)
	f.Fuzz(func(t *testing.T, msg []byte, chain, sign bool) {
		var r hubsync.Restored
		if json.Unmarshal(msg, &r) != nil {
			return
		}
		if chain {
			rechainRestored(&r, en.Terminal)
		}
		if sign {
			resign(&r.Pull, en.Terminal)
		}
		dir := t.TempDir()
		l, err := ledger.RestoreFromHub(ctx, dir, en, r, opts)
		if err != nil {
			if _, serr := os.Stat(filepath.Join(dir, ledger.FileName)); !errors.Is(serr, os.ErrNotExist) {
				t.Fatalf("a refused restore (%v) left a ledger behind: %v", err, serr)
			}
			return
		}
		defer l.Close()
		var want record.Head
		if n := len(r.Entries); n > 0 {
			last, _ := record.DecodeEntry(r.Entries[n-1])
			want = record.Head{Seq: last.Seq, Hash: last.Hash}
		}
		got, err := l.Head(ctx)
		if err != nil || got != want {
			t.Fatalf("restored head %+v (%v), the hub sent up to %+v", got, err, want)
		}
		if le, err := l.Enrollment(ctx); err != nil || le.Acked != want || !le.Enrolled {
			t.Fatalf("restored enrollment %+v, %v", le, err)
		}
		mustVerify(t, l, "after a restore")
	})
}

// FuzzEnroll: any enrollment answer (hubsync.Enrolled) for a new ledger.
// Refused, the ledger stays unenrolled; taken, it holds what the hub said.
func FuzzEnroll(f *testing.F) {
	tp := closeTemplate(f, ledgertest.MustOpen(f), ledger.Item{}, func(e *ledgertest.Env, _ ledger.Item, _ record.Head) {
		for _, en := range []hubsync.Enrolled{
			enrolled(e),
			{Terminal: "OTHER", Center: ledgertest.Center, HubKey: hubPub},
			{Terminal: e.Terminal().ID, Center: "C-ELSEWHERE", HubKey: hubPub[:5], HubURL: "ftp://x", Policy: record.Policy{OfflineCapPoints: -1}},
		} {
			b, err := json.Marshal(en)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b, true)
			f.Add(b, false)
		}
	})
	f.Fuzz(func(t *testing.T, msg []byte, ours bool) {
		var en hubsync.Enrolled
		if json.Unmarshal(msg, &en) != nil {
			return
		}
		e := tp.open(t)
		if ours {
			en.Terminal = e.Terminal().ID
		}
		err := e.Enroll(ctx, en)
		got := enrollment(t, e)
		if err != nil {
			if got.Enrolled {
				t.Fatalf("a refused enrollment (%v) enrolled the ledger: %+v", err, got)
			}
			return
		}
		if !got.Enrolled || !got.HubKey.Equal(ed25519.PublicKey(en.HubKey)) || got.Center != en.Center {
			t.Fatalf("enrolled with %+v, the ledger holds %+v", en, got)
		}
		mustVerify(t, e.Ledger, "after an enrollment")
	})
}
